"""English dates for ``collectors.dates``, which reads them only where no Russian or Kazakh form is:
``November 25, 2026``, ``Nov. 25, 2026, 3:05 PM``, ``3 hours ago``, ``yesterday at 10:30``, ``just now``,
and the forms without a year Facebook prints (``November 25 at 10:30 AM``, ``25 November at 10:30``),
in the latest year they are not still to come in.

Callers also search free text, so English is read narrowly. A month name with a day and a year anywhere
(``May`` with a capital); the other forms only as a date element carries them: the whole text, or a part
of it that a separator (``|``, ``·``, ``—``) or a sentence's end sets apart, with a label at most
(``Updated yesterday``, ``Posted: just now``, ``By John Smith | Yesterday at 10:30``), and a day with its
clock also after a byline's author (``By John Smith, Yesterday at 10:30``, ``John Smith Today at
12:30``), as ``collectors.dates_element`` reads Russian and Kazakh day words. Not inside a sentence:
«the match at 12:30 today», «Posted yesterday by the mayor's office» are no dates. A zone after the
clock is kept (``Yesterday at 10:30 PM EST``: yesterday in that zone).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from functools import partial

from collectors.dates_clock import TIME, back, clock_at, hour24, local_at, make_date, yearless, zone_of
from collectors.dates_element import HOUR_MINUTE, at_clock, by_name, byline, part, whole
from collectors.dates_words import EN_DAY_WORDS, EN_MONTH_WORDS, EN_MONTHS, EN_UNITS

# The month first, and a year after the day: «May» (or «Mar», «Jan») is a word of English sentences, a
# month only before «5, 2026», and «may» only with a capital (``month_first``). The day may carry its
# «th», the year a comma and a 12-hour clock.
_MONTH_FIRST = re.compile(r"(?<![^\W\d_])([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)" + TIME)
_AGO = re.compile(
    r"(?:(?<!\d)(\d+)\s*|(?<![^\W\d_])(?:an?|one)\s+)(" + "|".join(EN_UNITS) + r")s?\.?\s+ago(?![^\W\d_])"
)
# A day and its clock, or a day and month without a year, are dates only in the ``part`` of a text a
# separator sets apart (not «the match at 12:30 today»); a day alone and «just now» only as the ``whole``.
_DAY_NAMED = "(?P<day>" + "|".join(EN_DAY_WORDS) + ")"
# The day word before its clock, or after it («10:30 yesterday»), and its zone if it names one
# («Yesterday at 10:30 PM EST»): tried in this order.
_DAY_AND_CLOCK = (
    re.compile(byline(r"(?:the\s+)?" + _DAY_NAMED + r"\s*(?:,|at)?\s*" + HOUR_MINUTE)),
    re.compile(part(HOUR_MINUTE + r"\s+" + _DAY_NAMED)),
)
_DAY_ALONE = re.compile(whole(_DAY_NAMED))
_JUST_NOW = re.compile(whole("just now"))
# A day and month without a year, as Facebook prints them: «November 25 at 10:30 AM», «Nov 25, 10:30»,
# «25 November at 10:30», «November 25» (``month_day``).
_CLOCK_AFTER = r"(?:\s*(?:,|at)?\s*" + HOUR_MINUTE + ")?"
_MONTH_DAY = (
    re.compile(part(r"(?P<month>[a-z]+)\.?\s+(?P<mday>\d{1,2})(?:st|nd|rd|th)?" + _CLOCK_AFTER)),
    re.compile(part(r"(?P<mday>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>[a-z]+)\.?" + _CLOCK_AFTER)),
)


def month_first(text: str, tz: tzinfo) -> datetime | None:
    """An English date with its month first: "November 25, 2026", "Nov. 25, 2026, 3:05 PM"."""
    low = text.lower()
    for m in _MONTH_FIRST.finditer(low):
        month = EN_MONTH_WORDS.get(m.group(1))
        if month is None or (month == 5 and not _capital(text, low, m.start(1))):
            continue
        d = make_date(m.group(3), month, int(m.group(2)))
        if d:
            return clock_at(d, m, tz)
    return None


def month_day(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """An English day and month without a year, as a date element prints it («November 25 at 10:30
    AM», «25 November at 10:30», «Nov 25, 10:30», «November 25»), in the most recent year it is not
    still to come in (``yearless``). Without a clock, the month's full name only, and not «May»: «Nov
    25», «May 5» are a sentence's words as often as a date."""
    cased = " ".join(text.split())  # a <time>'s text as the page has it: «By\nAsel · November 24»
    low = cased.lower()
    for pattern in _MONTH_DAY:
        m = pattern.fullmatch(low)
        if m is None:
            continue
        month = EN_MONTH_WORDS.get(m["month"])
        if month is None or (month == 5 and not _capital(cased, low, m.start("month"))):
            continue
        if m["hour"] is None and (m["month"] not in EN_MONTHS or month == 5 or m["tail"] is not None):
            continue
        if not by_name(m, cased):  # a name after the clock, with capitals: «November 24 at 9:40 PM Asel»
            continue
        hour = hour24(int(m["hour"]), m["ampm"]) if m["hour"] else None
        at = partial(local_at, hour=hour, minute=int(m["minute"] or 0), tz=zone_of(m["zone"]) or tz)
        found = yearless(month, int(m["mday"]), now.astimezone(tz), at)
        if found:
            return found
    return None


def _capital(text: str, low: str, start: int) -> bool:
    """Whether the word at ``start`` of ``low`` (``text`` lower-cased) is written with a capital."""
    if len(low) == len(text):
        return text[start].isupper()
    # lower() made a letter two («İ» in Latin Kazakh): positions differ, any capital «May» will do
    return re.search(r"(?<![^\W\d_])(?:May|MAY)(?![^\W\d_])", text) is not None


def relative_english(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """An English relative date: "just now", "yesterday at 10:30 PM", "3 hours ago", "an hour ago"."""
    cased = " ".join(text.split())
    low = cased.lower()
    local_now = now.astimezone(tz).replace(second=0, microsecond=0)
    if _JUST_NOW.fullmatch(low):
        return local_now
    for pattern in _DAY_AND_CLOCK:
        m = pattern.fullmatch(low)
        if m and by_name(m, cased):
            return at_clock(m, now, EN_DAY_WORDS[m["day"]], tz)
    m = _DAY_ALONE.fullmatch(low)
    if m:
        return local_at(local_now.date() - timedelta(days=EN_DAY_WORDS[m["day"]]), None, None, tz)
    m = _AGO.search(low)
    if m:
        return back(local_now, EN_UNITS[m.group(2)], m.group(1))
    return None
