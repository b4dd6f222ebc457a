"""``render = true``: comments a portal's script loads from a JSON endpoint, read through headless Chromium.

A local portal (pytest-httpserver) serves a listing, two articles whose inline script fetches
``/api/comments/<n>.json`` and inserts the comments, and that endpoint. The tests that render need
Chromium (CI installs Debian's ``chromium``); without it they fail and say so, they are not skipped.
"""

from __future__ import annotations

import json
import re
import stat
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from testutil import run_cli
from werkzeug import Request, Response

from collectors import portal
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item
from collectors.render import RenderError, render_dom
from errors import ConfigError

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
ARTICLES = {
    1: ("/news/2026/11/25/yamy-vokrug-lyukov-5501.html", "Ямы вокруг люков после ремонта"),
    2: ("/news/2026/11/24/avtobus-12-izmenil-marshrut-5502.html", "Автобус №12 изменил маршрут"),
}
LISTING = (
    '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Новости</title></head><body>'
    + "".join(f'<h2><a href="{path}">{title}</a></h2>' for path, title in ARTICLES.values())
    + "</body></html>"
)
# The comments arrive after the load: fetch the JSON, then build one block per comment with the
# markup of common engines (div.comment#comment-N, .comment-author, time[datetime], .comment-text).
ARTICLE = """<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>{title}</title></head>
<body><header><nav><a href="/news/">Новости</a></nav></header>
<article><h1>{title}</h1><time datetime="2026-11-25T09:35:00+05:00">25 ноября 2026</time>
<p>После ремонта дороги на улице Толе би вокруг канализационных люков остались ямы площадью от одного
до трёх квадратных метров. Жители пожаловались в департамент через WhatsApp.</p>
<p>В акимате пообещали проверить, кто принимал работы у подрядчика.</p></article>
<section id="comments"><h2>Комментарии</h2><div class="comments-list"></div></section>
<script>
fetch("/api/comments/{n}.json").then((r) => r.json()).then((comments) => {{
  const list = document.querySelector(".comments-list");
  for (const c of comments) {{
    const block = document.createElement("div");
    block.className = "comment";
    block.id = "comment-" + c.id;
    block.innerHTML = '<span class="comment-author"></span> <time></time><div class="comment-text"></div>';
    block.querySelector(".comment-author").textContent = c.author;
    block.querySelector("time").setAttribute("datetime", c.date);
    block.querySelector(".comment-text").textContent = c.text;
    list.appendChild(block);
  }}
}});
</script></body></html>"""
FIRST_COMMENTS = [
    {
        "id": 501,
        "author": "Асель",
        "date": "2026-11-25T10:00:00+05:00",
        "text": "Как наказали чиновников, которые приняли такой ремонт?",
    },
    {"id": 502, "author": "Ерлан", "date": "2026-11-25T10:20:00+05:00", "text": "Яма у дома 12 уже месяц."},
]


class Portal:
    """The listing, the articles and their JSON comment endpoints; ``comments`` may change between runs."""

    def __init__(self) -> None:
        self.comments: dict[int, list[dict[str, Any]]] = {1: list(FIRST_COMMENTS), 2: []}
        self.hits: list[str] = []

    def __call__(self, request: Request) -> Response:
        self.hits.append(request.path)
        html = "text/html; charset=utf-8"
        if request.path == "/robots.txt":
            return Response("User-agent: *\nAllow: /\n", content_type="text/plain")
        if request.path == "/news/":
            return Response(LISTING, content_type=html)
        for n, (path, title) in ARTICLES.items():
            if request.path == path:
                return Response(ARTICLE.format(n=n, title=title), content_type=html)
            if request.path == f"/api/comments/{n}.json":
                return Response(json.dumps(self.comments[n]), content_type="application/json")
        return Response("not found", status=404, content_type="text/plain")


@pytest.fixture
def site(httpserver: HTTPServer) -> Portal:
    handler = Portal()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)
    return handler


def fake_browser(tmp_path: Path, body: str) -> str:
    """A shell script standing in for Chromium (for failures a real browser will not produce on demand)."""
    script = tmp_path / "fake-chromium"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def collect(httpserver: HTTPServer, state: dict[str, Any], **options: Any) -> list[Item]:
    opts = {"start_urls": [httpserver.url_for("/news/")], **options}
    client = HttpClient(min_delay=0, respect_robots=True, sleep=lambda _s: None)
    ctx = CollectContext(SourceConfig("vestnik", "portal", opts), client, state, last_success=None, now=NOW)
    try:
        return list(portal.collect(ctx))
    finally:
        client.close()


def cli_run(tmp_path: Path, httpserver: HTTPServer, env: dict[str, str] | None = None) -> Any:
    """One `pipeline.py run` of a render source whose known articles are due on every run."""
    config = tmp_path / "sources.toml"
    config.write_text(
        "[settings]\nmin_delay = 0.0\nretries = 0\n\n[[sources]]\n"
        'name = "vestnik"\nkind = "portal"\n'
        f'start_urls = ["{httpserver.url_for("/news/")}"]\n'
        "render = true\n"
        "recheck = [[87600, 0]]  # every known article is due on every run\n",
        encoding="utf-8",
    )
    db = tmp_path / "monitor.duckdb"
    return run_cli("run", "--config", str(config), "--db", str(db), "--no-classify", cwd=tmp_path, env=env)


def stored(tmp_path: Path) -> list[tuple[str, str, str | None, str]]:
    with duckdb.connect(str(tmp_path / "monitor.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT kind, external_id, parent, text FROM items WHERE source = 'vestnik' ORDER BY external_id"
        ).fetchall()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"render": "yes"}, "render must be true or false"),
        ({"render_wait_ms": -1}, "render_wait_ms"),
        ({"render_wait_ms": 2.5}, "render_wait_ms"),
        ({"render_timeout": 0}, "render_timeout"),
        ({"render_timeout": "30"}, "render_timeout"),
        ({"render_post": "/wp-admin/admin-ajax.php"}, "render_post must be a list"),
        ({"render_post": ["wp-admin/admin-ajax.php"]}, "render_post must be a list"),
    ],
)
def test_bad_render_options_name_the_key(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        portal.options(SourceConfig("vestnik", "portal", {"start_urls": ["https://x/"], **options}))


def test_render_options_have_defaults() -> None:
    opts = portal.options(SourceConfig("vestnik", "portal", {"start_urls": ["https://x/"]}))
    assert (opts["render"], opts["render_wait_ms"], opts["render_timeout"]) == (False, 5000, 30.0)
    assert opts["render_post"] == []  # a rendered page POSTs nowhere unless the source says where
    assert {"render", "render_wait_ms", "render_timeout", "render_post"} <= portal.OPTIONAL


@pytest.mark.browser
def test_rendered_comments_are_stored_under_their_article(
    httpserver: HTTPServer, site: Portal, chromium: str
) -> None:
    state: dict[str, Any] = {}
    items = collect(httpserver, state, render=True)
    first = httpserver.url_for(ARTICLES[1][0])
    assert state["_errors"] == []
    assert sorted((i.kind, i.external_id, i.parent) for i in items) == [
        ("article", httpserver.url_for(ARTICLES[2][0]), None),
        ("article", first, None),
        ("comment", f"{first}#c501", first),
        ("comment", f"{first}#c502", first),
    ]
    comment = {i.external_id: i for i in items}[f"{first}#c501"]
    assert (comment.author, comment.text) == ("Асель", FIRST_COMMENTS[0]["text"])
    assert comment.published_at == datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    article = {i.external_id: i for i in items}[first]
    assert "ямы площадью" in article.text and "Как наказали" not in article.text
    assert "/api/comments/1.json" in site.hits  # the page's own script asked for them


def test_without_render_the_article_is_stored_without_comments(httpserver: HTTPServer, site: Portal) -> None:
    state: dict[str, Any] = {}
    items = collect(httpserver, state)
    assert sorted(i.kind for i in items) == ["article", "article"]
    assert state["_errors"] == []
    assert not any(h.startswith("/api/") for h in site.hits)


@pytest.mark.browser
def test_reruns_store_nothing_twice_and_pick_up_a_new_comment(
    httpserver: HTTPServer, site: Portal, tmp_path: Path, chromium: str
) -> None:
    first = cli_run(tmp_path, httpserver)
    assert first.returncode == 0, first.stderr
    assert "vestnik: ok" in first.stdout
    rows = stored(tmp_path)
    assert [r[0] for r in rows].count("comment") == 2
    # the page's HTML is the same, but a rendering source fetches and renders it again anyway
    second = cli_run(tmp_path, httpserver)
    assert second.returncode == 0, second.stderr
    assert stored(tmp_path) == rows
    assert site.hits.count("/api/comments/1.json") == 2  # rendered again, not stopped by an unchanged page
    site.comments[1].append(
        {
            "id": 503,
            "author": "Серік",
            "date": "2026-11-25T15:00:00+05:00",
            "text": "Жарық әлі жоқ, ақша қайда?",
        }
    )
    third = cli_run(tmp_path, httpserver)
    assert third.returncode == 0, third.stderr
    article = httpserver.url_for(ARTICLES[1][0])
    new = sorted(set(stored(tmp_path)) - set(rows))
    assert new == [("comment", f"{article}#c503", article, "Жарық әлі жоқ, ақша қайда?")]
    assert len(stored(tmp_path)) == len(rows) + 1


def test_a_missing_browser_is_one_error_and_the_articles_are_still_stored(
    httpserver: HTTPServer, site: Portal, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-chromium"
    result = cli_run(tmp_path, httpserver, env={"MONITOR_CHROMIUM": str(missing)})
    assert result.returncode == 0, result.stderr
    assert "vestnik: partial" in result.stdout
    problems = [line for line in result.stderr.splitlines() if "problem:" in line]
    assert len(problems) == 1, result.stderr  # once per run, not once per article
    line = problems[0]
    first = httpserver.url_for(ARTICLES[1][0])
    assert "source vestnik" in line and first in line and str(missing) in line
    assert "apt install chromium" in line and "MONITOR_CHROMIUM" in line
    assert sorted(r[0] for r in stored(tmp_path)) == ["article", "article"]


def test_a_failing_browser_costs_its_comments_not_the_article(
    httpserver: HTTPServer, site: Portal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "MONITOR_CHROMIUM", fake_browser(tmp_path, 'echo "[1:1:ERROR:x.cc] out of memory" >&2; exit 3')
    )
    state: dict[str, Any] = {}
    items = collect(httpserver, state, render=True)
    assert sorted(i.kind for i in items) == ["article", "article"]
    errors = state["_errors"]
    assert len(errors) == 2  # Chromium is there but failed: each page says so
    assert all("exit status 3: out of memory" in e and "parsed the page's HTML instead" in e for e in errors)


def test_the_render_timeout_ends_the_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the launcher and a child it started both hold the output pipe, as Chromium's helpers do
    monkeypatch.setenv("MONITOR_CHROMIUM", fake_browser(tmp_path, "sleep 60 & sleep 60"))
    started = time.monotonic()
    with pytest.raises(RenderError, match=re.escape("render_timeout = 0.5 s")):
        render_dom("http://127.0.0.1:9/news/1.html", wait_ms=100, timeout=0.5)
    assert time.monotonic() - started < 10
