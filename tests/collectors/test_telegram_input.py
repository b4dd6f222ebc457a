"""The Telegram collector on bad messages: numbers that are not numbers, missing or impossible
times, a message shown twice. One bad message never costs the others."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from telegramkit import cursor
from testutil import run_cli

from collectors import telegram
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item

CHANNEL = "qala_news"


def message(
    post: str, text: str, when: str | None = "2026-11-20T10:00:00+00:00", *, edited: bool = False
) -> str:
    """One message as the preview writes it; ``when=None``: no time element at all."""
    time = f'<time datetime="{when}" class="time">15:00</time>' if when is not None else ""
    meta = f'<span class="tgme_widget_message_meta">{"edited " if edited else ""}<a class="tgme_widget_message_date" href="#">{time}</a></span>'
    return (
        '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
        f'<div class="tgme_widget_message js-widget_message" data-post="{post}">'
        f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>'
        f'<div class="tgme_widget_message_footer">{meta}</div></div></div>'
    )


def channel_page(*messages: str, before: str | None = None) -> str:
    more = f'<a class="tme_messages_more" data-before="{before}" href="#"></a>' if before else ""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        '<div class="tgme_channel_info_header_title"><span>Қала жаңалықтары</span></div>'
        f'<section class="tgme_channel_history js-message_history">{more}{"".join(messages)}</section>'
        "</body></html>"
    )


def serve(server: HTTPServer, html: str) -> None:
    server.expect_request(f"/s/{CHANNEL}").respond_with_data(html, content_type="text/html; charset=utf-8")


def collect(server: HTTPServer, state: dict[str, Any]) -> list[Item]:
    opts = {"channel": CHANNEL, "base_url": server.url_for("").rstrip("/")}
    client = HttpClient(min_delay=0, retries=0, respect_robots=False)
    ctx = CollectContext(
        source=SourceConfig(name="tg-qala", kind="telegram", options=opts),
        http=client,
        state=state,
        last_success=None,
        now=datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
    )
    try:
        return list(telegram.collect(ctx))
    finally:
        client.close()


BAD_NUMBERS = ("abc", "-3", "١٢", "²", "")  # "١٢" and "²" pass str.isdigit(); int("²") raises


def test_a_message_without_a_number_is_one_problem_and_the_rest_is_stored(httpserver: HTTPServer) -> None:
    bad = [message(f"{CHANNEL}/{n}", f"плохой номер {n}") for n in BAD_NUMBERS]
    serve(
        httpserver, channel_page(message(f"{CHANNEL}/6", "шестое"), *bad, message(f"{CHANNEL}/7", "седьмое"))
    )
    state: dict[str, Any] = {}
    items = collect(httpserver, state)
    assert [(i.external_id, i.text) for i in items] == [("7", "седьмое"), ("6", "шестое")]
    assert state["last_id"] == 7  # "١٢" is not message 12
    page_url = httpserver.url_for(f"/s/{CHANNEL}")
    assert state["_errors"] == [
        f"source tg-qala: {page_url}: message {f'{CHANNEL}/{n}'!r} has no message number (ASCII digits); skipped"
        for n in BAD_NUMBERS
    ]


def test_bad_numbers_in_links_are_not_numbers() -> None:
    html = channel_page(
        message(f"{CHANNEL}/8", "ответ").replace(
            '<div class="tgme_widget_message_text',
            f'<a class="tgme_widget_message_reply" href="https://t.me/{CHANNEL}/²">цитата</a>'
            '<div class="tgme_widget_message_text',
        ),
        before="²",
    )
    messages, next_before = telegram.parse_channel_page(html)
    assert next_before is None  # int("²") raised here
    (msg,) = messages
    assert msg.reply_to == f"https://t.me/{CHANNEL}/²"  # the link, not a message number
    item = telegram.to_item(msg, source="tg", base_url="https://t.me", channel=CHANNEL, title=None)
    assert item.parent is None


def test_messages_without_a_usable_time_are_stored_undated(httpserver: HTTPServer) -> None:
    serve(
        httpserver,
        channel_page(
            message(f"{CHANNEL}/1", "без времени", when=None),
            message(f"{CHANNEL}/2", "нулевой год", when="0001-01-01T00:00:00"),
            message(f"{CHANNEL}/3", "из будущего", when="9999-12-31T23:59:59+14:00"),
            message(f"{CHANNEL}/4", "послезавтра", when="2026-11-29T12:00:00+00:00"),
            message(f"{CHANNEL}/5", "мусор", when="garbage"),
            message(f"{CHANNEL}/6", "обычное"),
        ),
    )
    state: dict[str, Any] = {}
    items = {i.external_id: i for i in collect(httpserver, state)}
    assert sorted(items) == ["1", "2", "3", "4", "5", "6"]
    assert {n: i.published_at for n, i in items.items()} == {
        **dict.fromkeys(["1", "2", "3", "4", "5"]),
        "6": datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    }
    assert items["1"].text == "без времени" and "unread_date" not in items["1"].raw
    assert items["2"].raw["unread_date"] == "0001-01-01T00:00:00"  # kept for a person to look at
    assert items["3"].raw["unread_date"] == "9999-12-31T23:59:59+14:00"
    assert items["5"].raw["unread_date"] == "garbage"
    assert "unread_date" not in items["6"].raw
    assert cursor(state) == {"last_id": 6}


@pytest.mark.parametrize(
    ("first_edited", "second_edited", "kept"),
    [
        (False, False, "первый"),  # copies alike: the first stays
        (False, True, "второй, исправленный"),  # the edited copy is the message as it reads now
        (True, False, "первый"),
    ],
)
def test_a_message_shown_twice_is_kept_once_and_said_once(
    httpserver: HTTPServer,
    caplog: pytest.LogCaptureFixture,
    first_edited: bool,
    second_edited: bool,
    kept: str,
) -> None:
    serve(
        httpserver,
        channel_page(
            message(f"{CHANNEL}/5", "первый", edited=first_edited),
            message(
                f"{CHANNEL}/5", "второй, исправленный" if second_edited else "второй", edited=second_edited
            ),
            message(f"{CHANNEL}/6", "шестое"),
        ),
    )
    caplog.set_level(logging.WARNING, logger="collectors.telegram")
    state: dict[str, Any] = {}
    items = collect(httpserver, state)
    assert [(i.external_id, i.text) for i in items] == [("6", "шестое"), ("5", kept)]
    said = [r.getMessage() for r in caplog.records if "more than once" in r.getMessage()]
    assert said == [f"page shows message(s) {CHANNEL}/5 more than once; one copy of each kept"]
    assert "_errors" not in state


def test_cli_run_with_bad_numbers_ends_partial_and_stores_the_rest(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, channel_page(message(f"{CHANNEL}/²", "плохой"), message(f"{CHANNEL}/7", "седьмое")))
    config = tmp_path / "sources.toml"
    config.write_text(
        "[settings]\nmin_delay = 0.0\nretries = 0\nrespect_robots = false\n\n"
        f'[[sources]]\nname = "tg-qala"\nkind = "telegram"\nchannel = "{CHANNEL}"\n'
        f'base_url = "{httpserver.url_for("").rstrip("/")}"\n',
        encoding="utf-8",
    )
    db = tmp_path / "tg.duckdb"
    results = [run_cli("run", "--config", str(config), "--db", str(db), "--no-classify") for _ in range(2)]
    assert [r.returncode for r in results] == [0, 0], results[0].stderr
    assert all("Traceback" not in r.stderr for r in results)
    assert "tg-qala: partial - fetched 1, new 1" in results[0].stdout
    assert (
        f"problem: source tg-qala: {httpserver.url_for(f'/s/{CHANNEL}')}: message '{CHANNEL}/²'"
        in results[0].stderr
    )
    con = duckdb.connect(str(db), read_only=True)
    try:
        runs = con.execute("SELECT status, problems FROM runs ORDER BY run_id").fetchall()
        stored = con.execute("SELECT external_id, text FROM items WHERE source = 'tg-qala'").fetchall()
    finally:
        con.close()
    assert runs == [("partial", 1), ("ok", 0)]  # the unchanged page is not read (nor reported) again
    assert stored == [("7", "седьмое")]
