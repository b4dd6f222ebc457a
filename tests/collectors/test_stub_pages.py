"""The portal collector when a site serves one stub page (maintenance, «материал удалён») with HTTP 200
under every article URL: no article's stored text is replaced by it, and the run says so once.

Each page is written for the test and served by a local server (pytest-httpserver).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from portalkit import ARTICLE, FIRST, NOW, SECOND, TITLE, Site, article, links, run
from pytest_httpserver import HTTPServer

from collectors.portal_ids import same_article
from collectors.portal_recheck import Read, stub_groups

THIRD = "/news/2026/11/23/tarify-na-teplo-5503.html"
MAINTENANCE = article(
    "Технические работы",
    "<p>Сайт временно недоступен в связи с проведением технических работ. Приносим извинения.</p>",
)
REMOVED = "<p>Материал удалён по требованию правообладателя.</p>"
BUS = ARTICLE.replace("ямы у подъездов", "новый маршрут автобуса")
HEAT = ARTICLE.replace("ямы у подъездов", "тарифы на тепло")
EVERY_RUN = {"recheck": [[87600, 0]]}  # every known article is due on every run


def texts(items: list[Any]) -> dict[str, str]:
    return {i.external_id: i.text for i in items if i.kind == "article"}


def test_a_maintenance_page_under_every_url_replaces_no_article(httpserver: HTTPServer, site: Site) -> None:
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article(TITLE))
    site.html(SECOND, article("Автобус №12 изменил маршрут", BUS))
    state: dict[str, Any] = {}
    first = run(httpserver, state, **EVERY_RUN)
    assert len(texts(first)) == 2
    site.html("/news/", links(FIRST, SECOND, THIRD))
    for path in (FIRST, SECOND, THIRD):  # the known two and a new one
        site.html(path, MAINTENANCE)
    later = NOW + timedelta(hours=1)
    assert run(httpserver, state, now=later, **EVERY_RUN) == []
    (problem,) = state["_errors"]
    assert "vestnik" in problem and "«Технические работы»" in problem and "not stored" in problem
    assert httpserver.url_for(THIRD) not in state["articles"]  # waits: fetched as new next run
    assert state["articles"][httpserver.url_for(FIRST)]["chars"] > 300  # its stored text's
    # the site is back: the new article is stored, the known ones are not edited
    site.html(THIRD, article("Тарифы на тепло", HEAT))
    site.html(FIRST, article(TITLE))
    site.html(SECOND, article("Автобус №12 изменил маршрут", BUS))
    back = texts(run(httpserver, state, now=later + timedelta(hours=1), **EVERY_RUN))
    assert {url: back[url] for url in texts(first)} == texts(first)  # read as stored: no edit
    assert "тарифы на тепло" in back[httpserver.url_for(THIRD)]
    assert state["_errors"] == []


def test_a_known_article_shrunk_to_what_another_url_read_is_a_stub(
    httpserver: HTTPServer, site: Site
) -> None:
    # the site keeps each article's headline above its «removed» notice
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article(TITLE))
    site.html(SECOND, article("Автобус №12 изменил маршрут", BUS))
    state: dict[str, Any] = {}
    run(httpserver, state, **EVERY_RUN)
    site.html(FIRST, article(TITLE, REMOVED))
    site.html(SECOND, article("Автобус №12 изменил маршрут", REMOVED))
    assert run(httpserver, state, now=NOW + timedelta(hours=1), **EVERY_RUN) == []
    assert len(state["_errors"]) == 1
    # a later run that reads it under one URL only knows it now
    site.html(SECOND, article("Автобус №12 изменил маршрут", BUS))
    third = texts(run(httpserver, state, now=NOW + timedelta(hours=2), **EVERY_RUN))
    assert list(third) == [httpserver.url_for(SECOND)]  # its stored text, read again
    assert "Материал удалён" in state["_errors"][0] and "1 article page" in state["_errors"][0]


def test_one_article_under_two_urls_is_stored_as_before(httpserver: HTTPServer, site: Site) -> None:
    # no canonical link: each URL is an item, as before (a short text, the same title)
    other = "/ru" + FIRST
    short = "<p>Жители жалуются на ямы у подъездов после ремонта теплотрассы.</p>"
    site.html("/news/", links(FIRST, other))
    site.html(FIRST, article(TITLE, short))
    site.html(other, article(TITLE, short))
    state: dict[str, Any] = {}
    assert len(texts(run(httpserver, state))) == 2
    assert state["_errors"] == []


def test_short_articles_alike_but_for_their_titles_are_no_stub() -> None:
    # two video articles whose text is the same line, under their own headlines: both new
    reads = [
        Read("https://x.kz/news/5501-a", "Смотрите видео", "Пожар на рынке", None),
        Read("https://x.kz/news/5502-b", "Смотрите видео", "ДТП на Абая", None),
        Read("https://x.kz/news/5503-c", "Смотрите видео", "Концерт", 14),  # known, as short before
    ]
    assert stub_groups(reads, set(), same_article) == []
    same_title = [r._replace(title="Технические работы") for r in reads]
    assert stub_groups(same_title, set(), same_article) == [[0, 1, 2]]
