"""The ``export`` command's CSV, JSON and Parquet, written as they are read: the store's rows come a
piece of ``CHUNK_ROWS`` at a time (review.cells.stream_cells, stream_tables), with DuckDB held to
QUERY_MEMORY (the rest of its work spills to a folder of ours), so an export's memory does not grow
with its number of rows. The writers of each piece are review.export's.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import duckdb

from errors import InputError
from review import export
from review.cells import parquet_schema, stream_cells, stream_tables
from review.export import records_from_table, write_csv_pieces, write_json_pieces
from review.queries import Filters

log = logging.getLogger(__name__)

# Rows per Parquet row group, gathered from the pieces read (so the file is the same whatever
# CHUNK_ROWS is). pyarrow's own default is 1,048,576 rows, which is as much to hold at once as the
# whole export of most stores; an export of up to this many rows is one row group, as it was.
PARQUET_ROW_GROUP = 131_072
# What DuckDB may hold of a streamed export's query (its joins and its sort); the rest goes to a
# temporary folder. Unbounded, 1,273,342 rows of a 2,000,000-item store took 5.5 GB; under this
# limit, run step by step (review.cells.staged), 0.86 GB for the whole command at 2,000,000 and
# 5,000,000 items alike. The scan of the store's flagged view spills too: an export of a few
# thousand rows of a 2,000,000-item store takes 1.4 s longer (3 s) in half the memory. Should DuckDB
# still run out of it, the query runs again without it (stream_export).
QUERY_MEMORY = "512MB"
STREAMED = ("csv", "excel-csv", "json", "parquet")  # written as they are read; XLSX is read whole


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
) -> int:
    """Write the export of ``filters`` in a format of STREAMED to a binary stream as it is read, ``rows``
    rows (CHUNK_ROWS) at a time; returns the number of rows.

    The same bytes as :func:`read_export` and :func:`write_export` give (Parquet up to
    PARQUET_ROW_GROUP rows; beyond, the same table in row groups of that many rows instead of
    1,048,576), in memory bounded by ``rows`` and QUERY_MEMORY instead of the number of rows; what DuckDB does
    not hold goes to a temporary folder in ``spill`` (else the system's temporary folder)."""
    if fmt not in STREAMED:
        raise InputError(
            f"the {fmt} export is not written as it is read; expected one of {', '.join(STREAMED)}"
        )
    size = rows or export.CHUNK_ROWS  # read when called: tests lower it
    read = stream_cells if fmt in ("csv", "excel-csv") else stream_tables
    with _export_settings(con, QUERY_MEMORY, spill):
        try:
            pieces = read(con, filters, collapse=collapse, rows=size)
            first = list(itertools.islice(pieces, 1))  # every step and the sort run before the first row
        except duckdb.OutOfMemoryException:
            # More than the limit holds even spilling (a sort of a very large result): run it as
            # exports ran before, in as much memory as it takes, while nothing is written yet.
            log.warning(
                "the export's query needs more than %s of memory; it runs again without that limit",
                QUERY_MEMORY,
            )
            con.execute("RESET memory_limit")
            pieces = read(con, filters, collapse=collapse, rows=size)
            first = list(itertools.islice(pieces, 1))
        try:
            everything = itertools.chain(first, pieces)
            if fmt == "parquet":
                return write_parquet_pieces(everything, out)
            if fmt == "json":
                return write_json_pieces(map(records_from_table, everything), out)
            return write_csv_pieces(everything, out, excel=fmt == "excel-csv")
        finally:
            pieces.close()  # a reader left half-read (a write failed) keeps DuckDB's result open


@contextlib.contextmanager
def _export_settings(con: duckdb.DuckDBPyConnection, limit: str, spill: Path | None) -> Iterator[None]:
    # DuckDB's memory limit, spill folder and progress bar for the export. They hold for the whole
    # database instance, which the connection of reader() has to itself; they are put back for a
    # connection that lives on. What DuckDB spills goes to a folder
    # of ours: its default is beside the database file, where a reader may not be allowed to write,
    # and the system's temporary folder may be memory itself (tmpfs), hence the export's own folder
    # when there is one.
    with tempfile.TemporaryDirectory(prefix=".export-spill-", dir=spill) as folder:
        con.execute(f"SET memory_limit = '{limit}'")
        con.execute(f"SET temp_directory = '{folder.replace(chr(39), chr(39) * 2)}'")
        con.execute("SET enable_progress_bar = false")  # never into an export written to stdout
        try:
            yield
        finally:
            con.execute("RESET memory_limit")
            con.execute("RESET enable_progress_bar")
            with contextlib.suppress(duckdb.Error):  # once used, DuckDB keeps its spill folder
                con.execute("RESET temp_directory")
