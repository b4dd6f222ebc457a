"""The HTTP client and an HTML page cut on the way: a connection dropped before the declared length
(an error of requests, retried), and a Content-Length shorter than the page (read to that length,
and then refused when the page stops before its end), served by ``http.server`` (portalkit.RawSite),
which sends what it is told; and the rule that tells a cut page, against our fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from portalkit import RawSite

from collectors.http import HttpClient
from collectors.http_body import cut_html
from errors import FetchError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAGE = (
    '<!doctype html>\n<html lang="ru"><head><meta charset="utf-8"><title>Ямы | Вестник</title></head>\n'
    "<body><h1>Жители жалуются на ямы</h1>\n"
    + "".join(
        f'<p class="text">Жители дома номер {n} по улице Абая жалуются на ямы.</p>\n' for n in range(40)
    )
    + "</body></html>\n"
).encode()
CUT = "the page stops before its end (cut on the way: a Content-Length shorter than the page); not read this run"


def client() -> HttpClient:
    return HttpClient(min_delay=0, retries=1, sleep=lambda _s: None, respect_robots=False)


def test_a_connection_dropped_before_the_declared_length_is_a_failed_fetch(raw_site: RawSite) -> None:
    raw_site.pages["/a"] = PAGE
    raw_site.drop["/a"] = len(PAGE) // 2
    with pytest.raises(FetchError, match="the connection ended before the whole answer came") as err:
        client().get(raw_site.url_for("/a"))
    assert err.value.url == raw_site.url_for("/a") and raw_site.hits == ["/a", "/a"]  # retried once


@pytest.mark.parametrize(
    "keep",
    [
        PAGE.index('Абая жалуются на ямы.</p>\n<p class="text">Жители дома номер 20'.encode())
        + 1,  # inside a letter (two bytes in UTF-8)
        PAGE.index('<p class="text">Жители дома номер 7'.encode()) + 6,  # inside a tag
        PAGE.index(b"</body>") + 4,  # inside the closing tags
        PAGE.index(b"<body>") + 3,  # in the page's head
    ],
    ids=["in-the-text", "in-a-tag", "in-the-closing-tags", "in-the-head"],
)
def test_an_html_page_longer_than_its_content_length_is_a_failed_fetch(raw_site: RawSite, keep: int) -> None:
    raw_site.pages["/a"] = PAGE
    raw_site.short["/a"] = len(PAGE) - keep
    http = client()
    url = raw_site.url_for("/a")
    with pytest.raises(FetchError) as err:
        http.get(url, conditional=True)
    assert str(err.value) == f"{url}: {CUT}" and err.value.transient
    assert raw_site.hits == ["/a"]  # not retried: the server says the same length again
    assert url not in http.validators  # the next run asks for the whole page, not whether it changed
    raw_site.short.clear()
    assert http.get(url, conditional=True).content == PAGE  # the next run


@pytest.mark.parametrize(
    "body, short",
    [
        (PAGE, 0),
        (PAGE, 1),  # the newline after </html>
        (PAGE.replace(b"</body></html>", b""), 0),  # closing tags left out (HTML allows it), a '>' last
        (PAGE.replace(b"</body></html>\n", b"<!-- cached 0.2 s -->"), 0),
        (b"<ul><li>comment 1</li><li>comment 2</li>" * 50, 40),  # a fragment, not a document: not judged
        ('{"html": "<html><body><p>Жители дома 5</p>", "more": 1}'.encode(), 0),  # JSON said to be HTML
        (b"<html><body>" + bytes(range(256)) * 40, 0),  # binary said to be HTML: the parser refuses it
    ],
    ids=[
        "whole",
        "newline-short",
        "no-closing-tags",
        "a-comment-last",
        "a-fragment",
        "json-as-html",
        "binary",
    ],
)
def test_a_whole_page_is_not_taken_for_a_cut_one(raw_site: RawSite, body: bytes, short: int) -> None:
    raw_site.pages["/a"] = body
    raw_site.short["/a"] = short
    assert client().get(raw_site.url_for("/a")).content == body[: len(body) - short]


SAVED = sorted(FIXTURES.glob("*/*.html"))


@pytest.mark.parametrize("path", SAVED, ids=[f"{p.parent.name}/{p.name}" for p in SAVED])
def test_our_saved_pages_are_whole_and_cut_anywhere_they_are_cut(path: Path) -> None:
    page = path.read_bytes()
    assert not cut_html(page)
    for share in (0.3, 0.5, 0.7, 0.95):
        end = int(len(page) * share)
        while page[:end].rstrip().endswith(b">"):  # a cut right after a tag is one this rule cannot see
            end -= 1
        assert cut_html(page[:end]), end
