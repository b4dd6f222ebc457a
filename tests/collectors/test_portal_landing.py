"""The portal collector when an article's URL redirects to a page of the site that is no article and
not the home page, a section above it or a listing (test_portal_redirects): a section its menus link
(``/politics/``), a page about the site (``/about/``), a page of error that answers 200 (``/404.html``).
Its text is not stored under the article's id: a known article counts it as a 404 towards being taken
down, a new one is one error naming where it went; an article that lives at a URL that looks like no
article's is stored as before. And a listing sent to a login page whose URL names no login (``/account/``,
``/?r=enter``) beside a box of popular articles is that listing's error, not a listing of them. Pages
are written for the test and served by a local server (portalkit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from portalkit import (
    FIRST,
    LOGIN,
    LOGIN_FORM,
    NAV,
    NOW,
    ODD,
    POPULAR,
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
from collectors.portal_ids import landed_elsewhere, listing_login_page
from collectors.portal_landing import asks_to_log_in, says_not_found
from errors import MonitorError

# where a site sends the reader of an article it removed: pages of the site that are no article
ELSEWHERE = {
    "section-in-the-menu": ("/politics/", page("Политика", "<h1>Политика</h1>" + teasers(1, 2, 3, 4))),
    "about-page": (
        "/about/",
        page(
            "О редакции",
            "<h1>О редакции</h1><p>Вестник выходит с 1995 года и рассказывает о жизни "
            "города, о его жителях и о решениях городских властей.</p>",
            before="",
            after="",
        ),
    ),
    "soft-404": (
        "/404.html",
        page(
            "Страница не найдена",
            "<h1>Страница не найдена</h1><p>К сожалению, запрошенная вами "
            "страница не существует или была удалена.</p>",
        ),
    ),
    "not-found-title": (
        "/nichego/",
        page(
            "Ошибка 404",
            "<h1>Ошибка 404</h1><p>Запрошенная вами страница не существует или была "
            "удалена; перейдите на главную.</p>",
        ),
    ),
}


@pytest.mark.parametrize("keep_validators", [False, True], ids=["no-validators", "validators"])
@pytest.mark.parametrize("where", ELSEWHERE.values(), ids=ELSEWHERE.keys())
def test_a_known_article_sent_to_a_page_that_is_no_article_is_gone_and_keeps_its_text(
    httpserver: HTTPServer, site: Site, where: tuple[str, str], keep_validators: bool
) -> None:
    target, there = where
    site.html("/lenta/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, article())
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] | None = {} if keep_validators else None
    listing = {"start_urls": [httpserver.url_for("/lenta/")]}
    first = httpserver.url_for(FIRST)
    (stored,) = run(httpserver, state, validators=validators, **listing)
    assert (stored.external_id, stored.title) == (first, TITLE)
    site.moved[FIRST] = target
    site.html(target, there)
    # no new version of the article with that page's text: a count towards its being taken down, as a
    # 404 (the second time the page is the same as the time before: still gone, not "unchanged")
    for hours, gone in ((2, 1), (26, 2)):
        site.hits.clear()
        assert run(httpserver, state, NOW + timedelta(hours=hours), validators, **listing) == []
        assert FIRST in site.hits and state["_errors"] == []
        assert state["articles"][first]["gone"] == gone and state["articles"][first]["id"] == first
    site.hits.clear()
    assert run(httpserver, state, NOW + timedelta(hours=60), validators, **listing) == []
    assert FIRST not in site.hits  # taken down: not asked for again


@pytest.mark.parametrize("where", ELSEWHERE.values(), ids=ELSEWHERE.keys())
def test_a_new_article_sent_to_a_page_that_is_no_article_is_one_error_naming_where(
    httpserver: HTTPServer, site: Site, where: tuple[str, str]
) -> None:
    target, there = where
    site.html("/lenta/", f'<a href="{FIRST}">1</a><a href="{SECOND}">2</a>')
    site.moved[FIRST] = target
    site.html(target, there)
    site.html(SECOND, article("Автобус №12 изменил маршрут"))
    state: dict[str, Any] = {}
    items = run(httpserver, state, start_urls=[httpserver.url_for("/lenta/")])
    first = httpserver.url_for(FIRST)
    assert [i.external_id for i in items] == [httpserver.url_for(SECOND)]
    (error,) = state["_errors"]
    assert error.startswith(f"{first}: redirected to {httpserver.url_for(target)}, ")
    assert error.endswith(": taken down?")
    assert state["articles"][first]["id"] is None  # retried by the recheck policy, not every run


# -- articles that live at URLs that look like no article's are stored as before ---------------------

# the article at a short slug (the site's new addresses), on pages with a menu, a language switch that
# links the page itself, a WordPress entry header that links its own address, breadcrumbs
CHROMES = {
    "menu": {},
    "language-switch": {
        "before": NAV.replace(
            "</nav>", f'</nav><div class="langs"><a href="{ODD}">Рус</a><a href="/kz/">Қаз</a></div>'
        )
    },
    "entry-header": {"before": f'<header class="entry-header"><h1><a href="{ODD}">{TITLE}</a></h1></header>'},
    "breadcrumbs": {
        "before": NAV + f'<nav class="breadcrumbs"><a href="/">Главная</a><a href="{ODD}">{TITLE}</a></nav>'
    },
}


@pytest.mark.parametrize("chrome", CHROMES.values(), ids=CHROMES.keys())
def test_a_known_article_moved_to_an_address_that_looks_like_no_article_is_still_stored(
    httpserver: HTTPServer, site: Site, chrome: dict[str, str]
) -> None:
    site.html("/lenta/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, article(**chrome))
    state: dict[str, Any] = {}
    listing = {"start_urls": [httpserver.url_for("/lenta/")]}
    first = httpserver.url_for(FIRST)
    run(httpserver, state, **listing)
    site.moved[FIRST] = ODD
    site.html(ODD, article(**chrome).replace("у подъездов", "во дворах"))  # edited since
    (again,) = run(httpserver, state, NOW + timedelta(hours=2), **listing)
    assert (again.external_id, again.title) == (first, TITLE) and "во дворах" in again.text
    assert state["_errors"] == [] and "gone" not in state["articles"][first]


@pytest.mark.parametrize("chrome", CHROMES.values(), ids=CHROMES.keys())
def test_a_new_article_at_an_address_that_looks_like_no_article_is_stored(
    httpserver: HTTPServer, site: Site, chrome: dict[str, str]
) -> None:
    site.html("/lenta/", f'<a href="{FIRST}">1</a>')
    site.moved[FIRST] = ODD
    site.html(ODD, article(**chrome))
    state: dict[str, Any] = {}
    (stored,) = run(httpserver, state, start_urls=[httpserver.url_for("/lenta/")])
    assert (stored.external_id, stored.title) == (httpserver.url_for(FIRST), TITLE)
    assert state["_errors"] == []


# -- the judgement itself ----------------------------------------------------------------------------

SITE = "https://vestnik.example"


def judge(url: str, target: str, html: str) -> str | None:
    found = extract_article(html, SITE + target, now=NOW)
    return landed_elsewhere(SITE + url, SITE + target, found, html, None)


@pytest.mark.parametrize(
    "url, target, html, away",
    [
        (FIRST, "/politics/", ELSEWHERE["section-in-the-menu"][1], True),
        (FIRST, "/about/", ELSEWHERE["about-page"][1], True),
        (FIRST, "/tag/yamy/", article(), True),  # a tag's page: never an article's address
        (FIRST, "/404.html", ELSEWHERE["soft-404"][1], True),
        (FIRST, "/nichego/", ELSEWHERE["not-found-title"][1], True),
        # the article at a short slug; a page of another date there too (a site showing its articles'
        # date of change: test_portal_landing_kept); its number, an article's URL
        (FIRST, ODD, article(), False),
        (FIRST, "/obrashchenie/", article("Обращение", "02.10.2026 09:00"), False),
        ("/news/5501", "/politics/5501/", ELSEWHERE["section-in-the-menu"][1], False),
        ("/news/5501", "/news/?id=5501", ELSEWHERE["section-in-the-menu"][1], False),
        (FIRST, SECOND, ELSEWHERE["section-in-the-menu"][1], False),
        (FIRST, FIRST, ELSEWHERE["section-in-the-menu"][1], False),
        (FIRST, "/print/yamy/", article(), False),  # its print version
        # another article (moved: stored under its own id), the article by its number or by its slug,
        # whatever their menus or dates say
        (FIRST, SECOND, article(before=NAV + f'<nav><a href="{SECOND}">Главное</a></nav>'), False),
        (FIRST, SECOND, article("Автобус", "20.11.2026 09:00"), False),
        ("/news/5501", "/news/?id=5501", article(date="02.10.2026 09:00"), False),
        ("/news/yamy-abaya", "/ru/yamy-abaya/", article(date="02.10.2026"), False),
    ]
    + [(FIRST, ODD, article(**chrome), False) for chrome in CHROMES.values()],
)
def test_which_page_an_article_was_sent_to_is_no_article(
    url: str, target: str, html: str, away: bool
) -> None:
    assert (judge(url, target, html) is not None) is away


@pytest.mark.parametrize(
    "title, error",
    [
        ("Страница не найдена", True),
        ("Ошибка 404", True),
        ("404", True),
        ("Page not found", True),
        ("Бет табылмады", True),
        ("Пропавший ребёнок не найден", False),  # news
        ("Закон № 404-ФЗ вступил в силу", False),
        ("Почему сайт акимата отвечает «Страница не найдена» уже третий день", False),  # a long headline
        (None, False),
    ],
)
def test_which_headline_says_the_page_is_not_found(title: str | None, error: bool) -> None:
    assert says_not_found(title) is error


def test_the_reason_names_what_the_page_is() -> None:
    assert (
        judge(FIRST, "/politics/", ELSEWHERE["section-in-the-menu"][1])
        == "a section the site's menu lists, not an article"
    )
    assert judge(FIRST, "/about/", ELSEWHERE["about-page"][1]) == "the site's 'about' page, not an article"
    assert judge(FIRST, "/nichego/", ELSEWHERE["not-found-title"][1]) == "a page saying it is not found"


# -- a listing sent to a login page whose address names no login -------------------------------------


@pytest.mark.parametrize(
    "listing, target", [("/news/", "/account/"), ("/news/", "/?r=enter"), ("/", "/?r=enter")]
)
def test_a_listing_sent_to_a_login_page_beside_popular_articles_fails_the_run(
    httpserver: HTTPServer, site: Site, listing: str, target: str
) -> None:
    site.html(listing, f'<a href="{FIRST}">1</a>')
    site.html(FIRST, article())
    state: dict[str, Any] = {}
    start = {"start_urls": [httpserver.url_for(listing)]}
    run(httpserver, state, **start)
    site.moved[listing] = target
    site.html(target, LOGIN)
    # its popular articles are no listing of news: the sole listing can no longer be read
    with pytest.raises(MonitorError, match="redirected to a login page") as failure:
        run(httpserver, state, NOW + timedelta(hours=2), **start)
    assert failure.value.url == httpserver.url_for(listing)


@pytest.mark.parametrize(
    "listing, target, html, login",
    [
        ("/news/", "/account/", LOGIN, True),
        ("/news/", "/?r=enter", LOGIN, True),
        ("/", "/?r=enter", LOGIN, True),
        ("/news/", "/vhod/", page("Вход в личный кабинет", LOGIN_FORM + POPULAR, before=""), True),
        # a sign-in box in the page's header or in a modal, beside the news
        ("/news/", "/ru/news/", page("Вход", teasers(1, 2), before=f"<header>{LOGIN_FORM}</header>"), False),
        ("/kz/", "/ru/", page("Вход", teasers(1, 2), before=f'<div class="modal">{LOGIN_FORM}</div>'), False),
        # a listing named like a login, a form in its body: its address is the listing's
        ("/news/", "/news/?tag=vhod", page("Вход", LOGIN_FORM + teasers(1, 2), before=""), False),
        # a page named so that is the home page of the site
        ("/news/", "/", page("Вестник", LOGIN_FORM + teasers(1, 2), before=""), False),
    ],
)
def test_which_login_page_beside_articles_a_listing_was_sent_to(
    listing: str, target: str, html: str, login: bool
) -> None:
    resp = Response(SITE + target, 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode())
    assert listing_login_page(SITE + listing, resp, None) is login


@pytest.mark.parametrize(
    "html, login",
    [
        (LOGIN, True),
        (page("Авторизация", LOGIN_FORM, before="", after=""), True),
        (page("Sign in", LOGIN_FORM), True),
        # a headline that only begins with the word, over an article's comment form (a commenter's login)
        (
            article(
                "Вход в метро «Алатау» закроют на ремонт", after=f'<div class="comments">{LOGIN_FORM}</div>'
            ),
            False,
        ),
        (page("Вход", "<p>Войдите через портал eGov.</p>"), False),  # no password field
        (page("Т", "<h1>Новости / Вход</h1>" + LOGIN_FORM), False),  # a headline that is not only a login's
        (page("Вход", teasers(1, 2), before=f"<header>{LOGIN_FORM}</header>"), False),  # the header's
        (page("Вход", teasers(1, 2), after=f'<div id="login-popup">{LOGIN_FORM}</div>'), False),
    ],
)
def test_which_page_asks_to_log_in(html: str, login: bool) -> None:
    assert asks_to_log_in(html, SITE + "/vhod/") is login
