"""Cron lines restricting both the day of month and the day of week run on days matching either, as
crontab(5) reads them (`0 9 1-7 * 1`: the 1st to the 7th, and every Monday), not only on days matching
both; with either field `*`, the other alone decides."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from collectors.dates import ALMATY
from ops.slots import first_slot, slot_at, trigger_for


def _run_days(cron: str, start: date, end: date) -> list[date]:
    """The days (Almaty) the line fires on from ``start`` up to ``end``."""
    trigger = trigger_for(cron)
    when = datetime(start.year, start.month, start.day, tzinfo=ALMATY)
    days = []
    while (slot := first_slot(trigger, when)) is not None and slot.astimezone(ALMATY).date() <= end:
        days.append(slot.astimezone(ALMATY).date())
        when = slot + timedelta(seconds=1)
    return days


def _days(*spec: tuple[int, int]) -> list[date]:
    return [date(2026, month, day) for month, day in spec]


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        # 2026-11-30 is a Monday; 1-7 December are Tuesday to Monday.
        ("0 9 1-7 * 1", _days((11, 30), *((12, d) for d in range(1, 8)), (12, 14), (12, 21))),
        ("0 0 9 1-7 * mon", _days((11, 30), *((12, d) for d in range(1, 8)), (12, 14), (12, 21))),
        ("0 9 15 * 0", _days((11, 29), (12, 6), (12, 13), (12, 15), (12, 20))),  # the 15th, and Sundays
        ("0 9 * * 1", _days((11, 30), (12, 7), (12, 14), (12, 21))),  # day of month `*`: Mondays only
        ("0 9 1-7 * *", _days(*((12, d) for d in range(1, 8)))),  # day of week `*`: 1st to 7th only
        ("0 9 */10 * *", _days((12, 1), (12, 11), (12, 21))),
    ],
)
def test_days_follow_crontab(cron: str, expected: list[date]) -> None:
    assert _run_days(cron, date(2026, 11, 29), date(2026, 12, 22)) == expected


def test_a_slot_on_a_day_matching_one_field_is_the_slot_of_the_job() -> None:
    # Wednesday 2 December 09:00:40 Almaty: the 2nd matches 1-7, the weekday does not match Monday.
    now = datetime(2026, 12, 2, 9, 0, 40, tzinfo=ALMATY)
    slot = slot_at(trigger_for("0 9 1-7 * 1"), now, timedelta(seconds=300))
    assert slot == datetime(2026, 12, 2, 9, 0, tzinfo=ALMATY)


def test_a_day_of_week_step_counts_from_sunday_as_crontab_does() -> None:
    """`*/2` is Sunday, Tuesday, Thursday, Saturday in crontab; APScheduler's week starts on Monday, and
    the line ran Monday, Wednesday, Friday, Sunday (review RV4)."""
    days = _run_days("0 9 * * */2", date(2026, 11, 29), date(2026, 12, 5))  # Sunday to Saturday
    assert [d.strftime("%a") for d in days] == ["Sun", "Tue", "Thu", "Sat"]
    days = _run_days("0 9 * * 1-5/2", date(2026, 11, 29), date(2026, 12, 5))
    assert [d.strftime("%a") for d in days] == ["Mon", "Wed", "Fri"]


def test_a_line_that_fires_only_by_its_day_of_week_loads() -> None:
    """`0 9 31 2 1` never fires by its day of month, but crontab runs it on February's Mondays: the
    check at load read the days as both and refused it as never firing (review RV4)."""
    from config.sources import validate_cron

    validate_cron("0 9 31 2 1", where=None)
    assert _run_days("0 9 31 2 1", date(2027, 2, 1), date(2027, 2, 9)) == [date(2027, 2, 1), date(2027, 2, 8)]
