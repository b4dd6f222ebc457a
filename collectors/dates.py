"""Dates as news portals print them, in Russian, Kazakh and English, turned into timezone-aware datetimes.

Absolute forms: ``25 ноября 2026, 14:35``, ``25 қараша 2026``, ``2026 жылғы 25 қараша``,
``25.11.2026 14:35``, ISO 8601, and RFC 822 as feeds print it (``Wed, 25 Nov 2026 14:35:00 +0500``,
``Ср, 25 ноя 2026 14:35:00 +0500``, ``ср, 25 қар. 2026 14:35:00``). Kazakh month names are also read
typed without Kazakh letters (``25 караша 2026``) and in Latin script (``25 qarasha 2026``). The time
may follow the date or stand just before it (``14:35 25.11.2026``, ``2:35 PM Nov 25, 2026``), on a 12-hour
clock too (``2:35 PM``, ``ПП``, ``после полудня``, ``түстен кейін``), and a zone may stand in brackets
(``14:35 (мск)``).

English, as English-language templates and Facebook exports print it: ``November 25, 2026``, ``Nov. 25,
2026, 3:05 PM``, ``Wednesday, November 25, 2026``, ``25 November 2026``. English is read last, where no
Russian or Kazakh form is, so a text that holds one reads as before; and narrowly, since callers also
search free text: a month name only with a day and a year (``May`` with a capital). The words of all
three languages are in ``collectors.dates_words``.

Relative forms (``вчера в 14:35``, ``3 сағат бұрын``, ``три часа назад``, ``3 hours ago``), counted back
from the fetch time ``now``, are read in ``collectors.dates_relative``; ``parse_relative`` and ``parse_date`` call it.

A wall-clock time without an offset is read in Asia/Almaty: UTC+6 until 2024-03-01 00:00, UTC+5 since
(Kazakhstan moved to a single zone that day); an explicit offset or zone (``+0500``, ``GMT``, ``мск``)
is kept as given. ``parse_date`` and ``parse_absolute`` give only publication times: a date before
1990 or more than a day after ``now`` is None (see ``publication_time``).
"""

from __future__ import annotations

import calendar
import logging
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from collectors.dates_words import EN_MONTH_WORDS, month_number

# The words are in dates_words; the names callers import from here are re-exported.
from collectors.dates_words import EN_MONTHS as EN_MONTHS
from collectors.dates_words import KK_MONTHS as KK_MONTHS
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


# Zones that RFC 822 names, and Moscow time as Russian pages print it; numeric offsets are read as such.
_ZONE_HOURS = {
    "z": 0,
    "ut": 0,
    "utc": 0,
    "gmt": 0,
    "est": -5,
    "edt": -4,
    "cst": -6,
    "cdt": -5,
    "mst": -7,
    "mdt": -6,
    "pst": -8,
    "pdt": -7,
    "msk": 3,
    "мск": 3,
}
_MONTH_WORD = r"([^\W\d_]+)\.?"  # any script: Cyrillic, Latin Kazakh, English in RFC 822
# A zone name (optionally with an offset: "UTC+5", "GMT+06:00"), or a numeric offset after a space
# ("+0500"): "10:00-12:00" is a time range, not 10:00 at UTC-12. Either may stand in brackets
# ("14:35 (мск)"), as Russian pages print Moscow time.
_ZONE = (
    r"(?:\s*\(?(?P<zone>(?:" + "|".join(_ZONE_HOURS) + r")(?![^\W\d_])(?:\s*[+-]\d{1,2}(?::?\d{2})?)?"
    r"|(?<=[\s(])[+-]\d{2}:?\d{2}(?!\d))\)?)?"
)
# A 12-hour clock's word after the time, in the lower case the patterns are matched in.
_AMPM_WORDS = r"[ap]\.?\s?m\b\.?|дп|пп|до полудня|после полудня|түске дейін|түстен кейін"
_AMPM = r"(?:\s*(?P<ampm>" + _AMPM_WORDS + r")(?![^\W\d_]))?"
_TIME = (
    r"(?:\D{0,12}?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?(?!\d)" + _AMPM + _ZONE + ")?"
)
# A clock printed just before the date instead of after it: "14:35 25.11.2026", "14:35, 25 ноября 2026",
# on a 12-hour clock too ("2:35 PM Nov 25, 2026", as English templates print it). Not the end of a range («10:00-12:00 25.11.2026», «с 10:00 до 18:00, 25 ноября»): that says no time;
# a dash after a word is a separator («Общество — 14:35, 25 ноября»).
_CLOCK_BEFORE = re.compile(
    r"(?<![\d.:])(?<!\d[-–—])(?<!\d[-–—]\s)(?<!\d\s[-–—]\s)(?<!до\s)(\d{1,2}):(\d{2})(?::(\d{2}))?"
    + _AMPM
    + r"[\s,|/–—-]{1,4}$",
    re.IGNORECASE,
)
# The end of a 12-hour range is no time either: «10:00 AM - 12:00 PM Nov 25, 2026» (read as 12:00).
_RANGE_START = re.compile(r"(?:" + _AMPM_WORDS + r")\s*[-–—]\s*$", re.IGNORECASE)
_ZONE_PARTS = re.compile(r"([^\W\d_]*)\s*(?:([+-])(\d{1,2}):?(\d{2})?)?")

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
    r"(?<!\d)(\d{1,2})\s+" + _MONTH_WORD + r"\s+(\d{4})(?:\s*(?:г\.?|года|жыл[^\W\d_]*))?" + _TIME
)
_YDM_WORDS_KK = re.compile(r"(?<!\d)(\d{4})\s*(?:ж\.?|жыл[^\W\d_]*)?\s+(\d{1,2})\s+" + _MONTH_WORD + _TIME)
_DM_WORDS = re.compile(r"(?<!\d)(\d{1,2})\s+" + _MONTH_WORD + r"(?!\s*\d{4})" + _TIME)
_DMY_DOTS = re.compile(r"(?<![\d.])(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?![\d.])" + _TIME)
# English, read only where no Russian or Kazakh form is. The month first, and a year after the day:
# «May» (or «Mar», «Jan») is a word of English sentences, a month only before «5, 2026», and «may» only
# with a capital (``_month_first``). The day may carry its «th», the year a comma and a 12-hour clock.
_MONTH_FIRST = re.compile(r"(?<![^\W\d_])([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)" + _TIME)


def _zone(text: str | None) -> tzinfo | None:
    """The fixed offset a zone text gives ("+0500", "GMT", "UTC+6", "мск"), or None if it is not one."""
    m = _ZONE_PARTS.fullmatch(text or "")
    if not m or not text:
        return None
    name, sign, hours, minutes = m.groups()
    offset = timedelta(hours=_ZONE_HOURS.get(name, 0))
    if sign:
        extra = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if int(minutes or 0) >= 60 or extra > timedelta(hours=14):
            return None
        offset += extra if sign == "+" else -extra
    return UTC if not offset else timezone(offset)


def _at(d: date, m: re.Match[str], tz: tzinfo) -> datetime:
    """``d`` at the clock time of a match of ``_TIME``, in its zone if it names one, else in ``tz``;
    without a time after the date, at the clock printed just before it, if one is."""
    hour, minute, second, ampm = (m.group(key) for key in ("hour", "minute", "second", "ampm"))
    # 32 characters: "12:35:00 после полудня, " before the date
    before = None if hour is not None else _CLOCK_BEFORE.search(m.string, max(0, m.start() - 32), m.start())
    if before and not _RANGE_START.search(m.string, max(0, before.start() - 24), before.start()):
        hour, minute, second, ampm = before.groups()
    try:
        t = time(_hour24(int(hour or 0), ampm), int(minute or 0), int(second or 0))
    except ValueError:
        t = time(0, 0)
    return datetime.combine(d, t, tzinfo=_zone(m.group("zone")) or tz)


def _hour24(hour: int, ampm: str | None) -> int:
    """The hour of a 24-hour clock: ``2 pm`` is 14, ``12 am`` 0; an hour past 12 with a 12-hour word is
    left as written (the 24-hour clock said so already)."""
    if not ampm or not 1 <= hour <= 12:
        return hour
    return hour % 12 + (12 if ampm.startswith(("p", "п", "түстен")) else 0)


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


def _local(d: date, hour: int | None, minute: int | None, tz: tzinfo) -> datetime | None:
    try:
        t = time(hour or 0, minute or 0)
    except ValueError:
        t = time(0, 0)
    try:
        return datetime.combine(d, t, tzinfo=tz)
    except ValueError:
        return None


def _make_date(year: int | str, month: int, day: int) -> date | None:
    # A two-digit year ("25.11.26") is this century's; "0001" is year 1, which no post has.
    if isinstance(year, str):
        year = int(year) + (2000 if len(year) <= 2 else 0)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def shift(moment: datetime, unit: str, amount: int) -> datetime:
    """``moment`` minus ``amount`` units (seconds..years); months and years by the calendar."""
    if unit in {"seconds", "minutes", "hours", "days", "weeks"}:
        return moment - timedelta(**{unit: amount})
    months = amount * (12 if unit == "years" else 1)
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 date or date-time anywhere in ``text``; without an offset it is read in Almaty time."""
    m = _ISO.search(text)
    if not m:
        return None
    year, month, day, hour, minute, second, offset = m.groups()
    d = _make_date(year, int(month), int(day))
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
    "yesterday at 10:30") counted back from ``now``; English only where no Russian or Kazakh form is."""
    found = dates_relative.russian_kazakh(text, now, tz)
    return found if found is not None else dates_relative.english(text, now, tz)


def _absolute(text: str, tz: tzinfo, now: datetime | None) -> datetime | None:
    """What ``parse_absolute`` reads, before the publication-time rule; year-less forms need ``now``."""
    low = text.lower().replace("ё", "е")
    iso = parse_iso(text)
    if iso is not None:
        return iso
    m = _YDM_WORDS_KK.search(low)
    if m and month_number(m.group(3)):
        d = _make_date(m.group(1), month_number(m.group(3)) or 0, int(m.group(2)))
        if d:
            return _at(d, m, tz)
    for m in _DMY_WORDS.finditer(low):
        month = month_number(m.group(2))
        if month:
            d = _make_date(m.group(3), month, int(m.group(1)))
            if d:
                return _at(d, m, tz)
    m = _DMY_DOTS.search(low)
    if m:
        d = _make_date(m.group(3), int(m.group(2)), int(m.group(1)))
        if d:
            return _at(d, m, tz)
    if now is not None:
        # "25 ноября, 14:35": the year of the fetch, or the year before if that lies in the future
        for m in _DM_WORDS.finditer(low):
            month = month_number(m.group(2), with_year=False)
            if month:
                local_now = now.astimezone(tz)
                d = _make_date(local_now.year, month, int(m.group(1)))
                if d and d > local_now.date():
                    d = _make_date(local_now.year - 1, month, int(m.group(1)))
                if d:
                    return _at(d, m, tz)
    return None


def _month_first(text: str, tz: tzinfo) -> datetime | None:
    """An English date with its month first: "November 25, 2026", "Nov. 25, 2026, 3:05 PM"."""
    low = text.lower()
    for m in _MONTH_FIRST.finditer(low):
        month = EN_MONTH_WORDS.get(m.group(1))
        if month is None or (month == 5 and not _capital(text, low, m.start(1))):
            continue
        d = _make_date(m.group(3), month, int(m.group(2)))
        if d:
            return _at(d, m, tz)
    return None


def _capital(text: str, low: str, start: int) -> bool:
    """Whether the word at ``start`` of ``low`` (``text`` lower-cased) is written with a capital."""
    if len(low) == len(text):
        return text[start].isupper()
    # lower() made a letter two («İ» in Latin Kazakh): positions differ, any capital «May» will do
    return re.search(r"(?<![^\W\d_])(?:May|MAY)(?![^\W\d_])", text) is not None


def parse_absolute(
    text: str, tz: tzinfo = ALMATY, now: datetime | None = None, *, english: bool = True
) -> datetime | None:
    """An absolute publication date in ``text`` (Russian/Kazakh words, dd.mm.yyyy, ISO 8601, RFC 822,
    English); English only where no other form is, and not at all without ``english`` (what was read
    before English dates were: a hash id that holds a date must not change)."""
    found = _absolute(text, tz, now)
    if found is None and english:
        found = _month_first(text, tz)
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
        found = dates_relative.russian_kazakh(text, now, tz)
    if found is None:
        found = _absolute(text, tz, now=now)
    if found is None:
        found = _month_first(text, tz)
    if found is None:
        found = dates_relative.english(text, now, tz)
    return publication_time(found, now, text)


# Last, as it reads the clock and zone pieces above: imported first, it imports this module whole, and
# this import then finds it in sys.modules, unfinished, which is enough (its functions are looked up
# when called).
from collectors import dates_relative  # noqa: E402
