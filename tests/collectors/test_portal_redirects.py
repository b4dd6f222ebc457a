"""The portal collector when a site retires a page by a redirect: a listing sent to a login page (the
site put its news list behind a login) is an error of that listing, not a listing with nothing new;
an article sent to the site's home page or to a section is taken down, as one that answers 404, not
a new version of the article holding the home page's text. Pages are written for the test and served
by a local server (portalkit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from portalkit import FIRST, NOW, SECOND, Site, run
from pytest_httpserver import HTTPServer

from collectors.http import Response
from collectors.portal_ids import listing_login_page, sent_away
from errors import MonitorError

TITLE = "Жители жалуются на ямы после ремонта"
ARTICLE = "".join(
    f"<p>Жители дома номер {n} по улице Абая жалуются на ямы у подъездов после ремонта теплотрассы.</p>"
    for n in range(1, 6)
)
LOGIN_FORM = (
    '<form method="post" action="/user/login"><input name="name"><input type="password" name="pass">'
    "<button>Войти</button></form>"
)
# the home page and a section: what a site shows the reader of an article it retired
HOME = (
    '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Вестник: новости города</title>'
    "</head><body><h1>Главные новости</h1><p>Вестник рассказывает о жизни города каждый день, "
    "с утра до вечера, о том, что волнует его жителей.</p>"
    f'<ul><li><a href="{SECOND}">Автобус №12 изменил маршрут</a></li></ul></body></html>'
)


def page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>{title} | Вестник</title>'
        f'</head><body><h1>{title}</h1><div class="date">25.11.2026 10:00</div>{body}</body></html>'
    )


LOGIN_PAGE = page("Вход", "<p>Войдите, чтобы читать новости Вестника.</p>" + LOGIN_FORM)
# where a site sends a guest who asks for its news list: by the address, or a password field on it
LISTING_LOGINS = {
    "user-login-next": "/user/login?next=/news/",
    "joomla": "/index.php?option=com_users&view=login",
    "paywall-with-password-field": "/subscribe?from=news",
}


# -- a listing sent to a login page ------------------------------------------------------------------


@pytest.mark.parametrize("keep_validators", [False, True], ids=["no-validators", "validators"])
@pytest.mark.parametrize("target", LISTING_LOGINS.values(), ids=LISTING_LOGINS.keys())
def test_a_listing_sent_to_a_login_page_is_its_error_and_the_rest_goes_on(
    httpserver: HTTPServer, site: Site, target: str, keep_validators: bool
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    site.html("/lenta/", "<p>Лента</p>")
    site.html(FIRST, page(TITLE, ARTICLE))
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] | None = {} if keep_validators else None
    listings = {"start_urls": [httpserver.url_for("/news/"), httpserver.url_for("/lenta/")]}
    (stored,) = run(httpserver, state, validators=validators, **listings)
    # The news list goes behind a login; the other listing shows a new article
    site.moved["/news/"] = target
    site.html(target, LOGIN_PAGE)
    site.html("/lenta/", f'<a href="{SECOND}">2</a>')
    site.html(SECOND, page("Автобус №12 изменил маршрут", ARTICLE))
    news, login = httpserver.url_for("/news/"), httpserver.url_for(target)
    # each run, not only the first: the login page is the same page as the time before, not "unchanged"
    for hours in (2, 4):
        site.hits.clear()
        items = run(httpserver, state, NOW + timedelta(hours=hours), validators, **listings)
        assert state["_errors"] == [f"{news}: redirected to a login page, {login}: not public"]
        assert FIRST in site.hits and SECOND in site.hits  # the known article is rechecked all the same
        if hours == 2:
            assert [i.external_id for i in items if i.title != TITLE] == [httpserver.url_for(SECOND)]
    assert state["articles"][stored.external_id]["id"] == stored.external_id


@pytest.mark.parametrize("keep_validators", [False, True], ids=["no-validators", "validators"])
def test_the_only_listing_sent_to_a_login_page_fails_the_run_every_time(
    httpserver: HTTPServer, site: Site, keep_validators: bool
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, page(TITLE, ARTICLE))
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] | None = {} if keep_validators else None
    run(httpserver, state, validators=validators)
    site.moved["/news/"] = "/user/login?next=/news/"
    site.html("/user/login?next=/news/", LOGIN_PAGE)
    for hours in (2, 4):  # as any listing that cannot be read: the site's news list is gone
        with pytest.raises(MonitorError, match="redirected to a login page") as failure:
            run(httpserver, state, NOW + timedelta(hours=hours), validators)
        assert failure.value.url == httpserver.url_for("/news/")


# -- an article sent to the home page or a section ---------------------------------------------------

TARGETS = {"home-page": "/", "section": "/news/", "home-page-with-query": "/?from=5501"}


@pytest.mark.parametrize("keep_validators", [False, True], ids=["no-validators", "validators"])
@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_a_known_article_sent_to_the_home_page_or_a_section_is_gone_and_keeps_its_text(
    httpserver: HTTPServer, site: Site, target: str, keep_validators: bool
) -> None:
    site.html("/lenta/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, page(TITLE, ARTICLE))
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] | None = {} if keep_validators else None
    listing = {"start_urls": [httpserver.url_for("/lenta/")]}
    first = httpserver.url_for(FIRST)
    (stored,) = run(httpserver, state, validators=validators, **listing)
    assert (stored.external_id, stored.title) == (first, TITLE)
    site.moved[FIRST] = target
    site.html(target, HOME)
    # No new version of the article with the home page's text, and no error of the run: it counts
    # towards the article being taken down, as a 404 does (the second time the home page is the same
    # page as the time before: still gone, not "unchanged")
    for hours, gone in ((2, 1), (26, 2)):
        site.hits.clear()
        assert run(httpserver, state, NOW + timedelta(hours=hours), validators, **listing) == []
        assert FIRST in site.hits and state["_errors"] == []
        assert state["articles"][first]["gone"] == gone and state["articles"][first]["id"] == first
    site.hits.clear()
    assert run(httpserver, state, NOW + timedelta(hours=60), validators, **listing) == []
    assert FIRST not in site.hits  # taken down: not asked for again


@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_a_new_article_sent_to_the_home_page_or_a_section_is_one_error_naming_where(
    httpserver: HTTPServer, site: Site, target: str
) -> None:
    site.html("/lenta/", f'<a href="{FIRST}">1</a><a href="{SECOND}">2</a>')
    site.moved[FIRST] = target
    site.html(target, HOME)
    site.html(SECOND, page("Автобус №12 изменил маршрут", ARTICLE))
    state: dict[str, Any] = {}
    items = run(httpserver, state, start_urls=[httpserver.url_for("/lenta/")])
    first, there = httpserver.url_for(FIRST), httpserver.url_for(target)
    assert [i.external_id for i in items] == [httpserver.url_for(SECOND)]
    assert state["_errors"] == [
        f"{first}: redirected to {there}, the site's home page or a section, not an article: taken down?"
    ]
    assert state["articles"][first]["id"] is None  # retried by the recheck policy, not every run


def test_a_new_article_sent_to_a_listing_of_the_source_is_one_error(
    httpserver: HTTPServer, site: Site
) -> None:
    # the listing the article was found on is no section above its path (/lenta/ for /news/...)
    site.html("/lenta/", f'<a href="{FIRST}">1</a>')
    site.moved[FIRST] = "/lenta/"
    state: dict[str, Any] = {}
    assert run(httpserver, state, start_urls=[httpserver.url_for("/lenta/")]) == []
    assert state["_errors"] == [
        f"{httpserver.url_for(FIRST)}: redirected to {httpserver.url_for('/lenta/')}, "
        "the site's home page or a section, not an article: taken down?"
    ]


# -- the judgements themselves -----------------------------------------------------------------------

SITE = "https://vestnik.example"


@pytest.mark.parametrize(
    "listing, target, password, login",
    [
        ("/news/", "/user/login?next=/news/", False, True),
        ("/news/", "/subscribe?from=news", True, True),  # a paywall: a password field
        ("/", "/login", False, True),
        ("/index.php", "/index.php?option=com_users&view=login", False, True),
        # the listing's own path with a language prefix, a slash, a query or a section: a listing
        ("/news/", "/ru/news/", True, False),
        ("/news", "/news/", True, False),
        ("/news/", "/news/?tag=auth", False, False),
        ("/news/", "/news/category/auth/", False, False),
        ("/", "/ru/", True, False),
        ("/novosti.html", "/ru/novosti.php", True, False),
        ("/news/", "/news/2026/11/25/kak-vosstanovit-login-5501.html", False, False),  # an article's URL
    ],
)
def test_which_redirect_of_a_listing_is_a_login_page(
    listing: str, target: str, password: bool, login: bool
) -> None:
    body = page("Вход", LOGIN_FORM if password else "<p>Войдите.</p>").encode()
    resp = Response(SITE + target, 200, {"Content-Type": "text/html; charset=utf-8"}, body)
    assert listing_login_page(SITE + listing, resp, None) is login


@pytest.mark.parametrize(
    "listing, target", [("/kz/", "/ru/"), ("/novosti/", "/ru/news/"), ("/news/", "/kz/zhanalyktar/")]
)
def test_a_listing_moved_on_a_site_with_a_sign_in_box_in_its_header_is_no_login_page(
    listing: str, target: str
) -> None:
    # the page it moved to links articles: its password field is the header's (review: the listing
    # was refused, and a sole listing failed the run every time)
    links = f'<a href="{FIRST}">Жители жалуются на ямы</a><a href="{SECOND}">Автобус изменил маршрут</a>'
    body = page("Новости", LOGIN_FORM + links).encode()
    resp = Response(SITE + target, 200, {"Content-Type": "text/html; charset=utf-8"}, body)
    assert listing_login_page(SITE + listing, resp, None) is False
    bare = page("Вход", LOGIN_FORM).encode()  # the same redirect to a page of a login form only
    assert listing_login_page(SITE + listing, Response(SITE + target, 200, resp.headers, bare), None) is True


def test_a_login_page_that_links_an_article_in_its_header_is_still_a_login_page() -> None:
    # a paywall without a login word in its URL whose header links the day's top story (review: taken
    # for a listing of nothing, the run looked ok with nothing new)
    header = f'<header><a href="{FIRST}">Главная новость дня</a><a href="{SECOND}">Ещё</a></header>'
    body = page("Подписка", header + LOGIN_FORM + "<p>Доступ только для подписчиков.</p>").encode()
    resp = Response(SITE + "/subscribe/", 200, {"Content-Type": "text/html; charset=utf-8"}, body)
    assert listing_login_page(SITE + "/news/", resp, None) is True


@pytest.mark.parametrize(
    "url, target, away",
    [
        (FIRST, "/", True),
        (FIRST, "/?from=5501", True),
        (FIRST, "/news/", True),
        (FIRST, "/lenta/", True),  # a listing of the source
        # neither above the article nor a listing: it may be the article at a URL that looks like
        # none (portal_ids.visit_id gives it the URL it was asked for as its id)
        (FIRST, "/politics/", False),
        ("/news/5501", "/news/5501-zhiteli-zhaluyutsya-na-yamy", False),  # the article, given its slug
        ("/news/5501", "/news/5501/", False),
        (FIRST, SECOND, False),  # another article: moved (portal.py's docstring)
        ("/news/5501-slug/amp/", "/news/5501-slug/", False),
        ("/?p=5501", "/obshestvo/snegopad/", False),  # a shortlink
        (FIRST, FIRST, False),
        # the article by its number under the section's URL (review: taken for the section)
        ("/news/5501", "/news/?id=5501", False),
        ("/news/5501-slug", "/news/?news_id=5501", False),
        ("/news/12/slug", "/news/12", False),
        ("/news/5501", "/?p=5501", False),
    ],
)
def test_which_redirect_of_an_article_sends_it_away(url: str, target: str, away: bool) -> None:
    assert sent_away(SITE + url, SITE + target, None, {SITE + "/lenta/"}) is away


@pytest.mark.parametrize(
    "listing", ["/news/?SECTION_ID=105", "/index.php?option=com_content&view=category&id=123", "/rubric/15"]
)
def test_an_article_sent_to_a_listing_of_the_source_named_by_number_is_sent_away(listing: str) -> None:
    # a listing the run reads, though its URL names a number (review: its text was stored as the article's)
    assert sent_away(SITE + FIRST, SITE + listing, None, {SITE + listing}) is True


def test_an_article_sent_to_another_site_is_not_judged_sent_away() -> None:
    # the collector's own check says it: redirected off the site
    assert not sent_away(SITE + FIRST, "https://other.example/", None, set())
