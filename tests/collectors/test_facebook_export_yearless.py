"""`import facebook-export` CSV: a Russian or Kazakh date without a year («25 ноября в 14:30») takes
the year of the import, or the year before when that would put it after the import's day (the rule
collectors.dates reads portals' year-less dates by). A file exported on 25 November and imported
again on 5 January keeps its dates, and the rows without an id keep their hash ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from collectors import facebook_export_dates
from collectors.facebook_export import read_export
from collectors.item import Item
from errors import InputError

ALMATY = timezone(timedelta(hours=5))
COMMENTS = (
    "Name,Date,Comment\n"
    "Айгүл,25 ноября в 14:30,Кто подписывал акты?\n"
    "Ерлан,25 қараша 14:35,Жол қашан жөнделеді?\n"
    "Марат,2026-11-25 14:40,С годом\n"
)


def read_on(
    monkeypatch: pytest.MonkeyPatch, path: Path, now: datetime
) -> tuple[list[Item], list[InputError]]:
    """The export as imported at ``now``."""

    asked: list[datetime] = []

    class Clock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            asked.append(now)
            return now.astimezone(tz) if isinstance(tz, timezone) else now

    monkeypatch.setattr(facebook_export_dates, "datetime", Clock)
    problems: list[InputError] = []
    items = list(read_export(path, source="fb-export", options={}, report=problems.append))
    # the import read this clock, not the machine's (review: the test passed with the real one)
    assert asked, "the import did not ask facebook_export_dates for the time"
    return items, problems


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 25, 10, 0, tzinfo=ALMATY),  # the day it was written, before 14:30
        datetime(2026, 11, 30, tzinfo=UTC),
        datetime(2027, 1, 5, tzinfo=UTC),  # the next year: not 25 November 2027, ten months ahead
        datetime(2027, 11, 24, tzinfo=UTC),  # the day before its first anniversary
    ],
)
def test_a_yearless_date_is_never_after_the_import_and_keeps_its_ids(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, now: datetime
) -> None:
    path = tmp_path / "comments.csv"
    path.write_text(COMMENTS, encoding="utf-8")
    same_year, problems = read_on(monkeypatch, path, datetime(2026, 11, 30, tzinfo=UTC))
    assert problems == []
    assert [i.published_at for i in same_year] == [
        datetime(2026, 11, 25, 14, 30, tzinfo=ALMATY),
        datetime(2026, 11, 25, 14, 35, tzinfo=ALMATY),
        datetime(2026, 11, 25, 14, 40, tzinfo=ALMATY),
    ]
    assert all(i.external_id.startswith("fbx-") for i in same_year)  # hashes that hold the date
    again, problems = read_on(monkeypatch, path, now)
    assert problems == []
    assert [(i.external_id, i.published_at) for i in again] == [
        (i.external_id, i.published_at) for i in same_year
    ]
