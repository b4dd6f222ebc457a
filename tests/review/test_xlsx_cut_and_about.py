"""XLSX cells cut at Excel's limit always end in «…»; the 'about' sheet says what the rows are and
what text cells leave out."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from review.cells import COLUMN_NAMES, cells_from_records
from review.export_xlsx import write_xlsx_cells
from review.xlsx import CELL_MAX, clean_text


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    "text",
    [
        "🚧 " + "Чиновник акимата требовал взятку за разрешение. " * 900,  # one emoji in 43,000 characters
        "а" * 32_766 + "🚧",  # 32,768 units in 32,767 characters
        "а" * 40_000 + "🚧",  # the emoji past the cut
        "🚧" * 20_000,
        "ж" * 40_000,
    ],
)
def test_every_cut_text_ends_in_the_marker_within_the_limit(text: str) -> None:
    cut = clean_text(text)
    assert cut.endswith("…") and _units(cut) <= CELL_MAX
    assert text.startswith(cut[:-1])
    assert _units(cut) >= CELL_MAX - 1  # no more cut than the limit needs (an emoji takes two units)


def test_a_text_that_fits_is_kept_whole() -> None:
    for text in ("а" * 32_765 + "🚧", "ә" * CELL_MAX, "🚧" * (CELL_MAX // 2)):
        assert clean_text(text) == text


def _record(external_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {name: None for name in COLUMN_NAMES} | {
        "source": "imp", "external_id": external_id, "kind": "post", "text": text, "labels": ["corruption"],
        "added_by_reviewer": [], "evidence": {}, "duplicate_links": [], "cluster_size": 1, "status": "new",
    } | extra  # fmt: skip


def _book(records: list[dict[str, Any]], **options: Any) -> Any:
    buffer = io.BytesIO()
    write_xlsx_cells(cells_from_records(records), buffer, [("sources", "imp")], **options)
    return load_workbook(buffer)


def test_text_and_evidence_cells_with_an_emoji_are_cut_with_the_marker() -> None:
    text = "🚧 " + "Чиновник акимата требовал взятку за разрешение. " * 900
    term = "🚧" + "а" * 40_000
    book = _book([_record("with-emoji", text, evidence={"corruption": [term]})])
    row = next(book["flagged"].iter_rows(min_row=2, values_only=True))
    for name in ("text", "evidence"):
        value = row[COLUMN_NAMES.index(name)]
        assert value.endswith("…") and _units(value) == CELL_MAX, name
    about = dict(book["about"].iter_rows(values_only=True))
    assert about["cut"].startswith("2 texts longer than a cell holds")


def test_about_sheet_of_an_all_duplicates_export_says_one_row_per_item() -> None:
    links = ["https://t.example/1", "https://t.example/2"]
    records = [
        _record(str(n), "Взятка", link=link, cluster_size=2, duplicate_links=links)
        for n, link in enumerate(links)
    ]
    about = dict(_book(records, collapse=False)["about"].iter_rows(values_only=True))
    assert about["near-duplicates"].startswith("one row per flagged item (--all-duplicates)")
    assert "one row per cluster" not in about["near-duplicates"]
    assert about["all duplicates"] == "yes (--all-duplicates): near-duplicates not collapsed"
    assert about["sources"] == "imp"
    collapsed = dict(_book(records[:1])["about"].iter_rows(values_only=True))
    assert collapsed["near-duplicates"].startswith("one row per cluster")
    assert "all duplicates" not in collapsed


def test_about_sheet_says_what_text_cells_leave_out_and_what_time_is() -> None:
    book = _book([_record("ctl", "упр\x01авление\x1f")])
    row = next(book["flagged"].iter_rows(min_row=2, values_only=True))
    assert row[COLUMN_NAMES.index("text")] == "управление"
    about = dict(book["about"].iter_rows(values_only=True))
    assert "control characters U+0001 to U+001F" in about["text cells"]
    assert "32,767 characters" in about["text cells"] and "ends in …" in about["text cells"]
    assert "publication time, else the collection time" in about["times"]
