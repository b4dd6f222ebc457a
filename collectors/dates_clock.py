"""The pieces every date form of ``collectors.dates`` is read with: the clock after a date (``14:35``, ``2:35
PM``, ``14:35 (мск)``) or before it, a zone's offset, a calendar date that may not exist, and a span counted
back from a moment (``3 часа назад``). No form is recognised here; ``dates`` and ``dates_english`` do that."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

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
MONTH_WORD = r"([^\W\d_]+)\.?"  # any script: Cyrillic, Latin Kazakh, English in RFC 822
# A zone name (optionally with an offset: "UTC+5", "GMT+06:00"), or a numeric offset after a space
# ("+0500"): "10:00-12:00" is a time range, not 10:00 at UTC-12. Either may stand in brackets
# ("14:35 (мск)"), as Russian pages print Moscow time.
ZONE = (
    r"(?:\s*\(?(?P<zone>(?:" + "|".join(_ZONE_HOURS) + r")(?![^\W\d_])(?:\s*[+-]\d{1,2}(?::?\d{2})?)?"
    r"|(?<=[\s(])[+-]\d{2}:?\d{2}(?!\d))\)?)?"
)
# A 12-hour clock's word after the time, in the lower case the patterns are matched in.
AMPM = (
    r"(?:\s*(?P<ampm>[ap]\.?\s?m\b\.?|дп|пп|до полудня|после полудня|түске дейін|түстен кейін)(?![^\W\d_]))?"
)
TIME = r"(?:\D{0,12}?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?(?!\d)" + AMPM + ZONE + ")?"
# A clock printed just before the date instead of after it: "14:35 25.11.2026", "14:35, 25 ноября 2026".
# Not the end of a range («10:00-12:00 25.11.2026», «с 10:00 до 18:00, 25 ноября»): that says no time;
# a dash after a word is a separator («Общество — 14:35, 25 ноября»).
_CLOCK_BEFORE = re.compile(
    r"(?<![\d.:])(?<!\d[-–—])(?<!\d[-–—]\s)(?<!\d\s[-–—]\s)(?<!до\s)(\d{1,2}):(\d{2})(?::(\d{2}))?[\s,|/–—-]{1,4}$",
    re.IGNORECASE,
)
_ZONE_PARTS = re.compile(r"([^\W\d_]*)\s*(?:([+-])(\d{1,2}):?(\d{2})?)?")


def zone_of(text: str | None) -> tzinfo | None:
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


def clock_at(d: date, m: re.Match[str], tz: tzinfo) -> datetime:
    """``d`` at the clock time of a match of ``TIME``, in its zone if it names one, else in ``tz``;
    without a time after the date, at the clock printed just before it, if one is."""
    hour, minute, second = (m.group(key) for key in ("hour", "minute", "second"))
    if hour is None and (before := _CLOCK_BEFORE.search(m.string, max(0, m.start() - 16), m.start())):
        hour, minute, second = before.groups()
    try:
        t = time(hour24(int(hour or 0), m.group("ampm")), int(minute or 0), int(second or 0))
    except ValueError:
        t = time(0, 0)
    return datetime.combine(d, t, tzinfo=zone_of(m.group("zone")) or tz)


def hour24(hour: int, ampm: str | None) -> int:
    """The hour of a 24-hour clock: ``2 pm`` is 14, ``12 am`` 0; an hour past 12 with a 12-hour word is
    left as written (the 24-hour clock said so already)."""
    if not ampm or not 1 <= hour <= 12:
        return hour
    return hour % 12 + (12 if ampm.startswith(("p", "п", "түстен")) else 0)


def local_at(d: date, hour: int | None, minute: int | None, tz: tzinfo) -> datetime | None:
    """``d`` at ``hour``:``minute`` (midnight if that is no time) in ``tz``; None past the calendar."""
    try:
        t = time(hour or 0, minute or 0)
    except ValueError:
        t = time(0, 0)
    try:
        return datetime.combine(d, t, tzinfo=tz)
    except ValueError:
        return None


def make_date(year: int | str, month: int, day: int) -> date | None:
    """The date, or None where the calendar has none (31 February); a year as text may have two digits."""
    # A two-digit year ("25.11.26") is this century's; "0001" is year 1, which no post has.
    if isinstance(year, str):
        year = int(year) + (2000 if len(year) <= 2 else 0)
    try:
        return date(year, month, day)
    except ValueError:
        return None


# How far a page's clock may run ahead of the fetch time's and still print today: a site whose server
# keeps UTC+6 (Kazakhstan's time before 2024-03-01) is an hour ahead, one in China's zone three.
CLOCK_AHEAD = timedelta(hours=3)


def yearless(
    month: int, day: int, now: datetime, moment: Callable[[date], datetime | None], *, by_date: bool = False
) -> datetime | None:
    """The time a day and month without a year («25 ноября», «November 25 at 10:30 PM») stand for, seen
    at ``now`` (its year is the year there): this year's, or last year's where this year's is still to
    come (later than ``now`` by more than ``CLOCK_AHEAD``: «November 25 at 10:30 PM» seen at 14:00 that
    day) or does not exist (29 February); None where neither is. ``moment`` gives a day's time (its
    clock and zone). ``by_date``: the rule before clocks were compared, which hash ids hold (this
    year's unless its date is after today's; None where this year has no such day)."""
    if by_date:
        found = make_date(now.year, month, day)
        if found and found > now.date():
            found = make_date(now.year - 1, month, day)
        return moment(found) if found else None
    for year in (now.year, now.year - 1):
        found = make_date(year, month, day)
        when = moment(found) if found else None
        if when is not None and when <= now + CLOCK_AHEAD:
            return when
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


def back(moment: datetime, unit: str, number: str | None) -> datetime | None:
    """``moment`` minus ``number`` (default 1) units; None when that leaves the calendar: «3000 лет
    назад» in an article's text is no publication time, and must not fail the page."""
    try:
        return shift(moment, unit, int(number) if number else 1)
    except (OverflowError, ValueError):  # before year 1, a timedelta too large, more than 4,300 digits
        return None


def unit_of(word: str, table: dict[str, str]) -> str | None:
    """The unit (``hours``...) of the longest stem in ``table`` that ``word`` begins with."""
    best = None
    for stem, unit in table.items():
        if word.startswith(stem) and (best is None or len(stem) > best[0]):
            best = (len(stem), unit)
    # "ч"/"г" only as whole abbreviations, not as a prefix of any word
    if best and best[0] == 1 and len(word) > 1:
        return None
    return best[1] if best else None
