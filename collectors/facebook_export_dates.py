"""The dates of a Facebook export (collectors/facebook_export.py reads its files): Unix seconds, the
date cells of a monitoring tool's CSV, and the order of a CSV's slashed dates, decided per file. The
generic ``csv`` import (collectors/file_import.py) reads the dates it does not know itself with the
same reader and the same per-file order, and also Excel's day numbers (``46351.607639``), when every
date of its column is one (:func:`date_column`, :func:`excel_serial`).

A slashed date is day/month in the region's tools and month/day in American ones (CrowdTangle, Export
Comments); ``03/04/2026`` alone does not say which. As for a WhatsApp chat (collectors/whatsapp.py),
the file's own values decide: a first field above 12 in any row means day/month, a second field
above 12 means month/day, neither keeps day/month. A file with both is reported once and read as
day/month. The source's ``date_order`` option (``dmy``, ``mdy``) overrides that decision: a month/day
file whose days are all 12 or less shows nothing to decide by. Dotted dates (``03.04.2026``) are
always day.month: no tool writes month.day.

A row without an id or link is known by a hash that holds its date (:func:`hash_date`), and that date
is read as it was before the order was decided per file, whatever the option says: day/month, or,
when the file writes month/day, as read that way if it is only month/day (``11/25``). Rows imported
before keep their ids. The generic ``csv`` import, which read no slashed date before, hashes one read
day/month when it can be, whatever the order and the day it is imported (:func:`csv_hash_date`).
"""

from __future__ import annotations

import csv
import itertools
import logging
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from collectors.csv_layout import csv_lines
from collectors.dates import parse_absolute, publication_time
from errors import InputError

log = logging.getLogger(__name__)

DATE_ORDERS = ("auto", "dmy", "mdy")  # the date_order option: decided per file, or day/month, month/day

_TZ_ABBREVIATIONS = {"UTC": 0, "GMT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "PST": -8, "PDT": -7}
_ABBREVIATED = re.compile(r"^(.*\d)\s+([A-Z]{3})$")
# the first slashed date of a cell, as collectors.dates finds it (its _DMY_DOTS, slashes only)
_SLASHED = re.compile(r"(?<![\d./])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\d./])")


def stamp(value: Any) -> datetime | None:
    """A Unix time in seconds, when it can be a publication time (collectors.dates); else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        try:
            return publication_time(datetime.fromtimestamp(value, UTC))
        except (OverflowError, ValueError, OSError):  # 1e20, inf: no time at all
            return None
    return None


def parse_csv_date(
    value: str,
    tz: tzinfo,
    order: str = "dmy",
    *,
    english: bool = True,
    iso_zones_only: bool = False,
    now: datetime | None = None,
) -> datetime | None:
    """A CSV date: Unix seconds, ``... EST`` style, or what collectors.dates reads (naive -> ``tz``);
    ``order`` ``mdy`` reads a slashed date as month/day (:func:`slashed_order` decides it per file).
    ``iso_zones_only``: a zone abbreviation only after an ISO date, as before other dates took one
    (``04/25/2026 10:00 EST`` is then none, as :func:`hash_date` needs). ``now``: a date more than a
    day after it is none (default: the present)."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit() and len(value) >= 9:
        return stamp(int(value[:10]))
    m = _ABBREVIATED.match(value)
    if m and m.group(2) in _TZ_ABBREVIATIONS:
        zone = timezone(timedelta(hours=_TZ_ABBREVIATIONS[m.group(2)]))
        try:
            naive = datetime.fromisoformat(m.group(1))
        except ValueError:
            # Not ISO: the date before the zone as any other (``04/25/2026 10:00 EST`` in a month/day
            # file, ``25.11.2026 14:35 EST``), read in that zone
            return (
                None if iso_zones_only else parse_csv_date(m.group(1), zone, order, english=english, now=now)
            )
        try:
            return publication_time(naive.replace(tzinfo=zone), now)
        except (ValueError, OverflowError):  # 9999-12-31 23:59 EST is past the calendar in UTC
            return None
    if order == "mdy":  # collectors.dates reads slashes as day/month: hand it the fields swapped
        value = _SLASHED.sub(lambda s: f"{s[2]}/{s[1]}/{s[3]}", value, count=1)
    # Absolute dates only: «вчера», «2 часа назад» count back from when the file was exported, which
    # it does not say; read from the import's own time, they would be days off, silently.
    return parse_absolute(value, tz=tz, now=now or datetime.now(UTC), english=english)


def slashed_order(
    text: str, dialect: Any, at: int, *, skip: int, source: str, shown: str
) -> tuple[str, InputError | None]:
    """(``dmy`` or ``mdy``, an error or None): the order of the slashed dates in column ``at`` of the
    rows of a CSV text after its first ``skip`` lines (those up to its header), from a first pass over
    that column only (no row is kept), and the error of a file that writes them both ways."""
    order, mixed, _serials = date_column(text, dialect, at, skip=skip, source=source, shown=shown)
    return order, mixed


def date_column(
    text: str, dialect: Any, at: int, *, skip: int, source: str, shown: str
) -> tuple[str, InputError | None, bool]:
    """:func:`slashed_order`'s order and error, and whether every date of the column is an Excel day
    number (:func:`excel_serial`), from the same one pass."""
    reader = csv.reader(itertools.islice(csv_lines(text), skip, None), dialect=dialect)
    day_first: tuple[int, str] | None = None  # (line, value) of the first date only day/month can be
    month_first: tuple[int, str] | None = None
    serials: bool | None = None  # None until a date is seen
    try:
        for row in reader:
            cell = row[at].strip() if len(row) > at else ""
            if cell and serials is not False:
                serials = _serial_days(cell) is not None
            found = _SLASHED.search(cell)
            if found is None:
                continue
            if int(found[1]) > 12 and day_first is None:
                day_first = skip + reader.line_num, found[0]
            elif int(found[2]) > 12 and month_first is None:
                month_first = skip + reader.line_num, found[0]
            if day_first and month_first:
                break
    except csv.Error:
        pass  # a file the reading pass will report as unreadable from there: what was seen decides
    if day_first and month_first:
        (day_line, day_value), (month_line, month_value) = day_first, month_first
        error = InputError(
            f"slashed dates written day/month ({day_value!r}, line {day_line}) and month/day "
            f"({month_value!r}, line {month_line}) in one file: all read as day/month, so a date such "
            "as 03/04 may be a month off, and those that are only month/day are reported unreadable",
            source=source,
            path=shown,
        )
        return "dmy", error, False
    if month_first:
        log.info("%s: slashed dates written month/day (%r at line %d)", shown, *month_first[::-1])
        return "mdy", None, False
    return "dmy", None, bool(serials)


# Excel's day numbers, as a date cell formatted «General» is saved: 1 is 1900-01-01, counted from
# 1899-12-30 (the day 1900-02-29 that Excel counts and never was puts 0 there), 2958465 is 9999-12-31;
# the fraction is the time of day. A Russian Excel writes a decimal comma.
_EXCEL_DAY_ZERO = datetime(1899, 12, 30)  # noqa: DTZ001 - a wall clock: the source's zone is added
_EXCEL_LAST_DAY = 2958465
_DAY_NUMBER = re.compile(r"\d{1,7}(?:[.,]\d+)?")


def _serial_days(value: str) -> float | None:
    """``value`` as an Excel day number (module docstring), None when it cannot be one."""
    if not _DAY_NUMBER.fullmatch(value):
        return None
    days = float(value.replace(",", "."))
    return days if 1 <= days < _EXCEL_LAST_DAY + 1 else None


def excel_serial(value: str, tz: tzinfo) -> datetime | None:
    """The time an Excel day number (``46351.607639``) gives, in ``tz`` (to the second: Excel keeps
    fractions of a day, ``14:35`` is ``.607639``); None when ``value`` is none. Read only in a column
    whose every date is one (:func:`date_column`): ``20261125`` or Unix seconds are not."""
    days = _serial_days(value.strip())
    if days is None:
        return None
    try:
        return (_EXCEL_DAY_ZERO + timedelta(seconds=round(days * 86400))).replace(tzinfo=tz)
    except OverflowError:  # 2958465.99999999 rounds past 9999-12-31 (review: the whole file failed)
        return None


# "now" for a reading that refuses no date for being ahead: the hash of a csv row (csv_hash_date)
_NO_PRESENT = datetime(9000, 1, 1, tzinfo=UTC)


def csv_hash_date(value: str, tz: tzinfo, when: datetime | None, order: str | None) -> datetime | None:
    """The date the hash id of a row of the generic ``csv`` import holds (collectors/file_import.py):
    ``when``, ``value`` as read in the file's ``order``, but a slashed date read month/day as it reads
    day/month when it can (``03/04/2026``: the 3rd of April), and that reading refuses no date ahead
    of the present, so that a row keeps one id whatever order its file, a longer export of it or the
    ``date_order`` option says, and whenever it is imported (review: a longer export with a day above
    12 stored every row again). A date only month/day can be (``11/25/2026``) is hashed as read."""
    if when is None or order != "mdy" or not _SLASHED.search(value):
        return when
    return parse_csv_date(value, tz, "dmy", now=_NO_PRESENT) or when


_ENGLISH_WORD = re.compile(r"[A-Za-z]{3}")  # a month's name; not ISO's «T», «Z»


def hash_date(value: str, tz: tzinfo, when: datetime | None, *, order: str, written: str) -> datetime | None:
    """The date a row's hash id holds (module docstring): ``value`` read day/month, else, in a file
    ``written`` month/day, read month/day; ``when`` is ``value`` as read in ``order``, not read twice."""
    # The hash read the date day/month, as every import did before the file's order was decided: a
    # row keeps one id whichever order its file (or an overlapping export of it) is found to write.
    # A date only month/day can be (11/25) is hashed as read: without it, one author's «Спасибо» of
    # the 25th and of the 26th would be one id (rows imported before this are stored once more).
    # An English date («November 25, 2026») was read as none before English dates were, and is hashed
    # as none (review: each such row was stored a second time).
    # So is a date other than ISO with a zone abbreviation («04/25/2026 10:00 EST»), read as none
    # before, whose «EST» counts as an English word here.
    english = _ENGLISH_WORD.search(value) is not None
    hashed = when if order == "dmy" and not english else _as_before(value, tz, "dmy")
    if hashed is None and written == "mdy":
        hashed = when if order == "mdy" and not english else _as_before(value, tz, "mdy")
    return hashed


def _as_before(value: str, tz: tzinfo, order: str) -> datetime | None:
    """``value`` read as the hash read it: no English date, a zone abbreviation only after ISO."""
    return parse_csv_date(value, tz, order, english=False, iso_zones_only=True)
