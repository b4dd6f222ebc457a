"""`status` and sources sources.toml no longer names, runs of dead processes, an unloadable model."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batch.source_lock import source_lock_path
from batch.status import print_status
from collectors.base import SourceConfig
from collectors.item import Item
from config.sources import Config
from store import runs as runlog
from store.db import writer
from store.items import upsert_items

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
CONFIG = Config(
    path=Path("sources.toml"),  # a file read: what it names is what is configured
    settings={},
    sources=[
        SourceConfig("city-news", "rss", {"url": "http://x/f.xml"}),
        SourceConfig("chat", "whatsapp", {}),
    ],
)


def _run(db: Path, source: str, kind: str, status: str, *, fails: int = 0) -> None:
    run = runlog.RunRecord(source=source, kind=kind, started_at=NOW - timedelta(minutes=10))
    with writer(db) as con:
        runlog.start_run(con, run)
        if status != "running":
            run.status, run.error = status, "connection failed" if status == "failed" else None
            runlog.finish_run(con, run)
        if fails:
            due = NOW + timedelta(minutes=5)
            runlog.save_state(con, runlog.SourceState(source, consecutive_failures=fails, next_due=due))


def test_a_failing_source_no_longer_configured_is_listed_apart_and_not_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "m.duckdb"
    _run(db, "city-news", "rss", "ok")
    _run(db, "city-rss", "rss", "failed", fails=1)  # renamed to city-news since
    _run(db, "chat-typo", "import:whatsapp", "failed")  # an import under a misspelt --source
    assert print_status(CONFIG, db, now=NOW) == 0
    out = capsys.readouterr().out
    table, _, rest = out.partition("not in sources.toml")
    assert "city-rss" not in table and "backing off" not in out
    assert "  city-rss (rss): last run 10m ago, failed; 0 items" in rest
    assert "  chat-typo (import:whatsapp): last run 10m ago, failed; 0 items" in rest


def test_without_a_sources_toml_every_stored_source_counts(tmp_path: Path) -> None:
    """`status --db F` with no configuration read: nothing says a source was removed, so a failed one
    fails status, as the README promises (review RV5: it was listed apart, exit 0)."""
    db = tmp_path / "m.duckdb"
    _run(db, "city-rss", "rss", "failed")
    assert print_status(Config(path=None), db, now=NOW) == 1


def test_a_configured_source_whose_last_import_failed_still_fails_status(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    _run(db, "chat", "import:whatsapp", "failed")
    assert print_status(CONFIG, db, now=NOW) == 1


def test_a_run_left_running_by_a_dead_process_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "m.duckdb"
    _run(db, "city-news", "rss", "running")
    ended = subprocess.Popen(["true"])
    ended.wait()
    lock = source_lock_path(db, "city-news")
    lock.parent.mkdir(exist_ok=True)
    lock.write_text(f"{ended.pid}\ncollecting it\n")
    print_status(CONFIG, db, now=NOW)
    assert f"its process ended (pid {ended.pid}); the next run marks it aborted" in capsys.readouterr().out
    lock.write_text(f"{os.getpid()}\ncollecting it\n")  # a live holder: a run under way
    print_status(CONFIG, db, now=NOW)
    assert "its process ended" not in capsys.readouterr().out


def test_items_waiting_for_a_classifier_that_cannot_be_loaded_fail_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "m.duckdb"
    _run(db, "city-news", "rss", "ok")
    config = Config(path=None, settings={"model": str(tmp_path / "gone.npz")}, sources=CONFIG.sources)
    assert print_status(config, db, now=NOW) == 0  # nothing waits: nothing is held up
    with writer(db) as con:
        upsert_items(con, [Item(source="city-news", kind="post", external_id="1", text="Яма у дома")])
    assert print_status(config, db, now=NOW) == 1
    assert "classifier: cannot be loaded, new items wait unclassified" in capsys.readouterr().out


def test_errors_name_the_database_by_its_absolute_path_from_any_folder(tmp_path: Path) -> None:
    from testutil import run_cli

    (tmp_path / "sources.toml").write_text('[settings]\ndb = "data/monitor.duckdb"\n')
    done = run_cli("status", "--config", str(tmp_path / "sources.toml"), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {tmp_path / 'data/monitor.duckdb'}: no database here yet")


def test_an_import_that_makes_a_new_database_says_where_once(tmp_path: Path) -> None:
    from testutil import run_cli

    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"text": "Яма у дома 5"}\n', encoding="utf-8")
    args = ("import", "jsonl", str(rows), "--source", "x", "--db", "data/m.duckdb", "--no-classify")
    first = run_cli(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == f"note: a new database at {tmp_path / 'data/m.duckdb'}"
    again = run_cli(*args, cwd=tmp_path)
    assert "a new database" not in again.stdout + again.stderr
