"""The XLSX export as LibreOffice reads it (skipped where LibreOffice is not installed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from testutil import SOFFICE, libreoffice_open_csv, libreoffice_rows

from review.export import COLUMN_NAMES, export_to_file, load_records
from review.queries import Filters


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_letters_and_keeps_formula_looking_text_as_text(
    review_db: Path, tmp_path: Path
) -> None:
    xlsx = tmp_path / "flagged.xlsx"
    export_to_file(review_db, Filters(), "xlsx", xlsx)
    rows = libreoffice_rows(xlsx, tmp_path)
    assert list(rows[0]) == COLUMN_NAMES
    by_id = {r["external_id"]: r for r in rows}
    assert by_id["fb-7"]["text"].startswith("Әкімдіктегі шенеунік жер телімін беру үшін пара сұрады.")
    assert by_id["wa-3"]["text"].startswith('=HYPERLINK("http://evil.example";"жми") автобус №5')
    assert by_id["a-100-c1"]["author"] == "Нурлан К."


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("language", [1049, 1087], ids=["russian", "kazakh"])
def test_excel_csv_opens_with_dates_and_numbers_in_russian_and_kazakh_settings(
    review_db: Path, tmp_path: Path, language: int
) -> None:
    source = tmp_path / "flagged.csv"
    export_to_file(review_db, Filters(), "excel-csv", source)
    records = {r["external_id"]: r for r in load_records(review_db, Filters())}
    sheet = load_workbook(
        libreoffice_open_csv(source, tmp_path, separator=";", language=language), data_only=True
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMN_NAMES
    # external_id last; a number-only id (a Telegram post, 480) is written ="480": text, all its digits
    by_id = {str(row[-1]): dict(zip(COLUMN_NAMES, row, strict=True)) for row in rows[1:]}
    assert by_id.keys() == records.keys()
    for external_id, row in by_id.items():
        record = records[external_id]
        # A date-time cell holding the Almaty wall time, and score cells holding numbers.
        assert row["time"] == record["time"].replace(tzinfo=None)
        for label in ("corruption", "infrastructure"):
            assert row[label] == pytest.approx(record[label])
        assert row["cluster_size"] == record["cluster_size"]
    assert by_id["fb-7"]["text"].startswith("Әкімдіктегі шенеунік жер телімін беру үшін пара сұрады.")
    assert "HYPERLINK" in by_id["wa-3"]["text"]  # text, never a formula
