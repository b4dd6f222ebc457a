"""A database the page cannot write (a folder not writable, a full disk, a damaged file) is said as
such, not as "busy": every store error read "The database is busy; try again in a moment.", and a
reviewer pressed "Save again" for ever. What was typed is kept as for a busy database. The page says
the kind only (anyone who reaches the login page sees it), never the error's paths or DuckDB's words."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from errors import StoreError
from review import queries

NOTE = "Подрядчик тот же, что в 2024 году; акты подписаны без проверки."
DENIED = 'Cannot open file "/srv/monitor/monitor.duckdb.wal": Permission denied'
SAID = "The database could not be used ({}). Tell the person who runs the monitor: the page's log says more."


def _token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def test_a_decision_the_database_could_not_write_says_why_and_keeps_the_note(
    logged_in: FlaskClient, review_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args: object, **kwargs: object) -> int:
        raise StoreError(DENIED)

    token = _token(logged_in, "/item?source=dept-facebook&id=fb-7")
    monkeypatch.setattr(queries, "record_decision", denied)
    typed = {"source": "dept-facebook", "id": "fb-7", "status": "confirmed", "note": NOTE}
    resp = logged_in.post("/item/decide", data={"csrf_token": token, **typed})
    page = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 503
    assert "busy" not in page and "/srv/monitor" not in page
    assert "Not saved. " + SAID.format("the server may not write its folder") in page
    form = page.split('id="retry">')[1].split("</form>")[0]
    kept = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    assert {k: kept[k] for k in typed} == typed


def test_a_page_the_database_could_not_serve_says_why(
    logged_in: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from review import auth

    def damaged(*args: object, **kwargs: object) -> int:
        raise StoreError(
            '/srv/monitor/monitor.duckdb: cannot open the database: IO Error: The file "/srv/monitor/'
            'monitor.duckdb" exists, but it is not a valid DuckDB database file!'
        )

    monkeypatch.setattr(auth, "session_epoch", damaged)
    resp = logged_in.get("/")
    page = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 503
    assert "busy" not in page and "/srv/monitor" not in page
    assert SAID.format("its file is damaged") in page


def test_the_login_page_says_the_kind_to_anyone_and_no_more(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from review import auth

    def full(*args: object, **kwargs: object) -> int:
        raise StoreError("/srv/monitor/monitor.duckdb: cannot write: No space left on device")

    monkeypatch.setattr(auth, "authenticate", full)
    token = _token(client, "/login")
    resp = client.post("/login", data={"csrf_token": token, "username": "x", "password": "y"})
    page = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 503 and "/srv/monitor" not in page
    assert SAID.format("the server's disk is full") in page


def test_a_logout_the_database_could_not_record_says_why(
    logged_in: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from review import auth

    def denied(*args: object, **kwargs: object) -> bool:
        raise StoreError(DENIED)

    monkeypatch.setattr(auth, "end_sessions", denied)
    token = _token(logged_in, "/")
    resp = logged_in.post("/logout", data={"csrf_token": token}, follow_redirects=True)
    page = unescape(resp.get_data(as_text=True))
    assert "busy" not in page and "/srv/monitor" not in page
    assert (
        "your sessions on other devices were not ended. " + SAID.format("the server may not write its folder")
        in page
    )
