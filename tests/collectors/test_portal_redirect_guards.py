"""Guards for the portal collector when an article's URL redirects to a page that is still an article.
An attempt to take down articles redirected to a page that is no article (ecdbaee, a211e2f, b54e2e9,
reverted in 17e003c) took live articles for a site's menu, section or error page, and took them down
or refused them: an article moved to a short slug that the page's footer, a header ticker or a nav
widget links, one moved under /authors/ or /reklama/, a new one with «404» in its headline. Each test
is one reproduction of the reviews that found it (passes before the attempt, fails on the commit named
in its comment): a next attempt must keep these articles stored. Pages are written for the test and
served by a local server (portalkit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from portalkit import EDITED, FIRST, FOOTER, NAV, NOW, TITLE, Site, article, links, run
from pytest_httpserver import HTTPServer

from collectors.item import Item

SHORT = "Землетрясение в Алматы"  # a short headline, as a menu entry's
SLUG = "/zemletryasenie"
# WordPress >= 5.5 (navigation widgets): «Свежие записи» in a <nav> of the sidebar
RECENT_POSTS = (
    '<aside id="secondary" class="widget-area"><section id="recent-posts-2" class="widget '
    'widget_recent_entries"><h2 class="widget-title">Свежие записи</h2><nav aria-label="Свежие записи">'
    f'<ul><li><a href="{SLUG}">{SHORT}</a></li><li><a href="/kurs-tenge">Курс тенге вырос</a></li></ul>'
    "</nav></section></aside>"
)
# a breadcrumb that is not named «breadcrumb»
CRUMBS = f'<nav class="crumbs"><ul><li><a href="/">Главная</a></li><li><a href="{SLUG}">{SHORT}</a></li></ul></nav>'
NAV_WIDGETS = {"wp-recent-posts-nav": RECENT_POSTS, "crumbs-nav": CRUMBS}


def moved_article(httpserver: HTTPServer, site: Site, title: str, target: str, moved: str) -> list[Item]:
    """The items of a run after the stored article ``title`` at FIRST (on the /lenta/ listing) moved
    (301) to ``target``, which shows the page ``moved``."""
    site.html("/lenta/", links(FIRST))
    site.html(FIRST, article(title))
    state: dict[str, Any] = {}
    listing = {"start_urls": [httpserver.url_for("/lenta/")]}
    (stored,) = run(httpserver, state, **listing)
    assert stored.title == title
    site.moved[FIRST] = target
    site.html(target, moved)
    items = run(httpserver, state, NOW + timedelta(hours=2), **listing)
    assert state["_errors"] == []
    return items


def new_article_after_redirect(httpserver: HTTPServer, site: Site, target: str, moved: str) -> list[Item]:
    """The items of the first run over /lenta/, which links FIRST, redirected (301) to ``target``,
    which shows the page ``moved``."""
    site.html("/lenta/", links(FIRST))
    site.moved[FIRST] = target
    site.html(target, moved)
    state: dict[str, Any] = {}
    items = run(httpserver, state, start_urls=[httpserver.url_for("/lenta/")])
    assert state["_errors"] == []
    return items


def test_an_article_moved_to_a_short_slug_whose_footer_links_its_comments_is_stored(
    httpserver: HTTPServer, site: Site
) -> None:
    # ecdbaee took the link for a menu's: the article was taken down
    slug = "/yamy-abaya"
    comments = f'<footer class="post-footer"><a href="{slug}#comments">5 комментариев</a></footer>'
    moved = article(text=EDITED, after=comments + FOOTER)
    items = moved_article(httpserver, site, TITLE, slug, moved)
    assert len(items) == 1 and "во дворах" in items[0].text


def test_an_article_moved_to_a_short_slug_that_the_header_ticker_lists_is_stored(
    httpserver: HTTPServer, site: Site
) -> None:
    # a211e2f took the ticker of latest headlines for the site's menu: the article was taken down
    ticker = (
        f'<div class="news-ticker"><ul><li><a href="{SLUG}">{SHORT}</a></li>'
        '<li><a href="/kurs">Курс тенге вырос</a></li></ul></div></header>'
    )
    moved = article(SHORT, EDITED, before=NAV.replace("</header>", ticker))
    items = moved_article(httpserver, site, SHORT, SLUG, moved)
    assert len(items) == 1 and "во дворах" in items[0].text


@pytest.mark.parametrize(
    "target",
    ["/authors/ivanov/zhiteli-zhaluyutsya-na-yamy", "/reklama/kak-vybrat-kvartiru-v-almaty"],
    ids=["authors-column", "advertising"],
)
def test_an_article_moved_to_an_authors_column_or_the_advertising_section_is_stored(
    httpserver: HTTPServer, site: Site, target: str
) -> None:
    # a211e2f refused pages under /authors/, /reklama/ (and /user/, /page/, ...): taken down
    items = moved_article(httpserver, site, TITLE, target, article(text=EDITED))
    assert len(items) == 1 and "во дворах" in items[0].text


@pytest.mark.parametrize("widget", NAV_WIDGETS.values(), ids=NAV_WIDGETS.keys())
def test_an_article_moved_to_a_short_slug_that_a_nav_widget_links_is_stored(
    httpserver: HTTPServer, site: Site, widget: str
) -> None:
    # b54e2e9 (and the two before) took a <nav> beside the article for the site's menu: taken down
    items = moved_article(httpserver, site, SHORT, SLUG, article(SHORT, EDITED, after=widget + FOOTER))
    assert len(items) == 1 and "во дворах" in items[0].text


@pytest.mark.parametrize("widget", NAV_WIDGETS.values(), ids=NAV_WIDGETS.keys())
def test_a_new_article_redirected_to_a_short_slug_that_a_nav_widget_links_is_stored(
    httpserver: HTTPServer, site: Site, widget: str
) -> None:
    # b54e2e9 (and the two before): refused as a section the site's menu lists
    items = new_article_after_redirect(httpserver, site, SLUG, article(SHORT, after=widget + FOOTER))
    assert [item.title for item in items] == [SHORT]


def test_a_new_article_with_404_in_its_headline_reached_through_a_redirect_is_stored(
    httpserver: HTTPServer, site: Site
) -> None:
    # ecdbaee took the page for an error page by its headline
    target = "/news/2026/11/25/reys-404-zaderzhan-5601.html"
    items = new_article_after_redirect(httpserver, site, target, article("Рейс 404 задержан на сутки"))
    assert [item.title for item in items] == ["Рейс 404 задержан на сутки"]
