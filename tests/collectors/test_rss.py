"""RSS/Atom parsing: golden records, full text preference, and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from testutil import FIXTURES

from collectors.rss import parse_feed, parse_well_formed, parse_with_feedparser
from errors import ParseError


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


@pytest.mark.parametrize(
    "path",
    [
        "rss/city.xml",
        "rss/cp1251.xml",
        "../../demo/site/rss/gorod-ru.xml",
        "../../demo/site/rss/zhanalyqtar-kk.xml",
    ],
)
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
