"""The portal collector when a site serves one stub page (maintenance, «материал удалён») with HTTP 200
under its article URLs: no known article's stored text is replaced by it, and the run says so once; and
short articles that are no stub (two «Видео дня» with one caption) are stored, each run.

Each page is written for the test and served by a local server (pytest-httpserver).
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from portalkit import ARTICLE, FIRST, NOW, SECOND, TITLE, Site, article, links, run
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from collectors import portal
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.portal_recheck import text_key

THIRD = "/news/2026/11/23/tarify-na-teplo-5503.html"
FOURTH = "/news/2026/11/22/pozhar-na-rynke-5504.html"
MAINTENANCE = article(
    "Технические работы",
    "<p>Сайт временно недоступен в связи с проведением технических работ. Приносим извинения.</p>",
)
REMOVED = "<p>Материал удалён по требованию правообладателя.</p>"
CAPTION = "<p>Смотрите видео на нашем канале.</p>"
BUS = ARTICLE.replace("ямы у подъездов", "новый маршрут автобуса")
HEAT = ARTICLE.replace("ямы у подъездов", "тарифы на тепло")
EVERY_RUN = {"recheck": [[87600, 0]]}  # every known article is due on every run


def texts(items: list[Any]) -> dict[str, str]:
    return {i.external_id: i.text for i in items if i.kind == "article"}


def test_a_maintenance_page_under_every_url_replaces_no_known_article(
    httpserver: HTTPServer, site: Site
) -> None:
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article(TITLE))
    site.html(SECOND, article("Автобус №12 изменил маршрут", BUS))
    state: dict[str, Any] = {}
    first = texts(run(httpserver, state, **EVERY_RUN))
    assert len(first) == 2
    site.html("/news/", links(FIRST, SECOND, THIRD))
    for path in (FIRST, SECOND, THIRD):  # the known two and a new one
        site.html(path, MAINTENANCE)
    later = NOW + timedelta(hours=1)
    stubbed = texts(run(httpserver, state, now=later, **EVERY_RUN))
    assert list(stubbed) == [httpserver.url_for(THIRD)]  # a new article is stored as read: no loss
    (problem,) = state["_errors"]
    assert "vestnik" in problem and "«Технические работы»" in problem and "not stored" in problem
    assert state["articles"][httpserver.url_for(FIRST)]["headline"] == text_key(TITLE)  # its stored text's
    # the site is back: the known ones are not edited, the new one gets its text as an edit
    site.html(THIRD, article("Тарифы на тепло", HEAT))
    site.html(FIRST, article(TITLE))
    site.html(SECOND, article("Автобус №12 изменил маршрут", BUS))
    back = texts(run(httpserver, state, now=later + timedelta(hours=1), **EVERY_RUN))
    assert {url: back[url] for url in first} == first  # read as stored: no edit
    assert "тарифы на тепло" in back[httpserver.url_for(THIRD)]
    assert state["_errors"] == []


def test_a_removed_page_under_its_own_articles_headline_is_a_stub(httpserver: HTTPServer, site: Site) -> None:
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article(TITLE))
    site.html(SECOND, article("Автобус №12 изменил маршрут", BUS))
    state: dict[str, Any] = {}
    run(httpserver, state, **EVERY_RUN)
    for path in (FIRST, SECOND):
        site.html(path, article("Материал удалён", REMOVED))
    assert run(httpserver, state, now=NOW + timedelta(hours=1), **EVERY_RUN) == []
    (problem,) = state["_errors"]
    assert "Материал удалён" in problem and "2 known article(s)" in problem


def test_two_notices_updated_to_the_same_line_under_their_own_headlines_are_edits(
    httpserver: HTTPServer, site: Site
) -> None:
    # review: one short line under each article's own headline is each one's edit, not a stub
    done = "<p>Обновлено: ремонт завершён, подача восстановлена.</p>"
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article("Отключение воды в Усолке", BUS))
    site.html(SECOND, article("Отключение света в Зеленстрое", HEAT))
    state: dict[str, Any] = {}
    run(httpserver, state, **EVERY_RUN)
    site.html(FIRST, article("Отключение воды в Усолке", done))
    site.html(SECOND, article("Отключение света в Зеленстрое", done))
    got = texts(run(httpserver, state, now=NOW + timedelta(hours=1), **EVERY_RUN))
    assert all("ремонт завершён" in got[httpserver.url_for(p)] for p in (FIRST, SECOND))
    assert state["_errors"] == []


def test_a_known_article_shortened_alone_is_stored_as_its_edit(httpserver: HTTPServer, site: Site) -> None:
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article(TITLE))
    site.html(SECOND, article("Автобус №12 изменил маршрут", BUS))
    state: dict[str, Any] = {}
    run(httpserver, state, **EVERY_RUN)
    site.html(FIRST, article(TITLE, REMOVED))  # one article cut to a line: the site's own edit
    got = texts(run(httpserver, state, now=NOW + timedelta(hours=1), **EVERY_RUN))
    assert "Материал удалён" in got[httpserver.url_for(FIRST)] and state["_errors"] == []


def test_two_video_posts_with_one_caption_then_a_third_are_all_stored(
    httpserver: HTTPServer, site: Site
) -> None:
    # review: two «Видео дня» taken for a stub, and the remembered text then blocked «Пожар на рынке»
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article("Видео дня", CAPTION))
    site.html(SECOND, article("Видео дня", CAPTION))
    state: dict[str, Any] = {}
    assert len(texts(run(httpserver, state))) == 2 and state["_errors"] == []
    site.html("/news/", links(FOURTH))
    site.html(FOURTH, article("Пожар на рынке", CAPTION))
    got = texts(run(httpserver, state, now=NOW + timedelta(days=1)))
    assert "Смотрите видео" in got[httpserver.url_for(FOURTH)]
    assert state["_errors"] == []


def test_a_removed_article_still_listed_is_stored_not_reported_every_run(
    httpserver: HTTPServer, site: Site
) -> None:
    site.html("/news/", links(FIRST, SECOND))
    for path in (FIRST, SECOND):
        site.html(path, article("Материал удалён", REMOVED))
    state: dict[str, Any] = {}
    assert len(texts(run(httpserver, state))) == 2
    site.html("/news/", links(FIRST, THIRD))
    site.html(THIRD, article(TITLE))
    for n in range(1, 3):
        run(httpserver, state, now=NOW + timedelta(days=n))
        assert state["_errors"] == []  # not reported on every run
        assert state["articles"][httpserver.url_for(FIRST)]["id"] == httpserver.url_for(FIRST)


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


def test_a_new_article_that_read_the_stub_gets_its_text_when_the_site_is_back(httpserver: HTTPServer) -> None:
    # review: the stub's Last-Modified kept for the URL, the site's next answer a 304 against it
    site = Site()
    modified: dict[str, Any] = {}

    def serve(request: Request) -> Response:
        resp = site(request)
        if request.path in modified:
            resp.headers["Last-Modified"] = format_datetime(modified[request.path], usegmt=True)
            since = request.headers.get("If-Modified-Since")
            if since and modified[request.path] <= parsedate_to_datetime(since):  # as Django, Apache
                return Response(b"", status=304)
        return resp

    httpserver.expect_request(re.compile(".*")).respond_with_handler(serve)
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article(TITLE))
    site.html(SECOND, article("Автобус №12 изменил маршрут", BUS))
    published = NOW - timedelta(days=1)
    modified.update(dict.fromkeys((FIRST, SECOND, THIRD), published))
    state: dict[str, Any] = {}
    validators: dict[str, Any] = {}
    run(httpserver, state, validators=validators, **EVERY_RUN)
    site.html("/news/", links(FIRST, SECOND, THIRD))
    for path in (FIRST, SECOND, THIRD):
        site.html(path, MAINTENANCE)
        modified[path] = NOW
    stubbed = run(httpserver, state, now=NOW + timedelta(hours=1), validators=validators, **EVERY_RUN)
    assert list(texts(stubbed)) == [httpserver.url_for(THIRD)]
    assert not {httpserver.url_for(p) for p in (FIRST, SECOND, THIRD)} & set(validators)
    # the site is back, its pages with their old Last-Modified: the new one's text comes as its edit
    site.html(FIRST, article(TITLE))
    site.html(SECOND, article("Автобус №12 изменил маршрут", BUS))
    site.html(THIRD, article("Тарифы на тепло", HEAT))
    modified.update(dict.fromkeys((FIRST, SECOND, THIRD), published))
    back = texts(run(httpserver, state, now=NOW + timedelta(hours=2), validators=validators, **EVERY_RUN))
    assert "тарифы на тепло" in back[httpserver.url_for(THIRD)]


def test_a_generator_closed_with_a_reread_held_leaves_it_to_the_next_run(
    httpserver: HTTPServer, site: Site
) -> None:
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article(TITLE))
    site.html(SECOND, article("Автобус №12 изменил маршрут", BUS))
    state: dict[str, Any] = {}
    validators: dict[str, Any] = {}
    run(httpserver, state, validators=validators, **EVERY_RUN)
    stored = dict(state["articles"][httpserver.url_for(SECOND)])
    # rechecked SECOND first (checked at the same time, its URL first): held; then FIRST, an edit
    site.html(SECOND, MAINTENANCE)
    site.html(FIRST, article(TITLE, ARTICLE.replace("ямы у подъездов", "ямы у подъездов и во дворах")))
    client = HttpClient(min_delay=0, sleep=lambda _s: None, validators=validators)
    opts = {"start_urls": [httpserver.url_for("/news/")], **EVERY_RUN}
    later = NOW + timedelta(hours=1)
    ctx = CollectContext(SourceConfig("vestnik", "portal", opts), client, state, last_success=None, now=later)
    items = portal.collect(ctx)
    try:
        assert next(items).external_id == httpserver.url_for(FIRST)
        items.close()  # the runner's stop after an item
    finally:
        client.close()
    assert state["articles"][httpserver.url_for(SECOND)] == stored  # due again, read again
    assert httpserver.url_for(SECOND) not in validators  # and in full, not a 304


def test_short_articles_under_a_maintenance_page_with_its_own_headline_keep_their_text(
    httpserver: HTTPServer, site: Site
) -> None:
    # the acceptance run: articles of two short paragraphs, the stub not under half of them but under
    # its own headline; a short article that only changes its headline is still an edit
    bribe = "<p>Жители сообщили, что сотрудник акимата потребовал взятку за справку о земельном участке.</p>"
    pit = "<p>На улице Толе би образовалась огромная яма, в которую уже провалились три автомобиля.</p>"
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article("Взятка в акимате", bribe * 2))
    site.html(SECOND, article("Яма на дороге", pit * 2))
    state: dict[str, Any] = {}
    run(httpserver, state, **EVERY_RUN)
    for path in (FIRST, SECOND):
        site.html(path, MAINTENANCE)
    assert run(httpserver, state, now=NOW + timedelta(hours=1), **EVERY_RUN) == []
    assert len(state["_errors"]) == 1
    site.html(FIRST, article("Взятка в акимате: начата проверка", bribe * 2))
    site.html(SECOND, article("Яма на дороге", pit * 2))
    got = run(httpserver, state, now=NOW + timedelta(hours=2), **EVERY_RUN)
    assert {i.title for i in got} == {"Взятка в акимате: начата проверка", "Яма на дороге"}
    assert state["_errors"] == []


def comments(*texts: str) -> str:
    return (
        '<div class="comments">'
        + "".join(
            f'<div class="comments__item" data-comment-id="{700 + n}"><span class="comments__author">Читатель {n}'
            f'</span><div class="comments__text">{text}</div></div>'
            for n, text in enumerate(texts)
        )
        + "</div>"
    )


def test_a_retitled_video_post_and_its_new_comment_are_stored(httpserver: HTTPServer, site: Site) -> None:
    # review: a retitle of a short post was held and dropped because another post shares its caption
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article("Видео: пожар на рынке", CAPTION))
    site.html(SECOND, article("Видео: ДТП на Абая", CAPTION))
    state: dict[str, Any] = {}
    run(httpserver, state, **EVERY_RUN)
    site.html(FIRST, article("Видео: пожар на рынке потушен", CAPTION + comments("Дым был до вечера")))
    got = run(httpserver, state, now=NOW + timedelta(hours=1), **EVERY_RUN)
    first = httpserver.url_for(FIRST)
    # the held article comes at the end of the visits, its comment at once (a stop keeps it)
    assert [i.kind for i in got if i.external_id.startswith(first)] == ["comment", "article"]
    assert "Видео: пожар на рынке потушен" in {i.title for i in got} and state["_errors"] == []


def test_a_retitled_video_post_beside_a_new_post_with_its_caption_is_stored(
    httpserver: HTTPServer, site: Site
) -> None:
    site.html("/news/", links(FIRST))
    site.html(FIRST, article("Видео: пожар на рынке", CAPTION))
    state: dict[str, Any] = {}
    run(httpserver, state, **EVERY_RUN)
    site.html("/news/", links(FIRST, THIRD))
    site.html(FIRST, article("Видео: пожар на рынке потушен", CAPTION))
    site.html(THIRD, article("Видео: ДТП на Абая", CAPTION))  # the day's new video post
    got = texts(run(httpserver, state, now=NOW + timedelta(hours=1), **EVERY_RUN))
    assert set(got) == {httpserver.url_for(FIRST), httpserver.url_for(THIRD)} and state["_errors"] == []


def test_an_unchanged_video_post_with_a_long_headline_gets_its_new_comment(
    httpserver: HTTPServer, site: Site
) -> None:
    # review: the stored length counted the headline, the re-read's did not: «under half», held, dropped
    fire = "Видео: на рынке «Тулпар» загорелся павильон со стройматериалами, пожарные тушили огонь три часа"
    crash = "Видео: на перекрёстке Абая и Торайгырова столкнулись автобус двенадцатого маршрута и легковушка"
    site.html("/news/", links(FIRST, SECOND))
    site.html(FIRST, article(fire, CAPTION))
    site.html(SECOND, article(crash, CAPTION))
    state: dict[str, Any] = {}
    run(httpserver, state, **EVERY_RUN)
    site.html(FIRST, article(fire, CAPTION + comments("Это уже третий пожар на Тулпаре за год")))
    got = run(httpserver, state, now=NOW + timedelta(hours=1), **EVERY_RUN)
    assert [i.text for i in got if i.kind == "comment"] == ["Это уже третий пожар на Тулпаре за год"]
    assert state["_errors"] == []
