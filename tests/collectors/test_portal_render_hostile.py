"""``render = true`` against hostile pages: scripts that send the page elsewhere or reload it.

The pages are written here and served by a local server (pytest-httpserver); Chromium is required,
as for the other render tests.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from collectors import portal
from collectors.base import CollectContext, SourceConfig
from collectors.http import HostPacer, HttpClient
from collectors.render import Rendered, RenderError, render_dom

PAGE = """<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Ямы у подъездов</title></head>
<body><h1>Ямы у подъездов</h1><p>Жители дома по улице Абая жалуются на ямы после ремонта.</p>
<ol class="comments"></ol><script>
document.querySelector("ol.comments").innerHTML =
  '<li class="comment" id="comment-501"><p class="text">Кто принял такой ремонт?</p></li>';
SCRIPT
</script></body></html>"""

# every test here renders with the real browser
pytestmark = pytest.mark.usefixtures("chromium")


@pytest.fixture
def hits(httpserver: HTTPServer) -> list[str]:
    """The paths the site was asked for; every page but robots.txt is a small one of its own."""
    seen: list[str] = []

    def answer(request: Request) -> Response:
        seen.append(request.path)
        if request.path == "/robots.txt":
            return Response("User-agent: *\n", content_type="text/plain")
        return Response("<html><body><h1>Другая страница</h1></body></html>", content_type="text/html")

    httpserver.expect_request(re.compile(".*")).respond_with_handler(answer)
    return seen


def render(httpserver: HTTPServer, script: str, *, wait_ms: int = 2000, **client_options: Any) -> Rendered:
    client = HttpClient(min_delay=0, retries=0, pacer=HostPacer(), **client_options)
    try:
        return render_dom(
            httpserver.url_for("/news/5501.html"),
            wait_ms=wait_ms,
            timeout=30,
            client=client,
            html=PAGE.replace("SCRIPT", script).encode(),
        )
    finally:
        client.close()


@pytest.mark.browser
@pytest.mark.parametrize(
    "script",
    [
        'location.href = "/elsewhere.html";',
        'window.onbeforeunload = () => "stay"; location.replace("/elsewhere.html");',
        "location.reload();",
    ],
    ids=["elsewhere", "elsewhere-despite-beforeunload", "reload"],
)
def test_a_script_that_leaves_or_reloads_the_page_leaves_the_page_as_it_was(
    httpserver: HTTPServer, hits: list[str], script: str
) -> None:
    rendered = render(httpserver, script)
    # the page's DOM, with what its scripts added, not Chromium's "This page has been blocked"
    assert "<h1>Ямы у подъездов</h1>" in rendered.html
    assert "Кто принял такой ремонт?" in rendered.html
    assert "blocked" not in rendered.html.lower()
    assert "/elsewhere.html" not in hits
    assert len(rendered.traffic.not_sent) >= 1


@pytest.mark.browser
def test_a_rendered_utf8_page_whose_header_claims_latin1_is_read_as_utf8(httpserver: HTTPServer) -> None:
    # Chromium would trust the header; the collector reads such a page as UTF-8, and so must it
    article = "/news/2026/11/25/yamy-u-podezdov-5501.html"
    lying = {"Content-Type": "text/html; charset=iso-8859-1"}
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\n", content_type="text/plain")
    httpserver.expect_request("/news/").respond_with_data(f'<a href="{article}">Ямы</a>', headers=lying)
    httpserver.expect_request(article).respond_with_data(PAGE.replace("SCRIPT", "").encode(), headers=lying)
    client = HttpClient(min_delay=0, retries=0, pacer=HostPacer())
    opts = {"start_urls": [httpserver.url_for("/news/")], "render": True, "render_wait_ms": 1000}
    now = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    ctx = CollectContext(SourceConfig("vestnik", "portal", opts), client, {}, last_success=None, now=now)
    try:
        items = list(portal.collect(ctx))
    finally:
        client.close()
    assert [(i.kind, i.title or i.text) for i in items] == [
        ("article", "Ямы у подъездов"),
        ("comment", "Кто принял такой ремонт?"),
    ]


@pytest.mark.browser
def test_a_dom_scripts_grow_past_the_byte_cap_is_a_render_error(
    httpserver: HTTPServer, hits: list[str]
) -> None:
    # the page was fetched under the client's cap; what its scripts build must not escape it
    grow = "document.body.insertAdjacentHTML('beforeend', '<p>' + 'Мусор. '.repeat(20000) + '</p>');"
    with pytest.raises(RenderError, match="characters long, over the 100,000-byte cap"):
        render(httpserver, grow, wait_ms=1000, max_bytes=100_000)
