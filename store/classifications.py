"""Reading items that need scores, and writing scores back in bulk."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa


def _stale(model_version: str | None) -> str:
    """The condition of an item ``i`` whose scores are missing or stale (one ``?`` with ``model_version``)."""
    return """NOT EXISTS (
                SELECT 1 FROM classifications c
                WHERE c.source = i.source AND c.external_id = i.external_id
                  AND c.content_hash = i.content_hash {extra})""".format(
        extra="AND c.model_version = ?" if model_version else ""
    )


def pending_keys(
    con: duckdb.DuckDBPyConnection,
    *,
    model_version: str | None = None,
    limit: int | None = None,
    after: tuple[str, str] = ("", ""),
) -> pa.Table:
    """The keys (source, external_id) of the items whose scores are missing or stale, in key order.

    Stale means the content changed since it was scored or, when ``model_version`` is given, it was
    scored by another model. ``after`` is the last key of a previous page (keyset paging), ``limit``
    the most keys returned. Each call searches the whole store (0.7 s at a million items): a pass
    finds its keys once and reads them a page at a time with :func:`rows_of` (a million keys take
    about 36 MB); it searched again for every page of 5,000 (22 searches, 15 s, for 100,000 new items).
    """
    sql = f"""
        SELECT i.source, i.external_id FROM items i
        WHERE {_stale(model_version)} AND (i.source, i.external_id) > (?, ?)
        ORDER BY 1, 2 {"LIMIT ?" if limit is not None else ""}
    """
    params: list[Any] = [model_version] if model_version else []
    params += [after[0], after[1], *([limit] if limit is not None else [])]
    return con.sql(sql, params=params).to_arrow_table()


def rows_of(
    con: duckdb.DuckDBPyConnection, keys: pa.Table, *, model_version: str | None = None
) -> list[tuple[str, str, str | None, str, str]]:
    """The items of ``keys`` (a slice of :func:`pending_keys`) still pending now, with their current
    content: (source, external_id, title, text, content_hash), in key order. An item scored by another
    process since the keys were found is left out; one edited since is read as it is now."""
    con.register("page_keys", keys)
    try:
        return con.execute(
            f"""
            SELECT i.source, i.external_id, i.title, i.text, i.content_hash
            FROM items i SEMI JOIN page_keys USING (source, external_id)
            WHERE {_stale(model_version)}
            ORDER BY i.source, i.external_id
            """,
            [model_version] if model_version else [],
        ).fetchall()
    finally:
        con.unregister("page_keys")


def pending(
    con: duckdb.DuckDBPyConnection,
    *,
    model_version: str | None = None,
    limit: int = 5000,
    after: tuple[str, str] = ("", ""),
) -> list[tuple[str, str, str | None, str, str]]:
    """A page of the items whose scores are missing or stale (:func:`pending_keys`), as :func:`rows_of`
    reads them: (source, external_id, title, text, content_hash), in key order."""
    keys = pending_keys(con, model_version=model_version, limit=limit, after=after)
    return rows_of(con, keys, model_version=model_version)


def save(
    con: duckdb.DuckDBPyConnection,
    rows: Sequence[tuple[str, str, str]],
    predictions: Sequence[dict[str, Any]],
    *,
    model_version: str,
    now: datetime | None = None,
) -> int:
    """Store one prediction per (source, external_id, content_hash) row; sets items.lang too, where the
    item still has the content scored (an edit stored meanwhile keeps its language for its own scoring).
    Returns the rows written: a row whose item was edited since it was read, and whose new content
    another process has scored already, is left out (`reclassify` wrote the old text's scores over them,
    and `flagged` showed the new text with the old labels until a later pass)."""
    now = now or datetime.now(UTC)
    table = pa.table(
        {
            "source": [r[0] for r in rows],
            "external_id": [r[1] for r in rows],
            "content_hash": [r[2] for r in rows],
            "lang": [p.get("lang") for p in predictions],
            "corruption": [float(p["scores"].get("corruption", 0.0)) for p in predictions],
            "infrastructure": [float(p["scores"].get("infrastructure", 0.0)) for p in predictions],
            "labels": [list(p.get("labels") or []) for p in predictions],
            "evidence": [json.dumps(p.get("evidence") or {}, ensure_ascii=False) for p in predictions],
        }
    )
    con.register("scored", table)
    try:
        (written,) = con.execute(
            """
            INSERT INTO classifications
            SELECT source, external_id, ?, content_hash, lang, corruption, infrastructure, labels,
                   evidence::JSON, ?
            FROM scored s
            WHERE NOT EXISTS (  -- a score of the item's current content stays (another process's)
                SELECT 1 FROM items i JOIN classifications c USING (source, external_id)
                WHERE i.source = s.source AND i.external_id = s.external_id
                  AND i.content_hash <> s.content_hash AND c.content_hash = i.content_hash)
            ON CONFLICT (source, external_id) DO UPDATE SET
                model_version = excluded.model_version, content_hash = excluded.content_hash,
                lang = excluded.lang, corruption = excluded.corruption,
                infrastructure = excluded.infrastructure, labels = excluded.labels,
                evidence = excluded.evidence, classified_at = excluded.classified_at
            """,
            [model_version, now],
        ).fetchone()
        con.execute(
            """
            UPDATE items SET lang = s.lang FROM scored s
            WHERE items.source = s.source AND items.external_id = s.external_id
              AND items.content_hash = s.content_hash  -- not a text edited since it was read
              AND items.lang IS DISTINCT FROM s.lang
            """
        )
    finally:
        con.unregister("scored")
    return int(written)
