"""The database file removed (or its folder) or replaced under a running `schedule` or `run`: one error
naming the file, a stop (exit status 3 for `schedule`, which the documented systemd unit does not restart;
1 for `run`), and never a new, empty database in its place."""

from __future__ import annotations

import logging
import os
import re
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
from ops.db_guard import EXIT_DATABASE_GONE
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
    assert "the scheduler stops with exit status 3, which the documented systemd unit does not restart" in (
        records[0].getMessage()
    )
    assert sched.should_stop() and sched.guard.exit_status == 3 and ticked == []


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
    assert sched.guard.exit_status == 3


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
    # said once: not also as a run that failed, nor as a run that could not be recorded (review: three lines)
    said = [(r.name, getattr(r, "event", None)) for r in caplog.records if r.levelno >= logging.WARNING]
    assert said == [("ops.db_guard", "database_gone")]
    assert sched.guard.exit_status == 3


def test_serve_exits_3_soon_after_its_database_folder_is_removed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    db = folder / "m.duckdb"
    with FeedServer() as server:
        sched = scheduler(server, db, "/feed/a.xml")
        caplog.set_level(logging.INFO)
        status: list[int] = []
        loop = threading.Thread(target=lambda: status.append(sched.serve(install_signals=False)))
        loop.start()
        try:
            shutil.rmtree(folder)  # the loop checks the file every second
            loop.join(10)
        finally:
            sched.request_stop()
            loop.join(10)
    assert status == [3]
    assert not folder.exists()
    assert caplog.records[-1].getMessage() == "scheduler stopped: its database file went away (exit status 3)"


def test_the_documented_unit_does_not_restart_a_scheduler_whose_database_went_away() -> None:
    unit = (
        (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8").split("[Service]", 1)[1].split("```")[0]
    )
    assert "Restart=on-failure" in unit
    assert re.findall(r"^RestartPreventExitStatus=(\d+)$", unit, re.M) == [str(EXIT_DATABASE_GONE)]


@pytest.mark.parametrize("parallel", [1, 3])
def test_run_whose_database_folder_is_removed_ends_without_a_new_database(
    tmp_path: Path, parallel: int
) -> None:
    folder = tmp_path / "data"
    db = folder / "m.duckdb"
    with FeedServer() as server:
        config = tmp_path / "sources.toml"
        sources = [
            {"name": "slow", "kind": "rss", "url": server.base + "/stall/slow.xml"},
            {"name": "next", "kind": "rss", "url": server.base + "/full/next.xml"},
            {"name": "third", "kind": "rss", "url": server.base + "/full/third.xml"},
        ]
        settings = {"min_delay": 0.0, "retries": 0, "respect_robots": False, "max_parallel_sources": parallel}
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
    assert proc.returncode == 1  # `run` is not restarted by a service manager: any error's status
    # one line (review: the runner's "could not be recorded" before it, once per source with 3 at once)
    assert err.splitlines() == [f"error: {db}: " + ERROR_REMOVED], err
    assert not db.exists()


ERROR_REMOVED = (
    "the database file (or its folder) was removed after this process opened it; no new, empty one is made in "
    "its place: restore it, or start again to begin a new one"
)
