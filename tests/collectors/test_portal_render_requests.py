"""``render = true``: every request of the rendered page goes through the run's HttpClient.

A local portal (pytest-httpserver) logs each request it receives (when, method, path and query,
headers). Its articles load their comments with a script file (``/static/comments.js``) that asks a
JSON endpoint for the thread's page and adds a link to the next one; the pages also carry a style
sheet, a photo and a page-view POST. The assertions read that log: what the site saw is what the
crawler did. These tests need Chromium and fail without it, as the other render tests do.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from collectors import portal
from collectors.base import CollectContext, SourceConfig
from collectors.http import HostPacer, HttpClient
from collectors.item import Item
from collectors.render import Rendered, RenderError, may_post, render_dom

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "portal"
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
AGENT = "vestnik-monitor-test/2.0 (+https://example.invalid/monitor)"
ARTICLES = {
    5501: ("/news/2026/11/25/yamy-vokrug-lyukov-5501.html", "Ямы вокруг люков после ремонта"),
    5502: ("/news/2026/11/24/avtobus-12-izmenil-marshrut-5502.html", "Автобус №12 изменил маршрут"),
}
FIRST, SECOND = (path for path, _ in ARTICLES.values())
LISTING = (
    '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Новости</title></head><body>'
    + "".join(f'<h2><a href="{path}">{title}</a></h2>' for path, title in ARTICLES.values())
    + "</body></html>"
)
ALLOW_ALL = "User-agent: *\nAllow: /\n"
AJAX = "/wp-admin/admin-ajax.php"
AJAX_WIDGET = f'data-post="{AJAX}" data-id="{{{{id}}}}"'

# every test here renders with the real browser
pytestmark = pytest.mark.usefixtures("chromium")


def comment(n: int, author: str, text: str) -> dict[str, Any]:
    return {"id": n, "author": author, "date": f"2026-11-25T10:{n % 60:02d}:00+05:00", "text": text}


@dataclass(frozen=True, slots=True)
class Hit:
    """One request the portal received."""

    at: float  # time.monotonic() when it arrived
    method: str
    target: str  # path and query
    headers: dict[str, str]
    body: bytes = b""


class Portal:
    """The listing, the articles (each page of their comment thread too), the widget's script and the
    JSON thread pages; ``robots`` and ``threads`` may be changed by a test before the run."""

    def __init__(self) -> None:
        self.robots = ALLOW_ALL
        # (article id, thread page) -> the JSON the widget reads
        self.threads: dict[tuple[int, str], dict[str, Any]] = {
            (5501, "1"): {"comments": [comment(501, "Асель", "Кто принял такой ремонт?")], "next": None},
            (5502, "1"): {"comments": [comment(601, "Ерлан", "Автобус теперь ходит реже.")], "next": None},
        }
        self.extra: dict[str, tuple[str, dict[str, str]]] = {}  # path -> (body, headers) a test adds
        self.hits: list[Hit] = []
        self.comments_by_post = False  # the widget POSTs to /wp-admin/admin-ajax.php instead of a GET
        self.ajax_status = 200

    def __call__(self, request: Request) -> Response:
        query = request.query_string.decode()
        self.hits.append(
            Hit(
                time.monotonic(),
                request.method,
                request.path + (f"?{query}" if query else ""),
                dict(request.headers),
                request.get_data(),
            )
        )
        html = "text/html; charset=utf-8"
        if request.path in self.extra:
            body, headers = self.extra[request.path]
            return Response(body, headers=headers)
        if request.path == "/robots.txt":
            return Response(self.robots, content_type="text/plain")
        if request.path == "/news/":
            return Response(LISTING, content_type=html)
        if request.path == "/static/comments.js":
            return Response((FIXTURES / "render-comments.js").read_bytes(), content_type="text/javascript")
        for n, (path, title) in ARTICLES.items():
            if request.path == path:
                page = (FIXTURES / "render-article.html").read_text(encoding="utf-8")
                if self.comments_by_post:
                    page = page.replace('data-src="/api/comments/{{id}}.json"', AJAX_WIDGET)
                page = page.replace("{{id}}", str(n)).replace("{{title}}", title)
                return Response(page, content_type=html)
            if request.path == f"/api/comments/{n}.json":
                thread = self.threads.get((n, request.args.get("page", "1")), {"comments": [], "next": None})
                return Response(json.dumps(thread), content_type="application/json")
        if request.path == AJAX and request.method == "POST":
            asked = request.form  # action=load_comments&post_id=N&page=P
            if asked.get("action") != "load_comments" or self.ajax_status != 200:
                return Response("0", status=self.ajax_status if self.ajax_status != 200 else 400)
            key = (int(asked.get("post_id", "0")), asked.get("page", "1"))
            thread = self.threads.get(key, {"comments": [], "next": None})
            return Response(json.dumps(thread), content_type="application/json")
        return Response("not found", status=404, content_type="text/plain")

    def targets(self) -> list[str]:
        return [h.target for h in self.hits]


@pytest.fixture
def site(httpserver: HTTPServer) -> Portal:
    handler = Portal()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)
    return handler


def collect(httpserver: HTTPServer, state: dict[str, Any], **options: Any) -> list[Item]:
    """One run of a render source; ``min_delay`` as an option sleeps for real (a fresh pacer)."""
    opts = {"start_urls": [httpserver.url_for("/news/")], "render": True, **options}
    client = HttpClient(min_delay=0, retries=0, pacer=HostPacer())
    ctx = CollectContext(SourceConfig("vestnik", "portal", opts), client, state, last_success=None, now=NOW)
    try:
        return list(portal.collect(ctx))
    finally:
        client.close()


def render_page(httpserver: HTTPServer, page: str) -> Rendered:
    """``page`` rendered as if fetched from /page.html, through a client of its own."""
    client = HttpClient(min_delay=0, retries=0, pacer=HostPacer())
    try:
        return render_dom(
            httpserver.url_for("/page.html"), wait_ms=2000, timeout=30, client=client, html=page.encode()
        )
    finally:
        client.close()


def kinds(items: list[Item]) -> list[tuple[str, str]]:
    return sorted((i.kind, i.external_id) for i in items)


@pytest.mark.browser
def test_a_comments_endpoint_robots_txt_disallows_is_never_requested(
    httpserver: HTTPServer, site: Portal
) -> None:
    site.robots = "User-agent: *\nDisallow: /api/\n"
    state: dict[str, Any] = {}
    items = collect(httpserver, state)
    assert not [t for t in site.targets() if t.startswith("/api/")]
    # both articles are stored, from the page as rendered without the comments the endpoint holds
    assert kinds(items) == [("article", httpserver.url_for(SECOND)), ("article", httpserver.url_for(FIRST))]
    assert "/static/comments.js" in site.targets()  # the page was rendered: its script was fetched
    # one report line for the run, not one per article, naming a refused request
    assert len(state["_errors"]) == 1, state["_errors"]
    line = state["_errors"][0]
    assert "robots.txt disallows" in line and "/api/comments/" in line and "render = true" in line


@pytest.mark.browser
def test_every_request_while_rendering_carries_our_user_agent_and_no_other(
    httpserver: HTTPServer, site: Portal
) -> None:
    items = collect(httpserver, {}, user_agent=AGENT)
    assert ("comment", f"{httpserver.url_for(FIRST)}#c501") in kinds(items)
    rendering = [h for h in site.hits if h.target.startswith(("/static/", "/api/"))]
    assert {h.target.split("?")[0] for h in rendering} >= {
        "/static/comments.js",
        "/api/comments/5501.json",
        "/api/comments/5502.json",
    }
    for hit in site.hits:
        assert hit.headers.get("User-Agent") == AGENT, hit
        # a browser would name itself a second time in client hints (Sec-CH-UA: "Chromium";v=...)
        assert not [name for name in hit.headers if name.lower().startswith("sec-ch-ua")], hit
    json_call = next(h for h in rendering if h.target.startswith("/api/"))
    assert json_call.headers.get("Accept") == "application/json"  # the page's own header is passed on


@pytest.mark.browser
def test_render_requests_count_toward_max_requests(httpserver: HTTPServer, site: Portal) -> None:
    # robots.txt, the listing, the first article and its script: the budget is spent before the
    # JSON call, which is refused; the second article waits for the next run
    state: dict[str, Any] = {}
    items = collect(httpserver, state, max_requests=4)
    assert site.targets() == ["/robots.txt", "/news/", FIRST, "/static/comments.js"]
    assert kinds(items) == [("article", httpserver.url_for(FIRST))]
    assert len(state["_errors"]) == 1, state["_errors"]
    line = state["_errors"][0]
    assert "max_requests" in line and "/api/comments/5501.json" in line


@pytest.mark.browser
def test_the_browser_does_not_fetch_the_article_again(httpserver: HTTPServer, site: Portal) -> None:
    items = collect(httpserver, {})
    assert ("comment", f"{httpserver.url_for(FIRST)}#c501") in kinds(items)
    assert ("comment", f"{httpserver.url_for(SECOND)}#c601") in kinds(items)
    assert site.targets().count(FIRST) == 1 and site.targets().count(SECOND) == 1
    # nor anything that cannot change the DOM (style sheet, photo), nor the page-view POST
    assert site.targets() == [
        "/robots.txt",
        "/news/",
        FIRST,
        "/static/comments.js",
        "/api/comments/5501.json?page=1",
        SECOND,
        "/static/comments.js",
        "/api/comments/5502.json?page=1",
    ]
    assert {h.method for h in site.hits} == {"GET"}


@pytest.mark.browser
def test_min_delay_spaces_the_render_requests(httpserver: HTTPServer, site: Portal) -> None:
    min_delay = 0.4
    items = collect(httpserver, {}, min_delay=min_delay)
    assert ("comment", f"{httpserver.url_for(FIRST)}#c501") in kinds(items)
    assert "/static/comments.js" in site.targets() and "/api/comments/5501.json?page=1" in site.targets()
    gaps = [round(b.at - a.at, 3) for a, b in zip(site.hits, site.hits[1:], strict=False)]
    # Arrival times at the server: a request held up on a loaded machine arrives late and shortens the
    # gap after it, so the floor is half the delay (without the delay the gaps are milliseconds).
    assert min(gaps) >= min_delay * 0.5, list(zip(site.targets()[1:], gaps, strict=True))


@pytest.mark.browser
def test_a_second_page_of_the_comment_thread_is_rendered_too(httpserver: HTTPServer, site: Portal) -> None:
    site.threads[(5501, "1")]["next"] = "?cpage=2"
    site.threads[(5501, "2")] = {
        "comments": [comment(502, "Серік", "Жарық әлі жоқ, ақша қайда?")],
        "next": None,
    }
    state: dict[str, Any] = {}
    items = collect(httpserver, state)
    first = httpserver.url_for(FIRST)
    assert [e for e in kinds(items) if e[1].startswith(first + "#")] == [
        ("comment", f"{first}#c501"),
        ("comment", f"{first}#c502"),
    ]
    assert state["_errors"] == []
    assert state["articles"][first]["comment_pages"] == [first + "?cpage=2"]
    assert site.targets().count(FIRST + "?cpage=2") == 1
    assert "/api/comments/5501.json?page=2" in site.targets()


@pytest.mark.browser
def test_requests_outside_the_page_never_reach_the_site(httpserver: HTTPServer, site: Portal) -> None:
    # A service worker's script and a WebSocket are not requests of the page the interception sees;
    # Chromium's own network (a closed proxy) must fail them rather than let them bypass the client.
    page = """<!doctype html><html><body><p id="out"></p><script>
    const out = document.getElementById("out");
    navigator.serviceWorker.register("/sw.js").then(() => { out.textContent += " registered"; },
                                                    () => { out.textContent += " no-worker"; });
    const ws = new WebSocket(location.origin.replace("http", "ws") + "/live");
    ws.onerror = () => { out.textContent += " no-socket"; };
    </script></body></html>"""
    site.extra["/sw.js"] = (
        "self.addEventListener('install', () => {});",
        {"Content-Type": "text/javascript"},
    )
    rendered = render_page(httpserver, page)
    assert "no-worker" in rendered.html and "no-socket" in rendered.html
    assert site.targets() == []


@pytest.mark.browser
def test_a_cross_origin_preflight_is_answered_without_the_network(
    httpserver: HTTPServer, site: Portal
) -> None:
    # The page (on localhost) asks 127.0.0.1 with a header that needs a CORS preflight: the OPTIONS is
    # answered in the browser, the GET goes through the client, and the site's answer (which allows
    # any origin) lets the script read it.
    api = httpserver.url_for("/api/other-origin.json").replace("localhost", "127.0.0.1")
    page = f"""<!doctype html><html><body><p id="out"></p><script>
    fetch("{api}", {{headers: {{"X-Requested-With": "XMLHttpRequest"}}}})
      .then((r) => r.json()).then((j) => {{ document.getElementById("out").textContent = j.text; }});
    </script></body></html>"""
    site.extra["/api/other-origin.json"] = (
        json.dumps({"text": "из другого источника"}),
        {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"},
    )
    rendered = render_page(httpserver, page)
    assert '<p id="out">из другого источника</p>' in rendered.html
    assert [(h.method, h.target) for h in site.hits] == [
        ("GET", "/robots.txt"),
        ("GET", "/api/other-origin.json"),
    ]
    assert site.hits[1].headers.get("X-Requested-With") == "XMLHttpRequest"
    assert rendered.traffic.fetched == [api]


@pytest.mark.browser
def test_an_iframe_is_not_loaded(httpserver: HTTPServer, site: Portal) -> None:
    # The collector reads the page's own DOM; an iframe's document (a video player, a map, a widget on
    # another host) is not in it, so fetching it would spend a request and a robots.txt on nothing.
    page = """<!doctype html><html><head><meta charset="utf-8"></head><body><p id="out">страница</p>
    <iframe src="/embed/player.html"></iframe>
    <script>document.getElementById("out").textContent += " и скрипт";</script></body></html>"""
    site.extra["/embed/player.html"] = ("<p>плеер</p>", {"Content-Type": "text/html; charset=utf-8"})
    rendered = render_page(httpserver, page)
    assert '<p id="out">страница и скрипт</p>' in rendered.html
    assert site.targets() == []
    assert rendered.traffic.frames == [httpserver.url_for("/embed/player.html")]
    assert "1 iframes not loaded" in rendered.traffic.summary()


@pytest.mark.browser
def test_a_hanging_script_host_cannot_hold_the_render_past_its_timeout(
    httpserver: HTTPServer, site: Portal, silent_host: str
) -> None:
    # A script from a host that accepts connections and never answers: its robots.txt and the script
    # itself each wait their share of the time left, not the client's own 30 s timeout.
    page = f"""<!doctype html><html><head><meta charset="utf-8"></head><body><p>статья</p>
    <script src="{silent_host}/widget.js"></script></body></html>"""
    client = HttpClient(min_delay=0, retries=1, timeout=30.0, pacer=HostPacer())
    started = time.monotonic()
    try:
        render_dom(
            httpserver.url_for("/page.html"), wait_ms=500, timeout=4, client=client, html=page.encode()
        )
    except RenderError as exc:
        assert "render_timeout = 4" in str(exc)
    finally:
        client.close()
    took = time.monotonic() - started
    assert took < 4 + 3, took
    assert client.timeout == 30.0


def test_render_post_entries_are_paths_on_the_pages_host_or_url_beginnings() -> None:
    page = "https://portal.kz/news/1.html"
    assert may_post("https://portal.kz/wp-admin/admin-ajax.php?lang=kk", page, ["/wp-admin/admin-ajax.php"])
    assert not may_post("https://other.kz/wp-admin/admin-ajax.php", page, ["/wp-admin/admin-ajax.php"])
    assert not may_post("http://portal.kz/wp-admin/admin-ajax.php", page, ["/wp-admin/admin-ajax.php"])
    assert not may_post("https://portal.kz/api/views", page, ["/wp-admin/admin-ajax.php"])
    assert may_post("https://comments.kz/thread/load", page, ["https://comments.kz/thread/"])
    assert not may_post("https://comments.kz.evil.example/thread/load", page, ["https://comments.kz/thread/"])
    assert not may_post("https://portal.kz/wp-admin/admin-ajax.php", page, [])


@pytest.mark.browser
def test_comments_a_widget_posts_for_are_collected_where_render_post_lists_the_endpoint(
    httpserver: HTTPServer, site: Portal
) -> None:
    site.comments_by_post = True  # the thread comes from a form POST to admin-ajax.php, as in wpDiscuz
    state: dict[str, Any] = {}
    items = collect(httpserver, state, render_post=[AJAX], user_agent=AGENT)
    assert ("comment", f"{httpserver.url_for(FIRST)}#c501") in kinds(items)
    assert ("comment", f"{httpserver.url_for(SECOND)}#c601") in kinds(items)
    assert state["_errors"] == []
    posts = [h for h in site.hits if h.method == "POST"]
    # one POST per article, with the page's own body and content type, under our User-Agent; the
    # page-view POST to /api/views, which render_post does not list, never reaches the site
    assert [(h.target, h.body) for h in posts] == [
        (AJAX, b"action=load_comments&post_id=5501&page=1"),
        (AJAX, b"action=load_comments&post_id=5502&page=1"),
    ]
    for hit in posts:
        assert hit.headers.get("Content-Type") == "application/x-www-form-urlencoded"
        assert hit.headers.get("User-Agent") == AGENT


@pytest.mark.browser
def test_without_render_post_the_page_posts_nothing(httpserver: HTTPServer, site: Portal) -> None:
    site.comments_by_post = True
    items = collect(httpserver, {})
    assert kinds(items) == [("article", httpserver.url_for(SECOND)), ("article", httpserver.url_for(FIRST))]
    assert {h.method for h in site.hits} == {"GET"}


@pytest.mark.browser
def test_a_post_is_made_once_and_its_answer_handed_to_the_page(httpserver: HTTPServer, site: Portal) -> None:
    # A POST may change something on the server: a 503 is not retried, whatever the client's retries,
    # and the page's script gets the answer as it came.
    site.ajax_status = 503
    page = f"""<!doctype html><html><body><p id="out"></p><script>
    fetch("{AJAX}", {{method: "POST", headers: {{"Content-Type": "application/x-www-form-urlencoded"}},
                     body: "action=load_comments&post_id=5501&page=1"}})
      .then((r) => {{ document.getElementById("out").textContent = "status " + r.status; }});
    </script></body></html>"""
    client = HttpClient(min_delay=0, retries=2, backoff=0.01, pacer=HostPacer())
    try:
        rendered = render_dom(
            httpserver.url_for("/page.html"),
            wait_ms=2000,
            timeout=30,
            client=client,
            html=page.encode(),
            post=[AJAX],
        )
    finally:
        client.close()
    assert '<p id="out">status 503</p>' in rendered.html
    assert [(h.method, h.target) for h in site.hits] == [("GET", "/robots.txt"), ("POST", AJAX)]
    assert client.stats.retries == 0
    assert rendered.traffic.fetched == [httpserver.url_for(AJAX)]


@pytest.mark.browser
def test_robots_txt_disallows_a_post_as_it_does_a_get(httpserver: HTTPServer, site: Portal) -> None:
    site.robots = "User-agent: *\nDisallow: /wp-admin/\n"
    site.comments_by_post = True
    state: dict[str, Any] = {}
    items = collect(httpserver, state, render_post=[AJAX])
    assert not [h for h in site.hits if h.target.startswith("/wp-admin/")]
    assert [kind for kind, _ in kinds(items)] == ["article", "article"]
    assert len(state["_errors"]) == 1 and "robots.txt disallows" in state["_errors"][0]
    assert AJAX in state["_errors"][0]


@pytest.mark.browser
def test_a_post_render_post_does_not_list_costs_no_request_at_all(
    httpserver: HTTPServer, site: Portal
) -> None:
    # A page-view counter on another host: refused before its host's robots.txt would be asked for.
    counter = httpserver.url_for("/api/views").replace("localhost", "127.0.0.1")
    page = f"""<!doctype html><html><head><meta charset="utf-8"></head><body><p id="out">статья</p><script>
    fetch("{counter}", {{method: "POST", body: "page=1"}}).catch(() => {{
      document.getElementById("out").textContent += " без счётчика"; }});
    </script></body></html>"""
    rendered = render_page(httpserver, page)
    assert '<p id="out">статья без счётчика</p>' in rendered.html
    assert site.hits == []
    assert rendered.traffic.not_posted == [counter]
