"""The review page under attack or load: downloads side by side, the session key's place, parallel
password guesses, a crowd of logins, forwarded headers, redirects and the download link."""

from __future__ import annotations

import logging
import re
import stat
import threading
import time
from html import unescape
from pathlib import Path

import duckdb
import pytest
from flask import Flask
from flask.testing import FlaskClient

from review import app as review_app
from review import auth
from review.app import create_app

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(review_db: Path) -> Flask:
    """An app over the fixture database."""
    return create_app(review_db, secret_key="test-secret-" + "s" * 32, testing=True)


def _token(client: FlaskClient) -> str:
    return TOKEN_RE.search(client.get("/login").get_data(as_text=True)).group(1)


def _login(app: Flask, password: str) -> FlaskClient:
    client = app.test_client()
    data = {"username": "aigerim", "password": password, "csrf_token": _token(client)}
    assert client.post("/login", data=data).status_code == 302
    return client


def _export_link(client: FlaskClient, fmt: str) -> str:
    page = client.get("/").get_data(as_text=True)
    return unescape(re.search(rf'id="export-{fmt}" href="([^"]+)"', page).group(1))


def _in_threads(count: int, work: object) -> list[object]:
    results: list[object] = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        results[i] = work(i)  # type: ignore[operator]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_downloads_at_the_same_moment_all_succeed_with_the_same_file(
    app: Flask, review_db: Path, password: str, fmt: str
) -> None:
    clients = [_login(app, password) for _ in range(6)]
    links = [_export_link(c, fmt) for c in clients]
    # A connection held open keeps the page's DuckDB instance (and its settings) between requests.
    held = duckdb.connect(str(review_db), read_only=True)
    try:
        settings = "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        before = held.execute(settings).fetchall()
        responses = _in_threads(6, lambda i: clients[i].get(links[i]))
        assert [r.status_code for r in responses] == [200] * 6
        bodies = {r.get_data() for r in responses}
        assert len(bodies) == 1 and len(next(iter(bodies))) > 100
        assert held.execute(settings).fetchall() == before  # no download's settings left behind
    finally:
        held.close()


def test_the_session_key_is_kept_beside_the_database_not_in_it(
    review_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(auth.SECRET_ENV, raising=False)
    made = create_app(review_db, testing=True)
    key_file = review_db.with_name(review_db.name + ".review-key")
    assert key_file.read_text().strip() == made.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with duckdb.connect(str(review_db), read_only=True) as con:
        assert con.execute("SELECT value FROM meta WHERE value = ?", [made.secret_key]).fetchall() == []
    assert create_app(review_db, testing=True).secret_key == made.secret_key  # kept across restarts
    monkeypatch.setenv(auth.SECRET_ENV, "from-the-environment-" + "e" * 32)
    assert create_app(review_db, testing=True).secret_key == "from-the-environment-" + "e" * 32


def test_a_key_an_older_version_kept_in_the_database_moves_out_and_sessions_go_on(
    review_db: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(auth.SECRET_ENV, raising=False)
    with duckdb.connect(str(review_db)) as con:
        con.execute("INSERT INTO meta VALUES ('review_secret_key', 'old-key-" + "k" * 40 + "')")
    client = _login(create_app(review_db, testing=True), password)
    cookie = client.get_cookie("monitor_review")
    restarted = create_app(review_db, testing=True).test_client()
    restarted.set_cookie("monitor_review", cookie.value)
    assert restarted.get("/").status_code == 200  # the session signed before the move is still good
    assert restarted.application.secret_key == "old-key-" + "k" * 40
    with duckdb.connect(str(review_db), read_only=True) as con:
        assert con.execute("SELECT * FROM meta WHERE key = 'review_secret_key'").fetchall() == []


def test_guesses_sent_side_by_side_are_held_to_the_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    checked = auth.check_password_hash

    def slow_check(hashed: str, given: str) -> bool:
        time.sleep(0.2)  # scrypt on a slow server: all guesses are in before any is counted
        return checked(hashed, given)

    monkeypatch.setattr(auth, "check_password_hash", slow_check)
    monkeypatch.setattr(review_app, "CHECK_WAIT", 30.0)
    clients = [app.test_client() for _ in range(12)]
    tokens = [_token(c) for c in clients]

    def guess(i: int) -> int:
        data = {"username": "aigerim", "password": f"guess-{i:04d}", "csrf_token": tokens[i]}
        return clients[i].post("/login", data=data).status_code

    codes = _in_threads(12, guess)
    assert codes.count(401) == 5 and codes.count(429) == 7  # five failures checked, the rest refused


def test_a_right_password_after_a_wrong_one_is_not_held_as_a_failure() -> None:
    throttle = auth.LoginThrottle(limit=2)
    wrong = throttle.reserve("aigerim", "203.0.113.5")
    throttle.settle(wrong, ok=False)
    right = throttle.reserve("aigerim", "203.0.113.5")
    throttle.settle(right, ok=True)  # the name's failures forgotten, the address's attempt taken back
    busy = throttle.reserve("aigerim", "203.0.113.5")
    throttle.settle(busy, ok=None)  # not checked (the database busy): not counted
    assert throttle.reserve("aigerim", "203.0.113.5") is not None
    assert throttle.reserve("aigerim", "203.0.113.5") is not None
    assert throttle.reserve("aigerim", "203.0.113.5") is None  # two failures counted: the limit


def test_only_a_few_passwords_are_checked_at_once_and_the_rest_told_to_retry(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, most = [0], [0]
    guard = threading.Lock()
    checked = auth.check_password_hash

    def counted_check(hashed: str, given: str) -> bool:
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.3)
            return checked(hashed, given)
        finally:
            with guard:
                running[0] -= 1

    monkeypatch.setattr(auth, "check_password_hash", counted_check)
    monkeypatch.setattr(review_app, "CHECK_WAIT", 0.1)
    clients = [app.test_client() for _ in range(10)]
    tokens = [_token(c) for c in clients]

    def login(i: int) -> object:
        data = {"username": f"nobody{i}", "password": "x" * 10, "csrf_token": tokens[i]}
        return clients[i].post("/login", data=data)

    responses = _in_threads(10, login)
    assert most[0] <= review_app.PASSWORD_CHECKS
    busy = [r for r in responses if r.status_code == 503]
    assert busy and all(r.headers["Retry-After"] == "5" for r in busy)
    assert {r.status_code for r in responses} == {401, 503}


def test_forwarded_headers_without_the_proxy_flag_are_warned_of_once(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="review.request_guard"):
        for _ in range(3):
            client.get("/login", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    warned = [r for r in caplog.records if "--behind-https-proxy" in r.getMessage()]
    assert len(warned) == 1


def test_a_redirect_never_names_the_host_the_request_claimed(app: Flask) -> None:
    resp = app.test_client().get("/static//review.css", headers={"Host": "evil.example"})
    assert resp.status_code == 308
    assert resp.headers["Location"] == "/static/review.css"


def test_a_download_needs_the_pages_token_and_is_not_kept_by_the_browser(app: Flask, password: str) -> None:
    client = _login(app, password)
    assert client.get("/export?format=csv").status_code == 400  # a link from another site has no token
    assert client.get("/export?format=csv&csrf_token=guessed").status_code == 400
    resp = client.get(_export_link(client, "csv"))
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
