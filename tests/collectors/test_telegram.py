"""The Telegram channel-preview collector: parser golden tests, paging and cursor, the CLI."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from telegramkit import cursor
from testutil import FIXTURES, run_cli, store_rows, telegram_config
from werkzeug import Request, Response

from collectors import telegram
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item
from errors import CollectError

TG = FIXTURES / "telegram"
CHANNEL = "almaty_shagym"
TITLE = "Алматы: шағымдар мен жаңалықтар"

NEW_MESSAGE = """
  <div class="tgme_widget_message_wrap js-widget_message_wrap">
    <div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="almaty_shagym/211">
      <div class="tgme_widget_message_bubble">
        <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/almaty_shagym"><span dir="auto">Алматы: шағымдар мен жаңалықтар</span></a></div>
        <div class="tgme_widget_message_text js-message_text" dir="auto">На Саина снова прорвало трубу, движение перекрыто.</div>
        <div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info short js-message_info"><span class="tgme_widget_message_views">12</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/almaty_shagym/211"><time datetime="2026-11-25T06:00:00+00:00" class="time">11:00</time></a></span></div></div>
      </div>
    </div>
  </div>
</section>"""


def page(name: str) -> str:
    return (TG / name).read_text(encoding="utf-8")


def items_of(html: str, base_url: str = "https://t.me") -> list[Item]:
    messages, _ = telegram.parse_channel_page(html)
    return [
        telegram.to_item(
            m, source="tg", base_url=base_url, channel=CHANNEL, title=telegram.channel_title(html)
        )
        for m in messages
    ]


# -- parser ----------------------------------------------------------------------------------


def test_newest_page_golden() -> None:
    html = page("page_newest.html")
    messages, next_before = telegram.parse_channel_page(html)
    assert next_before == 205
    assert [m.number for m in messages] == [205, 206, 208, 210]  # 209 is a service message
    got = {i.external_id: i for i in items_of(html)}
    assert got["205"] == Item(
        source="tg",
        kind="post",
        external_id="205",
        text="Бостандық ауданындағы Розыбакиев көшесінде үш күннен бері көше шамдары жанбайды. "
        "Әкімдікке хабарласқан едік, жауап жоқ.",
        url="https://t.me/almaty_shagym/205",
        author=TITLE,
        published_at=datetime(2026, 11, 24, 3, 10, tzinfo=UTC),
        raw={
            "post": "almaty_shagym/205",
            "views": 845,
            "views_shown": "845",
            "signature": None,
            "reply_to": None,
            "forwarded_from": None,
            "link_preview": None,
            "media": [],
        },
    )
    photo = got["206"]
    assert photo.author == "Айгуль Н."  # the signature wins over the channel title
    assert photo.text == (
        "Жители дома на Жандосова, 58 жалуются: после ремонта теплотрассы двор так и не восстановили, "
        "вокруг люков ямы по 1–3 квадратных метра.\n\nФото прислали подписчики. #ямы"
    )
    assert photo.raw["media"] == ["photo"]
    assert photo.raw["views"] == 1200
    assert photo.published_at == datetime(2026, 11, 24, 5, 42, 10, tzinfo=UTC)

    forwarded = got["208"]
    assert forwarded.raw["forwarded_from"] == {
        "name": "Антикор Алматы",
        "url": "https://t.me/antikor_almaty/1290",
    }
    assert forwarded.raw["link_preview"] == {
        "url": "https://news.example.kz/vzyatka-zamakima",
        "site_name": "Новости Example.kz",
        "title": "Приговор за взятку: замакима получил 7 лет",
        "description": "Бывший чиновник требовал деньги\nза согласование земельного участка.",
    }
    assert forwarded.text.endswith("за взятку в 12 млн тенге https://news.example.kz/vzyatka-zamakima")

    reply = got["210"]
    assert reply.raw["reply_to"] == "206"
    assert reply.parent == "206"
    assert reply.raw["edited"] is True
    assert reply.text == (
        "Обновление: акимат района обещал восстановить асфальт до 1 декабря. Подрядчик — ТОО «СтройИнвест». 🚧"
    )


def test_newest_page_keeps_foreign_text_out() -> None:
    texts = " ".join(i.text for i in items_of(page("page_newest.html")))
    for absent in (
        "Channel photo updated",  # service message
        "Forwarded from",
        "views",
        "Бывший чиновник",  # link preview description
        "Приговор за взятку",  # link preview title
        "Жители дома на Жандосова, 58 жалуются Обновление",  # the quoted reply
        "Search",
        "subscribers",
    ):
        assert absent not in texts
    assert texts.count("Жители дома на Жандосова") == 1


def test_older_page_poll_document_signature() -> None:
    messages, next_before = telegram.parse_channel_page(page("page_before_205.html"))
    assert next_before == 201  # the data-before link, not rel=next (?after=)
    by_number = {m.number: m for m in messages}
    assert sorted(by_number) == [201, 202, 203, 204]
    assert by_number[201].text == ""
    assert by_number[201].media == ["poll"]
    assert by_number[201].poll == {
        "question": "Как часто у вас отключают горячую воду?",
        "options": ["Каждую неделю", "Раз в месяц"],
    }
    assert by_number[201].views == 2000
    assert by_number[203].media == ["document"]
    assert by_number[203].text == "График плановых отключений воды на неделю"
    assert by_number[204].signature == "Нұрлан Ж."
    assert by_number[204].views == 1_100_000
    assert (
        by_number[204].text
        == "Алатау ауданында аула жолына салынған жаңа асфальт бір айда бұзылды 😡\nМердігер кім? Тексеру керек!"
    )


def test_empty_history_page_and_no_preview() -> None:
    assert telegram.parse_channel_page(page("page_before_201.html")) == ([], None)
    assert telegram.has_preview(page("page_before_201.html"))
    assert not telegram.has_preview(page("no_preview.html"))
    assert telegram.parse_channel_page(page("no_preview.html")) == ([], None)


@pytest.mark.parametrize(
    ("shown", "number"),
    [
        ("746", 746),
        ("1.1K", 1100),
        ("226.2K", 226200),
        ("2K", 2000),
        ("1.5M", 1_500_000),
        ("", None),
        ("—", None),
    ],
)
def test_parse_views(shown: str, number: int | None) -> None:
    assert telegram.parse_views(shown) == number


# -- collect() against a local server --------------------------------------------------------


class Channel:
    """A channel preview served by pytest-httpserver: the newest page and ?before= pages."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.pages: dict[str | None, str] = {
            None: page("page_newest.html"),
            "205": page("page_before_205.html"),
            "201": page("page_before_201.html"),
        }
        server.expect_request(f"/s/{CHANNEL}").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        before = request.args.get("before")
        html = self.pages.get(before, page("page_before_201.html"))
        return Response(html, content_type="text/html; charset=utf-8")

    def requests(self) -> list[str | None]:
        return [req.args.get("before") for req, _ in self.server.log]


def run_collect(server: HTTPServer, state: dict[str, Any], **options: Any) -> list[Item]:
    opts = {"channel": CHANNEL, "base_url": server.url_for("").rstrip("/"), **options}
    client = HttpClient(min_delay=0, retries=0, respect_robots=False)
    ctx = CollectContext(
        source=SourceConfig(name="tg-almaty", kind="telegram", options=opts),
        http=client,
        state=state,
        last_success=None,
        now=datetime.now(UTC),
    )
    try:
        return list(telegram.collect(ctx))
    finally:
        client.close()


def test_first_run_pages_back_to_the_start(httpserver: HTTPServer) -> None:
    channel = Channel(httpserver)
    state: dict[str, Any] = {}
    items = run_collect(httpserver, state)
    assert channel.requests() == [None, "205", "201"]
    assert sorted(int(i.external_id) for i in items) == [201, 202, 203, 204, 205, 206, 208, 210]
    assert cursor(state) == {"last_id": 210}
    base = httpserver.url_for("").rstrip("/")
    assert {i.url for i in items if i.external_id == "206"} == {f"{base}/{CHANNEL}/206"}
    assert all(i.source == "tg-almaty" and i.published_at and i.published_at.tzinfo for i in items)


def test_second_run_over_unchanged_channel_fetches_one_page(httpserver: HTTPServer) -> None:
    channel = Channel(httpserver)
    state: dict[str, Any] = {}
    first = run_collect(httpserver, state)
    httpserver.clear_log()
    second = run_collect(httpserver, state)
    assert channel.requests() == [None]
    assert {i.external_id for i in second} <= {i.external_id for i in first}
    assert cursor(state) == {"last_id": 210}


def test_new_message_is_picked_up_with_one_page(httpserver: HTTPServer) -> None:
    channel = Channel(httpserver)
    state: dict[str, Any] = {"last_id": 210}
    channel.pages[None] = channel.pages[None].replace("</section>", NEW_MESSAGE, 1)
    items = run_collect(httpserver, state)
    assert channel.requests() == [None]
    new = [i for i in items if i.external_id == "211"]
    assert [i.text for i in new] == ["На Саина снова прорвало трубу, движение перекрыто."]
    assert state["last_id"] == 211


def test_max_pages_leaves_a_gap_that_the_next_run_fills(httpserver: HTTPServer) -> None:
    channel = Channel(httpserver)
    state: dict[str, Any] = {"last_id": 150}
    items = run_collect(httpserver, state, max_pages=1)
    assert channel.requests() == [None]
    assert len(items) == 4
    assert cursor(state) == {"last_id": 210, "gaps": [[205, 150]]}
    httpserver.clear_log()
    items = run_collect(httpserver, state, max_pages=3)
    assert channel.requests() == [None, "205", "201"]
    assert sorted(int(i.external_id) for i in items if int(i.external_id) < 205) == [201, 202, 203, 204]
    assert cursor(state) == {"last_id": 210}


def test_first_run_without_backfill_stops_at_max_pages(httpserver: HTTPServer) -> None:
    channel = Channel(httpserver)
    state: dict[str, Any] = {}
    run_collect(httpserver, state, max_pages=1)
    assert channel.requests() == [None]
    assert cursor(state) == {"last_id": 210}  # no history backfill asked: no gap kept


def test_channel_without_preview_is_one_clear_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/s/zakrytyi_chat").respond_with_response(
        Response(status=302, headers={"Location": "/zakrytyi_chat"})
    )
    httpserver.expect_request("/zakrytyi_chat").respond_with_data(
        page("no_preview.html"), content_type="text/html; charset=utf-8"
    )
    with pytest.raises(CollectError, match=r"zakrytyi_chat.*no public web preview") as caught:
        run_collect(httpserver, {}, channel="zakrytyi_chat")
    assert caught.value.source == "tg-almaty"


def test_no_messages_widget_without_redirect_is_the_same_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/s/zakrytyi_chat").respond_with_data(
        page("no_preview.html"), content_type="text/html; charset=utf-8"
    )
    with pytest.raises(CollectError, match="no public web preview"):
        run_collect(httpserver, {}, channel="zakrytyi_chat")


# -- the real preview fragments in ../shared (skipped when absent) ---------------------------


@pytest.mark.shared
def test_shared_corpus_messages_match_ground_truth(shared_dir: Path) -> None:
    corpus = shared_dir / "corpora" / "telegram"
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    for expected in truth["messages"]:
        messages, _ = telegram.parse_channel_page((corpus / expected["file"]).read_text(encoding="utf-8"))
        assert len(messages) == 1, expected["file"]
        msg = messages[0]
        collapsed = " ".join(msg.text.split())
        assert msg.post == expected["post"]
        assert msg.published_at is not None
        assert msg.published_at.isoformat() == expected["datetime"]
        assert msg.views_shown == expected["views"]
        assert msg.views == expected["views_number"]
        assert collapsed[:40] == expected["text_prefix"], expected["file"]
        assert len(collapsed) == expected["text_len"], expected["file"]


@pytest.mark.shared
def test_shared_corpus_media_forwards_signatures(shared_dir: Path) -> None:
    corpus = shared_dir / "corpora" / "telegram"

    def one(name: str) -> telegram.ChannelMessage:
        return telegram.parse_channel_page((corpus / name).read_text(encoding="utf-8"))[0][0]

    assert one("message_media_round_video.html").media == ["round_video"]
    assert one("message_poll.html").media == ["poll"]
    assert one("message_sticker.html").media == ["sticker"]
    assert one("message_voice.html").media == ["voice"]
    assert one("message_media_file.html").media == ["document"]
    assert one("message_media_photo_and_video.html").media == ["photo", "video"]
    assert one("message_link_preview_video.html").media == []  # the video belongs to the preview
    assert one("message_link_preview_video.html").edited
    assert one("message_with_from_author.html").signature == "🅰️rkadiy Ivanov"
    assert one("message_media_forwarded_from.html").forwarded_from == {
        "name": "Пул N3",
        "url": "https://t.me/dimsmirnov175/44604",
    }
    assert one("message_voice.html").forwarded_from == {"name": "Спортивный Екб", "url": None}
    preview = one("message_link_preview.html").link_preview
    assert preview is not None and preview["title"] == "Георгий Зотов: ОККУПАЦИЯ ВОЛОСАТЫМ КРАБОМ"
    assert "Современная журналистика" not in one("message_link_preview.html").text


@pytest.mark.shared
def test_shared_corpus_as_one_channel_page(shared_dir: Path) -> None:
    corpus = shared_dir / "corpora" / "telegram"
    fragments = sorted(corpus.glob("message_*.html"))
    html = (
        '<html><body><section class="tgme_channel_history js-message_history">'
        + "".join(f.read_text(encoding="utf-8") for f in fragments)
        + "</section></body></html>"
    )
    messages, next_before = telegram.parse_channel_page(html)
    assert len(messages) == len(fragments) == 12
    assert next_before is None
    assert [m.number for m in messages] == sorted(m.number for m in messages)


# -- the command line: `run` twice over a local channel --------------------------------------


def test_cli_run_twice_stores_each_message_once(httpserver: HTTPServer, tmp_path: Path) -> None:
    channel = Channel(httpserver)
    config = telegram_config(tmp_path, httpserver.url_for("").rstrip("/"), CHANNEL, name="tg-almaty")
    db = tmp_path / "tg.duckdb"
    first = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
    assert first.returncode == 0, first.stderr
    rows = store_rows(
        db, "SELECT external_id, author, published_at, text FROM items WHERE source = 'tg-almaty'"
    )
    assert sorted(int(r[0]) for r in rows) == [201, 202, 203, 204, 205, 206, 208, 210]
    assert all(r[1] and r[2] is not None for r in rows)
    assert "Channel photo updated" not in " ".join(r[3] for r in rows)
    assert channel.requests() == [None, "205", "201"]

    httpserver.clear_log()
    second = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
    assert second.returncode == 0, second.stderr
    assert channel.requests() == [None]
    assert store_rows(db, "SELECT count(*) FROM items WHERE source = 'tg-almaty'") == [(8,)]


def test_cli_run_channel_without_preview_fails_with_one_line(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/s/zakrytyi_chat").respond_with_response(
        Response(status=302, headers={"Location": "/zakrytyi_chat"})
    )
    httpserver.expect_request("/zakrytyi_chat").respond_with_data(
        page("no_preview.html"), content_type="text/html"
    )
    config = telegram_config(tmp_path, httpserver.url_for("").rstrip("/"), CHANNEL, name="tg-almaty")
    config.write_text(config.read_text(encoding="utf-8").replace(CHANNEL, "zakrytyi_chat"), encoding="utf-8")
    result = run_cli("run", "--config", str(config), "--db", str(tmp_path / "tg.duckdb"), "--no-classify")
    assert result.returncode == 1
    assert "zakrytyi_chat" in result.stderr and "no public web preview" in result.stderr
    assert "Traceback" not in result.stderr


# -- the bundled demo channel ----------------------------------------------------------------


def test_demo_channel_pages_back_once_then_stops() -> None:
    from batch.demo import DemoServer

    with DemoServer() as server:
        state: dict[str, Any] = {}
        client = HttpClient(min_delay=0, retries=0, respect_robots=False)
        opts = {"channel": "oskemen_qala", "base_url": f"{server.base}/telegram"}
        ctx = CollectContext(
            source=SourceConfig(name="demo-tg", kind="telegram", options=opts),
            http=client,
            state=state,
            last_success=None,
            now=datetime.now(UTC),
        )
        items = list(telegram.collect(ctx))
        assert client.stats.requests == 2
        assert sorted(int(i.external_id) for i in items) == [45, 46, 47, 48, 49, 50, 51, 53, 54, 55, 56]
        assert cursor(state) == {"last_id": 56}
        again = list(telegram.collect(ctx))
        assert client.stats.requests == 3  # one page more
        assert {i.external_id for i in again} <= {i.external_id for i in items}
        client.close()


_LINE = st.text(
    alphabet=st.sampled_from(list("абвгдеёжзийклмнопрстуфхцчшщыэюяәғқңөұүһі АБВГҚҰӨ.,!?«»—<>&\"'0123456789")),
    max_size=40,
)


@settings(max_examples=80, deadline=None)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=5),
    number=st.integers(min_value=1, max_value=10**7),
    seconds=st.integers(min_value=1_500_000_000, max_value=2_000_000_000),
)
def test_text_and_time_round_trip(lines: list[str], number: int, seconds: int) -> None:
    """Any Cyrillic/Kazakh text written as the preview writes it (escaped, <br> lines) reads back the same."""
    when = datetime.fromtimestamp(seconds, tz=UTC)
    body = "<br>".join(html.escape(line) for line in lines)
    doc = (
        '<section class="tgme_channel_history">'
        f'<div class="tgme_widget_message js-widget_message" data-post="{CHANNEL}/{number}">'
        f'<div class="tgme_widget_message_text js-message_text" dir="auto">{body}</div>'
        f'<a class="tgme_widget_message_date" href="#"><time datetime="{when.isoformat()}"></time></a>'
        "</div></section>"
    )
    messages, _ = telegram.parse_channel_page(doc)
    assert [(m.number, m.published_at) for m in messages] == [(number, when)]
    expected = "\n".join(" ".join(line.split()) for line in lines).strip()
    assert messages[0].text == expected
