"""The exports' readable evidence column names the terms as the review page does: as the text writes
them where the classifier rewrote its words (Kazakh in Latin letters, translit); the machine column
(JSON, Parquet) keeps the classifier's form."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from review.cells import cells_from_records, select_cells
from review.export import export_to_file, load_records
from review.filters import Filters
from tests.review.test_evidence_written import KK_LATIN, KK_LATIN_EVIDENCE, TRANSLIT, _add

WRITTEN = (
    "corruption: para sūrady (пара сұрады), sybailas jemqorlyq (сыбайлас жемқорлық), jemqorlyq (жемқорлық)"
)
CYRILLIC = "Әкімдіктегі шенеунік пара сұрады, https://example.kz WhatsApp"


def _store(review_db: Path) -> Path:
    _add(review_db, "tg-news", "kk-latin-1", KK_LATIN, KK_LATIN_EVIDENCE, "kk")
    _add(review_db, "tg-news", "ru-translit-1", TRANSLIT, {"corruption": ["взятку", "коррупция"]}, "ru")
    _add(review_db, "tg-news", "kk-cyr-1", CYRILLIC, {"corruption": ["пара сұрады"]}, "kk")
    return review_db


def _evidence_by_id(ids: list[str], evidence: list[str]) -> dict[str, str]:
    return {
        i: e for i, e in zip(ids, evidence, strict=True) if i in ("kk-latin-1", "ru-translit-1", "kk-cyr-1")
    }


def test_csv_and_xlsx_cells_name_the_terms_as_written(review_db: Path) -> None:
    db = _store(review_db)
    with duckdb.connect(str(db), read_only=True) as con:
        cells = select_cells(con, Filters())
    by_id = _evidence_by_id(cells.columns["external_id"], cells.columns["evidence"])
    assert by_id == {
        "kk-latin-1": WRITTEN,
        "ru-translit-1": "corruption: vzyatku (взятку), korrupciya (коррупция)",
        "kk-cyr-1": "corruption: пара сұрады",  # a Cyrillic text (with a Latin link) as before
    }
    # The same from records in memory (the two roads to the cells stay equal).
    records = load_records(db, Filters())
    from_records = cells_from_records(records)
    assert _evidence_by_id(from_records.columns["external_id"], from_records.columns["evidence"]) == by_id


def test_the_files_written_hold_it_and_the_machine_columns_are_as_stored(
    review_db: Path, tmp_path: Path
) -> None:
    db = _store(review_db)
    for fmt in ("csv", "excel-csv", "xlsx", "json", "parquet"):
        export_to_file(db, Filters(), fmt, tmp_path / f"out.{fmt}")
    assert WRITTEN in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert WRITTEN in (tmp_path / "out.excel-csv").read_text(encoding="utf-8-sig")
    with zipfile.ZipFile(tmp_path / "out.xlsx") as book:
        assert WRITTEN in book.read("xl/worksheets/sheet1.xml").decode()
    rows = {
        row["external_id"]: row for row in json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    }
    assert rows["kk-latin-1"]["evidence"] == KK_LATIN_EVIDENCE
    table = pq.read_table(io.BytesIO((tmp_path / "out.parquet").read_bytes())).to_pylist()
    parquet = {row["external_id"]: json.loads(row["evidence"]) for row in table}
    assert parquet["kk-latin-1"] == KK_LATIN_EVIDENCE
