"""The XLSX export as LibreOffice reads it (skipped where LibreOffice is not installed)."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest

from review.export import COLUMN_NAMES, export_to_file
from review.queries import Filters

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_letters_and_keeps_formula_looking_text_as_text(
    review_db: Path, tmp_path: Path
) -> None:
    xlsx = tmp_path / "flagged.xlsx"
    export_to_file(review_db, Filters(), "xlsx", xlsx)
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
         "--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76,1', "--outdir", str(tmp_path), str(xlsx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    with (tmp_path / "flagged.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == COLUMN_NAMES
    by_id = {r["external_id"]: r for r in rows}
    assert by_id["fb-7"]["text"].startswith("Әкімдіктегі шенеунік жер телімін беру үшін пара сұрады.")
    assert by_id["wa-3"]["text"].startswith('=HYPERLINK("http://evil.example";"жми") автобус №5')
    assert by_id["a-100-c1"]["author"] == "Нурлан К."
