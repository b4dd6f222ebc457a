"""RSS/Atom parsing: golden records, full text preference, and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from testutil import FIXTURES, WELL_FORMED_FEEDS

from collectors.item import Item
from collectors.rss import html_to_text, parse_feed, parse_well_formed, parse_with_feedparser
from errors import ParseError

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # the fetch time the dates are checked against


def test_city_feed_golden() -> None:
    items = parse_feed((FIXTURES / "rss" / "city.xml").read_bytes(), source="s", feed_url="http://f")
    assert [i.external_id for i in items] == ["t-1", "t-2", "http://test.invalid/n/3"]
    first, second, third = items
    assert first.title == "Ямы вокруг люков на улице Толе би"
    assert first.text.startswith("Полный текст: после ремонта")  # yandex:full-text beats the description
    assert first.raw["text_from"] == "yandex_full-text"
    assert first.published_at == datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    assert (
        second.text
        == "Первый абзац о встрече.\nПоделиться\nВторой абзац: жители спрашивали о ремонте лифтов."
    )
    assert "track()" not in second.text  # scripts never reach the text
    assert third.title is None and third.text.startswith("Запись без заголовка")
    assert all(i.kind == "entry" and i.source == "s" for i in items)


def test_cp1251_feed() -> None:
    (item,) = parse_feed((FIXTURES / "rss" / "cp1251.xml").read_bytes(), source="s", feed_url="http://f")
    assert item.title == "Нет отопления в школе" and "батареи не греют" in item.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"   \n ", "empty body"),
        (b"<!DOCTYPE html><html><body>Not a feed</body></html>", "HTML page, not an RSS/Atom feed"),
        (b"<rss><channel><item><title>broken", "not an RSS/Atom feed"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not an RSS/Atom feed"),
    ],
)
def test_bad_bodies_raise_one_clear_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message) as err:
        parse_feed(body, source="bad-feed", feed_url="http://f/feed")
    assert err.value.source == "bad-feed"


def test_shared_rss_corpus(shared_dir) -> None:
    truth = json.loads((shared_dir / "corpora" / "rss" / "ground-truth.json").read_text())
    for name, expected in truth.items():
        items = parse_feed((shared_dir / "corpora" / "rss" / name).read_bytes(), source="s", feed_url=name)
        assert len(items) == len(expected["entries"]), name
        by_id = {i.external_id: i for i in items}
        for entry in expected["entries"]:
            item = by_id[entry["id"]]
            assert item.url == entry["link"]
            assert (item.title or None) == (entry.get("title") or None)
            assert item.text.strip(), f"{name} {entry['id']} has no text"
            published = datetime.fromisoformat(entry["published"].replace("Z", "+00:00"))
            assert item.published_at == published


def _fields(items):
    return [
        (i.external_id, i.url, i.title, i.published_at, i.author, i.text, i.raw["text_from"]) for i in items
    ]


@pytest.mark.parametrize("path", WELL_FORMED_FEEDS)
def test_fast_path_agrees_with_feedparser(path: str) -> None:
    body = (FIXTURES / path).read_bytes()
    fast = parse_well_formed(body, source="s", feed_url="f")
    assert fast is not None and fast  # a well-formed feed takes the fast path
    assert _fields(fast) == _fields(parse_with_feedparser(body, source="s", feed_url="f"))


def test_shared_feeds_agree_on_both_paths(shared_dir) -> None:
    for path in sorted((shared_dir / "corpora" / "rss").glob("*.*")):
        if path.suffix not in {".xml", ".atom"}:
            continue
        body = path.read_bytes()
        fast = parse_well_formed(body, source="s", feed_url="f")
        slow = parse_with_feedparser(body, source="s", feed_url="f")
        assert [f[:5] for f in _fields(fast)] == [f[:5] for f in _fields(slow)], path.name


def _rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Лента</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def _atom(*entries: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Лента</title>'
        + "".join(entries)
        + "</feed>"
    ).encode()


def _both_paths(body: bytes) -> list[Item]:
    """The entries as the lxml path reads them, after checking that feedparser reads the same."""
    fast = parse_well_formed(body, source="s", feed_url="f", now=NOW)
    assert fast is not None
    slow = parse_with_feedparser(body, source="s", feed_url="f", now=NOW)
    assert _fields(fast) == _fields(slow)
    assert [i.raw for i in fast] == [i.raw for i in slow]
    return fast


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p><b>Взятка</b> в акимате</p>", "Взятка в акимате"),
        (
            '<a href="http://test.invalid/blog">Айгерім Сәтбаева</a>:\n    "Жөндеуден кейін люктердің\n'
            '    айналасында шұңқырлар қалды."\n',
            'Айгерім Сәтбаева: "Жөндеуден кейін люктердің айналасында шұңқырлар қалды."',
        ),
        (
            "Жители <em>жалуются</em> на <strong>ямы</strong>, <i>лифты</i> и <span>свет</span>"
            " (<code>ЖКХ</code>, <u>акимат</u>, <abbr>ЦОН</abbr>).",
            "Жители жалуются на ямы, лифты и свет (ЖКХ, акимат, ЦОН).",
        ),
        ("<p>Первый абзац.</p><p>Второй абзац.</p>", "Первый абзац.\nВторой абзац."),
        ("Строка одна<br>строка две<br/>строка три", "Строка одна\nстрока две\nстрока три"),
        ("<h2>Заголовок</h2><div>Текст <b>жирный</b>.</div>", "Заголовок\nТекст жирный."),
        ("<ul><li>Пункт <a href='#'>один</a></li><li>Пункт два</li></ul>", "Пункт один\nПункт два"),
        ("<blockquote>Цитата</blockquote>после", "Цитата\nпосле"),
        (
            "<table><tr><td>Улица</td><td>Абая</td></tr><tr><th>Дом</th><td>5</td></tr></table>",
            "Улица Абая\nДом 5",
        ),
        ("<p>Текст <!-- комментарий --> дальше</p>", "Текст дальше"),
        ("<p>  много   пробелов\n\n и переводов\tстрок  </p>", "много пробелов и переводов строк"),
        ("а&nbsp;б &amp; в", "а б & в"),
        ("просто текст\nв две строки", "просто текст в две строки"),
    ],
)
def test_html_to_text_keeps_inline_markup_inline(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_feed_text_keeps_inline_markup_inline() -> None:
    description = (
        "&lt;p&gt;&lt;b&gt;Взятка&lt;/b&gt; в акимате: &lt;a href='http://test.invalid/x'&gt;подробнее&lt;/a&gt;"
        ".&lt;/p&gt;&lt;p&gt;Второй\n абзац.&lt;/p&gt;"
    )
    body = _rss(
        f"<item><guid>t-1</guid><title>&lt;b&gt;Взятка&lt;/b&gt; в акимате</title>"
        f"<description>{description}</description></item>"
    )
    (item,) = _both_paths(body)
    assert item.text == "Взятка в акимате: подробнее.\nВторой абзац."
    assert item.title == "Взятка в акимате"


def test_atom_xhtml_content_keeps_inline_markup_inline() -> None:
    body = _atom(
        '<entry><id>a-1</id><title>Новость</title><content type="xhtml">'
        '<div xmlns="http://www.w3.org/1999/xhtml"><p><b>Взятка</b> в <a href="#">акимате</a></p>'
        "<p>Второй абзац</p></div></content></entry>"
    )
    (item,) = parse_well_formed(body, source="s", feed_url="f") or []
    assert item.text == "Взятка в акимате\nВторой абзац"


_WORDS = st.lists(st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі", min_size=1), min_size=1)


@given(_WORDS, st.lists(st.sampled_from(["b", "i", "a", "span", "em", "strong", "code"]), min_size=1))
def test_inline_markup_never_splits_a_line(words: list[str], tags: list[str]) -> None:
    html = " ".join(f"<{tags[n % len(tags)]}>{word}</{tags[n % len(tags)]}>" for n, word in enumerate(words))
    assert html_to_text(f"<p>{html}</p>") == " ".join(words)


ALMATY_1435 = datetime(2026, 11, 25, 9, 35, tzinfo=UTC)  # 14:35 in Almaty (UTC+5)


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        # no zone: a wall-clock time in Asia/Almaty, as collectors.dates reads it everywhere
        ("<pubDate>Wed, 25 Nov 2026 14:35:00</pubDate>", ALMATY_1435),
        ("<dc:date>2026-11-25T14:35:00</dc:date>", ALMATY_1435),
        ("<pubDate>Thu, 25 Jan 2024 14:35:00</pubDate>", datetime(2024, 1, 25, 8, 35, tzinfo=UTC)),  # +06
        # an explicit zone or offset is kept as given
        ("<pubDate>Wed, 25 Nov 2026 14:35:00 GMT</pubDate>", datetime(2026, 11, 25, 14, 35, tzinfo=UTC)),
        ("<pubDate>Wed, 25 Nov 2026 14:35:00 +0000</pubDate>", datetime(2026, 11, 25, 14, 35, tzinfo=UTC)),
        ("<pubDate>Wed, 25 Nov 2026 15:35:00 +0600</pubDate>", ALMATY_1435),
        ("<dc:date>2026-11-25T14:35:00Z</dc:date>", datetime(2026, 11, 25, 14, 35, tzinfo=UTC)),
        ("<dc:date>2026-11-25T14:35:00+05:00</dc:date>", ALMATY_1435),
    ],
)
def test_rss_dates_without_a_zone_are_almaty_time(element: str, expected: datetime) -> None:
    (item,) = _both_paths(_rss(f"<item><guid>d-1</guid><title>Новость</title>{element}</item>"))
    assert item.published_at == expected


def test_explicit_offsets_are_kept() -> None:
    (item,) = _both_paths(
        _rss("<item><guid>d-1</guid><pubDate>Wed, 25 Nov 2026 15:35:00 +0600</pubDate></item>")
    )
    assert item.published_at is not None
    assert item.published_at.utcoffset() == timedelta(hours=6)


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ("<published>2026-11-25T14:35:00</published>", ALMATY_1435),
        ("<updated>2026-11-25T14:35:00</updated>", ALMATY_1435),
        ("<published>2026-11-25T14:35:00Z</published>", datetime(2026, 11, 25, 14, 35, tzinfo=UTC)),
        ("<published>2026-11-25T15:35:00+06:00</published>", ALMATY_1435),
    ],
)
def test_atom_dates_without_a_zone_are_almaty_time(element: str, expected: datetime) -> None:
    body = _atom(f"<entry><id>a-1</id><title>Новость</title>{element}</entry>")
    (item,) = _both_paths(body)
    assert item.published_at == expected


@pytest.mark.parametrize(
    "date",
    [
        "25.11.2026 14:35",
        "Ср, 25 ноя 2026 14:35:00 +0500",
        "ср, 25 қар. 2026 14:35:00 +0500",
        "Ср, 25 ноя 2026 13:35:00 +0400",
        "25 ноября 2026, 14:35",
        "25 караша 2026, 14:35",
        "Wed, 25 Nov 26 09:35 GMT",  # RFC 822 allows a two-digit year
        "Wed Nov 25 14:35:00 2026",  # asctime, no zone: Almaty time
        "Wed, 25-Nov-2026 09:35:00 GMT",
    ],
)
def test_rss_dates_in_other_forms(date: str) -> None:
    (item,) = _both_paths(
        _rss(f"<item><guid>d-1</guid><title>Новость</title><pubDate>{date}</pubDate></item>")
    )
    assert item.published_at == ALMATY_1435


@pytest.mark.parametrize(
    "element",
    [
        "<pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate>",
        "<dc:date>1970-01-01T00:00:00Z</dc:date>",
        "<dc:date>2099-05-01</dc:date>",
        "<pubDate>Fri, 27 Nov 2026 14:35:00 +0500</pubDate>",  # two days after the fetch
        "<pubDate>не дата</pubDate>",  # unreadable
    ],
)
def test_rss_dates_that_are_not_publication_times(element: str) -> None:
    (item,) = _both_paths(_rss(f"<item><guid>d-1</guid><title>Новость</title>{element}</item>"))
    assert item.published_at is None
    written = element.split(">", 1)[1].rsplit("<", 1)[0]
    assert item.raw["unread_date"] == written  # kept for a person to look at


def test_atom_dates_that_are_not_publication_times() -> None:
    body = _atom(
        "<entry><id>a-1</id><title>Новость</title><published>1970-01-01T00:00:00Z</published></entry>"
    )
    (item,) = _both_paths(body)
    assert item.published_at is None and item.raw["unread_date"] == "1970-01-01T00:00:00Z"


def test_a_readable_date_keeps_no_raw_copy() -> None:
    (item,) = _both_paths(_rss("<item><guid>d-1</guid><pubDate>Wed, 25 Nov 2026 14:35:00</pubDate></item>"))
    assert item.raw == {"feed": "f", "text_from": "none", "tags": []}
