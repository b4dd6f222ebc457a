"""Exports of flagged items for reviewers: CSV (UTF-8 with BOM), XLSX, JSON and Parquet.

One row per near-duplicate cluster (the newest member stands for it, ``cluster_size`` says how many
flagged items it stands for). Item texts are whatever the public wrote, so spreadsheet cells that
would start a formula (= + - @) are written as text: XLSX cells get the string type, CSV cells a
leading apostrophe (what Excel itself shows for text typed that way).

``excel-csv`` is the CSV that Excel set to Russian or Kazakh opens by a double click: its list
separator is a semicolon and its decimal mark a comma, so a comma-separated file lands in one
column and ``0.43`` is text there. It has semicolons, decimal commas and times as ``25.11.2026
14:35:00`` (Asia/Almaty), which that Excel reads as numbers and dates; text that Excel would read
as a number or a date (an id of 16 digits, a title ``03.04``) as ``="03.04"``, which it keeps as
that text (:mod:`review.export_excel`). Plain ``csv`` keeps every cell as it is, for tools.

CSV and XLSX are written from :mod:`review.cells` (the store computes them in SQL for the ``export``
command); XLSX with the small writer in :mod:`review.xlsx`, a page of rows at a time
(:mod:`review.export_xlsx`).

The ``export`` command writes every format as it reads it, a piece of CHUNK_ROWS rows at a time
(:mod:`review.export_stream`), with DuckDB kept to a limit: its memory does not grow with the number
of rows. The review page's downloads are written the same way (review.export_stream.stream_export with a release).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import io
import itertools
import json
import logging
import math
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import duckdb

from collectors.dates import almaty_time
from errors import InputError
from review.cells import (
    COLUMN_NAMES,
    PARENT_CHARS,
    TIME_COLUMNS,
    Cells,
    cells_from_records,
    evidence_text,
    parquet_schema,
    select_cells,
    select_table,
    wall_time,
)
from review.export_excel import kept_as_text
from review.filters import LABELS, LOCAL_TZ, Filters, describe
from review.queries import select_flagged
from review.xlsx import END_DATE, FIRST_DATE
from store.db import reader

log = logging.getLogger(__name__)

FORMATS = ("csv", "excel-csv", "xlsx", "json", "parquet")
# The review page's button for a format, where its name in capitals would not say it: (name, tooltip).
FORMAT_NAMES = {
    "excel-csv": (
        "CSV for Excel",
        "Semicolons and decimal commas: what Excel set to Russian or Kazakh opens in columns",
    ),
}
# Bare media types: the response adds "; charset=utf-8" to text types itself (werkzeug's
# get_content_type), and a charset written here as well came out twice in the header.
MEDIA_TYPES = {
    "csv": "text/csv",
    "excel-csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
# Rows read from the store, encoded and written at a time: what an export holds in memory beside
# DuckDB's share (export_stream.QUERY_MEMORY), whatever the number of rows.
CHUNK_ROWS = 20_000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_START)
SCORE_COLUMNS = ("corruption", "infrastructure")
NUMBER_COLUMNS = ("cluster_size",)


def _parent_text(row: dict[str, Any]) -> str | None:
    parts = [p for p in (row.get("parent_title"), row.get("parent_text")) if p]
    if not parts:
        return None
    text = "\n".join(dict.fromkeys(parts))
    return text if len(text) <= PARENT_CHARS else text[: PARENT_CHARS - 1] + "…"


def export_record(row: dict[str, Any]) -> dict[str, Any]:
    """One flagged-item row as the export's columns (times timezone-aware, in Asia/Almaty)."""
    ts = row.get("ts")
    reviewed = row.get("reviewed_at")
    others = [u for u in (row.get("cluster_urls") or []) if u and u != row.get("url")]
    return {
        "link": row.get("url"),
        "source": row["source"],
        "kind": row.get("kind"),
        "author": row.get("author"),
        "time": almaty_time(ts) if ts else None,
        "title": row.get("title"),
        "text": row.get("text"),
        "language": row.get("lang"),
        "corruption": row.get("corruption"),
        "infrastructure": row.get("infrastructure"),
        "labels": list(row.get("labels") or []),
        "added_by_reviewer": list(row.get("reviewer_labels") or []),
        "evidence": row.get("evidence") or {},
        "status": row.get("review_status") or "new",
        "forwarded_to": row.get("forwarded_to"),
        "reviewer": row.get("reviewer"),
        "note": row.get("note"),
        "reviewed_at": almaty_time(reviewed) if reviewed else None,
        "parent_text": _parent_text(row),
        "parent_link": row.get("parent_url"),
        "cluster_size": int(row.get("cluster_size") or 1),
        "duplicate_links": list(dict.fromkeys(others)),
        "external_id": row["external_id"],
    }


def load_records(db_path: Path, filters: Filters, *, collapse: bool = True) -> list[dict[str, Any]]:
    """The export rows for ``filters`` read from the database."""
    filters.validate()
    with reader(db_path) as con:
        rows = select_flagged(con, filters, collapse=collapse)
    return [export_record(r) for r in rows]


def write_csv(records: Sequence[dict[str, Any]], out: IO[bytes]) -> None:
    """CSV, UTF-8 with a BOM so that Excel reads Cyrillic and Kazakh letters right."""
    write_csv_cells(cells_from_records(records), out)


def write_excel_csv(records: Sequence[dict[str, Any]], out: IO[bytes]) -> None:
    """CSV for Excel in Russian or Kazakh settings: semicolons, decimal commas, local dates."""
    write_csv_cells(cells_from_records(records), out, excel=True)


def write_csv_cells(cells: Cells, out: IO[bytes], *, excel: bool = False) -> None:
    """CSV of export cells; text that would start a formula gets a leading apostrophe.

    With ``excel``, the dialect of ``excel-csv`` (see the module's docstring)."""
    write_csv_pieces([cells], out, excel=excel)


def write_csv_pieces(pieces: Iterable[Cells], out: IO[bytes], *, excel: bool = False) -> int:
    """:func:`write_csv_cells` of cells coming a piece at a time (one header); returns the number of rows."""
    written = 0

    def rows() -> Iterator[Sequence[Any]]:
        nonlocal written
        yield COLUMN_NAMES
        for cells in pieces:
            written += len(cells)
            yield from _csv_rows(cells, excel)

    lines = rows()
    out.write(codecs.BOM_UTF8)
    # Written to a str buffer and encoded a chunk of rows at a time: a text stream encodes (and checks
    # its BOM) per row, and the whole file as one str and its bytes took three times its size in memory.
    while True:
        text = io.StringIO(newline="")
        csv.writer(text, delimiter=";" if excel else ",").writerows(itertools.islice(lines, CHUNK_ROWS))
        if not text.tell():
            break
        out.write(text.getvalue().encode("utf-8"))
    return written


def _csv_rows(cells: Cells, excel: bool) -> Iterator[tuple[Any, ...]]:
    columns = [_defused(cells.columns[name]) for name in COLUMN_NAMES]
    if excel:
        for i, name in enumerate(COLUMN_NAMES):
            if name in TIME_COLUMNS:
                columns[i] = [
                    _excel_time(s, iso) for s, iso in zip(cells.local_seconds[name], columns[i], strict=True)
                ]
            elif name in SCORE_COLUMNS:
                columns[i] = [str(v).replace(".", ",") if isinstance(v, float) else v for v in columns[i]]
            elif name not in NUMBER_COLUMNS:  # text that Excel would make a number or a date stays text
                columns[i] = kept_as_text(cells.columns[name], columns[i])
    return zip(*columns, strict=True)


def _excel_time(wall_seconds: int | None, iso: str | None) -> str | None:
    if wall_seconds is None:
        return None
    if not FIRST_DATE <= wall_seconds < END_DATE:
        # No date Excel holds (and 01.01.0001 would be read as 2001): the ISO text, which stays text.
        return iso
    return wall_time(wall_seconds).strftime("%d.%m.%Y %H:%M:%S")


def _defused(values: list[Any]) -> list[Any]:
    first = _FORMULA_FIRST
    return ["'" + v if isinstance(v, str) and v[:1] in first else v for v in values]


def write_xlsx(
    records: Sequence[dict[str, Any]], out: IO[bytes], about: Sequence[tuple[str, str]] = ()
) -> None:
    """XLSX: header frozen and bold, readable widths, wrapped text, local times, formulas never."""
    write_xlsx_cells(cells_from_records(records), out, about)


def write_xlsx_cells(
    cells: Cells, out: IO[bytes], about: Sequence[tuple[str, str]] = (), *, collapse: bool = True
) -> None:
    """XLSX of export cells, with an 'about' sheet: when, how many rows, what the times mean, texts cut,
    ``about`` (``collapse``: near-duplicates one row per cluster, else each its own row). More rows than
    a sheet holds are an InputError (:mod:`review.export_xlsx`)."""
    from review.export_xlsx import write_xlsx_cells as write  # it builds on this module

    write(cells, out, about, collapse=collapse)


def write_json(records: Sequence[dict[str, Any]], out: IO[bytes]) -> None:
    """A JSON array of objects; times as ISO 8601 with the Asia/Almaty offset, a score that is no number null."""
    write_json_pieces(
        (records[start : start + CHUNK_ROWS] for start in range(0, len(records), CHUNK_ROWS)), out
    )


def write_json_pieces(pieces: Iterable[Sequence[dict[str, Any]]], out: IO[bytes]) -> int:
    """:func:`write_json` of records coming a piece at a time (one array); returns the number of rows."""
    # One object per line: readable, and the C encoder (``indent`` would switch to the Python one,
    # four times slower) writes each object; encoded a piece of rows at a time, as CSV is.
    encode = json.JSONEncoder(ensure_ascii=False).encode
    written = 0
    out.write(b"[")
    for records in pieces:
        if not records:
            continue
        lines = ",\n".join(encode(_json_object(rec)) for rec in records)
        out.write((("," if written else "") + "\n" + lines).encode("utf-8"))
        written += len(records)
    out.write(b"\n]" if written else b"]")
    return written


def _json_object(record: dict[str, Any]) -> dict[str, Any]:
    data = {k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else v) for k, v in record.items()}
    for name in SCORE_COLUMNS:
        # JSON has no NaN: the encoder would write one, and strict readers (JSON.parse, jq) refuse the file.
        if isinstance(data.get(name), float) and not math.isfinite(data[name]):
            data[name] = None
    return data


def write_parquet(records: Sequence[dict[str, Any]], out: IO[bytes]) -> None:
    """Parquet with typed columns: UTC timestamps, double scores, list columns, evidence as JSON text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols: dict[str, list[Any]] = {name: [] for name in COLUMN_NAMES}
    for rec in records:
        for name in COLUMN_NAMES:
            value = rec[name]
            if isinstance(value, datetime):
                value = value.astimezone(UTC)
            elif name == "evidence":
                value = json.dumps(value, ensure_ascii=False)
            cols[name].append(value)
    pq.write_table(pa.table(cols, schema=parquet_schema()), out)


WRITERS = {
    "csv": write_csv,
    "excel-csv": write_excel_csv,
    "xlsx": write_xlsx,
    "json": write_json,
    "parquet": write_parquet,
}


def write_records(
    records: Sequence[dict[str, Any]], fmt: str, out: IO[bytes], *, about: Sequence[tuple[str, str]] = ()
) -> None:
    """Write ``records`` in format ``fmt`` to a binary stream (XLSX adds an 'about' sheet with ``about``)."""
    if fmt not in WRITERS:
        raise InputError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "xlsx":
        write_xlsx(records, out, about)
    else:
        WRITERS[fmt](records, out)


def read_export(con: duckdb.DuckDBPyConnection, filters: Filters, fmt: str, *, collapse: bool = True) -> Any:
    """What ``fmt`` is written from: cells for CSV and XLSX, an Arrow table for Parquet, records made
    from that table for JSON (all computed by the store). ``len()`` of it is the number of rows."""
    if fmt not in WRITERS:
        raise InputError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt in ("csv", "excel-csv", "xlsx"):
        return select_cells(con, filters, collapse=collapse)
    table = select_table(con, filters, collapse=collapse)
    return table if fmt == "parquet" else records_from_table(table)


def records_from_table(table: Any) -> list[dict[str, Any]]:
    """The export records (as :func:`export_record` makes them) of a :func:`select_table` table."""
    columns = {name: table.column(name).to_pylist() for name in COLUMN_NAMES}
    for name in TIME_COLUMNS:
        columns[name] = [almaty_time(value) if value is not None else None for value in columns[name]]
    columns["evidence"] = [json.loads(text) for text in columns["evidence"]]
    return [dict(zip(COLUMN_NAMES, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def write_export(
    data: Any, fmt: str, out: IO[bytes], *, about: Sequence[tuple[str, str]] = (), collapse: bool = True
) -> None:
    """Write what :func:`read_export` read in format ``fmt`` to a binary stream (``collapse`` as it was
    read: the XLSX 'about' sheet says what its rows are)."""
    if isinstance(data, Cells):
        if fmt == "xlsx":
            write_xlsx_cells(data, out, about, collapse=collapse)
        else:
            write_csv_cells(data, out, excel=fmt == "excel-csv")
    elif isinstance(data, list):
        write_records(data, fmt, out, about=about)
    else:
        import pyarrow.parquet as pq

        pq.write_table(data, out)


def export_to_file(
    db_path: Path,
    filters: Filters,
    fmt: str,
    out_path: Path,
    *,
    collapse: bool = True,
    rows: int | None = None,
) -> int:
    """Export flagged items matching ``filters`` to ``out_path``; returns the number of rows.

    Every format is written as it is read (:func:`review.export_stream.export_store`, ``rows`` at a
    time), the store closed while it is written; XLSX gets an 'about' sheet naming the filters."""
    from review import export_stream  # it builds on this module

    filters.validate()
    if fmt not in WRITERS:
        raise InputError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    # The file is opened first: a folder or a place that cannot be written is said before the reading.
    with whole_file(out_path, "the export") as out:
        # DuckDB spills beside the file written; beside a pipe or device (/dev/stdout) there is none,
        # and the system's /tmp may be a small tmpfs: where the review page's downloads go instead.
        pipe = out_path.exists() and not out_path.is_file()
        folder = export_stream.download_folder(db_path) if pipe else out_path.resolve().parent
        if pipe and not os.access(folder, os.W_OK | os.X_OK):
            folder = None  # an analyst who may read the store but not write its folder: the system's
            # temporary folder, as before (review: the export to stdout of a read-only store failed)
        # The store is open only while the rows are read (into a copy beside the file).
        try:
            count = export_stream.export_store(
                db_path,
                filters,
                fmt,
                out,
                collapse=collapse,
                rows=rows,
                spill=folder,
                about=describe(filters),
            )
        except export_stream.ExportFolderError as exc:
            if not pipe:  # beside the file: "cannot write the export", naming it (whole_file)
                raise
            # Not the pipe named, which had room: the folder (as the page's 507 for its downloads).
            room = exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO)
            raise InputError(
                "the export's temporary files could not be written in this folder: "
                f"{exc.strerror} (set TMPDIR to a folder {'with room' if room else 'it may write'})",
                path=exc.filename,
            ) from None
    log.info("exported %d rows to %s", count, out_path)
    return count


@contextlib.contextmanager
def whole_file(path: Path, what: str) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``path`` only when the block ends without an error, so that a failed
    write (a full disk) never leaves half a file behind, nor puts it in place of an earlier good one.
    A device or pipe (``--out /dev/stdout``) is written directly. OSError becomes InputError naming
    ``what``."""
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and not path.is_file():
            with path.open("wb") as out:
                yield out
            return
        target = path.resolve()  # a symbolic link keeps pointing at the file written
        part = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            with part.open("wb") as out:
                yield out
            if target.exists():  # the file replaced keeps its permissions (an analyst's chmod 600)
                shutil.copymode(target, part)
            part.replace(target)
        finally:
            part.unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write {what}: {exc.strerror or exc}", path=str(path)) from None


def export_filename(fmt: str, now: datetime | None = None) -> str:
    """A download name such as ``flagged-2026-11-25-1405.xlsx`` (local time)."""
    now = (now or datetime.now(UTC)).astimezone(LOCAL_TZ)
    return f"flagged-{now:%Y-%m-%d-%H%M}.{'csv' if fmt == 'excel-csv' else fmt}"


__all__ = [
    "COLUMN_NAMES",
    "FORMATS",
    "LABELS",
    "evidence_text",
    "export_to_file",
    "load_records",
    "read_export",
    "write_export",
    "write_records",
]
