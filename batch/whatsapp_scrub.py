"""Hashing the phone-number @-mentions that WhatsApp messages stored before mention hashing still hold.

Imports made before ``hash_mentions`` existed stored ``@77011234567`` in clear. Re-importing the chat
would make the store see an edit: the hashed text would replace the current one, and the old text,
number and all, would be kept in ``item_versions`` for good. So before a WhatsApp import the runner
rewrites the source's stored texts, current and earlier versions, with the same ``hash_mentions`` and
salt, and recomputes their content hash the way the store does: the re-import then finds the
messages unchanged and stores no version.

``version`` and ``updated_at`` stay as they are: no one edited the message. The near-duplicate
signature is cleared, as an edit clears it, because it was taken over the words of the old text (the
number among them); the next batch signs the item again. Scores are left alone: their content hash no
longer matches the item's, so the next classification pass scores the item again.

Stored texts lost the U+2068…U+2069 marks that end an iOS mention, so a number written there without
``+`` (``@8 701 123 45 67``) cannot be told from the words after it and is left as it is; the
re-import then keeps it in ``item_versions``.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from collectors.item import content_hash
from collectors.whatsapp import hash_mentions

# Per table: the columns that name one row besides ``source``, and how its rewritten text is written.
_REWRITES = {
    "items": (
        ["external_id"],
        """
        UPDATE items SET text = s.text, content_hash = s.content_hash, simhash = NULL, cluster_id = NULL
        FROM scrubbed s WHERE items.source = ? AND items.external_id = s.external_id
        """,
    ),
    "item_versions": (
        ["external_id", "version"],
        """
        UPDATE item_versions SET text = s.text, content_hash = s.content_hash
        FROM scrubbed s
        WHERE item_versions.source = ? AND item_versions.external_id = s.external_id
          AND item_versions.version = s.version
        """,
    ),
}


def scrub_phone_mentions(con: duckdb.DuckDBPyConnection, source: str, salt: str) -> dict[str, int]:
    """Hash the phone mentions stored in clear in ``source``'s texts; rows rewritten per table.

    Runs inside the caller's transaction. Rows already hashed come out the same and are not written,
    so a second call rewrites nothing.
    """
    return {table: _scrub_table(con, table, source, salt) for table in _REWRITES}


def _scrub_table(con: duckdb.DuckDBPyConnection, table: str, source: str, salt: str) -> int:
    keys, update = _REWRITES[table]
    rows = con.execute(
        f"SELECT {', '.join(keys)}, title, text FROM {table} WHERE source = ? AND contains(text, '@')",
        [source],
    ).fetchall()
    changed: dict[str, list] = {name: [] for name in [*keys, "text", "content_hash"]}
    for *key, title, text in rows:
        hashed = hash_mentions(text, salt)
        if hashed == text:
            continue
        for name, value in zip(keys, key, strict=True):
            changed[name].append(value)
        changed["text"].append(hashed)
        changed["content_hash"].append(content_hash(title, hashed))
    if not changed["text"]:
        return 0
    con.register("scrubbed", pa.table(changed))
    try:
        con.execute(update, [source])
    finally:
        con.unregister("scrubbed")
    return len(changed["text"])
