"""The RSS collector on feeds that lie about their encoding, dates no feed can mean, and guids that
repeat, fetched from a local server as a real run fetches them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from testutil import FIXTURES, WELL_FORMED_FEEDS, run_cli

from collectors import rss
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TITLE = "Заголовок: река вышла из берегов"  # no «И»: its UTF-8 bytes are not all cp1251
TEXT = "Жители Семея жалуются на подтопление дворов."


def feed(declared: str | None, *items: str) -> str:
    declaration = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    return f'{declaration}<rss version="2.0"><channel><title>Лента</title>{"".join(items)}</channel></rss>'


def entry(guid: str, title: str = TITLE, text: str = TEXT, date: str | None = None) -> str:
    pub = f"<pubDate>{date}</pubDate>" if date else ""
    return f"<item><guid>{guid}</guid><title>{title}</title><description>{text}</description>{pub}</item>"


def collect(server: HTTPServer, body: bytes, content_type: str) -> list[Item]:
    server.expect_request("/feed.xml").respond_with_data(body, content_type=content_type)
    client = HttpClient(min_delay=0, retries=0, respect_robots=False)
    ctx = CollectContext(
        source=SourceConfig(name="rss-semey", kind="rss", options={"url": server.url_for("/feed.xml")}),
        http=client,
        state={},
        last_success=None,
        now=NOW,
    )
    try:
        return list(rss.collect(ctx))
    finally:
        client.close()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        # cp1251 bytes declared UTF-8: in the document, in the header, or both
        (feed("utf-8", entry("g1")).encode("cp1251"), "application/rss+xml"),
        (feed(None, entry("g1")).encode("cp1251"), "application/rss+xml; charset=utf-8"),
        (feed("UTF-8", entry("g1")).encode("cp1251"), "application/rss+xml; charset=utf-8"),
        # UTF-8 bytes declared windows-1251, the header saying KOI8-R
        (feed("windows-1251", entry("g1")).encode(), "application/rss+xml; charset=koi8-r"),
        (feed("koi8-r", entry("g1")).encode(), "text/xml"),
        # no declaration, the header right: cp1251
        (feed(None, entry("g1")).encode("cp1251"), "text/xml; charset=windows-1251"),
        # an encoding nobody knows
        (feed("x-bogus-charset", entry("g1")).encode(), "application/rss+xml; charset=utf-7"),
    ],
)
def test_a_feed_in_another_encoding_than_declared_is_read_right(
    httpserver: HTTPServer, body: bytes, content_type: str
) -> None:
    (item,) = collect(httpserver, body, content_type)
    assert (item.external_id, item.title, item.text) == ("g1", TITLE, TEXT)


def test_utf8_feed_with_a_stray_cp1251_word_keeps_its_utf8_text(httpserver: HTTPServer) -> None:
    quote = " ".join([TEXT] * 5) + " Цитата: слово"
    body = feed("utf-8", entry("g1"), entry("g2", "Цитата", quote)).encode()
    body = body.replace("слово".encode(), "слово".encode("cp1251"))  # a word pasted from a cp1251 file
    first, second = collect(httpserver, body, "application/rss+xml; charset=utf-8")
    assert (first.title, first.text) == (TITLE, TEXT)
    assert (second.title, second.text) == ("Цитата", quote)


@pytest.mark.parametrize("path", WELL_FORMED_FEEDS)
def test_feeds_in_their_declared_encoding_reach_the_parsers_unchanged(path: str) -> None:
    body = (FIXTURES / path).read_bytes()
    assert rss.readable_body(body, "application/rss+xml; charset=koi8-r") is body


@pytest.mark.parametrize(
    "date",
    [
        "Mon, 01 Jan 0001 00:00:00 +0000",  # the mail standard read it as 2001
        "Wed Nov 25 14:35:00 0001",
        "Sat, 25 Nov 0026 14:35:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 +0000",
        "0001-01-01T00:00:00Z",
    ],
)
def test_years_no_feed_means_are_no_date(date: str) -> None:
    body = feed("utf-8", entry("d-1", date=date)).encode()
    (item,) = rss.parse_feed(body, source="s", feed_url="f", now=NOW)
    assert item.published_at is None
    assert item.raw["unread_date"] == date


def test_two_digit_years_are_still_read() -> None:
    body = feed("utf-8", entry("d-1", date="Wed, 25 Nov 26 09:35 GMT")).encode()
    (item,) = rss.parse_feed(body, source="s", feed_url="f", now=NOW)
    assert item.published_at == datetime(2026, 11, 25, 9, 35, tzinfo=UTC)


def test_a_repeated_guid_is_kept_once_and_said_once(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = feed(
        "utf-8",
        entry("same", "первый", "первый текст"),
        entry("other", "другой", "другой текст"),
        entry("same", "второй", "второй текст"),
        entry("same", "третий", "третий текст"),
    ).encode()
    caplog.set_level(logging.WARNING, logger="collectors.rss")
    items = collect(httpserver, body, "application/rss+xml; charset=utf-8")
    assert [(i.external_id, i.title) for i in items] == [("same", "первый"), ("other", "другой")]
    said = [r.getMessage() for r in caplog.records]
    assert said == ["rss-semey: ids repeat in the feed ('same'); one entry of each kept"]


def test_of_repeated_guids_the_latest_dated_wins() -> None:
    body = feed(
        "utf-8",
        entry("same", "старый", date="Wed, 25 Nov 2026 08:00:00 +0500"),
        entry("same", "новый", date="Wed, 25 Nov 2026 10:00:00 +0500"),
        entry("same", "без даты"),
    ).encode()
    (item,) = rss.parse_feed(body, source="s", feed_url="f", now=NOW)
    assert item.title == "новый"


def test_cli_run_twice_stores_a_mislabelled_feed_once_and_readable(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    body = feed("utf-8", entry("g1"), entry("g1"), entry("g2", "Второй", "Текст второй")).encode("cp1251")
    httpserver.expect_request("/feed.xml").respond_with_data(
        body, content_type="application/rss+xml; charset=utf-8"
    )
    config = tmp_path / "sources.toml"
    config.write_text(
        "[settings]\nmin_delay = 0.0\nretries = 0\nrespect_robots = false\n\n"
        f'[[sources]]\nname = "rss-semey"\nkind = "rss"\nurl = "{httpserver.url_for("/feed.xml")}"\n',
        encoding="utf-8",
    )
    db = tmp_path / "rss.duckdb"
    for _ in range(2):
        result = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows: list[Any] = con.execute(
            "SELECT external_id, title, text FROM items ORDER BY external_id"
        ).fetchall()
        runs = con.execute("SELECT status, fetched, new FROM runs ORDER BY run_id").fetchall()
    finally:
        con.close()
    assert rows == [("g1", TITLE, TEXT), ("g2", "Второй", "Текст второй")]
    assert runs == [("ok", 2, 2), ("ok", 0, 0)]


class _ShortLength:
    """A feed server that says a Content-Length ``short`` bytes under the body's (then sends it all):
    the client reads only that much. ``short`` 0 serves the feed as it should, with an ETag."""

    def __init__(self, body: bytes) -> None:
        import http.server
        import threading

        self.body, self.short = body, 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", '"v1"')
                self.send_header("Content-Length", str(len(owner.body) - owner.short))
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/feed.xml"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_feed_cut_short_on_the_way_keeps_its_last_entry_for_the_next_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A Content-Length shorter than the feed: the client reads that much, feedparser recovers what it
    # can, and the last entry was stored as complete with its text cut (here, its title as its text).
    body = feed("utf-8", *(entry(f"g{n}", text=f"{TEXT} Дом {n}.") for n in range(5))).encode()
    server = _ShortLength(body)
    state: dict[str, Any] = {}
    client = HttpClient(min_delay=0, retries=0, respect_robots=False)

    def run() -> list[Item]:
        ctx = CollectContext(SourceConfig("rss-semey", "rss", {"url": server.url}), client, state, None, NOW)
        return list(rss.collect(ctx))

    try:
        server.short = 60  # inside the last entry's text
        with caplog.at_level(logging.WARNING):
            cut = run()
        errors = state.pop("_errors")
        validators_after_the_cut = dict(client.validators)
        server.short = 0
        whole = run()
    finally:
        client.close()
        server.close()
    assert [i.external_id for i in cut] == ["g0", "g1", "g2", "g3"]
    assert errors == [
        f"source rss-semey: {server.url}: the feed ends before its closing tag (cut short on the way: a "
        "Content-Length shorter than the feed, a dropped connection); its last entry, which may be cut "
        "too, is left for the next run"
    ]
    assert errors[0] in caplog.text
    assert validators_after_the_cut == {}  # not a 304 next time: the whole feed is fetched again
    assert [i.external_id for i in whole] == ["g0", "g1", "g2", "g3", "g4"]
    assert whole[-1].text == f"{TEXT} Дом 4." and "_errors" not in state


@pytest.mark.parametrize("bom", ["", "utf-16"])
def test_a_whole_feed_that_is_not_well_formed_keeps_every_entry(bom: str) -> None:
    # Not well-formed (a bare «&»), but it ends with </rss> and a comment: nothing is cut.
    text = feed(bom or None, entry("g1"), entry("g2", title="Свет & вода")) + "\n<!-- cached 0.02 s -->\n"
    body = text.encode(bom) if bom else text.encode()
    items = rss.parse_feed(body, source="rss-semey", feed_url="http://x.kz/f.xml", now=NOW)
    assert [i.external_id for i in items] == ["g1", "g2"]
    assert not rss.cut_short(body)
