"""`run` and `status` through the real command line against a local HTTP server."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from testutil import FIXTURES, run_cli
from werkzeug import Response as WResponse

CITY = (FIXTURES / "rss" / "city.xml").read_bytes()
CP1251 = (FIXTURES / "rss" / "cp1251.xml").read_bytes()


def config(tmp_path: Path, base: str, feeds: dict[str, str]) -> Path:
    lines = ["[settings]", "min_delay = 0.0", "retries = 1", f'db = "{tmp_path / "m.duckdb"}"']
    for name, path in feeds.items():
        lines += ["[[sources]]", f'name = "{name}"', 'kind = "rss"', f'url = "{base.rstrip("/")}{path}"']
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def query(tmp_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(tmp_path / "m.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def feeds(httpserver: HTTPServer) -> HTTPServer:
    def etag_feed(request):
        if request.headers.get("If-None-Match") == '"city-v1"':
            return WResponse(status=304)
        return WResponse(CITY, headers={"ETag": '"city-v1"'}, content_type="application/rss+xml")

    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/city.xml").respond_with_handler(etag_feed)
    httpserver.expect_request("/win.xml").respond_with_data(CP1251, content_type="application/rss+xml")
    httpserver.expect_request("/broken.xml").respond_with_data("oops", status=500)
    httpserver.expect_request("/private/feed.xml").respond_with_data(CITY)
    return httpserver


def test_run_twice_stores_each_entry_once_and_isolates_failure(tmp_path: Path, feeds: HTTPServer) -> None:
    cfg = config(
        tmp_path, feeds.url_for(""), {"city": "/city.xml", "win": "/win.xml", "broken": "/broken.xml"}
    )
    first = run_cli("run", "--config", str(cfg), "--no-classify")
    assert first.returncode == 1, first.stderr
    assert "city: ok - fetched 3, new 3" in first.stdout
    assert "win: ok - fetched 1, new 1" in first.stdout
    assert "broken: failed" in first.stderr and "HTTP 500" in first.stderr
    assert "1 of 3 sources failed: broken" in first.stderr

    second = run_cli("run", "--config", str(cfg), "--no-classify")
    assert second.returncode == 1
    assert "city: ok - fetched 0, new 0" in second.stdout  # the 304 path: nothing to parse
    assert "win: ok - fetched 0, new 0" in second.stdout  # same bytes: the content-hash fallback
    assert query(tmp_path, "SELECT source, count(*) FROM items GROUP BY 1 ORDER BY 1") == [
        ("city", 3),
        ("win", 1),
    ]
    city_requests = [r for r, _ in feeds.log if r.path == "/city.xml"]
    assert city_requests[-1].headers.get("If-None-Match") == '"city-v1"'
    runs = query(tmp_path, "SELECT source, status, error IS NOT NULL FROM runs ORDER BY run_id")
    assert ("broken", "failed", True) in runs and runs.count(("city", "ok", False)) == 2

    status = run_cli("status", "--config", str(cfg))
    assert status.returncode == 1
    line = next(x for x in status.stdout.splitlines() if x.startswith("broken"))
    assert "failed" in line and "HTTP 500" in line
    assert " 2 " in line  # two failures in a row
    assert (
        "reviewers: 0 items decided, 0 labels answered (0 yes); waiting for a second look:" in status.stdout
    )


def test_robots_disallow_fails_that_source_only(tmp_path: Path, feeds: HTTPServer) -> None:
    cfg = config(tmp_path, feeds.url_for(""), {"hidden": "/private/feed.xml", "city": "/city.xml"})
    result = run_cli("run", "--config", str(cfg), "--no-classify")
    assert result.returncode == 1
    assert "hidden: failed" in result.stderr and "robots.txt disallows" in result.stderr
    assert not [r for r, _ in feeds.log if r.path == "/private/feed.xml"]
    assert query(tmp_path, "SELECT count(*) FROM items WHERE source = 'city'") == [(3,)]


@pytest.mark.parametrize(
    ("body", "ctype", "message"),
    [
        (b"<rss><channel><item><title>cut", "application/xml", "malformed XML"),
        (b"<!doctype html><html><body>Sign in</body></html>", "text/html", "HTML page, not an RSS/Atom feed"),
        (b"", "application/xml", "empty body"),
        (b"x" * (50 * 1024 * 1024), "application/xml", "over the 10,485,760-byte cap"),
    ],
    ids=["malformed", "html", "empty", "50MB"],
)
def test_bad_feed_keeps_what_was_stored(
    tmp_path: Path, httpserver: HTTPServer, body: bytes, ctype: str, message: str
) -> None:
    bodies = [CITY, body]
    httpserver.expect_request("/feed.xml").respond_with_handler(
        lambda r: WResponse(bodies.pop(0), content_type=ctype)
    )
    cfg = config(tmp_path, httpserver.url_for(""), {"flaky": "/feed.xml"})
    assert run_cli("run", "--config", str(cfg), "--no-classify").returncode == 0
    result = run_cli("run", "--config", str(cfg), "--no-classify")
    assert result.returncode == 1
    errors = [x for x in result.stderr.splitlines() if x.startswith("flaky: failed")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.stderr
    assert query(tmp_path, "SELECT count(*) FROM items") == [(3,)]


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "sources.toml"
    cfg.write_text('[[sources]]\nname = "x"\nkind = "rss"\n', encoding="utf-8")
    result = run_cli("run", "--config", str(cfg))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {cfg}: source x: missing key(s) for kind 'rss': url"
    ]
