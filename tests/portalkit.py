"""A small portal of our own for the portal collector's tests: pages by path and query, served by a
local server (pytest-httpserver, the ``site`` fixture in tests/collectors/conftest.py), and one run of the collector
against it; a server that sends a page cut on the way (:class:`RawSite`, the ``raw_site`` fixture); and the
pages of a news site to serve (:func:`page`, :func:`article`, :func:`home`: a header menu, a footer, a
sign-in box)."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
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

# -- the pages of a news site ----------------------------------------------------------------------

TITLE = "Жители жалуются на ямы после ремонта"
ARTICLE = "".join(
    f"<p>Жители дома номер {n} по улице Абая жалуются на ямы у подъездов после ремонта теплотрассы.</p>"
    for n in range(1, 6)
)
EDITED = ARTICLE.replace("у подъездов", "во дворах")  # the article's text after an edit
# the site's menu, in the header of every page, and its footer
NAV = (
    '<header class="site-header"><a href="/"><img alt="Вестник"></a><nav><ul>'
    '<li><a href="/">Главная</a></li><li><a href="/politics/">Политика</a></li>'
    '<li><a href="/society/">Общество</a></li></ul></nav></header>'
)
FOOTER = '<footer><a href="/reklama/">Реклама</a><p>© 2026 Вестник. Все права защищены.</p></footer>'
LOGIN_FORM = (
    '<form method="post" action="/user/login"><input name="name"><input type="password" name="pass">'
    "<button>Войти</button></form>"
)
WP_LOGIN_FORM = (  # WordPress's
    '<form method="post" action="/wp-admin/admin-post.php"><input name="log">'
    '<input type="password" name="pwd"><button>Войти</button></form>'
)
# a sign-in box on every page of the site, hidden until the reader clicks «Войти»: by the site's
# stylesheet, or by the box's own style
SIGN_IN_BOX = f'<div class="auth-box" id="auth"><h1>Вход</h1>{LOGIN_FORM}</div>'
HIDDEN_SIGN_IN_BOX = f'<div class="auth-box" style="display:none"><h1>Вход</h1>{LOGIN_FORM}</div>'
# the head of a home page titled by the site's name and slogan
HOME_HEAD = '<title>Вестник — новости Павлодара</title><meta property="og:site_name" content="Вестник">'
# what holds a page's own content
MAIN = ("<main>", "</main>")
ROLE_MAIN = ('<div class="page" role="main">', "</div>")


def document(head: str, body: str, *, body_class: str = "") -> str:
    """A whole HTML page in Russian: ``head`` and ``body`` are the insides of <head> and <body>."""
    attrs = f' class="{body_class}"' if body_class else ""
    return (
        f'<!doctype html><html lang="ru"><head><meta charset="utf-8">{head}</head>'
        f"<body{attrs}>{body}</body></html>"
    )


def page(
    title: str,
    body: str,
    *,
    head: str = "",
    before: str = NAV,
    after: str = FOOTER,
    main: tuple[str, str] = MAIN,
    body_class: str = "",
) -> str:
    """A page of the site titled «``title`` | Вестник»: ``body`` in ``main``, between what comes
    ``before`` (the header menu) and ``after`` (the footer)."""
    return document(
        f"<title>{title} | Вестник</title>{head}",
        f"{before}{main[0]}{body}{main[1]}{after}",
        body_class=body_class,
    )


def article(
    title: str = TITLE,
    text: str = ARTICLE,
    *,
    date: str = "25.11.2026 10:00",
    before: str = NAV,
    after: str = FOOTER,
) -> str:
    """An article's page: its headline, publication time and ``text`` (HTML paragraphs)."""
    return page(title, f'<h1>{title}</h1><div class="date">{date}</div>{text}', before=before, after=after)


def home(
    body: str, *, head: str = HOME_HEAD, before: str = NAV + SIGN_IN_BOX, main: tuple[str, str] = MAIN
) -> str:
    """The site's home page (or a listing laid out as it is), titled by the site's name: the header
    menu and a sign-in box ``before`` the ``body``, the footer after."""
    return document(head, f"{before}{main[0]}{body}{main[1]}{FOOTER}")


def links(*paths: str) -> str:
    """A listing's links to ``paths``, numbered."""
    return "".join(f'<a href="{path}">{n}</a>' for n, path in enumerate(paths, 1))


def teasers(*numbers: int) -> str:
    """A listing's teasers of articles numbered ``numbers`` (1 to 4: published before NOW): a headline, a time, a lead each."""
    return "".join(
        f'<div class="item"><h2><a href="/news/2026/11/2{n}/novost-{n}-{5510 + n}.html">Новость номер {n} '
        f'о бюджете города</a></h2><div class="date">2{n}.11.2026 1{n}:00</div><p>Депутаты маслихата '
        f"обсудили бюджет города на следующий год, новость номер {n}.</p></div>"
        for n in numbers
    )


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


class _Server(http.server.ThreadingHTTPServer):
    # Its connections are closed, and their threads joined, when it closes (a thread left running
    # would outlive the test); a client that goes away with a page's rest unread (a reset) is no error.
    daemon_threads = False

    def __init__(self, address: tuple[str, int], handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.connections: list[socket.socket] = []

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections.append(request)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass

    def server_close(self) -> None:
        for connection in self.connections:
            with contextlib.suppress(OSError):  # closed already
                connection.shutdown(socket.SHUT_RDWR)
        super().server_close()


class RawSite:
    """Pages by path served by ``http.server``, which sends a response as it is told to (werkzeug
    corrects a wrong Content-Length): a Content-Length ``short[path]`` bytes under the body's, after
    which the whole body is sent all the same; or ``drop[path]`` bytes of the body, the whole length
    declared, and the connection closed. Keep-alive (HTTP/1.1), as most sites."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {"/robots.txt": b"User-agent: *\n"}
        self.short: dict[str, int] = {}
        self.drop: dict[str, int] = {}
        self.hits: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                owner.hits.append(self.path)
                body = owner.pages.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body) - owner.short.get(self.path, 0)))
                self.end_headers()
                if self.path in owner.drop:
                    self.wfile.write(body[: owner.drop[self.path]])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url_for(self, path: str) -> str:
        """The page's URL, as ``HTTPServer.url_for`` gives it."""
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run(
    httpserver: HTTPServer | RawSite,
    state: dict[str, Any],
    now: datetime = NOW,
    validators: dict[str, dict[str, str]] | None = None,
    **options: Any,
) -> list[Item]:
    """One run of the portal collector over the site's /news/ listing (``options`` added); the client
    keeps its conditional-GET ``validators`` in the dict given, as the runner keeps them across runs."""
    opts = {"start_urls": [httpserver.url_for("/news/")], **options}
    client = HttpClient(min_delay=0, sleep=lambda _s: None, validators=validators)
    ctx = CollectContext(SourceConfig("vestnik", "portal", opts), client, state, last_success=None, now=now)
    try:
        return list(portal.collect(ctx))
    finally:
        client.close()
