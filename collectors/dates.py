"""Dates as news portals print them, in Russian, Kazakh and English, turned into timezone-aware datetimes.

Absolute forms: ``25 ноября 2026, 14:35``, ``25 қараша 2026``, ``2026 жылғы 25 қараша``,
``25.11.2026 14:35``, ISO 8601, and RFC 822 as feeds print it (``Wed, 25 Nov 2026 14:35:00 +0500``,
``Ср, 25 ноя 2026 14:35:00 +0500``, ``ср, 25 қар. 2026 14:35:00``). Kazakh month names are also read
typed without Kazakh letters (``25 караша 2026``) and in Latin script (``25 qarasha 2026``). Without
a year (``25 ноября, 14:35``), given ``now``: the latest such day and time not still to come.

Relative forms, computed from the fetch time ``now``: ``6 лет назад``, ``3 сағат бұрын`` (a span back
past the calendar, «3000 лет назад» in an article, is no date); and only as a date element prints them
(``collectors.dates_element``), not inside a sentence: ``сегодня в 10:15``, ``Иван Петров, вчера в
10:30``, ``вчера``, ``позавчера``, ``только что``, ``бүгін 10:15``, ``кеше``, ``жаңа ғана``. The time may
follow the date or stand just before it (``14:35 25.11.2026``), on a 12-hour clock too (``2:35 PM``,
``ПП``, ``после полудня``, ``түстен кейін``), and a zone may stand in brackets (``14:35 (мск)``).

English, as English-language templates and Facebook exports print it: ``November 25, 2026``, ``Nov. 25,
2026, 3:05 PM``, ``Wednesday, November 25, 2026``, ``25 November 2026``, ``3 hours ago``, ``an hour
ago``, ``yesterday at 10:30``, ``just now``, and without a year ``November 25 at 10:30 AM`` (the latest
such day not still to come; ``parse_date`` only). English is read last, where no Russian or Kazakh form
is, so a text that holds one reads as before; and narrowly, since callers also search free text: a
month name with a day and a year anywhere (``May`` with a capital); a day and month without a year,
``today``/``yesterday`` and ``just now`` only as a date element prints them, as Russian and Kazakh day
words are (``collectors.dates_english``). The words of all three languages are in
``collectors.dates_words``.

Facebook's short spans and weekdays (``3h``, ``2 дн.``, ``1 апта``, ``Monday at 10:30 AM``,
``понедельник в 10:30``) only ``parse_relative`` reads, as a timestamp's whole text: on a portal's page
«3 мин» is a reading time, «2 hours» a video's length, «Понедельник, 10:00» an event's time, none a
publication time.

A wall-clock time without an offset is read in Asia/Almaty: UTC+6 until 2024-03-01 00:00, UTC+5 since
(Kazakhstan moved to a single zone that day); an explicit offset or zone (``+0500``, ``GMT``, ``мск``)
is kept as given. ``parse_date`` and ``parse_absolute`` give only publication times: a date before
1990 or more than a day after ``now`` is None (see ``publication_time``).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from collectors.dates_clock import MONTH_WORD, TIME, back, clock_at, make_date, unit_of, yearless

# The words are in dates_words, the clock and spans in dates_clock, English in dates_english; what
# callers import from here (shift, month names, is_date_word) is re-exported with «as».
from collectors.dates_clock import shift as shift
from collectors.dates_element import day_word, weekday_at
from collectors.dates_english import month_day, month_first, relative_english
from collectors.dates_short import short_span
from collectors.dates_words import EN_MONTHS as EN_MONTHS
from collectors.dates_words import KK_MONTHS as KK_MONTHS
from collectors.dates_words import KK_UNITS, RU_UNITS, WORD_ONE, month_number
from collectors.dates_words import RU_MONTHS as RU_MONTHS
from collectors.dates_words import is_date_word as is_date_word

log = logging.getLogger(__name__)

SWITCH_UTC = datetime(2024, 2, 29, 18, 0, tzinfo=UTC)  # 2024-03-01 00:00 at UTC+6
_BEFORE = timezone(timedelta(hours=6))
_AFTER = timezone(timedelta(hours=5))


class AlmatyRule(tzinfo):
    """Asia/Almaty by our own rule (UTC+6, then UTC+5 from 2024-03-01), for tz databases older than 2024a."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        """The offset in force at the wall-clock time ``dt``."""
        if dt is None:
            return _AFTER.utcoffset(None)
        # At 2024-03-01 00:00 (+06) clocks went back to Feb 29 23:00 (+05): that hour happens twice,
        # and ``fold`` (PEP 495) tells the first pass (+06) from the second (+05).
        wall = (dt.year, dt.month, dt.day, dt.hour)
        if wall < (2024, 2, 29, 23):
            return timedelta(hours=6)
        if wall < (2024, 3, 1, 0):
            return timedelta(hours=5 if dt.fold else 6)
        return timedelta(hours=5)

    def dst(self, dt: datetime | None) -> timedelta:
        """No daylight saving time in Kazakhstan."""
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        """The offset as a name (+06 or +05)."""
        return "+06" if self.utcoffset(dt) == timedelta(hours=6) else "+05"

    def fromutc(self, dt: datetime) -> datetime:
        """UTC instant -> local wall clock."""
        utc = dt.replace(tzinfo=UTC)
        offset = _BEFORE if utc < SWITCH_UTC else _AFTER
        local = (utc + offset.utcoffset(None)).replace(tzinfo=self)
        if offset is _AFTER and utc < SWITCH_UTC + timedelta(hours=1):
            local = local.replace(fold=1)
        return local


def _tz_knows_switch(zone: tzinfo) -> bool:
    before = datetime(2024, 2, 1, 12, tzinfo=zone).utcoffset()
    after = datetime(2024, 3, 2, 12, tzinfo=zone).utcoffset()
    return before == timedelta(hours=6) and after == timedelta(hours=5)


def _almaty() -> tzinfo:
    try:
        zone: tzinfo = ZoneInfo("Asia/Almaty")
    except ZoneInfoNotFoundError:
        return AlmatyRule()
    if _tz_knows_switch(zone):
        return zone
    log.info("the tz database predates the 2024-03-01 change in Asia/Almaty; using our own rule")
    return AlmatyRule()


ALMATY: tzinfo = _almaty()


def time_zone(name: str) -> tzinfo:
    """The zone an IANA name (an importer's ``tz`` option) stands for; Asia/Almaty is :data:`ALMATY`,
    right on a system whose tz database predates 2024a, where ``ZoneInfo`` would read every time
    since 2024-03-01 an hour off."""
    return ALMATY if name == "Asia/Almaty" else ZoneInfo(name)


def almaty_time(value: datetime) -> datetime:
    """``value`` in Asia/Almaty, or in UTC where Almaty's clock has passed year 9999 (Python's calendar
    ends there: a time an analyst stored as 9999-12-31 23:00 UTC failed exports, pages and digests)."""
    try:
        return value.astimezone(ALMATY)
    except OverflowError:
        return value.astimezone(UTC)


# The rule for publication times: nothing on the web we collect is older, and a clock or a zone
# mistake puts a date hours ahead, not days.
EARLIEST_PUBLICATION = datetime(1990, 1, 1, tzinfo=UTC)
MAX_OFFSET = timedelta(hours=14)  # the widest offset a zone has (Kiribati, +14:00)
FUTURE_TOLERANCE = timedelta(days=1)

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?",
    re.IGNORECASE,
)
_DMY_WORDS = re.compile(
    r"(?<!\d)(\d{1,2})\s+" + MONTH_WORD + r"\s+(\d{4})(?:\s*(?:г\.?|года|жыл[^\W\d_]*))?" + TIME
)
_YDM_WORDS_KK = re.compile(r"(?<!\d)(\d{4})\s*(?:ж\.?|жыл[^\W\d_]*)?\s+(\d{1,2})\s+" + MONTH_WORD + TIME)
_DM_WORDS = re.compile(r"(?<!\d)(\d{1,2})\s+" + MONTH_WORD + r"(?!\s*\d{4})" + TIME)
_DMY_DOTS = re.compile(r"(?<![\d.])(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?![\d.])" + TIME)

# A number and a word start where no digit or letter stands before them: without that, a search over
# a long run of digits or letters tried every position in it against the whole run, and a page's
# «1111…» of 100,000 characters took minutes.
_RU_AGO = re.compile(r"(?:(?<!\d)(\d+)|(?<![а-яё])(пол)?)\s*([а-яё]+)\.?\s+назад")
_KK_AGO = re.compile(r"(?:(?<!\d)(\d+)\s*)?(?<![а-яёәіңғүұқөһ])([а-яёәіңғүұқөһ]+)\s+(?:бұрын|бурын|алдын)")


def publication_time(
    when: datetime | None, now: datetime | None = None, text: str | None = None
) -> datetime | None:
    """``when`` if it can be a publication time: not before 1990, at most a day after ``now``."""
    if when is None:
        return None
    latest = (now or datetime.now(UTC)) + FUTURE_TOLERANCE
    if EARLIEST_PUBLICATION <= when <= latest:
        return when
    log.debug("%r is not a publication time (before 1990 or more than a day ahead)", text or when)
    return None


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 date or date-time anywhere in ``text``; without an offset it is read in Almaty time."""
    m = _ISO.search(text)
    if not m:
        return None
    year, month, day, hour, minute, second, offset = m.groups()
    d = make_date(year, int(month), int(day))
    if d is None:
        return None
    try:
        t = time(int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    if offset:
        if offset.upper() == "Z":
            zone: tzinfo = UTC
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            if shift > MAX_OFFSET or int(digits[2:] or 0) > 59:  # "+25:00" is no zone: timezone() raises
                return None
            zone = timezone(sign * shift)
        return datetime.combine(d, t, tzinfo=zone)
    return datetime.combine(d, t, tzinfo=ALMATY)


def parse_relative(text: str, now: datetime, tz: tzinfo = ALMATY) -> datetime | None:
    """A relative date ("вчера в 10:15", "6 лет назад", "3 сағат бұрын", "кеше", "3 hours ago",
    "yesterday at 10:30") counted back from ``now``; English only where no Russian or Kazakh form is.
    Also, as the whole text, Facebook's short spans and weekdays («3h», «2 дн.», «Monday at 10:30 AM»),
    which ``parse_date`` does not read: ``text`` must be known to be a post's or a comment's time."""
    found = _relative(text, now, tz)
    if found is None:
        found = relative_english(text, now, tz)
    return found if found is not None else _facebook(text, now, tz)


def _facebook(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """Facebook's short span or weekday as a timestamp's whole text: «3h», «2 дн.», «1 апта»
    (``dates_short``), «Monday at 10:30 AM», «дүйсенбі 10:30» (``dates_element``)."""
    low = " ".join(text.lower().split())
    found = short_span(low, now.astimezone(tz).replace(second=0, microsecond=0))
    return found if found is not None else weekday_at(low, now, tz)


def _relative(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """A Russian or Kazakh relative date (``parse_relative``)."""
    cased = " ".join(text.replace("ё", "е").replace("Ё", "Е").split())
    low = cased.lower()
    local_now = now.astimezone(tz).replace(second=0, microsecond=0)  # "5 минут назад" is minute-precise
    found = day_word(cased, now, tz)  # «вчера в 10:30», «только что»: as a date element prints them only
    if found is not None:
        return found
    m = _RU_AGO.search(low)
    if m:
        number, half, word = m.groups()
        unit = unit_of(word, RU_UNITS)
        if unit is None and word in WORD_ONE:
            unit, _ = WORD_ONE[word]
        if unit:
            if half:
                return shift(local_now, "minutes", 30) if unit == "hours" else shift(local_now, unit, 0)
            return back(local_now, unit, number)
    m = _KK_AGO.search(low)
    if m:
        number, word = m.groups()
        unit = unit_of(word, KK_UNITS)
        if unit:
            return back(local_now, unit, number)
    return None


def _absolute(text: str, tz: tzinfo, now: datetime | None, *, by_date: bool = False) -> datetime | None:
    """What ``parse_absolute`` reads, before the publication-time rule; year-less forms need ``now``
    (``by_date``: their year as hash ids hold it, ``yearless``)."""
    low = text.lower().replace("ё", "е")
    iso = parse_iso(text)
    if iso is not None:
        return iso
    m = _YDM_WORDS_KK.search(low)
    if m and month_number(m.group(3)):
        d = make_date(m.group(1), month_number(m.group(3)) or 0, int(m.group(2)))
        if d:
            return clock_at(d, m, tz)
    for m in _DMY_WORDS.finditer(low):
        month = month_number(m.group(2))
        if month:
            d = make_date(m.group(3), month, int(m.group(1)))
            if d:
                return clock_at(d, m, tz)
    m = _DMY_DOTS.search(low)
    if m:
        d = make_date(m.group(3), int(m.group(2)), int(m.group(1)))
        if d:
            return clock_at(d, m, tz)
    if now is not None:
        # "25 ноября, 14:35": the latest year in which it has come (yearless)
        for m in _DM_WORDS.finditer(low):
            month = month_number(m.group(2), with_year=False)
            if month:
                at = partial(clock_at, m=m, tz=tz)
                found = yearless(month, int(m.group(1)), now.astimezone(tz), at, by_date=by_date)
                if found:
                    return found
    return None


def parse_absolute(
    text: str,
    tz: tzinfo = ALMATY,
    now: datetime | None = None,
    *,
    english: bool = True,
    by_date: bool = False,
) -> datetime | None:
    """An absolute publication date in ``text`` (Russian/Kazakh words, dd.mm.yyyy, ISO 8601, RFC 822,
    English); English only where no other form is, and not at all without ``english`` (what was read
    before English dates were: a hash id that holds a date must not change). A Russian or Kazakh day
    and month without a year («25 ноября») only with ``now``: its year is the latest not to come. Not an
    English one («November 25 at 10:30»), which ``parse_date`` reads: this is also what a Facebook
    export's cells are read with, and ``now``, the import's time, is not when the file was written
    (such a cell was reported unreadable before English dates were read, and still is). ``by_date``: a
    day and month without a year take the year they took before a clock later today made it last
    year's (``dates_clock.yearless``), as a facebook-export hash id holds it."""
    found = _absolute(text, tz, now, by_date=by_date)
    if found is None and english:
        found = month_first(text, tz)
    return publication_time(found, now, text)


def parse_date(text: str | None, now: datetime | None = None, tz: tzinfo = ALMATY) -> datetime | None:
    """Any supported date form in ``text`` as an aware datetime; relative forms count back from ``now``.

    None when ``text`` holds no date, or one that cannot be a publication time (``publication_time``).
    English forms come last: a text that holds a Russian or Kazakh date reads as that one.
    """
    if not text or not text.strip():
        return None
    if now is None:
        now = datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    found = _absolute(text, tz, now=None)
    if found is None:
        found = _relative(text, now, tz)
    if found is None:
        found = _absolute(text, tz, now=now)
    if found is None:
        found = month_first(text, tz)
    if found is None:
        found = month_day(text, now, tz)
    if found is None:
        found = relative_english(text, now, tz)
    return publication_time(found, now, text)
