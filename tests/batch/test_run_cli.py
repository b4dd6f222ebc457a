"""`run` and `status` through the real command line against a local HTTP server, and the runner's
safety net (``run_batch``, ``import_file``) called directly with values the config loader refuses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from testutil import FIXTURES, run_cli
from werkzeug import Response as WResponse

from batch import importing, runner
from collectors.base import SourceConfig
from collectors.item import Item
from config.sources import Config
from errors import StoreError, StoreLocked
from store.db import reader

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


def test_wrong_setting_type_is_one_line_before_any_run(tmp_path: Path, feeds: HTTPServer) -> None:
    cfg = config(tmp_path, feeds.url_for(""), {"good-rss": "/city.xml", "city-rss": "/win.xml"})
    cfg.write_text(cfg.read_text(encoding="utf-8") + 'timeout = "fast"\n', encoding="utf-8")
    result = run_cli("run", "--config", str(cfg), "--no-classify")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {cfg}: source city-rss: timeout must be a number above 0, got 'fast'"
    ]
    assert not feeds.log  # refused when the file loads: nothing fetched, no run left 'running'


# -- the runner itself, with configs the loader would refuse (built directly) ---------------------


def unchecked_config(base: str, sources: dict[str, dict[str, Any]], **settings: Any) -> Config:
    """A Config that did not go through load_config: the runner must cope with any value in it."""
    return Config(
        path=None,
        settings={"min_delay": 0.0, "retries": 0, **settings},
        sources=[
            SourceConfig(name, "rss", {**opts, "url": base.rstrip("/") + opts["url"]})
            for name, opts in sources.items()
        ],
    )


def runs_of(tmp_path: Path) -> dict[str, tuple[str, str | None]]:
    return {
        s: (status, error) for s, status, error in query(tmp_path, "SELECT source, status, error FROM runs")
    }


@pytest.mark.parametrize("workers", [1, 4])
def test_unexpected_error_fails_that_source_and_the_batch_goes_on(
    tmp_path: Path, feeds: HTTPServer, workers: int
) -> None:
    db = tmp_path / "m.duckdb"
    cfg = unchecked_config(
        feeds.url_for(""),
        {"city-rss": {"url": "/win.xml", "timeout": "fast"}, "good-rss": {"url": "/city.xml"}},
        max_parallel_sources=workers,
    )
    results = {r.source: r for r in runner.run_batch(cfg, db)}
    assert results["good-rss"].status == "ok" and results["good-rss"].new == 3
    bad = results["city-rss"]
    assert (bad.status, bad.error) == ("failed", "ValueError: could not convert string to float: 'fast'")
    assert runs_of(tmp_path) == {
        "city-rss": ("failed", "ValueError: could not convert string to float: 'fast'"),
        "good-rss": ("ok", None),
    }


def test_error_while_recording_a_run_still_ends_it(tmp_path: Path, feeds: HTTPServer) -> None:
    # the back-off is computed after the source failed; a bad value there must not leave 'running'
    db = tmp_path / "m.duckdb"
    cfg = unchecked_config(
        feeds.url_for(""),
        {"broken": {"url": "/broken.xml"}, "good-rss": {"url": "/city.xml"}},
        backoff_base_minutes="soon",
        max_parallel_sources=1,
    )
    results = {r.source: r for r in runner.run_batch(cfg, db)}
    assert results["good-rss"].status == "ok"
    status, error = runs_of(tmp_path)["broken"]
    assert status == "failed"
    assert error is not None and "HTTP 500" in error
    assert error.endswith("; then ValueError: could not convert string to float: 'soon'")


def test_a_database_that_cannot_be_written_is_not_the_sources_failure(
    tmp_path: Path, feeds: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "m.duckdb"
    cfg = unchecked_config(feeds.url_for(""), {"city-rss": {"url": "/city.xml"}}, max_parallel_sources=1)

    def full(con: Any, items: Any) -> Any:
        raise StoreError("cannot write the database: No space left on device", path=str(db))

    monkeypatch.setattr(runner, "upsert_items", full)
    (run,) = runner.run_batch(cfg, db)
    assert (run.status, run.error) == ("failed", f"{db}: cannot write the database: No space left on device")
    with duckdb.connect(str(db), read_only=True) as con:
        state = con.execute("SELECT consecutive_failures, next_due FROM source_state").fetchall()
    assert state == [(0, None)]  # no back-off, no "failed N times in a row" alert for the source
    monkeypatch.undo()
    (run,) = runner.run_batch(cfg, db)  # space freed: the next run stores what the failed one fetched
    assert (run.status, run.new) == ("ok", 3)


def test_a_run_that_cannot_even_be_recorded_does_not_stop_the_batch(
    tmp_path: Path, feeds: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "m.duckdb"
    cfg = unchecked_config(
        feeds.url_for(""),
        {"first": {"url": "/city.xml"}, "second": {"url": "/city.xml"}},
        max_parallel_sources=1,
    )

    def full(con: Any, run: Any) -> None:
        raise StoreError("cannot write the database: No space left on device", path=str(db))

    monkeypatch.setattr(runner.runlog, "finish_run", full)
    results = runner.run_batch(cfg, db)
    assert [r.source for r in results] == ["first", "second"]


@pytest.mark.parametrize("workers", [1, 4])
def test_a_source_whose_run_cannot_be_started_does_not_stop_the_batch(
    tmp_path: Path, feeds: HTTPServer, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    db = tmp_path / "m.duckdb"
    cfg = unchecked_config(
        feeds.url_for(""),
        {"locked": {"url": "/city.xml"}, "good-rss": {"url": "/city.xml"}},
        max_parallel_sources=workers,
    )
    started = runner.runlog.start_run

    def start(con: Any, run: Any) -> int:
        if run.source == "locked":
            raise StoreLocked("another process holds the database lock (waited 30 s)", path=str(db))
        return started(con, run)

    monkeypatch.setattr(runner.runlog, "start_run", start)
    results = {r.source: r for r in runner.run_batch(cfg, db)}
    assert (results["good-rss"].status, results["good-rss"].new) == ("ok", 3)
    assert (results["locked"].status, results["locked"].error) == (
        "failed",
        f"{db}: another process holds the database lock (waited 30 s)",
    )
    assert set(runs_of(tmp_path)) == {"good-rss"}


def test_interrupt_still_stops_the_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(ctx: Any) -> Iterator[Item]:
        raise KeyboardInterrupt
        yield  # a generator, as collectors are

    monkeypatch.setattr(runner, "collector_module", lambda kind: SimpleNamespace(collect=interrupted))
    db = tmp_path / "m.duckdb"
    cfg = unchecked_config("http://127.0.0.1:9", {"first": {"url": "/a"}, "second": {"url": "/b"}})
    cfg.settings["max_parallel_sources"] = 1
    with pytest.raises(KeyboardInterrupt):
        runner.run_batch(cfg, db)
    assert set(runs_of(tmp_path)) == {"first"}  # the second source never started


def test_importer_crash_keeps_what_was_read_and_says_it_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read(path: Path, *, source: str, options: Any, report: Any) -> Iterator[Item]:
        yield Item(source=source, kind="post", external_id="1", text="first line read")
        raise RuntimeError("parser gave up\nat line 2")

    monkeypatch.setattr(importing, "importer", lambda kind: read)
    db = tmp_path / "m.duckdb"
    export = tmp_path / "tips.jsonl"
    export.write_text("{}\n", encoding="utf-8")
    run = importing.import_file("jsonl", export, "tips", Config(path=None), db, report=lambda e: None)
    assert (run.status, run.error, run.new) == ("failed", "RuntimeError: parser gave up at line 2", 1)
    assert runs_of(tmp_path) == {"tips": ("failed", "RuntimeError: parser gave up at line 2")}
    assert query(tmp_path, "SELECT text FROM items") == [("first line read",)]


def test_reclassify_refuses_a_database_that_is_not_there(tmp_path: Path) -> None:
    missing = tmp_path / "tyop.duckdb"
    done = run_cli("reclassify", "--db", str(missing))
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == f"error: {missing}: no database here yet; run the pipeline first (or check --db)"
    )
    assert not missing.exists()  # not created empty, with "classified 0 items"


def test_reclassify_on_a_damaged_file_is_one_line(tmp_path: Path) -> None:
    from tests.store.test_store import damaged_database

    db = damaged_database(tmp_path / "m.duckdb")
    done = run_cli("reclassify", "--db", str(db))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: {db}: the database file is damaged"), done.stderr


def test_reclassify_without_a_readable_model_is_an_error(tmp_path: Path) -> None:
    from store.db import connect

    db = tmp_path / "m.duckdb"
    connect(db).close()
    broken = tmp_path / "classifier.npz"
    broken.write_bytes(b"not a zip")
    for model in (broken, tmp_path / "missing.npz"):
        done = run_cli("reclassify", "--db", str(db), "--model", str(model))
        assert done.returncode == 1, (
            done.stdout + done.stderr
        )  # it said "classification skipped" and exited 0
        assert done.stderr.startswith(f"error: {model}: "), done.stderr
        assert len(done.stderr.splitlines()) == 1, done.stderr


def test_a_failed_run_leaves_the_nested_parts_of_the_cursor_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The collector changes its cursor in place (the portal's per-article entries) and then fails: the
    # saved cursor must be the one the run began with, as documented (review: a shallow copy saved the
    # nested changes of the failed run)
    def changes_then_fails(ctx: Any) -> Iterator[Item]:
        ctx.state.setdefault("articles", {})["/a"] = {"hash": "seen by the failed run"}
        raise RuntimeError("the site went away")
        yield  # a generator, as collectors are

    db = tmp_path / "m.duckdb"
    with runner.writer(db) as con:
        runner.runlog.save_state(con, runner.runlog.SourceState("first", {"articles": {"/b": {"hash": "b"}}}))
    monkeypatch.setattr(runner, "collector_module", lambda kind: SimpleNamespace(collect=changes_then_fails))
    cfg = unchecked_config("http://127.0.0.1:9", {"first": {"url": "/a"}})
    (run,) = runner.run_batch(cfg, db)
    assert run.status == "failed"
    with reader(db) as con:
        (state,) = con.execute("SELECT state FROM source_state WHERE source = 'first'").fetchone()
    assert json.loads(state)["articles"] == {"/b": {"hash": "b"}}
