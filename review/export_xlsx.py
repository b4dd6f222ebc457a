"""The XLSX export written a page of rows at a time (:class:`review.xlsx.Workbook`), so that what it
holds is one page of cells and its XML, whatever the number of rows.

The ``export`` command counts the rows of its copy first (more than a sheet holds are refused before
anything is written), then writes the pages it reads (:mod:`review.export_stream`), as the review
page's downloads do. The 'about' sheet, whose row count and count
of texts cut are known only at the end, is written after the data sheet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import IO, Any

from errors import InputError
from review import export
from review.cells import COLUMNS, TIME_COLUMNS, Cells
from review.export import NUMBER_COLUMNS, SCORE_COLUMNS
from review.queries import LOCAL_TZ
from review.xlsx import CELL_MAX, END_DATE, FIRST_DATE, MAX_ROWS, Column, Workbook, cut_at_cell_limit

log = logging.getLogger(__name__)

MAX_ROW_LINES = 8  # rows grow with their text up to this many lines; the cell holds the rest
_TEXT_TYPES = {str, type(None)}
_KINDS = {name: "date" for name in TIME_COLUMNS} | {name: "score" for name in SCORE_COLUMNS}
_KINDS |= {name: "number" for name in NUMBER_COLUMNS}
SHEET_COLUMNS = [Column(name, width, _KINDS.get(name, "text")) for name, width in COLUMNS]
# What the 'about' sheet says of the rows and of what text cells leave out.
ONE_PER_CLUSTER = "one row per cluster; cluster_size counts the flagged items it stands for"
ONE_PER_ITEM = (
    "one row per flagged item (--all-duplicates): near-duplicates each have their own row; "
    "cluster_size counts the items of the row's cluster (each a row here), duplicate_links their links"
)
TEXT_CELLS = (
    f"control characters U+0001 to U+001F other than tab, line break and carriage return are left out "
    f"(XML cannot hold them); a text longer than a cell holds ({CELL_MAX:,} characters, an emoji counting "
    "two) is cut and ends in …; CSV, JSON and Parquet exports hold them whole"
)


def check_rows(rows: int) -> None:
    """An InputError when ``rows`` rows do not fit below the header of an Excel sheet."""
    if rows >= MAX_ROWS:  # the header takes one of the sheet's rows
        raise InputError(
            f"{rows:,} rows do not fit in an Excel sheet (at most {MAX_ROWS - 1:,}); "
            "narrow the filters, or export csv or parquet"
        )


def write_xlsx_cells(
    cells: Cells, out: IO[bytes], about: Sequence[tuple[str, str]] = (), *, collapse: bool = True
) -> None:
    """XLSX of export cells held whole (tests, benchmarks), written CHUNK_ROWS rows at a time."""
    check_rows(len(cells))
    write_xlsx_pieces(pages(cells, export.CHUNK_ROWS), len(cells), out, about, collapse=collapse)


def pages(cells: Cells, size: int) -> Iterator[Cells]:
    """``cells`` a piece of at most ``size`` rows at a time."""
    for start in range(0, len(cells), size):
        end = start + size
        yield Cells(
            {name: values[start:end] for name, values in cells.columns.items()},
            {name: values[start:end] for name, values in cells.local_seconds.items()},
        )


def write_xlsx_pieces(
    pieces: Iterable[Cells],
    rows: int,
    out: IO[bytes],
    about: Sequence[tuple[str, str]] = (),
    *,
    collapse: bool = True,
) -> int:
    """XLSX of export cells coming a piece at a time, ``rows`` rows in all (counted beforehand: the
    sheet's size is written before its rows), with an 'about' sheet: when, how many rows, what the
    times and rows mean (one per near-duplicate cluster with ``collapse``, else one per item, as
    ``export --all-duplicates`` gives), what text cells leave out, texts cut, ``about``. Header
    frozen and bold, readable widths, wrapped text, local times, formulas never. Returns the number
    of rows; more than a sheet holds are an InputError."""
    check_rows(rows)
    cut = 0
    with Workbook(out, ["flagged", "about"]) as book:
        with book.table(SHEET_COLUMNS, rows) as sheet:
            for cells in pieces:
                values = [_values(col, cells) for col in SHEET_COLUMNS]
                cut += sum(
                    _cut(column)
                    for col, column in zip(SHEET_COLUMNS, values, strict=True)
                    if col.kind == "text"
                )
                sheet.add(values, _row_lines(SHEET_COLUMNS, values, len(cells)))
        book.add_pairs(_about(rows, cut, about, collapse), (22, 70))
    return rows


def _values(col: Column, cells: Cells) -> Sequence[Any]:
    if col.kind == "date":
        return _dates(cells.local_seconds[col.header], cells.columns[col.header])
    if col.kind == "text":
        return _texts(cells.columns[col.header])
    return cells.columns[col.header]


def _cut(texts: Sequence[str | None]) -> int:
    # How many of a column's texts the cell limit cuts; none is that long in almost every column.
    present = list(filter(None, texts))
    if max(map(len, present), default=0) <= CELL_MAX // 2:
        return 0
    return sum(map(cut_at_cell_limit, present))


def _about(
    rows: int, cut: int, about: Sequence[tuple[str, str]], collapse: bool = True
) -> list[tuple[str, Any]]:
    exported = datetime.now(UTC).astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)
    pairs: list[tuple[str, Any]] = [
        ("exported at (Asia/Almaty)", exported.isoformat(sep=" ")),
        ("rows", rows),
        ("times", "local time of Asia/Almaty; time is the publication time, else the collection time"),
        ("near-duplicates", ONE_PER_CLUSTER if collapse else ONE_PER_ITEM),
        ("text cells", TEXT_CELLS),
        *about,
    ]
    if not collapse:
        pairs.append(("all duplicates", "yes (--all-duplicates): near-duplicates not collapsed"))
    if cut:
        log.warning(
            "%d texts longer than an XLSX cell holds were cut (they end in …); csv, json and parquet hold them whole",
            cut,
        )
        pairs.append(
            (
                "cut",
                f"{cut} texts longer than a cell holds ({CELL_MAX:,} characters) end in …; CSV, JSON and "
                "Parquet exports hold them whole",
            )
        )
    return pairs


def _dates(seconds: list[int | None], texts: list[Any]) -> Sequence[int | str | None]:
    # A time Excel holds as a date (1900 to 9999) goes in as one; any other (a year-1 placeholder) as its text.
    if all(s is None or FIRST_DATE <= s < END_DATE for s in seconds):
        return seconds
    return [s if s is None or FIRST_DATE <= s < END_DATE else t for s, t in zip(seconds, texts, strict=True)]


def _texts(values: list[Any]) -> list[Any]:
    # Records made by hand may put a number where text belongs: it goes in as its text.
    if set(map(type, values)) <= _TEXT_TYPES:
        return values
    return [v if v is None or isinstance(v, str) else str(v) for v in values]


def _row_lines(columns: Sequence[Column], values: Sequence[Sequence[Any]], rows: int) -> list[int]:
    # Wrapped text needs taller rows; capped so that one long article does not fill the screen.
    per_column = []
    for col, column in zip(columns, values, strict=True):
        if col.kind != "text":
            continue
        per_line = max(1, int(col.width * 1.15))
        present = [v for v in column if v]
        if not present or (max(map(len, present)) <= per_line and "\n" not in "".join(present)):
            continue  # every value fits on one line
        per_column.append(
            [
                1 if not v or (len(v) <= per_line and "\n" not in v) else _text_lines(v, per_line)
                for v in column
            ]
        )
    if not per_column:
        return [1] * rows
    return [min(max(lines), MAX_ROW_LINES) for lines in zip(*per_column, strict=True)]


def _text_lines(value: str, per_line: int) -> int:
    return sum(-(-len(part) // per_line) or 1 for part in value.split("\n"))
