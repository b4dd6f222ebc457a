"""Bulk upsert of items on their natural key, keeping earlier versions of edited ones.

Rows go to DuckDB as one Arrow table per batch (``executemany`` would run one statement per row);
new keys are inserted, keys whose content hash changed are updated and their previous content is
copied into ``item_versions``, unchanged keys are left as they are.

A key may come more than once in one batch (a post seen in a listing and again after an edit, an
export that repeats an id): each content it had is kept, in the order it came, the earlier ones as
versions, so one batch stores what several smaller batches would have stored. A copy without the edit
mark (``raw.edited``) of an item stored with it is older than the stored text, not an edit of it
(a WhatsApp export taken before the edit, imported after the edited one): it changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

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
# what upsert_items registers: the items, and the place of each among the contents of its key
BATCH_SCHEMA = ITEM_SCHEMA.append(pa.field("seq", pa.int32()))


@dataclass(slots=True)
class UpsertResult:
    """What one upsert did, one count per item received (``received = new + updated + unchanged``).

    ``new``: the first content of a key not stored yet; ``updated``: a content that differs from the
    key's content just before it (stored, or earlier in the batch), i.e. one more version;
    ``unchanged``: a content equal to the one before it.
    """

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


def items_to_arrow(items: Iterable[Item]) -> tuple[pa.Table, int]:
    """The batch as an Arrow table (with ``seq``: the order of a key's contents) and its item count.

    A key given more than once keeps every content it had, in order; a copy with the same content as
    the copy just before it changes nothing (as it would in a batch of its own) and is left out.
    """
    newest: dict[tuple[str, str], tuple[str, Item]] = {}  # each key's last content (and its hash)
    earlier: dict[tuple[str, str], list[tuple[str, Item]]] = {}  # the contents it had before, in order
    received = 0
    for item in items:
        received += 1
        key, digest = (item.source, item.external_id), item.content_hash
        last = newest.get(key)
        if last is None:
            newest[key] = (digest, item)
        elif last[0] != digest:
            earlier.setdefault(key, []).append(last)
            newest[key] = (digest, item)
    cols: dict[str, list] = {name: [] for name in BATCH_SCHEMA.names}
    for key, last in newest.items():
        for seq, (digest, item) in enumerate([*earlier[key], last] if key in earlier else (last,)):
            cols["source"].append(item.source)
            cols["external_id"].append(item.external_id)
            cols["kind"].append(item.kind)
            cols["parent"].append(item.parent)
            cols["url"].append(_without_nul(item.url))
            cols["author"].append(_without_nul(item.author))
            cols["title"].append(_without_nul(item.title))
            cols["published_at"].append(item.published_at.astimezone(UTC) if item.published_at else None)
            cols["lang"].append(item.lang)
            cols["text"].append(_clean(item.text))
            cols["content_hash"].append(digest)
            cols["raw"].append(item.raw_json())
            cols["seq"].append(seq)
    return pa.table(cols, schema=BATCH_SCHEMA), received


# A copy without the edit mark (raw.edited) of an item stored with it: the same message in an export
# older than the one stored (a WhatsApp chat exported before the edit, imported after the edited
# export), not an edit: the edited text stays the item's, and nothing changes.
_OLDER_THAN_ITS_EDIT = """coalesce(
    o.raw ->> '$.edited' = 'true' AND (n.raw ->> '$.edited') IS DISTINCT FROM 'true', false
)"""
# The usual batch, one copy of each key: no window to compute.
_DIFF_OF_ONE_COPY_EACH = f"""
    CREATE OR REPLACE TEMP TABLE incoming_diff AS
    SELECT n.* EXCLUDE (seq), o.content_hash AS old_hash, o.version AS old_version, 1 AS step, 1 AS steps
    FROM incoming n LEFT JOIN items o USING (source, external_id)
    WHERE (o.content_hash IS NULL OR o.content_hash <> n.content_hash) AND NOT {_OLDER_THAN_ITS_EDIT}
"""
_DIFF_OF_COPIES = """
    CREATE OR REPLACE TEMP TABLE incoming_diff AS
    SELECT * REPLACE (
               last_value(url IGNORE NULLS) OVER key_ AS url,
               last_value(author IGNORE NULLS) OVER key_ AS author,
               last_value(published_at IGNORE NULLS) OVER key_ AS published_at
           ),
           row_number() OVER (PARTITION BY source, external_id ORDER BY seq) AS step,
           count(*) OVER (PARTITION BY source, external_id) AS steps
    FROM (  -- each copy left with the content before it: the stored one's, or the copy's before it
        SELECT *, coalesce(lag(content_hash) OVER (PARTITION BY source, external_id ORDER BY seq), old_hash)
                  AS before_hash
        FROM (  -- a copy without the edit mark after one with it, stored or earlier in the batch, is older
            SELECT * EXCLUDE (edit_before) FROM (
                SELECT n.*, o.content_hash AS old_hash, o.version AS old_version,
                       coalesce(o.raw ->> '$.edited' = 'true', false)
                       OR coalesce(bool_or(n.raw ->> '$.edited' = 'true') OVER (
                              PARTITION BY source, external_id ORDER BY seq
                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false) AS edit_before
                FROM incoming n LEFT JOIN items o USING (source, external_id)
            )
            WHERE NOT (edit_before AND (raw ->> '$.edited') IS DISTINCT FROM 'true')
        )
    )
    WHERE before_hash IS NULL OR before_hash <> content_hash  -- a copy that changes the content
    WINDOW key_ AS (PARTITION BY source, external_id ORDER BY seq
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
"""


def _without_nul(value: str | None) -> str | None:
    # A NUL in a name or title reached the review page's HTML (browsers show it as a glyph of its own).
    return value.replace("\x00", "") if value else value


def _clean(text: str | None) -> str:
    # NUL bytes are legal in Python strings but not wanted in a text column analysts search.
    return (text or "").replace("\x00", "")


def upsert_items(
    con: duckdb.DuckDBPyConnection, items: Iterable[Item], *, now: datetime | None = None
) -> UpsertResult:
    """Insert new items, update edited ones (keeping their previous version); inside the caller's transaction."""
    table, received = items_to_arrow(items)
    result = UpsertResult(received=received)
    if table.num_rows == 0:
        return result
    now = now or datetime.now(UTC)
    con.register("incoming", table)
    try:
        # One row per content that changes something: a key's first content is dropped when it is
        # the stored one. ``step`` numbers what is left of each key, ``steps`` counts it: the last
        # step is the key's content now, the ones before it become versions. A url, author or date
        # that a later copy lacks is taken from the copy before it, as separate upserts would keep it.
        repeated = pc.max(table.column("seq")).as_py() > 0
        con.execute(_DIFF_OF_COPIES if repeated else _DIFF_OF_ONE_COPY_EACH)
        new, changes, stored_keys_changed, between = con.execute(
            """
            SELECT count(*) FILTER (old_hash IS NULL AND step = 1), count(*),
                   count(*) FILTER (old_hash IS NOT NULL AND step = 1), count(*) FILTER (step < steps)
            FROM incoming_diff
            """
        ).fetchone()
        if stored_keys_changed:
            con.execute(
                """
                INSERT INTO item_versions
                SELECT o.source, o.external_id, o.version, o.title, o.text, o.content_hash, o.raw,
                       o.updated_at, ?
                FROM items o JOIN incoming_diff d USING (source, external_id)
                WHERE d.old_hash IS NOT NULL AND d.step = 1
                """,
                [now],
            )
        if between:  # contents the batch itself replaced: seen now, replaced now
            con.execute(
                """
                INSERT INTO item_versions
                SELECT source, external_id, coalesce(old_version, 0) + step, title, text, content_hash,
                       raw, ?, ?
                FROM incoming_diff WHERE step < steps
                """,
                [now, now],
            )
        if stored_keys_changed:
            con.execute(
                """
                UPDATE items SET
                    kind = d.kind, parent = d.parent, url = coalesce(d.url, items.url),
                    author = coalesce(d.author, items.author), title = d.title,
                    published_at = coalesce(d.published_at, items.published_at), updated_at = ?,
                    text = d.text, content_hash = d.content_hash, version = items.version + d.steps,
                    raw = d.raw, simhash = NULL, cluster_id = NULL, lang = NULL
                FROM incoming_diff d
                WHERE items.source = d.source AND items.external_id = d.external_id
                  AND d.old_hash IS NOT NULL AND d.step = d.steps
                """,
                [now],
            )
        if new:
            con.execute(
                """
                INSERT INTO items (source, external_id, kind, parent, url, author, title, published_at,
                                   collected_at, updated_at, lang, text, content_hash, version, raw)
                SELECT source, external_id, kind, parent, url, author, title, published_at,
                       ?, ?, lang, text, content_hash, steps, raw
                FROM incoming_diff WHERE old_hash IS NULL AND step = steps
                """,
                [now, now],
            )
        # A date read now for an item stored without one (a server clock more than a day behind, a page
        # that showed none): filled in, not an edit; a stored date is never replaced (acceptance B1:
        # such items dropped out of every date query for good, though each later fetch read the date).
        con.execute(
            """
            UPDATE items SET published_at = i.published_at
            FROM (SELECT source, external_id, arg_max(published_at, seq) AS published_at FROM incoming
                  WHERE published_at IS NOT NULL GROUP BY source, external_id) i
            WHERE items.source = i.source AND items.external_id = i.external_id AND items.published_at IS NULL
            """
        )
        con.execute("DROP TABLE incoming_diff")
    finally:
        con.unregister("incoming")
    result.new, result.updated = int(new), int(changes) - int(new)
    result.unchanged = result.received - result.new - result.updated
    return result
