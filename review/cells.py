"""The cells of the CSV and XLSX exports (one list per column, each value as the sheet shows it) and
the typed table of the Parquet export.

Two roads lead to the same cells. For the ``export`` command and the review page's download DuckDB
computes them (local times, joined lists, parent texts), so that 10,000 rows of a 1,000,000-item
store come out in a fraction of a second without a Python object per row; for records already in
memory (tests, callers holding records) :func:`cells_from_records` flattens them in Python. Tests
hold the two equal, and the Parquet table equal to the Parquet written from records.

Tests and benchmarks read an export whole (:func:`select_cells`, :func:`select_table`); the command
and the review page's downloads run the steps of its query that read the store one at a time into a DuckDB file of its own
(:func:`copy_steps`; step by step, DuckDB keeps to a memory limit), lets the store go, and reads
the export's rows from that file a piece at a time (:func:`stream_cells`, :func:`stream_tables`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from review.queries import Filters, flagged_rows_sql, parse_evidence
from review.render import evidence_as_written, may_write_otherwise

PARENT_CHARS = 1000  # enough of a parent article to see what a comment answers

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
    ("added_by_reviewer", 14),
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
TIME_COLUMNS = ("time", "reviewed_at")
_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 -- wall-clock arithmetic on naive local times


@dataclass(slots=True)
class Cells:
    """Export cells by column (``COLUMN_NAMES``): text, numbers or None; times as local ISO 8601 text.

    ``local_seconds`` holds each time column again as seconds of local wall-clock time since
    1970-01-01 (whole seconds), which is what a spreadsheet date is made from.
    """

    columns: dict[str, list[Any]]
    local_seconds: dict[str, list[int | None]]

    def __len__(self) -> int:
        return len(self.columns["source"])


def evidence_text(evidence: dict[str, list[str]]) -> str:
    """Evidence as one readable line: ``corruption: взятка, откат; infrastructure: яма``."""
    return "; ".join(f"{label}: {', '.join(terms)}" for label, terms in evidence.items() if terms)


def evidence_cell(text: str | None, evidence: dict[str, list[str]]) -> str:
    """The evidence column as the review page names the terms: as the text writes them where the
    classifier rewrote its words («para sūrady (пара сұрады)»), else as stored."""
    return evidence_text(evidence_as_written(text, evidence) if may_write_otherwise(text) else evidence)


def joined(values: list[str]) -> str:
    """A list cell: links one per line, anything else comma-separated."""
    return "\n".join(values) if values and "://" in str(values[0]) else ", ".join(values)


def flat(value: Any) -> Any:
    """One record value as a cell: lists joined, evidence as text, times as ISO 8601 with their offset."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dict):
        return evidence_text(value)
    if isinstance(value, list):
        return joined(value)
    return value


def wall_seconds(value: Any) -> int | None:
    """A time's wall-clock reading (in its own zone) as whole seconds since 1970-01-01, or None."""
    if not isinstance(value, datetime):
        return None
    delta = value.replace(tzinfo=None) - _EPOCH
    return delta.days * 86400 + delta.seconds


def wall_time(seconds: int) -> datetime:
    """The naive wall-clock time of :func:`wall_seconds`' reading."""
    return _EPOCH + timedelta(seconds=seconds)


def cells_from_records(records: Sequence[dict[str, Any]]) -> Cells:
    """Cells of export records (as :func:`review.export.export_record` makes them)."""
    columns = {name: [flat(rec[name]) for rec in records] for name in COLUMN_NAMES}
    columns["evidence"] = [evidence_cell(rec["text"], rec["evidence"]) for rec in records]
    seconds = {name: [wall_seconds(rec[name]) for rec in records] for name in TIME_COLUMNS}
    return Cells(columns, seconds)


def _local(column: str) -> str:
    return f"timezone('Asia/Almaty', {column})"


def _iso(column: str) -> str:
    # Python's isoformat(timespec="seconds") of the Asia/Almaty time: the offset as ±HH:MM, with
    # :SS only when it has seconds (local mean time before 1924).
    offset = f"((epoch_us({_local(column)}) - epoch_us(timezone('UTC', {column}))) // 1000000)"
    sign = f"CASE WHEN {offset} < 0 THEN '-' ELSE '+' END"
    hours = f"lpad(CAST(abs({offset}) // 3600 AS VARCHAR), 2, '0')"
    minutes = f"lpad(CAST(abs({offset}) % 3600 // 60 AS VARCHAR), 2, '0')"
    seconds = f"CASE WHEN abs({offset}) % 60 <> 0 THEN ':' || lpad(CAST(abs({offset}) % 60 AS VARCHAR), 2, '0') ELSE '' END"
    return f"strftime({_local(column)}, '%Y-%m-%dT%H:%M:%S') || {sign} || {hours} || ':' || {minutes} || {seconds}"


def _wall_seconds(column: str) -> str:
    return f"epoch_us(date_trunc('second', {_local(column)})) // 1000000"


def _joined(column: str) -> str:
    return (
        f"CASE WHEN len({column}) > 0 AND contains({column}[1], '://') "
        f"THEN array_to_string({column}, chr(10)) ELSE coalesce(array_to_string({column}, ', '), '') END"
    )


_PARENT_TEXT = f"""CASE WHEN length(parent_both) <= {PARENT_CHARS} THEN parent_both
            ELSE left(parent_both, {PARENT_CHARS - 1}) || '…' END"""
# The export's rows in steps after the store's selection ``sel`` of review.queries.flagged_rows_sql
# (whose own clustering is left unused: it numbers every row in a window over the rows with their
# texts, which DuckDB holds in memory whole). Each step reads the ones before it ({at}: where they
# are, see copy_steps). Near-duplicates are
# numbered over the keys of the rows that share a cluster (few); the others are clusters of one.
# Texts are read by row id for the rows and parents exported only, as flagged_rows_sql reads them.
_STEPS = (
    ("export_sel", "SELECT * FROM sel"),
    (
        "export_members",
        """SELECT source, external_id, cluster_key,
           count(*) OVER (PARTITION BY cluster_key) AS cluster_size,
           row_number() OVER (PARTITION BY cluster_key ORDER BY ts DESC, source, external_id) AS cluster_rank
    FROM {at}export_sel
    WHERE cluster_key IN (SELECT cluster_key FROM {at}export_sel GROUP BY cluster_key HAVING count(*) > 1)""",
    ),
    (
        "export_links",
        """SELECT m.cluster_key, list(i.url ORDER BY m.cluster_rank) AS cluster_urls
    FROM {at}export_members m JOIN items i USING (source, external_id)
    GROUP BY m.cluster_key""",
    ),
    (
        "export_parents",
        """WITH located AS (
        SELECT i.rowid AS item_row, i.source, i.external_id
        FROM items i SEMI JOIN (SELECT source, parent AS external_id FROM {at}export_sel) USING (source, external_id)
    )
    SELECT l.source, l.external_id, i.title, i.text, i.url FROM located l JOIN items i ON i.rowid = l.item_row""",
    ),
    (
        "export_texts",
        """WITH located AS (
        SELECT i.rowid AS item_row, i.source, i.external_id FROM items i SEMI JOIN {at}export_sel USING (source, external_id)
    )
    SELECT s.*, i.url, i.author, i.title, i.text
    FROM {at}export_sel s JOIN located l USING (source, external_id) JOIN items i ON i.rowid = l.item_row""",
    ),
)
# The last step, which the export's SELECT reads: every row of export_texts with its cluster and parent.
_PICKED = """
    SELECT s.*, coalesce(m.cluster_size, 1) AS cluster_size, coalesce(k.cluster_urls, [s.url]) AS cluster_urls,
           p.title AS parent_title, p.text AS parent_text, p.url AS parent_url
    FROM export_texts s
    LEFT JOIN export_members m USING (source, external_id)
    LEFT JOIN export_links k ON k.cluster_key = s.cluster_key
    LEFT JOIN export_parents p ON p.source = s.source AND p.external_id = s.parent
    WHERE {collapse}
"""
_FROM_PICKED = """
FROM (
    SELECT *,
           CASE WHEN coalesce(parent_title, '') = '' THEN nullif(parent_text, '')
                WHEN coalesce(parent_text, '') = '' OR parent_text = parent_title THEN parent_title
                ELSE parent_title || chr(10) || parent_text END AS parent_both
    FROM export_picked
)
ORDER BY ts DESC, source, external_id
"""
_CELLS = f"""
SELECT url AS link, source, kind, author, {_iso("ts")} AS time, title, text, lang AS language,
       corruption, infrastructure, {_joined("labels")} AS labels,
       {_joined("reviewer_labels")} AS added_by_reviewer, CAST(evidence AS VARCHAR) AS evidence,
       coalesce(nullif(review_status, ''), 'new') AS status, forwarded_to, reviewer, note,
       {_iso("reviewed_at")} AS reviewed_at, {_PARENT_TEXT} AS parent_text,
       parent_url AS parent_link, CAST(cluster_size AS INTEGER) AS cluster_size,
       CASE WHEN cluster_size > 1 THEN cluster_urls END AS duplicate_links,
       external_id, {_wall_seconds("ts")} AS time_seconds, {_wall_seconds("reviewed_at")} AS reviewed_at_seconds
{_FROM_PICKED}"""
# The same rows with typed values, for Parquet: UTC times, lists, evidence as stored.
_TYPED = f"""
SELECT url AS link, source, kind, author, ts AS time, title, text, lang AS language,
       corruption, infrastructure, coalesce(labels, []) AS labels,
       coalesce(reviewer_labels, []) AS added_by_reviewer, CAST(evidence AS VARCHAR) AS evidence,
       coalesce(nullif(review_status, ''), 'new') AS status, forwarded_to, reviewer, note,
       reviewed_at, {_PARENT_TEXT} AS parent_text,
       parent_url AS parent_link, CAST(cluster_size AS INTEGER) AS cluster_size,
       CASE WHEN cluster_size > 1 THEN cluster_urls END AS duplicate_links, external_id
{_FROM_PICKED}"""


def export_rows_sql(filters: Filters, *, collapse: bool) -> tuple[str, list[Any]]:
    """A ``WITH`` clause ending in ``export_picked``: the rows of ``flagged_rows_sql``'s ``picked``
    (the same columns), every step of the export's one query; order it by ``ts DESC, source, external_id``."""
    with_clause, params = flagged_rows_sql(filters, collapse=False)
    steps = "".join(f", {name} AS (\n    {_at(sql, '')}\n)" for name, sql in _STEPS)
    return f"{with_clause.rstrip()}{steps}, export_picked AS ({picked_sql(collapse)})\n", params


def picked_sql(collapse: bool) -> str:
    """The SELECT of the export's rows among ``export_steps`` (one per near-duplicate group with ``collapse``)."""
    return _PICKED.format(collapse="coalesce(m.cluster_rank, 1) = 1" if collapse else "true")


def _at(sql: str, database: str) -> str:
    return sql.replace("{at}", database)


def copy_steps(con: duckdb.DuckDBPyConnection, filters: Filters, *, database: str) -> None:
    """Run the steps of :func:`export_rows_sql` that read the store, one at a time, into tables of
    ``database``, a database attached to ``con``: what the export reads of the store.
    :func:`stream_cells` and :func:`stream_tables` make the export's rows of them, on a connection
    of that database's own, with the store closed.

    One query of every step holds each step's joins and the final sort in memory at once; DuckDB
    under a memory limit then ran out of it, where step by step it spills what it does not hold."""
    with_clause, params = flagged_rows_sql(filters, collapse=False)
    for number, (name, sql) in enumerate(_STEPS):
        # The store's selection needs its WITH clause and the filters' values; the others read tables.
        query = f"{with_clause} {_at(sql, database + '.')}" if number == 0 else _at(sql, database + ".")
        con.execute(f"CREATE OR REPLACE TABLE {database}.{name} AS {query}", params if number == 0 else [])


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> Any:
    # The result as an Arrow table, through a relation: an Arrow result of an execute() cursor costs
    # one more copy (and duckdb 2 warns about it).
    return con.sql(sql, params=params or None).to_arrow_table()


def _evidence_cells(raw: list[str | None], texts: list[str | None]) -> list[str]:
    cells = _per_distinct(raw, lambda value: evidence_text(parse_evidence(value)))
    # A text with a Latin letter outside its links may write its terms otherwise (evidence_as_written).
    return [
        evidence_text(evidence_as_written(text, parse_evidence(value)))
        if cell and may_write_otherwise(text)
        else cell
        for cell, value, text in zip(cells, raw, texts, strict=True)
    ]


def _per_distinct(values: list[Any], convert: Callable[[Any], str]) -> list[str]:
    # The same evidence recurs (an empty one, the common terms): each distinct value is converted once.
    known: dict[Any, str] = {}
    out = []
    for value in values:
        text = known.get(value)
        if text is None:
            text = known[value] = convert(value)
        out.append(text)
    return out


def _other_links(clusters: list[list[str | None] | None], links: list[str | None]) -> list[list[str]]:
    # The other members' links, each once, newest member first (as export_record makes them);
    # none for a row that is alone in its cluster.
    return [
        [] if urls is None else list(dict.fromkeys(u for u in urls if u and u != own))
        for urls, own in zip(clusters, links, strict=True)
    ]


def select_cells(con: duckdb.DuckDBPyConnection, filters: Filters, *, collapse: bool = True) -> Cells:
    """The export cells of the flagged items matching ``filters``, newest first."""
    with_clause, params = export_rows_sql(filters, collapse=collapse)
    return cells_of(_arrow(con, with_clause + _CELLS, params))


def cells_of(table: Any) -> Cells:
    """The cells of an Arrow table or record batch of the ``_CELLS`` query's rows."""
    # Column by column from Arrow: about half the time of fetchall() and a transposition.
    data = {name: table.column(name).to_pylist() for name in table.schema.names}
    data["evidence"] = _evidence_cells(data["evidence"], data["text"])
    # The other members' links (few rows are in a cluster of more than one): as export_record makes them.
    data["duplicate_links"] = [joined(links) for links in _other_links(data["duplicate_links"], data["link"])]
    seconds = {name: data.pop(f"{name}_seconds") for name in TIME_COLUMNS}
    return Cells({name: data[name] for name in COLUMN_NAMES}, seconds)


def parquet_schema() -> Any:
    """The Parquet export's columns and types (pyarrow is imported only when asked)."""
    import pyarrow as pa

    text, stamp, texts = pa.string(), pa.timestamp("us", tz="UTC"), pa.list_(pa.string())
    types = {"time": stamp, "reviewed_at": stamp, "corruption": pa.float64(), "infrastructure": pa.float64()}
    types |= {
        "labels": texts,
        "added_by_reviewer": texts,
        "duplicate_links": texts,
        "cluster_size": pa.int32(),
    }
    return pa.schema([(name, types.get(name, text)) for name in COLUMN_NAMES])


def select_table(con: duckdb.DuckDBPyConnection, filters: Filters, *, collapse: bool = True) -> Any:
    """The flagged items matching ``filters`` as an Arrow table of :func:`parquet_schema`, newest first."""
    with_clause, params = export_rows_sql(filters, collapse=collapse)
    return typed_of(_arrow(con, with_clause + _TYPED, params))


def typed_of(table: Any) -> Any:
    """An Arrow table of :func:`parquet_schema` made from a table or record batch of the ``_TYPED`` query's rows."""
    import pyarrow as pa

    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    evidence = _per_distinct(
        table.column("evidence").to_pylist(), lambda raw: json.dumps(parse_evidence(raw), ensure_ascii=False)
    )
    links = _other_links(table.column("duplicate_links").to_pylist(), table.column("link").to_pylist())
    names = table.column_names
    table = table.set_column(names.index("evidence"), "evidence", pa.array(evidence, pa.string()))
    table = table.set_column(
        names.index("duplicate_links"), "duplicate_links", pa.array(links, pa.list_(pa.string()))
    )
    return table.cast(parquet_schema())


def stream_cells(
    con: duckdb.DuckDBPyConnection, *, collapse: bool = True, rows: int = 20_000
) -> Generator[Cells, None, None]:
    """:func:`select_cells` a piece of at most ``rows`` rows at a time (DuckDB's result read as a
    stream), from a connection to the tables of :func:`copy_steps`."""
    return _pieces(con, collapse, rows, _CELLS, cells_of)


def stream_tables(
    con: duckdb.DuckDBPyConnection, *, collapse: bool = True, rows: int = 20_000
) -> Generator[Any, None, None]:
    """:func:`select_table` a piece of at most ``rows`` rows at a time (DuckDB's result read as a
    stream), from a connection to the tables of :func:`copy_steps`."""
    return _pieces(con, collapse, rows, _TYPED, typed_of)


def _pieces(
    con: duckdb.DuckDBPyConnection, collapse: bool, rows: int, query: str, convert: Callable[[Any], Any]
) -> Generator[Any, None, None]:
    # ``query`` (_CELLS, _TYPED) over the steps' tables, ``convert``ed a piece of at most ``rows`` rows at a time.
    batches = _stream(con, f"WITH export_picked AS ({picked_sql(collapse)})\n{query}", [], rows)
    try:
        for batch in batches:
            yield convert(batch)
    finally:
        batches.close()  # a reader left half-read (a write failed) keeps DuckDB's result open


def _stream(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], rows: int
) -> Generator[Any, None, None]:
    # DuckDB hands out record batches of about ``rows`` rows (whole vectors of 2,048); each is cut to
    # at most ``rows``, so that the Python objects made of one stay within what the caller asked.
    # params None, not []: duckdb before 1.4 ran a query given [] at once, whole, instead of lazily
    relation = con.sql(sql, params=params or None)
    # to_arrow_reader in duckdb 2, fetch_arrow_reader in 1.x (a deprecated alias in 2)
    open_reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
    batches = open_reader(rows)
    try:
        for batch in batches:
            for start in range(0, batch.num_rows, rows):
                yield batch.slice(start, rows)
    finally:
        # A reader left half-read keeps its connection busy (DuckDB refuses other queries on it).
        batches.close()


__all__ = [
    "COLUMNS",
    "COLUMN_NAMES",
    "Cells",
    "cells_from_records",
    "cells_of",
    "copy_steps",
    "evidence_text",
    "parquet_schema",
    "select_cells",
    "select_table",
    "stream_cells",
    "stream_tables",
    "typed_of",
]
