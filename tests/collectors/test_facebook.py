"""The facebook collector: pure parsers, and collect() against our Graph API emulator on 127.0.0.1."""

from __future__ import annotations

import email.utils
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors import facebook, facebook_graph, facebook_parse
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item
from demo.graph_emulator import GraphEmulator, serve
from errors import FetchError, MonitorError, PermissionDenied, Throttled, TokenError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facebook"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "facebook"
PAGE = "104857600123"
TOKEN = "EAAGtestTOKENzq81vX7distinctive"
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
VISIBLE_POSTS = 8
COMMENTS = 17  # 13 top-level comments and 4 replies in page.json


@pytest.fixture
def emulator() -> GraphEmulator:
    emu = GraphEmulator(token=TOKEN)
    emu.load(json.loads((FIXTURES / "page.json").read_text(encoding="utf-8")))
    return emu


@pytest.fixture
def graph(emulator: GraphEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("FB_TEST_TOKEN", TOKEN)
    with serve(emulator) as base:
        yield base


class Run:
    """One collect() run with a fake sleep; the store is a dict keyed like the DuckDB upsert."""

    def __init__(self, base: str, state: dict[str, Any] | None = None, **options: Any) -> None:
        opts = {"page_id": PAGE, "graph_url": base + "/v25.0", "token_env": "FB_TEST_TOKEN"}
        opts.update({"page_size": 3, "comment_page_size": 2, **options})
        self.sleeps: list[float] = []
        self.http = HttpClient(min_delay=5.0, sleep=self.sleeps.append, source="dept-fb")
        self.state: dict[str, Any] = state if state is not None else {}
        self.ctx = CollectContext(
            source=SourceConfig(name="dept-fb", kind="facebook", options=opts),
            http=self.http,
            state=self.state,
            last_success=None,
            now=options.pop("now", NOW),
        )
        self.items: list[Item] = []
        self.error: MonitorError | None = None

    def __call__(self, store: dict[str, Item] | None = None) -> Run:
        try:
            for item in facebook.collect(self.ctx):
                self.items.append(item)
                if store is not None:
                    store[item.external_id] = item
        except MonitorError as exc:
            self.error = exc
        return self


# -- pure parsers ----------------------------------------------------------------------------


def test_parse_post_golden() -> None:
    post = {
        "id": "104857600123_1001",
        "message": "Ямы вокруг люков после ремонта теплотрассы.",
        "created_time": "2026-11-24T04:15:00+0000",
        "updated_time": "2026-11-24T13:20:00+0000",
        "permalink_url": "https://www.facebook.com/104857600123/posts/1001",
        "from": {"name": "Департамент", "id": "104857600123"},
        "comments": {"data": [], "paging": {"next": "https://graph.facebook.com/x?access_token=SECRET"}},
    }
    item = facebook_parse.parse_post(post, source="fb")
    assert (item.kind, item.external_id, item.author) == ("post", "104857600123_1001", "Департамент")
    assert item.text == "Ямы вокруг люков после ремонта теплотрассы."
    assert item.published_at == datetime(2026, 11, 24, 4, 15, tzinfo=UTC)
    assert item.url == "https://www.facebook.com/104857600123/posts/1001"
    assert "SECRET" not in item.raw_json() and "paging" not in item.raw_json()


def test_post_text_without_message_uses_story_then_attachments() -> None:
    assert (
        facebook_parse.post_text({"story": "Департамент обновил фото обложки."})
        == "Департамент обновил фото обложки."
    )
    post = {"attachments": {"data": [{"title": "Отчёт", "description": "214 обращений"}, {"title": "Отчёт"}]}}
    assert facebook_parse.post_text(post) == "Отчёт\n214 обращений"
    assert facebook_parse.post_text({"message": "Мәтін", "story": "x"}) == "Мәтін"
    assert facebook_parse.post_text({}) == ""


def test_comment_ids_from_fields_and_permalink() -> None:
    link = "https://www.facebook.com/1/posts/2/?comment_id=30&reply_comment_id=31"
    assert facebook_parse.comment_ids({"permalink_url": link}) == ("31", "30")
    assert facebook_parse.comment_ids(
        {"permalink_url": "https://www.facebook.com/1/posts/2/?comment_id=30"}
    ) == (
        "30",
        None,
    )
    assert facebook_parse.comment_ids({"id": "2_31", "parent": {"id": "2_30"}}) == ("2_31", "2_30")
    reply = facebook_parse.parse_comment(
        {"id": "2_31", "parent": {"id": "2_30"}, "message": "Иә"}, post_id="1_2", source="fb"
    )
    assert (reply.parent, reply.raw["post_id"], reply.kind) == ("2_30", "1_2", "comment")
    top = facebook_parse.parse_comment({"id": "2_30", "message": "Да"}, post_id="1_2", source="fb")
    assert top.parent == "1_2"


@pytest.mark.parametrize(
    ("graph_url", "expected"),
    [
        ("http://127.0.0.1:8000/v25.0", "http://127.0.0.1:8000/v25.0/4/posts?fields=id&after=QQ"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/4/posts?fields=id&after=QQ"),
        ("http://proxy.local/graph/v25.0/", "http://proxy.local/graph/v25.0/4/posts?fields=id&after=QQ"),
    ],
)
def test_rebase_moves_next_onto_graph_url_and_drops_token(graph_url: str, expected: str) -> None:
    nxt = "https://graph.facebook.com/v10.0/4/posts?access_token=SECRET&fields=id&after=QQ"
    assert facebook_graph.rebase(nxt, graph_url) == expected


def test_rebase_keeps_emulator_prefix() -> None:
    nxt = "http://127.0.0.1:9/graph/v25.0/1_2/comments?after=MA%3D%3D&access_token=T"
    assert (
        facebook_graph.rebase(nxt, "http://127.0.0.1:9/graph/v25.0")
        == "http://127.0.0.1:9/graph/v25.0/1_2/comments?after=MA%3D%3D"
    )


def test_throttle_seconds_reads_usage_headers() -> None:
    buc = json.dumps(
        {"104857600123": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 3}]}
    )
    assert facebook_graph.throttle_seconds({"X-Business-Use-Case-Usage": buc}) == 180
    assert facebook_graph.throttle_seconds({"Retry-After": "2", "X-Business-Use-Case-Usage": buc}) == 2
    assert facebook_graph.throttle_seconds({"X-App-Usage": '{"call_count": 100}'}) is None
    assert facebook_graph.throttle_seconds({"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"}) == 0.0
    # «-0000» is a date of unknown zone to the mail standard: it came back zone-less and the
    # comparison with an aware "now" raised TypeError out of the collector.
    assert facebook_graph.throttle_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 -0000"}) == 0.0
    later = email.utils.format_datetime(datetime.now(UTC) + timedelta(minutes=10)).replace("+0000", "-0000")
    assert 590 <= facebook_graph.throttle_seconds({"Retry-After": later}) <= 600
    assert facebook_graph.usage_percent({"X-App-Usage": '{"call_count": 96, "total_time": 12}'}) == 96


@given(
    message=st.text(
        alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі АБВӘҒҚ.,!?«»—0123456789\n", min_size=1
    ),
    seconds=st.integers(min_value=0, max_value=2_000_000_000),
)
def test_post_round_trip_through_graph_time(message: str, seconds: int) -> None:
    from demo.graph_emulator import graph_time

    created = datetime.fromtimestamp(seconds, UTC)
    post = {"id": "1_2", "message": message, "created_time": graph_time(created)}
    item = facebook_parse.parse_post(post, source="fb", now=NOW)
    # a publication time is from 1990 to a day after now; anything else is no date
    publishable = datetime(1990, 1, 1, tzinfo=UTC) <= created <= NOW + timedelta(days=1)
    assert item.published_at == (created if publishable else None)
    assert item.text == (message if message.strip() else "")


# -- collect() against the emulator ----------------------------------------------------------


def test_first_run_collects_every_post_comment_and_reply_once(graph: str, emulator: GraphEmulator) -> None:
    run = Run(graph)()
    assert run.error is None
    ids = [i.external_id for i in run.items]
    assert len(ids) == len(set(ids)) == VISIBLE_POSTS + COMMENTS
    posts = [i for i in run.items if i.kind == "post"]
    assert len(posts) == VISIBLE_POSTS
    assert "Этот пост скрыт модератором и не отдаётся API." not in {i.text for i in run.items}
    by_text = {i.text: i for i in run.items}
    reply = by_text["Акт подписали за один день, ремонт шёл неделю. Вопросы есть."]
    question = by_text["А кто принимал этот ремонт? Подрядчик тот же, что и в прошлом году."]
    assert reply.parent == question.external_id and question.parent == reply.raw["post_id"]
    assert by_text["Департамент по противодействию коррупции обновил фото обложки."].kind == "post"
    assert "Отчёт о работе за третий квартал\nРассмотрено 214" in next(
        t for t in by_text if t.startswith("Отчёт")
    )
    assert all(i.published_at and i.published_at.tzinfo for i in run.items)
    assert run.state["newest_created"] == "2026-11-24T04:15:00+00:00"
    assert len(run.state["young_posts"]) == 5  # posts of the last 7 days (one of them hidden: not listed)
    # Several pages of posts and of comments were read; the HTTP client did not wait between them.
    feed_requests = [q for p, q in emulator.requests if p.endswith("/feed")]
    assert len(feed_requests) == 3 and sum(1 for q in feed_requests if "after" in q) == 2
    assert run.sleeps == []
    assert run.http.validators == {}  # Graph URLs are not kept for conditional GETs


def test_second_run_adds_only_what_is_new_and_keeps_edits(graph: str, emulator: GraphEmulator) -> None:
    store: dict[str, Item] = {}
    first = Run(graph)(store)
    assert len(store) == VISIBLE_POSTS + COMMENTS
    young_post = next(pid for pid, p in emulator.posts.items() if p["message"] and "Самал-2" in p["message"])
    new_post = emulator.add_post(
        PAGE, "Новая жалоба: во дворе дома 12 по улице Сейфуллина не горят фонари.", NOW
    )
    top = emulator.add_comment(young_post, "Жөндеу сапасыз, қайта тексеріңіз.", NOW, author="Ғалым")
    emulator.add_comment(young_post, "Согласен, надо проверить.", NOW, parent=top, author="Илья")
    emulator.edit_post(
        young_post, "Ямы вокруг люков (обновлено): подрядчик обязан устранить до 1 декабря.", NOW
    )
    edited = next(
        c for c, v in emulator.comments.items() if v["message"].startswith("Спасибо, что реагируете")
    )
    emulator.edit_comment(edited, "Спасибо, что реагируете. Дополню: яма у подъезда №3 тоже не засыпана.")
    old_post = next(pid for pid, p in emulator.posts.items() if p["message"] and "Береке" in p["message"])
    emulator.add_comment(old_post, "Комментарий под старым постом вне окна.", NOW)
    second = Run(graph, state=first.state, now=NOW.replace(hour=8))(store)
    assert second.error is None
    new_ids = {i.external_id for i in second.items} - {i.external_id for i in first.items}
    assert len(new_ids) == 3 and new_post in new_ids
    assert store[young_post].text.startswith("Ямы вокруг люков (обновлено)")
    assert "Комментарий под старым постом вне окна." not in {i.text for i in second.items}
    assert store[edited].text.endswith("яма у подъезда №3 тоже не засыпана.")
    # Only the comment window was read again: old posts are not listed.
    assert {i.external_id for i in second.items if i.kind == "post"} <= set(first.state["young_posts"]) | {
        new_post
    }
    assert second.state["newest_created"] == NOW.isoformat()


def test_500_in_the_middle_of_paging_then_resume(graph: str, emulator: GraphEmulator) -> None:
    store: dict[str, Item] = {}
    emulator.fail("http500", path="/feed", after=1, times=-1)
    broken = Run(graph)(store)
    assert isinstance(broken.error, FetchError) and broken.error.status == 500
    assert broken.state == {}  # the cursor did not move
    assert 0 < len(store) < VISIBLE_POSTS + COMMENTS
    assert len(broken.sleeps) == 3  # retried with backoff, then gave up
    emulator.faults.clear()
    resumed = Run(graph, state=broken.state)(store)
    assert resumed.error is None
    assert len(store) == VISIBLE_POSTS + COMMENTS
    assert len({i.external_id for i in resumed.items}) == len(resumed.items)


def test_a_single_500_is_retried_within_the_run(graph: str, emulator: GraphEmulator) -> None:
    emulator.fail("http500", path="/comments", after=3, times=1)
    run = Run(graph)()
    assert run.error is None and len(run.items) == VISIBLE_POSTS + COMMENTS
    assert len(run.sleeps) == 1


@pytest.mark.parametrize("code", [1, 2])
def test_transient_codes_are_retried_with_backoff(graph: str, emulator: GraphEmulator, code: int) -> None:
    emulator.fail("transient", code=code, path="/feed", after=1, times=2)
    run = Run(graph)()
    assert run.error is None and len(run.items) == VISIBLE_POSTS + COMMENTS
    assert run.sleeps == [1.0, 2.0]


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_throttling_recovers_within_max_wait(graph: str, emulator: GraphEmulator, code: int) -> None:
    emulator.fail("throttle", code=code, path="/comments", after=2, times=2, retry_after=2)
    run = Run(graph)()
    assert run.error is None and len(run.items) == VISIBLE_POSTS + COMMENTS
    assert run.sleeps == [2.0, 2.0]


def test_throttling_beyond_max_wait_ends_the_run_throttled(graph: str, emulator: GraphEmulator) -> None:
    emulator.fail("throttle", code=17, path="/feed", after=1, times=-1, regain_minutes=30)
    store: dict[str, Item] = {}
    run = Run(graph)(store)
    assert isinstance(run.error, Throttled) and run.error.run_status == "throttled"
    assert "1800 s" in str(run.error) and "next run" in str(run.error)
    assert run.sleeps == [] and run.state == {}
    assert len(store) > 0  # the first feed page and its comments were kept


def test_business_use_case_wait_is_honoured(graph: str, emulator: GraphEmulator) -> None:
    emulator.fail("throttle", code=80001, path="/feed", times=1, regain_minutes=1)
    run = Run(graph, max_wait=120)()
    assert run.error is None and run.sleeps == [60.0]


@pytest.mark.parametrize(
    ("subcode", "why"), [(463, "expired"), (460, "password"), (467, "invalid"), (458, "removed")]
)
def test_expired_token_stops_with_a_clear_message(
    graph: str, emulator: GraphEmulator, subcode: int, why: str
) -> None:
    emulator.fail("token", path="/comments", after=2, subcode=subcode, times=-1)
    run = Run(graph)()
    assert isinstance(run.error, TokenError) and run.error.run_status == "token"
    message = str(run.error)
    assert why in message and "FB_TEST_TOKEN" in message and "new page access token" in message
    assert "\n" not in message and TOKEN not in message
    assert run.sleeps == []


@pytest.mark.parametrize("code", [10, 200, 230])
def test_missing_permission_stops_with_status_permission(
    graph: str, emulator: GraphEmulator, code: int
) -> None:
    emulator.fail("permission", code=code, times=-1)
    run = Run(graph)()
    assert isinstance(run.error, PermissionDenied) and run.error.run_status == "permission"
    assert f"code {code}" in str(run.error) and "FB_TEST_TOKEN" in str(run.error)


def test_missing_token_variable_is_named(graph: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FB_TEST_TOKEN")
    run = Run(graph)()
    assert isinstance(run.error, TokenError) and "FB_TEST_TOKEN" in str(run.error)


def test_wrong_token_is_a_token_error(graph: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FB_TEST_TOKEN", "EAAGwrong")
    run = Run(graph)()
    assert isinstance(run.error, TokenError) and "EAAGwrong" not in str(run.error)


def test_token_appears_nowhere(graph: str, emulator: GraphEmulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    emulator.fail("throttle", path="/feed", after=1, times=1, retry_after=1)
    first = Run(graph)()
    emulator.fail("token", path="/comments", after=1, times=-1)
    second = Run(graph)()
    assert first.error is None and isinstance(second.error, TokenError)
    assert len(emulator.requests) > 10
    dumped = [i.raw_json() + repr(i) for i in first.items + second.items]
    dumped += [json.dumps(first.state), str(second.error), repr(second.error.url), caplog.text]
    assert not [d for d in dumped if TOKEN in d]


def test_replies_are_fetched_when_the_stream_lacks_them(graph: str, emulator: GraphEmulator) -> None:
    emulator.stream_replies = False
    run = Run(graph)()
    assert run.error is None
    assert len(run.items) == len({i.external_id for i in run.items}) == VISIBLE_POSTS + COMMENTS
    assert any(p.endswith("/comments") and p.count("_") == 1 and "/v25.0/" in p for p, _ in emulator.requests)


def test_published_posts_and_windows(graph: str, emulator: GraphEmulator) -> None:
    run = Run(graph, endpoint="published_posts", since="2026-11-20", until="2026-11-23T00:00:00+05:00")()
    assert run.error is None
    posts = sorted(i.text[:20] for i in run.items if i.kind == "post")
    assert posts == ["Департамент по проти", "Сотрудник ЦОНа требо"]


def test_first_run_window_from_since_days(graph: str) -> None:
    run = Run(graph, since_days=3)()
    assert {i.published_at.date().isoformat() for i in run.items if i.kind == "post" and i.published_at} == {
        "2026-11-22",
        "2026-11-23",
        "2026-11-24",
    }


# -- real Graph responses (../shared/corpora/facebook) ---------------------------------------


def _corpus() -> dict[str, Any]:
    if not (CORPUS / "ground-truth.json").exists():
        pytest.skip("../shared/corpora/facebook is absent")
    return json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))


@pytest.mark.shared
def test_corpus_feed_pages_parse_to_the_ground_truth() -> None:
    truth = _corpus()
    seen: dict[str, Item] = {}
    for name in ("feed_fields_p1.json", "feed_fields_p2.json"):
        items, nxt = facebook_parse.parse_feed_page(
            json.loads((CORPUS / name).read_text(encoding="utf-8")), source="fb"
        )
        for item in items:
            seen[item.external_id] = item
        if name.endswith("p1.json"):
            assert nxt and "access_token" not in facebook_graph.rebase(nxt, "http://127.0.0.1:1/v25.0")
        else:
            assert nxt is None
    expected = {p["id"]: p for p in truth["posts"]}
    assert set(seen) == set(expected)
    for pid, item in seen.items():
        assert item.text == expected[pid]["message"]
        assert item.published_at == facebook_parse.parse_time(expected[pid]["created_time"])


@pytest.mark.shared
def test_corpus_comments_parse_to_the_ground_truth() -> None:
    truth = _corpus()
    post_id = truth["comments_of"]
    got: list[Item] = []
    for name in ("comments_p1.json", "comments_p2.json"):
        items, _ = facebook_parse.parse_comments_page(
            json.loads((CORPUS / name).read_text(encoding="utf-8")), post_id=post_id, source="fb"
        )
        got += items
    assert [(i.external_id, i.parent, i.text) for i in got] == [
        (c["id_from_permalink"], c["parent"], c["message"]) for c in truth["comments"]
    ]
    assert all(i.raw["post_id"] == post_id for i in got)


@pytest.mark.shared
def test_corpus_served_pages_collect_once(httpserver: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _corpus()
    monkeypatch.setenv("FB_TEST_TOKEN", TOKEN)
    p1, p2 = ((CORPUS / f"feed_fields_p{n}.json").read_bytes() for n in (1, 2))
    httpserver.expect_request("/4/feed").respond_with_data(p1, content_type="application/json")
    httpserver.expect_request("/4/posts").respond_with_data(p2, content_type="application/json")
    empty = json.dumps({"data": []})
    for post in json.loads(p1)["data"]:
        httpserver.expect_request(f"/{post['id']}/comments").respond_with_data(
            empty, content_type="application/json"
        )
    run = Run(httpserver.url_for("/").rstrip("/"), page_id="4")
    run.ctx.source.options["graph_url"] = httpserver.url_for("/").rstrip("/")
    run()
    assert run.error is None
    assert len(run.items) == 5 and len({i.external_id for i in run.items}) == 5
    assert all(TOKEN in (r.headers.get("Authorization") or "") for r, _ in httpserver.log)


def test_a_post_repeated_on_the_next_feed_page_has_its_comments_read_once(
    httpserver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new post while the run pages through the feed pushes the last post of page 1 onto page 2.
    monkeypatch.setenv("FB_TEST_TOKEN", TOKEN)

    def post(n: int) -> dict[str, Any]:
        return {
            "id": f"4_{n}",
            "message": f"Пост номер {n}",
            "created_time": f"2026-11-2{5 - n}T09:00:00+0000",
        }

    next_page = httpserver.url_for("/4/feed") + "?after=QQ"
    page1 = {"data": [post(1), post(2)], "paging": {"next": next_page}}
    page2 = {"data": [post(2), post(3)], "paging": {}}
    httpserver.expect_request("/4/feed", query_string={"after": "QQ"}).respond_with_json(page2)
    httpserver.expect_request("/4/feed").respond_with_json(page1)
    for n in (1, 2, 3):
        comment = {
            "id": f"4_{n}_9{n}",
            "message": f"Комментарий к посту {n}",
            "created_time": "2026-11-25T10:00:00+0000",
        }
        httpserver.expect_request(f"/4_{n}/comments").respond_with_json({"data": [comment], "paging": {}})
    run = Run(httpserver.url_for("/").rstrip("/"), page_id="4")
    run.ctx.source.options["graph_url"] = httpserver.url_for("/").rstrip("/")
    run()
    assert run.error is None
    comment_reads = [r.path for r, _ in httpserver.log if r.path.endswith("/comments")]
    assert sorted(comment_reads) == ["/4_1/comments", "/4_2/comments", "/4_3/comments"]
    assert sorted(i.external_id for i in run.items if i.kind == "post") == ["4_1", "4_2", "4_3"]
    assert len([i for i in run.items if i.kind == "comment"]) == 3


# -- the demo's emulated page ----------------------------------------------------------------


def test_demo_handler_serves_the_emulated_page() -> None:
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "demo" / "handlers" / "facebook.py"
    spec = importlib.util.spec_from_file_location("demo_handler_facebook_test", path)
    assert spec and spec.loader
    handler = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handler)
    assert handler.handle("/rss/gorod-ru.xml", {}, "http://127.0.0.1:1") is None
    status, _, body = handler.handle("/graph/v25.0/100200300400/feed", {"limit": ["3"]}, "http://127.0.0.1:1")
    page = json.loads(body)
    assert status == 200 and len(page["data"]) == 3
    assert page["paging"]["next"].startswith("http://127.0.0.1:1/graph/v25.0/100200300400/feed?")
    texts = " ".join(p.get("message") or "" for p in page["data"])
    assert "Момышулы" in texts and "пара" in texts


# -- end to end through the real command line ------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


class Cli:
    """`pipeline.py run` of one facebook source against the emulator, in a subprocess."""

    def __init__(self, tmp: Path, base: str, *, retries: int = 3, token: str = TOKEN) -> None:
        self.db = tmp / "monitor.duckdb"
        self.config = tmp / "sources.toml"
        self.config.write_text(
            f'[settings]\nretries = {retries}\n\n[[sources]]\nname = "dept-fb"\nkind = "facebook"\n'
            f'page_id = "{PAGE}"\ngraph_url = "{base}/v25.0"\ntoken_env = "FB_TEST_TOKEN"\n'
            "page_size = 3\ncomment_page_size = 2\n",
            encoding="utf-8",
        )
        self.token = token
        self.outputs: list[str] = []

    def run(self, *extra: str) -> tuple[int, str, str]:
        import os
        import subprocess
        import sys

        env = {**os.environ, "FB_TEST_TOKEN": self.token}
        cmd = [sys.executable, str(ROOT / "pipeline.py"), *extra, "run", "--config", str(self.config)]
        done = subprocess.run(
            [*cmd, "--db", str(self.db), "--no-classify"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        self.outputs += [done.stdout, done.stderr]
        return done.returncode, done.stdout, done.stderr

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def _fresh_post(emulator: GraphEmulator) -> str:
    # Dates from the real clock: the run's comment window is counted from the real now.
    now = datetime.now(UTC)
    post = emulator.add_post(
        PAGE, "Свежий пост: на улице Розыбакиева второй день нет света.", now.replace(microsecond=0)
    )
    emulator.add_comment(
        post, "Электрик приезжал, сказал, что кабель старый.", now.replace(microsecond=0), author="Ли"
    )
    return post


def test_cli_two_runs_store_everything_exactly_once(
    graph: str, emulator: GraphEmulator, tmp_path: Path
) -> None:
    fresh = _fresh_post(emulator)
    cli = Cli(tmp_path, graph)
    code, out, err = cli.run()
    assert code == 0, err
    assert "dept-fb: ok - fetched 27, new 27" in out
    when = datetime.now(UTC).replace(microsecond=0)
    top = emulator.add_comment(
        fresh, "Бүгін де жарық жоқ, тоңазытқыштағы тамақ бұзылды.", when, author="Әлия"
    )
    emulator.add_comment(fresh, "В акимате обещают починить к пятнице.", when, parent=top, author="Денис")
    emulator.edit_post(fresh, "Свежий пост (обновлено): свет на Розыбакиева дали в 18:00.", when)
    new_post = emulator.add_post(PAGE, "Жаңа хабарлама: Сайран көлінің жағалауы тазартылады.", when)
    code, out, err = cli.run()
    assert code == 0, err
    rows = cli.query(
        "SELECT kind, count(*), count(DISTINCT external_id) FROM items GROUP BY kind ORDER BY kind"
    )
    comments = COMMENTS + 3
    assert rows == [("comment", comments, comments), ("post", VISIBLE_POSTS + 2, VISIBLE_POSTS + 2)]
    expected_ids = {(pid) for pid, p in emulator.posts.items() if not p["hidden"]} | set(emulator.comments)
    assert {r[0] for r in cli.query("SELECT external_id FROM items")} == expected_ids
    parents = dict(cli.query("SELECT external_id, parent FROM items WHERE kind = 'comment'"))
    assert parents == {cid: c["parent"] or c["post_id"] for cid, c in emulator.comments.items()}
    assert cli.query(f"SELECT version, text FROM items WHERE external_id = '{fresh}'") == [
        (2, "Свежий пост (обновлено): свет на Розыбакиева дали в 18:00.")
    ]
    assert cli.query(f"SELECT text FROM item_versions WHERE external_id = '{fresh}'") == [
        ("Свежий пост: на улице Розыбакиева второй день нет света.",)
    ]
    assert new_post in expected_ids
    statuses = cli.query("SELECT status FROM runs ORDER BY run_id")
    assert statuses == [("ok",), ("ok",)]
    # A post that disappears from the page stays in the database.
    emulator.delete_post(new_post)
    assert cli.run()[0] == 0
    assert cli.query(f"SELECT count(*) FROM items WHERE external_id = '{new_post}'") == [(1,)]


def test_cli_500_mid_paging_then_next_run_completes(
    graph: str, emulator: GraphEmulator, tmp_path: Path
) -> None:
    emulator.fail("http500", path="/feed", after=1, times=-1)
    cli = Cli(tmp_path, graph, retries=0)
    code, _, err = cli.run()
    assert code == 1 and "dept-fb: failed" in err and "HTTP 500" in err
    kept = cli.query("SELECT count(*) FROM items")[0][0]
    assert 0 < kept < VISIBLE_POSTS + COMMENTS
    emulator.faults.clear()
    code, _out, err = cli.run()
    assert code == 0, err
    assert cli.query("SELECT count(*), count(DISTINCT external_id) FROM items") == [
        (VISIBLE_POSTS + COMMENTS, VISIBLE_POSTS + COMMENTS)
    ]
    assert cli.query("SELECT status FROM runs ORDER BY run_id") == [("failed",), ("ok",)]


def test_cli_throttling_recovers_or_ends_throttled(
    graph: str, emulator: GraphEmulator, tmp_path: Path
) -> None:
    emulator.fail("throttle", code=613, path="/comments", after=2, times=2, retry_after=0)
    cli = Cli(tmp_path, graph)
    code, out, err = cli.run()
    assert code == 0 and "dept-fb: ok - fetched 25" in out, err
    emulator.fail("throttle", code=32, path="/feed", times=-1, regain_minutes=45)
    code, out, err = cli.run()
    assert code == 1
    assert "dept-fb: throttled" in err and "2700 s" in err and "next run goes on" in err
    emulator.faults.clear()
    assert cli.run()[0] == 0
    assert cli.query("SELECT status FROM runs ORDER BY run_id") == [("ok",), ("throttled",), ("ok",)]
    assert cli.query("SELECT count(*) FROM items") == [(VISIBLE_POSTS + COMMENTS,)]


def test_cli_expired_token_clear_message_nonzero_and_no_token_anywhere(
    graph: str, emulator: GraphEmulator, tmp_path: Path
) -> None:
    cli = Cli(tmp_path, graph)
    assert cli.run("--debug")[0] == 0
    emulator.fail("token", subcode=463, path="/comments", after=3, times=-1)
    code, _out, err = cli.run("--debug")
    assert code == 1
    line = next(x for x in err.splitlines() if x.startswith("dept-fb: token"))
    assert "the page token in FB_TEST_TOKEN has expired (code 190/463)" in line
    assert "issue a new page access token and set FB_TEST_TOKEN" in line
    assert "Traceback" not in err
    assert cli.query("SELECT status FROM runs ORDER BY run_id") == [("ok",), ("token",)]
    dumps = [
        str(cli.query(f"SELECT * FROM {table}"))
        for table in ("items", "item_versions", "runs", "source_state")
    ]
    assert not [text for text in cli.outputs + dumps if TOKEN in text]
    assert TOKEN.encode() not in cli.db.read_bytes()
    assert any("8 posts and 17 comments read" in text for text in cli.outputs)  # debug logs were captured


def test_one_post_whose_comments_are_refused_makes_the_run_partial(
    graph: str, emulator: GraphEmulator
) -> None:
    gone = next(pid for pid, p in emulator.posts.items() if p["message"] and "ЦОНа" in p["message"])
    for cid in [c for c, v in emulator.comments.items() if v["post_id"] == gone]:
        emulator.comments.pop(cid)
    emulator.posts[gone]["id"] = gone  # still listed in the feed ...
    emulator.posts[gone + "_listed"] = emulator.posts.pop(gone)  # ... but unknown as an object
    run = Run(graph)()
    assert run.error is None
    assert len(run.items) == VISIBLE_POSTS + COMMENTS - 3
    (problem,) = run.state["_errors"]
    assert "code 100" in problem and "check the id" in problem and gone in problem


def test_max_pages_resumes_down_the_feed_over_several_runs(graph: str) -> None:
    store: dict[str, Item] = {}
    state: dict[str, Any] = {}
    runs = 0
    while runs < 8:
        run = Run(graph, state=state, max_pages=1)(store)
        assert run.error is None
        runs += 1
        if "resume" not in state:
            break
        assert "newest_created" not in state  # the cursor moves only once the window is read
    assert runs == 4
    assert len(store) == VISIBLE_POSTS + COMMENTS
    assert state["newest_created"] == "2026-11-24T04:15:00+00:00"
    # the runs cut short recorded the posts they read, for the comment rechecks of later days
    assert set(state["comment_checks"]) == {i.external_id for i in store.values() if i.kind == "post"}


def test_an_empty_page_in_the_middle_is_not_the_end(graph: str, emulator: GraphEmulator) -> None:
    base = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    for n in range(3):  # with the fixture's hidden post: page 2 is [hidden x3], page 3 [hidden, ...]
        emulator.add_post(PAGE, f"скрытый {n}", base - timedelta(minutes=n), hidden=True)
    run = Run(graph)()
    assert run.error is None
    bodies = [
        json.loads(
            emulator.handle(
                f"/{PAGE}/feed",
                {"limit": ["3"], "after": [a]},
                {"Authorization": f"Bearer {TOKEN}"},
                "http://x",
            )[2]
        )
        for a in ("Mw==",)
    ]
    assert bodies[0]["data"] == [] and "next" in bodies[0]["paging"]
    assert len([i for i in run.items if i.kind == "post"]) == VISIBLE_POSTS
    assert len(run.items) == VISIBLE_POSTS + COMMENTS


def _post_id(emulator: GraphEmulator, words: str) -> str:
    return next(pid for pid, p in emulator.posts.items() if p["message"] and words in p["message"])


def _comment_reads(emulator: GraphEmulator, post_id: str) -> int:
    """How many times the post's comments were read (first pages: a page with ``after`` continues one)."""
    return sum(
        1
        for path, query in emulator.requests
        if path.endswith(f"/{post_id}/comments") and "after" not in query
    )


def test_comments_of_older_posts_are_read_again_on_their_schedule(
    graph: str, emulator: GraphEmulator
) -> None:
    store: dict[str, Item] = {}
    first = Run(graph)(store)
    assert set(first.state["comment_checks"]) == {i.external_id for i in first.items if i.kind == "post"}
    daily = _post_id(emulator, "Береке")  # 28 days old: its comments are read again once a day
    weekly = _post_id(emulator, "Приём граждан")  # 55 days old: once a week
    emulator.add_comment(daily, "Воды так и нет, прошёл месяц.", NOW + timedelta(hours=1))
    emulator.add_comment(weekly, "Приём перенесли на пятницу?", NOW + timedelta(hours=1))
    emulator.requests.clear()
    second = Run(graph, state=first.state, now=NOW + timedelta(hours=2))(store)
    assert second.error is None and _comment_reads(emulator, daily) == 0
    assert "Воды так и нет, прошёл месяц." not in {i.text for i in second.items}
    third = Run(graph, state=second.state, now=NOW + timedelta(hours=25))(store)
    assert third.error is None and third.state.get("_errors", []) == []
    assert "Воды так и нет, прошёл месяц." in {i.text for i in third.items if i.parent == daily}
    assert _comment_reads(emulator, daily) == 1 and _comment_reads(emulator, weekly) == 0
    fourth = Run(graph, state=third.state, now=NOW + timedelta(days=7, hours=1))(store)
    assert [i.text for i in fourth.items if i.parent == weekly] == ["Приём перенесли на пятницу?"]
    assert _comment_reads(emulator, weekly) == 1
    assert fourth.state["comment_checks"][weekly]["checked"] == (NOW + timedelta(days=7, hours=1)).isoformat()
    # 40 days on, the weekly post is 95 days old, past the last band: forgotten, not asked for again;
    # the other, 68 days old, is weekly now, and due
    emulator.requests.clear()
    late = Run(graph, state=fourth.state, now=NOW + timedelta(days=40))(store)
    assert late.error is None
    assert weekly not in late.state["comment_checks"] and _comment_reads(emulator, weekly) == 0
    assert daily in late.state["comment_checks"] and _comment_reads(emulator, daily) == 1


def test_an_old_post_deleted_since_is_forgotten_without_failing_the_run(
    graph: str, emulator: GraphEmulator
) -> None:
    first = Run(graph)()
    gone = _post_id(emulator, "Береке")
    for cid in [c for c, v in emulator.comments.items() if v["post_id"] == gone]:
        emulator.comments.pop(cid)
    emulator.posts[gone + "_deleted"] = emulator.posts.pop(gone)  # Graph no longer knows the id
    later = Run(graph, state=first.state, now=NOW + timedelta(hours=25))()
    assert later.error is None and later.state.get("_errors", []) == []
    assert gone not in later.state["comment_checks"]


def test_max_comment_rechecks_bounds_a_run_and_the_rest_wait_their_turn(
    graph: str, emulator: GraphEmulator
) -> None:
    first = Run(graph, max_comment_rechecks=1)()
    # A day later three posts that have left the feed window are due (all last read by the first run):
    # one is read a run, longest waiting first, and none twice.
    due = [p for p, e in first.state["comment_checks"].items() if e["created"] < "2026-11-19T07:00"]
    due = [p for p in due if p != _post_id(emulator, "Приём граждан")]  # weekly: not due yet
    assert len(due) == 3
    emulator.requests.clear()
    state = first.state
    for hour in (25, 26, 27):
        run = Run(graph, state=state, max_comment_rechecks=1, now=NOW + timedelta(hours=hour))()
        assert run.error is None
        state = run.state
        assert sum(_comment_reads(emulator, p) for p in due) == hour - 24
    assert [_comment_reads(emulator, p) for p in due] == [1, 1, 1]


def test_comment_recheck_can_be_switched_off_and_a_bad_value_is_named(
    graph: str, emulator: GraphEmulator
) -> None:
    first = Run(graph, comment_recheck=[])()
    emulator.requests.clear()
    Run(graph, state=first.state, comment_recheck=[], now=NOW + timedelta(days=2))()
    assert _comment_reads(emulator, _post_id(emulator, "Береке")) == 0
    bad = Run(graph, comment_recheck="daily")()
    assert bad.error is not None and "comment_recheck must be a list" in str(bad.error)
    assert bad.items == []


# -- cursors that older versions wrote -------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        {"newest_created": "0001-01-01T00:00:00+00:00"},  # newest - OVERLAP overflowed: every run failed
        {"newest_created": "9999-12-31T23:59:59+00:00"},  # stuck in the cursor for ever
        {"resume": {"since": None, "until": "0001-01-01T00:00:00+00:00", "newest": None}},
    ],
)
def test_a_cursor_time_that_is_no_publication_time_is_ignored_with_a_log_line(
    graph: str, caplog: pytest.LogCaptureFixture, state: dict[str, Any]
) -> None:
    caplog.set_level(logging.WARNING)
    run = Run(graph, state=dict(state))()
    assert run.error is None
    assert len(run.items) == VISIBLE_POSTS + COMMENTS  # the feed read as on a first run
    assert run.state["newest_created"] == "2026-11-24T04:15:00+00:00" and "resume" not in run.state
    assert "is no publication time; ignored" in caplog.text


def test_cli_bad_entries_and_a_year_1_post_end_partial_and_the_next_run_works(
    httpserver: Any, tmp_path: Path
) -> None:
    feed = f"/v25.0/{PAGE}/feed"
    year_1 = {"id": f"{PAGE}_1", "message": "Пост без даты", "created_time": "0001-01-01T00:00:00+0000"}
    no_id = {"message": "Пост без id", "created_time": "2026-11-24T09:00:00+0000"}
    fine = {"id": f"{PAGE}_3", "message": "Обычный пост", "created_time": "2026-11-24T09:00:00+0000"}
    httpserver.expect_request(feed).respond_with_json({"data": [year_1, None, no_id, fine]})
    comment = {"id": f"{PAGE}_3_1", "message": "Комментарий", "created_time": "2026-11-24T10:00:00+0000"}
    httpserver.expect_request(f"/v25.0/{PAGE}_3/comments").respond_with_json({"data": [comment]})
    httpserver.expect_request(re.compile(r".*/comments")).respond_with_json({"data": []})
    cli = Cli(tmp_path, httpserver.url_for("/").rstrip("/"))
    for fetched in (3, 0):  # the second run reads the same three items again, unchanged: none fetched
        code, out, err = cli.run()
        assert code == 0 and f"dept-fb: partial - fetched {fetched}," in out
        assert "2 with problems (listed below)" in out
        assert f"problem: source dept-fb: {httpserver.url_for(feed)}?limit=3" in err
        assert "post 2 of the page is null, not an object" in err
        assert "post 3 of the page: a post without an id" in err
        assert "Traceback" not in err + out
    assert cli.query("SELECT status, problems FROM runs ORDER BY run_id") == [("partial", 2), ("partial", 2)]
    assert cli.query("SELECT external_id, published_at IS NULL FROM items ORDER BY 1") == [
        (f"{PAGE}_1", True),
        (f"{PAGE}_3", False),
        (f"{PAGE}_3_1", False),
    ]
    (state,) = cli.query("SELECT state FROM source_state")[0]
    assert json.loads(state)["newest_created"] == "2026-11-24T09:00:00+00:00"
