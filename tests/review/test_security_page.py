"""The review page under attack or load: downloads side by side, the session key's place, parallel
password guesses, a crowd of logins, forwarded headers, redirects and the download link."""

from __future__ import annotations

import logging
import re
import stat
import subprocess
import sys
import threading
import time
from datetime import datetime
from html import unescape
from pathlib import Path

import duckdb
import pytest
from flask import Flask
from flask.testing import FlaskClient

from review import app as app_module
from review import auth, export_stream, login_page
from review.app import create_app
from review.auth import add_user
from tests.review.conftest import build_db

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


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


def test_a_download_waiting_for_its_turn_holds_up_no_write_and_no_page(app: Flask, password: str) -> None:
    downloading, other = _login(app, password), _login(app, password)
    link = _export_link(downloading, "csv")
    token = TOKEN_RE.search(other.get("/").get_data(as_text=True)).group(1)
    done: dict[str, object] = {}
    export_stream._SETTINGS_LOCK.acquire()  # another download's copy under way
    try:
        waiting = threading.Thread(target=lambda: done.update(download=downloading.get(link)))
        waiting.start()
        time.sleep(0.5)  # the download waits for its turn
        assert "download" not in done
        # A logout writes: it needs the file to itself within the page.
        logout = threading.Thread(
            target=lambda: done.update(logout=other.post("/logout", data={"csrf_token": token}))
        )
        logout.start()
        logout.join(timeout=10)
        assert "logout" in done and done["logout"].status_code == 302  # not held up by the waiting download
        assert _login(app, password).get("/").status_code == 200  # nor a page read
    finally:
        export_stream._SETTINGS_LOCK.release()
    waiting.join(timeout=30)
    assert done["download"].status_code == 200 and len(done["download"].get_data()) > 100


def test_logins_waiting_for_a_batch_take_no_turn_to_check_a_password(
    app: Flask, review_db: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "DB_WAIT", 10.0)
    monkeypatch.setattr(login_page, "CHECK_WAIT", 1.0)
    count = login_page.PASSWORD_CHECKS + 1
    clients = [app.test_client() for _ in range(count)]
    tokens = [_token(c) for c in clients]
    # A batch holds the file for longer than a login waits for its turn to check a password.
    batch = subprocess.Popen([sys.executable, "-c", HOLD, str(review_db), "2.5"], stdout=subprocess.PIPE)
    try:
        assert batch.stdout.readline().strip() == b"held"

        def login(i: int) -> int:
            data = {"username": "aigerim", "password": password, "csrf_token": tokens[i]}
            return clients[i].post("/login", data=data).status_code

        codes = _in_threads(count, login)
    finally:
        batch.wait(timeout=30)
    assert codes == [302] * count  # each waited for the batch, then was checked


def test_the_session_key_is_kept_beside_the_database_not_in_it(
    review_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(auth.SECRET_ENV, raising=False)
    made = create_app(review_db, testing=True)
    key_file = review_db.with_name(review_db.name + ".review-key")
    assert key_file.read_text().split()[0] == made.secret_key
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


def test_a_session_of_a_deleted_database_is_no_session_of_the_one_made_again(
    review_db: Path, password: str, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `demo` without --keep, or an operator starting over: the reviewers' session epochs start at 0
    # again, and the key file beside the database is still there.
    monkeypatch.delenv(auth.SECRET_ENV, raising=False)
    cookie = _login(create_app(review_db, testing=True), password).get_cookie("monitor_review")
    key_file = auth.key_file(review_db)
    review_db.unlink()
    (review_db.parent / "new").mkdir()  # made elsewhere: build_db cannot build the same path twice
    build_db(review_db.parent / "new" / review_db.name, now).replace(review_db)
    add_user(review_db, "aigerim", password)
    assert key_file.exists()
    made_again = create_app(review_db, testing=True).test_client()
    made_again.set_cookie("monitor_review", cookie.value)
    assert made_again.get("/").headers["Location"].startswith("/login")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The new key is kept for the new database across restarts.
    fresh = _login(made_again.application, password).get_cookie("monitor_review")
    restarted = create_app(review_db, testing=True).test_client()
    restarted.set_cookie("monitor_review", fresh.value)
    assert restarted.get("/").status_code == 200


def test_a_key_file_of_an_older_version_is_kept_and_an_empty_one_replaced(
    review_db: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(auth.SECRET_ENV, raising=False)
    key_file = auth.key_file(review_db)
    key_file.write_text("older-version-key-" + "o" * 40 + "\n")  # no database named in it
    key_file.chmod(0o600)
    assert create_app(review_db, testing=True).secret_key == "older-version-key-" + "o" * 40
    assert create_app(review_db, testing=True).secret_key == "older-version-key-" + "o" * 40
    key_file.write_text("")  # an older version's crash between making the file and writing it
    made = create_app(review_db, testing=True)
    assert len(made.secret_key) > 40 and key_file.read_text().split()[0] == made.secret_key
    assert [p.name for p in review_db.parent.glob("*.tmp")] == []


def test_with_the_variable_set_a_key_left_in_the_database_still_moves_out(
    review_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with duckdb.connect(str(review_db)) as con:
        con.execute("INSERT INTO meta VALUES ('review_secret_key', 'old-key-" + "k" * 40 + "')")
    monkeypatch.setenv(auth.SECRET_ENV, "from-the-environment-" + "e" * 32)
    assert create_app(review_db, testing=True).secret_key == "from-the-environment-" + "e" * 32
    with duckdb.connect(str(review_db), read_only=True) as con:
        assert con.execute("SELECT * FROM meta WHERE key = 'review_secret_key'").fetchall() == []
    monkeypatch.delenv(auth.SECRET_ENV)  # unset later: the file's key, never the database's
    assert create_app(review_db, testing=True).secret_key == "old-key-" + "k" * 40


def test_guesses_sent_side_by_side_are_held_to_the_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    checked = auth.check_password_hash

    def slow_check(hashed: str, given: str) -> bool:
        time.sleep(0.2)  # scrypt on a slow server: all guesses are in before any is counted
        return checked(hashed, given)

    monkeypatch.setattr(auth, "check_password_hash", slow_check)
    monkeypatch.setattr(login_page, "CHECK_WAIT", 30.0)
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
    throttle.settle(right, ok=True)  # the name's failures forgotten
    busy = throttle.reserve("aigerim", "203.0.113.5")
    throttle.settle(busy, ok=None)  # not checked (the database busy): not counted
    first = throttle.reserve("aigerim", "203.0.113.5")
    second = throttle.reserve("aigerim", "203.0.113.5")
    assert isinstance(first, auth.Attempt) and isinstance(second, auth.Attempt)
    assert throttle.reserve("aigerim", "203.0.113.5") is auth.Refused.IN_FLIGHT  # two being checked
    throttle.settle(first, ok=False)
    throttle.settle(second, ok=False)
    assert throttle.reserve("aigerim", "203.0.113.5") is auth.Refused.FAILURES  # two failures: the limit


def test_logins_pressed_again_while_the_database_is_busy_are_not_told_of_failures(
    app: Flask, review_db: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "DB_WAIT", 1.5)
    clients = [app.test_client() for _ in range(6)]
    tokens = [_token(c) for c in clients]
    # A batch writing: another process holds the file longer than the page waits; the reviewer
    # presses Log in again and again meanwhile.
    batch = subprocess.Popen([sys.executable, "-c", HOLD, str(review_db), "3"], stdout=subprocess.PIPE)
    try:
        assert batch.stdout.readline().strip() == b"held"

        def press(i: int) -> object:
            if i == 5:
                time.sleep(0.7)  # pressed while the other five wait for the database
            data = {"username": "aigerim", "password": password, "csrf_token": tokens[i]}
            return clients[i].post("/login", data=data)

        responses = _in_threads(6, press)
    finally:
        batch.wait(timeout=30)
    pages = [unescape(r.get_data(as_text=True)) for r in responses]
    assert [r.status_code for r in responses[:5]] == [503] * 5 and "busy" in pages[0]
    assert responses[5].status_code == 429
    assert "try again in a moment" in pages[5] and "wait a few minutes" not in pages[5]
    # None of them was counted as a failure: the right password logs in at once now.
    assert _login(app, password).get("/").status_code == 200


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
    monkeypatch.setattr(login_page, "CHECK_WAIT", 0.1)
    clients = [app.test_client() for _ in range(10)]
    tokens = [_token(c) for c in clients]

    def login(i: int) -> object:
        data = {"username": f"nobody{i}", "password": "x" * 10, "csrf_token": tokens[i]}
        return clients[i].post("/login", data=data)

    responses = _in_threads(10, login)
    assert most[0] <= login_page.PASSWORD_CHECKS
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
    assert client.get("/export?format=csv&token=guessed").status_code == 400
    resp = client.get(_export_link(client, "csv"))
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"


def test_the_download_link_carries_no_form_token(app: Flask, password: str) -> None:
    # A link sits in access logs and the browser's history: the token in it stands for downloads only.
    client = _login(app, password)
    form_token = TOKEN_RE.search(client.get("/").get_data(as_text=True)).group(1)
    link = _export_link(client, "csv")
    assert form_token not in link
    assert client.get(link.replace("token=", "x=") + "&csrf_token=" + form_token).status_code == 400
    other = _login(app, password)  # another session's link is refused
    assert other.get(link).status_code == 400
    # ...and a link's token is no form token: a POST with it is refused
    token = re.search(r"[?&]token=([^&]+)", link).group(1)
    refused = client.post("/logout", data={"csrf_token": token})
    assert refused.status_code == 400
