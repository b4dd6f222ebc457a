"""One `schedule` per database, with real processes: a second one is refused with one line, the other
commands are not, and the lock goes with its process however it ends."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from opskit import FeedServer
from testutil import ROOT, run_cli, stderr_until

from batch.demo import write_sources_toml

SETTINGS = {"min_delay": 0.0, "retries": 0, "respect_robots": False, "stop_grace_seconds": 1}


def write_config(path: Path, server: FeedServer) -> Path:
    # New Year only: the scheduler holds its lock without collecting anything by itself.
    source = {"name": "city", "kind": "rss", "url": server.base + "/full/city.xml", "schedule": "0 0 1 1 *"}
    write_sources_toml(path, SETTINGS, [source])
    return path


def start_schedule(config: Path, db: Path) -> subprocess.Popen[str]:
    """`schedule` in its own process, returned once it logged its start (its lock is taken by then)."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "pipeline.py"), "schedule", "--config", str(config), "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # ends when the process does
        seen.append(line)
        if "scheduler started" in line:
            return proc
    proc.wait(10)
    raise AssertionError(f"`schedule` ended with {proc.returncode} before starting: {''.join(seen)}")


def refused(result: subprocess.CompletedProcess[str], db: Path, pid: int) -> bool:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    expected = f"error: another `schedule` is running on {db} (pid {pid}); stop it first"
    return result.returncode == 1 and lines == [expected] and result.stdout == ""


def test_a_second_schedule_on_the_same_database_is_refused_until_the_first_ends(tmp_path: Path) -> None:
    db = tmp_path / "data" / "m.duckdb"
    lock = tmp_path / "data" / "m.duckdb.schedule.lock"
    with FeedServer() as server:
        config = write_config(tmp_path / "s.toml", server)
        first = start_schedule(config, db)
        try:
            # Without the lock this one would serve until killed: the timeout ends the test instead.
            again = run_cli("schedule", "--config", str(config), "--db", str(db), timeout=60)
            once = run_cli("schedule", "--once", "--config", str(config), "--db", str(db))
            other_name = tmp_path / "data" / ".." / "data" / "m.duckdb"  # the same file by another path
            by_other_name = run_cli("schedule", "--once", "--config", str(config), "--db", str(other_name))
            # The other commands share the database through its own lock, beside the scheduler.
            run = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
            status = run_cli("status", "--config", str(config), "--db", str(db))
            holder = lock.read_text().strip() if lock.exists() else None
        finally:
            first.send_signal(signal.SIGTERM)
            _out, err = first.communicate(timeout=30)
        assert first.returncode == 0, err
        after_stop = run_cli("schedule", "--once", "--config", str(config), "--db", str(db))
        requests = server.requests.get("/full/city.xml", 0)
    assert refused(again, db, first.pid), again.stderr
    assert refused(once, db, first.pid), once.stderr
    # the same file found by its lock; --db is said as an absolute path (data/../data is data)
    assert refused(by_other_name, db, first.pid), by_other_name.stderr
    assert holder == str(first.pid)
    assert run.returncode == 0 and "city: ok - fetched 18, new 18" in run.stdout, run.stderr
    assert status.returncode == 0 and "city" in status.stdout, status.stderr
    assert after_stop.returncode == 0, after_stop.stderr  # SIGTERM released the lock
    assert after_stop.stdout.startswith("city: ok")
    assert requests == 2  # `run` and the last `schedule --once`: the refused ones never collected


def test_a_killed_schedule_leaves_no_lock_behind(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        config = write_config(tmp_path / "s.toml", server)
        first = start_schedule(config, db)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert first.stderr is not None
        first.stderr.close()
        once = run_cli("schedule", "--once", "--config", str(config), "--db", str(db))
    assert once.returncode == 0, once.stderr
    assert once.stdout.startswith("city: ok, new 18")


def test_sigterm_ends_a_job_waiting_for_an_analysts_lock_at_once(tmp_path: Path) -> None:
    # Without it the job waited its 30 s for the lock; `schedule` gave up on it after its stop grace
    # and cut it short ("still busy"), or, with a longer grace, outlasted systemd's stop timeout.
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        source = {
            "name": "city",
            "kind": "rss",
            "url": server.base + "/full/city.xml",
            "schedule": "* * * * * *",
        }
        config = tmp_path / "s.toml"
        write_sources_toml(config, {**SETTINGS, "stop_grace_seconds": 20}, [source])
        proc = start_schedule(config, db)
        assert proc.stderr is not None
        analyst = None
        try:
            while analyst is None:  # between two of the scheduler's writes
                try:
                    analyst = duckdb.connect(str(db), read_only=True)
                except duckdb.IOException:
                    time.sleep(0.05)
            err = stderr_until(proc, "holds the database lock; waiting")
            proc.send_signal(signal.SIGTERM)
            _out, rest = proc.communicate(timeout=60)
            err += rest
        finally:
            if analyst is not None:
                analyst.close()
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    assert "stopped on request while another process held the database lock" in err, err
    assert "still busy" not in err
