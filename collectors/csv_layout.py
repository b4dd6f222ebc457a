"""How a CSV file is laid out: its delimiter and the line its header is on, for every CSV import (the
generic ``csv`` kind in collectors/file_import.py, monitoring-tool CSVs of a Facebook export).

Decided from the header and the majority of rows, never from unanimity: csv.Sniffer wants (nearly)
every sampled row to hold the same number of a delimiter, so in a semicolon file whose texts hold
commas, one row with a stray ``;`` in an unquoted text made it give up, the file was read with
commas and refused as having "no text column": every row lost for one. Here each candidate delimiter
splits the first lines; the one whose split gives a header the importer knows (``known``) wins, then
the one most rows agree with; the odd row is the importer's to report by its line. Lines before the
header (blank, or a title such as «Отчёт за ноябрь») are skipped, when a known header follows within
a few lines.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

DELIMITERS = (",", ";", "\t")
SAMPLE_LINES = 500  # lines read per candidate delimiter: enough rows for a majority, quick on any file
HEADER_WITHIN = 10  # non-blank records a header may follow (a title, a date range, an export note)
_LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


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


def _records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(lines before it, fields) of each non-blank record among the first SAMPLE_LINES lines."""
    reader = csv.reader(itertools.islice(csv_lines(text), SAMPLE_LINES), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    while True:
        before = reader.line_num
        try:
            fields = next(reader)
        except (StopIteration, csv.Error):  # the reading pass reports an unreadable row by its line
            return records
        if any(f.strip() for f in fields):
            records.append((before, fields))


def find_layout(
    text: str, known: Callable[[Sequence[str]], bool], delimiters: Iterable[str] = DELIMITERS
) -> Layout:
    """The layout of a CSV ``text`` whose header ``known`` accepts; without one, the first non-blank
    line as the header, split where it gives the most columns (the importer says what it lacks)."""
    best: tuple[tuple[bool, float, float], Layout] | None = None
    for delimiter in delimiters:
        records = _records(text, delimiter)
        at = next((i for i, (_, fields) in enumerate(records[:HEADER_WITHIN]) if known(fields)), None)
        found = at is not None
        header_at = at if at is not None else 0
        skip, header = records[header_at] if records else (0, [])
        rows = records[header_at + 1 :]
        agree = sum(len(fields) == len(header) for _, fields in rows) / len(rows) if rows else 1.0
        # a known header first, then the majority; without one, the widest first line (as before)
        score = (found, agree, len(header)) if found else (found, len(header), agree)
        if best is None or score > best[0]:  # ties: the earlier delimiter
            best = score, Layout(delimiter, skip, found)
    return best[1] if best else Layout(",", 0, False)
