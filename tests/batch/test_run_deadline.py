"""A source's run past ``max_run_seconds`` (session 26: a site trickling every article body to the body's
120 s limit kept one portal run going for two hours): it stops as a stop does, what it read is stored,
a portal's cursor is saved so the next run goes on where this one stopped, the run says the deadline
once (``runs``: 'partial', the error naming the source and the deadline), and the next source runs."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from portalkit import ARTICLE, Site, article, home, links
from pytest_httpserver import HTTPServer
from testutil import store_rows
from werkzeug import Request, Response

from batch.demo import write_sources_toml
from batch.runner import DEFAULT_MAX_RUN_SECONDS, Deadline, keeps_cursor, run_batch, run_source
from config.sources import load_config
from errors import ConfigError

PATHS = [f"/news/2026/11/25/novost-{n}-55{n:02d}.html" for n in range(5)]
SLOW = PATHS[1]  # the article whose body trickles


class TricklingSite:
    """The site of :class:`portalkit.Site`, but ``slow`` paths send their body a byte at a time, every
    0.05 s, until ``release`` is set (a site holding each page to the body's time limit)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.slow: set[str] = set()
        self.release = threading.Event()

    def __call__(self, request: Request) -> Response:
        answer = self.site(request)
        if request.path not in self.slow:
            return answer

        def trickle() -> Iterator[bytes]:
            yield b"<html>"
            while not self.release.wait(0.05):
                yield b" "

        return Response(trickle(), status=200, headers={"Content-Type": "text/html; charset=utf-8"})


def _site() -> Site:
    site = Site()
    site.html("/news/", home(links(*PATHS)))
    for n, path in enumerate(PATHS):
        site.html(path, article(f"Новость {n}", ARTICLE.replace("ямы", f"ямы {n}")))
    return site


def _config(tmp_path: Path, sources: list[dict], **settings: object) -> Path:
    path = tmp_path / "sources.toml"
    write_sources_toml(path, {"min_delay": 0.0, "retries": 0, "timeout": 5, **settings}, sources)
    return path


@pytest.fixture
def trickling(httpserver: HTTPServer) -> Iterator[TricklingSite]:
    server = TricklingSite(_site())
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server)
    yield server
    server.release.set()


def test_a_portal_run_past_its_deadline_stops_keeps_what_it_read_and_the_next_run_goes_on(
    tmp_path: Path, httpserver: HTTPServer, trickling: TricklingSite
) -> None:
    trickling.slow.add(SLOW)
    portal = {"name": "vestnik", "kind": "portal", "start_urls": [httpserver.url_for("/news/")]}
    config = load_config(_config(tmp_path, [{**portal, "max_run_seconds": 1}], max_run_seconds=600))
    db = tmp_path / "m.duckdb"
    began = time.monotonic()
    run = run_source(config.sources[0], config, db)
    took = time.monotonic() - began

    assert took < 6, took  # not the body's 120 s limit (nor the request timeout of 5 s)
    assert run.status == "partial", (run.status, run.error, run.problem_messages)
    assert run.error is not None and run.error.startswith("source vestnik: stopped at the deadline")
    assert "max_run_seconds = 1 " in run.error and "goes on from where this one stopped" in run.error
    # one line for the articles left (the slow one and the three after it), not one per article
    assert run.problem_messages == [
        "source vestnik: stopped before the end of the run: 4 article(s) left for the next run "
        "(4 new, 0 due a recheck)"
    ]
    assert store_rows(db, "SELECT status, error, problems FROM runs") == [("partial", run.error, 1)]
    assert store_rows(db, "SELECT title FROM items WHERE kind = 'article'") == [("Новость 0",)]
    state = json.loads(store_rows(db, "SELECT state FROM source_state")[0][0])
    assert list(state["articles"]) == [httpserver.url_for(PATHS[0])]  # the slow one is not "known"
    assert {url for url, _ in state["waiting"]} == {httpserver.url_for(p) for p in PATHS[1:]}
    health = store_rows(db, "SELECT consecutive_failures, last_success, next_due FROM source_state")
    assert health == [(0, run.finished_at, None)]  # not the source's failure: a run that read what it could

    # the site answers again: the next run reads the four it left, not the first again
    trickling.slow.clear()
    trickling.site.hits.clear()
    again = run_source(config.sources[0], config, db)
    assert again.status == "ok", (again.status, again.error, again.problem_messages)
    assert sorted(h for h in trickling.site.hits if h.startswith("/news/2026")) == sorted(PATHS[1:])
    titles = store_rows(db, "SELECT title FROM items WHERE kind = 'article' ORDER BY title")
    assert titles == [(f"Новость {n}",) for n in range(5)]


def test_a_stopped_portal_says_once_how_many_articles_it_left(tmp_path: Path, httpserver: HTTPServer) -> None:
    """After a stop the portal listed each article it did not ask for as a problem (29 lines for one
    stop); it says once how many it left. A stop still saves no cursor."""
    site = _site()
    stop = threading.Event()

    def serve(request: Request) -> Response:
        if request.path == "/news/":
            stop.set()  # SIGTERM while the listing is read
        return site(request)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(serve)
    portal = {"name": "vestnik", "kind": "portal", "start_urls": [httpserver.url_for("/news/")]}
    config = load_config(_config(tmp_path, [portal]))
    db = tmp_path / "m.duckdb"
    run = run_source(config.sources[0], config, db, should_stop=stop.is_set)
    assert run.status == "aborted" and run.error == "source vestnik: stopped on request before the run ended"
    assert run.problem_messages == [
        "source vestnik: stopped before the end of the run: 5 article(s) left for the next run "
        "(5 new, 0 due a recheck)"
    ]
    assert "_http" not in store_rows(db, "SELECT state FROM source_state")[0][0]


def test_a_deadline_on_one_slow_source_does_not_starve_the_next(
    tmp_path: Path, httpserver: HTTPServer, trickling: TricklingSite
) -> None:
    """An RSS feed that trickles: the run stops at the [settings] deadline, 'partial' with the deadline
    named and its cursor not saved (its collector does not end cleanly on a refused request); the
    source after it runs, in the same batch (one source at a time)."""
    trickling.slow.add("/slow.xml")
    sources = [
        {"name": "slow", "kind": "rss", "url": httpserver.url_for("/slow.xml")},
        {"name": "vestnik", "kind": "portal", "start_urls": [httpserver.url_for("/news/")]},
    ]
    config = load_config(_config(tmp_path, sources, max_run_seconds=1, max_parallel_sources=1))
    db = tmp_path / "m.duckdb"
    began = time.monotonic()
    slow, portal = run_batch(config, db)
    assert time.monotonic() - began < 15
    assert slow.status == "partial", (slow.status, slow.error)
    assert slow.error is not None and "stopped at the deadline: max_run_seconds = 1 passed" in slow.error
    assert "source slow" in slow.error
    assert portal.status == "ok", (portal.status, portal.error, portal.problem_messages)
    assert portal.new == 5
    rows = store_rows(db, "SELECT source, consecutive_failures, state FROM source_state ORDER BY source")
    assert rows[0][:2] == ("slow", 0) and "_http" not in rows[0][2]


def test_no_deadline_with_zero(tmp_path: Path, httpserver: HTTPServer) -> None:
    """``max_run_seconds = 0``: no deadline (a run past a second is not cut)."""
    site = _site()

    def serve(request: Request) -> Response:
        if request.path.startswith("/news/2026"):
            time.sleep(0.3)  # five articles: 1.5 s in all
        return site(request)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(serve)
    portal = {"name": "vestnik", "kind": "portal", "start_urls": [httpserver.url_for("/news/")]}
    config = load_config(_config(tmp_path, [{**portal, "max_run_seconds": 0}], max_run_seconds=1))
    run = run_source(config.sources[0], config, tmp_path / "m.duckdb")
    assert run.status == "ok" and run.new == 5, (run.status, run.error)


@pytest.mark.parametrize(
    ("settings", "source", "message"),
    [
        ({"max_run_seconds": "30"}, {}, "[settings] max_run_seconds must be a number, 0 or more"),
        ({"max_run_seconds": -1}, {}, "[settings] max_run_seconds must be a number, 0 or more"),
        ({}, {"max_run_seconds": True}, "max_run_seconds must be a number, 0 or more"),
    ],
)
def test_max_run_seconds_is_checked_when_the_file_loads(
    tmp_path: Path, settings: dict, source: dict, message: str
) -> None:
    rss = {"name": "news", "kind": "rss", "url": "http://127.0.0.1:9/feed.xml", **source}
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, [rss], **settings))
    assert message in str(caught.value)
    assert ("source news" in str(caught.value)) == bool(source)


def test_max_run_seconds_is_a_key_of_collected_sources_only(tmp_path: Path) -> None:
    ok = load_config(_config(tmp_path, [{"name": "news", "kind": "rss", "url": "http://x.test/f.xml"}]))
    assert ok.sources[0].get("max_run_seconds") is None
    chat = {"name": "chat", "kind": "whatsapp", "max_run_seconds": 60}
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(_config(tmp_path, [chat]))


def test_unset_the_deadline_applies_only_to_kinds_that_keep_their_cursor(tmp_path: Path) -> None:
    """A kind that saves no cursor at a deadline reads the same span again next run: a first run of a
    large channel cut at the same point every time would never get past it, so no deadline unless set."""
    kinds = [
        {"name": "news", "kind": "portal", "start_urls": ["http://127.0.0.1:9/"]},
        {"name": "feed", "kind": "rss", "url": "http://127.0.0.1:9/rss"},
        {"name": "chan", "kind": "telegram", "base_url": "http://127.0.0.1:9", "channel": "chan"},
    ]
    config = load_config(_config(tmp_path, kinds))
    seconds = {s.name: Deadline(s, config.settings, keeps_cursor(s)).seconds for s in config.sources}
    assert seconds == {"news": DEFAULT_MAX_RUN_SECONDS, "feed": 0.0, "chan": 0.0}
    config = load_config(_config(tmp_path, kinds, max_run_seconds=60))
    seconds = {s.name: Deadline(s, config.settings, keeps_cursor(s)).seconds for s in config.sources}
    assert seconds == {"news": 60.0, "feed": 60.0, "chan": 60.0}
