"""Faults with real processes: kill -9 in the middle of a run, a read-only database, a full disk."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from opskit import POSTS, FeedServer, big_posts
from testutil import ROOT, run_cli

from batch.demo import write_sources_toml
from errors import StoreError
from store.db import connect, reader

SETTINGS = {
    "min_delay": 0.0,
    "retries": 0,
    "respect_robots": False,
    "timeout": 60.0,
    "max_parallel_sources": 1,
}


def write_config(path: Path, server: FeedServer, feeds: dict[str, str]) -> Path:
    sources = [{"name": name, "kind": "rss", "url": server.base + url} for name, url in feeds.items()]
    write_sources_toml(path, SETTINGS, sources)
    return path


def start_run(config: Path, db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "pipeline.py"),
            "run",
            "--config",
            str(config),
            "--db",
            str(db),
            "--no-classify",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def counts(db: Path) -> dict[str, tuple[int, int]]:
    """Per source: rows and distinct external ids."""
    with reader(db) as con:
        rows = con.execute(
            "SELECT source, count(*), count(DISTINCT external_id) FROM items GROUP BY source ORDER BY source"
        ).fetchall()
    return {source: (n, distinct) for source, n, distinct in rows}


def run_statuses(db: Path) -> list[tuple[str, str]]:
    with reader(db) as con:
        return con.execute("SELECT source, status FROM runs ORDER BY run_id").fetchall()


def test_kill_9_in_the_middle_of_a_run_then_the_next_run_completes(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        config = write_config(
            tmp_path / "s.toml", server, {"done": "/full/done.xml", "stuck": "/stall/stuck.xml"}
        )
        proc = start_run(config, db)
        assert server.stalled.wait(60), proc.communicate()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        # The first source's run was committed; the killed one is still marked running.
        assert counts(db) == {"done": (len(POSTS), len(POSTS))}
        assert run_statuses(db) == [("done", "ok"), ("stuck", "running")]
        with reader(db) as con:
            assert con.execute("SELECT count(*) FROM source_state WHERE source = 'stuck'").fetchone()[0] == 0

        server.release.set()
        result = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
    assert result.returncode == 0, result.stderr
    assert counts(db) == {"done": (len(POSTS), len(POSTS)), "stuck": (len(POSTS), len(POSTS))}
    assert run_statuses(db) == [("done", "ok"), ("stuck", "aborted"), ("done", "ok"), ("stuck", "ok")]
    assert "stuck: ok - fetched 18, new 18" in result.stdout
    assert "done: ok - fetched 0, new 0, updated 0" in result.stdout  # the feed did not change


def test_kill_9_during_writes_leaves_a_consistent_database(tmp_path: Path) -> None:
    """Kill while the write-ahead log of a batch of 2000 items is being written, then run again."""
    expected = {f"big-{p['id']}" for p in big_posts(2100)}
    with FeedServer(big=2100) as server:
        config = write_config(tmp_path / "s.toml", server, {"big": "/big/big.xml"})
        for attempt in range(4):  # polling may miss the moment on a busy machine: try a fresh file again
            db = tmp_path / f"m{attempt}.duckdb"
            wal = Path(f"{db}.wal")
            connect(db).close()  # migrated beforehand, so the kill lands in the run's own writes
            proc = start_run(config, db)
            killed = False
            while proc.poll() is None:
                # Small writes (the run's start and end) leave a WAL of a few KB; the items' is far larger.
                if wal.exists() and wal.stat().st_size > 64_000:
                    proc.send_signal(signal.SIGKILL)
                    killed = True
                    break
                time.sleep(0.0002)
            proc.wait(60)
            if killed:
                break
        assert killed, "never caught the run writing its items"
        with reader(db) as con:  # the database opens: all of the batch or none of it, no duplicate
            keys = [r[0] for r in con.execute("SELECT external_id FROM items").fetchall()]
        assert len(keys) == len(set(keys)) and set(keys) <= expected
        assert run_statuses(db) == [("big", "running")]
        result = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
    assert result.returncode == 0, result.stderr
    assert counts(db) == {"big": (2100, 2100)}
    assert run_statuses(db) == [("big", "aborted"), ("big", "ok")]


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``where`` (skips the test where mounting is not allowed)."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr
    assert len(lines) == 1, stderr
    return lines[0]


def test_read_only_database_gives_one_clear_error(tmp_path: Path) -> None:
    with FeedServer() as server:
        config = write_config(tmp_path / "s.toml", server, {"city": "/full/city.xml"})
        if os.geteuid() != 0:  # without root, file permissions make it read-only
            db = tmp_path / "ro" / "m.duckdb"
            db.parent.mkdir()
            assert run_cli("run", "--config", str(config), "--db", str(db), "--no-classify").returncode == 0
            db.chmod(0o444)
            db.parent.chmod(0o555)
            ro = None
        else:
            ro = tmpfs(tmp_path / "ro", "8m")
            folder = ro.__enter__()
            db = folder / "m.duckdb"
            assert run_cli("run", "--config", str(config), "--db", str(db), "--no-classify").returncode == 0
            remount = subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True)
            assert remount.returncode == 0, remount.stderr
        try:
            run = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
            once = run_cli("schedule", "--once", "--config", str(config), "--db", str(db))
        finally:
            if ro is not None:
                ro.__exit__(None, None, None)
            else:
                db.parent.chmod(0o755)
    # `schedule` first takes its lock beside the database, and names that file.
    for result, what in ((run, "open the database"), (once, "create the lock file of `schedule`")):
        assert result.returncode == 1
        line = one_error_line(result.stderr)
        assert line.startswith(f"error: {db}: cannot {what}")
        assert "Read-only file system" in line or "Permission denied" in line


def test_full_disk_gives_one_clear_error_and_the_database_stays_usable(tmp_path: Path) -> None:
    with FeedServer() as server, tmpfs(tmp_path / "small", "8m") as folder:
        db = folder / "m.duckdb"
        config = write_config(tmp_path / "s.toml", server, {"city": "/feed/city.xml"})
        assert run_cli("run", "--config", str(config), "--db", str(db), "--no-classify").returncode == 0
        filler = folder / "filler"
        with filler.open("wb") as f, pytest.raises(OSError):  # fill the disk to the last byte
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        run = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
        once = run_cli("schedule", "--once", "--config", str(config), "--db", str(db))
        filler.unlink()
        after = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
        final = counts(db)
        requests = server.requests["/feed/city.xml"]
    for result in (run, once):
        assert result.returncode == 1
        line = one_error_line(result.stderr)
        assert line.startswith(f"error: {db}: cannot ") and "No space left on device" in line, line
    assert after.returncode == 0, after.stderr
    # The failed attempts stopped before fetching; after the disk was freed, the second fetch (4 posts)
    # stored the 2 new ones beside the 2 of the first run, nothing doubled.
    assert requests == 2 and final == {"city": (4, 4)}


def test_sigterm_while_a_source_hangs_exits_0_between_writes(tmp_path: Path) -> None:
    """SIGTERM does not wait for a server that never answers: after the grace time the process ends
    between two writes, and the cut run is closed as aborted by the next one."""
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        sources = [
            {
                "name": "fine",
                "kind": "rss",
                "url": server.base + "/full/fine.xml",
                "schedule": "*/2 * * * * *",
            },
            {
                "name": "stuck",
                "kind": "rss",
                "url": server.base + "/stall/stuck.xml",
                "schedule": "*/2 * * * * *",
            },
        ]
        config = tmp_path / "s.toml"
        write_sources_toml(config, {**SETTINGS, "max_parallel_sources": 2, "stop_grace_seconds": 1}, sources)
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "pipeline.py"), "schedule", "--config", str(config), "--db", str(db)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert server.stalled.wait(60)
        assert wait_for_runs(db, "fine")
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "stopping after 1 s with stuck still busy" in err
        assert "Traceback" not in err
        with reader(db) as con:
            stuck = con.execute("SELECT status FROM runs WHERE source = 'stuck'").fetchall()
        assert stuck == [("running",)]
        server.release.set()
        result = run_cli(
            "run", "--config", str(config), "--db", str(db), "--no-classify", "--source", "stuck"
        )
    assert result.returncode == 0, result.stderr
    with reader(db) as con:
        stuck = con.execute("SELECT status FROM runs WHERE source = 'stuck' ORDER BY run_id").fetchall()
    assert stuck == [("aborted",), ("ok",)]
    assert counts(db)["stuck"] == (len(POSTS), len(POSTS))


def wait_for_runs(db: Path, source: str, timeout: float = 30.0) -> bool:
    """Wait until ``source`` has a finished run (reading between the scheduler's writes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            with (
                contextlib.suppress(duckdb.Error, StoreError),
                reader(db, wait=5.0) as con,
            ):  # not migrated yet
                if con.execute(
                    "SELECT count(*) FROM runs WHERE source = ? AND status = 'ok'", [source]
                ).fetchone()[0]:
                    return True
        time.sleep(0.2)
    return False
