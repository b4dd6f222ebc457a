"""The XLSX export as LibreOffice reads it (skipped where LibreOffice is not installed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from testutil import SOFFICE, libreoffice_rows

from review.export import COLUMN_NAMES, export_to_file
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
