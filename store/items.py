"""Bulk upsert of items on their natural key, keeping earlier versions of edited ones.

Rows go to DuckDB as one Arrow table per batch (``executemany`` would run one statement per row);
new keys are inserted, keys whose content hash changed are updated and their previous content is
copied into ``item_versions``, unchanged keys are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from collectors.item import Item

ITEM_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("external_id", pa.string()),
        ("kind", pa.string()),
        ("parent", pa.string()),
        ("url", pa.string()),
        ("author", pa.string()),
        ("title", pa.string()),
        ("published_at", pa.timestamp("us", tz="UTC")),
        ("lang", pa.string()),
        ("text", pa.string()),
        ("content_hash", pa.string()),
        ("raw", pa.string()),
    ]
)


@dataclass(slots=True)
class UpsertResult:
    """What one upsert did."""

    received: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.received += other.received
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def items_to_arrow(items: Iterable[Item]) -> pa.Table:
    """Items as an Arrow table; a key repeated within the batch keeps its last occurrence."""
    latest: dict[tuple[str, str], Item] = {}
    for item in items:
        latest[(item.source, item.external_id)] = item
    cols: dict[str, list] = {name: [] for name in ITEM_SCHEMA.names}
    for item in latest.values():
        cols["source"].append(item.source)
        cols["external_id"].append(item.external_id)
        cols["kind"].append(item.kind)
        cols["parent"].append(item.parent)
        cols["url"].append(item.url)
        cols["author"].append(item.author)
        cols["title"].append(item.title)
        cols["published_at"].append(item.published_at.astimezone(UTC) if item.published_at else None)
        cols["lang"].append(item.lang)
        cols["text"].append(_clean(item.text))
        cols["content_hash"].append(item.content_hash)
        cols["raw"].append(item.raw_json())
    return pa.table(cols, schema=ITEM_SCHEMA)


def _clean(text: str | None) -> str:
    # NUL bytes are legal in Python strings but not wanted in a text column analysts search.
    return (text or "").replace("\x00", "")


def upsert_items(
    con: duckdb.DuckDBPyConnection, items: Iterable[Item], *, now: datetime | None = None
) -> UpsertResult:
    """Insert new items, update edited ones (keeping their previous version); inside the caller's transaction."""
    table = items_to_arrow(items)
    result = UpsertResult(received=table.num_rows)
    if table.num_rows == 0:
        return result
    now = now or datetime.now(UTC)
    con.register("incoming", table)
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE incoming_diff AS
            SELECT n.*, o.content_hash AS old_hash
            FROM incoming n LEFT JOIN items o USING (source, external_id)
            WHERE o.content_hash IS NULL OR o.content_hash <> n.content_hash
            """
        )
        new, updated = con.execute(
            "SELECT count(*) FILTER (old_hash IS NULL), count(*) FILTER (old_hash IS NOT NULL) FROM incoming_diff"
        ).fetchone()
        if updated:
            con.execute(
                """
                INSERT INTO item_versions
                SELECT o.source, o.external_id, o.version, o.title, o.text, o.content_hash, o.raw,
                       o.updated_at, ?
                FROM items o JOIN incoming_diff d USING (source, external_id)
                WHERE d.old_hash IS NOT NULL
                """,
                [now],
            )
            con.execute(
                """
                UPDATE items SET
                    kind = d.kind, parent = d.parent, url = coalesce(d.url, items.url),
                    author = coalesce(d.author, items.author), title = d.title,
                    published_at = coalesce(d.published_at, items.published_at), updated_at = ?,
                    text = d.text, content_hash = d.content_hash, version = items.version + 1,
                    raw = d.raw, simhash = NULL, cluster_id = NULL, lang = NULL
                FROM incoming_diff d
                WHERE items.source = d.source AND items.external_id = d.external_id AND d.old_hash IS NOT NULL
                """,
                [now],
            )
        if new:
            con.execute(
                """
                INSERT INTO items (source, external_id, kind, parent, url, author, title, published_at,
                                   collected_at, updated_at, lang, text, content_hash, version, raw)
                SELECT source, external_id, kind, parent, url, author, title, published_at,
                       ?, ?, lang, text, content_hash, 1, raw
                FROM incoming_diff WHERE old_hash IS NULL
                """,
                [now, now],
            )
        con.execute("DROP TABLE incoming_diff")
    finally:
        con.unregister("incoming")
    result.new, result.updated = int(new), int(updated)
    result.unchanged = result.received - result.new - result.updated
    return result
