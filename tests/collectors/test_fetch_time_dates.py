"""Relative dates («5 минут назад», «сегодня в 00:05», «вчера») are counted from the moment their page
arrived, not from the run's start: a run that starts at 23:50 Almaty and waits out a Retry-After reads a
page fetched at 00:10 with that night's dates. The client's clock is ours: each wait it makes (pacing,
Retry-After) moves it on instead of sleeping."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from testutil import store_rows
from werkzeug import Request, Response

from batch import runner
from collectors import portal, rss
from collectors.base import CollectContext, SourceConfig
from collectors.dates import ALMATY
from collectors.http import HttpClient
from collectors.portal_discovery import parse_sitemap
from config.sources import load_config

# 23:50 in Almaty (UTC+5) on 25 November; 20 minutes on, the day is the 26th there
RUN_START = datetime(2026, 11, 25, 18, 50, tzinfo=UTC)


def almaty(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ALMATY)


def clocked_client(**kw: Any) -> HttpClient:
    """A client whose clock moves only when it waits: each sleep adds its seconds."""
    now = [1000.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    return HttpClient(sleep=sleep, clock=lambda: now[0], min_delay=0.0, retries=2, max_retry_after=3600, **kw)


class BusyFirst:
    """A site whose pages each answer 429 with their Retry-After once, then their body."""

    def __init__(self, pages: dict[str, tuple[str, str]], waits: dict[str, int]) -> None:
        self.pages, self.waits = pages, dict(waits)
        self.served: list[str] = []

    def __call__(self, request: Request) -> Response:
        key = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
        self.served.append(key)
        if key in self.waits:
            return Response("busy", status=429, headers={"Retry-After": str(self.waits.pop(key))})
        if key not in self.pages:
            return Response("not found", status=404)
        ctype, body = self.pages[key]
        return Response(body, headers={"Content-Type": ctype})


def _comment(number: int, author: str, when: str, text: str) -> str:
    return (
        f'<li id="comment-{number}" class="comment"><article class="comment-body">'
        f'<div class="comment-author"><b class="fn">{author}</b></div>'
        f'<div class="comment-date">{when}</div>'
        f'<div class="comment-content"><p>{text}</p></div></article></li>'
    )


ARTICLE = f"""<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8">
<title>Ночью на Абая прорвало трубу</title></head><body>
<article class="post"><h1>Ночью на Абая прорвало трубу</h1>
<div class="post-date">Сегодня в 00:05</div>
<div class="post-body"><p>Ночью на проспекте Абая прорвало трубу горячего водоснабжения, дорогу залило водой,
движение перекрыто в обе стороны.</p>
<p>Аварийная бригада работает на месте, жителей ближайших домов предупредили об отключении горячей воды
до утра.</p></div></article>
<section class="comments"><ol>
{_comment(101, "Марат", "Вчера в 23:58", "Вода пошла ещё до полуночи, звонили в аварийку.")}
{_comment(102, "Асель", "5 минут назад", "У нас во дворе тоже течёт, машины не проехать.")}
</ol><nav class="comment-navigation"><a class="next" href="/news/1?cpage=2">Дальше</a></nav></section>
</body></html>"""

COMMENTS_2 = f"""<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Комментарии</title></head>
<body><section class="comments"><ol>
{_comment(103, "Ерлан", "10 минут назад", "Бригада приехала, воду перекрыли.")}
</ol></section></body></html>"""

LISTING = '<html><body><ul><li><a href="/news/1">Ночью на Абая прорвало трубу</a></li></ul></body></html>'


def test_portal_dates_count_from_each_page_fetch_across_midnight(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    html = "text/html; charset=utf-8"
    site = BusyFirst(
        {"/news/": (html, LISTING), "/news/1": (html, ARTICLE), "/news/1?cpage=2": (html, COMMENTS_2)},
        # the article arrives at 00:10 (20 minutes after the run's start), its second page at 00:40
        waits={"/news/1": 20 * 60, "/news/1?cpage=2": 30 * 60},
    )
    httpserver.expect_request(re.compile(".*")).respond_with_handler(site)
    config_path = tmp_path / "sources.toml"
    config_path.write_text(
        '[settings]\nrespect_robots = false\n\n[[sources]]\nname = "vestnik"\nkind = "portal"\n'
        f'start_urls = ["{httpserver.url_for("/news/")}"]\nfollow_sitemaps = false\n'
        'article_pattern = "/news/\\\\d+$"\n'
        '[sources.selectors]\ndate = ".post-date"\n',
        encoding="utf-8",
    )
    config = load_config(config_path)
    db = tmp_path / "m.duckdb"

    run = runner.run_source(
        config.sources[0], config, db, now=RUN_START, client_factory=lambda *_: clocked_client()
    )

    assert (run.status, run.error, run.problems) == ("ok", None, 0)
    stored = dict(store_rows(db, "SELECT external_id, published_at FROM items"))
    article = httpserver.url_for("/news/1")
    assert stored == {
        # «сегодня» of a page fetched at 00:10 on the 26th (the run's start, 23:50 on the 25th, made it
        # the 25th: 24 hours early)
        article: almaty(26, 0, 5),
        # «вчера» is the 25th, not the 24th
        f"{article}#c101": almaty(25, 23, 58),
        # five minutes before 00:10, not before 23:50
        f"{article}#c102": almaty(26, 0, 5),
        # the thread's second page arrived at 00:40: ten minutes before that
        f"{article}#c103": almaty(26, 0, 30),
    }
    # Read again three hours on, «5 минут назад» says another minute: the same items, nothing stored
    # twice, no new version, and the dates stored first stay (a date is in no id nor content hash).
    versions = store_rows(db, "SELECT count(*) FROM item_versions")
    again = runner.run_source(
        config.sources[0],
        config,
        db,
        now=RUN_START + timedelta(hours=3),
        client_factory=lambda *_: clocked_client(),
    )
    assert again.status == "ok"
    assert dict(store_rows(db, "SELECT external_id, published_at FROM items")) == stored
    assert store_rows(db, "SELECT count(*) FROM item_versions") == versions
    assert site.served.count("/news/1") >= 2  # the article was read again, not left alone


FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Новости</title>
<item><guid>n-1</guid><title>Прорыв трубы на Абая</title><link>http://news.test/1</link>
<pubDate>сегодня в 00:05</pubDate><description>Дорогу залило водой.</description></item>
<item><guid>n-2</guid><title>Перекрыто движение</title><link>http://news.test/2</link>
<pubDate>2 сағат бұрын</pubDate><description>Жол жабылды.</description></item>
</channel></rss>"""


def test_rss_dates_count_from_the_feed_fetch_after_a_retry_after(httpserver: HTTPServer) -> None:
    site = BusyFirst({"/feed": ("application/rss+xml; charset=utf-8", FEED)}, waits={"/feed": 20 * 60})
    httpserver.expect_request(re.compile(".*")).respond_with_handler(site)
    client = clocked_client(respect_robots=False)
    source = SourceConfig("news", "rss", {"url": httpserver.url_for("/feed")})
    ctx = CollectContext(source, client, {}, last_success=None, now=RUN_START)
    try:
        items = list(rss.collect(ctx))
    finally:
        client.close()
    # the feed arrived at 00:10 on the 26th, after the 20 minutes the server asked us to wait
    assert {i.external_id: i.published_at for i in items} == {
        "n-1": almaty(26, 0, 5),
        "n-2": almaty(25, 22, 10),
    }


def test_a_response_arrives_when_the_client_clock_says(httpserver: HTTPServer) -> None:
    site = BusyFirst({"/a": ("text/plain", "a"), "/b": ("text/plain", "b")}, waits={"/b": 90})
    httpserver.expect_request(re.compile(".*")).respond_with_handler(site)
    client = clocked_client(respect_robots=False)
    try:
        first, second = client.get(httpserver.url_for("/a")), client.get(httpserver.url_for("/b"))
    finally:
        client.close()
    assert first.fetched_at(RUN_START) == RUN_START  # no wait: it came at the run's start
    assert second.fetched_at(RUN_START) == RUN_START + timedelta(seconds=90)


SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://news.test/news/1</loc><lastmod>2026-11-25T23:40:00+05:00</lastmod></url>
<url><loc>http://news.test/news/2</loc><lastmod>2026-11-28T10:00:00+05:00</lastmod></url>
</urlset>"""


def test_a_sitemap_date_is_checked_against_its_fetch_time() -> None:
    # A date more than a day after the sitemap's fetch is no publication time; the fetch time is the
    # caller's (it was the real clock, whatever the run's time)
    found, _ = parse_sitemap(SITEMAP, "http://news.test/sitemap.xml", RUN_START + timedelta(minutes=20))
    assert [(f.url, f.published) for f in found] == [
        ("http://news.test/news/1", almaty(25, 23, 40)),
        ("http://news.test/news/2", None),
    ]


PORTAL_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Вестник</title>
<item><title>Ночью на Абая прорвало трубу</title><link>/news/1</link><pubDate>вчера в 23:45</pubDate></item>
</channel></rss>"""


def test_portal_feed_dates_count_from_the_feed_fetch(httpserver: HTTPServer) -> None:
    html = "text/html; charset=utf-8"
    site = BusyFirst(
        {
            "/news/": (html, "<html><body><p>Пока пусто</p></body></html>"),
            "/feed": ("application/rss+xml; charset=utf-8", PORTAL_FEED),
            "/news/1": (html, ARTICLE),
        },
        waits={"/feed": 20 * 60},  # the feed arrives at 00:10 on the 26th
    )
    httpserver.expect_request(re.compile(".*")).respond_with_handler(site)
    opts = {
        "start_urls": [httpserver.url_for("/news/")],
        "feeds": [httpserver.url_for("/feed")],
        "follow_sitemaps": False,
        "max_age_days": 1,
        "selectors": {"date": ".post-date"},
    }
    client = clocked_client(respect_robots=False)
    ctx = CollectContext(
        SourceConfig("vestnik", "portal", opts), client, {}, last_success=None, now=RUN_START
    )
    try:
        items = list(portal.collect(ctx))
    finally:
        client.close()
    # «вчера в 23:45» of a feed read at 00:10 is 25 minutes old, not a day and 25 minutes (past
    # max_age_days: the article was never fetched)
    assert [i.external_id for i in items if i.kind == "article"] == [httpserver.url_for("/news/1")]


UNDATED_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Вестник</title>
<item><guid>1</guid><title>Прорвало трубу</title><link>http://news.test/1</link>
<description>Вода на Абая</description></item>
</channel></rss>"""


def test_a_wait_for_the_database_before_the_fetch_counts_in_its_time(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """Review: the client began counting when it was made, after the run had waited for the database
    (another process's write), so an answer's time, which relative dates count from, was that much early."""
    import threading
    import time

    from store.db import writer

    httpserver.expect_request("/feed").respond_with_data(UNDATED_FEED, content_type="application/rss+xml")
    config_path = tmp_path / "sources.toml"
    config_path.write_text(
        f'[settings]\nrespect_robots = false\n\n[[sources]]\nname = "vestnik"\nkind = "rss"\nurl = "{httpserver.url_for("/feed")}"\n',
        encoding="utf-8",
    )
    config = load_config(config_path)
    db = tmp_path / "m.duckdb"
    with writer(db):
        pass  # the store exists
    arrivals: list[tuple[Any, datetime]] = []

    def timing_client(*args: Any) -> HttpClient:
        client = runner.http_client_for(*args)
        get = client.get

        def timed(*a: Any, **kw: Any) -> Any:
            resp = get(*a, **kw)
            arrivals.append((resp, datetime.now(UTC)))
            return resp

        client.get = timed  # type: ignore[method-assign]
        return client

    held = threading.Event()

    def hold() -> None:
        with writer(db):
            held.set()
            time.sleep(2.0)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    run = runner.run_source(config.sources[0], config, db, client_factory=timing_client)
    holder.join()
    assert run.status == "ok", run.error
    ((resp, came),) = arrivals
    assert came - run.started_at >= timedelta(seconds=1.5)  # the run waited for the database first
    assert abs(resp.fetched_at(run.started_at) - came) < timedelta(seconds=0.5)  # was 2 s early
