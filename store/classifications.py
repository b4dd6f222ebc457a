"""Reading items that need scores, and writing scores back in bulk."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa


def pending(
    con: duckdb.DuckDBPyConnection,
    *,
    model_version: str | None = None,
    limit: int = 5000,
    after: tuple[str, str] = ("", ""),
) -> list[tuple[str, str, str | None, str, str]]:
    """Items whose scores are missing or stale: (source, external_id, title, text, content_hash), in key order.

    Stale means the content changed since it was scored or, when ``model_version`` is given, it was
    scored by another model. ``after`` is the last key of the previous page (keyset paging).
    """
    # The keys first, on narrow columns; the texts then for that page only (reading every text of the
    # store to find none pending cost 0.3 s a job at 500,000 items, 0.13 s so).
    sql = """
        WITH page AS (
            SELECT i.source, i.external_id FROM items i
            WHERE NOT EXISTS (
                SELECT 1 FROM classifications c
                WHERE c.source = i.source AND c.external_id = i.external_id
                  AND c.content_hash = i.content_hash {extra})
              AND (i.source, i.external_id) > (?, ?)
            ORDER BY i.source, i.external_id
            LIMIT ?
        )
        SELECT i.source, i.external_id, i.title, i.text, i.content_hash
        FROM items i SEMI JOIN page USING (source, external_id)
        ORDER BY i.source, i.external_id
    """.format(extra="AND c.model_version = ?" if model_version else "")
    params: list[Any] = [model_version] if model_version else []
    params += [after[0], after[1], limit]
    return con.execute(sql, params).fetchall()


def save(
    con: duckdb.DuckDBPyConnection,
    rows: Sequence[tuple[str, str, str]],
    predictions: Sequence[dict[str, Any]],
    *,
    model_version: str,
    now: datetime | None = None,
) -> int:
    """Store one prediction per (source, external_id, content_hash) row; sets items.lang too, where the
    item still has the content scored (an edit stored meanwhile keeps its language for its own scoring)."""
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
        con.execute(
            """
            INSERT INTO classifications
            SELECT source, external_id, ?, content_hash, lang, corruption, infrastructure, labels,
                   evidence::JSON, ?
            FROM scored
            ON CONFLICT (source, external_id) DO UPDATE SET
                model_version = excluded.model_version, content_hash = excluded.content_hash,
                lang = excluded.lang, corruption = excluded.corruption,
                infrastructure = excluded.infrastructure, labels = excluded.labels,
                evidence = excluded.evidence, classified_at = excluded.classified_at
            """,
            [model_version, now],
        )
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
    return table.num_rows
