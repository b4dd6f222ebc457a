"""The ``export`` command's files, written as they are read, a piece of ``CHUNK_ROWS`` at a time, so
that an export's memory does not grow with its number of rows.

The store is held only while the export reads it: the steps of the export's query that read the
store run one at a time into a DuckDB file of the export's own beside the file written
(review.cells.copy_steps), the store is closed, and the export's rows are made of that file (their
sort included) and read a piece at a time (review.cells.stream_cells, stream_tables) while the file
is written. DuckDB is held to QUERY_MEMORY throughout; the rest of its work spills to the same
folder. DuckDB lets one process write a database file or several read it: the scheduler's writes,
which wait up to 30 s for the lock (store.db.connect), had waited as long as the whole file took to
write (27 s for 1.27 M rows of CSV). The writers of each piece are review.export's (XLSX
review.export_xlsx's: its rows are counted in the copy first, since a sheet says its size before
its rows and holds at most 1,048,575 of them).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import duckdb

from errors import InputError
from review import export
from review.cells import copy_steps, parquet_schema, picked_sql, stream_cells, stream_tables
from review.export import records_from_table, write_csv_pieces, write_json_pieces
from review.export_xlsx import check_rows, write_xlsx_pieces
from review.filters import Filters
from store.db import reader

log = logging.getLogger(__name__)

# Rows per Parquet row group, gathered from the pieces read (so the file is the same whatever
# CHUNK_ROWS is). pyarrow's own default is 1,048,576 rows, which is as much to hold at once as the
# whole export of most stores; an export of up to this many rows is one row group, as it was.
PARQUET_ROW_GROUP = 131_072
# What DuckDB may hold of a streamed export's query (its joins and its sort); the rest goes to a
# temporary folder. Unbounded, 1,273,342 rows of a 2,000,000-item store took 5.5 GB; under this
# limit, run step by step (review.cells.copy_steps), 0.86 GB for the whole command at 2,000,000 and
# 5,000,000 items alike. The scan of the store's flagged view spills too: an export of a few
# thousand rows of a 2,000,000-item store takes 1.4 s longer (3 s) in half the memory. Should DuckDB
# still run out of it, the query runs again without it (_without_limit).
QUERY_MEMORY = "512MB"
STREAMED = ("csv", "excel-csv", "json", "parquet", "xlsx")  # written as they are read


def write_parquet_pieces(tables: Iterable[Any], out: IO[bytes]) -> int:
    """Parquet of :func:`parquet_schema` tables coming a piece at a time, in row groups of
    PARQUET_ROW_GROUP rows; returns the number of rows. The same file as ``pq.write_table`` of them
    all when they are no more than one row group."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    written = 0
    with pq.ParquetWriter(out, schema) as writer:
        for group in _row_groups(tables, PARQUET_ROW_GROUP):
            # One chunk per column, as a table read whole has it: pyarrow cuts pages where a chunk ends,
            # so the pieces' sizes would otherwise show in the file.
            writer.write_table(group.combine_chunks(), row_group_size=PARQUET_ROW_GROUP)
            written += group.num_rows
        if not written:  # what pq.write_table writes for no rows: one empty row group
            writer.write_table(pa.table({name: [] for name in schema.names}, schema=schema))
    return written


def _row_groups(tables: Iterable[Any], size: int) -> Iterator[Any]:
    # Tables of exactly ``size`` rows (the last one fewer) made of the pieces, which may be of any size.
    import pyarrow as pa

    held: list[Any] = []
    count = 0
    for table in tables:
        while table.num_rows:
            take = min(size - count, table.num_rows)
            held.append(table.slice(0, take))
            table = table.slice(take)
            count += take
            if count == size:
                yield pa.concat_tables(held)
                held, count = [], 0
    if count:
        yield pa.concat_tables(held)


def stream_export(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    fmt: str,
    out: IO[bytes],
    *,
    collapse: bool = True,
    rows: int | None = None,
    spill: Path | None = None,
    about: Sequence[tuple[str, str]] = (),
    release: Callable[[], None] | None = None,
    reopen: Callable[[], duckdb.DuckDBPyConnection] | None = None,
) -> int:
    """Write the export of ``filters`` in a format of STREAMED to a binary stream as it is read, ``rows``
    rows (CHUNK_ROWS) at a time; returns the number of rows. XLSX adds ``about`` to its 'about' sheet.
    ``release`` (which lets the store go) is called once what the export reads of it is copied, before
    the file is written (the review page's download, :func:`export_store`). With ``reopen`` too (the
    review page's), ``con`` is let go of while the export waits for another's copy to end, and
    ``reopen()`` gives the connection to copy with when its turn comes.

    The same bytes as :func:`read_export` and :func:`write_export` give (Parquet up to
    PARQUET_ROW_GROUP rows; beyond, the same table in row groups of that many rows instead of
    1,048,576), in memory bounded by ``rows`` and QUERY_MEMORY instead of the number of rows; the
    copy of what it reads of the store and what DuckDB does not hold go to a temporary folder in
    ``spill`` (else the system's temporary folder). ``con`` stays open, its settings as they were."""
    _check(fmt)
    with _export_folder(spill) as folder:
        try:
            with _copy_turn(con, release, reopen) as con:
                copy = _copy_steps(con, filters, folder)
        finally:
            if release is not None:
                release()
        return _write_copy(copy, fmt, out, collapse=collapse, rows=rows, about=about)


def export_store(
    db_path: Path,
    filters: Filters,
    fmt: str,
    out: IO[bytes],
    *,
    collapse: bool = True,
    rows: int | None = None,
    spill: Path | None = None,
    about: Sequence[tuple[str, str]] = (),
) -> int:
    """:func:`stream_export` of the store at ``db_path``, which is open only while what the export
    reads of it is copied: while the rows are sorted and the file written, another process may open
    the store to write."""
    _check(fmt)
    with contextlib.ExitStack() as held:
        con = held.enter_context(reader(db_path))

        def release() -> None:
            held.close()
            log.debug("read what the export needs of %s; closed it before writing the file", db_path)

        return stream_export(
            con, filters, fmt, out, collapse=collapse, rows=rows, spill=spill, about=about, release=release
        )


def _check(fmt: str) -> None:
    if fmt not in STREAMED:
        raise InputError(
            f"the {fmt} export is not written as it is read; expected one of {', '.join(STREAMED)}"
        )


_ACTIVE: set[Path] = set()  # the folders of the exports under way in this process (remove_unfinished)


class ExportFolderError(OSError):
    """The export's temporary files (its copy of the rows, DuckDB's spill) could not be written in the
    folder ``filename`` names: full, or not writable. ``strerror`` says why."""


@contextlib.contextmanager
def _export_folder(spill: Path | None) -> Iterator[Path]:
    # The copy and what DuckDB spills go to a folder of ours, removed afterwards: DuckDB's default
    # is beside the database file, where a reader may not be allowed to write, and the system's
    # temporary folder may be memory itself (tmpfs), hence beside the export when there is one.
    try:
        made = tempfile.TemporaryDirectory(prefix=".export-", dir=spill)
    except OSError as exc:
        base = str(spill or tempfile.gettempdir())
        raise ExportFolderError(exc.errno, exc.strerror or str(exc), base) from None
    with made as folder:
        _ACTIVE.add(Path(folder))
        try:
            yield Path(folder)
        finally:
            _ACTIVE.discard(Path(folder))


def download_folder(db_path: Path) -> Path:
    """Where the review page's downloads keep their temporary files (the copy of what they read,
    DuckDB's spill, the file before it is sent), and ``export --out`` a pipe (``/dev/stdout``) its
    copy and spill: ``$TMPDIR`` when the operator sets it; else the database's folder, where DuckDB
    spills the store's own queries (``<db>.tmp``) and the page already writes (its decisions)."""
    # Not the system's folder by default: /tmp is often a tmpfs (memory, half of it at most), and a
    # large download's copy is a good part of the store.
    if os.environ.get("TMPDIR"):
        return Path(tempfile.gettempdir())
    return Path(db_path).resolve().parent


def sweep_abandoned(folder: Path | None = None, *, older_than: float = 86_400) -> int:
    """Remove export folders (``.export-*``) in ``folder`` (the system's temporary folder) untouched for
    ``older_than`` seconds: the copies of exports whose process was killed (SIGKILL, a power cut),
    rows and notes in them. No export takes a day. Returns how many were removed."""
    import time

    base = Path(folder or tempfile.gettempdir())
    removed = 0
    for path in base.glob(".export-*"):
        try:
            if path.is_dir() and not path.is_symlink() and time.time() - path.stat().st_mtime > older_than:
                shutil.rmtree(path)
                removed += 1
        except OSError:  # another user's, or gone meanwhile
            continue
    return removed


def remove_unfinished() -> int:
    """Remove the folders of the exports still under way (their copies hold texts, authors and notes):
    for a process that stops while its threads export (the review page stopped by SIGTERM). Returns
    how many there were."""
    folders = list(_ACTIVE)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return len(folders)


# One copy at a time per process: DuckDB's memory_limit and temp_directory hold for the whole database
# instance, which the review page's request connections share. Two downloads setting and putting
# back their own values side by side left the instance with one download's (its folder removed
# since), and the other's copy ran under no limit of its own.
_SETTINGS_LOCK = threading.Lock()


@contextlib.contextmanager
def _copy_turn(
    con: duckdb.DuckDBPyConnection,
    release: Callable[[], None] | None,
    reopen: Callable[[], duckdb.DuckDBPyConnection] | None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    # This export's turn to copy (_SETTINGS_LOCK) over the block, with the connection to copy with.
    # The review page's request holds a connection and its read lock on the file: waiting with them,
    # queued downloads held up every write (a logout, a decision), and every page read queued behind
    # the write (4 downloads and a logout: the logout 3.42 s, a list page 3.24 s). Let go of first, and
    # opened again when the turn comes.
    if not _SETTINGS_LOCK.acquire(blocking=False):
        if release is None or reopen is None:
            _SETTINGS_LOCK.acquire()
        else:
            release()
            _SETTINGS_LOCK.acquire()
            try:
                con = reopen()
            except BaseException:
                _SETTINGS_LOCK.release()
                raise
    try:
        yield con
    finally:
        _SETTINGS_LOCK.release()


def _copy_steps(con: duckdb.DuckDBPyConnection, filters: Filters, folder: Path) -> Path:
    # What the export reads of the store, into a new DuckDB file in ``folder``; returns its path; its
    # turn (_copy_turn) held.
    copy = folder / "steps.duckdb"
    # An alias of its own: attached databases, too, are the instance's (a fixed name made every
    # download but one fail: "database with name export_copy already exists").
    alias = f"export_copy_{uuid.uuid4().hex}"
    wanted = {
        "memory_limit": QUERY_MEMORY,
        "temp_directory": str(folder),
        "enable_progress_bar": False,  # never into an export written to stdout
    }
    try:
        with _settings(con, wanted) as previous:
            con.execute(f"ATTACH {_literal(str(copy))} AS {alias} (READ_WRITE)")
            try:
                try:
                    copy_steps(con, filters, database=alias)
                except duckdb.OutOfMemoryException:
                    _without_limit(con, previous["memory_limit"])
                    copy_steps(con, filters, database=alias)
            except BaseException:
                with contextlib.suppress(duckdb.Error):  # the error that ended the copy is the one to see
                    con.execute(f"DETACH {alias}")
                raise
            con.execute(f"DETACH {alias}")
    except (duckdb.IOException, duckdb.TransactionException) as exc:  # a full disk fails the commit
        raise _copy_error(exc, folder) or exc from None
    return copy


def _write_copy(
    copy: Path,
    fmt: str,
    out: IO[bytes],
    *,
    collapse: bool,
    rows: int | None,
    about: Sequence[tuple[str, str]],
) -> int:
    # The export's rows made of _copy_steps' tables, written in format ``fmt`` ``rows`` (CHUNK_ROWS)
    # at a time; DuckDB's sort of them held to QUERY_MEMORY, spilling beside the copy.
    size = rows or export.CHUNK_ROWS  # read when called: tests lower it
    read = stream_cells if fmt in ("csv", "excel-csv", "xlsx") else stream_tables
    config = {"memory_limit": QUERY_MEMORY, "temp_directory": str(copy.parent)}
    try:
        con = duckdb.connect(str(copy), config=config)
    except duckdb.IOException as exc:
        raise _copy_error(exc, copy.parent) or exc from None
    try:
        con.execute("SET enable_progress_bar = false")  # never into an export written to stdout
        try:
            total = _count(con, collapse) if fmt == "xlsx" else 0
            pieces = read(con, collapse=collapse, rows=size)
            first = list(itertools.islice(pieces, 1))  # the sort runs before the first row
        except duckdb.OutOfMemoryException:
            _without_limit(con, None)
            total = _count(con, collapse) if fmt == "xlsx" else 0
            pieces = read(con, collapse=collapse, rows=size)
            first = list(itertools.islice(pieces, 1))
        except duckdb.IOException as exc:
            raise _copy_error(exc, copy.parent) or exc from None
        try:
            # The first piece taken out of its list as it is written: the list would hold it to the end.
            everything = itertools.chain(_taken(first), pieces)
            if fmt == "parquet":
                return write_parquet_pieces(everything, out)
            if fmt == "json":
                return write_json_pieces(map(records_from_table, everything), out)
            if fmt == "xlsx":
                return write_xlsx_pieces(everything, total, out, about, collapse=collapse)
            return write_csv_pieces(everything, out, excel=fmt == "excel-csv")
        finally:
            pieces.close()  # a reader left half-read (a write failed) keeps DuckDB's result open
    finally:
        con.close()


def _taken(held: list[Any]) -> Iterator[Any]:
    # The items of ``held``, each let go of by the list as it is yielded.
    while held:
        yield held.pop(0)


def _count(con: duckdb.DuckDBPyConnection, collapse: bool) -> int:
    # The number of rows the export's query gives (a sheet says its size before its rows), refused
    # when more than a sheet holds before any row is read or written.
    # fetchall: a result left unfinished keeps the connection from the next query (DuckDB 2).
    ((count,),) = con.execute(
        f"WITH export_picked AS ({picked_sql(collapse)}) SELECT count(*) FROM export_picked"
    ).fetchall()
    check_rows(count)
    return count


def _without_limit(con: duckdb.DuckDBPyConnection, limit: Any) -> None:
    # More than the limit holds even spilling (a sort of a very large result): the query runs again
    # as exports ran before, in as much memory as the connection allowed (``limit``, else DuckDB's
    # default), while nothing is written yet.
    log.warning(
        "the export's query needs more than %s of memory; it runs again without that limit", QUERY_MEMORY
    )
    if limit is None:
        con.execute("RESET memory_limit")
    else:
        _put_back(con, "memory_limit", limit)


def _copy_error(exc: duckdb.Error, folder: Path) -> OSError | None:
    # The copy or DuckDB's spill could not be written (a full disk): the OSError a write of the
    # export itself raises, which the export reports as such (review.export.whole_file). An error
    # on the store's own file is the store's (store.db.reader).
    # The folder may be named on a later line («Detached database ..., but CHECKPOINT during DETACH
    # failed.» first: a full disk gave a traceback, the review page a bare 500).
    text = next((line for line in str(exc).strip().splitlines() if str(folder) in line), None)
    if text is None:
        return None
    # Named by the folder the export's own (``folder``, removed afterwards) was made in.
    return ExportFolderError(errno.EIO, text.rsplit('": ', 1)[-1], str(folder.parent))


@contextlib.contextmanager
def _settings(con: duckdb.DuckDBPyConnection, values: dict[str, Any]) -> Iterator[dict[str, Any]]:
    # DuckDB ``values`` for the block, then the values the connection had (read with current_setting),
    # not DuckDB's defaults: they hold for the whole database instance, which a caller's connection may
    # share with other connections and go on using. Yields the values it had.
    previous = {name: _current(con, name) for name in values}
    try:
        for name, value in values.items():
            _set(con, name, value)
        yield previous
    finally:
        for name, value in previous.items():
            try:
                _put_back(con, name, value)
            except duckdb.Error as exc:
                # Once it has spilled there, DuckDB keeps its temporary folder until it closes.
                log.debug("could not put back DuckDB's %s: %s", name, exc)


def _current(con: duckdb.DuckDBPyConnection, name: str) -> Any:
    return con.execute("SELECT current_setting(?)", [name]).fetchone()[0]  # type: ignore[index]


def _put_back(con: duckdb.DuckDBPyConnection, name: str, value: Any) -> None:
    # DuckDB's default, when that is what it was: the value shown is rounded (memory_limit '18.8 GiB'
    # is a few bytes of RAM's 80%, and SET '18.8 GiB' makes it '18.7 GiB'); else the value shown.
    con.execute(f"RESET {name}")
    if _current(con, name) != value:
        _set(con, name, value)


def _set(con: duckdb.DuckDBPyConnection, name: str, value: Any) -> None:
    con.execute(f"SET {name} = {_literal(value)}")


def _literal(value: Any) -> str:
    # SET takes no parameters: a value as SQL (a folder's name may hold a quote).
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
