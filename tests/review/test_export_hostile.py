"""Exports of data that is hard to carry: times past Python's calendar, more rows than a sheet holds,
texts longer than a cell, a disk that fills while the file is written."""

from __future__ import annotations

import csv
import io
import json
import math
import resource
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from testutil import ROOT, SOFFICE, libreoffice_open_csv, run_cli

from errors import InputError
from review import export
from review.cells import COLUMN_NAMES, Cells, cells_from_records
from review.export import FORMATS, export_to_file, write_csv_cells, write_xlsx_cells
from review.queries import LOCAL_TZ, Filters, record_decision
from review.xlsx import CELL_MAX, MAX_ROWS
from store.db import writer

# The last hour of year 9999 in UTC: Almaty's clock (UTC+5) is in year 10000 by then.
LAST_HOUR = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)


@pytest.fixture
def far_future_db(tmp_path: Path) -> Path:
    """A store whose one flagged item is dated in the last hour of 9999 (a date an analyst's SQL may write)."""
    path = tmp_path / "far.duckdb"
    with writer(path) as con:
        con.execute(
            """INSERT INTO items (source, external_id, kind, url, published_at, collected_at, updated_at,
               text, content_hash) VALUES ('city-portal', 'far-1', 'comment', 'https://portal.example.kz/9',
               ?, ?, ?, 'Взятка за справку', 'h-far-1')""",
            [LAST_HOUR, LAST_HOUR, LAST_HOUR],
        )
        con.execute(
            """INSERT INTO classifications VALUES ('city-portal', 'far-1', 'test-1', 'h-far-1', 'ru', 0.9, 0.1,
               ['corruption'], '{"corruption": ["взятка"]}', ?)""",
            [LAST_HOUR],
        )
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_time_past_year_9999_in_almaty_exports_in_every_format(
    far_future_db: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"far.{fmt}"
    assert export_to_file(far_future_db, Filters(), fmt, out) == 1
    if fmt == "json":
        (record,) = json.loads(out.read_text(encoding="utf-8"))
        assert record["time"] == "9999-12-31T23:00:00+00:00"  # the same moment, in UTC
    elif fmt in ("csv", "excel-csv"):
        text = out.read_text(encoding="utf-8-sig")
        (row,) = csv.DictReader(io.StringIO(text), delimiter=";" if fmt == "excel-csv" else ",")
        assert row["time"] == "10000-01-01T04:00:00+05:00"
        assert row["text"] == "Взятка за справку"


def test_more_rows_than_a_sheet_holds_are_one_clear_error() -> None:
    empty = [None] * MAX_ROWS  # one row more than fits below the header
    cells = Cells({name: empty for name in COLUMN_NAMES}, {"time": empty, "reviewed_at": empty})
    with pytest.raises(InputError) as caught:
        write_xlsx_cells(cells, io.BytesIO())
    assert str(caught.value) == (
        "1,048,576 rows do not fit in an Excel sheet (at most 1,048,575); narrow the filters, or export csv or parquet"
    )


def _record(external_id: str, text: str) -> dict[str, object]:
    return {name: None for name in COLUMN_NAMES} | {
        "source": "dept-whatsapp", "external_id": external_id, "text": text, "labels": ["corruption"],
        "added_by_reviewer": [], "evidence": {}, "duplicate_links": [], "cluster_size": 1, "status": "new",
    }  # fmt: skip


def test_texts_cut_at_the_cell_limit_are_counted_on_the_about_sheet() -> None:
    records = [
        _record("long", "ж" * 40_000),
        _record("emoji", "🚧" * (CELL_MAX // 2 + 1)),  # two UTF-16 units each: one more than a cell holds
        _record("full", "ә" * CELL_MAX),  # exactly a cell: kept whole
        _record("short", "Шұңқыр"),
    ]
    buffer = io.BytesIO()
    write_xlsx_cells(cells_from_records(records), buffer)
    book = load_workbook(buffer)
    texts = {
        row[-1]: row[COLUMN_NAMES.index("text")]
        for row in book["flagged"].iter_rows(min_row=2, values_only=True)
    }
    assert texts["long"].endswith("…") and len(texts["long"]) == CELL_MAX
    assert texts["full"] == "ә" * CELL_MAX
    about = dict(book["about"].iter_rows(values_only=True))
    assert about["cut"] == (
        "2 texts longer than a cell holds (32,767 characters) end in …; CSV, JSON and Parquet exports hold them whole"
    )


def test_nothing_cut_says_nothing() -> None:
    buffer = io.BytesIO()
    write_xlsx_cells(cells_from_records([_record("short", "Шұңқыр")]), buffer)
    assert "cut" not in dict(load_workbook(buffer)["about"].iter_rows(values_only=True))


def test_csv_written_in_chunks_is_the_csv_written_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    cells = cells_from_records([_record(f"wa-{n}", f"=Шұңқыр {n}\r\nжол") for n in range(7)])
    whole = io.BytesIO()
    write_csv_cells(cells, whole)
    monkeypatch.setattr(export, "CHUNK_ROWS", 3)
    for excel in (False, True):
        chunked = io.BytesIO()
        write_csv_cells(cells, chunked, excel=excel)
        if not excel:
            assert chunked.getvalue() == whole.getvalue()
        assert chunked.getvalue().count("Шұңқыр".encode()) == 7


def _export_with_file_size_limit(
    db: Path, fmt: str, out: Path, limit: int
) -> subprocess.CompletedProcess[str]:
    """`pipeline.py export` allowed to write files of ``limit`` bytes at most: a disk that fills."""

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "export", "--db", str(db), "--format", fmt, "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=180, preexec_fn=small_disk,
    )  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "xlsx", "training-jsonl"])
def test_a_full_disk_leaves_the_earlier_file_as_it_was(review_db: Path, tmp_path: Path, fmt: str) -> None:
    record_decision(review_db, "dept-whatsapp", "wa-3", status="confirmed", reviewer="aigerim")
    out = tmp_path / f"week.{fmt}"
    out.write_bytes(b"last week's export\n")
    done = _export_with_file_size_limit(review_db, fmt, out, limit=100)
    assert done.returncode == 1
    assert out.read_bytes() == b"last week's export\n"
    what = "the training file" if fmt == "training-jsonl" else "the export"
    assert done.stderr.strip() == f"error: {out}: cannot write {what}: File too large"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no part left


def test_export_to_stdout_and_through_a_symbolic_link(review_db: Path, tmp_path: Path) -> None:
    done = run_cli("export", "--db", str(review_db), "--format", "csv", "--out", "/dev/stdout")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("\ufefflink,source,kind,author,time,")
    done = run_cli("export", "--db", str(review_db), "--format", "json", "--out", "/dev/stdout")
    rows = json.loads(done.stdout)  # the file alone: the line saying so went to stderr
    assert done.stderr.strip() == f"wrote {len(rows)} rows to /dev/stdout"
    target = tmp_path / "exports" / "latest.csv"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    target.chmod(0o600)  # flagged items: the analyst keeps the file to themselves
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    export_to_file(review_db, Filters(), "csv", link)
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8-sig").startswith("link,source,")
    assert target.stat().st_mode & 0o777 == 0o600


def _strict_json(data: bytes) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(data, parse_constant=refuse)


def test_a_score_that_is_no_number_is_null_in_json(monkeypatch: pytest.MonkeyPatch) -> None:
    records = [
        _record(f"wa-{n}", "Шұңқыр") | {"corruption": score}
        for n, score in enumerate([0.5, math.nan, math.inf])
    ]
    whole = io.BytesIO()
    export.write_json(records, whole)
    assert [r["corruption"] for r in _strict_json(whole.getvalue())] == [0.5, None, None]
    monkeypatch.setattr(export, "CHUNK_ROWS", 2)
    chunked = io.BytesIO()
    export.write_json(records, chunked)
    assert chunked.getvalue() == whole.getvalue()
    empty = io.BytesIO()
    export.write_json([], empty)
    assert empty.getvalue() == b"[]"


def test_times_excel_cannot_hold_as_dates_go_in_as_their_text() -> None:
    first_of_1900 = datetime(1900, 1, 1, 0, 0, tzinfo=LOCAL_TZ)
    last_of_9999 = datetime(9999, 12, 31, 23, 59, tzinfo=LOCAL_TZ)
    times = {
        "year-1": datetime(1, 1, 1, 12, 0, tzinfo=LOCAL_TZ),  # a placeholder for "no date"
        "last-of-1899": datetime(1899, 12, 31, 23, 59, tzinfo=LOCAL_TZ),
        "first-of-1900": first_of_1900,
        "last-of-9999": last_of_9999,
        "none": None,
    }
    records = [_record(name, "Шұңқыр") | {"time": when} for name, when in times.items()]
    buffer = io.BytesIO()
    write_xlsx_cells(cells_from_records(records), buffer)
    sheet = load_workbook(buffer)["flagged"]
    column = COLUMN_NAMES.index("time")
    cells = {row[-1].value: row[column] for row in sheet.iter_rows(min_row=2)}
    assert (cells["year-1"].data_type, cells["year-1"].value) == ("s", "0001-01-01T12:00:00+05:07:48")
    assert (cells["last-of-1899"].data_type, cells["last-of-1899"].value) == (
        "s",
        "1899-12-31T23:59:00+05:07:48",
    )
    assert cells["first-of-1900"].value == first_of_1900.replace(tzinfo=None)
    assert cells["last-of-9999"].value == last_of_9999.replace(tzinfo=None)
    assert cells["none"].value is None


def test_a_folder_as_out_is_refused_before_the_export_is_read(
    review_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_args: object, **_kwargs: object) -> None:
        pytest.fail("the export was read before its file was checked")

    monkeypatch.setattr(export, "read_export", never)
    with pytest.raises(InputError) as caught:
        export_to_file(review_db, Filters(), "xlsx", tmp_path)
    assert str(caught.value) == f"{tmp_path}: cannot write the export: Is a directory"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_excel_csv_never_turns_year_1_into_2001(tmp_path: Path) -> None:
    times = {
        "year-1": datetime(1, 1, 1, 12, 0, tzinfo=LOCAL_TZ),  # a placeholder for "no date"
        "ordinary": datetime(1995, 7, 1, 12, 0, tzinfo=LOCAL_TZ),
    }
    records = [_record(name, "Шұңқыр") | {"time": when} for name, when in times.items()]
    source = tmp_path / "flagged.csv"
    with source.open("wb") as out:
        write_csv_cells(cells_from_records(records), out, excel=True)
    assert "0001-01-01T12:00:00+05:07:48;" in source.read_text(encoding="utf-8-sig")
    sheet = load_workbook(libreoffice_open_csv(source, tmp_path, separator=";", language=1049)).active
    column = COLUMN_NAMES.index("time")
    read = {row[-1]: row[column] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert read == {
        "year-1": "0001-01-01T12:00:00+05:07:48",  # text, as in the XLSX export
        "ordinary": times["ordinary"].replace(tzinfo=None),
    }


@pytest.mark.parametrize("fmt", ["csv", "training-jsonl"])
def test_out_naming_the_database_is_refused_and_the_database_kept(review_db: Path, fmt: str) -> None:
    before = review_db.read_bytes()
    done = run_cli("export", "--db", str(review_db), "--format", fmt, "--out", str(review_db))
    assert done.returncode == 1
    assert review_db.read_bytes() == before
    assert done.stderr.strip() == (
        f"error: {review_db}: --out names the database itself; give the export a file of its own"
    )
