"""A small portal of our own for the portal collector's tests: pages by path and query, served by a
local server (pytest-httpserver, the ``site`` fixture in tests/collectors/conftest.py), and one run of the collector
against it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from collectors import portal
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
FIRST = "/news/2026/11/25/zhiteli-zhaluyutsya-na-yamy-5501.html"
SECOND = "/news/2026/11/24/avtobus-12-izmenil-marshrut-5502.html"


class Site:
    """A small portal by path and query; pages can be changed between runs, and a page can answer
    with a redirect instead (``moved``)."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {"/robots.txt": ("text/plain", b"User-agent: *\n")}
        self.moved: dict[str, str] = {}  # path -> where it redirects (301)
        self.hits: list[str] = []

    def html(self, key: str, body: str | bytes, ctype: str = "text/html; charset=utf-8") -> None:
        self.pages[key] = (ctype, body.encode("utf-8") if isinstance(body, str) else body)

    def __call__(self, request: Request) -> Response:
        key = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
        self.hits.append(key)
        if key in self.moved:
            return Response(b"", status=301, headers={"Location": self.moved[key]})
        if key not in self.pages:
            return Response(b"not found", status=404, content_type="text/plain")
        ctype, body = self.pages[key]
        return Response(body, status=200, headers={"Content-Type": ctype})


def run(httpserver: HTTPServer, state: dict[str, Any], now: datetime = NOW, **options: Any) -> list[Item]:
    """One run of the portal collector over the site's /news/ listing (``options`` added)."""
    opts = {"start_urls": [httpserver.url_for("/news/")], **options}
    client = HttpClient(min_delay=0, sleep=lambda _s: None)
    ctx = CollectContext(SourceConfig("vestnik", "portal", opts), client, state, last_success=None, now=now)
    try:
        return list(portal.collect(ctx))
    finally:
        client.close()
