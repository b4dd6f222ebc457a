"""The second look: items the model did not flag for a label but gave a real chance of it.

Reviewers read them nearest the threshold first; their yes or no on the label (``label_decisions``) is a
labelled row for the next training (review/training.py), which is how the model learns what it misses
(above all in Kazakh). Also the one line `status` prints about reviewers' work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from errors import InputError
from review import stale_text
from review.item_page import ITEM_COLUMNS
from review.queries import LABELS, check_label, dicts, row_dicts
from store.db import writer

log = logging.getLogger(__name__)

UNSURE_FLOOR = 0.2

_UNSURE = """
WITH band AS (
    SELECT c.source, c.external_id, c.lang, c.corruption, c.infrastructure, c.labels, c.evidence,
           c.model_version, c.{label} AS score,
           coalesce(i.cluster_id, c.source || '|' || c.external_id) AS cluster_key
    FROM classifications c
    JOIN items i USING (source, external_id)
    WHERE NOT list_contains(c.labels, ?) AND c.{label} >= ?
      AND (?::VARCHAR IS NULL OR c.lang = ?)
      AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], c.source))
      AND NOT EXISTS (
          SELECT 1 FROM label_decisions d
          WHERE d.source = c.source AND d.external_id = c.external_id AND d.label = ?)
      -- nor an item decided on while flagged for the label (a model since disagrees)
      AND NOT EXISTS (
          SELECT 1 FROM current_reviews r
          WHERE r.source = c.source AND r.external_id = c.external_id
            AND r.status IN ('confirmed', 'rejected', 'forwarded') AND list_contains(r.labels, ?))
    -- one per near-duplicate cluster: judging one copy is enough
    QUALIFY row_number() OVER (PARTITION BY cluster_key ORDER BY score DESC, source, external_id) = 1
)
"""


def _unsure_sql(label: str, floor: float, lang: str | None, sources: Sequence[str]) -> tuple[str, list[Any]]:
    check_label(label)
    if not 0.0 <= floor <= 1.0:
        raise InputError(f"lowest score {floor} is outside 0..1")
    params: list[Any] = [label, floor, lang or None, lang or None, list(sources), list(sources), label, label]
    return _UNSURE.format(label=label), params  # label is whitelisted above: never user text


def count_unsure(
    con: duckdb.DuckDBPyConnection,
    label: str,
    *,
    floor: float = UNSURE_FLOOR,
    lang: str | None = None,
    sources: Sequence[str] = (),
) -> tuple[int, int]:
    """How many items (one per near-duplicate cluster) wait for a second look at ``label``, and how
    many of those are Kazakh; one scan for both."""
    with_clause, params = _unsure_sql(label, floor, lang, sources)
    sql = with_clause + "SELECT count(*), count(*) FILTER (WHERE lang = 'kk') FROM band"
    total, kazakh = con.execute(sql, params).fetchall()[0]
    return int(total), int(kazakh)


def select_unsure(
    con: duckdb.DuckDBPyConnection,
    label: str,
    *,
    floor: float = UNSURE_FLOOR,
    lang: str | None = None,
    sources: Sequence[str] = (),
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Items not flagged for ``label`` whose score for it is at least ``floor`` and that no reviewer
    has judged for it yet; highest score (nearest the threshold) first, one per near-duplicate cluster."""
    with_clause, params = _unsure_sql(label, floor, lang, sources)
    sql = (
        with_clause
        + f"""SELECT {ITEM_COLUMNS}, i.content_hash, b.score
        FROM band b JOIN items i USING (source, external_id)
        LEFT JOIN classifications c USING (source, external_id)
        ORDER BY b.score DESC, b.source, b.external_id
        LIMIT ? OFFSET ?"""
    )
    return row_dicts(con.execute(sql, [*params, int(limit), int(offset)]))


def label_history(con: duckdb.DuckDBPyConnection, source: str, external_id: str) -> list[dict[str, Any]]:
    """Every yes or no on one item's labels, newest first."""
    cur = con.execute(
        """SELECT decision_id, label, value, score, model_version, reviewer, created_at FROM label_decisions
           WHERE source = ? AND external_id = ? ORDER BY created_at DESC, decision_id DESC""",
        [source, external_id],
    )
    return dicts(cur)


class StaleAnswer(InputError):
    """Someone answered the item's label after the reviewer's page was shown: ``latest`` is that answer."""

    def __init__(self, latest: dict[str, Any]) -> None:
        said = "yes" if latest["value"] else "no"
        super().__init__(
            f"{latest['reviewer']} answered {said} on {latest['label']} after the page was shown"
        )
        self.latest = latest


_LATEST_ANSWER = """SELECT decision_id, label, value, reviewer, created_at FROM label_decisions
    WHERE source = ? AND external_id = ? AND label = ? ORDER BY created_at DESC, decision_id DESC LIMIT 1"""


def record_label_decision(
    db_path: Path,
    source: str,
    external_id: str,
    *,
    label: str,
    value: bool,
    reviewer: str,
    now: datetime | None = None,
    seen: int | None = None,
    shown_hash: str | None = None,
    wait: float = 30.0,
) -> int:
    """Append a reviewer's yes (the item reports ``label``) or no, with the model's score at that moment.

    Append-only like the review decisions: a later answer on the same label replaces it for training.
    ``seen``: the ``decision_id`` of the latest answer on the label the reviewer was shown (0: none).
    When another has come since, StaleAnswer, unless it is this very answer by this reviewer (a
    button pressed twice): then nothing is written and 0 returned; else 1.
    ``shown_hash``: the content hash of the text the page showed; when the item holds another text
    since (edited at the source), StaleText (naming a newer answer too, if one came). None (a page
    opened before the upgrade): not checked.
    ``wait``: seconds a batch's lock on the file is waited for (then StoreLocked).
    """
    check_label(label)
    now = now or datetime.now(UTC)
    with writer(db_path, wait=wait) as con:
        found = con.execute(
            f"""SELECT c.{label}, c.model_version, i.content_hash
                FROM items i LEFT JOIN classifications c USING (source, external_id)
                WHERE i.source = ? AND i.external_id = ?""",
            [source, external_id],
        ).fetchone()
        if not found:
            raise InputError(f"no item {external_id!r} in source {source!r}")
        newer = None
        if seen is not None:
            # Read in the write transaction: two reviewers' answers cannot both pass the check.
            last = dicts(con.execute(_LATEST_ANSWER, [source, external_id, label]))
            if last and last[0]["decision_id"] != seen:
                if (last[0]["reviewer"], last[0]["value"]) == (reviewer, bool(value)):
                    return 0  # sent twice
                newer = last[0]
        # The answer judges the text the page showed, and keeps its hash (review/training.py); the
        # labels the model gave are not compared: a yes or no says what the text reports, whatever they were.
        if shown_hash and shown_hash != found[2]:
            changed = {"source": source, "external_id": external_id, "text": True, "labels_shown": None}
            raise stale_text.StaleText([{**changed, "labels_now": ()}], newer)
        if newer is not None:
            raise StaleAnswer(newer)
        con.execute(
            """INSERT INTO label_decisions
                   (source, external_id, label, value, score, model_version, reviewer, created_at, content_hash)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [source, external_id, label, bool(value), *found[:2], reviewer, now, found[2]],
        )
    log.info("%s of %s/%s judged by %s: %s", label, source, external_id, reviewer, "yes" if value else "no")
    return 1


def review_summary(con: duckdb.DuckDBPyConnection) -> str:
    """One line for `status`: decisions and answers so far, and what waits for a second look (all, Kazakh)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "label_decisions" not in tables:
        return "reviewers: the database predates the second look (the next write adds it)"
    decisions = con.execute("SELECT count(*) FROM current_reviews WHERE status <> 'new'").fetchall()[0][0]
    answers, yes = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE value) FROM current_label_decisions"
    ).fetchall()[0]
    counts = {label: count_unsure(con, label) for label in LABELS}
    waiting = ", ".join(f"{label} {total} (Kazakh {kazakh})" for label, (total, kazakh) in counts.items())
    return (
        f"reviewers: {decisions} item{'' if decisions == 1 else 's'} decided, "
        f"{answers} label{'' if answers == 1 else 's'} answered ({yes} yes); "
        f"waiting for a second look: {waiting}"
    )


def recent_answers(con: duckdb.DuckDBPyConnection, label: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The latest answers on ``label``, newest first, with their items' text (to find and change one)."""
    check_label(label)
    cur = con.execute(
        """SELECT d.source, d.external_id, d.value, d.score, d.reviewer, d.created_at, i.title, i.text, i.lang
           FROM current_label_decisions d JOIN items i USING (source, external_id)
           WHERE d.label = ? ORDER BY d.created_at DESC, d.decision_id DESC LIMIT ?""",
        [label, int(limit)],
    )
    return dicts(cur)
