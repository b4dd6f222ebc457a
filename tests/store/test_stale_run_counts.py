"""A run its process left `running` (kill -9) says, once marked aborted, the items it stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from collectors.item import Item
from store import runs as runlog
from store.db import writer
from store.items import upsert_items


def _item(source: str, ext: str) -> Item:
    return Item(source=source, kind="post", external_id=ext, text=f"текст {ext}")


def test_a_dead_process_run_counts_the_items_it_stored_as_new(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    t0 = datetime.now(UTC) - timedelta(hours=2)
    with writer(db) as con:
        upsert_items(con, [_item("feed", "old")], now=t0 - timedelta(hours=1))  # before the run
        killed = runlog.RunRecord(source="feed", kind="rss", started_at=t0)
        runlog.start_run(con, killed)
        upsert_items(con, [_item("feed", "a"), _item("feed", "b")], now=t0 + timedelta(minutes=1))
        upsert_items(con, [_item("other", "c")], now=t0 + timedelta(minutes=1))  # another source
        assert runlog.mark_stale_runs(con, "feed") == 1
        row = con.execute("SELECT status, new, error FROM runs WHERE run_id = ?", [killed.run_id]).fetchone()
    assert row == ("aborted", 2, "the process ended before the run finished")


def test_items_of_the_next_run_are_not_counted_for_an_earlier_dead_one(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    t0 = datetime.now(UTC) - timedelta(hours=2)
    with writer(db) as con:
        killed = runlog.RunRecord(source="feed", kind="rss", started_at=t0)
        runlog.start_run(con, killed)
        upsert_items(con, [_item("feed", "a")], now=t0 + timedelta(minutes=1))
        later = runlog.RunRecord(source="feed", kind="rss", started_at=t0 + timedelta(minutes=30))
        runlog.start_run(con, later)
        upsert_items(con, [_item("feed", "b"), _item("feed", "c")], now=t0 + timedelta(minutes=31))
        later.status = "ok"
        runlog.finish_run(con, later)
        runlog.mark_stale_runs(con)
        assert con.execute("SELECT new FROM runs WHERE run_id = ?", [killed.run_id]).fetchone() == (1,)
