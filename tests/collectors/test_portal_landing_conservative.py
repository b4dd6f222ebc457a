"""What the rules of where a redirect ended (test_portal_landing) must keep, second review of commit
a211e2f: the home page (or a listing, or an article) sent to its own page under another address
(https, www, ``/index.php``, ``/?lang=ru``, ``/ru/main/``) is that page, whatever sign-in box it holds;
a sign-in box hidden by the site's stylesheet, with its own <h1>Вход</h1>, makes no login page of a
page titled by the site's name; a page that says it is an article is never refused for the site's
menus or the words of its path; only a path that is just a page's name (``/about/``, ``/tag/<one
part>/``) refuses a page, not one under ``/authors/``, ``/reklama/`` or ``/user/`` with a slug after;
and a headline that holds a page of error's words among others is news. Pages are written for the test
and served by a local server (portalkit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from portalkit import (
    ARTICLE,
    FIRST,
    FOOTER,
    LOGIN_FORM,
    NAV,
    NOW,
    ODD,
    SECOND,
    TITLE,
    Site,
    article,
    page,
    run,
    teasers,
)
from pytest_httpserver import HTTPServer

from collectors.extract import extract_article
from collectors.http import Response
from collectors.portal_ids import landed_elsewhere, listing_login_page, login_page, same_page
from collectors.portal_landing import asks_to_log_in, menus_link, says_it_is_an_article

SITE = "https://vestnik.example"
HTML = {"Content-Type": "text/html; charset=utf-8"}

# -- the home page sent to its own page ---------------------------------------------------------------

# a sign-in box on every page, hidden by the site's stylesheet (no inline style), with its own <h1>
BOX = f'<div class="auth-box" id="auth"><h1>Вход</h1>{LOGIN_FORM}</div>'
# a home page titled by the site's name: its slogan cut off the title leaves the name only
SLOGAN = '<title>Вестник — новости Павлодара</title><meta property="og:site_name" content="Вестник">'
NAME_ONLY = '<title>Вестник</title><meta property="og:title" content="Вестник"><meta property="og:site_name" content="Вестник">'


def home(body: str, head: str = SLOGAN) -> str:
    """The site's home page, titled by its name, the sign-in box before its content."""
    return (
        f'<!doctype html><html lang="ru"><head><meta charset="utf-8">{head}</head>'
        f"<body>{NAV}{BOX}<main>{body}</main>{FOOTER}</body></html>"
    )


@pytest.mark.parametrize(
    "asked, final",
    [
        ("http://vestnik.example/", "https://vestnik.example/"),
        ("https://vestnik.example/", "https://www.vestnik.example/"),
        ("https://vestnik.example/index.php", "https://vestnik.example/"),
        ("https://vestnik.example/", "https://vestnik.example/index.php"),
        ("https://vestnik.example/", "https://vestnik.example/?lang=ru"),
        ("https://vestnik.example/", "https://vestnik.example/ru/main/"),
    ],
)
@pytest.mark.parametrize("head", [SLOGAN, NAME_ONLY], ids=["title-with-slogan", "og-title-the-name"])
def test_the_home_page_sent_to_its_own_page_is_no_login_page(asked: str, final: str, head: str) -> None:
    # review: the box's «Вход» was read as the page's headline, and the sole listing failed every run
    resp = Response(final, 200, HTML, home(teasers(1, 2, 3, 4), head).encode())
    assert not listing_login_page(asked, resp, None)
    assert not login_page(asked, resp, None)


@pytest.mark.parametrize("target", ["/?lang=ru", "/index.php", "/ru/main/"])
def test_the_home_page_titled_by_the_sites_name_moved_is_read(
    httpserver: HTTPServer, site: Site, target: str
) -> None:
    site.html("/", home(f'<a href="{FIRST}">1</a>'))
    site.html(FIRST, article())
    site.html(SECOND, article("Автобус №12 изменил маршрут"))
    state: dict[str, Any] = {}
    start = {"start_urls": [httpserver.url_for("/")]}
    run(httpserver, state, **start)
    site.moved["/"] = target
    site.html(target, home(f'<a href="{FIRST}">1</a><a href="{SECOND}">2</a>'))
    items = run(httpserver, state, NOW + timedelta(hours=2), **start)
    assert "Автобус №12 изменил маршрут" in [i.title for i in items]  # the listing's new article
    assert state["_errors"] == []


@pytest.mark.parametrize(
    "url, final, same",
    [
        ("http://vestnik.example/", "https://www.vestnik.example/", True),
        ("https://vestnik.example/news", "https://vestnik.example/news/", True),
        ("https://vestnik.example/news/", "https://vestnik.example/ru/news/index.html", True),
        ("https://vestnik.example/", "https://vestnik.example/kk-kz/", True),
        ("https://vestnik.example/", "https://vestnik.example/?lang=kk", True),
        ("https://vestnik.example/index.php", "https://vestnik.example/ru/home", True),
        # a query, a page or a language of the site's that is another page (``/?r=enter``, a login page
        # at the home page's path: test_portal_landing)
        ("https://vestnik.example/", "https://vestnik.example/?r=enter", False),
        ("https://vestnik.example/", "https://vestnik.example/lk/", False),
        ("https://vestnik.example/kz/", "https://vestnik.example/ru/", False),
        ("https://vestnik.example/news/", "https://vestnik.example/news/?tag=auth", False),
        ("https://vestnik.example/", "https://other.example/", False),
    ],
)
def test_which_address_is_the_page_asked_for(url: str, final: str, same: bool) -> None:
    assert same_page(url, final) is same


# -- a login page by a headline the page does not declare ----------------------------------------------

ARTICLE_WITH_BOX = (
    '<html><head><title>Вестник | Ямы на Абая</title><meta property="og:site_name" content="Вестник"></head>'
    f"<body>{NAV}{BOX}<main><article><h1>Ямы на Абая</h1>{ARTICLE}</article></main>{FOOTER}</body></html>"
)


@pytest.mark.parametrize(
    "url, target",
    [
        ("http://vestnik.example" + ODD, SITE + ODD),  # the article's own page, https
        (SITE + "/news/5501", SITE + ODD),  # the article moved to a short slug
    ],
)
def test_an_article_on_a_site_with_a_sign_in_box_is_no_login_page(url: str, target: str) -> None:
    resp = Response(target, 200, HTML, ARTICLE_WITH_BOX.encode())
    assert not login_page(url, resp, None)


@pytest.mark.parametrize(
    "html, login",
    [
        (home(teasers(1, 2, 3, 4)), False),  # the box's <h1> and form beside the content, 4 articles
        (home(teasers(1)), True),  # ... beside a page that links one article at most
        (ARTICLE_WITH_BOX, False),  # the content's own <h1> is the headline
        (home(teasers(1)).replace("<head>", '<head><meta property="og:type" content="article">'), False),
        # a login page titled by the site's name: its <h1> and form in its content, whatever it links
        (home("<h1>Вход</h1>" + LOGIN_FORM + teasers(1, 2, 3)), True),
    ],
)
def test_which_page_titled_by_the_sites_name_asks_to_log_in(html: str, login: bool) -> None:
    assert asks_to_log_in(html, SITE + "/vhod/") is login


def test_a_live_article_moved_to_a_short_slug_on_a_site_with_a_sign_in_box_is_stored(
    httpserver: HTTPServer, site: Site
) -> None:
    # every page holds a sign-in box in a <div> (no header's, no modal's): the page's password field
    # made a login page of the article's new address, and it was taken down
    chrome = {"before": NAV + f'<div class="auth">{LOGIN_FORM}</div>'}
    site.html("/lenta/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, article(**chrome))
    state: dict[str, Any] = {}
    listing = {"start_urls": [httpserver.url_for("/lenta/")]}
    first = httpserver.url_for(FIRST)
    run(httpserver, state, **listing)
    site.moved[FIRST] = ODD
    site.html(
        ODD, article(**chrome).replace("<main>", "<main><article>").replace("</main>", "</article></main>")
    )
    (again,) = run(httpserver, state, NOW + timedelta(hours=2), **listing)
    assert again.external_id == first and state["_errors"] == [] and "gone" not in state["articles"][first]


# -- a page that says it is an article ------------------------------------------------------------------

SHORT = "Землетрясение в Алматы"
SLUG = "/zemletryasenie"
TICKER = NAV.replace(
    "</header>",
    f'<div class="news-ticker"><ul><li><a href="{SLUG}">{SHORT}</a></li>'
    '<li><a href="/kurs">Курс тенге вырос</a></li></ul></div></header>',
)


def test_a_live_article_in_the_headers_ticker_moved_to_a_short_slug_is_stored(
    httpserver: HTTPServer, site: Site
) -> None:
    # review: its short headline in the ticker was read as a section's label in the site's menu
    site.html("/lenta/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, article(SHORT))
    state: dict[str, Any] = {}
    listing = {"start_urls": [httpserver.url_for("/lenta/")]}
    first = httpserver.url_for(FIRST)
    run(httpserver, state, **listing)
    site.moved[FIRST] = SLUG
    site.html(SLUG, article(SHORT, before=TICKER).replace("у подъездов", "во дворах"))
    (again,) = run(httpserver, state, NOW + timedelta(hours=2), **listing)
    assert again.external_id == first and "во дворах" in again.text
    assert state["_errors"] == [] and "gone" not in state["articles"][first]


ARTICLE_SIGNS = {
    "og-type": '<meta property="og:type" content="article">',
    "published-time": '<meta property="article:published_time" content="2026-11-25T10:00:00+05:00">',
    "json-ld": '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Ямы"}</script>',
}
# a short story pinned in the menu's list, named like none of the boxes that link articles
PINNED = NAV.replace("</ul></nav>", f'<li><a href="{SLUG}">{SHORT}</a></li></ul></nav>')


@pytest.mark.parametrize("sign", ARTICLE_SIGNS.values(), ids=ARTICLE_SIGNS.keys())
def test_a_page_that_says_it_is_an_article_is_no_section_nor_a_sites_page(sign: str) -> None:
    html = article(SHORT, before=PINNED, head=sign)
    found = extract_article(html, SITE + SLUG, now=NOW)
    assert says_it_is_an_article(html)
    assert landed_elsewhere(SITE + FIRST, SITE + SLUG, found, html, None) is None
    # at an address that is only a page's name too
    assert landed_elsewhere(SITE + FIRST, SITE + "/tag/yamy/", found, html, None) is None


def test_a_page_with_its_headline_in_an_article_says_it_is_one() -> None:
    html = page(SHORT, f"<article><h1>{SHORT}</h1>{ARTICLE}</article>", before=PINNED)
    found = extract_article(html, SITE + SLUG, now=NOW)
    assert landed_elsewhere(SITE + FIRST, SITE + SLUG, found, html, None) is None
    assert not says_it_is_an_article(article(SHORT, before=PINNED))  # none of the signs: a section
    assert menus_link(article(SHORT, before=PINNED), SITE + SLUG, SHORT)


@pytest.mark.parametrize(
    "before, section",
    [
        (TICKER, False),  # a list in the header outside its <nav>, not named a menu
        (
            NAV.replace(
                "</header>", f'<ul class="top-menu"><li><a href="{SLUG}">{SHORT}</a></li></ul></header>'
            ),
            True,
        ),
        (
            NAV.replace(
                "</header>",
                f'<div class="breaking"><ul><li><a href="{SLUG}">{SHORT}</a></li></ul></div></header>',
            ),
            False,
        ),
        (PINNED.replace("<nav>", '<nav class="lenta">'), False),
    ],
)
def test_which_list_of_the_header_is_a_menu(before: str, section: bool) -> None:
    html = page(SHORT, f"<h1>{SHORT}</h1>" + teasers(1, 2), before=before)
    assert menus_link(html, SITE + SLUG, SHORT) is section


# -- the words of a path -----------------------------------------------------------------------------

COLUMNS = [
    "/authors/ivanov/zhiteli-zhaluyutsya-na-yamy",
    "/reklama/kak-vybrat-kvartiru-v-almaty",
    "/rubric/society/zhiteli-zhaluyutsya-na-yamy",
    "/user/ivanov/blog/zhiteli-zhaluyutsya-na-yamy",
]


@pytest.mark.parametrize("target", COLUMNS)
def test_a_live_article_moved_under_a_word_discovery_skips_is_stored(
    httpserver: HTTPServer, site: Site, target: str
) -> None:
    # review: any path holding «authors», «reklama», «rubric», «user»... was taken for the site's page
    site.html("/lenta/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, article())
    state: dict[str, Any] = {}
    listing = {"start_urls": [httpserver.url_for("/lenta/")]}
    first = httpserver.url_for(FIRST)
    run(httpserver, state, **listing)
    site.moved[FIRST] = target
    site.html(target, article().replace("у подъездов", "во дворах"))
    (again,) = run(httpserver, state, NOW + timedelta(hours=2), **listing)
    assert (again.external_id, again.title) == (first, TITLE) and "во дворах" in again.text
    assert state["_errors"] == [] and "gone" not in state["articles"][first]


@pytest.mark.parametrize(
    "target, name",
    [
        ("/about/", "about"),
        ("/ru/contacts.html", "contacts"),
        ("/search?q=yamy", "search"),
        ("/reklama/", "reklama"),
        ("/tag/yamy/", "tag"),
        ("/category/politics/", "category"),
        ("/author/ivanov/", "author"),
        *((target, None) for target in COLUMNS),
        ("/page/yamy-abaya", None),
        ("/static/yamy-abaya.html", None),
        ("/profile/ivanov/yamy-abaya", None),
        ("/tag/yamy/page/2/", None),
    ],
)
def test_which_path_is_only_a_pages_name(target: str, name: str | None) -> None:
    html = page("Ямы на Абая", "<h1>Ямы на Абая</h1>" + ARTICLE)
    found = extract_article(html, SITE + target, now=NOW)
    why = landed_elsewhere(SITE + FIRST, SITE + target, found, html, None)
    assert why == (f"the site's '{name}' page, not an article" if name else None)


# -- a page of error's words in a headline --------------------------------------------------------------


@pytest.mark.parametrize(
    "target, headline, away",
    [
        ("/oshibka-egov", "Ошибка 404 — почему не работает eGov", False),
        ("/oshibka-egov", "Ошибка 404! Сайт акимата недоступен", False),
        ("/nichego/", "Упс! Страница не найдена", True),
        ("/nichego/", "Ошибка 404", True),
        # at an address that names a page of error, a part of the headline tells it
        ("/404.html", "Ошибка 404 — почему не работает eGov", True),
    ],
)
def test_a_headline_with_an_errors_words_among_others_is_news(target: str, headline: str, away: bool) -> None:
    html = article(headline)
    found = extract_article(html, SITE + target, now=NOW)
    assert (landed_elsewhere(SITE + FIRST, SITE + target, found, html, None) is not None) is away
