"""The portal collector against a hostile site: malformed links, off-site pagers, broken markup, lies.

Each page here is written for the test and served by a local server (pytest-httpserver); what one
bad page costs is checked as the rest of the portal tests check it: one error naming the URL, the
other articles stored, nothing stored wrong.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trafilatura.core
from portalkit import FIRST, NOW, SECOND, Site, run
from pytest_httpserver import HTTPServer

from collectors.extract import MAX_FALLBACK_BLOCKS, Article, extract_article
from collectors.html_page import MAX_DEPTH
from collectors.http import DEFAULT_MAX_BYTES
from collectors.portal_comments import extract_comments
from collectors.portal_discovery import parse_feed, parse_listing, parse_sitemap, robots_sitemaps
from collectors.portal_ids import article_id_of
from errors import ParseError

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://vestnik.example.kz"
BAD_HREF = "http://[::1"  # urllib refuses it: "Invalid IPv6 URL"


def page(title: str, body: str = "", *, head: str = "", extra: str = "") -> str:
    """An article page of our own: a headline, a dated body of a few paragraphs, then ``extra``."""
    paragraphs = body or "".join(
        f"<p>Жители дома номер {n} по улице Абая жалуются на ямы у подъездов после ремонта теплотрассы.</p>"
        for n in range(1, 6)
    )
    return (
        f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
        f'<body><h1>{title}</h1><div class="date">25.11.2026 10:00</div><article>{paragraphs}</article>'
        f"{extra}</body></html>"
    )


def comment(n: int, text: str, author: str = "Асель") -> str:
    return (
        f'<li class="comment" id="comment-{n}"><span class="author">{author}</span>'
        f'<span class="date">24.11.2026 10:{n % 60:02d}</span><p class="text">{text}</p></li>'
    )


# -- a malformed URL costs that link, not the page it sits on --------------------------------------


def test_a_malformed_link_on_the_listing_costs_that_link_not_the_listing(
    httpserver: HTTPServer, site: Site
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a><a href="{BAD_HREF}">?</a><a href="{SECOND}">2</a>')
    site.html(FIRST, page("Жители жалуются на ямы после ремонта"))
    site.html(SECOND, page("Автобус №12 изменил маршрут"))
    state: dict[str, Any] = {}
    items = run(httpserver, state)
    assert sorted(i.external_id for i in items) == sorted(httpserver.url_for(p) for p in (FIRST, SECOND))
    assert state["_errors"] == []


@pytest.mark.parametrize(
    "parse",
    [
        lambda: parse_listing(
            f'<a href="{BAD_HREF}">?</a><a class="next" href="{BAD_HREF}">»</a>', f"{BASE}/news/"
        ),
        lambda: parse_feed(
            f"<rss><channel><item><link>{BAD_HREF}</link></item></channel></rss>".encode(), BASE
        ),
        lambda: parse_sitemap(f"<urlset><url><loc>{BAD_HREF}</loc></url></urlset>".encode(), BASE),
        lambda: robots_sitemaps(f"Sitemap: {BAD_HREF}\n", BASE),
    ],
    ids=["listing", "feed", "sitemap", "robots.txt"],
)
def test_discovery_skips_a_malformed_url(parse: Any) -> None:
    assert parse() in (([], None), [], ([], []))


def test_a_malformed_canonical_or_comment_pager_costs_neither_the_article_nor_its_comments() -> None:
    html = page(
        "Жители жалуются на ямы после ремонта",
        head=f'<link rel="canonical" href="{BAD_HREF}">',
        extra=f'<ol class="comments">{comment(101, "Ямы так и не засыпали")}</ol>'
        f'<a class="comments-next" href="{BAD_HREF}">дальше</a>',
    )
    article = extract_article(html, f"{BASE}{FIRST}", now=NOW)
    assert article.canonical_url == f"{BASE}{FIRST}"
    assert [c.text for c in article.comments] == ["Ямы так и не засыпали"]
    assert article.comments_next is None
    assert extract_comments(html, f"{BASE}{FIRST}", now=NOW)[1] is None


# -- a comment pager to another site -------------------------------------------------------------


def test_a_comment_pager_to_another_site_is_not_followed(httpserver: HTTPServer, site: Site) -> None:
    elsewhere = httpserver.url_for(FIRST + "?cpage=2").replace("//localhost:", "//127.0.0.1:")
    assert elsewhere != httpserver.url_for(FIRST + "?cpage=2")  # the same server under another host name
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    thread = f'<ol class="comments">{comment(101, "Ямы так и не засыпали")}</ol>'
    site.html(
        FIRST,
        page("Жители жалуются на ямы", extra=f'{thread}<a class="comments-next" href="{elsewhere}">»</a>'),
    )
    site.html(
        FIRST + "?cpage=2", page("Чужой сайт", extra=f'<ol class="comments">{comment(666, "Чужой")}</ol>')
    )
    state: dict[str, Any] = {}
    items = run(httpserver, state)
    article = httpserver.url_for(FIRST)
    assert sorted(i.external_id for i in items) == [article, f"{article}#c101"]
    assert FIRST + "?cpage=2" not in site.hits
    assert state["_errors"] == [
        f"{elsewhere}: the next page of a comment thread is on another site: not followed"
    ]


# -- markup nested deeper than the HTML parser's usual limit ---------------------------------------


def unclosed(n: int) -> str:
    """``n`` blocks a broken template opens and never closes: each one nests the rest of the page."""
    return '<div class="row">' * n


def test_an_article_past_300_unclosed_blocks_is_read_whole() -> None:
    # libxml2 stops at 256 elements deep and drops the rest of the page without an error
    tail = "Подрядчик обещал засыпать ямы до конца недели, но так и не приехал."
    html = page(
        "Жители жалуются на ямы после ремонта",
        body=f"<p>Жители дома по улице Абая жалуются на ямы.</p>{unclosed(300)}<p>{tail}</p>",
        extra=f'<ol class="comments">{comment(101, "Ямы так и не засыпали")}</ol>',
    )
    article = extract_article(html, f"{BASE}{FIRST}", now=NOW)
    assert tail in article.text
    assert [c.text for c in article.comments] == ["Ямы так и не засыпали"]


def test_links_past_300_unclosed_blocks_are_found_on_the_listing() -> None:
    html = f'<a href="{FIRST}">1</a>{unclosed(300)}<a href="{SECOND}">2</a><a rel="next" href="/news/?page=2">»</a>'
    assert parse_listing(html, f"{BASE}/news/") == (
        [f"{BASE}{FIRST}", f"{BASE}{SECOND}"],
        f"{BASE}/news/?page=2",
    )


def test_a_page_nested_deeper_than_the_parser_reads_is_one_error_and_the_rest_is_stored(
    httpserver: HTTPServer, site: Site
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a><a href="{SECOND}">2</a>')
    site.html(FIRST, page("Ямы", body=f"<p>Начало.</p>{unclosed(MAX_DEPTH + 10)}<p>Конец статьи.</p>"))
    site.html(SECOND, page("Автобус №12 изменил маршрут"))
    state: dict[str, Any] = {}
    items = run(httpserver, state)
    assert [i.external_id for i in items] == [httpserver.url_for(SECOND)]
    assert state["_errors"] == [
        f"{httpserver.url_for(FIRST)}: HTML nested more than {MAX_DEPTH} elements deep: "
        "the rest of the page cannot be read"
    ]


# -- a charset that lies ---------------------------------------------------------------------------

TITLE = "Жители жалуются на ямы после ремонта"


@pytest.mark.parametrize(
    ("head", "ctype"),
    [
        ('<meta charset="windows-1251">', "text/html"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">', "text/html"),
        ("", "text/html; charset=windows-1251"),
        ("", "text/html; charset=iso-8859-1"),
    ],
    ids=["meta", "meta-http-equiv", "header-cp1251", "header-latin1"],
)
def test_a_utf8_page_that_declares_another_charset_is_read_as_utf8(
    httpserver: HTTPServer, site: Site, head: str, ctype: str
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, page(TITLE, head=head).replace('<meta charset="utf-8">', ""), ctype=ctype)
    state: dict[str, Any] = {}
    (article,) = run(httpserver, state)
    assert article.title == TITLE
    assert article.text.startswith("Жители дома номер 1 по улице Абая")


def test_a_cp1251_page_is_still_read_as_cp1251(httpserver: HTTPServer, site: Site) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    cp1251 = page(TITLE).replace('<meta charset="utf-8">', '<meta charset="windows-1251">')
    site.html(FIRST, cp1251.encode("cp1251"), ctype="text/html")
    (article,) = run(httpserver, {})
    assert article.title == TITLE


def test_extract_cli_reads_a_utf8_file_whose_meta_says_cp1251(tmp_path: Path) -> None:
    saved = tmp_path / "page.html"
    saved.write_text(page(TITLE).replace('charset="utf-8"', 'charset="windows-1251"'), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "extract", str(saved)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["title"] == TITLE


# -- JSON-LD of the wrong types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headline",
    ['{"@value": "Объект вместо заголовка"}', '["Один заголовок", "Другой"]', "12345"],
    ids=["object", "list", "number"],
)
def test_json_ld_of_the_wrong_types_gives_no_title_date_or_author_of_its_own(headline: str) -> None:
    block = (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        f'"headline": {headline}, "datePublished": 1764050400, '
        '"author": [{"@type": "Person", "name": "Айгерим Сейтказина"}, {"name": {"x": 1}}, null, ["y"]]}'
        "</script>"
    )
    article = extract_article(page(TITLE, head=block), f"{BASE}{FIRST}", now=NOW)
    assert article.title == TITLE  # the <h1>, not the repr of a Python object
    assert article.published_at == datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # printed: 25.11.2026 10:00
    assert article.author == "Айгерим Сейтказина"


# -- comment ids the site gets wrong ---------------------------------------------------------------


def test_comments_in_a_list_whose_id_has_digits_are_all_kept() -> None:
    # «comments-5501» names the article's thread, not one comment: the first comment takes its number
    # (as it always did, so stored ids stay), and the others, dropped before, are kept under their hash
    blocks = "".join(
        f'<div class="comment"><span class="author">{who}</span><p class="text">{text}</p></div>'
        for who, text in [
            ("Асель", "Ямы так и не засыпали"),
            ("Берик", "У нас то же самое"),
            ("Гость", "Звонили в акимат"),
        ]
    )
    comments, _ = extract_comments(f'<div id="comments-5501">{blocks}</div>', f"{BASE}{FIRST}", now=NOW)
    assert [c.text for c in comments] == ["Ямы так и не засыпали", "У нас то же самое", "Звонили в акимат"]
    assert comments[0].comment_id == "5501" and len({c.comment_id for c in comments}) == 3


def test_a_reply_whose_anchor_its_parent_took_is_kept_and_the_parent_keeps_its_id() -> None:
    # The parent takes the first anchor inside it, the reply's (as it always did: stored ids stay);
    # the reply, dropped before as a second comment 555, is kept under its hash.
    html = (
        '<ol><li class="comment"><span class="author">Асель</span><p class="text">Ямы так и не засыпали</p>'
        '<ol><li class="comment"><a id="comment-555"></a><span class="author">Берик</span>'
        '<p class="text">У нас то же самое</p></li></ol></li></ol>'
    )
    first, reply = extract_comments(html, f"{BASE}{FIRST}", now=NOW)[0]
    assert (first.comment_id, first.text) == ("555", "Ямы так и не засыпали")
    assert reply.comment_id.startswith("h") and (reply.text, reply.reply_to) == ("У нас то же самое", "555")


def test_one_id_on_two_comments_keeps_both_and_a_comment_shown_twice_once() -> None:
    html = (
        comment(101, "Ямы так и не засыпали")
        + comment(101, "Другой текст под тем же номером", author="Берик")
        + comment(101, "Ямы так и не засыпали")  # a pinned copy of the first
        + comment(102, "Отвечаю сам себе").replace(
            'id="comment-102"', 'id="comment-102" data-parent-id="102"'
        )
    )
    comments, _ = extract_comments(f"<ol>{html}</ol>", f"{BASE}{FIRST}", now=NOW)
    assert [c.text for c in comments] == [
        "Ямы так и не засыпали",
        "Другой текст под тем же номером",
        "Отвечаю сам себе",
    ]
    assert comments[0].comment_id == "101" and comments[1].comment_id.startswith("h")
    assert comments[2].reply_to is None


def test_extract_cli_refuses_a_file_over_the_page_cap_in_one_line(tmp_path: Path) -> None:
    saved = tmp_path / "huge.html"
    with saved.open("w", encoding="utf-8") as out:  # one paragraph, as a broken template might print
        out.write(page(TITLE, body="<p>" + "Ямы. " * (DEFAULT_MAX_BYTES // 8)))
    done = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "extract", str(saved)], capture_output=True, text=True
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and f"over the {DEFAULT_MAX_BYTES:,}-byte cap" in done.stderr


# -- a page without article text -------------------------------------------------------------------


def test_an_article_whose_text_scripts_bring_is_stored_by_its_title_and_said(
    httpserver: HTTPServer, site: Site
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a><a href="{SECOND}">2</a>')
    site.html(
        FIRST,
        f'<html><head><title>{TITLE}</title><meta property="og:title" content="{TITLE}"></head>'
        '<body><div id="app"></div><script src="/static/app.js"></script></body></html>',
    )
    site.html(SECOND, page("Автобус №12 изменил маршрут"))
    state: dict[str, Any] = {}
    items = run(httpserver, state)
    assert [(i.title, i.text) for i in items if i.external_id == httpserver.url_for(FIRST)] == [(TITLE, "")]
    assert len(items) == 2
    assert state["_errors"] == [
        f"{httpserver.url_for(FIRST)}: no article text on the page, only its title; "
        "its scripts may bring it (render = true)"
    ]
    # Rechecked later for comments (its title changed, so the page counts as changed): said once only.
    ctype, body = site.pages[FIRST]
    site.html(FIRST, body.decode("utf-8").replace(TITLE, TITLE + " (видео)"), ctype)
    state.pop("_errors", None)
    again = run(httpserver, state, now=NOW + timedelta(hours=2))
    assert [i.title for i in again if i.external_id == httpserver.url_for(FIRST)] == [TITLE + " (видео)"]
    assert not state.get("_errors")


# -- pages that would take minutes -----------------------------------------------------------------


def test_trafilaturas_quadratic_fallbacks_are_skipped_under_thousands_of_comments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # justext compares each short block with its neighbours: 60,000 comments (10 MB) took half an hour
    called: list[str] = []
    for name in ("justext_rescue", "compare_extraction"):
        real = getattr(trafilatura.core, name)
        monkeypatch.setattr(
            trafilatura.core,
            name,
            lambda *a, _real=real, _name=name, **k: called.append(_name) or _real(*a, **k),
        )
    thread = "".join(comment(100 + n, f"Комментарий читателя номер {n}") for n in range(MAX_FALLBACK_BLOCKS))
    article = extract_article(
        page(TITLE, extra=f'<ol class="comments">{thread}</ol>'), f"{BASE}{FIRST}", now=NOW
    )
    assert called == []
    assert article.text.startswith("Жители дома номер 1 по улице Абая")
    assert "Комментарий читателя" not in article.text
    assert len(article.comments) == 2000  # MAX_COMMENTS
    extract_article(page(TITLE), f"{BASE}{FIRST}", now=NOW)  # an everyday page keeps the fallbacks
    assert called != []


def test_a_thread_nested_deeper_than_browsers_read_is_refused() -> None:
    # each reply inside the one before: telling each comment's parts from its replies' takes time by
    # the square of the thread; browsers read no deeper than MAX_DEPTH either
    replies = "".join(
        f'<div class="comment" id="comment-{100 + n}"><p class="text">Ответ {n}</p>' for n in range(MAX_DEPTH)
    )
    with pytest.raises(ParseError, match=f"nested more than {MAX_DEPTH} elements deep"):
        extract_article(page(TITLE, extra=replies), f"{BASE}{FIRST}", now=NOW)


def test_a_utf8_listing_that_declares_cp1251_still_shows_its_next_page(
    httpserver: HTTPServer, site: Site
) -> None:
    # the next page is named only by its link's word, which a cp1251 reading would make mojibake
    listing = '<html><head><meta charset="windows-1251"></head><body>{}<a href="/news/?page=2">Следующая</a></body></html>'
    site.html("/news/", listing.format(f'<a href="{FIRST}">1</a>'), ctype="text/html")
    site.html("/news/?page=2", listing.format(f'<a href="{SECOND}">2</a>'), ctype="text/html")
    site.html(FIRST, page(TITLE))
    site.html(SECOND, page("Автобус №12 изменил маршрут"))
    items = run(httpserver, {})
    assert sorted(i.external_id for i in items) == sorted(httpserver.url_for(p) for p in (FIRST, SECOND))


def test_a_comment_pager_that_repeats_the_same_comments_is_left_after_one_page(
    httpserver: HTTPServer, site: Site
) -> None:
    # the site ignores ?cpage=: every "next" page shows page 1 again, with a link to one more
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    thread = f'<ol class="comments">{comment(101, "Ямы так и не засыпали")}</ol>'
    for n in range(1, 12):
        key = FIRST if n == 1 else f"{FIRST}?cpage={n}"
        site.html(
            key, page(TITLE, extra=f'{thread}<a class="comments-next" href="{FIRST}?cpage={n + 1}">»</a>')
        )
    state: dict[str, Any] = {}
    items = run(httpserver, state)
    article = httpserver.url_for(FIRST)
    assert sorted(i.external_id for i in items) == [article, f"{article}#c101"]
    assert [h for h in site.hits if h.startswith(FIRST)] == [FIRST, f"{FIRST}?cpage=2"]  # not ten pages
    assert state["articles"][article]["comment_pages"] == []


# -- a canonical URL that names no article -----------------------------------------------------------


@pytest.mark.parametrize("canonical", ["/", "/news/"], ids=["home-page", "section"])
def test_articles_that_all_name_one_page_canonical_stay_apart(
    httpserver: HTTPServer, site: Site, canonical: str
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a><a href="{SECOND}">2</a>')
    head = f'<link rel="canonical" href="{canonical}">'
    site.html(
        FIRST,
        page(TITLE, head=head, extra=f'<ol class="comments">{comment(11, "Ямы так и не засыпали")}</ol>'),
    )
    site.html(
        SECOND, page("Автобус №12", head=head, extra=f'<ol class="comments">{comment(11, "Реже ходит")}</ol>')
    )
    items = run(httpserver, {})
    first, second = httpserver.url_for(FIRST), httpserver.url_for(SECOND)
    assert sorted(i.external_id for i in items) == sorted([first, f"{first}#c11", second, f"{second}#c11"])


def test_an_article_canonical_still_names_the_article(httpserver: HTTPServer, site: Site) -> None:
    amp = FIRST.replace("/news/", "/amp/news/")
    site.html("/news/", f'<a href="{amp}">1</a>')
    site.html(amp, page(TITLE, head=f'<link rel="canonical" href="{FIRST}">'))
    (article,) = run(httpserver, {})
    assert article.external_id == httpserver.url_for(FIRST)


@pytest.mark.parametrize(
    ("page", "canonical", "expected"),
    [
        ("/news/12345-yamy-na-doroge/amp/", "/news/12345-yamy-na-doroge/", "canonical"),  # its AMP page
        ("/news/12345-yamy-na-doroge/print", "/news/12345-yamy-na-doroge", "canonical"),
        ("/news/12345-yamy-na-doroge/2/", "/news/12345-yamy-na-doroge/", "canonical"),  # its second page
        ("/news/12345-yamy-na-doroge/", "/news/", "page"),  # a section
        ("/news/12345-yamy-na-doroge/", "/", "page"),  # the home page
        ("/amp/news/12345-yamy/", "/news/12345-yamy/", "canonical"),  # not above the page: taken
    ],
)
def test_a_canonical_above_the_page_counts_when_it_names_an_article(
    page: str, canonical: str, expected: str
) -> None:
    article = Article(
        url=BASE + page, title=TITLE, published_at=None, author=None, text="…", canonical_url=BASE + canonical
    )
    assert article_id_of(article, BASE + page) == BASE + (canonical if expected == "canonical" else page)


def test_a_session_id_in_every_link_does_not_make_the_articles_new_on_every_run(
    httpserver: HTTPServer, site: Site
) -> None:
    site.html(FIRST, page(TITLE))  # no canonical URL
    state: dict[str, Any] = {}
    found = []
    for session in ("3f2a9c", "77b01e"):  # a new session on every visit
        site.html("/news/", f'<a href="{FIRST}?PHPSESSID={session}">1</a>')
        site.html(f"{FIRST}?PHPSESSID={session}", page(TITLE))
        found.append([i.external_id for i in run(httpserver, state)])
    assert found == [[httpserver.url_for(FIRST)], []]
