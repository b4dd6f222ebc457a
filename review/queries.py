"""Reading flagged items for reviewers, and writing their decisions.

Every filter value goes to DuckDB as a bound parameter; the only text put into SQL is taken from
fixed whitelists (label column names). Reads and writes are short: the scheduler writes between
batches, so the file is opened only for the moment a query runs.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from errors import InputError
from review import stale_text
from review.filters import LABELS, Filters, local_day_start

# The filters are review.filters'; these names are read from here as well.
from review.filters import LOCAL_TZ as LOCAL_TZ
from review.filters import check_day as check_day
from review.filters import check_label as check_label
from review.filters import describe as describe
from review.render import ANY_CONTROL
from review.search import search_pattern
from review.stale_text import Shown
from store.db import writer
from store.migrations import REVIEW_STATUSES

log = logging.getLogger(__name__)

MAX_NOTE = 4000
MAX_FORWARDED_TO = 200


class StaleDecision(InputError):
    """Someone decided the item after the reviewer's page was shown: ``latest`` is that decision."""

    def __init__(self, latest: dict[str, Any]) -> None:
        super().__init__(f"{latest['reviewer']} decided {latest['status']} after the page was shown")
        self.latest = latest


def _where(filters: Filters) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if filters.label:
        clauses.append("list_contains(f.labels, ?)")
        params.append(filters.label)
    if filters.min_score is not None:
        if filters.label in LABELS:  # a whitelisted column name, never user text
            clauses.append(f"coalesce(f.{filters.label}, 0) >= ?")
        else:
            clauses.append("greatest(coalesce(f.corruption, 0), coalesce(f.infrastructure, 0)) >= ?")
        params.append(filters.min_score)
    if filters.since:
        clauses.append("coalesce(f.published_at, f.collected_at) >= ?")
        params.append(local_day_start(filters.since))
    if filters.until:
        clauses.append("coalesce(f.published_at, f.collected_at) < ?")
        params.append(local_day_start(filters.until + timedelta(days=1)))
    if filters.sources:
        clauses.append("list_contains(?::VARCHAR[], f.source)")
        params.append(list(filters.sources))
    if filters.lang:
        clauses.append("f.lang = ?")
        params.append(filters.lang)
    if filters.status:
        clauses.append("f.review_status = ?")
        params.append(filters.status)
    if filters.query and filters.query.strip():
        clauses.append(f"({_SEARCH})")
        params += [search_pattern(filters.query.strip())] * 3
    return (" AND ".join(clauses) or "true"), params


# The search in the text, title or author, whatever the case: one RE2 regular expression
# (search_pattern) per column. Folding case in the expression costs less than lower() on every text
# did, and the spellings of a word cost one pass, not one each.
_SEARCH = " OR ".join(
    f"regexp_matches(coalesce(f.{column}, ''), ?)" for column in ("text", "title", "author")
)


# The matching flagged items with their near-duplicate clusters and parents. Filters first, on the
# narrow columns (keys, times, scores); item texts are then read by row id for those rows and their
# parents only: reading every text of a large store cost more than the rest of an export.
_FLAGGED_ROWS = """
WITH sel AS MATERIALIZED (
    SELECT f.source, f.external_id, f.kind, f.parent, f.lang,
           coalesce(f.published_at, f.collected_at) AS ts,
           coalesce(f.cluster_id, f.source || '|' || f.external_id) AS cluster_key,
           f.corruption, f.infrastructure, f.labels, f.reviewer_labels, f.evidence, f.model_version,
           f.review_status, f.forwarded_to, f.reviewer, f.note, f.reviewed_at
    FROM flagged f
    WHERE {where}
), needed AS (
    SELECT source, external_id FROM sel
    UNION
    SELECT source, parent FROM sel WHERE parent IS NOT NULL
), located AS (
    SELECT i.rowid AS item_row, i.source, i.external_id
    FROM items i SEMI JOIN needed USING (source, external_id)
), texts AS MATERIALIZED (
    SELECT l.source, l.external_id, i.url, i.author, i.title, i.text
    FROM located l JOIN items i ON i.rowid = l.item_row
), ranked AS (
    SELECT s.*, t.url, t.author, t.title, t.text,
           count(*) OVER (PARTITION BY s.cluster_key) AS cluster_size,
           row_number() OVER (PARTITION BY s.cluster_key ORDER BY s.ts DESC, s.source, s.external_id)
               AS cluster_rank
    FROM sel s JOIN texts t USING (source, external_id)
), links AS (
    -- An ordered list in the window above cost more than the rest of the clustering; most clusters
    -- have one member, whose list is its own link.
    SELECT cluster_key, list(url ORDER BY cluster_rank) AS cluster_urls
    FROM ranked WHERE cluster_size > 1
    GROUP BY cluster_key
), picked AS (
    SELECT r.*, coalesce(k.cluster_urls, [r.url]) AS cluster_urls,
           p.title AS parent_title, p.text AS parent_text, p.url AS parent_url
    FROM ranked r
    LEFT JOIN links k ON k.cluster_key = r.cluster_key
    LEFT JOIN texts p ON p.source = r.source AND p.external_id = r.parent
    WHERE {collapse}
)
"""


def flagged_rows_sql(filters: Filters, *, collapse: bool) -> tuple[str, list[Any]]:
    """A ``WITH`` clause ending in ``picked``: the flagged items matching ``filters`` (one per cluster with ``collapse``).

    ``picked`` has the flagged view's columns plus ``ts``, ``cluster_size``, ``cluster_urls`` (newest
    member first), ``parent_title``, ``parent_text`` and ``parent_url``; order it by
    ``ts DESC, source, external_id``.
    """
    where, params = _where(filters)
    # The date range again, on published_at alone: redundant beside the coalesce() of _where, but a
    # condition on one column goes into the scan of items, which then skips row groups by their
    # min/max and reads the other columns only for rows in range.
    if filters.since:
        where += " AND (f.published_at IS NULL OR f.published_at >= ?)"
        params.append(local_day_start(filters.since))
    if filters.until:
        where += " AND (f.published_at IS NULL OR f.published_at < ?)"
        params.append(local_day_start(filters.until + timedelta(days=1)))
    return _FLAGGED_ROWS.format(where=where, collapse="r.cluster_rank = 1" if collapse else "true"), params


_SELECT = """
SELECT source, external_id, kind, parent, url, author, title, ts, lang, text,
       corruption, infrastructure, labels, reviewer_labels, evidence, model_version, review_status,
       forwarded_to, reviewer, note, reviewed_at, cluster_size, cluster_urls,
       parent_title, parent_text, parent_url
FROM picked
ORDER BY ts DESC, source, external_id
"""


def dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The cursor's rows as dicts by column name."""
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, values, strict=True)) for values in cur.fetchall()]


def row_dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The cursor's item rows as dicts, with their evidence parsed and their labels a list."""
    rows = dicts(cur)
    for row in rows:
        row["evidence"] = parse_evidence(row.get("evidence"))
        row["labels"] = list(row.get("labels") or [])
    return rows


def parse_evidence(value: Any) -> dict[str, list[str]]:
    """The evidence column as {label: [terms]}, whatever shape the classifier stored."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    result: dict[str, list[str]] = {}
    for label, terms in value.items():
        if isinstance(terms, str):
            terms = [terms]
        if not isinstance(terms, list):
            continue
        clean = []
        for term in terms:
            if isinstance(term, dict):  # tolerate {"term": ..., "weight": ...}
                term = term.get("term") or term.get("text")
            if isinstance(term, str) and term.strip():
                clean.append(term.strip())
        result[str(label)] = clean
    return result


def select_flagged(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    *,
    collapse: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Flagged items matching ``filters``, newest first; with ``collapse`` one row per near-duplicate cluster."""
    with_clause, params = flagged_rows_sql(filters, collapse=collapse)
    sql = with_clause + _SELECT
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params = [*params, int(limit), int(offset)]
    return row_dicts(con.execute(sql, params))


# The list's page in two reads: the view's columns but the texts (url, author, title, text: the
# items' own in every definition of the view), then the texts of the page's rows from items, by key
# and by their times on published_at, which goes into the scan (as in flagged_rows_sql). In one read,
# every matching row's texts went through the view's joins; two reads of the view cost its joins twice.
_PAGE = """
WITH page AS (
    SELECT f.* REPLACE (NULL AS url, NULL AS author, NULL AS title, NULL AS text),
           coalesce(f.published_at, f.collected_at) AS ts
    FROM flagged f
    WHERE {where}
    ORDER BY ts DESC, f.source, f.external_id
    LIMIT ? OFFSET ?
), sizes AS (
    SELECT cluster_id, count(*) AS n FROM items
    WHERE cluster_id IN (SELECT cluster_id FROM page WHERE cluster_id IS NOT NULL)
    GROUP BY cluster_id
)
SELECT page.*, coalesce(sizes.n, 1) AS cluster_size
FROM page LEFT JOIN sizes USING (cluster_id)
ORDER BY page.ts DESC, page.source, page.external_id
"""
_PAGE_TEXTS = """
SELECT i.source, i.external_id, i.url, i.author, i.title, i.text FROM items i
SEMI JOIN (SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS external_id) k
    USING (source, external_id)
WHERE i.published_at IS NULL OR i.published_at BETWEEN ? AND ?
"""


def select_page(
    con: duckdb.DuckDBPyConnection, filters: Filters, *, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """One page of flagged items for the list, newest first, each with the size of its near-duplicate cluster.

    Reads the texts and counts the clusters of the page's rows only: the list stays fast on a large store.
    """
    where, params = _where(filters)
    rows = row_dicts(con.execute(_PAGE.format(where=where), [*params, int(limit), int(offset)]))
    if rows:
        keys = [[row["source"] for row in rows], [row["external_id"] for row in rows]]
        times = [row["ts"] for row in rows]
        texts = con.execute(_PAGE_TEXTS, [*keys, min(times), max(times)]).fetchall()
        by_key = {(text[0], text[1]): text[2:] for text in texts}
        for row in rows:
            row["url"], row["author"], row["title"], row["text"] = by_key[row["source"], row["external_id"]]
    return rows


def count_flagged(con: duckdb.DuckDBPyConnection, filters: Filters) -> int:
    """How many flagged items match ``filters``."""
    where, params = _where(filters)
    # fetchall: the review page's shared connection must not keep a result open (DuckDB then refuses
    # the relational queries of a later export in the same request).
    return int(con.execute(f"SELECT count(*) FROM flagged f WHERE {where}", params).fetchall()[0][0])


def per_day(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[tuple[date, str, int]]:
    """Flagged items per local day and label: (day, label, count), oldest day first."""
    where, params = _where(filters)
    sql = f"""
        SELECT CAST(timezone('Asia/Almaty', coalesce(f.published_at, f.collected_at)) AS DATE) AS day,
               label, count(*) AS n
        FROM flagged f, unnest(f.labels) AS t(label)
        WHERE {where} AND (?::VARCHAR IS NULL OR label = ?)
        GROUP BY ALL ORDER BY day, label
    """
    params += [filters.label, filters.label]  # with a label filter, only that label is counted
    return [(row[0], row[1], int(row[2])) for row in con.execute(sql, params).fetchall()]


def filter_choices(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The sources and languages in the store, for the filter form."""
    # From the plain tables (no join): a source without flagged items is harmless in a menu.
    sources = [r[0] for r in con.execute("SELECT DISTINCT source FROM items ORDER BY 1").fetchall()]
    langs = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT lang FROM classifications WHERE lang IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    return {"sources": sources, "langs": langs}


_LATEST = """SELECT review_id, status, forwarded_to, reviewer, note, created_at FROM reviews
              WHERE source = ? AND external_id = ? ORDER BY created_at DESC, review_id DESC LIMIT 1"""


def last_review_id(con: duckdb.DuckDBPyConnection) -> int:
    """The newest review_id of all: a decision made after a page was shown has a higher one."""
    return int(con.execute("SELECT coalesce(max(review_id), 0) FROM reviews").fetchall()[0][0])


def record_decision(
    db_path: Path,
    source: str,
    external_id: str,
    *,
    status: str,
    reviewer: str,
    note: str | None = None,
    forwarded_to: str | None = None,
    with_duplicates: bool = False,
    now: datetime | None = None,
    seen: int | None = None,
    seen_upto: int | None = None,
    shown: Shown | None = None,
    wait: float = 30.0,
) -> int:
    """Append one review decision (and, asked to, the same for the item's near-duplicates); returns how many.

    One short write transaction; the history is append-only, the latest decision is the status.
    ``seen``: the ``review_id`` of the latest decision the reviewer was shown (0: none). When another
    has come since, StaleDecision, unless it is this very decision by this reviewer (a button
    pressed twice, or the form sent again): then nothing is written and 0 returned.
    ``shown``: the content hash and labels the page showed of the item and its near-duplicates
    (review.stale_text.from_form); when one of those judged has another since, or one joined them,
    StaleText (which also names a newer decision, if one came too). The near-duplicates decided are
    those the page listed (review.stale_text.listed_members). None (an older page): not checked.
    """
    if status not in REVIEW_STATUSES:
        raise InputError(f"unknown review status {status!r}")
    forwarded_to = (forwarded_to or "").strip() or None
    if status == "forwarded" and not forwarded_to:
        raise InputError("say to whom the item is forwarded")
    if status != "forwarded":
        forwarded_to = None
    note = (note or "").replace("\r\n", "\n").strip() or None  # a browser sends a newline as CR LF
    # Control characters (a paste from a terminal or a PDF) would reach every page that shows them.
    for what, value in (
        ("the note", (note or "").replace("\n", "").replace("\t", "")),
        ("forwarded to", forwarded_to),
    ):
        if value and ANY_CONTROL.search(value):
            raise InputError(f"{what} holds a control character; take it out and save again")
    # Refused, not cut: the reviewer would not know that the end of the note was lost.
    for what, value, limit in (
        ("the note", note, MAX_NOTE),
        ("forwarded to", forwarded_to, MAX_FORWARDED_TO),
    ):
        if value and len(value) > limit:
            raise InputError(f"{what} has {len(value):,} characters; at most {limit:,} are kept")
    now = now or datetime.now(UTC)
    with writer(db_path, wait=wait) as con:
        found = con.execute(
            "SELECT cluster_id FROM items WHERE source = ? AND external_id = ?", [source, external_id]
        ).fetchone()
        if not found:
            raise InputError(f"no item {external_id!r} in source {source!r}")
        keys = [(source, external_id)]
        moved: list[dict[str, Any]] = []  # near-duplicates changed, joined or gone since the page
        if with_duplicates and found[0]:
            members = con.execute(
                """SELECT source, external_id FROM items WHERE cluster_id = ? AND NOT (source = ? AND external_id = ?)
                   ORDER BY source, external_id""",
                [found[0], source, external_id],
            ).fetchall()
            if shown is not None:  # those the page listed, and what changed of them since
                item = {"source": source, "external_id": external_id, "cluster_id": found[0]}
                members, moved = stale_text.listed_members(con, shown, item, members)
            keys += members

        def same(last: dict[str, Any]) -> bool:  # this very decision by this reviewer
            return (last["reviewer"], last["status"], last["note"], last["forwarded_to"]) == (
                reviewer,
                status,
                note,
                forwarded_to,
            )

        def latest(key: tuple[str, str]) -> dict[str, Any] | None:
            rows = dicts(con.execute(_LATEST, list(key)))
            return rows[0] if rows else None

        newer = None  # a decision made after the page was shown, not this one sent twice
        if seen is not None:
            # Read in the write transaction: two reviewers' decisions cannot both pass the check.
            last = latest(keys[0])
            if last and last["review_id"] != seen:
                if not same(last):
                    newer = last
                else:
                    # Sent twice; but the second may ask for near-duplicates the first left out.
                    keys = [k for k in keys[1:] if not ((dup := latest(k)) and same(dup))]
                    if not keys:
                        return 0
        if seen_upto is not None and newer is None:
            # A near-duplicate someone decided after the page was shown is not overwritten unseen either.
            for key in keys:
                dup = latest(key)
                if dup and dup["review_id"] > seen_upto and not same(dup):
                    newer = {**dup, "source": key[0], "external_id": key[1]}
                    break
        # The text and labels the decision would keep must be those the page showed (review/README.md).
        if shown is not None and (changed := stale_text.changes(con, {shown.key: shown.item}, keys) + moved):
            raise stale_text.StaleText(changed, newer)
        if newer is not None:
            raise StaleDecision(newer)
        for key_source, key_id in keys:
            # What the decision judges, kept with it: a later model or an edit of the text must not
            # change what the reviewer said (review/training.py).
            con.execute(
                """INSERT INTO reviews (source, external_id, status, forwarded_to, reviewer, note, created_at,
                                        labels, model_version, content_hash)
                   SELECT i.source, i.external_id, ?, ?, ?, ?, ?,
                          coalesce(f.labels, []::VARCHAR[]), c.model_version, i.content_hash
                   FROM items i
                   LEFT JOIN classifications c USING (source, external_id)
                   LEFT JOIN flagged f USING (source, external_id)
                   WHERE i.source = ? AND i.external_id = ?""",
                [status, forwarded_to, reviewer, note, now, key_source, key_id],
            )
    log.info(
        "review of %s/%s (+%d near-duplicates) by %s: %s",
        source,
        external_id,
        len(keys) - 1,
        reviewer,
        status,
    )
    return len(keys)
