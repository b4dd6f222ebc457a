"""`run` and `schedule --once` asked to stop (SIGTERM, Ctrl-C): the runs going on end 'aborted', no
other source starts."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from testutil import ROOT, stderr_until

FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    + "".join(
        f"<item><guid>e{n}</guid><title>Яма на дороге {n}</title><description>Текст {n}</description></item>"
        for n in range(5)
    )
    + "</channel></rss>"
).encode()


class SlowFeed(http.server.BaseHTTPRequestHandler):
    """A feed whose body takes about two seconds to arrive; robots.txt is missing."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(FEED)))
        self.end_headers()
        for start in range(0, len(FEED), len(FEED) // 20 + 1):
            self.wfile.write(FEED[start : start + len(FEED) // 20 + 1])
            self.wfile.flush()
            time.sleep(0.1)


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowFeed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("command", "sig"),
    [(["run"], signal.SIGTERM), (["run"], signal.SIGINT), (["schedule", "--once"], signal.SIGTERM)],
)
def test_a_run_asked_to_stop_ends_its_runs_aborted_and_starts_no_other(
    tmp_path: Path, slow_server: str, command: list[str], sig: signal.Signals
) -> None:
    config = _two_feeds(tmp_path, slow_server)
    db = tmp_path / "m.duckdb"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "pipeline.py"), *command, "--config", str(config), "--db", str(db)],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _running(db):
        time.sleep(0.1)  # the first source's run has started
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, out + err
    assert "stopped on request: the run" in err
    assert "Traceback" not in err
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT source, status FROM runs ORDER BY run_id").fetchall()
    assert runs == [("feed-1", "aborted")]  # it was left 'running' before; feed-2 never started


def _two_feeds(tmp_path: Path, slow_server: str) -> Path:
    """A config of two feeds of the slow server, collected one after the other."""
    config = tmp_path / "sources.toml"
    config.write_text(
        "[settings]\nmax_parallel_sources = 1\nmin_delay = 0\n"
        + "".join(
            f'[[sources]]\nname = "feed-{n}"\nkind = "rss"\nurl = "{slow_server}/feed{n}.xml"\n'
            for n in (1, 2)
        ),
        encoding="utf-8",
    )
    return config


def _running(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return bool(con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchall()[0][0])
    except duckdb.Error:  # the writer holds the file
        return False


def test_a_stop_ends_the_wait_for_another_process_lock_at_once(tmp_path: Path, slow_server: str) -> None:
    """SIGTERM while an analyst's connection holds the file: the waiting run ends 'aborted' now, not
    after the 30 s lock wait (four sources waited 120 s, past systemd's stop timeout)."""
    config = _two_feeds(tmp_path, slow_server)
    db = tmp_path / "m.duckdb"
    from store.db import connect

    connect(db).close()
    analyst = duckdb.connect(str(db), read_only=True)
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "pipeline.py"),
                "--debug",
                "run",
                "--config",
                str(config),
                "--db",
                str(db),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        err = stderr_until(proc, "holds the database lock; waiting")  # the run waits for the lock
        proc.send_signal(signal.SIGTERM)
        out, rest = proc.communicate(timeout=120)
        err += rest
    finally:
        analyst.close()
    assert proc.returncode == 128 + signal.SIGTERM, out + err
    assert "feed-1: aborted" in err, err
    assert "stopped on request while another process held the database lock" in err
    assert "feed-2" not in out + err  # not started


def test_a_stop_during_the_classify_stage_ends_it_after_the_page_in_hand(
    tmp_path: Path,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # SIGTERM once the sources are collected: the classify stage is asked to stop (it ends after the
    # page in hand, what it saved stays) and `run` says so, instead of classifying the whole backlog
    import pipeline
    from batch import stages

    httpserver.expect_request("/feed").respond_with_data(FEED, content_type="application/rss+xml")
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[settings]\nrespect_robots = false\n[[sources]]\nname = "feed"\nkind = "rss"\nurl = "{httpserver.url_for("/feed")}"\n',
        encoding="utf-8",
    )
    asked: list[bool] = []

    def analyse(
        db: Path, *, should_stop: Callable[[], bool], **kw: object
    ) -> tuple[int, stages.ClassifyResult]:
        os.kill(os.getpid(), signal.SIGTERM)  # the service manager stops the unit now
        asked.append(should_stop())
        return 0, stages.ClassifyResult()

    monkeypatch.setattr(stages, "analyse_pending", analyse)
    status = pipeline.main(["run", "--config", str(config), "--db", str(tmp_path / "m.duckdb")])
    assert asked == [True]
    assert status == 128 + signal.SIGTERM
    assert "stopped on request: what is classified is saved" in capsys.readouterr().err
