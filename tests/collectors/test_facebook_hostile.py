"""The facebook collector against Graph answers no real page should give: bad entries, dates of year 1,
paging without end, throttling headers of NaN, JSON nested too deeply. A local HTTP server serves them."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from werkzeug import Request, Response

from collectors import facebook, facebook_graph
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item
from errors import MonitorError, ParseError, Throttled

PAGE = "4"
TOKEN = "EAAGhostileTOKENq7Zx"
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)

# path -> the answer to a GET of it: a JSON-able body, or (status, body, headers); body bytes as sent
Route = Callable[[dict[str, str]], Any]


class Graph:
    """A fake Graph API on pytest-httpserver: routes by path; a post without a route has no comments."""

    def __init__(self, httpserver: Any) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.base = httpserver.url_for("/").rstrip("/")
        httpserver.expect_request(re.compile(".*")).respond_with_handler(self._answer)

    def _answer(self, request: Request) -> Response:
        query = dict(request.args)
        self.requests.append((request.path, query))
        route = self.routes.get(request.path)
        answer = route(query) if route else ({"data": []} if request.path.endswith("/comments") else None)
        if answer is None:
            return Response(b'{"error": {"code": 803, "message": "unknown"}}', status=404)
        status, body, headers = answer if isinstance(answer, tuple) else (200, answer, {})
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return Response(data, status=status, headers=headers, content_type="application/json")

    def next_url(self, path: str, after: int) -> dict[str, str]:
        return {"next": f"{self.base}{path}?after={after}&access_token={TOKEN}"}


class Run:
    """One collect() run with a fake sleep."""

    def __init__(self, graph: Graph, state: dict[str, Any] | None = None, **options: Any) -> None:
        opts = {"page_id": PAGE, "graph_url": graph.base, "token_env": "FB_TEST_TOKEN", **options}
        self.sleeps: list[float] = []
        self.state: dict[str, Any] = state if state is not None else {}
        http = HttpClient(min_delay=0.0, sleep=self.sleeps.append, source="fb")
        self.ctx = CollectContext(
            source=SourceConfig(name="fb", kind="facebook", options=opts),
            http=http,
            state=self.state,
            last_success=None,
            now=NOW,
        )
        self.items: list[Item] = []
        self.error: MonitorError | None = None

    def __call__(self) -> Run:
        try:
            self.items.extend(facebook.collect(self.ctx))
        except MonitorError as exc:
            self.error = exc
        return self

    @property
    def problems(self) -> list[str]:
        return self.state.get("_errors", [])

    def ids(self, kind: str) -> list[str]:
        return sorted(i.external_id for i in self.items if i.kind == kind)


@pytest.fixture
def graph(httpserver: Any, monkeypatch: pytest.MonkeyPatch) -> Graph:
    monkeypatch.setenv("FB_TEST_TOKEN", TOKEN)
    return Graph(httpserver)


def post(n: int, created: str | None = "2026-11-24T09:00:00+0000") -> dict[str, Any]:
    body: dict[str, Any] = {"id": f"{PAGE}_{n}", "message": f"Пост номер {n}: жалоба на ямы"}
    if created is not None:
        body["created_time"] = created
    return body


def comment(post_n: int, n: int) -> dict[str, Any]:
    return {"id": f"{post_n}_{n}", "message": f"Комментарий {n}", "created_time": "2026-11-24T10:00:00+0000"}


FEED = f"/{PAGE}/feed"


# -- dates that are no publication time ------------------------------------------------------


def test_year_1_and_9999_are_no_date_and_never_enter_the_cursor(graph: Graph) -> None:
    posts = [post(1, "0001-01-01T00:00:00+0000"), post(2, "9999-12-31T23:59:59+0000"), post(3)]
    graph.routes[FEED] = lambda q: {"data": posts}
    first = Run(graph)()
    assert first.error is None and first.problems == []
    assert first.ids("post") == ["4_1", "4_2", "4_3"]  # stored, without a date
    assert {i.external_id: i.published_at for i in first.items}["4_1"] is None
    assert {i.external_id: i.published_at for i in first.items}["4_2"] is None
    assert first.state["newest_created"] == "2026-11-24T09:00:00+00:00"
    assert set(first.state["comment_checks"]) == {"4_3"}
    second = Run(graph, state=first.state)()  # failed with OverflowError for good
    assert second.error is None and second.items == []  # the three posts read again, unchanged
    assert [path for path, _ in graph.requests].count(FEED) == 2


# -- one bad entry is one problem; the rest is stored ----------------------------------------


def test_bad_feed_entries_are_each_one_problem_and_the_rest_is_stored(graph: Graph) -> None:
    page1 = [None, 5, "x", {"message": "без id", "created_time": "2026-11-24T09:00:00+0000"}, post(1)]
    graph.routes[FEED] = lambda q: (
        {"data": [post(2), post(3)]} if q.get("after") else {"data": page1, "paging": graph.next_url(FEED, 1)}
    )
    run = Run(graph)()
    assert run.error is None
    assert run.ids("post") == ["4_1", "4_2", "4_3"]  # posts after the bad ones, and the next page
    assert len(run.problems) == 4
    for n, what in [(1, "null"), (2, "a number"), (3, "a string")]:
        assert (
            f"source fb: {graph.base}{FEED}?limit=25: post {n} of the page is {what}, not an object"
            in (run.problems[n - 1])
        )
    assert "post 4 of the page: a post without an id" in run.problems[3]
    assert not [p for p in run.problems if TOKEN in p]


@pytest.mark.parametrize("data", [{"id": "4_9", "message": "x"}, "oops", None])
def test_feed_data_that_is_no_list_is_one_problem_for_its_page(graph: Graph, data: Any) -> None:
    graph.routes[FEED] = lambda q: (
        {"data": [post(2)]} if q.get("after") else {"data": data, "paging": graph.next_url(FEED, 1)}
    )
    run = Run(graph)()
    assert run.error is None and run.ids("post") == ["4_2"]
    (problem,) = run.problems
    assert "the data of the page is" in problem and "not a list of posts" in problem


def test_a_bad_comment_loses_only_itself(graph: Graph) -> None:
    graph.routes[FEED] = lambda q: {"data": [post(1), post(2)]}
    bad = {"message": "без id и без ссылки", "created_time": "2026-11-24T10:00:00+0000"}
    graph.routes[f"/{PAGE}_1/comments"] = lambda q: {"data": [comment(1, 1), bad, 7, comment(1, 2)]}
    graph.routes[f"/{PAGE}_2/comments"] = lambda q: {"data": {"id": "2_1", "message": "x"}}
    run = Run(graph)()
    assert run.error is None
    assert run.ids("comment") == ["1_1", "1_2"]  # the whole page was dropped
    assert run.ids("post") == ["4_1", "4_2"]
    first, second, third = run.problems
    assert (
        f"/{PAGE}_1/comments" in first
        and "comment 2 of the page: a comment of post 4_1 without an id" in first
    )
    assert "comment 3 of the page is a number, not an object" in second
    assert f"/{PAGE}_2/comments" in third and "the data of the page is an object" in third


def test_a_post_nested_too_deeply_is_one_problem(graph: Graph) -> None:
    deep = b'{"id": "4_1", "message": "x", "attachments": ' + b"[" * 700 + b"]" * 700 + b"}"
    body = b'{"data": [' + deep + b", " + json.dumps(post(2)).encode() + b"]}"
    graph.routes[FEED] = lambda q: (200, body, {})
    run = Run(graph)()
    assert run.error is None and run.ids("post") == ["4_2"]
    (problem,) = run.problems
    assert "post 1 of the page: post 4_1 is nested too deeply to store" in problem


# -- paging without end ----------------------------------------------------------------------


def test_comment_paging_without_end_stops_at_a_cap_and_says_so(
    graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facebook, "MAX_COMMENT_PAGES", 4)
    path = f"/{PAGE}_1/comments"
    graph.routes[FEED] = lambda q: {"data": [post(1), post(2)]}

    def endless(q: dict[str, str]) -> dict[str, Any]:
        after = int(q.get("after", 0))  # a new cursor each time; it ends only at 50 for this test
        paging = graph.next_url(path, after + 1) if after < 50 else {}
        return {"data": [comment(1, after)], "paging": paging}

    graph.routes[path] = endless
    graph.routes[f"/{PAGE}_2/comments"] = lambda q: {"data": [comment(2, 1)]}
    run = Run(graph)()
    assert run.error is None
    assert run.ids("comment") == ["1_0", "1_1", "1_2", "1_3", "2_1"]
    assert len([p for p, _ in graph.requests if p == path]) == 4
    (problem,) = run.problems
    assert "comments of post 4_1: stopped after 4 pages; the rest was not read" in problem


def test_feed_paging_without_end_stops_at_a_default_cap_and_resumes(
    graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facebook, "DEFAULT_MAX_PAGES", 3)

    def feed(q: dict[str, str]) -> dict[str, Any]:
        after = int(q.get("after", 0))  # one post a page, a day older each page; 8 pages in all
        created = f"2026-11-{24 - after:02d}T09:00:00+0000"
        return {
            "data": [post(after, created)],
            "paging": graph.next_url(FEED, after + 1) if after < 7 else {},
        }

    graph.routes[FEED] = feed
    first = Run(graph)()
    assert first.error is None and first.ids("post") == ["4_0", "4_1", "4_2"]
    assert first.state["resume"]["until"] == "2026-11-22T09:00:00+00:00"
    assert "newest_created" not in first.state
    second = Run(graph, state=first.state)()
    assert second.error is None and "resume" in second.state
    assert [q.get("until") for p, q in graph.requests if p == FEED][3] == str(
        int(datetime(2026, 11, 22, 9, tzinfo=UTC).timestamp())
    )
    # a max_pages of the config still wins over the default
    graph.requests.clear()
    assert Run(graph, max_pages=8)().state.get("resume") is None
    assert len([p for p, _ in graph.requests if p == FEED]) == 8


# -- throttling headers and page bodies no one can read --------------------------------------


@pytest.mark.parametrize(
    "usage",
    [
        '{"4": [{"type": "pages", "estimated_time_to_regain_access": NaN}]}',
        '{"4": [{"type": "pages", "estimated_time_to_regain_access": Infinity}]}',
        '{"4": [{"type": "pages", "estimated_time_to_regain_access": 1e308}]}',
        '{"4": [{"type": "pages", "estimated_time_to_regain_access": -5}]}',
    ],
)
def test_a_throttling_wait_of_nan_or_inf_is_unknown(graph: Graph, usage: str) -> None:
    assert facebook_graph.throttle_seconds({"X-Business-Use-Case-Usage": usage}) is None
    assert facebook_graph.throttle_seconds({"Retry-After": "9" * 400}) is None  # 1e400 s: inf
    error = {"error": {"code": 32, "message": "(#32) Page request limit reached"}}
    graph.routes[FEED] = lambda q: (400, error, {"X-Business-Use-Case-Usage": usage, "X-App-Usage": usage})
    run = Run(graph)()
    assert isinstance(run.error, Throttled) and run.error.run_status == "throttled"
    message = str(run.error)
    assert "did not say for how long" in message and "next run goes on" in message
    assert "nan" not in message and "inf " not in message
    assert run.sleeps == [1.0, 2.0]  # backoff within max_wait (5 s), as for a code without a wait


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"data": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", "nested too deeply"),
        (b'{"data": [{"id": 1' + b"9" * 5000 + b', "message": "x"}]}', "a number too long to read"),
        (b'{"data": [ {"id": "x"', "malformed or cut off at line 1 column 22"),
    ],
)
def test_a_feed_page_no_one_can_read_is_a_clear_error(
    graph: Graph, caplog: pytest.LogCaptureFixture, body: bytes, why: str
) -> None:
    caplog.set_level(logging.DEBUG)
    graph.routes[FEED] = lambda q: (200, body, {})
    run = Run(graph)()
    assert isinstance(run.error, ParseError)
    assert str(run.error) == f"source fb: {graph.base}{FEED}?limit=25: the page's JSON is unreadable: {why}"
    assert "set_int_max_str_digits" not in caplog.text and "Traceback" not in caplog.text
    assert run.state.get("newest_created") is None  # the cursor stays: the next run retries


def test_a_comments_page_no_one_can_read_is_one_problem(graph: Graph) -> None:
    graph.routes[FEED] = lambda q: {"data": [post(1), post(2)]}
    graph.routes[f"/{PAGE}_1/comments"] = lambda q: (200, b'{"data": ' + b"[" * 50_000, {})
    graph.routes[f"/{PAGE}_2/comments"] = lambda q: {"data": [comment(2, 1)]}
    run = Run(graph)()
    assert run.error is None and run.ids("comment") == ["2_1"]
    (problem,) = run.problems
    assert f"/{PAGE}_1/comments" in problem and "the page's JSON is unreadable: nested too deeply" in problem
