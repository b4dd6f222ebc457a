"""`export --out` a pipe (`/dev/stdout` piped on, a FIFO): its copy of the rows and DuckDB's spill go
where the review page's downloads go (review.export_stream.download_folder: $TMPDIR when set, else
the database's folder), not the system's /tmp; a full folder is one line naming it."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

import pipeline
from review import export_stream


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The folders the export made its copy of the rows in (``<folder>/.export-XXXX/steps.duckdb``)."""
    seen: list[Path] = []
    write_copy = export_stream._write_copy

    def copy(path: Path, *args: Any, **kwargs: Any) -> int:
        seen.append(path.parent.parent)
        return write_copy(path, *args, **kwargs)

    monkeypatch.setattr(export_stream, "_write_copy", copy)
    return seen


class Pipe:
    """A FIFO that a thread reads to its end; :meth:`received` is what came through it."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path, self._data = path, bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with self.path.open("rb") as fifo:
            self._data.extend(fifo.read())

    def received(self) -> bytes:
        """What was written, once the writer has closed the pipe (or never opened it)."""
        if self._reader.is_alive() and not self._data:
            # The command may have failed before it opened the pipe: a writer lets the reader go
            # (not blocking: with the reader gone meanwhile, ENXIO).
            with contextlib.suppress(OSError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_NONBLOCK))
        self._reader.join(timeout=30)
        assert not self._reader.is_alive()
        return bytes(self._data)


@pytest.fixture
def pipe(tmp_path: Path) -> Iterator[Pipe]:
    """A FIFO ``--out`` read by a thread (see :class:`Pipe`)."""
    (tmp_path / "out").mkdir()
    made = Pipe(tmp_path / "out" / "pipe")
    yield made
    made.received()


def _export(db: Path, out: Path) -> int:
    return pipeline.main(["export", "--db", str(db), "--format", "csv", "--out", str(out)])


def test_without_tmpdir_a_pipe_export_copies_beside_the_database(
    review_db: Path,
    system_tmp: Path,
    copies: list[Path],
    pipe: Pipe,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _export(review_db, pipe.path) == 0, capsys.readouterr().err
    assert copies == [review_db.parent]  # was: [system_tmp], a tmpfs on many servers
    assert pipe.received().count(b"\n") > 1  # the header and the rows came through the pipe
    assert list(system_tmp.iterdir()) == [] and list(review_db.parent.glob(".export-*")) == []


def test_a_database_folder_the_analyst_may_not_write_leaves_the_copy_in_the_system_s(
    review_db: Path,
    system_tmp: Path,
    copies: list[Path],
    pipe: Pipe,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # review: the monitor's folder belongs to its service user; an analyst reading the store to
    # stdout worked through /tmp before and failed when the copy went beside the database
    from review import export

    access = os.access
    monkeypatch.setattr(
        export.os, "access", lambda path, mode: Path(path) != review_db.parent and access(path, mode)
    )
    assert _export(review_db, pipe.path) == 0, capsys.readouterr().err
    assert copies == [system_tmp] and pipe.received().count(b"\n") > 1


def test_tmpdir_set_by_the_operator_holds_a_pipe_exports_copy(
    review_db: Path,
    tmp_path: Path,
    system_tmp: Path,
    copies: list[Path],
    pipe: Pipe,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    chosen = tmp_path / "big-disk"
    chosen.mkdir()
    monkeypatch.setenv("TMPDIR", str(chosen))
    monkeypatch.setattr(tempfile, "tempdir", None)  # Python reads TMPDIR again
    assert _export(review_db, pipe.path) == 0, capsys.readouterr().err
    assert copies == [chosen] and pipe.received().count(b"\n") > 1
    assert list(chosen.iterdir()) == [] and list(system_tmp.iterdir()) == []


def test_a_regular_file_keeps_its_copy_beside_it(
    review_db: Path, tmp_path: Path, system_tmp: Path, copies: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "elsewhere" / "flagged.csv"
    assert _export(review_db, out) == 0, capsys.readouterr().err
    assert copies == [out.parent] and out.read_bytes().count(b"\n") > 1


def _full_copy(con: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> None:
    # What DuckDB says when the copy's folder has no room left (tests/review/test_app_download.py).
    folder = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    raise duckdb.IOException(
        f'IO Error: Could not write file "{folder}/steps.duckdb": No space left on device'
    )


def _full_folder(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(kwargs.get("dir")))


def _denied_folder(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(kwargs.get("dir")))


@pytest.mark.parametrize(
    ("where", "full", "said"),
    [
        ("copy", _full_copy, "No space left on device (set TMPDIR to a folder with room)"),
        ("folder", _full_folder, "No space left on device (set TMPDIR to a folder with room)"),
        # review: not "with room" for a folder it may not write
        ("folder", _denied_folder, "Permission denied (set TMPDIR to a folder it may write)"),
    ],
    ids=["copy-written", "folder-made", "folder-denied"],
)
def test_a_full_folder_is_one_line_naming_it(
    review_db: Path,
    system_tmp: Path,
    pipe: Pipe,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
    full: Any,
    said: str,
) -> None:
    if where == "copy":
        monkeypatch.setattr(export_stream, "copy_steps", full)
    else:
        monkeypatch.setattr(tempfile, "TemporaryDirectory", full)
    assert _export(review_db, pipe.path) == 1
    err = capsys.readouterr().err.strip().splitlines()
    # was: "error: <the pipe>: cannot write the export: No space left on device", naming the output
    assert err == [
        f"error: {review_db.parent}: the export's temporary files could not be written in this folder: {said}"
    ]
    assert pipe.received() == b""
    assert list(review_db.parent.glob(".export-*")) == []
