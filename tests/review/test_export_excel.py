"""Cells that Excel opening a CSV would turn into numbers or dates (ids of more than 15 digits, titles
such as 03.04) stay their exact text in ``excel-csv``; ``csv`` keeps them as they are; XLSX types
them as text."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from testutil import SOFFICE, libreoffice_open_csv

from review.export import COLUMN_NAMES, FORMULA_START, load_records, write_records
from review.export_excel import read_as_typed
from review.queries import Filters

# What Excel or LibreOffice opening a CSV reads as a number, a date, a time or a truth value.
TYPED = [
    "123456789012345678",  # a Telegram or Facebook id: 1.23457E+17, its last digits lost
    "0480",
    "03.04",
    "1-2",
    "3.04.",
    "2024-03-04",
    "12:30",
    "5 мая",
    "1 000",
    "10%",
    "(5)",
    "-10",
    "1,5",
    "ИСТИНА",
]
# Text that stays text, written as it is (a formula-looking one after an apostrophe, as before).
PLAIN = ["Новость 5 мая", "https://t.me/city/480", "март", "№5", '=HYPERLINK("http://evil.example";"x")']


@pytest.fixture
def records(review_db: Path) -> list[dict[str, Any]]:
    """The fixture's export records, the first ones holding the values above as id, title and note."""
    records = load_records(review_db, Filters())
    values = TYPED + PLAIN
    assert len(records) >= 3
    for n, value in enumerate(values):
        record = records[n % len(records)] if n < len(records) else dict(records[n % len(records)])
        if n >= len(records):
            records.append(record)
        record["external_id"] = f"id-{n}" if value.startswith("=") else value
        record["title"] = value
        record["note"] = value
    return records


def _rows(records: list[dict[str, Any]], fmt: str) -> list[dict[str, str]]:
    out = io.BytesIO()
    write_records(records, fmt, out)
    text = out.getvalue().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";" if fmt == "excel-csv" else ","))


def test_excel_csv_writes_what_excel_would_type_as_text_and_csv_as_it_is(
    records: list[dict[str, Any]],
) -> None:
    excel = _rows(records, "excel-csv")
    plain = _rows(records, "csv")
    for record, row, same in zip(records, excel, plain, strict=True):
        for name in ("external_id", "title", "note"):
            value = record[name]
            if value in TYPED:
                assert row[name] == f'="{value}"'  # a formula that is its text, nothing else
                # csv defuses formula-looking text alike, whatever follows the sign
                assert same[name] == ("'" + value if value.startswith(FORMULA_START) else value)
            elif value.startswith("="):
                assert row[name] == same[name] == "'" + value
            else:
                assert row[name] == same[name] == value
    # Columns meant to be numbers and dates stay so.
    assert all(not row["cluster_size"].startswith("=") and not row["time"].startswith("=") for row in excel)


@pytest.mark.parametrize("value", TYPED)
def test_what_excel_types_is_recognised(value: str) -> None:
    assert read_as_typed(value)
    assert read_as_typed(f" {value} ")


@pytest.mark.parametrize("value", [*PLAIN, "", "1\n2", "e", "Автор 12", "src-3", "c480"])
def test_text_excel_keeps_is_left_alone(value: str) -> None:
    assert not read_as_typed(value)


def test_a_long_number_keeps_an_apostrophe_beyond_what_a_formula_holds(records: list[dict[str, Any]]) -> None:
    records[0]["text"] = "7" * 300  # longer than a string in an Excel formula may be
    assert _rows(records, "excel-csv")[0]["text"] == "'" + "7" * 300


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_excel_csv_with_ids_and_date_like_titles_as_their_text(
    records: list[dict[str, Any]], tmp_path: Path
) -> None:
    source = tmp_path / "flagged.csv"
    with source.open("wb") as out:
        write_records(records, "excel-csv", out)
    book = load_workbook(libreoffice_open_csv(source, tmp_path, separator=";", language=1049), data_only=True)
    rows = list(book.active.iter_rows(min_row=2))
    assert len(rows) == len(records)
    index = {name: COLUMN_NAMES.index(name) for name in ("external_id", "title", "note")}
    for record, row in zip(records, rows, strict=True):
        for name, column in index.items():
            cell = row[column]
            expected = "'" + record[name] if record[name].startswith("=") else record[name]
            assert (cell.value, cell.data_type) == (expected, "s"), name


def test_xlsx_writes_ids_and_date_like_text_as_text(records: list[dict[str, Any]]) -> None:
    out = io.BytesIO()
    write_records(records, "xlsx", out)
    rows = list(load_workbook(out).worksheets[0].iter_rows(min_row=2))
    index = {name: COLUMN_NAMES.index(name) for name in ("external_id", "title", "note")}
    for record, row in zip(records, rows, strict=True):
        for name, column in index.items():
            assert (row[column].value, row[column].data_type) == (record[name], "s"), name
