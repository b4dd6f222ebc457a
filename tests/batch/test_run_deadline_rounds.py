"""A run its ``max_run_seconds`` ended, second round (review rv1): it is 'partial', not 'aborted' (no
failure for `run`'s exit code, and a portal cut at every run that brings nothing gets the silence
alert); it keeps the validators of the run before (a listing page 2 the deadline cut is read next run,
not lost behind page 1's 304); and a visit the deadline cut is made after the others next run, and
given up (reported once) after three cuts."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from portalkit import ARTICLE, Site, article, home, links
from pytest_httpserver import HTTPServer
from testutil import store_rows
from werkzeug import Request, Response

import pipeline
from batch.demo import write_sources_toml
from batch.runner import run_source
from config.sources import load_config
from ops.health import sources_needing_attention

P1 = [f"/news/2026/11/25/novost-{n}-55{n:02d}.html" for n in range(3)]
P2 = [f"/news/2026/11/24/novost-{n}-56{n:02d}.html" for n in range(3, 6)]


class Server:
    """The pages of a :class:`portalkit.Site` with an ETag on each (304 to a match), but the ``slow``
    keys (path and query) send their body a byte every 0.05 s until ``release`` is set."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.slow: set[str] = set()
        self.release = threading.Event()
        self.asked: list[str] = []

    def __call__(self, request: Request) -> Response:
        query = request.query_string.decode()
        key = request.path + (f"?{query}" if query else "")
        self.asked.append(key)
        if key in self.slow:

            def trickle() -> Iterator[bytes]:
                yield b"<html>"
                while not self.release.wait(0.05):
                    yield b" "

            return Response(trickle(), status=200, headers={"Content-Type": "text/html; charset=utf-8"})
        answer = self.site(request)
        if answer.status_code == 200 and key.startswith("/news/"):
            etag = '"' + hashlib.sha256(answer.get_data()).hexdigest() + '"'
            if request.headers.get("If-None-Match") == etag:
                return Response(b"", status=304, headers={"ETag": etag})
            answer.headers["ETag"] = etag
        return answer


@pytest.fixture
def server(httpserver: HTTPServer) -> Iterator[Server]:
    site = Site()
    site.html("/news/", home(links(*P1) + '<a rel="next" href="/news/?page=2">next</a>'))
    site.html("/news/?page=2", home(links(*P2)))
    for n, path in enumerate(P1 + P2):
        site.html(path, article(f"Новость {n}", ARTICLE.replace("ямы", f"ямы {n}")))
    answer = Server(site)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(answer)
    yield answer
    answer.release.set()


def _config_path(tmp_path: Path, httpserver: HTTPServer, seconds: float) -> Path:
    path = tmp_path / "sources.toml"
    portal = {
        "name": "vestnik",
        "kind": "portal",
        "start_urls": [httpserver.url_for("/news/")],
        "max_run_seconds": seconds,
    }
    write_sources_toml(path, {"min_delay": 0.0, "retries": 0, "timeout": 5}, [portal])
    return path


def test_a_run_ended_by_its_deadline_is_partial_and_run_exits_0(
    tmp_path: Path, httpserver: HTTPServer, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    server.slow.add(P1[1])
    path = _config_path(tmp_path, httpserver, 1)
    db = tmp_path / "m.duckdb"
    code = pipeline.main(["run", "--config", str(path), "--db", str(db), "--no-classify"])
    out = capsys.readouterr()
    assert code == 0, (out.out, out.err)
    assert "failed" not in out.err
    assert "vestnik: partial - fetched" in out.out and "stopped at the deadline" in out.out
    rows = store_rows(db, "SELECT status, error FROM runs")
    assert rows[0][0] == "partial" and "max_run_seconds = 1 passed" in rows[0][1]
    state = store_rows(
        db, "SELECT consecutive_failures, next_due, last_success IS NOT NULL FROM source_state"
    )
    assert state == [(0, None, True)]  # no back-off


def test_a_portal_cut_at_every_run_that_brings_nothing_gets_the_silence_alert(
    tmp_path: Path, httpserver: HTTPServer, server: Server
) -> None:
    server.slow.update(P1 + P2)  # every article trickles: each run ends at its deadline, nothing new
    config = load_config(_config_path(tmp_path, httpserver, 1))
    db = tmp_path / "m.duckdb"
    for _ in range(2):
        run = run_source(config.sources[0], config, db)
        assert (run.status, run.new) == ("partial", 0), (run.status, run.error)
    with duckdb.connect(str(db)) as con:
        later = datetime.now(UTC) + timedelta(days=30)
        found = sources_needing_attention(con, 3, {"vestnik": 24.0}, later)
    assert [(h.source, why) for h, why in found] == [("vestnik", "silent")]


def test_a_deadline_during_listing_page_two_loses_no_article(
    tmp_path: Path, httpserver: HTTPServer, server: Server
) -> None:
    server.slow.add("/news/?page=2")
    config = load_config(_config_path(tmp_path, httpserver, 1))
    db = tmp_path / "m.duckdb"
    first = run_source(config.sources[0], config, db)
    assert first.status == "partial", (first.status, first.error)
    state = json.loads(store_rows(db, "SELECT state FROM source_state")[0][0])
    # page 1's validator of this run is not saved: the next run reads page 1 in full, then page 2
    assert httpserver.url_for("/news/") not in state.get("_http", {})

    server.slow.clear()
    server.asked.clear()
    again = run_source(config.sources[0], config, db)
    assert again.status == "ok", (again.status, again.error, again.problem_messages)
    assert "/news/?page=2" in server.asked
    titles = store_rows(db, "SELECT title FROM items WHERE kind = 'article' ORDER BY title")
    assert titles == [(f"Новость {n}",) for n in range(6)]


def test_a_slow_article_cut_by_the_deadline_goes_last_and_is_left_after_three_cuts(
    tmp_path: Path, httpserver: HTTPServer, server: Server
) -> None:
    server.site.html("/news/", home(links(*P1)))  # one listing page
    slow = P1[0]  # the first article of the listing: visited first
    server.slow.add(slow)
    config = load_config(_config_path(tmp_path, httpserver, 1))
    db = tmp_path / "m.duckdb"
    url = httpserver.url_for(slow)

    def cuts() -> dict:
        return json.loads(store_rows(db, "SELECT state FROM source_state")[0][0]).get("cut", {})

    first = run_source(config.sources[0], config, db)
    assert (first.status, first.new) == ("partial", 0)
    assert cuts() == {url: 1}

    # the next run visits the two others first, then the slow one (cut again)
    server.asked.clear()
    second = run_source(config.sources[0], config, db)
    assert second.status == "partial" and second.new == 2, (second.status, second.problem_messages)
    assert [p for p in server.asked if p.startswith("/news/2026")] == [P1[1], P1[2], slow]
    assert cuts() == {url: 2}

    third = run_source(config.sources[0], config, db)  # the third cut: reported once, and left
    assert len(third.problem_messages) == 1, third.problem_messages  # no "0 article(s) left" line
    assert third.problem_messages[0].startswith(f"{url}: its visit was cut by the end of the run 3 times")
    assert cuts() == {}
    server.asked.clear()
    fourth = run_source(config.sources[0], config, db)
    assert fourth.status == "ok", (fourth.status, fourth.error, fourth.problem_messages)
    assert slow not in server.asked  # until its next recheck
    assert store_rows(db, "SELECT count(*) FROM items WHERE kind = 'article'") == [(2,)]
