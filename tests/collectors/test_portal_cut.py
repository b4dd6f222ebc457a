"""The portal collector and an article page cut on the way (a Content-Length shorter than the page):
never stored cut, one error naming the page, and read whole on a later run. Served by
``http.server`` (portalkit.RawSite), which sends the wrong length it is told to."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from portalkit import FIRST, NOW, SECOND, RawSite, run

TITLE = "Жители жалуются на ямы после ремонта"
PARAGRAPHS = [
    f"Жители дома номер {n} по улице Абая жалуются на ямы у подъездов после ремонта." for n in range(12)
]


def page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    return (
        f'<!doctype html>\n<html lang="ru"><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f'<body><h1>{title}</h1><div class="date">25.11.2026 10:00</div>\n{body}</body></html>\n'
    ).encode()


def short_by_half(site: RawSite, path: str) -> None:
    """The page's Content-Length: up to the middle of its seventh paragraph."""
    whole = site.pages[path]
    site.short[path] = len(whole) - whole.index("номер 6 по улице".encode())


def two_articles_the_first_cut(site: RawSite) -> None:
    """A listing of FIRST, served cut by half, and SECOND, served whole."""
    site.pages["/news/"] = (
        f'<html><body><a href="{FIRST}">1</a><a href="{SECOND}">2</a></body></html>'.encode()
    )
    site.pages[FIRST] = page(TITLE, PARAGRAPHS)
    site.pages[SECOND] = page("Автобус №12 изменил маршрут", PARAGRAPHS[:3])
    short_by_half(site, FIRST)


def test_an_article_cut_on_the_way_is_not_stored_cut_and_is_read_whole_later(raw_site: RawSite) -> None:
    two_articles_the_first_cut(raw_site)
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] = {}
    items = run(raw_site, state, validators=validators)
    first = raw_site.url_for(FIRST)
    assert [i.external_id for i in items] == [raw_site.url_for(SECOND)]  # not the first half of the first
    assert state["_errors"] == [
        f"{first}: the page stops before its end (cut on the way: a Content-Length shorter than the page); "
        "not read this run"
    ]
    raw_site.short.clear()
    (article,) = run(raw_site, state, NOW + timedelta(hours=1), validators)
    assert article.external_id == first and article.text.split("\n") == PARAGRAPHS
    assert state["_errors"] == []


def test_a_known_article_cut_on_a_recheck_keeps_its_stored_text(raw_site: RawSite) -> None:
    raw_site.pages["/news/"] = f'<html><body><a href="{FIRST}">1</a></body></html>'.encode()
    raw_site.pages[FIRST] = page(TITLE, PARAGRAPHS)
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] = {}
    (stored,) = run(raw_site, state, validators=validators)
    assert stored.text.split("\n") == PARAGRAPHS
    raw_site.pages[FIRST] = page(TITLE, [*PARAGRAPHS, "Аким обещал засыпать ямы к пятнице."])
    short_by_half(raw_site, FIRST)
    assert run(raw_site, state, NOW + timedelta(hours=2), validators) == []  # not its first half
    assert state["_errors"] == [
        f"{raw_site.url_for(FIRST)}: the page stops before its end (cut on the way: a Content-Length "
        "shorter than the page); not read this run"
    ]
    raw_site.short.clear()
    (again,) = run(raw_site, state, NOW + timedelta(hours=4), validators)
    assert again.text.split("\n") == [*PARAGRAPHS, "Аким обещал засыпать ямы к пятнице."]


def test_a_whole_article_without_its_closing_tags_is_stored_on_the_second_run(raw_site: RawSite) -> None:
    # it ends in its text, served with a Content-Length that is right: it looks cut, but the same bytes
    # come again next run, and a page cut on the way would be cut elsewhere (or not at all)
    raw_site.pages["/news/"] = f'<html><body><a href="{FIRST}">1</a></body></html>'.encode()
    raw_site.pages[FIRST] = page(TITLE, PARAGRAPHS).replace(b"</p>\n</body></html>\n", b"")
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] = {}
    assert run(raw_site, state, validators=validators) == []
    assert state["_errors"] == [
        f"{raw_site.url_for(FIRST)}: the page stops before its end (cut on the way: a Content-Length "
        "shorter than the page); not read this run"
    ]
    (article,) = run(raw_site, state, NOW + timedelta(hours=1), validators)
    assert article.text.split("\n") == PARAGRAPHS and state["_errors"] == []
    assert article.raw["cut"] is True  # analysts can find it: its text may end early


def test_an_article_cut_at_the_same_byte_every_run_is_stored_marked_cut(raw_site: RawSite) -> None:
    # a server whose Content-Length counts characters, not bytes, cuts a Cyrillic page at one place on
    # every run: the text up to there is kept (better than none), marked raw.cut; a whole page is not
    two_articles_the_first_cut(raw_site)
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] = {}
    (whole,) = run(raw_site, state, validators=validators)
    assert "cut" not in whole.raw
    (article,) = run(raw_site, state, NOW + timedelta(hours=1), validators)
    assert article.raw["cut"] is True and article.text.split("\n")[:6] == PARAGRAPHS[:6]


def test_an_article_cut_elsewhere_on_each_run_is_never_stored_cut(raw_site: RawSite) -> None:
    raw_site.pages["/news/"] = f'<html><body><a href="{FIRST}">1</a></body></html>'.encode()
    raw_site.pages[FIRST] = whole = page(TITLE, PARAGRAPHS)
    state: dict[str, Any] = {}
    validators: dict[str, dict[str, str]] = {}
    for hours, n in enumerate((6, 9, 3)):  # cut in the text of another paragraph each run
        raw_site.short[FIRST] = len(whole) - whole.index(f"номер {n} по улице".encode())
        assert run(raw_site, state, NOW + timedelta(hours=hours), validators) == []
        assert len(state["_errors"]) == 1 and "the page stops before its end" in state["_errors"][0]
