"""The database file removed (or its folder) or replaced under a running `schedule` or `run`: one error
naming the file, a stop with exit status 1, and never a new, empty database in its place."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from opskit import FeedServer, KeywordModel
from test_scheduler import make_config
from testutil import ROOT

from batch.demo import write_sources_toml
from ops.scheduler import BatchOutcome, Scheduler

NEVER = "0 0 1 1 *"  # the jobs are run by the test


def scheduler(server: FeedServer, db: Path, *urls: str) -> Scheduler:
    sources = [{"name": Path(url).stem, "url": url, "schedule": NEVER} for url in urls]
    sched = Scheduler(make_config(server, sources), db, model=KeywordModel())
    sched.check_database()
    return sched


def gone_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "event", None) in {"database_gone", "batch_failed"}]


def test_folder_removed_between_jobs_stops_the_scheduler_with_one_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    db = folder / "m.duckdb"
    with FeedServer() as server:
        sched = scheduler(server, db, "/feed/a.xml", "/feed/b.xml")
        assert sched.run_job("a").error is None
        shutil.rmtree(folder)
        caplog.set_level(logging.INFO)
        first = sched.run_job("b")
        second = sched.run_job("a")
        ticked: list[int] = []
        sched.guard.tick(lambda: ticked.append(1))
    assert first.error is not None and "was removed after this process opened it" in first.error
    assert second.skipped == "stopping"
    assert not folder.exists()  # neither the folder nor an empty database made again
    records = gone_records(caplog)
    assert [(r.levelno, r.event) for r in records] == [(logging.ERROR, "database_gone")]  # type: ignore[attr-defined]
    assert str(db) in records[0].getMessage()
    assert sched.should_stop() and sched.guard.exit_status == 1 and ticked == []


def test_a_replaced_database_file_is_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        sched = scheduler(server, db, "/feed/a.xml")
        assert sched.run_job("a").error is None
        shutil.copy(db, tmp_path / "restored.duckdb")
        os.replace(tmp_path / "restored.duckdb", db)  # a copy restored over it: another file now
        before = duckdb.connect(str(db), read_only=True)
        runs = before.execute("SELECT count(*) FROM runs").fetchone()
        before.close()
        outcome = sched.run_job("a")
    assert outcome.error is not None and "was replaced by another file" in outcome.error
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM runs").fetchone() == runs  # nothing written into the new one
    con.close()
    assert sched.guard.exit_status == 1


def test_folder_removed_while_a_source_is_fetched(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "data"
    db = folder / "m.duckdb"
    with FeedServer() as server:
        sched = scheduler(server, db, "/stall/slow.xml")
        caplog.set_level(logging.INFO)
        outcomes: list[BatchOutcome] = []
        job = threading.Thread(target=lambda: outcomes.append(sched.run_job("slow")))
        job.start()
        assert server.stalled.wait(10)
        shutil.rmtree(folder)
        server.release.set()
        job.join(30)
    assert outcomes and outcomes[0].error is not None
    assert not (folder / "m.duckdb").exists()
    assert [r.event for r in gone_records(caplog)] == ["database_gone"]  # type: ignore[attr-defined]
    assert sched.guard.exit_status == 1


def test_serve_exits_1_soon_after_its_database_folder_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    db = folder / "m.duckdb"
    with FeedServer() as server:
        sched = scheduler(server, db, "/feed/a.xml")
        status: list[int] = []
        loop = threading.Thread(target=lambda: status.append(sched.serve(install_signals=False)))
        loop.start()
        try:
            shutil.rmtree(folder)  # the loop checks the file every second
            loop.join(10)
        finally:
            sched.request_stop()
            loop.join(10)
    assert status == [1]
    assert not folder.exists()


def test_run_whose_database_folder_is_removed_ends_without_a_new_database(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    db = folder / "m.duckdb"
    with FeedServer() as server:
        config = tmp_path / "sources.toml"
        sources = [
            {"name": "slow", "kind": "rss", "url": server.base + "/stall/slow.xml"},
            {"name": "next", "kind": "rss", "url": server.base + "/full/next.xml"},
        ]
        settings = {"min_delay": 0.0, "retries": 0, "respect_robots": False, "max_parallel_sources": 1}
        write_sources_toml(config, settings, sources)
        proc = subprocess.Popen(
            [sys.executable, "pipeline.py", "run", "--config", str(config), "--db", str(db), "--no-classify"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stalled.wait(30)
            shutil.rmtree(folder)
            server.release.set()
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 1
    assert f"{db}: the database file (or its folder) was removed" in err
    assert not db.exists()
