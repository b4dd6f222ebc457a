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

Authors that earlier imports stored in clear because WhatsApp wrote them in a form the importer did
not know as a number (``+7 701 123 4567 ~ Аня``, ``~ +7 701 123 4567``) are hashed in ``items`` the
way the importer now hashes them, the name kept as ``raw["author_name"]``. Their ``external_id`` was
computed from the author in clear and cannot be recomputed (the text as exported is not stored), so a
re-import stores those messages once more under their new ids; the old rows stay, without the number.

Stored texts lost the U+2068…U+2069 marks that end an iOS mention, so a number written there without
``+`` (``@8 701 123 45 67``) cannot be told from the words after it and is left as it is; the
re-import then keeps it in ``item_versions``.
"""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa

from collectors.item import content_hash
from collectors.whatsapp_phones import hash_mentions, hash_phone, phone_author

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
    so a second call rewrites nothing. An item counts once whether its text, its author or both held
    a number.
    """
    rewritten = {table: _scrub_table(con, table, source, salt) for table in _REWRITES}
    rewritten["items"] |= _scrub_authors(con, source, salt)
    return {table: len(keys) for table, keys in rewritten.items()}


def _scrub_authors(con: duckdb.DuckDBPyConnection, source: str, salt: str) -> set[tuple]:
    """Hash the phone-number authors stored in clear in ``source``'s items; the keys rewritten."""
    rows = con.execute(
        "SELECT external_id, author, raw FROM items WHERE source = ? AND NOT starts_with(author, 'phone:') "
        "AND regexp_matches(author, '[0-9]')",
        [source],
    ).fetchall()
    changed: dict[str, list] = {"external_id": [], "author": [], "raw": []}
    for external_id, author, raw in rows:
        phone = phone_author(author)
        if phone is None:
            continue
        number, name = phone
        payload = json.loads(raw) if raw else {}
        if name:
            payload["author_name"] = name
        changed["external_id"].append(external_id)
        changed["author"].append(hash_phone(number, salt))
        changed["raw"].append(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
    if changed["external_id"]:
        con.register("hashed_authors", pa.table(changed))
        try:
            con.execute(
                "UPDATE items SET author = s.author, raw = s.raw FROM hashed_authors s "
                "WHERE items.source = ? AND items.external_id = s.external_id",
                [source],
            )
        finally:
            con.unregister("hashed_authors")
    return {(external_id,) for external_id in changed["external_id"]}


def _scrub_table(con: duckdb.DuckDBPyConnection, table: str, source: str, salt: str) -> set[tuple]:
    keys, update = _REWRITES[table]
    rows = con.execute(
        f"SELECT {', '.join(keys)}, title, text FROM {table} WHERE source = ? AND contains(text, '@')",
        [source],
    ).fetchall()
    changed: dict[str, list] = {name: [] for name in [*keys, "text", "content_hash"]}
    done: set[tuple] = set()
    for *key, title, text in rows:
        hashed = hash_mentions(text, salt)
        if hashed == text:
            continue
        for name, value in zip(keys, key, strict=True):
            changed[name].append(value)
        changed["text"].append(hashed)
        changed["content_hash"].append(content_hash(title, hashed))
        done.add(tuple(key))
    if not changed["text"]:
        return done
    con.register("scrubbed", pa.table(changed))
    try:
        con.execute(update, [source])
    finally:
        con.unregister("scrubbed")
    return done
