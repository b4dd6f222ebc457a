"""The facebook collector against what an unattended run may be given (a page token pasted badly into
its variable, a paging.next that leads back to the list's first page; a local server plays Graph), and
facebook-export files with relative dates, Unix times or UTF-16."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from collectors import facebook, facebook_export
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item
from errors import InputError, TokenError

PAGE = "4"
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
POST = {"id": f"{PAGE}_1", "message": "Яма на Абая", "created_time": "2026-11-24T09:00:00+0000"}


class Graph:
    """Answers every path from ``routes`` (a post without a route has no comments); logs requests."""

    def __init__(self, server: HTTPServer) -> None:
        self.base = server.url_for("/").rstrip("/")
        self.routes: dict[str, Any] = {}
        self.requests: list[tuple[str, dict[str, str], str | None]] = []
        server.expect_request(re.compile(".*")).respond_with_handler(self.answer)

    def answer(self, request: Request) -> Response:
        self.requests.append((request.path, dict(request.args), request.headers.get("Authorization")))
        body = self.routes.get(request.path, {"data": []})
        return Response(json.dumps(body), content_type="application/json")


def collect(graph: Graph) -> list[Item]:
    options = {"page_id": PAGE, "graph_url": graph.base, "token_env": "FB_INPUT_TOKEN"}
    ctx = CollectContext(
        source=SourceConfig(name="fb", kind="facebook", options=options),
        http=HttpClient(min_delay=0.0, retries=1, sleep=lambda _s: None, source="fb"),
        state={},
        last_success=None,
        now=NOW,
    )
    return list(facebook.collect(ctx))


@pytest.mark.parametrize(
    "token",
    [
        "EAAGtokenOne\nEAAGtokenTwo",  # two values pasted: requests failed it as a connection error, retried
        "EAAGtoken\r\nsecond",
        "EAAG token",
        "EAAGтокен",  # a letter typed in Cyrillic: a bare UnicodeEncodeError from http.client
        "EAAG\x1btoken",
    ],
)
def test_a_token_no_header_can_carry_is_one_token_error_without_its_value(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, token: str
) -> None:
    graph = Graph(httpserver)
    graph.routes[f"/{PAGE}/feed"] = {"data": [POST]}
    monkeypatch.setenv("FB_INPUT_TOKEN", token)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TokenError) as caught:
        collect(graph)
    message = str(caught.value)
    assert "FB_INPUT_TOKEN" in message and "alone" in message
    assert "EAAG" not in message and "EAAG" not in caplog.text
    assert graph.requests == []  # nothing sent with it


def test_a_token_with_spaces_around_it_still_works(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = Graph(httpserver)
    graph.routes[f"/{PAGE}/feed"] = {"data": [POST]}
    monkeypatch.setenv("FB_INPUT_TOKEN", "  EAAGgoodToken123\n")
    assert [i.external_id for i in collect(graph)] == [POST["id"]]
    assert {auth for _, _, auth in graph.requests} == {"Bearer EAAGgoodToken123"}


def test_a_next_link_back_to_the_first_page_ends_the_list(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first page's own URL, its parameters in another order and the token added: the page was
    # fetched again before the loop was seen.
    graph = Graph(httpserver)
    monkeypatch.setenv("FB_INPUT_TOKEN", "EAAGgoodToken123")
    fields = facebook.POST_FIELDS
    graph.routes[f"/{PAGE}/feed"] = {
        "data": [POST],
        "paging": {
            "next": f"{graph.base}/{PAGE}/feed?limit=25&access_token=EAAGgoodToken123&fields={fields}"
        },
    }
    items = collect(graph)
    assert [i.external_id for i in items] == [POST["id"]]
    assert [path for path, _, _ in graph.requests] == [f"/{PAGE}/feed", f"/{PAGE}_1/comments"]


# -- import facebook-export ------------------------------------------------------------------


def export(path: Path) -> tuple[list[Item], list[InputError]]:
    errors: list[InputError] = []
    items = list(facebook_export.read_export(path, source="fbx", options={}, report=errors.append))
    return items, errors


def test_a_relative_date_in_a_csv_is_reported_not_counted_from_the_import(tmp_path: Path) -> None:
    # «вчера» was read as the day before the import: days off for a file exported last week, and the
    # row's id, a hash of its date, changed with every day the file was imported again.
    path = tmp_path / "monitoring.csv"
    path.write_text(
        "Дата;Автор;Текст\n25.11.2025 14:35;Асель;Яма на Абая\nвчера;Ерлан;Нет света\n2 часа назад;Ерлан;Ещё нет\n",
        encoding="utf-8",
    )
    items, errors = export(path)
    assert [(i.text, i.published_at) for i in items] == [
        ("Яма на Абая", datetime(2025, 11, 25, 9, 35, tzinfo=UTC)),
        ("Нет света", None),
        ("Ещё нет", None),
    ]
    assert [(e.line, e.message) for e in errors] == [
        (3, "date 'вчера' is relative, and the file does not say when it was exported; kept without one"),
        (
            4,
            "date '2 часа назад' is relative, and the file does not say when it was exported; kept without one",
        ),
    ]


def test_saved_graph_answers_with_unix_times_keep_their_dates(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text(
        json.dumps({"data": [{"id": "4_1", "message": "Яма", "created_time": 1764063300}]}), encoding="utf-8"
    )
    items, errors = export(path)
    assert errors == []
    assert [i.published_at for i in items] == [datetime(2025, 11, 25, 9, 35, tzinfo=UTC)]


def test_a_utf16_json_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_bytes(
        json.dumps({"data": [{"id": "4_1", "message": "Яма на Абая"}]}, ensure_ascii=False).encode("utf-16")
    )
    items, errors = export(path)
    assert errors == []
    assert [i.text for i in items] == ["Яма на Абая"]
