"""An item stored without a date gets the date a later fetch reads (a server clock more than a day
behind made every date of a run "in the future": stored NULL, and each later fetch read the date and
left the NULL, so the items dropped out of every date query for good; acceptance B1). A stored date is
never replaced, and filling one is not an edit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from collectors.item import Item
from store.db import reader, writer
from store.items import upsert_items

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DATE = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def _item(ext: str, published: datetime | None) -> Item:
    return Item(source="rss", kind="entry", external_id=ext, text=f"Текст {ext}", published_at=published)


def test_a_date_read_later_fills_a_stored_null_and_never_replaces_a_date(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with writer(db) as con:
        upsert_items(con, [_item("a", None), _item("b", DATE)], now=NOW)
    with writer(db) as con:
        later = upsert_items(
            con, [_item("a", DATE), _item("b", DATE + timedelta(days=1))], now=NOW + timedelta(hours=1)
        )
    assert (later.new, later.updated, later.unchanged) == (0, 0, 2)  # not an edit
    with reader(db) as con:
        rows = con.execute(
            "SELECT external_id, published_at, version, updated_at FROM items ORDER BY 1"
        ).fetchall()
        versions = con.execute("SELECT count(*) FROM item_versions").fetchall()[0][0]
    assert [(r[0], r[1], r[2]) for r in rows] == [("a", DATE, 1), ("b", DATE, 1)]
    assert all(r[3] == NOW for r in rows) and versions == 0
