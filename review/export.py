"""Exports of flagged items for reviewers: CSV (UTF-8 with BOM), XLSX, JSON and Parquet.

One row per near-duplicate cluster (the newest member stands for it, ``cluster_size`` says how many
flagged items it stands for). Item texts are whatever the public wrote, so spreadsheet cells that
would start a formula (= + - @) are written as text: XLSX cells get the string type, CSV cells a
leading apostrophe (what Excel itself shows for text typed that way).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Sequence
from copy import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from errors import InputError
from review.queries import LABELS, LOCAL_TZ, Filters, describe, select_flagged
from store.db import reader

log = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx", "json", "parquet")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
PARENT_CHARS = 1000  # enough of a parent article to see what a comment answers
XLSX_CELL_MAX = 32767  # Excel's limit on the characters of one cell
MAX_ROW_LINES = 8  # rows grow with their text up to this many lines; the cell holds the rest
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# (column, header width in XLSX characters); the order of every format.
COLUMNS: list[tuple[str, int]] = [
    ("link", 40),
    ("source", 16),
    ("kind", 9),
    ("author", 18),
    ("time", 20),
    ("title", 30),
    ("text", 70),
    ("language", 9),
    ("corruption", 11),
    ("infrastructure", 13),
    ("labels", 16),
    ("evidence", 30),
    ("status", 11),
    ("forwarded_to", 16),
    ("reviewer", 14),
    ("note", 30),
    ("reviewed_at", 20),
    ("parent_text", 50),
    ("parent_link", 40),
    ("cluster_size", 8),
    ("duplicate_links", 40),
    ("external_id", 18),
]
COLUMN_NAMES = [name for name, _ in COLUMNS]


def evidence_text(evidence: dict[str, list[str]]) -> str:
    """Evidence as one readable line: ``corruption: взятка, откат; infrastructure: яма``."""
    return "; ".join(f"{label}: {', '.join(terms)}" for label, terms in evidence.items() if terms)


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
        "time": ts.astimezone(LOCAL_TZ) if ts else None,
        "title": row.get("title"),
        "text": row.get("text"),
        "language": row.get("lang"),
        "corruption": row.get("corruption"),
        "infrastructure": row.get("infrastructure"),
        "labels": list(row.get("labels") or []),
        "evidence": row.get("evidence") or {},
        "status": row.get("review_status") or "new",
        "forwarded_to": row.get("forwarded_to"),
        "reviewer": row.get("reviewer"),
        "note": row.get("note"),
        "reviewed_at": reviewed.astimezone(LOCAL_TZ) if reviewed else None,
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


def _flat(value: Any, *, for_sheet: bool) -> Any:
    """A cell value for CSV/XLSX: lists joined, dicts as evidence text, times as local ISO or naive local."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0) if for_sheet else value.isoformat(timespec="seconds")
    if isinstance(value, dict):
        return evidence_text(value)
    if isinstance(value, list):
        return "\n".join(value) if value and "://" in str(value[0]) else ", ".join(value)
    return value


def write_csv(records: Sequence[dict[str, Any]], out: IO[bytes]) -> None:
    """CSV, UTF-8 with a BOM so that Excel reads Cyrillic and Kazakh letters right."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    w = csv.writer(text)
    w.writerow(COLUMN_NAMES)
    for rec in records:
        cells = []
        for name in COLUMN_NAMES:
            value = _flat(rec[name], for_sheet=False)
            if isinstance(value, str) and value.startswith(FORMULA_START):
                value = "'" + value
            cells.append("" if value is None else value)
        w.writerow(cells)
    text.flush()
    text.detach()


def write_xlsx(
    records: Sequence[dict[str, Any]], out: IO[bytes], about: Sequence[tuple[str, str]] = ()
) -> None:
    """XLSX: header frozen and bold, readable widths, wrapped text, local times, formulas never."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    # Write-only mode streams rows out: several times faster than a normal sheet on large exports.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("flagged")
    for index, (_name, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(records) + 1}"
    header = []
    for name in COLUMN_NAMES:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    # One styled prototype per kind of cell; copying its style array is far cheaper than setting styles.
    protos = {kind: WriteOnlyCell(ws) for kind in ("text", "time", "score", "other")}
    protos["text"].alignment = Alignment(wrap_text=True, vertical="top")
    for kind, number_format in (("time", "yyyy-mm-dd hh:mm"), ("score", "0.000"), ("other", None)):
        protos[kind].alignment = Alignment(vertical="top")
        if number_format:
            protos[kind].number_format = number_format
    for row_index, rec in enumerate(records, start=2):
        values = []
        cells = []
        for name in COLUMN_NAMES:
            value = _flat(rec[name], for_sheet=True)
            if isinstance(value, str):
                value = _sheet_text(value)
                kind = "text"
            elif isinstance(value, datetime):
                kind = "time"
            elif isinstance(value, float):
                kind = "score"
            else:
                kind = "other"
            values.append(value)
            cell = WriteOnlyCell(ws, value=value)
            cell._style = copy(protos[kind]._style)
            if kind == "text":
                cell.data_type = "s"  # a text that looks like a formula stays text
            cells.append(cell)
        ws.row_dimensions[row_index].height = _row_height(values)
        ws.append(cells)
    info = wb.create_sheet("about")
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 70
    exported = datetime.now(UTC).astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)
    for pair in [
        ("exported at (Asia/Almaty)", exported),
        ("rows", len(records)),
        ("times", "local time of Asia/Almaty"),
        ("near-duplicates", "one row per cluster; cluster_size counts the flagged items it stands for"),
        *about,
    ]:
        info.append(list(pair))
    wb.save(out)


def _row_height(row: list[Any]) -> float:
    # Wrapped text needs taller rows; capped so that one long article does not fill the screen.
    lines = 1
    for value, (_name, width) in zip(row, COLUMNS, strict=True):
        if isinstance(value, str) and value:
            per_line = max(1, int(width * 1.15))
            lines = max(lines, sum(-(-len(part) // per_line) or 1 for part in value.split("\n")))
    return 15.0 * min(lines, MAX_ROW_LINES)


def _sheet_text(value: str) -> str:
    # Control characters other than tab/newline are not allowed in XLSX cells.
    clean = "".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 32)
    return clean if len(clean) <= XLSX_CELL_MAX else clean[: XLSX_CELL_MAX - 1] + "…"


def write_json(records: Sequence[dict[str, Any]], out: IO[bytes]) -> None:
    """A JSON array of objects; times as ISO 8601 with the Asia/Almaty offset."""
    data = [
        {k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else v) for k, v in rec.items()}
        for rec in records
    ]
    out.write(json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def write_parquet(records: Sequence[dict[str, Any]], out: IO[bytes]) -> None:
    """Parquet with typed columns: UTC timestamps, double scores, list columns, evidence as JSON text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("link", pa.string()),
            ("source", pa.string()),
            ("kind", pa.string()),
            ("author", pa.string()),
            ("time", pa.timestamp("us", tz="UTC")),
            ("title", pa.string()),
            ("text", pa.string()),
            ("language", pa.string()),
            ("corruption", pa.float64()),
            ("infrastructure", pa.float64()),
            ("labels", pa.list_(pa.string())),
            ("evidence", pa.string()),
            ("status", pa.string()),
            ("forwarded_to", pa.string()),
            ("reviewer", pa.string()),
            ("note", pa.string()),
            ("reviewed_at", pa.timestamp("us", tz="UTC")),
            ("parent_text", pa.string()),
            ("parent_link", pa.string()),
            ("cluster_size", pa.int32()),
            ("duplicate_links", pa.list_(pa.string())),
            ("external_id", pa.string()),
        ]
    )
    cols: dict[str, list[Any]] = {name: [] for name in COLUMN_NAMES}
    for rec in records:
        for name in COLUMN_NAMES:
            value = rec[name]
            if isinstance(value, datetime):
                value = value.astimezone(UTC)
            elif name == "evidence":
                value = json.dumps(value, ensure_ascii=False)
            cols[name].append(value)
    pq.write_table(pa.table(cols, schema=schema), out)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json, "parquet": write_parquet}


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


def export_to_file(
    db_path: Path, filters: Filters, fmt: str, out_path: Path, *, collapse: bool = True
) -> int:
    """Export flagged items matching ``filters`` to ``out_path``; returns the number of rows."""
    records = load_records(db_path, filters, collapse=collapse)
    buffer = io.BytesIO()
    write_records(records, fmt, buffer, about=describe(filters))
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole at the end, so a failed export never leaves half a file behind.
        out_path.write_bytes(buffer.getvalue())
    except OSError as exc:
        raise InputError(f"cannot write the export: {exc.strerror}", path=str(out_path)) from None
    log.info("exported %d rows to %s", len(records), out_path)
    return len(records)


def export_filename(fmt: str, now: datetime | None = None) -> str:
    """A download name such as ``flagged-2026-11-25-1405.xlsx`` (local time)."""
    now = (now or datetime.now(UTC)).astimezone(LOCAL_TZ)
    return f"flagged-{now:%Y-%m-%d-%H%M}.{fmt}"


__all__ = ["COLUMN_NAMES", "FORMATS", "LABELS", "export_to_file", "load_records", "write_records"]
