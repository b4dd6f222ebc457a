"""The page token stays out of every error, problem and stored value, wherever a server puts it: a
redirect to an app's callback (``fbconnect://...#access_token=``), a redirect's path, Graph's own error
text in another case or percent-encoded, an attachment's link. A local HTTP server plays Graph."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from werkzeug import Request, Response

from collectors import facebook
from collectors.base import CollectContext, SourceConfig
from collectors.facebook_options import GRAPH_URL
from collectors.http import HttpClient
from collectors.item import Item
from errors import ConfigError, MonitorError

TOKEN = "EAAB-SECRET-123"
NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
POST = {"id": "1_1", "message": "Взятку просили", "created_time": "2026-11-27T09:00:00+0000"}


class Graph:
    """Answers each GET by ``mode``; the feed has one post, whose comments are ``comments``."""

    def __init__(self, httpserver: Any, mode: str) -> None:
        self.mode = mode
        self.base = httpserver.url_for("/v25.0").rstrip("/")
        httpserver.expect_request(re.compile(".*")).respond_with_handler(self._answer)

    def _answer(self, request: Request) -> Response:
        path, mode = request.path, self.mode
        if mode == "fbconnect" and path.endswith("/comments"):
            return Response(status=302, headers={"Location": f"fbconnect://success#access_token={TOKEN}&e=0"})
        if mode == "deadredir" and path.endswith("/feed"):
            target = f"http://127.0.0.1:1/cb/{TOKEN}?code={TOKEN}#access_token={TOKEN}"
            return Response(status=302, headers={"Location": target})
        if mode == "err100":
            message = f"(#100) Invalid parameter EAAB%2DSECRET%2D123 {TOKEN.lower()} {TOKEN}"
            return self._json(400, {"error": {"message": message, "code": 100}})
        if path.endswith("/feed"):
            link = f"https://l.facebook.com/l.php?u=x&access_token={TOKEN}"
            return self._json(200, {"data": [{**POST, "attachments": {"data": [{"url": link}]}}]})
        return self._json(200, {"data": []})

    @staticmethod
    def _json(status: int, body: Any) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")


def run(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Item], MonitorError | None, list[str]]:
    monkeypatch.setenv("FB_S1_TOKEN", TOKEN)
    state: dict[str, Any] = {}
    ctx = CollectContext(
        source=SourceConfig(
            name="fb",
            kind="facebook",
            options={"page_id": "1", "graph_url": graph.base, "token_env": "FB_S1_TOKEN"},
        ),
        http=HttpClient(min_delay=0.0, retries=0, sleep=lambda s: None, source="fb"),
        state=state,
        last_success=None,
        now=NOW,
    )
    items: list[Item] = []
    error = None
    try:
        items.extend(facebook.collect(ctx))
    except MonitorError as exc:
        error = exc
    return items, error, [str(p) for p in state.get("_errors", [])]


def hidden(text: str) -> bool:
    return "secret" not in text.lower()


def test_a_redirect_to_an_app_callback_names_its_scheme_only(
    httpserver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    items, error, problems = run(Graph(httpserver, "fbconnect"), monkeypatch)
    assert error is not None and "redirected to a non-HTTP address (fbconnect:…)" in str(error)
    assert hidden(str(error)) and all(hidden(p) for p in problems)
    assert [i.external_id for i in items] == ["1_1"]


def test_a_redirect_holding_the_token_in_its_path_and_query_is_scrubbed(
    httpserver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, error, _ = run(Graph(httpserver, "deadredir"), monkeypatch)
    assert error is not None and "connection refused" in str(error)
    assert hidden(str(error)) and "/cb/***" in str(error)


def test_graphs_error_text_loses_the_token_in_any_case_and_encoding(
    httpserver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, error, _ = run(Graph(httpserver, "err100"), monkeypatch)
    assert error is not None and "Invalid parameter" in str(error)
    assert hidden(str(error)), str(error)


def test_a_token_echoed_outside_paging_is_not_kept_in_raw(
    httpserver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    items, error, _ = run(Graph(httpserver, "ok"), monkeypatch)
    assert error is None and len(items) == 1
    raw = json.dumps(items[0].raw, ensure_ascii=False)
    assert hidden(raw) and "l.facebook.com" in raw


def test_a_graph_url_with_a_query_is_refused_before_any_request(
    httpserver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = Graph(httpserver, "ok")
    graph.base += f"?access_token={TOKEN}"
    _, error, _ = run(graph, monkeypatch)
    assert isinstance(error, ConfigError) and "without a query" in str(error), error
    assert hidden(str(error)) and len(httpserver.log) == 0
    with pytest.raises(ConfigError, match="graph_url must be"):
        GRAPH_URL.check("https://graph.facebook.com/v25.0#x", "graph_url", where=None)
    GRAPH_URL.check("https://graph.facebook.com/v25.0", "graph_url", where=None)
