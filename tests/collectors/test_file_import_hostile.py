"""CSV and JSON Lines imports as months of unattended runs meet them: a server whose tz database is
older than Kazakhstan's 2024 change, and files of many megabytes."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from collectors import dates, facebook_export, file_import
from collectors.item import Item
from errors import InputError

Reader = Callable[..., Iterator[Item]]


def read(reader: Reader, path: Path, **options: Any) -> tuple[list[Item], list[InputError]]:
    errors: list[InputError] = []
    items = list(reader(path, source="imp", options=options, report=errors.append))
    return items, errors


@pytest.fixture
def stale_tz_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asia/Almaty as a tz database older than 2024a has it (UTC+6 for good); collectors.dates then
    uses its own rule, which every importer must follow."""

    def stale_zoneinfo(name: str) -> tzinfo:
        return timezone(timedelta(hours=6)) if name == "Asia/Almaty" else ZoneInfo(name)

    monkeypatch.setattr(dates, "ALMATY", dates.AlmatyRule())
    monkeypatch.setattr(dates, "ZoneInfo", stale_zoneinfo)
    for module in (file_import, facebook_export):
        monkeypatch.setattr(module, "ZoneInfo", stale_zoneinfo, raising=False)


AFTER = datetime(2025, 11, 25, 9, 35, tzinfo=UTC)  # 14:35 at UTC+5, since 2024-03-01
BEFORE = datetime(2024, 1, 15, 8, 35, tzinfo=UTC)  # 14:35 at UTC+6, before


@pytest.mark.usefixtures("stale_tz_database")
@pytest.mark.parametrize("options", [{}, {"tz": "Asia/Almaty"}])
def test_csv_and_jsonl_times_in_almaty_with_an_old_tz_database(
    tmp_path: Path, options: dict[str, str]
) -> None:
    csv_path = tmp_path / "rows.csv"
    csv_path.write_text("text,published_at\nпосле,25.11.2025 14:35\nдо,2024-01-15 14:35\n", encoding="utf-8")
    jsonl_path = tmp_path / "rows.jsonl"
    jsonl_path.write_text(
        '{"text": "после", "published_at": "2025-11-25T14:35"}\n'
        '{"text": "до", "published_at": "15.01.2024 14:35"}\n',
        encoding="utf-8",
    )
    for reader, path in ((file_import.read_csv, csv_path), (file_import.read_jsonl, jsonl_path)):
        items, errors = read(reader, path, **options)
        assert errors == []
        assert [i.published_at for i in items] == [AFTER, BEFORE]


@pytest.mark.usefixtures("stale_tz_database")
def test_facebook_export_csv_with_tz_almaty_and_an_old_tz_database(tmp_path: Path) -> None:
    path = tmp_path / "monitoring.csv"
    path.write_text("Текст;Дата;Ссылка\nпосле;25.11.2025 14:35;\nдо;15.01.2024 14:35;\n", encoding="utf-8")
    items, errors = read(facebook_export.read_export, path, tz="Asia/Almaty")
    assert errors == []
    assert [i.published_at for i in items] == [AFTER, BEFORE]


def peak_memory(reader: Reader, path: Path) -> tuple[int, int]:
    """(items read, the peak of memory Python allocated meanwhile)."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in reader(path, source="imp", options={}, report=print))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_long_csv_is_not_copied_into_memory_again(tmp_path: Path) -> None:
    # The csv module read the text through io.StringIO, which copies it at four bytes a character, and
    # the ids of rows without an id held every row's text once more.
    path = tmp_path / "rows.csv"
    path.write_text(
        "text,author,published_at\n"
        + "".join(
            f"Жалоба номер {n} на яму во дворе дома,Житель {n % 50},2025-11-{1 + n % 28:02d} 10:{n % 60:02d}\n"
            for n in range(20_000)
        ),
        encoding="utf-8",
    )
    count, peak = peak_memory(file_import.read_csv, path)
    assert count == 20_000
    assert peak < 6 * path.stat().st_size


def test_a_long_jsonl_file_is_not_held_as_a_list_of_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {"text": f"Жалоба номер {n} на яму во дворе дома", "author": f"Житель {n % 50}"},
                ensure_ascii=False,
            )
            + "\n"
            for n in range(20_000)
        ),
        encoding="utf-8",
    )
    count, peak = peak_memory(file_import.read_jsonl, path)
    assert count == 20_000
    assert peak < 5 * path.stat().st_size


def test_jsonl_values_that_are_not_text_or_numbers_are_errors(tmp_path: Path) -> None:
    # true, a list or an object were stored as Python's spelling of them ("True", "['a']"). Numbers are
    # read as before (1.0 stays "1.0": ids of files imported earlier must not change).
    rows = [
        {"id": 1.0, "text": "Ямы во дворе"},
        {"id": True, "text": "Свет погас"},
        {"id": "a2", "text": "Нет воды", "author": ["Айгерим"]},
        {"id": "a3", "text": "Лифт стоит", "url": {"href": "x"}},
        {"id": 7, "text": "Автобус не пришёл", "author": 15},
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    items, errors = read(file_import.read_jsonl, path)
    assert [(i.external_id, i.author) for i in items] == [("1.0", None), ("7", "15")]
    assert [(e.line, e.message) for e in errors] == [
        (2, "id must be text or a number, not true or false"),
        (3, "author must be text or a number, not a list"),
        (4, "url must be text or a number, not an object"),
    ]
