"""Telegram items carry what a reader sees of a poll (its question and options) and, under a post that
is only a link or empty, of its link preview; a post with words of its own keeps its own text. The
hashes a version that stored only the own text kept re-yield nothing (no false edits), against a local
server serving pages written here."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from testutil import run_cli, store_rows, telegram_config
from werkzeug import Request, Response

from collectors import telegram
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item, content_hash

CHANNEL = "oskemen_test"
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
LINK = "https://news.example.kz/remont-dorog-2026"
QUESTION = "Да или нет: ремонт дорог закончат к зиме?"
OPTIONS = ["Да", "Нет", "Да или нет"]  # the first and the last are in the question: still options
SITE, TITLE, DESCRIPTION = "Новости Example.kz", "Ремонт дорог продлили", "Подрядчик просит ещё месяц."


def message(
    number: int, *, text: str | None = None, poll: bool = False, preview: str | None = None, site: str = SITE
) -> str:
    """One message: its own ``text`` (None: no text block), a poll, a link preview of ``preview``."""
    own = f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>' if text else ""
    if poll:
        options = "".join(
            '<div class="tgme_widget_message_poll_option"><div class="tgme_widget_message_poll_option_percent">'
            f'50%</div><div class="tgme_widget_message_poll_option_text">{html.escape(o)}</div></div>'
            for o in OPTIONS
        )
        own += (
            f'<div class="tgme_widget_message_poll js-poll"><div class="tgme_widget_message_poll_question">'
            f'{QUESTION}</div><div class="tgme_widget_message_poll_type">Anonymous Poll</div>'
            f'<a class="tgme_widget_message_poll_options" href="https://t.me/{CHANNEL}/{number}">{options}</a></div>'
        )
    if preview:
        own += (
            f'<a class="tgme_widget_message_link_preview" href="{preview}">'
            f'<div class="link_preview_site_name accent_color" dir="auto">{site}</div>'
            f'<div class="link_preview_title" dir="auto">{TITLE}</div>'
            f'<div class="link_preview_description" dir="auto">{DESCRIPTION}</div></a>'
        )
    return f"""
  <div class="tgme_widget_message_wrap js-widget_message_wrap">
    <div class="tgme_widget_message js-widget_message" data-post="{CHANNEL}/{number}">
      <div class="tgme_widget_message_bubble">{own}
        <div class="tgme_widget_message_footer"><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{CHANNEL}/{number}"><time datetime="2026-11-25T05:{number:02d}:00+00:00" class="time">10:00</time></a></span></div>
      </div>
    </div>
  </div>"""


def page(*messages: str) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><main class="tgme_main">'
        f'<section class="tgme_channel_history js-message_history">{"".join(messages)}</section></main></body></html>'
    )


def channel(*, link_only_preview: bool = True) -> list[str]:
    """The messages of the channel: a poll, a link-only post (with its preview), a post with words and
    a preview, an emoji and a link, a photo without text, and a plain post."""
    return [
        message(11, poll=True),
        message(12, text=f'<a href="{LINK}">{LINK}</a>', preview=LINK if link_only_preview else None),
        message(13, text=f'Читайте: дороги к зиме не успеют <a href="{LINK}">{LINK}</a>', preview=LINK),
        message(14, text=f'👇 <a href="{LINK}">{LINK}</a>', preview=LINK),
        message(15, text=None, preview=None),
        message(16, text="На Абая снова яма у остановки."),
    ]


def items_of(messages: list[str]) -> dict[str, Item]:
    parsed, _ = telegram.parse_channel_page(page(*messages))
    return {
        str(m.number): telegram.to_item(m, source="tg", base_url="https://t.me", channel=CHANNEL, title=None)
        for m in parsed
    }


def test_polls_and_link_only_posts_carry_what_a_reader_sees() -> None:
    got = items_of(channel())
    assert got["11"].text == "\n".join([QUESTION, *OPTIONS])
    assert got["11"].raw["text_from"] == ["poll"]
    assert got["11"].raw["poll"] == {"question": QUESTION, "options": OPTIONS}  # raw as it was
    assert got["12"].text == "\n".join([LINK, SITE, TITLE, DESCRIPTION])
    assert got["12"].raw["text_from"] == ["message", "link_preview"]
    assert got["14"].text == "\n".join([f"👇 {LINK}", SITE, TITLE, DESCRIPTION])


def test_own_words_are_not_doubled_by_the_preview() -> None:
    got = items_of(channel())
    assert got["13"].text == f"Читайте: дороги к зиме не успеют {LINK}"
    assert TITLE not in got["13"].text and DESCRIPTION not in got["13"].text
    assert "text_from" not in got["13"].raw
    assert got["13"].raw["link_preview"]["title"] == TITLE  # kept in raw, as before
    assert (got["15"].text, got["16"].text) == ("", "На Абая снова яма у остановки.")
    assert "text_from" not in got["15"].raw and "text_from" not in got["16"].raw


def test_a_site_name_the_link_holds_is_not_said_again() -> None:
    link = "https://vnnews.ru/zotov"
    item = items_of([message(5, text=f'<a href="{link}">{link}</a>', preview=link, site="vnnews.ru")])["5"]
    assert item.text == "\n".join([link, TITLE, DESCRIPTION])


# -- collect() against a local server --------------------------------------------------------


def serve(server: HTTPServer, pages: dict[str | None, str]) -> None:
    def handle(request: Request) -> Response:
        body = pages.get(request.args.get("before"), page())
        return Response(body, content_type="text/html; charset=utf-8")

    server.expect_request(f"/s/{CHANNEL}").respond_with_handler(handle)


def run(server: HTTPServer, state: dict[str, Any]) -> list[Item]:
    client = HttpClient(min_delay=0, retries=0, respect_robots=False)
    options = {"channel": CHANNEL, "base_url": server.url_for("").rstrip("/")}
    ctx = CollectContext(
        source=SourceConfig(name="tg", kind="telegram", options=options),
        http=client,
        state=state,
        last_success=None,
        now=NOW,
    )
    try:
        return list(telegram.collect(ctx))
    finally:
        client.close()


def test_a_run_over_a_channel_read_again_yields_nothing_of_it(httpserver: HTTPServer) -> None:
    pages = {None: page(*channel())}
    serve(httpserver, pages)
    state: dict[str, Any] = {}
    first = run(httpserver, state)
    assert {i.external_id: i.text for i in first}["11"].startswith(QUESTION)
    pages[None] = page(*channel(), message(17, text="Новая жалоба"))
    assert [i.external_id for i in run(httpserver, state)] == ["17"]


def earlier_hashes(messages: list[str]) -> dict[str, str]:
    """The hashes a version that stored only each message's own text kept: of that text alone."""
    parsed, _ = telegram.parse_channel_page(page(*messages))
    return {str(m.number): content_hash(None, m.text)[:16] for m in parsed}


def test_hashes_kept_by_an_earlier_version_re_yield_nothing(httpserver: HTTPServer) -> None:
    # A store filled before polls and previews were part of the text: the next run re-reads the page
    # (a new message on it); the poll and the link-only posts read the same as then: not edits.
    pages = {None: page(*channel(), message(17, text="Новая жалоба"))}
    serve(httpserver, pages)
    state: dict[str, Any] = {"last_id": 16, "hashes": earlier_hashes(channel())}
    assert [i.external_id for i in run(httpserver, state)] == ["17"]
    # the hashes are now those of the built texts, and a real edit still shows
    edited = [*channel()[:-1], message(16, text="На Абая яму засыпали."), message(17, text="Новая жалоба")]
    pages[None] = page(*edited)
    assert [(i.external_id, i.text) for i in run(httpserver, state)] == [("16", "На Абая яму засыпали.")]
    pages[None] = page(*edited, message(18, text="Ещё одна жалоба"))
    assert [i.external_id for i in run(httpserver, state)] == ["18"]


def test_a_preview_that_comes_later_is_read(httpserver: HTTPServer) -> None:
    # read first while its preview was not there yet: the link alone; then the preview shows
    pages = {None: page(*channel(link_only_preview=False))}
    serve(httpserver, pages)
    state: dict[str, Any] = {}
    assert {i.external_id: i.text for i in run(httpserver, state)}["12"] == LINK
    pages[None] = page(*channel())
    assert [(i.external_id, i.text) for i in run(httpserver, state)] == [
        ("12", "\n".join([LINK, SITE, TITLE, DESCRIPTION]))
    ]


@pytest.mark.parametrize("words", ["ремонт дорог закончат", "Подрядчик просит"])
def test_cli_stores_the_poll_and_the_preview_where_a_text_search_finds_them(
    httpserver: HTTPServer, tmp_path: Path, words: str
) -> None:
    serve(httpserver, {None: page(*channel())})
    config = telegram_config(tmp_path, httpserver.url_for("").rstrip("/"), CHANNEL)
    db = tmp_path / "tg.duckdb"
    for _ in range(2):
        done = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
        assert done.returncode == 0, done.stderr
    found = store_rows(db, f"SELECT external_id FROM items WHERE text ILIKE '%{words}%' ORDER BY 1")
    assert found == ([("11",)] if words.startswith("ремонт") else [("12",), ("14",)])
    assert store_rows(db, "SELECT fetched, new, updated FROM runs ORDER BY run_id") == [(6, 6, 0), (0, 0, 0)]
    assert store_rows(db, "SELECT count(*) FROM item_versions") == [(0,)]
