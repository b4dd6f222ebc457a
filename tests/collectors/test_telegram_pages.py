"""The Telegram collector's walk back through a channel's preview pages when a page shows no message
but links to older ones (a run of service messages), against a local server; pages nested deeper than
libxml2 reads by default."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from collectors import telegram
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item
from errors import ParseError

CHANNEL = "almaty_jalobi"


def message(number: int, *, service: bool = False) -> str:
    kind = " service_message" if service else ""
    text = "Pinned a message" if service else f"Жалоба номер {number}: яма во дворе"
    return f"""
  <div class="tgme_widget_message_wrap js-widget_message_wrap">
    <div class="tgme_widget_message{kind} js-widget_message" data-post="{CHANNEL}/{number}">
      <div class="tgme_widget_message_bubble">
        <div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>
        <div class="tgme_widget_message_footer"><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{CHANNEL}/{number}"><time datetime="2026-11-24T10:00:00+00:00" class="time">15:00</time></a></span></div>
      </div>
    </div>
  </div>"""


def page(numbers: range, *, before: int | None, service: bool = False) -> str:
    more = (
        f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/{CHANNEL}?before={before}" '
        f'data-before="{before}" class="tme_messages_more js-messages_more"></a></div>'
        if before is not None
        else ""
    )
    body = "".join(message(n, service=service) for n in numbers)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><main class="tgme_main">'
        f'<section class="tgme_channel_history js-message_history">{more}{body}</section></main></body></html>'
    )


def collect(
    server: HTTPServer, pages: dict[str | None, str], state: dict[str, Any], **options: Any
) -> list[Item]:
    def handle(request: Request) -> Response:
        html = pages.get(request.args.get("before"), page(range(0), before=None))
        return Response(html, content_type="text/html; charset=utf-8")

    server.expect_request(f"/s/{CHANNEL}").respond_with_handler(handle)
    client = HttpClient(min_delay=0, retries=0, respect_robots=False)
    ctx = CollectContext(
        source=SourceConfig(
            name="tg",
            kind="telegram",
            options={"channel": CHANNEL, "base_url": server.url_for("").rstrip("/"), **options},
        ),
        http=client,
        state=state,
        last_success=None,
        now=datetime(2026, 11, 25, 6, 0, tzinfo=UTC),
    )
    try:
        return list(telegram.collect(ctx))
    finally:
        client.close()


def requested(server: HTTPServer) -> list[str | None]:
    return [request.args.get("before") for request, _ in server.log]


def test_a_page_of_service_messages_only_does_not_end_the_history(httpserver: HTTPServer) -> None:
    # Twenty pins in a row: the page between the newest messages and the older ones shows none that
    # is kept, but links on. The walk stopped there, as at the channel's first message, for good.
    pages = {
        None: page(range(41, 61), before=41),
        "41": page(range(21, 41), before=21, service=True),
        "21": page(range(1, 21), before=None),
    }
    state: dict[str, Any] = {}
    items = collect(httpserver, pages, state, backfill=True)
    assert requested(httpserver) == [None, "41", "21"]
    assert sorted(int(i.external_id) for i in items) == [*range(1, 21), *range(41, 61)]
    assert state == {"last_id": 60}


def test_a_page_of_service_messages_above_what_was_stored_is_passed(httpserver: HTTPServer) -> None:
    pages = {
        None: page(range(81, 101), before=81),
        "81": page(range(61, 81), before=61, service=True),
        "61": page(range(41, 61), before=41),
    }
    state: dict[str, Any] = {"last_id": 50}
    items = collect(httpserver, pages, state)
    assert requested(httpserver) == [None, "81", "61"]
    assert sorted(int(i.external_id) for i in items) == [*range(41, 61), *range(81, 101)]
    assert state == {"last_id": 100}


def test_an_empty_page_that_links_below_what_was_stored_ends_the_walk(httpserver: HTTPServer) -> None:
    pages = {
        None: page(range(81, 101), before=81),
        "81": page(range(61, 81), before=45, service=True),
    }
    state: dict[str, Any] = {"last_id": 50}
    collect(httpserver, pages, state)
    assert requested(httpserver) == [None, "81"]
    assert state == {"last_id": 100}


def test_a_message_nested_deep_loses_neither_itself_nor_the_messages_after_it() -> None:
    # libxml2 stopped reading at 256 elements deep and kept what came before: the deep message lost its
    # text and time, and every message after it on the page was gone, run after run.
    deep = "<b>" * 1000 + "Жалоба глубоко в разметке" + "</b>" * 1000
    html = page(range(1, 11), before=1).replace("Жалоба номер 5: яма во дворе", deep)
    messages, before = telegram.parse_channel_page(html)
    assert [m.number for m in messages] == list(range(1, 11))
    assert messages[4].text == "Жалоба глубоко в разметке"
    assert all(m.published_at is not None for m in messages)
    assert before == 1


def test_a_page_nested_past_what_can_be_read_is_one_clear_error() -> None:
    deep = "<b>" * 5000 + "x" + "</b>" * 5000
    html = page(range(1, 11), before=1).replace("Жалоба номер 5: яма во дворе", deep)
    with pytest.raises(ParseError, match="more than 2048 deep"):
        telegram.parse_channel_page(html)


def test_a_page_that_cannot_be_read_names_the_source_and_the_page(httpserver: HTTPServer) -> None:
    deep = "<b>" * 5000 + "x" + "</b>" * 5000
    pages = {None: page(range(1, 11), before=1).replace("Жалоба номер 5: яма во дворе", deep)}
    state: dict[str, Any] = {"last_id": 3}
    with pytest.raises(ParseError) as caught:
        collect(httpserver, pages, state)
    assert caught.value.source == "tg"
    assert caught.value.url is not None and caught.value.url.endswith(f"/s/{CHANNEL}")
    assert state == {"last_id": 3}
