"""A stop (SIGTERM, Ctrl-C) while a source's request waits on a server that does not answer: the request
under way may time out, but no retry starts after the stop, and the run ends 'aborted', not 'failed'
(no failure counted, no back-off), as `run` then says."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from portalkit import ARTICLE, FIRST, SECOND, Site, article, home, links
from pytest_httpserver import HTTPServer
from testutil import ROOT, store_rows
from werkzeug import Request, Response

from batch.demo import write_sources_toml
from batch.runner import run_source
from config.sources import load_config
from store import runs as runlog
from store.db import writer

sys.path.insert(0, str(ROOT / "tests" / "ops"))  # opskit, the stand-in servers of tests/ops
from opskit import FeedServer

STALLING = "/stall/slow.xml"  # FeedServer holds its answer until released (60 s)
DUE = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # the back-off an earlier failure set


def _config(tmp_path: Path, server: FeedServer, *, retries: int = 1) -> Path:
    # retries = 1: before the fix, the timed-out request was made a second time after the stop
    settings = {"min_delay": 0.0, "retries": retries, "timeout": 1.5, "respect_robots": False}
    path = tmp_path / "sources.toml"
    write_sources_toml(path, settings, [{"name": "slow", "kind": "rss", "url": server.base + STALLING}])
    return path


def _failing_four_times(db: Path) -> None:
    """The source's state after four failed runs in a row."""
    from store.db import connect

    connect(db).close()
    with writer(db) as con:
        runlog.save_state(con, runlog.SourceState(source="slow", consecutive_failures=4, next_due=DUE))


def _health(db: Path) -> list[tuple]:
    return store_rows(db, "SELECT consecutive_failures, next_due FROM source_state WHERE source = 'slow'")


def test_a_stop_while_the_request_waits_ends_the_run_aborted_without_a_retry(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    _failing_four_times(db)
    stop = threading.Event()
    with FeedServer() as server:
        config = load_config(_config(tmp_path, server))

        def stop_once_the_request_waits() -> None:
            if server.stalled.wait(30):
                stop.set()  # SIGTERM while the first request waits for its answer

        threading.Thread(target=stop_once_the_request_waits, daemon=True).start()
        stopped = run_source(config.sources[0], config, db, should_stop=stop.is_set)
        requests_when_stopped = server.requests.get(STALLING, 0)
        runs = store_rows(db, "SELECT status, error FROM runs ORDER BY run_id")
        health = _health(db)

        # the same failure with no stop asked is the source's failure, as before
        failed = run_source(config.sources[0], config, db)
        requests_without_stop = server.requests.get(STALLING, 0) - requests_when_stopped
        health_after_failure = _health(db)

    assert requests_when_stopped == 1  # the timed-out request was not made again after the stop
    assert stopped.status == "aborted", stopped.error
    assert runs[0][0] == "aborted" and "stopped on request" in runs[0][1]
    assert "timed out waiting for the answer" in runs[0][1]  # what the request under way met, kept
    assert health == [(4, DUE)]  # not counted as a failure, the back-off left as it was

    assert failed.status == "failed" and "connection failed after 2 attempts" in str(failed.error)
    assert requests_without_stop == 2
    assert health_after_failure[0][0] == 5 and health_after_failure[0][1] > DUE


def test_run_stopped_during_a_network_wait_says_aborted_once(tmp_path: Path) -> None:
    """Ctrl-C to `run --source slow` while its request waits: one request, the run 'aborted', and the
    lines of `run` agree (it printed `slow: failed` above `the runs going on ended 'aborted'`)."""
    db = tmp_path / "m.duckdb"
    _failing_four_times(db)
    with FeedServer() as server:
        config = _config(tmp_path, server)
        proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "pipeline.py"),
                "run",
                "--source",
                "slow",
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
        assert server.stalled.wait(60), "the source's request never came"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        requests = server.requests.get(STALLING, 0)
    assert proc.returncode == 128 + signal.SIGINT, out + err
    assert requests == 1
    assert "slow: aborted - " in err and "not retried: stopped on request" in err, err
    assert "slow: failed" not in err and "sources failed" not in err
    assert "stopped on request: the runs going on ended 'aborted'" in err
    assert "Traceback" not in err
    assert [status for (status,) in store_rows(db, "SELECT status FROM runs")] == ["aborted"]
    assert _health(db) == [(4, DUE)]


def test_the_last_attempt_failing_after_a_stop_is_not_the_sources_failure(tmp_path: Path) -> None:
    """retries = 0: the request under way is the last one, and it fails after the stop; the run was
    stopped all the same, so 'aborted', and the source's failures stay at four."""
    db = tmp_path / "m.duckdb"
    _failing_four_times(db)
    stop = threading.Event()
    with FeedServer() as server:
        config = load_config(_config(tmp_path, server, retries=0))
        threading.Thread(target=lambda: server.stalled.wait(30) and stop.set(), daemon=True).start()
        run = run_source(config.sources[0], config, db, should_stop=stop.is_set)
        requests = server.requests.get(STALLING, 0)
    assert requests == 1
    assert run.status == "aborted", run.error
    assert str(run.error).startswith("stopped on request before the run ended; source slow: ")
    assert _health(db) == [(4, DUE)]


def test_a_stop_between_requests_of_a_collector_that_goes_on_after_a_failed_page(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """The portal collector takes a page it could not fetch as one problem and goes on: once the stop
    came (while its listing was read), the client refused each article, and the run ended 'partial'
    with its cursor saved, each article a "problem". It is 'aborted', its cursor not saved."""
    site = Site()
    site.html("/news/", home(links(FIRST, SECOND)))
    site.html(FIRST, article())
    site.html(SECOND, article("Автобус 12 изменил маршрут"))
    stop = threading.Event()

    def serve(request: Request) -> Response:
        if request.path == "/news/":
            stop.set()  # SIGTERM while the listing is read: that request ends, no other starts
        return site(request)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(serve)
    path = tmp_path / "sources.toml"
    write_sources_toml(
        path,
        {"min_delay": 0.0, "retries": 1},
        [{"name": "vestnik", "kind": "portal", "start_urls": [httpserver.url_for("/news/")]}],
    )
    config = load_config(path)
    db = tmp_path / "m.duckdb"
    run = run_source(config.sources[0], config, db, should_stop=stop.is_set)
    assert [hit for hit in site.hits if hit.startswith("/news/2026")] == []  # no article asked
    assert run.status == "aborted", (run.status, run.error, run.problem_messages)
    assert run.error == "source vestnik: stopped on request before the run ended"
    state = store_rows(db, "SELECT consecutive_failures, state FROM source_state")
    assert state[0][0] == 0 and "_http" not in state[0][1]  # no failure counted, no cursor saved


def test_a_portal_run_stopped_after_four_articles_stores_the_four(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """Collectors stop between two items and what was fetched is written (docs/OPERATIONS.md): the
    portal yields each article once read (review: held to the end of its visits, 1 of 4 was stored)."""
    paths = [f"/news/2026/11/25/novost-{n}-55{n:02d}.html" for n in range(6)]
    site = Site()
    site.html("/news/", home(links(*paths)))
    for n, page in enumerate(paths):
        site.html(page, article(f"Новость {n}", ARTICLE.replace("ямы", f"ямы {n}")))
    stop = threading.Event()

    def serve(request: Request) -> Response:
        answer = site(request)
        if sum(hit.startswith("/news/2026") for hit in site.hits) >= 4:
            stop.set()  # SIGTERM while the fourth article is read
        return answer

    httpserver.expect_request(re.compile(".*")).respond_with_handler(serve)
    path = tmp_path / "sources.toml"
    write_sources_toml(
        path,
        {"min_delay": 0.0, "retries": 0},
        [{"name": "vestnik", "kind": "portal", "start_urls": [httpserver.url_for("/news/")]}],
    )
    config = load_config(path)
    db = tmp_path / "m.duckdb"
    run = run_source(config.sources[0], config, db, should_stop=stop.is_set)
    assert run.status == "aborted", (run.status, run.error)
    stored = store_rows(db, "SELECT title FROM items WHERE kind = 'article' ORDER BY title")
    assert stored == [(f"Новость {n}",) for n in range(4)]
