"""How a CSV file is laid out: its delimiter and the line its header is on, for every CSV import (the
generic ``csv`` kind in collectors/file_import.py, monitoring-tool CSVs of a Facebook export).

Decided from the header and the majority of rows, never from unanimity: csv.Sniffer wants (nearly)
every sampled row to hold the same number of a delimiter, so in a semicolon file whose texts hold
commas, one row with a stray ``;`` in an unquoted text made it give up, the file was read with
commas and refused as having "no text column": every row lost for one. Here each candidate delimiter
splits the first lines; the one whose split gives a header the importer knows (``known``) wins, the
earliest such header first (a data row that another delimiter splits into known names is no header),
then the one most rows agree with; the odd row is the importer's to report by its line. Lines before
the header (blank, or a title such as «Отчёт за ноябрь») are skipped, when a known header follows
within ten non-blank lines. A first line ``sep=;`` (``sep=|``, ``sep=,``: Excel writes it and reads
the delimiter from it) is no header and no row, and its delimiter is taken when it splits a known
header (a header it does not split, as in a file saved again with another delimiter, is read by
another), unless the caller names one (the csv import's ``delimiter`` option).
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

DELIMITERS = (",", ";", "\t")
SAMPLE_LINES = 500  # lines read per candidate delimiter: enough rows for a majority, quick on any file
SAMPLE_CHARS = 2**20  # and characters: 500 lines of 300,000 characters held 150 MB of fields each
HEADER_WITHIN = 10  # non-blank records a header may follow (a title, a date range, an export note)
_LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
# Excel's first line naming the delimiter: «sep=;» (some tools quote it: «"sep=;"»)
_EXCEL_SEP = re.compile(r'("?)sep=([^"\r\n])\1[ \t]*(?:\r\n|\r|\n|$)', re.IGNORECASE)


def csv_lines(text: str) -> Iterator[str]:
    """The lines of a CSV text with their ends, as ``io.StringIO(text, newline="")`` gives them to the
    csv module, without its copy of the whole text (four bytes a character)."""
    for m in _LINE_WITH_END.finditer(text):
        yield m.group()


@dataclass(frozen=True)
class Layout:
    """Where a CSV file's rows are: ``skip`` lines before its header, split at ``delimiter``."""

    delimiter: str
    skip: int  # lines before the header's line (0: the header is the first line)
    known: bool  # whether the header is one the importer reads (else it reports what it found)


def excel_separator(text: str) -> str | None:
    """The delimiter a first line ``sep=;`` names (Excel writes and reads it); None without one."""
    m = _EXCEL_SEP.match(text)
    return m[2] if m else None


def _sample(text: str, start: int = 0) -> Iterator[str]:
    """The first SAMPLE_LINES lines of ``text`` after its first ``start``, stopping after the line that
    reaches SAMPLE_CHARS."""
    size = 0
    for line in itertools.islice(csv_lines(text), start, start + SAMPLE_LINES):
        yield line
        size += len(line)
        if size >= SAMPLE_CHARS:
            return


def _records(text: str, delimiter: str, start: int = 0) -> tuple[list[tuple[int, list[str]]], list[int]]:
    """(lines before it, fields) of the first non-blank records after ``start`` lines, as many as a
    header may be the last of, and the field count of every non-blank record in the sample (counts
    only: rows may be long). A space after the delimiter is skipped, so that ``"Message", "URL"`` is
    two quoted names."""
    reader = csv.reader(_sample(text, start), delimiter=delimiter, skipinitialspace=True)
    records: list[tuple[int, list[str]]] = []
    widths: list[int] = []
    while True:
        before = start + reader.line_num
        try:
            fields = next(reader)
        except (StopIteration, csv.Error):  # the reading pass reports an unreadable row by its line
            return records, widths
        if any(f.strip() for f in fields):
            if len(records) <= HEADER_WITHIN:
                records.append((before, fields))
            widths.append(len(fields))


def find_layout(
    text: str, known: Callable[[Sequence[str]], bool], delimiters: Iterable[str] = DELIMITERS
) -> Layout:
    """The layout of a CSV ``text`` whose header ``known`` accepts; without one, the first non-blank
    line as the header, split where it gives the most columns (the importer says what it lacks).
    The earliest such header wins (a data row that some other delimiter splits into known names is
    no header), then the one most rows agree with. A first line ``sep=;`` is skipped, and its delimiter
    is taken when it splits a known header, else the others are tried too (unless ``delimiters`` is
    one: a delimiter the caller was told)."""
    candidates = tuple(delimiters)
    named = excel_separator(text)
    start = 0 if named is None else 1
    if named is not None and len(candidates) > 1:
        # first, and alone when it splits a known header; but not alone otherwise: a file re-delimited
        # since that kept its ``sep=,`` line is still read by the delimiter its header shows (review)
        candidates = (named, *(d for d in candidates if d != named))
    best: tuple[tuple[bool, float, float, float], Layout] | None = None
    for delimiter in candidates:
        records, widths = _records(text, delimiter, start)
        at = next((i for i, (_, fields) in enumerate(records) if known(fields)), None)
        found = at is not None
        header_at = at if at is not None else 0
        skip, header = records[header_at] if records else (start, [])
        if found and delimiter == named:
            return Layout(delimiter, skip, True)  # the file says it, and its header agrees: the vote
            # of the rows would count a trailing delimiter (``text`` over ``Нет воды, света;``) against it
        rows = widths[header_at + 1 :]
        agree = sum(n == len(header) for n in rows) / len(rows) if rows else 1.0
        # a known header first, the earliest, then the majority; without one, the widest first line
        score = (found, -skip, agree, len(header)) if found else (found, len(header), agree, 0)
        if best is None or score > best[0]:  # ties: the earlier delimiter
            best = score, Layout(delimiter, skip, found)
    return best[1] if best else Layout(",", start, False)


def most_rows_width(text: str, skip: int, **fmt: Any) -> int:
    """The field count most of the first rows after the header (``skip`` lines up to its end) have,
    read with the csv ``fmt`` (a dialect or a delimiter); 0 for an unreadable or empty sample.
    Spreadsheets write every row as wide as the widest (``text,author,date,,``): a row as wide as most
    is padded, a row wider than most holds a stray delimiter."""
    rows = csv.reader(itertools.islice(csv_lines(text), skip, skip + SAMPLE_LINES), **fmt)
    try:
        widths = Counter(len(row) for row in rows if any(f.strip() for f in row))
    except csv.Error:
        return 0
    return widths.most_common(1)[0][0] if widths else 0


def column_names(
    header: Sequence[str], width: int = 0, *, fold: Callable[[str], str] = str.lower
) -> list[str]:
    """``header``'s names, padded to ``width`` columns, with ``column 3`` (its place) for a cell without a
    name; a placeholder another column really has (``fold`` compares) gets a suffix until it is unique."""
    taken = {fold(h) for h in header if h.strip()}
    names: list[str] = []
    for n, name in enumerate([*header, *[""] * (width - len(header))], start=1):
        if not name.strip():
            name, suffix = f"column {n}", 1
            while fold(name) in taken:
                suffix += 1
                name = f"column {n} (unnamed)" if suffix == 2 else f"column {n} (unnamed {suffix - 1})"
            taken.add(fold(name))
        names.append(name)
    return names
