"""The portal collector when an article's URL redirects to a login page (a paywall, an article closed
to guests): a known article counts as gone, as one that answers 404, and keeps its stored text; a new
one is one error. Pages are written for the test and served by a local server (portalkit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from portalkit import FIRST, NOW, SECOND, Site, run
from pytest_httpserver import HTTPServer

TITLE = "Жители жалуются на ямы после ремонта"
ARTICLE = "".join(
    f"<p>Жители дома номер {n} по улице Абая жалуются на ямы у подъездов после ремонта теплотрассы.</p>"
    for n in range(1, 6)
)
LOGIN_FORM = (
    '<form method="post" action="/user/login"><input name="name"><input type="password" name="pass">'
    "<button>Войти</button></form>"
)
# a login modal in the header of every page of the site, articles included
HEADER_LOGIN = f'<div class="modal" id="login-modal">{LOGIN_FORM}</div>'


def page(title: str, body: str, *, before: str = "") -> str:
    return (
        f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>{title} | Вестник</title>'
        f'</head><body>{before}<h1>{title}</h1><div class="date">25.11.2026 10:00</div>{body}</body></html>'
    )


LOGIN_PAGE = page("Вход", "<p>Войдите, чтобы читать статьи Вестника и писать комментарии.</p>" + LOGIN_FORM)
# where the site sends a guest, and whether the page there is needed to tell a login page (a password
# field on a page that is no article's), or its address is enough
TARGETS = {
    "user-login-next": f"/user/login?next={FIRST}",
    "login": "/login",
    "signin": "/accounts/sign-in/",
    "vhod": "/" + quote("вход"),
    "joomla": "/index.php?option=com_users&view=login",
    "paywall-with-password-field": "/subscribe?from=5501",
    "on-another-host": "{other}/auth/realms/vestnik?redirect_uri=5501",  # a single sign-on service
}


def serve_login(site: Site, httpserver: HTTPServer, target: str) -> str:
    """Send the reader of FIRST to ``target`` (``{other}``: the test server under another host name),
    a login page; its URL."""
    other = httpserver.url_for("/").rstrip("/").replace("localhost", "127.0.0.1")
    location = target.replace("{other}", other)
    site.moved[FIRST] = location
    parts = urlsplit(location)
    site.html(
        unquote(parts.path) + (f"?{parts.query}" if parts.query else ""), LOGIN_PAGE
    )  # as the server reads it
    return location if parts.netloc else httpserver.url_for(location)


@pytest.mark.parametrize("keep_validators", [False, True], ids=["no-validators", "validators"])
@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_a_known_article_sent_to_a_login_page_is_gone_and_keeps_its_text(
    httpserver: HTTPServer, site: Site, target: str, keep_validators: bool
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, page(TITLE, ARTICLE))
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] | None = {} if keep_validators else None
    first = httpserver.url_for(FIRST)
    (stored,) = run(httpserver, state, validators=validators)
    assert (stored.external_id, stored.title) == (first, TITLE)
    serve_login(site, httpserver, target)
    # The login page is not stored under the article's id, and it is no error of the run: it counts
    # towards the article being taken down, as a 404 does (the second time the login page is the same
    # page as the time before: still gone, not "unchanged")
    for hours, gone in ((2, 1), (26, 2)):
        site.hits.clear()
        assert run(httpserver, state, NOW + timedelta(hours=hours), validators) == []
        assert FIRST in site.hits and state["_errors"] == []
        assert state["articles"][first]["gone"] == gone and state["articles"][first]["id"] == first
    site.hits.clear()
    assert run(httpserver, state, NOW + timedelta(hours=60), validators) == []
    assert FIRST not in site.hits  # taken down: not asked for again


def test_a_known_article_back_from_a_login_page_is_watched_as_before(
    httpserver: HTTPServer, site: Site
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, page(TITLE, ARTICLE))
    state: dict[str, Any] = {}
    run(httpserver, state)
    serve_login(site, httpserver, "/login")
    run(httpserver, state, NOW + timedelta(hours=2))
    del site.moved[FIRST]
    (again,) = run(httpserver, state, NOW + timedelta(hours=4))
    assert again.title == TITLE and "gone" not in state["articles"][httpserver.url_for(FIRST)]


@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_a_new_article_sent_to_a_login_page_is_one_error_and_no_item(
    httpserver: HTTPServer, site: Site, target: str
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a><a href="{SECOND}">2</a>')
    login = serve_login(site, httpserver, target)
    site.html(SECOND, page("Автобус №12 изменил маршрут", ARTICLE))
    state: dict[str, Any] = {}
    items = run(httpserver, state)
    first = httpserver.url_for(FIRST)
    assert [i.external_id for i in items] == [httpserver.url_for(SECOND)]
    assert state["_errors"] == [f"{first}: redirected to a login page, {login}: not public"]
    assert state["articles"][first]["id"] is None  # retried by the recheck policy, not every run


@pytest.mark.parametrize(
    "target, before",
    [
        # an article about logins, at a URL with the word in it
        ("/news/2026/11/25/kak-vosstanovit-login-ot-egov-5501.html", ""),
        # the article's slug URL, on a site with a login form in every page's header
        ("/news/5501-zhiteli-zhaluyutsya-na-yamy", HEADER_LOGIN),
    ],
    ids=["login-in-a-slug", "slug-page-with-a-login-modal"],
)
def test_a_redirect_to_a_page_with_a_login_form_or_word_is_no_login_page(
    httpserver: HTTPServer, site: Site, target: str, before: str
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    site.moved[FIRST] = target
    site.html(target, page(TITLE, ARTICLE, before=before))
    state: dict[str, Any] = {}
    (article,) = run(httpserver, state)
    assert article.title == TITLE and article.text.startswith("Жители дома номер 1")
    assert state["_errors"] == []


def test_an_article_sent_to_the_home_page_with_a_login_modal_is_retired_not_behind_a_login(
    httpserver: HTTPServer, site: Site
) -> None:
    # where a site sends the reader of a removed article: the home page, with that header; not stored
    # under the article's id (test_portal_redirects), and not said to be a login page
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    site.moved[FIRST] = "/"
    site.html("/", page("Вестник", ARTICLE, before=HEADER_LOGIN))
    state: dict[str, Any] = {}
    assert run(httpserver, state) == []
    assert state["_errors"] == [
        f"{httpserver.url_for(FIRST)}: redirected to {httpserver.url_for('/')}, the site's home page or a "
        "section, not an article: taken down?"
    ]


def test_a_listing_that_adds_a_slash_is_no_login_page_for_its_login_form(
    httpserver: HTTPServer, site: Site
) -> None:
    # /news redirects to /news/, a page with a password field in its header: the listing it was
    site.moved["/news"] = "/news/"
    site.html("/news/", f'{HEADER_LOGIN}<a href="{FIRST}">1</a>')
    site.html(FIRST, page(TITLE, ARTICLE))
    state: dict[str, Any] = {}
    (article,) = run(httpserver, state, start_urls=[httpserver.url_for("/news")])
    assert article.title == TITLE and state["_errors"] == []


def test_a_listing_sent_to_a_language_prefix_is_read_whatever_its_header_holds(
    httpserver: HTTPServer, site: Site
) -> None:
    # /news/ answers 301 to /ru/news/, and every page of the site has a password field in its header:
    # a listing is never a login wall, its links are followed
    site.moved["/news/"] = "/ru/news/"
    site.html("/ru/news/", page("Новости", f'<a href="{FIRST}">1</a>', before=HEADER_LOGIN))
    site.html(FIRST, page(TITLE, ARTICLE, before=HEADER_LOGIN))
    state: dict[str, Any] = {}
    (article,) = run(httpserver, state)
    assert article.title == TITLE and state["_errors"] == []


@pytest.mark.parametrize("listing", ["/news/?tag=auth", "/news/category/auth/"])
def test_a_listing_sent_to_a_page_named_like_a_login_is_still_a_listing(
    httpserver: HTTPServer, site: Site, listing: str
) -> None:
    site.moved["/news/"] = listing
    site.html(listing, f'<a href="{FIRST}">1</a>')
    site.html(FIRST, page(TITLE, ARTICLE))
    state: dict[str, Any] = {}
    (article,) = run(httpserver, state)
    assert article.title == TITLE and state["_errors"] == []


def test_an_article_sent_to_its_own_url_with_a_login_word_in_its_query_is_the_article(
    httpserver: HTTPServer, site: Site
) -> None:
    # a single sign-on round trip that lands on the article's own URL with «?provider=sso» added
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    site.moved[FIRST] = FIRST + "?provider=sso"
    site.html(FIRST + "?provider=sso", page(TITLE, ARTICLE))
    state: dict[str, Any] = {}
    (article,) = run(httpserver, state)
    assert article.title == TITLE and article.text.startswith("Жители дома номер 1")
    assert state["_errors"] == []
