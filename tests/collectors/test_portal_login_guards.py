"""Guards for the portal collector on a site whose every page holds a sign-in box, and on an article sent
to a paywall. An attempt to catch login pages by a news box beside the form (ecdbaee, a211e2f, b54e2e9,
reverted in 17e003c) failed working listings as login walls: a listing or home page moved to a language
prefix, a query or https://www. on a site with a sign-in box (in its header or inside <main>); and it
stored paywall and account pages as the text of the articles sent to them. Each test is one
reproduction of the reviews that found it (passes before the attempt, fails on the commit named in its
comment): a next attempt must keep these listings read, and paywalls no article. Pages are written for
the test and served by a local server (portalkit)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from portalkit import (
    FIRST,
    HIDDEN_SIGN_IN_BOX,
    HOME_HEAD,
    LOGIN_FORM,
    MAIN,
    NAV,
    NOW,
    ROLE_MAIN,
    SECOND,
    SIGN_IN_BOX,
    WP_LOGIN_FORM,
    Site,
    article,
    home,
    links,
    page,
    run,
    teasers,
)
from pytest_httpserver import HTTPServer

from collectors.http import Response
from collectors.portal_ids import listing_login_page, login_page
from errors import MonitorError

BUS = "Автобус №12 изменил маршрут"


def titles_after_listing_moved(
    httpserver: HTTPServer, site: Site, start: str, target: str, layout: Callable[[str], str]
) -> list[str]:
    """The titles of a run after the listing ``start``, which linked the stored FIRST, moved (301)
    to ``target``, which links FIRST and the new SECOND; both pages laid out by ``layout``."""
    site.html(start, layout(links(FIRST)))
    site.html(FIRST, article())
    site.html(SECOND, article(BUS))
    state: dict[str, Any] = {}
    listing = {"start_urls": [httpserver.url_for(start)]}
    run(httpserver, state, **listing)
    site.moved[start] = target
    site.html(target, layout(links(FIRST, SECOND)))
    items = run(httpserver, state, NOW + timedelta(hours=2), **listing)
    assert state["_errors"] == []
    return [item.title for item in items]


# -- a listing moved on its own site is still a listing ---------------------------------------------


@pytest.mark.parametrize(
    "start, target, title",
    [("/novosti/", "/ru/news/", "Новости"), ("/", "/?lang=ru", "Вестник")],
    ids=["language-prefix", "query"],
)
def test_a_listing_with_a_hidden_sign_in_box_moved_to_a_language_prefix_or_a_query_is_read(
    httpserver: HTTPServer, site: Site, start: str, target: str, title: str
) -> None:
    # ecdbaee: a login wall, for the box's <h1>Вход</h1> and form
    def layout(body: str) -> str:
        return page(title, HIDDEN_SIGN_IN_BOX + body, head=f'<meta property="og:title" content="{title}">')

    assert BUS in titles_after_listing_moved(httpserver, site, start, target, layout)


@pytest.mark.parametrize("target", ["/?lang=ru", "/index.php", "/ru/main/"])
def test_a_home_page_titled_by_the_site_name_with_a_sign_in_box_moved_on_its_site_is_read(
    httpserver: HTTPServer, site: Site, target: str
) -> None:
    # ecdbaee, a211e2f: a login wall, the home page's title being no headline
    assert BUS in titles_after_listing_moved(httpserver, site, "/", target, home)


@pytest.mark.parametrize("main", ["main", "role-main"])
@pytest.mark.parametrize(
    "start, target", [("/kz/", "/ru/"), ("/novosti/", "/ru/news/"), ("/", "/?city=pavlodar")]
)
def test_a_listing_whose_main_holds_a_sign_in_box_moved_on_its_site_is_read(
    httpserver: HTTPServer, site: Site, start: str, target: str, main: str
) -> None:
    # ecdbaee, a211e2f, b54e2e9: a login wall, the page asking to log in before its links were counted
    head = '<title>Вестник</title><meta property="og:site_name" content="Вестник">'
    wrapper = {"main": MAIN, "role-main": ROLE_MAIN}[main]

    def layout(body: str) -> str:
        return home(f'{NAV}{SIGN_IN_BOX}<div class="news">{body}</div>', head=head, before="", main=wrapper)

    assert BUS in titles_after_listing_moved(httpserver, site, start, target, layout)


HOME_HEADS = {
    "title-and-slogan": HOME_HEAD,
    "og-title-site-name": '<title>Вестник</title><meta property="og:title" content="Вестник">'
    '<meta property="og:site_name" content="Вестник">',
}


@pytest.mark.parametrize(
    "asked, final",
    [
        ("http://vestnik.kz/", "https://vestnik.kz/"),
        ("https://vestnik.kz/", "https://www.vestnik.kz/"),
        ("https://vestnik.kz/index.php", "https://vestnik.kz/"),
    ],
    ids=["https", "www", "index.php"],
)
@pytest.mark.parametrize("head", HOME_HEADS.values(), ids=HOME_HEADS.keys())
def test_a_home_page_sent_to_itself_over_https_www_or_without_index_php_is_no_login_page(
    asked: str, final: str, head: str
) -> None:
    # ecdbaee, a211e2f: a login page (a home listing failed every run)
    resp = Response(
        final,
        200,
        {"Content-Type": "text/html; charset=utf-8"},
        home(teasers(1, 2, 3, 4), head=head).encode(),
    )
    assert not listing_login_page(asked, resp, None)
    assert not login_page(asked, resp, None)


def test_the_home_page_sent_to_a_login_page_under_a_language_prefix_fails_the_run(
    httpserver: HTTPServer, site: Site
) -> None:
    # ecdbaee: the login page was taken for the same page in another language, a listing of nothing new
    site.html("/", links(FIRST))
    site.html(FIRST, article())
    state: dict[str, Any] = {}
    start = {"start_urls": [httpserver.url_for("/")]}
    run(httpserver, state, **start)
    login = "/ru/?option=com_users&view=login"
    site.moved["/"] = login
    site.html(login, page("Вестник", "<h2>Авторизация</h2>" + LOGIN_FORM, before=""))
    with pytest.raises(MonitorError, match="login page"):
        run(httpserver, state, NOW + timedelta(hours=2), **start)


# -- an article sent to a paywall or an account page ------------------------------------------------


def _wp_page(title: str, content: str) -> str:
    # a WordPress page: the theme puts every page in <article> with an <h1>
    return page(
        title,
        f'<article id="post-12" class="page type-page"><header class="entry-header"><h1 class="entry-title">'
        f'{title}</h1></header><div class="entry-content">{content}</div></article>',
    )


# pages a paywall sends the reader to, none with a login word in its address
PAYWALLS = {
    # a membership plugin's shortcode
    "wp-page-subscribe": _wp_page(
        "Оформите подписку",
        f"<p>Статья доступна подписчикам. Войдите или оформите подписку.</p>{WP_LOGIN_FORM}",
    ),
    "woocommerce-my-account": _wp_page(
        "Мой аккаунт", f'<div class="woocommerce"><h2>Вход</h2>{WP_LOGIN_FORM}</div>'
    ),
    # Twenty Seventeen's body class: every element has an ancestor named «...header...»
    "body-class-has-header-image": page(
        "Подписка", f"<h1>Подписка</h1><p>Войдите.</p>{WP_LOGIN_FORM}", body_class="page has-header-image"
    ),
    # the site's template says og:type article on every page
    "og-type-article-site-wide": page(
        "Подписка",
        f"<h1>Подписка</h1><p>Войдите.</p>{WP_LOGIN_FORM}",
        head='<meta property="og:type" content="article">',
    ),
    "paywall-overlay": page(
        "Подписка", f'<div class="paywall-overlay"><h2>Только для подписчиков</h2>{WP_LOGIN_FORM}</div>'
    ),
}
PAYWALL = "/subscribe?from=5501"


@pytest.mark.parametrize("html", PAYWALLS.values(), ids=PAYWALLS.keys())
def test_a_known_article_sent_to_a_paywall_or_an_account_page_is_gone_and_keeps_its_text(
    httpserver: HTTPServer, site: Site, html: str
) -> None:
    # b54e2e9: the paywall's text stored as a new version of the article
    site.html("/news/", links(FIRST))
    site.html(FIRST, article())
    state: dict[str, Any] = {}
    run(httpserver, state)
    site.moved[FIRST] = PAYWALL
    site.html(PAYWALL, html)
    items = run(httpserver, state, NOW + timedelta(hours=2))
    assert items == []
    assert state["articles"][httpserver.url_for(FIRST)].get("gone") == 1


@pytest.mark.parametrize("html", PAYWALLS.values(), ids=PAYWALLS.keys())
def test_a_new_article_sent_to_a_paywall_or_an_account_page_is_a_login_page_error(
    httpserver: HTTPServer, site: Site, html: str
) -> None:
    # b54e2e9: the paywall stored as the article
    site.html("/news/", links(FIRST))
    site.moved[FIRST] = PAYWALL
    site.html(PAYWALL, html)
    state: dict[str, Any] = {}
    items = run(httpserver, state)
    assert items == []
    assert state["_errors"] == [
        f"{httpserver.url_for(FIRST)}: redirected to a login page, {httpserver.url_for(PAYWALL)}: not public"
    ]
