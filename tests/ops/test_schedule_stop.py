"""SIGTERM at the awkward moments of `schedule`, with real processes: during its start-up check (held up
by an analyst's open connection), and while an alert delivery hangs on a server that went silent."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from opskit import FeedServer, SilentServer, SmtpSink, wait_for
from testutil import ROOT, held_by_another_process

from batch.demo import write_sources_toml
from store.db import connect, reader

HERE = Path(__file__).resolve().parent
SETTINGS = {"min_delay": 0.0, "retries": 0, "respect_robots": False}


def write_config(
    path: Path, feed_base: str, *, cron: str = "0 0 1 1 *", smtp_port: int | None = None, **settings: Any
) -> Path:
    """A config of one RSS source, ``city``, run by ``cron``; with e-mail alerts to ``smtp_port``."""
    source = {"name": "city", "kind": "rss", "url": feed_base + "/full/city.xml", "schedule": cron}
    write_sources_toml(path, {**SETTINGS, **settings}, [source])
    if smtp_port is not None:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(
                f'\n[alerts]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\nmail_to = "desk@example.kz"\n'
            )
    return path


def start(script: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(proc: subprocess.Popen[str]) -> tuple[float, str, str]:
    """SIGTERM, then the seconds until the process ended, its stdout and its stderr."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return time.monotonic() - started, out, err


@pytest.mark.parametrize("once", [True, False], ids=["--once", "serving"])
def test_sigterm_during_the_start_up_check_is_an_orderly_stop(tmp_path: Path, once: bool) -> None:
    # The handlers were installed after the check: SIGTERM while it waited for the analyst's lock ended
    # the process by the default handler (status -15), without a line in the log.
    db = tmp_path / "m.duckdb"
    connect(db).close()  # migrated already: the start-up check has only its own write to make
    log_file = tmp_path / "monitor.log"
    with FeedServer() as server:
        config = write_config(tmp_path / "s.toml", server.base)
        args = ["schedule", "--config", str(config), "--db", str(db), "--log-file", str(log_file)]
        with held_by_another_process(db):
            proc = start(ROOT / "pipeline.py", *args, *(["--once"] if once else []))
            waiting = wait_for(
                lambda: log_file.exists() and "holds the database lock" in log_file.read_text(), 60
            )
            took, out, err = stop(proc)
        fetched = dict(server.requests)
    log = log_file.read_text()
    assert waiting, log
    assert proc.returncode == (128 + signal.SIGTERM if once else 0), err
    assert took < 10, took  # the lock wait ends at once on the stop
    assert "stop requested (SIGTERM)" in log and "Traceback" not in err + log
    if once:
        assert out == "" and err.strip() == "stopped on request during the start-up: no source ran"
    else:
        assert "scheduler stopped cleanly before its first job" in log and "scheduler started" not in log
    assert fetched == {}  # no source ran
    with reader(db) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM meta WHERE key = 'scheduler_started'").fetchone()[0] == 0


def test_sigterm_while_an_alert_delivery_hangs_stops_at_once_and_keeps_the_digest(tmp_path: Path) -> None:
    # An SMTP server that accepted the connection and never answered held the stop for its socket
    # timeout (20 s, measured 19.2 s after a SIGTERM 1 s into the delivery), the whole default stop grace.
    db = tmp_path / "m.duckdb"
    with FeedServer() as server, SilentServer() as silent:
        config = write_config(
            tmp_path / "s.toml",
            server.base,
            cron="*/2 * * * * *",
            smtp_port=silent.port,
            stop_grace_seconds=60,
        )
        proc = start(HERE / "keyword_pipeline.py", "schedule", "--config", str(config), "--db", str(db))
        assert silent.connected.wait(60), "no delivery was tried"
        time.sleep(0.5)  # stuck in the middle of it
        took, _out, err = stop(proc)
        assert proc.returncode == 0, err
        assert took < 10, (took, err)  # STOP_SEND_SECONDS (5) and a turn of the main loop (1)
        assert "alert digest by email abandoned at the stop, kept for the next try" in err, err
        assert "scheduler stopped cleanly" in err and "still busy" not in err and "Traceback" not in err
        with reader(db) as con:
            assert con.execute("SELECT count(*) FROM alerts_sent").fetchone()[0] == 0
        with SmtpSink() as smtp:  # the mail server is back: the next process sends what was kept
            text = config.read_text(encoding="utf-8").replace(
                f"smtp_port = {silent.port}", f"smtp_port = {smtp.port}"
            )
            config.write_text(text, encoding="utf-8")
            once = start(
                HERE / "keyword_pipeline.py", "schedule", "--once", "--config", str(config), "--db", str(db)
            )
            _out, once_err = once.communicate(timeout=120)
            messages = list(smtp.messages)
    assert once.returncode == 0, once_err
    assert len(messages) == 1 and messages[0]["Subject"] == "[monitor] 12 new flagged items"


@pytest.mark.parametrize("signals", [1, 2])
def test_schedule_once_stopped_while_an_alert_delivery_hangs(tmp_path: Path, signals: int) -> None:
    # One signal: the hung delivery gets its 5 s, and the message says the runs had ended (it said the
    # run going on ended 'aborted'). Two, as `run` takes them: the second ends the process where it
    # stands (`schedule --once` waited out the 5 s whatever came).
    db = tmp_path / "m.duckdb"
    with FeedServer() as server, SilentServer() as silent:
        config = write_config(tmp_path / "s.toml", server.base, smtp_port=silent.port)
        proc = start(
            HERE / "keyword_pipeline.py", "schedule", "--once", "--config", str(config), "--db", str(db)
        )
        assert silent.connected.wait(60), "no delivery was tried"
        started = time.monotonic()
        for _ in range(signals):
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - started
    assert "Traceback" not in err
    if signals == 1:
        assert proc.returncode == 128 + signal.SIGTERM, err
        assert 4 < took < 10, (took, err)
        assert out.startswith("city: ok, new 18")
        assert err.strip().endswith(
            "stopped on request: the runs above had ended; the sources after them did not run"
        )
    else:
        assert proc.returncode == 130, err
        assert took < 4.5, (
            took,
            err,
        )  # 0.5 s between the signals, not the 5 s a delivery gets after the first
        assert err.strip().endswith("interrupted")
    with reader(db) as con:  # what was collected before the delivery stays; nothing is marked sent
        assert con.execute("SELECT count(*) FROM items").fetchone()[0] == 18
        assert con.execute("SELECT count(*) FROM alerts_sent").fetchone()[0] == 0
