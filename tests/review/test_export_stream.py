"""Exports written as they are read: the same file whatever the size of the pieces read, the same file
as the export read whole, on a store with hostile values (times past year 9999 in Almaty and in
year 1, scores that are no number, formula-looking and multi-line texts, clusters whose members
fall in different pieces)."""

from __future__ import annotations

import gc
import io
import json
import logging
import math
import re
import subprocess
import sys
import weakref
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from testutil import ROOT, SOFFICE, libreoffice_rows

from errors import InputError
from review import export, export_stream, export_xlsx
from review.cells import (
    _CELLS,
    COLUMN_NAMES,
    TIME_COLUMNS,
    Cells,
    cells_of,
    parquet_schema,
    select_cells,
    select_table,
    wall_time,
)
from review.export import export_to_file, read_export, write_export
from review.export_stream import STREAMED, stream_export
from review.queries import Filters, describe, flagged_rows_sql
from review.xlsx import END_DATE, FIRST_DATE, clean_text
from store.db import reader, writer

LAST_HOUR = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)  # year 10000 on Almaty's clock
YEAR_ONE = datetime(1, 1, 1, 12, 0, tzinfo=UTC)  # a placeholder for "no date"
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
TEXTS = [
    "Взятка за справку в акимате",
    '=HYPERLINK("http://evil.example";"жми") пара сұрады',
    "+7 777 000 00 00 звонил, просили откат",
    "-10% от сметы ушло подрядчику",
    "@акимат ответьте: ямы вокруг люков",
    'Шұңқыр, жол жоқ\r\nаялдамада; «кавычки», запятые, "двойные"',
    "\tотступ и ремонт",
    "Жол жөндеу сапасыз жүргізілді. " * 200,  # 6,200 characters
    "",
]
EVIDENCE = [
    '{"corruption": ["взятка", " откат "], "infrastructure": ["яма"]}',
    '{"corruption": [{"term": "пара"}, 5, null, ""], "infrastructure": "ремонт"}',
    "[1, 2]",
    None,
    '{"=f": ["=1"]}',
]
ITEMS = 60


def _item(n: int) -> dict[str, Any]:
    """The n-th item of the hostile store: articles every 10th, comments under them, odd values by n."""
    article = n % 10 == 0
    when: datetime | None = START + timedelta(hours=n // 2)  # pairs at one time: the tie-break decides
    when = {5: LAST_HOUR, 6: YEAR_ONE, 7: datetime(1899, 12, 31, 20, 0, tzinfo=UTC), 8: None}.get(n, when)
    # k2's second member is not flagged; i-41 joins i-40, which has no cluster of its own (its key is one).
    clusters = {
        21: "k1",
        27: "k1",
        44: "k1",
        30: "k2",
        31: "k2",
        52: "k3",
        5: "k3",
        6: "k3",
        41: "tg-city|i-40",
    }
    cluster = clusters.get(n)
    url = {27: "https://t.example/9", 44: "https://t.example/9", 31: None}.get(
        n, f"https://portal.example.kz/{n}"
    )
    scores = {11: (math.nan, 0.9), 12: (math.inf, -math.inf), 13: (None, 0.8), 14: (0.7, None)}.get(
        n, (0.5 + (n % 5) / 10, 0.2 + (n % 7) / 10)
    )
    return {
        "source": ("city-portal", "tg-city", "dept-whatsapp")[n % 3],
        "external_id": f"i-{n:02d}",
        "kind": "article" if article else "comment",
        "parent": None if article else f"i-{n // 10 * 10:02d}",
        "url": url,
        "author": None if n % 4 == 0 else f"=автор {n}" if n % 9 == 0 else f"Автор {n}",
        "title": f"Новость {n}: ремонт на Абая" if article else None,
        "text": TEXTS[n % len(TEXTS)],
        "published_at": when,
        "collected_at": when or START,
        "cluster_id": cluster,
        "evidence": EVIDENCE[n % len(EVIDENCE)],
        "scores": scores,
    }


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of ITEMS items (all flagged but every 8th) with the values exports find hard."""
    path = tmp_path_factory.mktemp("stream") / "hostile.duckdb"
    with writer(path) as con:
        for n in range(ITEMS):
            row = _item(n)
            con.execute(
                """INSERT INTO items (source, external_id, kind, parent, url, author, title, published_at,
                   collected_at, updated_at, text, content_hash, cluster_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [row["source"], row["external_id"], row["kind"], row["parent"], row["url"], row["author"],
                 row["title"], row["published_at"], row["collected_at"], row["collected_at"], row["text"],
                 f"h-{n}", row["cluster_id"]],
            )  # fmt: skip
            labels = [] if n % 8 == 7 else ["corruption"] if n % 2 else ["corruption", "infrastructure"]
            con.execute(
                "INSERT INTO classifications VALUES (?, ?, 'test-1', ?, 'ru', ?, ?, ?, ?::JSON, ?)",
                [row["source"], row["external_id"], f"h-{n}", *row["scores"], labels, row["evidence"], START],
            )
        for n, status, note, when in [
            (3, "confirmed", "=в прокуратуру", START),
            (9, "forwarded", "срочно;\nпроверить", LAST_HOUR),
            (21, "rejected", None, YEAR_ONE),
        ]:
            row = _item(n)
            con.execute(
                """INSERT INTO reviews (source, external_id, status, forwarded_to, reviewer, note, created_at)
                   VALUES (?, ?, ?, ?, 'aigerim', ?, ?)""",
                [row["source"], row["external_id"], status, "прокуратура" if status == "forwarded" else None,
                 note, when],
            )  # fmt: skip
    return path


FILTERS = pytest.mark.parametrize(
    "filters",
    [Filters(), Filters(label="infrastructure", min_score=0.6), Filters(since=date(2026, 3, 1))],
    ids=["all", "label-score", "since"],
)
COLLAPSE = pytest.mark.parametrize("collapse", [True, False], ids=["clusters", "every-item"])


def _streamed(db: Path, filters: Filters, fmt: str, collapse: bool, rows: int, out: Path) -> Any:
    export_to_file(db, filters, fmt, out, collapse=collapse, rows=rows)
    return _comparable(out.read_bytes(), fmt)


def _read_whole(db: Path, filters: Filters, fmt: str, collapse: bool) -> Any:
    """The file as the export read whole writes it (the review page's download)."""
    buffer = io.BytesIO()
    with reader(db) as con:
        write_export(
            read_export(con, filters, fmt, collapse=collapse),
            fmt,
            buffer,
            about=describe(filters),
            collapse=collapse,
        )
    return _comparable(buffer.getvalue(), fmt)


def _comparable(data: bytes, fmt: str) -> Any:
    """The file's bytes; for XLSX, the bytes of each part, the time it was exported left out (and so
    how the zip was written: with sizes after each part when written to a pipe)."""
    if fmt != "xlsx":
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    about = parts["xl/worksheets/sheet2.xml"]
    parts["xl/worksheets/sheet2.xml"] = re.sub(
        rb">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d<", b">(time)<", about, count=1
    )
    assert parts["xl/worksheets/sheet2.xml"] != about
    return parts


@pytest.mark.parametrize("fmt", STREAMED)
@COLLAPSE
@FILTERS
def test_the_size_of_the_pieces_read_does_not_change_the_file(
    hostile_db: Path, tmp_path: Path, fmt: str, collapse: bool, filters: Filters
) -> None:
    one_piece = _streamed(hostile_db, filters, fmt, collapse, rows=10_000, out=tmp_path / "one")
    assert _streamed(hostile_db, filters, fmt, collapse, rows=3, out=tmp_path / "small") == one_piece
    assert _streamed(hostile_db, filters, fmt, collapse, rows=1, out=tmp_path / "rows") == one_piece
    assert _read_whole(hostile_db, filters, fmt, collapse) == one_piece


@pytest.mark.parametrize("fmt", STREAMED)
def test_no_rows_is_the_same_file_as_read_whole(hostile_db: Path, tmp_path: Path, fmt: str) -> None:
    nothing = Filters(query="нет такого текста")
    assert export_to_file(hostile_db, nothing, fmt, tmp_path / "none") == 0
    assert _comparable((tmp_path / "none").read_bytes(), fmt) == _read_whole(hostile_db, nothing, fmt, True)
    if fmt == "json":
        assert (tmp_path / "none").read_bytes() == b"[]"
    elif fmt == "parquet":
        assert pq.read_table(tmp_path / "none").schema == parquet_schema()


@COLLAPSE
@FILTERS
def test_clusters_computed_for_the_export_equal_the_stores_own(
    hostile_db: Path, filters: Filters, collapse: bool
) -> None:
    # review.queries.flagged_rows_sql numbers clusters in a window over every row; the export's query
    # does it over the rows that share a cluster only. The cells of both must be the same.
    with_clause, params = flagged_rows_sql(filters, collapse=collapse)
    with reader(hostile_db) as con:
        stores = cells_of(
            con.sql(
                with_clause + _CELLS.replace("FROM export_picked", "FROM picked"), params=params
            ).to_arrow_table()
        )
        exports = select_cells(con, filters, collapse=collapse)
    assert len(exports) > 0
    assert repr(exports.columns) == repr(stores.columns)  # repr: a score that is NaN equals itself
    assert exports.local_seconds == stores.local_seconds


def test_hostile_values_come_out_as_before(hostile_db: Path, tmp_path: Path) -> None:
    export_to_file(hostile_db, Filters(), "json", tmp_path / "f.json", collapse=False, rows=4)

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    rows = {
        r["external_id"]: r for r in json.loads((tmp_path / "f.json").read_bytes(), parse_constant=refuse)
    }
    assert rows["i-05"]["time"] == "9999-12-31T23:00:00+00:00"  # the same moment, in UTC
    assert rows["i-06"]["time"] == "0001-01-01T17:07:48+05:07:48"
    assert rows["i-11"]["corruption"] is None and rows["i-12"]["infrastructure"] is None
    assert rows["i-09"]["reviewed_at"] == "9999-12-31T23:00:00+00:00"
    assert rows["i-44"]["cluster_size"] == 3
    assert rows["i-44"]["duplicate_links"] == ["https://portal.example.kz/21"]  # its own link not repeated
    assert rows["i-41"]["cluster_size"] == rows["i-40"]["cluster_size"] == 2
    assert rows["i-30"]["cluster_size"] == 1  # the other member is not flagged
    export_to_file(hostile_db, Filters(), "excel-csv", tmp_path / "f.csv", collapse=False, rows=4)
    text = (tmp_path / "f.csv").read_text(encoding="utf-8-sig")
    assert ";10000-01-01T04:00:00+05:00;" in text  # no date Excel holds: the ISO text
    assert ";0001-01-01T17:07:48+05:07:48;" in text
    assert text.count("link;source;kind") == 1


@pytest.mark.parametrize("collapse", [True, False], ids=["clusters", "every-item"])
def test_parquet_row_groups_do_not_depend_on_the_pieces(
    hostile_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collapse: bool
) -> None:
    monkeypatch.setattr(export_stream, "PARQUET_ROW_GROUP", 4)
    one_piece = _streamed(hostile_db, Filters(), "parquet", collapse, rows=10_000, out=tmp_path / "one")
    assert _streamed(hostile_db, Filters(), "parquet", collapse, rows=3, out=tmp_path / "small") == one_piece
    written = pq.ParquetFile(tmp_path / "one")
    with reader(hostile_db) as con:
        whole = select_table(con, Filters(), collapse=collapse)
    assert written.metadata.num_row_groups == -(-whole.num_rows // 4)
    assert written.schema_arrow == parquet_schema()
    assert repr(written.read().to_pylist()) == repr(whole.to_pylist())  # repr: NaN equals itself


def test_a_query_over_the_memory_limit_runs_again_without_it(
    hostile_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    expected = _streamed(hostile_db, Filters(), "csv", True, rows=5, out=tmp_path / "expected.csv")
    monkeypatch.setattr(export_stream, "QUERY_MEMORY", "1MB")  # less than any sort of DuckDB's needs
    with caplog.at_level(logging.WARNING, logger="review.export_stream"):
        assert _streamed(hostile_db, Filters(), "csv", True, rows=5, out=tmp_path / "again.csv") == expected
    assert "the export's query needs more than 1MB of memory" in caplog.text


def test_the_connection_is_left_as_it_was(hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class FullDisk(io.BytesIO):
        def write(self, data: Any) -> int:
            if self.tell() > 2000:
                raise OSError(28, "No space left on device")
            return super().write(data)

    monkeypatch.setattr(export, "CHUNK_ROWS", 2)  # rows encoded and written at a time
    with reader(hostile_db) as con:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchall()
        with pytest.raises(OSError, match="No space left"):
            stream_export(con, Filters(), "csv", FullDisk(), rows=2)
        # The half-read result was let go (DuckDB refuses other queries on a connection that has one),
        # and DuckDB's memory limit is the one it had.
        assert con.execute("SELECT current_setting('memory_limit')").fetchall() == limit
        assert stream_export(con, Filters(), "json", io.BytesIO(), rows=2) > 0
        # No table is left on the connection, nor the export's own database attached to it, after the
        # failed export as after the good one.
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM duckdb_databases() WHERE NOT internal").fetchall() == [(1,)]


def test_duckdb_keeps_to_its_limit_and_spills_beside_the_file(
    hostile_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings: list[tuple[Any, ...]] = []

    def watched(step: Any) -> Any:
        def run(con: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> Any:
            settings.extend(
                con.execute(
                    "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
                    "current_setting('enable_progress_bar')"
                ).fetchall()
            )
            return step(con, *args, **kwargs)

        return run

    # The steps that read the store, and the sort of the rows made of them once it is closed.
    monkeypatch.setattr(export_stream, "copy_steps", watched(export_stream.copy_steps))
    monkeypatch.setattr(export_stream, "stream_tables", watched(export_stream.stream_tables))
    out = tmp_path / "exports" / "week.parquet"
    export_to_file(hostile_db, Filters(), "parquet", out)
    assert len(settings) == 2
    scratch = duckdb.connect()
    scratch.execute(f"SET memory_limit = '{export_stream.QUERY_MEMORY}'")
    for limit, spill, progress_bar in settings:
        assert limit == scratch.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        # Beside the file (the system's /tmp may be memory), in a folder of its own, removed afterwards.
        assert Path(spill).parent == out.parent
        assert progress_bar is False  # DuckDB's progress bar would land in an export written to stdout
    assert [p.name for p in out.parent.iterdir()] == ["week.parquet"]


@pytest.mark.parametrize("fmt", STREAMED)
def test_streamed_to_stdout_is_the_file(hostile_db: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"f.{fmt}"
    export_to_file(hostile_db, Filters(), fmt, out)
    done = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "export", "--db", str(hostile_db), "--format", fmt,
         "--out", "/dev/stdout"],
        cwd=ROOT, capture_output=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _comparable(done.stdout, fmt) == _comparable(out.read_bytes(), fmt)
    assert done.stderr.decode().strip().endswith("rows to /dev/stdout")


class _Page(Cells):
    """A piece of cells that can be watched (a weak reference) while the export holds it."""


def _watched_pages(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    # The pieces the export reads, each watched: how many were read, and the most that were still
    # alive, besides the one being made, when a piece was made.
    seen = {"pages": 0, "alive": 0}
    alive: list[weakref.ref[Any]] = []
    read = export_stream.stream_cells

    def watched(*args: Any, **kwargs: Any) -> Any:
        for cells in read(*args, **kwargs):
            gc.collect()
            seen["alive"] = max(seen["alive"], sum(ref() is not None for ref in alive))
            page = _Page(cells.columns, cells.local_seconds)
            del cells
            alive.append(weakref.ref(page))
            seen["pages"] += 1
            yield page

    monkeypatch.setattr(export_stream, "stream_cells", watched)
    return seen


@pytest.mark.parametrize("collapse", [True, False], ids=["clusters", "every-item"])
def test_xlsx_is_written_as_it_is_read_holding_one_piece(
    hostile_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collapse: bool
) -> None:
    seen = _watched_pages(monkeypatch)
    out = tmp_path / "f.xlsx"
    count = export_to_file(hostile_db, Filters(), "xlsx", out, collapse=collapse, rows=4)
    assert seen["pages"] == -(-count // 4) > 10
    # When a piece is made, only the one before it may still be held (the writer's loop has it).
    assert seen["alive"] == 1
    assert _comparable(out.read_bytes(), "xlsx") == _read_whole(hostile_db, Filters(), "xlsx", collapse)


def test_more_rows_than_a_sheet_holds_are_refused_before_any_is_read(
    hostile_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _watched_pages(monkeypatch)
    monkeypatch.setattr(export_xlsx, "MAX_ROWS", 8)  # a sheet of a header and seven rows
    out = tmp_path / "f.xlsx"
    out.write_bytes(b"last week's export")
    with pytest.raises(InputError, match="rows do not fit in an Excel sheet \\(at most 7\\)"):
        export_to_file(hostile_db, Filters(), "xlsx", out)
    assert seen["pages"] == 0
    assert out.read_bytes() == b"last week's export"
    assert [p.name for p in tmp_path.iterdir()] == ["f.xlsx"]  # no copy nor part left beside it
    assert export_to_file(hostile_db, Filters(query="Взятка"), "xlsx", out) == 7  # seven rows fit
    assert load_workbook(out)["flagged"].max_row == 8


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_the_xlsx_written_a_piece_at_a_time(hostile_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pieces.xlsx"
    export_to_file(hostile_db, Filters(), "xlsx", out, collapse=False, rows=3)
    with reader(hostile_db) as con:
        cells = select_cells(con, Filters(), collapse=False)
    rows = libreoffice_rows(out, tmp_path)
    assert len(rows) == len(cells) > 3
    for n, row in enumerate(rows):
        for name in COLUMN_NAMES:
            value = cells.columns[name][n]
            if name in TIME_COLUMNS:
                seconds = cells.local_seconds[name][n]
                if seconds is not None and FIRST_DATE <= seconds < END_DATE:
                    value = wall_time(seconds).strftime("%Y-%m-%d %H:%M")
            elif isinstance(value, float):
                value = f"{value:.3f}" if math.isfinite(value) else None
            elif isinstance(value, str):
                # LibreOffice makes a line of a carriage return (as it did with a shared string table).
                value = clean_text(value).replace("\r\n", "\n").replace("\r", "\n")
            assert row[name] == ("" if value is None else str(value)), (n, name)


def test_an_xlsx_written_a_piece_at_a_time_says_when_duplicates_are_not_collapsed(
    hostile_db: Path, tmp_path: Path
) -> None:
    """The export's --all-duplicates reaches the 'about' sheet of a streamed XLSX (it said "one row per
    cluster" of a file with one row per item)."""
    out = tmp_path / "all.xlsx"
    export_to_file(hostile_db, Filters(), "xlsx", out, collapse=False, rows=3)
    about = dict(load_workbook(out)["about"].iter_rows(values_only=True))
    assert str(about["near-duplicates"]).startswith("one row per flagged item")
    export_to_file(hostile_db, Filters(), "xlsx", out, rows=3)
    about = dict(load_workbook(out)["about"].iter_rows(values_only=True))
    assert str(about["near-duplicates"]).startswith("one row per cluster")
