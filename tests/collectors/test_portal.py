"""The portal collector against a local portal (pytest-httpserver): discovery, comments, reruns, bad pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from collectors import portal
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item
from collectors.portal_options import DEFAULT_RECHECK
from errors import ConfigError

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "portal"
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
REMONT = "/news/2026/11/25/yamy-vokrug-lyukov-posle-remonta.html"
AVTOBUS = "/news/2026/11/24/avtobus-12-izmenil-marshrut.html"
KZ = "/news/2026/11/23/kosh-zharygy-oshiruli-5501.html"


class Portal:
    """A small city portal: routes by path and query; pages can be changed between runs."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []
        self.html("/robots.txt", "User-agent: *\nDisallow: /private/\n", ctype="text/plain")
        self.file("/news/", "listing.html")
        self.file("/news/?page=2", "listing2.html")
        self.file(REMONT, "article-remont.html")
        self.file(REMONT + "?cpage=2", "article-remont-cpage2.html")
        self.file(AVTOBUS, "article-avtobus-cp1251.html", ctype="text/html")
        self.file(KZ, "article-kz.html")

    def file(self, key: str, name: str, ctype: str = "text/html; charset=utf-8") -> None:
        self.pages[key] = (200, {"Content-Type": ctype}, (FIXTURES / name).read_bytes())

    def html(
        self,
        key: str,
        body: str | bytes,
        *,
        ctype: str = "text/html; charset=utf-8",
        status: int = 200,
        **headers: str,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.pages[key] = (status, {"Content-Type": ctype, **headers}, data)

    def __call__(self, request: Request) -> Response:
        key = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
        self.hits.append(key)
        status, headers, body = self.pages.get(key, (404, {"Content-Type": "text/plain"}, b"not found"))
        return Response(body, status=status, headers=headers)


@pytest.fixture
def site(httpserver: HTTPServer) -> Portal:
    handler = Portal()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)
    return handler


def run(
    httpserver: HTTPServer,
    state: dict[str, Any],
    *,
    now: datetime = NOW,
    validators: dict[str, dict[str, str]] | None = None,
    max_bytes: int = 10 * 1024 * 1024,
    **options: Any,
) -> list[Item]:
    opts = {"start_urls": [httpserver.url_for("/news/")], **options}
    client = HttpClient(
        min_delay=0, respect_robots=True, sleep=lambda _s: None, validators=validators, max_bytes=max_bytes
    )
    ctx = CollectContext(SourceConfig("vestnik", "portal", opts), client, state, last_success=None, now=now)
    try:
        return list(portal.collect(ctx))
    finally:
        client.close()


def by_id(items: list[Item]) -> dict[str, Item]:
    return {i.external_id: i for i in items}


def test_first_run_collects_articles_and_threaded_comments(httpserver: HTTPServer, site: Portal) -> None:
    state: dict[str, Any] = {}
    items = run(httpserver, state)
    remont = httpserver.url_for(REMONT)
    kz = httpserver.url_for(KZ)
    assert sorted((i.kind, i.external_id) for i in items) == sorted(
        [
            ("article", remont),
            ("comment", f"{remont}#c101"),
            ("comment", f"{remont}#c102"),
            ("comment", f"{remont}#c103"),
            ("comment", f"{remont}#c104"),  # from the thread's second page
            ("article", httpserver.url_for(AVTOBUS)),
            ("article", kz),
            ("comment", f"{kz}#c9001"),
            ("comment", f"{kz}#c9002"),
        ]
    )
    got = by_id(items)
    article = got[remont]
    assert article.title == "Ямы вокруг люков после ремонта: жители жалуются"
    assert article.author == "Айгерим Сейтказина"
    assert article.published_at == datetime(2026, 11, 25, 9, 35, tzinfo=UTC)
    assert "Читайте также" not in article.text and "Реклама" not in article.text
    reply = got[f"{remont}#c102"]
    assert reply.parent == remont
    assert reply.raw["reply_to"] == f"{remont}#c101"
    assert reply.author == "Салтанат"
    assert "как наказали чиновников" in got[f"{remont}#c101"].text
    assert got[f"{kz}#c9002"].raw["reply_to"] == f"{kz}#c9001"
    assert got[httpserver.url_for(AVTOBUS)].title == "Автобус №12 изменил маршрут"  # cp1251 decoded
    # same-site article links only; tags, menus, footers and other portals are not fetched
    assert not any("/tag/" in h or "/about/" in h or "pravila" in h or "archive" in h for h in site.hits)
    assert state["_errors"] == []
    assert set(state["articles"]) == {remont, httpserver.url_for(AVTOBUS), kz}
    assert state["articles"][remont]["comments"] == 4


def test_rerun_fetches_only_what_is_due_and_yields_only_changed_pages(
    httpserver: HTTPServer, site: Portal
) -> None:
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] = {}
    run(httpserver, state, validators=validators)
    # right after: nothing is due, nothing is yielded, no article is downloaded again
    site.hits.clear()
    assert run(httpserver, state, now=NOW + timedelta(minutes=10), validators=validators) == []
    assert not any(h.startswith("/news/2026") for h in site.hits)
    # seven hours later (every article is due again), a reader has answered under the Kazakh story
    page = (FIXTURES / "article-kz.html").read_text(encoding="utf-8")
    page = page.replace(
        '<div class="footer">',
        '<div class="comments__item" data-comment-id="9003" data-parent-id="9002"><span class="comments__author">Серік</span>'
        '<div class="comments__text">Акимат ақша бөлінді дейді, ал жарық әлі жоқ.</div></div><div class="footer">',
    )
    site.html(KZ, page)
    items = run(httpserver, state, now=NOW + timedelta(hours=7), validators=validators)
    kz = httpserver.url_for(KZ)
    assert sorted(i.external_id for i in items) == sorted([kz, f"{kz}#c9001", f"{kz}#c9002", f"{kz}#c9003"])
    assert by_id(items)[f"{kz}#c9003"].raw["reply_to"] == f"{kz}#c9002"
    assert state["articles"][kz]["comments"] == 3


def test_recheck_policy_by_age() -> None:
    rules = DEFAULT_RECHECK
    published = NOW - timedelta(hours=5)
    assert portal.recheck_due(NOW, published, NOW - timedelta(minutes=61), rules)
    assert not portal.recheck_due(NOW, published, NOW - timedelta(minutes=30), rules)
    week_old = NOW - timedelta(days=3)
    assert not portal.recheck_due(NOW, week_old, NOW - timedelta(hours=5), rules)
    assert portal.recheck_due(NOW, week_old, NOW - timedelta(hours=7), rules)
    two_years = NOW - timedelta(days=800)
    assert not portal.recheck_due(NOW, two_years, NOW - timedelta(days=300), rules)


def test_crawl_budget_spreads_new_articles_over_runs(httpserver: HTTPServer, site: Portal) -> None:
    state: dict[str, Any] = {}
    first = run(httpserver, state, max_articles=1)
    assert [i.kind for i in first].count("article") == 1
    second = run(httpserver, state, max_articles=1)
    assert [i.kind for i in second].count("article") == 1
    assert {i.external_id for i in first if i.kind == "article"} != {
        i.external_id for i in second if i.kind == "article"
    }
    assert len(state["articles"]) == 2


def test_pagination_limit(httpserver: HTTPServer, site: Portal) -> None:
    state: dict[str, Any] = {}
    run(httpserver, state, max_pages=1)
    assert "/news/?page=2" not in site.hits
    assert httpserver.url_for(KZ) not in state["articles"]


def test_bad_pages_cost_one_error_each_and_the_run_goes_on(httpserver: HTTPServer, site: Portal) -> None:
    links = {
        "broken": "/news/2026/11/25/broken-page-10001.html",
        "huge": "/news/2026/11/25/huge-page-10002.html",
        "binary": "/news/2026/11/25/binary-page-10003.html",
        "loop": "/news/2026/11/25/redirect-loop-10004.html",
        "many": "/news/2026/11/25/many-comments-10005.html",
        "koi8": "/news/2026/11/25/koi8-page-10006.html",
        "missing": "/news/2026/11/25/missing-page-10007.html",
        "image": "/news/2026/11/25/image-page-10008.html",
        "private": "/private/2026/11/25/closed-page-10009.html",
    }
    site.html(
        "/news/",
        "<html><body>" + "".join(f'<a href="{u}">{k}</a>' for k, u in links.items()) + "</body></html>",
    )
    site.html(  # tags left open; its end is there (one that stopped in its text would be taken for cut)
        links["broken"],
        "<html><body><h1>Сломанная <b>вёрстка<p>Подрядчик снова сорвал сроки ремонта"
        "<div><p>Жители ждут</html>",
    )
    site.html(links["huge"], b"<html><body>" + b"x" * 2_000_000)
    site.html(links["binary"], b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    site.html(links["loop"], b"", status=302, Location=links["loop"])
    comments = "".join(
        f'<li id="comment-{n}" class="comment"><p>Мнение читателя {n}</p></li>' for n in range(5000)
    )
    site.html(
        links["many"],
        f"<html><body><h1>Обсуждение тарифов</h1><p>Тарифы растут.</p><ol>{comments}</ol></body></html>",
    )
    koi8 = '<html><head><meta charset="koi8-r"></head><body><h1>Отопление дали не везде</h1><p>В трёх домах по улице Ленина батареи холодные.</p></body></html>'
    site.html(links["koi8"], koi8.encode("koi8-r"), ctype="text/html")
    site.html(links["image"], b"\xff\xd8\xff\xe0" + b"\x00" * 100, ctype="image/jpeg")
    site.html(links["private"], "<html><body><h1>Закрыто</h1><p>Текст</p></body></html>")
    state: dict[str, Any] = {}
    items = run(httpserver, state, max_bytes=1_000_000, max_comments=1000)
    errors = state["_errors"]
    failed = {k for k, u in links.items() if any(e.startswith(httpserver.url_for(u) + ":") for e in errors)}
    assert failed == {"huge", "binary", "loop", "missing", "image", "private"}
    assert len(errors) == 6
    titles = {i.title for i in items if i.kind == "article"}
    assert titles == {"Сломанная вёрстка", "Обсуждение тарифов", "Отопление дали не везде"}
    assert sum(1 for i in items if i.kind == "comment") == 1000
    assert (
        any("robots.txt" in e for e in errors)
        and any("cap" in e for e in errors)
        and any("binary" in e for e in errors)
    )


def test_feeds_and_sitemaps(httpserver: HTTPServer, site: Portal) -> None:
    only_in_sitemap = "/news/2026/11/25/tolko-v-karte-sayta-20001.html"
    old = "/news/2020/01/01/staraya-novost-20002.html"
    only_in_feed = "/news/2026/11/25/tolko-v-lente-20003.html"
    site.html(
        "/robots.txt",
        f"User-agent: *\nSitemap: {httpserver.url_for('/sitemap-news.xml')}\n",
        ctype="text/plain",
    )
    site.html(
        "/sitemap-news.xml",
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>{httpserver.url_for(only_in_sitemap)}</loc><news:news><news:publication_date>2026-11-25T10:00:00+05:00</news:publication_date></news:news></url>"
        f"<url><loc>{httpserver.url_for(old)}</loc><lastmod>2020-01-01</lastmod></url>"
        "<url><loc>https://elsewhere.example/news/1.html</loc></url></urlset>",
        ctype="application/xml",
    )
    site.html(
        "/rss.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Вестник</title>'
        f"<item><title>Только в ленте</title><link>{httpserver.url_for(only_in_feed)}</link>"
        "<pubDate>Wed, 25 Nov 2026 08:00:00 +0500</pubDate></item></channel></rss>",
        ctype="application/rss+xml",
    )
    for path, title in (
        (only_in_sitemap, "Только в карте сайта"),
        (old, "Старая новость"),
        (only_in_feed, "Только в ленте"),
    ):
        site.html(
            path, f"<html><body><h1>{title}</h1><p>Текст новости о городе и его жителях.</p></body></html>"
        )
    state: dict[str, Any] = {}
    items = run(httpserver, state, follow_sitemaps=True, feeds=[httpserver.url_for("/rss.xml")], max_pages=1)
    titles = {i.title for i in items if i.kind == "article"}
    assert "Только в карте сайта" in titles and "Только в ленте" in titles
    assert "Старая новость" not in titles
    assert state["_errors"] == []


def test_article_pattern_and_selectors_from_config(httpserver: HTTPServer, site: Portal) -> None:
    state: dict[str, Any] = {}
    items = run(
        httpserver,
        state,
        article_pattern=r"/avtobus-",
        selectors={"body": ".article-text", "title": "h1"},
    )
    assert [i.title for i in items] == ["Автобус №12 изменил маршрут"]
    assert items[0].text.startswith("С понедельника автобус №12")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"start_urls": []}, "start_urls"),
        ({"start_urls": ["ftp://x/"]}, "start_urls"),
        (
            {"start_urls": ["https://x/"], "selectors": {"headline": "h1"}},
            "(unknown: headline; known: author",
        ),
        ({"start_urls": ["https://x/"], "article_pattern": "(["}, "article_pattern"),
        ({"start_urls": ["https://x/"], "recheck": [[24]]}, "recheck"),
    ],
)
def test_bad_options_name_the_key(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        portal.options(SourceConfig("vestnik", "portal", options))


def test_config_keys_are_declared() -> None:
    assert {"start_urls"} == portal.REQUIRED
    assert {
        "max_pages",
        "max_articles",
        "selectors",
        "feeds",
        "recheck",
        "follow_sitemaps",
    } <= portal.OPTIONAL


def test_cli_run_twice_stores_once_and_picks_up_new_comments(
    httpserver: HTTPServer, site: Portal, tmp_path: Path
) -> None:
    import subprocess
    import sys

    import duckdb

    root = Path(__file__).resolve().parents[2]
    config = tmp_path / "sources.toml"
    config.write_text(
        "[settings]\nmin_delay = 0.0\nretries = 0\n\n[[sources]]\n"
        'name = "vestnik"\nkind = "portal"\n'
        f'start_urls = ["{httpserver.url_for("/news/")}"]\n'
        "recheck = [[87600, 0]]  # every known article is due on every run\n",
        encoding="utf-8",
    )
    db = tmp_path / "monitor.duckdb"
    command = [sys.executable, str(root / "pipeline.py"), "run", "--config", str(config), "--db", str(db)]
    first = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    page = (FIXTURES / "article-kz.html").read_text(encoding="utf-8")
    site.html(
        KZ,
        page.replace(
            '<div class="footer">',
            '<div class="comments__item" data-comment-id="9003"><span class="comments__author">Серік</span>'
            '<div class="comments__text">Жарық әлі жоқ, ақша қайда кетті?</div></div><div class="footer">',
        ),
    )
    second = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT kind, external_id, parent FROM items WHERE source = 'vestnik'").fetchall()
        runs = con.execute("SELECT status FROM runs WHERE source = 'vestnik' ORDER BY started_at").fetchall()
    kz = httpserver.url_for(KZ)
    assert len(rows) == 10  # 3 articles and 6 comments from the first run, 1 new comment from the second
    assert len({r[1] for r in rows}) == 10
    assert ("comment", f"{kz}#c9003", kz) in rows
    assert [r[0] for r in runs] == ["ok", "ok"]


def test_a_site_that_is_down_fails_the_run(httpserver: HTTPServer, site: Portal) -> None:
    from errors import FetchError

    site.html("/news/", "down for maintenance", status=503, ctype="text/plain")
    with pytest.raises(FetchError, match="503"):
        run(httpserver, {})


def test_new_comments_on_a_later_thread_page_are_found_when_the_first_page_is_unchanged(
    httpserver: HTTPServer, site: Portal
) -> None:
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] = {}
    run(httpserver, state, validators=validators)
    remont = httpserver.url_for(REMONT)
    assert state["articles"][remont]["comment_pages"] == [remont + "?cpage=2"]
    page2 = (FIXTURES / "article-remont-cpage2.html").read_text(encoding="utf-8")
    site.html(
        REMONT + "?cpage=2",
        page2.replace(
            "</ol>",
            '<li id="comment-105" class="comment"><div class="comment-author"><b class="fn">Даурен</b></div>'
            '<div class="comment-content"><p>Акт приёмки подписали за неделю до окончания работ.</p></div></li></ol>',
        ),
    )
    items = run(httpserver, state, now=NOW + timedelta(hours=7), validators=validators)
    # the article page did not change: only the changed thread page's comments come again
    assert sorted(i.external_id for i in items) == [f"{remont}#c104", f"{remont}#c105"]
    assert all(i.parent == remont for i in items)
    # a changed first page is parsed again; the unchanged second page is not downloaded again
    site.html(
        REMONT, (FIXTURES / "article-remont.html").read_text(encoding="utf-8").replace("Ерлан", "Ерлан Б.")
    )
    items = run(httpserver, state, now=NOW + timedelta(hours=14), validators=validators)
    assert sorted(i.external_id for i in items if i.external_id.startswith(remont)) == [
        remont,
        *(f"{remont}#c{n}" for n in (101, 102, 103)),
    ]
    assert state["articles"][remont]["comment_pages"] == [remont + "?cpage=2"]


def test_the_cursor_forgets_articles_past_every_recheck_rule(httpserver: HTTPServer, site: Portal) -> None:
    old = "https://gone.example/news/2020/01/01/old-1.html"
    ancient = {
        "id": "x",
        "published": "2020-01-01T10:00:00+06:00",
        "first_seen": "2020-01-01T10:00:00+06:00",
        "comment_pages": [old + "?cpage=2"],
    }
    state: dict[str, Any] = {"articles": {old: ancient}}
    seen = {"etag": '"1"', "hash": "ab"}
    validators = {old: seen, old + "?cpage=2": seen, "https://gone.example/news/": seen}
    run(httpserver, state, validators=validators)
    assert old not in state["articles"]
    assert len(state["articles"]) == 3
    # the forgotten article's validators go with it; the listing's and the new articles' stay
    assert old not in validators and old + "?cpage=2" not in validators
    assert "https://gone.example/news/" in validators
    assert httpserver.url_for(REMONT) in validators and httpserver.url_for(REMONT) + "?cpage=2" in validators


def test_an_article_taken_down_is_kept_and_no_longer_rechecked(httpserver: HTTPServer, site: Portal) -> None:
    state: dict[str, Any] = {}
    first = run(httpserver, state)
    remont = httpserver.url_for(REMONT)
    assert remont in {i.external_id for i in first}
    del site.pages[REMONT]  # 404 from now on; the listing still links to it
    # Two 404s an hour or two apart are not enough (a deploy, a CDN fault): it is asked for again
    # until the first was a day before the last.
    for hours, gone in ((2, 1), (4, 2), (6, 3), (26, 4)):
        site.hits.clear()
        run(httpserver, state, now=NOW + timedelta(hours=hours))
        assert REMONT in site.hits
        assert state["_errors"] == []  # a page taken down is not a failure of the run
        assert state["articles"][remont]["gone"] == gone
    site.hits.clear()
    run(httpserver, state, now=NOW + timedelta(hours=60))
    assert REMONT not in site.hits and state["_errors"] == []
    assert remont in state["articles"]  # known: the listing's link to it is not a new article


def test_an_article_back_after_one_404_is_watched_as_before(httpserver: HTTPServer, site: Portal) -> None:
    state: dict[str, Any] = {}
    run(httpserver, state)
    remont = httpserver.url_for(REMONT)
    page = site.pages.pop(REMONT)
    run(httpserver, state, now=NOW + timedelta(hours=2))
    site.pages[REMONT] = page
    run(httpserver, state, now=NOW + timedelta(hours=4))
    assert "gone" not in state["articles"][remont]
    site.hits.clear()
    run(httpserver, state, now=NOW + timedelta(hours=6))
    assert REMONT in site.hits


def test_feed_dates_of_discovered_links_are_read_as_the_rss_collector_reads_them() -> None:
    from collectors.portal_discovery import parse_feed

    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Вестник</title>'
        "<item><link>https://vestnik.example/a.html</link><pubDate>Wed, 25 Nov 2026 14:35:00</pubDate></item>"
        "<item><link>https://vestnik.example/b.html</link><pubDate>25.11.2026 09:00</pubDate></item>"
        "<item><link>https://vestnik.example/c.html</link><pubDate>Wed, 25 Nov 2026 14:35:00 +0000</pubDate></item>"
        "</channel></rss>"
    ).encode()
    found = parse_feed(feed, "https://vestnik.example/rss.xml", NOW)
    almaty = timezone(timedelta(hours=5))
    assert [(f.url.rsplit("/", 1)[1], f.published) for f in found] == [
        ("a.html", datetime(2026, 11, 25, 14, 35, tzinfo=almaty)),  # no zone: Almaty time, not UTC
        ("b.html", datetime(2026, 11, 25, 9, 0, tzinfo=almaty)),  # feedparser reads no date here
        ("c.html", datetime(2026, 11, 25, 14, 35, tzinfo=UTC)),
    ]


def test_feeds_advertised_by_the_listing_are_read(httpserver: HTTPServer, site: Portal) -> None:
    in_feed = "/news/2026/11/25/tolko-v-lente-30001.html"
    listing = (FIXTURES / "listing.html").read_text(encoding="utf-8")
    site.html(
        "/news/",
        listing.replace(
            "</head>",
            '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
            '<link rel="alternate" type="application/rss+xml" href="https://elsewhere.example/rss.xml"></head>',
        ),
    )
    site.html(
        "/rss.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Вестник</title>'
        f"<item><title>Только в ленте</title><link>{httpserver.url_for(in_feed)}</link></item></channel></rss>",
        ctype="application/rss+xml",
    )
    site.html(
        in_feed, "<html><body><h1>Только в ленте</h1><p>Новость, которой нет в списке.</p></body></html>"
    )
    state: dict[str, Any] = {}
    items = run(httpserver, state)
    assert "Только в ленте" in {i.title for i in items}
    assert state["_errors"] == []
    site.hits.clear()
    run(httpserver, {}, discover_feeds=False)
    assert "/rss.xml" not in site.hits


@pytest.mark.parametrize("down", ["closed port", "HTTP 503"])
def test_cli_run_says_a_failed_listing_once(
    httpserver: HTTPServer, site: Portal, tmp_path: Path, down: str
) -> None:
    import socket
    import subprocess
    import sys

    if down == "closed port":
        with socket.socket() as probe:  # a port nothing listens on once the probe is closed
            probe.bind(("127.0.0.1", 0))
            listing = f"http://127.0.0.1:{probe.getsockname()[1]}/news/"
    else:
        site.html("/news/", "down for maintenance", status=503, ctype="text/plain")
        listing = httpserver.url_for("/news/")
    root = Path(__file__).resolve().parents[2]
    config = tmp_path / "sources.toml"
    config.write_text(
        "[settings]\nmin_delay = 0.0\nretries = 0\n\n[[sources]]\n"
        f'name = "vestnik"\nkind = "portal"\nstart_urls = ["{listing}"]\n',
        encoding="utf-8",
    )
    command = [sys.executable, str(root / "pipeline.py"), "run", "--no-classify", "--config", str(config)]
    command += ["--db", str(tmp_path / "monitor.duckdb")]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    # a first run says once where it made the database (batch/cli.py), then nothing but:
    new_db = [line for line in lines if line.startswith("note: a new database at ")]
    lines = [line for line in lines if line not in new_db]
    assert len(new_db) == 1
    # the run line, which carries the error, and the count of failed sources: no log line, no "skipped:"
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("vestnik: failed - ") and listing in lines[0]
    assert lines[1] == "1 of 1 sources failed: vestnik"


class _UnchangedListing(Portal):
    """The fixture portal whose listing answers 304 to a request that shows its ETag."""

    def __call__(self, request: Request) -> Response:
        if request.path == "/news/" and request.headers.get("If-None-Match") == '"listing-1"':
            self.hits.append(request.path)
            return Response(status=304)
        resp = super().__call__(request)
        if request.path == "/news/":
            resp.headers["ETag"] = '"listing-1"'
        return resp


def test_articles_past_max_articles_are_fetched_by_later_runs_though_the_listing_is_unchanged(
    httpserver: HTTPServer,
) -> None:
    site = _UnchangedListing()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(site)
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] = {}
    runs = [run(httpserver, state, validators=validators, max_articles=1) for _ in range(4)]
    # The listing shows three articles; from the second run on it answers 304 (it was dropped then).
    assert [[i.kind for i in items].count("article") for items in runs] == [1, 1, 1, 0]
    assert site.hits.count("/news/") == 4
    assert len(state["articles"]) == 3 and state["waiting"] == []
    fetched = [next(i.external_id for i in items if i.kind == "article") for items in runs[:3]]
    assert len(set(fetched)) == 3
