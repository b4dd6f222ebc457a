"""The portal collector against more hostile pages: an article page with no article text on it, an
article reached through a redirect and directly, a stray NUL byte in a page.

As in test_portal_hostile.py, each page is written for the test and served by a local server
(pytest-httpserver); a page can also answer with a redirect.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from portalkit import FIRST, NOW, SECOND, Site, run
from pytest_httpserver import HTTPServer

TITLE = "Жители жалуются на ямы после ремонта"
MENU = (
    '<nav><ul><li><a href="/">Главная</a></li><li><a href="/news/">Новости</a></li>'
    '<li><a href="/about/">О нас</a></li><li><a href="/contacts/">Контакты</a></li></ul></nav>'
)
FOOTER = '<footer><p>© 2026 Вестник. Все права защищены.</p><a href="/pravila/">Правила</a></footer>'
SHARE = (
    '<div class="share">Поделиться: <a href="https://vk.com/share">ВКонтакте</a> '
    '<a href="https://t.me/share">Telegram</a></div>'
)


def page(title: str, body: str, *, head: str = "", before: str = "", after: str = "") -> str:
    """An article page of our own: ``before`` (a menu), the headline, its date, ``body``, ``after``."""
    return (
        f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>{title} | Вестник</title>{head}'
        f'</head><body>{before}<h1>{title}</h1><div class="date">25.11.2026 10:00</div>{body}{after}'
        "</body></html>"
    )


ARTICLE = "".join(
    f"<p>Жители дома номер {n} по улице Абая жалуются на ямы у подъездов после ремонта теплотрассы.</p>"
    for n in range(1, 6)
)


# -- a page with a headline and no article text ------------------------------------------------------

NO_TEXT = {
    "headline-and-date": page(TITLE, ""),
    "menu-headline-date-footer": page(TITLE, "", before=MENU, after=FOOTER),
    "share-buttons-and-read-also": page(
        TITLE,
        "",
        after=SHARE + '<div class="related"><h3>Читайте также</h3><ul>'
        f'<li><a href="{SECOND}">Автобус №12 изменил маршрут</a></li>'
        '<li><a href="/news/2026/11/23/svet-5503.html">На Жеңіс погас свет</a></li></ul></div>',
    ),
    "byline-and-views": page(
        TITLE, '<div class="meta"><span>Автор: Айгерим Сейтказина</span> <span>👁 345</span></div>'
    ),
    "video-label": page(TITLE, '<div class="label">Видео</div><div id="player"></div>'),
    # a video page: its counter, its credits and a call to watch are no article text
    "video-counter-and-credits": page(
        TITLE,
        '<div id="player"></div><p>Смотрите видео</p><div class="meta">Просмотров: 1 234</div>'
        "<p>Видео: Tengrinews</p><p>Источник: Tengrinews.kz</p>",
    ),
    "video-kk": page(
        TITLE, '<div id="player"></div><p>Бейнені қараңыз</p><p>Қаралым: 5 678</p><p>Дереккөз: Kazinform</p>'
    ),
    # credits: a name of one or two words (capitalised after «Фото:»), or words that only name a credit
    "photo-and-video-credits": page(
        TITLE,
        '<div id="player"></div><p>Фото: Владимир Третьяков</p><p>Видео: пресс-служба ДЧС Алматы</p>'
        "<p>Фото: скриншот из видео</p><p>Источник: информационное агентство</p><p>Photo: Shutterstock</p>"
        "<p>Видео: очевидцы в соцсетях</p><p>Сурет: baspasoz.kz</p>",
    ),
    "text-breadcrumbs-and-a-share-label": page(
        TITLE,
        '<div class="breadcrumbs"><a href="/">Главная</a> / <a href="/news/">Новости</a> / Общество</div>'
        '<div class="date">Жарияланған уақыты: 25.11.2026, 10:00</div><div id="player"></div>',
        before=MENU,
        after=SHARE + FOOTER,
    ),
}


@pytest.mark.parametrize("html", NO_TEXT.values(), ids=NO_TEXT.keys())
def test_a_page_of_a_headline_date_and_site_chrome_is_an_article_without_text(
    httpserver: HTTPServer, site: Site, html: str
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a><a href="{SECOND}">2</a>')
    site.html(FIRST, html)
    site.html(SECOND, page("Автобус №12 изменил маршрут", ARTICLE, before=MENU, after=FOOTER))
    state: dict[str, Any] = {}
    items = {i.external_id: i for i in run(httpserver, state)}
    first, second = httpserver.url_for(FIRST), httpserver.url_for(SECOND)
    assert (items[first].title, items[first].text) == (TITLE, "")
    assert items[second].text.startswith("Жители дома номер 1 по улице Абая")
    assert state["_errors"] == [
        f"{first}: no article text on the page, only its title; its scripts may bring it (render = true)"
    ]


SHORT = {
    "two-sentences": "<p>С понедельника автобус №12 ходит по улице Абая. Остановку «Рынок» перенесли.</p>",
    "two-words": "<p>Тарифы растут.</p>",
    "a-sentence-with-a-link": '<p>Аким <a href="/akim/">ответил</a> жителям: ямы засыплют к пятнице.</p>',
    # a date in the sentence, a relative day, a menu word («Новости») inside it: still the article's
    "today-in-almaty": "<p>Сегодня в Алматы ожидается снег.</p>",
    "yesterday": "<p>Вчера в Астане прошёл митинг.</p>",
    "now": "<p>Сейчас на Абая большая пробка.</p>",
    "kazakh-today": "<p>Бүгін Алматыда қар жауады.</p>",
    "a-day-and-month": "<p>Матч перенесли на 3 декабря.</p>",
    # one word beside a date: news, not a date line such as «Обновлено: 25.11.2026»
    "a-word-and-a-date": "<p>Финал — 1 декабря.</p>",
    "a-word-and-a-date-kk": "<p>Наурыз мейрамы 21 наурызда.</p>",
    "a-date-and-a-time": "<p>Свет отключат 26 ноября с 10:00</p>",
    "years-ago": "<p>Пять лет назад здесь был парк.</p>",
    "a-menu-word-inside": "<p>Новости о ремонте дороги будут завтра.</p>",
    # the words of a copyright line inside a sentence of news
    "rights-kk": "<p>Зейнеткерлердің барлық құқықтары заңмен қорғалған.</p>",
    "rights-ru": "<p>Омбудсмен: все права защищены законом.</p>",
    # sentences that begin as a credit line does
    "a-source-said": "<p>Источник в акимате сообщил, что дорогу закроют на неделю.</p>",
    "a-video-sentence": "<p>Видео с камер показало, как автобус проехал на красный.</p>",
    # the caption of a video or photo page, its only text: the news, not a credit
    "a-video-caption": '<div id="player"></div><p>Видео: ДТП на Аль-Фараби</p>',
    "a-video-caption-of-two-words": '<div id="player"></div><p>ВИДЕО: прорвало трубу</p>',
    "a-longer-video-caption": '<div id="player"></div><p>Видео: прорвало трубу на Абая</p>',
    "a-photo-caption": '<div class="gallery"></div><p>Фото: горит рынок Барахолка</p>',
}


@pytest.mark.parametrize("body", SHORT.values(), ids=SHORT.keys())
def test_a_short_news_item_keeps_its_text_among_menus(httpserver: HTTPServer, site: Site, body: str) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, page(TITLE, body, before=MENU, after=SHARE + FOOTER))
    state: dict[str, Any] = {}
    (article,) = run(httpserver, state)
    # (the extractors' last fallback may break a line at a link)
    assert re.sub(r"<[^>]+>", "", body) in " ".join(article.text.split())
    assert state["_errors"] == []


def test_a_view_counter_is_not_article_text_and_a_source_line_is(httpserver: HTTPServer, site: Site) -> None:
    # Kept in an article with text, a credit line says who reported it; a counter says nothing
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    counters = "<p>Просмотров: 1 234</p><p>Қаралым: 5 678</p><p>345 просмотров</p><p>Views: 12</p>"
    site.html(FIRST, page(TITLE, ARTICLE + counters + "<p>Источник: Tengrinews</p>"))
    state: dict[str, Any] = {}
    (article,) = run(httpserver, state)
    lines = article.text.split("\n")
    assert lines[0].startswith("Жители дома номер 1") and lines[-1] == "Источник: Tengrinews"
    assert not re.search("Просмотров|Қаралым|просмотров|Views|1 234|5 678", article.text)


# -- one article under two URLs: a redirect, and a link to where it goes -----------------------------

OLD = "/news/5501"  # what the listing links; it answers 301 to the article's URL with its slug
NEW = "/news/5501-zhiteli-zhaluyutsya-na-yamy"
THREAD = '<ol class="comments"><li class="comment" id="comment-11"><p class="text">Ямы так и не засыпали</p></li></ol>'


@pytest.mark.parametrize(
    "head", ["", '<link rel="canonical" href="/">'], ids=["no-canonical", "home-page-canonical"]
)
@pytest.mark.parametrize("order", ["redirect-first", "direct-first"])
def test_an_article_reached_by_a_redirect_and_directly_is_one_item_watched_once(
    httpserver: HTTPServer, site: Site, head: str, order: str
) -> None:
    site.moved[OLD] = NEW
    site.html(NEW, page(TITLE, ARTICLE, head=head, after=THREAD))
    site.html("/news/", f'<a href="{OLD}">1</a>')
    listings = ["/news/", "/news/more/"] if order == "redirect-first" else ["/news/more/", "/news/"]
    site.html("/news/more/", f'<a href="{NEW}">1</a>')
    state: dict[str, Any] = {}
    options = {"start_urls": [httpserver.url_for(p) for p in listings]}
    items = run(httpserver, state, **options)
    new = httpserver.url_for(NEW)
    assert sorted(i.external_id for i in items) == [new, f"{new}#c11"]
    # the old URL is asked for once; the new one again only when nothing told that the old one moved
    assert site.hits.count(OLD) == 1 and site.hits.count(NEW) == (1 if order == "redirect-first" else 2)
    assert [url for url, entry in state["articles"].items() if entry.get("id")] == [new]
    assert state["_errors"] == []
    # A later run: the listing still links the old URL; the article is rechecked once, under its URL
    site.hits.clear()
    again = run(httpserver, state, now=NOW + timedelta(hours=2), **options)
    assert {i.external_id for i in again} == {new, f"{new}#c11"}  # (this client keeps no validators)
    assert OLD not in site.hits and site.hits.count(NEW) == 1


@pytest.mark.parametrize("links", [[NEW, OLD], [OLD]], ids=["both-linked", "old-linked"])
def test_a_known_article_whose_url_moves_is_watched_under_its_new_url_with_its_id(
    httpserver: HTTPServer, site: Site, links: list[str]
) -> None:
    site.html("/news/", f'<a href="{OLD}">1</a>')
    site.html(OLD, page(TITLE, ARTICLE, after=THREAD))
    state: dict[str, Any] = {}
    old, new = httpserver.url_for(OLD), httpserver.url_for(NEW)
    assert sorted(i.external_id for i in run(httpserver, state)) == [old, f"{old}#c11"]
    # The site gives its articles slugs: the old URL redirects (found by its recheck, or after the new
    # URL was fetched as a new article's)
    site.moved[OLD] = NEW
    more = '<li class="comment" id="comment-12"><p class="text">И у нас</p></li></ol>'
    site.html(NEW, page(TITLE, ARTICLE, after=THREAD.replace("</ol>", more)))
    site.html("/news/", "".join(f'<a href="{link}">1</a>' for link in links))
    items = run(httpserver, state, now=NOW + timedelta(hours=2))
    # Stored under its old URL, it keeps its id (a new one would store it and its comments twice),
    # unless the listing showed the new URL first: that was fetched as a new article before the old
    # one's recheck could tell where it went.
    kept = new if NEW in links else old
    assert sorted(i.external_id for i in items) == [kept, f"{kept}#c11", f"{kept}#c12"]
    assert state["_errors"] == []
    site.hits.clear()
    again = run(httpserver, state, now=NOW + timedelta(hours=4))
    assert {i.external_id for i in again} == {kept, f"{kept}#c11", f"{kept}#c12"}
    assert OLD not in site.hits and site.hits.count(NEW) == 1


@pytest.mark.parametrize("target", ["/news/", "/"], ids=["section", "home-page"])
def test_articles_redirected_to_a_page_that_is_no_article_are_each_an_error(
    httpserver: HTTPServer, site: Site, target: str
) -> None:
    # where a site sends the reader of a removed article: the page there is neither article's (it was
    # stored under both their ids; a login page: test_portal_login; more in test_portal_redirects)
    site.html("/lenta/", f'<a href="{FIRST}">1</a><a href="{SECOND}">2</a>')
    site.moved.update({FIRST: target, SECOND: target})
    site.html(target, page("Вход", "<p>Войдите, чтобы читать статьи Вестника и писать комментарии.</p>"))
    state: dict[str, Any] = {}
    assert run(httpserver, state, start_urls=[httpserver.url_for("/lenta/")]) == []
    assert [line.split(": ", 1)[0] for line in state["_errors"]] == [
        httpserver.url_for(FIRST),
        httpserver.url_for(SECOND),
    ]
    assert all(f"redirected to {httpserver.url_for(target)}, " in line for line in state["_errors"])


# -- a stray NUL byte --------------------------------------------------------------------------------


@pytest.mark.parametrize("charset", ["utf-8", "windows-1251"], ids=["declared-utf8", "declared-cp1251"])
def test_a_page_with_a_stray_nul_byte_is_read_without_it(
    httpserver: HTTPServer, site: Site, charset: str
) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a>\x00<a href="{SECOND}">2</a>')
    html = page(TITLE, ARTICLE.replace("номер 2", "номер\x00 2")).replace("utf-8", charset)
    site.html(FIRST, html.encode("utf-8"), ctype=f"text/html; charset={charset}")
    site.html(SECOND, b"<html><body>" + bytes(range(256)) * 40, ctype="text/html")  # binary all the same
    state: dict[str, Any] = {}
    (article,) = run(httpserver, state)
    assert article.title == TITLE
    assert "Жители дома номер 2 по улице" in article.text and "\x00" not in article.text
    assert state["_errors"] == [f"{httpserver.url_for(SECOND)}: binary content, not an HTML page"]


def test_a_utf16_page_is_still_read_as_utf16(httpserver: HTTPServer, site: Site) -> None:
    site.html("/news/", f'<a href="{FIRST}">1</a><a href="{SECOND}">2</a>')
    site.html(FIRST, page(TITLE, ARTICLE).encode("utf-16-le"), ctype="text/html; charset=utf-16le")
    site.html(SECOND, page("Автобус №12", ARTICLE).encode("utf-16"), ctype="text/html")  # its BOM says so
    state: dict[str, Any] = {}
    items = run(httpserver, state)
    assert sorted(i.title or "" for i in items) == sorted([TITLE, "Автобус №12"])
    assert all(i.text.startswith("Жители дома номер 1") for i in items)


@pytest.mark.parametrize(
    "name",
    ["entry-content share-enabled", "post-body social-wrap", "nav-article", "content related-posts-on"],
)
@pytest.mark.parametrize(
    "body", [ARTICLE, "<p>Тарифы растут.</p><p>Решение принято в среду.</p>"], ids=["long", "short"]
)
def test_an_article_in_a_block_named_like_chrome_keeps_its_text(
    httpserver: HTTPServer, site: Site, name: str, body: str
) -> None:
    # Menus, share buttons and footers are links or a line; a block that holds the article's paragraphs
    # is not chrome whatever its class says: its text was dropped as no article text.
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, page(TITLE, f'<div class="{name}">{body}</div>', before=MENU, after=SHARE + FOOTER))
    state: dict[str, Any] = {}
    (article,) = run(httpserver, state)
    assert all(paragraph in article.text for paragraph in re.findall("<p>(.*?)</p>", body))
    assert state["_errors"] == []


def test_a_shortlink_and_its_article_are_one_item(httpserver: HTTPServer, site: Site) -> None:
    # WordPress: /?p=5501 redirects to the article's slug URL, whose page names itself canonical. With
    # a pattern that names both as articles, a link to either gives one item, under the slug URL.
    slug = "/obshestvo/snegopad/"
    site.html("/news/", f'<a href="/?p=5501">1</a><a href="{slug}">2</a>')
    site.moved["/?p=5501"] = slug
    canonical = f'<link rel="canonical" href="{httpserver.url_for(slug)}">'
    site.html(slug, page(TITLE, ARTICLE, head=canonical))
    items = run(httpserver, {}, article_pattern=r"/\?p=\d+$|/obshestvo/[a-z-]+/$")
    assert [i.external_id for i in items] == [httpserver.url_for(slug)]


def test_a_removed_article_redirected_to_another_article_does_not_lend_it_its_id(
    httpserver: HTTPServer, site: Site
) -> None:
    # A site that removes an article sends its readers to another one: that one's text was stored
    # under the removed article's id (overwriting it), and kept that id for good.
    site.html("/news/", f'<a href="{FIRST}">1</a>')
    site.html(FIRST, page(TITLE, ARTICLE))
    site.html(SECOND, page("Автобус №12 изменил маршрут", "<p>С понедельника автобус №12 идёт по Абая.</p>"))
    state: dict[str, Any] = {}
    first, second = httpserver.url_for(FIRST), httpserver.url_for(SECOND)
    assert [i.external_id for i in run(httpserver, state)] == [first]
    site.moved[FIRST] = SECOND
    items = run(httpserver, state, now=NOW + timedelta(hours=2))
    assert [(i.external_id, i.title) for i in items] == [(second, "Автобус №12 изменил маршрут")]
