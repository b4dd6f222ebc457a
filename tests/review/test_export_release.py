"""A streamed export holds the store only while it reads it, and leaves a caller's connection with
the DuckDB settings it had."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from testutil import ROOT

from bench.bench_export import build
from review.export import export_to_file
from review.export_stream import STREAMED, stream_export
from review.queries import Filters
from store.db import connect, reader

SETTINGS = ("memory_limit", "temp_directory", "enable_progress_bar", "preserve_insertion_order", "threads")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 3,000 items (the benchmark's, built with the store code): its exports run to
    megabytes, many times what a pipe holds."""
    path = tmp_path_factory.mktemp("release") / "store.duckdb"
    build(path, 3_000)
    return path


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_store_can_be_written_while_the_export_is_written(store: Path, tmp_path: Path, fmt: str) -> None:
    expected = tmp_path / f"expected.{fmt}"
    export_to_file(store, Filters(), fmt, expected)
    assert expected.stat().st_size > 500_000  # a pipe holds 64 KiB
    # The export writes into a pipe that this test reads only once the store has been opened for
    # writing: the export cannot finish before then, however long it would take to write.
    fifo = tmp_path / "slow-reader"
    os.mkfifo(fifo)
    pipe = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # not blocked should the export fail to start
    command = [sys.executable, str(ROOT / "pipeline.py"), "export", "--db", str(store), "--format", fmt]
    export = subprocess.Popen([*command, "--out", str(fifo)], cwd=ROOT, stderr=subprocess.PIPE)
    try:
        readable, _, _ = select.select([pipe], [], [], 120)
        assert readable, "the export wrote nothing"
        os.set_blocking(pipe, True)
        with os.fdopen(pipe, "rb") as written:
            first = written.read(1)  # the export has begun its file, and waits for this test to read on
            # What the scheduler's write opens, with no wait for the lock: refused while the export
            # holds the store (StoreLocked), whatever the time.
            connect(store, wait=0).close()
            rest = written.read()
        assert export.wait(timeout=120) == 0
    finally:
        export.kill()
        export.wait()
        assert export.stderr is not None
        export.stderr.close()
    assert first + rest == expected.read_bytes()


@pytest.mark.parametrize("fmt", STREAMED)
def test_the_connections_settings_are_put_back(store: Path, tmp_path: Path, fmt: str) -> None:
    expected = tmp_path / "expected"
    export_to_file(store, Filters(), fmt, expected)
    with reader(store) as con:
        # Settings of a caller's own, none of them DuckDB's defaults.
        con.execute("SET memory_limit = '1.5GiB'")
        con.execute(f"SET temp_directory = '{tmp_path / 'spill'}'")
        con.execute("SET enable_progress_bar = true")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET threads = 1")
        query = f"SELECT {', '.join(f'current_setting({name!r})' for name in SETTINGS)}"
        before = con.execute(query).fetchall()
        written = io.BytesIO()
        stream_export(con, Filters(), fmt, written)
        assert con.execute(query).fetchall() == before
    # The export's order holds though the connection let DuckDB reorder results.
    assert _rows(written.getvalue(), fmt) == _rows(expected.read_bytes(), fmt)


def _rows(data: bytes, fmt: str) -> bytes:
    # The file's rows: an XLSX's data sheet (its 'about' sheet says when it was written).
    if fmt != "xlsx":
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_a_terminated_export_leaves_no_copy_of_the_rows_behind(store: Path, tmp_path: Path) -> None:
    # SIGTERM (a service stopped, a cron timeout) while the export writes: the copy of the rows it
    # made (the texts of every row) is removed, as after Ctrl-C, and the exit says how it ended
    spare = tmp_path / "tmp"  # where an export into a pipe keeps its copy
    spare.mkdir()
    fifo = tmp_path / "slow-reader"
    os.mkfifo(fifo)
    pipe = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    command = [sys.executable, str(ROOT / "pipeline.py"), "export", "--db", str(store), "--format", "csv"]
    export = subprocess.Popen(
        [*command, "--out", str(fifo)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(spare)},
    )
    try:
        readable, _, _ = select.select([pipe], [], [], 120)
        assert readable, "the export wrote nothing"
        assert [p.name for p in spare.iterdir() if p.name.startswith(".export-")]  # the copy is there
        export.terminate()
        status = export.wait(timeout=120)
    finally:
        export.kill()
        export.wait()
        os.close(pipe)
        assert export.stderr is not None
        export.stderr.close()
    assert status == 143
    assert list(spare.iterdir()) == []
