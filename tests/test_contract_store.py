"""The storage contract of ../shared/DESIGN.md: the tables, view and columns analysts rely on exist in a
fresh database, and the natural key keeps a re-stored item single."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from store.db import reader, writer

# DESIGN.md, "Storage contract": items' columns as listed there, and the other names
ITEM_COLUMNS = [
    "source",
    "kind",
    "external_id",
    "parent",
    "url",
    "author",
    "published_at",
    "collected_at",
    "lang",
    "text",
    "content_hash",
]
TABLES = {
    "items": "BASE TABLE",
    "classifications": "BASE TABLE",
    "reviews": "BASE TABLE",
    "runs": "BASE TABLE",
}


def test_the_contract_names_exist_in_a_fresh_database(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with writer(db):
        pass
    with reader(db) as con:
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        columns = {
            name: {
                c
                for (c,) in con.execute(
                    f"SELECT column_name FROM information_schema.columns WHERE table_name = '{name}'"
                ).fetchall()
            }
            for name in ("items", "flagged")
        }
    assert {name: kinds.get(name) for name in TABLES} == TABLES
    assert kinds.get("flagged") == "VIEW"
    assert set(ITEM_COLUMNS) <= columns["items"]
    assert {"source", "external_id", "labels", "review_status"} <= columns["flagged"]


def test_the_natural_key_refuses_a_second_copy(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    now = datetime.now(UTC)
    insert = (
        "INSERT INTO items (source, external_id, kind, collected_at, updated_at, text, content_hash, version) "
        "VALUES ('s', '1', 'post', ?, ?, 'Яма', 'h', 1)"
    )
    with writer(db) as con:
        con.execute(insert, [now, now])
    with pytest.raises(duckdb.ConstraintException), writer(db) as con:
        con.execute(insert, [now, now])
