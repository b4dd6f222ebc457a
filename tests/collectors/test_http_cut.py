"""The HTTP client and an HTML page cut on the way: a connection dropped before the declared length
(an error of requests, retried), and a Content-Length shorter than the page (read to that length,
and then refused when the page stops before its end), served by ``http.server`` (portalkit.RawSite),
which sends what it is told; and the rule that tells a cut page, against our fixtures."""

from __future__ import annotations

import hashlib
import logging
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
    # the next run asks for the whole page, not whether it changed: only the cut bytes' hash is kept
    assert list(http.validators[url]) == ["cut"]
    raw_site.short.clear()
    assert http.get(url, conditional=True).content == PAGE  # the next run


@pytest.mark.parametrize(
    "body, short",
    [
        (PAGE, 0),
        (PAGE, 1),  # the newline after </html>
        (PAGE.replace(b"</body></html>", b""), 0),  # closing tags left out (HTML allows it), a '>' last
        (PAGE.replace(b"</body></html>\n", b"<!-- cached 0.2 s -->"), 0),
        (PAGE + b"<!-- tracker -->" + b"x" * 70_000 + b" ok", 0),  # more than 64 KiB after </html>
        (b"<ul><li>comment 1</li><li>comment 2</li>" * 50, 40),  # a fragment, not a document: not judged
        ('{"html": "<html><body><p>Жители дома 5</p>", "more": 1}'.encode(), 0),  # JSON said to be HTML
        (b"<html><body>" + bytes(range(256)) * 40, 0),  # binary said to be HTML: the parser refuses it
    ],
    ids=[
        "whole",
        "newline-short",
        "no-closing-tags",
        "a-comment-last",
        "a-long-tail-after-the-end",
        "a-fragment",
        "json-as-html",
        "binary",
    ],
)
def test_a_whole_page_is_not_taken_for_a_cut_one(raw_site: RawSite, body: bytes, short: int) -> None:
    raw_site.pages["/a"] = body
    raw_site.short["/a"] = short
    assert client().get(raw_site.url_for("/a")).content == body[: len(body) - short]


# A whole page that leaves its closing tags out and ends in text looks cut; served with the same bytes
# again, it is taken (a page cut on the way is cut elsewhere, or not at all, the next time).
NO_END = PAGE.replace(b"</p>\n</body></html>\n", b"")


def test_a_page_that_looks_cut_and_comes_again_with_the_same_bytes_is_taken_the_second_time(
    raw_site: RawSite, caplog: pytest.LogCaptureFixture
) -> None:
    raw_site.pages["/a"] = NO_END
    http = client()
    url = raw_site.url_for("/a")
    with pytest.raises(FetchError, match="the page stops before its end"):
        http.get(url, conditional=True)
    with caplog.at_level(logging.WARNING, logger="collectors.http"):
        resp = http.get(url, conditional=True)  # the next run
    assert resp.content == NO_END and not resp.not_modified
    assert [r.getMessage() for r in caplog.records] == [
        f"{url}: the page looks cut but came with the same bytes again: taken as whole"
    ]
    assert "cut" not in http.validators[url]  # its validators are a whole page's now
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="collectors.http"):
        assert http.get(url, conditional=True).not_modified  # and the run after knows it
    assert caplog.records == []  # without saying it again every run
    with pytest.raises(FetchError, match="the page stops before its end"):  # not asked conditionally
        client().get(url)


def test_a_page_taken_whole_before_is_taken_again_with_the_same_bytes(raw_site: RawSite) -> None:
    # stored by a version of the client that did not refuse it: its hash is the validators'
    raw_site.pages["/a"] = NO_END
    url = raw_site.url_for("/a")
    validators = {url: {"hash": hashlib.sha256(NO_END).hexdigest()[:32]}}
    http = HttpClient(
        min_delay=0, retries=1, sleep=lambda _s: None, respect_robots=False, validators=validators
    )
    assert http.get(url, conditional=True).not_modified


def test_a_page_cut_elsewhere_each_time_is_refused_each_time(raw_site: RawSite) -> None:
    raw_site.pages["/a"] = PAGE
    http = client()
    url = raw_site.url_for("/a")
    for n in (20, 21, 7):  # cut in the text of paragraph 20, then 21, then 7
        raw_site.short["/a"] = len(PAGE) - PAGE.index(f"Жители дома номер {n} ".encode()) - 5
        with pytest.raises(FetchError, match="the page stops before its end"):
            http.get(url, conditional=True)
        assert list(http.validators[url]) == ["cut"]


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
