"""What the item page reads: the item with its scores, its thread (parent, other replies to the same
post, replies, near-duplicates), the decisions on it, and whom items went to before.

Every value is a bound parameter; reads only, on the request's read-only connection.
"""

from __future__ import annotations

from typing import Any

import duckdb

from review.queries import dicts, row_dicts
from review.render import evidence_as_written

ITEM_COLUMNS = """
    i.source, i.external_id, i.kind, i.parent, i.url, i.author, i.title,
    coalesce(i.published_at, i.collected_at) AS ts, i.lang, i.text, i.cluster_id,
    c.corruption, c.infrastructure, coalesce(c.labels, []) AS labels, c.evidence, c.model_version
"""


def get_item(con: duckdb.DuckDBPyConnection, source: str, external_id: str) -> dict[str, Any] | None:
    """One item with its scores (and ``evidence_written``: ``render.evidence_as_written``), or None."""
    cur = con.execute(
        f"""SELECT {ITEM_COLUMNS} FROM items i LEFT JOIN classifications c USING (source, external_id)
            WHERE i.source = ? AND i.external_id = ?""",
        [source, external_id],
    )
    rows = row_dicts(cur)
    if not rows:
        return None
    item = rows[0]
    # The evidence line names a term by the words the text writes where the classifier rewrote them.
    item["evidence_written"] = evidence_as_written(item.get("text"), item.get("evidence") or {})
    return item


def get_thread(con: duckdb.DuckDBPyConnection, item: dict[str, Any], *, limit: int = 100) -> dict[str, Any]:
    """The item's parent, its siblings (same parent) and its replies, oldest first."""
    parent = get_item(con, item["source"], item["parent"]) if item.get("parent") else None
    siblings: list[dict[str, Any]] = []
    if item.get("parent"):
        siblings = row_dicts(
            con.execute(
                f"""SELECT {ITEM_COLUMNS} FROM items i LEFT JOIN classifications c USING (source, external_id)
                    WHERE i.source = ? AND i.parent = ? AND i.external_id <> ?
                    ORDER BY ts, i.external_id LIMIT ?""",
                [item["source"], item["parent"], item["external_id"], limit],
            )
        )
    replies = row_dicts(
        con.execute(
            f"""SELECT {ITEM_COLUMNS} FROM items i LEFT JOIN classifications c USING (source, external_id)
                WHERE i.source = ? AND i.parent = ? ORDER BY ts, i.external_id LIMIT ?""",
            [item["source"], item["external_id"], limit],
        )
    )
    duplicates: list[dict[str, Any]] = []
    if item.get("cluster_id"):
        duplicates = row_dicts(
            con.execute(
                f"""SELECT {ITEM_COLUMNS} FROM items i LEFT JOIN classifications c USING (source, external_id)
                    WHERE i.cluster_id = ? AND NOT (i.source = ? AND i.external_id = ?)
                    ORDER BY ts DESC LIMIT ?""",
                [item["cluster_id"], item["source"], item["external_id"], limit],
            )
        )
    return {"parent": parent, "siblings": siblings, "replies": replies, "duplicates": duplicates}


def review_history(con: duckdb.DuckDBPyConnection, source: str, external_id: str) -> list[dict[str, Any]]:
    """Every decision on one item, newest first."""
    cur = con.execute(
        """SELECT review_id, status, forwarded_to, reviewer, note, created_at FROM reviews
           WHERE source = ? AND external_id = ? ORDER BY created_at DESC, review_id DESC""",
        [source, external_id],
    )
    return dicts(cur)


def forward_targets(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[str]:
    """Whom items were forwarded to before, most used first (suggestions for the form)."""
    rows = con.execute(
        """SELECT forwarded_to FROM reviews WHERE forwarded_to IS NOT NULL
           GROUP BY forwarded_to ORDER BY count(*) DESC, forwarded_to LIMIT ?""",
        [limit],
    ).fetchall()
    return [r[0] for r in rows]
