"""The facebook collector against paging that leads back to a page read already under a new URL, and
against an HTML page (a captive portal, a proxy's login) answered in place of Graph's JSON."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from collectors import facebook
from errors import FetchError
from tests.collectors.test_facebook_hostile import FEED, PAGE, TOKEN, Graph, Run, comment, post
from tests.collectors.test_facebook_hostile import graph as graph  # the fixture

PORTAL = b"<html><head><title>Wi-Fi login</title></head><body>Please log in to the hotel Wi-Fi</body></html>"


def _feed_requests(graph: Graph) -> int:
    return len([p for p, _ in graph.requests if p == FEED])


def test_a_next_url_changing_with_the_same_cursor_stops_the_list(
    graph: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    def feed(q: dict[str, str]) -> dict[str, Any]:
        # page 1 again, under the same cursor, and a next URL whose query changes every time
        nxt = f"{graph.base}{FEED}?after=C1&x={len(graph.requests)}&access_token={TOKEN}"
        return {"data": [post(1), post(2)], "paging": {"cursors": {"after": "C1"}, "next": nxt}}

    graph.routes[FEED] = feed
    caplog.set_level(logging.WARNING)
    run = Run(graph)()
    assert run.error is None and run.problems == []  # ends as at the list's end (an identical next URL too)
    assert run.ids("post") == ["4_1", "4_2"]
    assert _feed_requests(graph) == 2  # was 200: max_pages
    assert "resume" not in run.state and run.state["newest_created"]  # the list was read to its end
    (line,) = [r.getMessage() for r in caplog.records if "stopping this list" in r.getMessage()]
    assert "paging cursor of an earlier page" in line and TOKEN not in line


def test_a_page_of_entries_read_already_stops_the_list(
    graph: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    def feed(q: dict[str, str]) -> dict[str, Any]:
        after = int(
            q.get("after", 0)
        )  # a new cursor each page, no cursors block: pages 2, 3... repeat page 2
        data = [post(1), post(2)] if after == 0 else [post(3), post(4)] if after == 1 else [post(4), post(3)]
        return {"data": data, "paging": graph.next_url(FEED, after + 1)}

    graph.routes[FEED] = feed
    caplog.set_level(logging.WARNING)
    run = Run(graph)()
    assert run.error is None and run.ids("post") == ["4_1", "4_2", "4_3", "4_4"]
    assert _feed_requests(graph) == 3
    assert any("brings only entries an earlier page gave" in r.getMessage() for r in caplog.records)


def test_a_page_repeating_some_entries_is_not_a_loop(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facebook, "MAX_COMMENT_PAGES", 3)
    path = f"/{PAGE}_1/comments"
    graph.routes[FEED] = lambda q: {"data": [post(1)]}

    def comments(q: dict[str, str]) -> dict[str, Any]:
        after = int(q.get("after", 0))  # each page repeats the last comment of the page before
        return {"data": [comment(1, after), comment(1, after + 1)], "paging": graph.next_url(path, after + 1)}

    graph.routes[path] = comments
    run = Run(graph)()
    assert run.ids("comment") == ["1_0", "1_1", "1_2", "1_3"]
    (problem,) = run.problems  # read to the cap, as a list without end
    assert "stopped after 3 pages" in problem


@pytest.mark.parametrize("body", [PORTAL, b"\xef\xbb\xbf\n<!DOCTYPE html>\n<p>Sign in to the proxy</p>"])
def test_an_html_answer_says_so_and_the_cursor_stays(graph: Graph, body: bytes) -> None:
    graph.routes[FEED] = lambda q: (200, body, {"Content-Type": "text/html"})
    state = {"newest_created": "2026-11-20T09:00:00+00:00"}
    run = Run(graph, state=dict(state))()
    assert isinstance(run.error, FetchError)
    message = str(run.error)
    assert "answered an HTML page, not JSON (a proxy's or Wi-Fi login page?)" in message
    assert "unreadable" not in message and TOKEN not in message
    assert run.state == state


def test_an_html_answer_to_a_comments_page_stops_the_run(graph: Graph) -> None:
    graph.routes[FEED] = lambda q: {"data": [post(1), post(2)]}
    graph.routes[f"/{PAGE}_1/comments"] = lambda q: (200, PORTAL, {"Content-Type": "text/html"})
    run = Run(graph)()
    # not one problem per post, the run going on (a rechecked post would be forgotten): the run stops
    assert isinstance(run.error, FetchError) and "answered an HTML page" in str(run.error)
    assert f"/{PAGE}_2/comments" not in [p for p, _ in graph.requests]
