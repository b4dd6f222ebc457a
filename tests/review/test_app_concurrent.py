"""Two reviewers on one item, a button pressed twice, the back button, a batch holding the database."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import duckdb
import pytest
from flask import Flask
from flask.testing import FlaskClient
from testutil import with_token

from review import app as review_app
from review.app import create_app
from review.auth import add_user

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ITEM = "/item?source=dept-facebook&id=fb-7"


@pytest.fixture
def app(review_db: Path) -> Flask:
    """One app over the fixture database, with a second reviewer, nurlan."""
    add_user(review_db, "nurlan", "Нурлан-пароль-2")
    return create_app(review_db, secret_key="test-secret-" + "c" * 32, testing=True)


def _login(app: Flask, user: str, password: str) -> FlaskClient:
    client = app.test_client()
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    data = {"username": user, "password": password, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302
    return client


def _decision_form(client: FlaskClient, page: str | None = None) -> dict[str, str]:
    """The hidden fields of the item's decision form, as the browser would send them."""
    page = page if page is not None else client.get(ITEM).get_data(as_text=True)
    form = page.split('id="decision"')[1].split("</form>")[0]
    return {k: unescape(v) for k, v in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form)}


def _reviews(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT reviewer, status, note FROM reviews WHERE external_id = 'fb-7' ORDER BY review_id"
        ).fetchall()


def test_a_decision_from_a_page_opened_before_anothers_is_refused_and_kept(
    app: Flask, review_db: Path, password: str
) -> None:
    first, late = _login(app, "aigerim", password), _login(app, "nurlan", "Нурлан-пароль-2")
    first_form, late_form = _decision_form(first), _decision_form(late)  # both open the item
    assert first.post("/item/decide", data={**first_form, "status": "confirmed"}).status_code == 302
    resp = late.post("/item/decide", data={**late_form, "status": "rejected", "note": "не взятка"})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "Not saved: aigerim decided this item after this page was opened (confirmed" in page
    assert "не взятка</textarea>" in page  # what the late reviewer typed is still in the form
    assert _reviews(review_db) == [("aigerim", "confirmed", None)]
    # Having read the newer decision, the late reviewer presses the button again: it is saved.
    again = late.post(
        "/item/decide", data={**_decision_form(late, page), "status": "rejected", "note": "не взятка"}
    )
    assert again.status_code == 302
    assert _reviews(review_db) == [("aigerim", "confirmed", None), ("nurlan", "rejected", "не взятка")]


def test_a_decision_sent_twice_is_saved_once(app: Flask, review_db: Path, password: str) -> None:
    client = _login(app, "aigerim", password)
    form = {**_decision_form(client), "status": "confirmed", "note": "проверено"}
    assert client.post("/item/decide", data=form).status_code == 302
    resp = client.post("/item/decide", data=form, follow_redirects=True)
    assert resp.status_code == 200
    assert "Saved: confirmed (already saved; sent twice)." in resp.get_data(as_text=True)
    assert _reviews(review_db) == [("aigerim", "confirmed", "проверено")]


def test_another_decision_from_a_page_left_by_the_back_button_says_whose_came_first(
    app: Flask, review_db: Path, password: str
) -> None:
    client = _login(app, "aigerim", password)
    old_form = _decision_form(client)
    assert client.post("/item/decide", data={**old_form, "status": "confirmed"}).status_code == 302
    resp = client.post("/item/decide", data={**old_form, "status": "rejected"})  # back, then Reject
    assert resp.status_code == 409
    assert "Not saved: You decided this item after this page was opened" in resp.get_data(as_text=True)
    assert _reviews(review_db) == [("aigerim", "confirmed", None)]


def test_the_busy_page_keeps_what_the_form_was_shown_with(
    app: Flask, review_db: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from errors import StoreLocked
    from review import queries

    def locked(*args: object, **kwargs: object) -> int:
        raise StoreLocked("another process holds the database lock (waited 10 s)")

    first, late = _login(app, "aigerim", password), _login(app, "nurlan", "Нурлан-пароль-2")
    late_form = _decision_form(late)
    assert (
        first.post("/item/decide", data={**_decision_form(first), "status": "confirmed"}).status_code == 302
    )
    record = queries.record_decision
    monkeypatch.setattr(queries, "record_decision", locked)
    busy = late.post("/item/decide", data={**late_form, "status": "rejected"}).get_data(as_text=True)
    retry = busy.split('id="retry">')[1].split("</form>")[0]
    fields = {k: unescape(v) for k, v in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', retry)}
    monkeypatch.setattr(queries, "record_decision", record)
    assert late.post("/item/decide", data=fields).status_code == 409  # "Save again" does not overwrite unseen
    assert _reviews(review_db) == [("aigerim", "confirmed", None)]


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_a_login_and_a_decision_wait_the_pages_time_for_a_batchs_lock_not_longer(
    app: Flask, review_db: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _login(app, "aigerim", password)
    form = {**_decision_form(client), "status": "confirmed"}
    monkeypatch.setattr(review_app, "DB_WAIT", 0.3)
    # A batch writing: another process holds the file for 4 s, much longer than the page waits.
    batch = subprocess.Popen([sys.executable, "-c", HOLD, str(review_db), "4"], stdout=subprocess.PIPE)
    try:
        assert batch.stdout.readline().strip() == b"held"
        resp = client.post("/item/decide", data=form)
        assert resp.status_code == 503
        assert "Not saved yet: the database is busy" in resp.get_data(as_text=True)
        other = app.test_client()
        token = TOKEN_RE.search(other.get("/login").get_data(as_text=True)).group(1)
        login = other.post("/login", data={"username": "aigerim", "password": password, "csrf_token": token})
        assert login.status_code == 503
        assert "The database is busy" in login.get_data(as_text=True)
    finally:
        batch.wait(timeout=30)
    assert _reviews(review_db) == []


def test_pages_open_while_a_download_is_reading_and_a_decision_waits_for_it(
    app: Flask, review_db: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from review import export_stream

    reading, finish = threading.Event(), threading.Event()
    read = export_stream._copy_steps  # what a download reads of the store, before the store is let go

    def slow_read(*args: object, **kwargs: object) -> object:
        reading.set()
        assert finish.wait(timeout=30)  # a large store: the read takes a while
        return read(*args, **kwargs)

    monkeypatch.setattr(export_stream, "_copy_steps", slow_read)
    downloader, reader = _login(app, "aigerim", password), _login(app, "nurlan", "Нурлан-пароль-2")
    form = {**_decision_form(reader), "status": "confirmed"}
    results: dict[str, int] = {}
    download = threading.Thread(
        target=lambda: results.update(
            csv=downloader.get("/export", query_string=with_token(downloader, {"format": "csv"})).status_code
        )
    )
    download.start()
    try:
        assert reading.wait(timeout=30)
        page = threading.Thread(target=lambda: results.update(item=reader.get(ITEM).status_code))
        page.start()
        page.join(timeout=10)
        assert results.get("item") == 200  # read beside the download, not after it
        decide = threading.Thread(
            target=lambda: results.update(decide=reader.post("/item/decide", data=form).status_code)
        )
        decide.start()
        decide.join(timeout=1)
        assert "decide" not in results  # a write waits for the read under way
    finally:
        finish.set()
        download.join(timeout=30)
    decide.join(timeout=30)
    assert results == {"csv": 200, "item": 200, "decide": 302}
    assert _reviews(review_db) == [("nurlan", "confirmed", None)]


DUPLICATED = "/item?source=tg-city&id=501"  # near-duplicate of tg-news 77


def _decisions(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT source, external_id, reviewer, status FROM reviews WHERE external_id IN ('501', '77') "
            "ORDER BY review_id"
        ).fetchall()


def test_sent_again_with_its_near_duplicates_ticked_the_decision_reaches_them(
    app: Flask, review_db: Path, password: str
) -> None:
    # saved without the box, then Back, the box ticked, the same button: not a double submit
    client = _login(app, "aigerim", password)
    form = _decision_form(client, client.get(DUPLICATED).get_data(as_text=True))
    assert client.post("/item/decide", data={**form, "status": "confirmed"}).status_code == 302
    resp = client.post("/item/decide", data={**form, "status": "confirmed", "duplicates": "1"})
    assert resp.status_code == 302
    assert _decisions(review_db) == [
        ("tg-city", "501", "aigerim", "confirmed"),
        ("tg-news", "77", "aigerim", "confirmed"),
    ]


def test_a_near_duplicate_decided_after_the_page_was_opened_is_not_overwritten_unseen(
    app: Flask, review_db: Path, password: str
) -> None:
    first, other = _login(app, "aigerim", password), _login(app, "nurlan", "Нурлан-пароль-2")
    form = _decision_form(first, first.get(DUPLICATED).get_data(as_text=True))  # aigerim opens 501
    other_form = _decision_form(other, other.get("/item?source=tg-news&id=77").get_data(as_text=True))
    assert other.post("/item/decide", data={**other_form, "status": "rejected"}).status_code == 302
    resp = first.post("/item/decide", data={**form, "status": "confirmed", "duplicates": "1"})
    assert resp.status_code == 409
    assert "nurlan (on its near-duplicate tg-news 77)" in resp.get_data(as_text=True)
    assert _decisions(review_db) == [("tg-news", "77", "nurlan", "rejected")]


def _judge_form(client: FlaskClient, label: str, page: str | None = None) -> dict[str, str]:
    """The hidden fields of the item's yes / no form for ``label``."""
    page = page if page is not None else client.get(ITEM).get_data(as_text=True)
    form = page.split(f'id="judge-{label}"')[1].split("</form>")[0]
    return {k: unescape(v) for k, v in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form)}


def _answers(db: Path, external_id: str = "fb-7") -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT reviewer, label, value FROM label_decisions WHERE external_id = ? ORDER BY decision_id",
            [external_id],
        ).fetchall()


def test_an_answer_from_a_page_opened_before_anothers_is_refused_and_kept(
    app: Flask, review_db: Path, password: str
) -> None:
    first, late = _login(app, "aigerim", password), _login(app, "nurlan", "Нурлан-пароль-2")
    first_form, late_form = _judge_form(first, "corruption"), _judge_form(late, "corruption")
    assert first.post("/judge", data={**first_form, "answer": "yes"}).status_code == 302
    resp = late.post("/judge", data={**late_form, "answer": "no"})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "Not saved: aigerim answered corruption on this item after this page was opened (yes, " in page
    row = page.split('id="judge-corruption"')[1].split("</form>")[0]
    assert re.search(
        r'value="no" class="no chosen" aria-describedby="answer-refused"', row
    )  # the one pressed
    assert "yes, aigerim" in row  # the newer answer, shown
    assert (
        'value="yes" class="ok">' in page.split('id="judge-infrastructure"')[1]
    )  # the other label as it was
    assert _answers(review_db) == [("aigerim", "corruption", True)]
    # Having read the newer answer, the late reviewer presses the button again: it is saved.
    again = late.post("/judge", data={**_judge_form(late, "corruption", page), "answer": "no"})
    assert again.status_code == 302 and again.headers["Location"] == ITEM
    assert _answers(review_db) == [("aigerim", "corruption", True), ("nurlan", "corruption", False)]


def test_an_answer_sent_twice_is_saved_once_and_the_back_button_is_no_way_round(
    app: Flask, review_db: Path, password: str
) -> None:
    client = _login(app, "aigerim", password)
    old_form = _judge_form(client, "infrastructure")
    assert client.post("/judge", data={**old_form, "answer": "no"}).status_code == 302
    resp = client.post("/judge", data={**old_form, "answer": "no"}, follow_redirects=True)
    assert "Saved: dept-facebook fb-7 does not report infrastructure (already saved; sent twice)." in (
        resp.get_data(as_text=True)
    )
    resp = client.post("/judge", data={**old_form, "answer": "yes"})  # back, then the other answer
    assert resp.status_code == 409
    assert "Not saved: You answered infrastructure on this item after this page was opened (no, " in (
        resp.get_data(as_text=True)
    )
    assert _answers(review_db) == [("aigerim", "infrastructure", False)]


def test_an_answer_on_the_second_look_refused_goes_back_there_once_saved(
    app: Flask, review_db: Path, password: str
) -> None:
    # city-portal a-100-c2 is not flagged, and scored 0.35 for infrastructure: a close call
    first, late = _login(app, "aigerim", password), _login(app, "nurlan", "Нурлан-пароль-2")
    listing = "/second-look?label=infrastructure&floor=0.2&page=1"

    def listed_form(client: FlaskClient) -> dict[str, str]:
        page = client.get(listing).get_data(as_text=True)
        row = page.split('data-source="city-portal" data-id="a-100-c2"')[1].split("</form>")[0]
        return {k: unescape(v) for k, v in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', row)}

    first_form, late_form = listed_form(first), listed_form(late)
    assert first.post("/judge", data={**first_form, "answer": "no"}).headers["Location"] == listing
    resp = late.post("/judge", data={**late_form, "answer": "yes"})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "Not saved: aigerim answered infrastructure on this item after this page was opened (no, " in page
    again = late.post("/judge", data={**_judge_form(late, "infrastructure", page), "answer": "yes"})
    assert again.headers["Location"] == listing  # back to the list the answer was given from
    assert _answers(review_db, "a-100-c2") == [
        ("aigerim", "infrastructure", False),
        ("nurlan", "infrastructure", True),
    ]


def test_logging_out_while_a_batch_holds_the_database_ends_the_session_here_and_says_so(
    app: Flask, review_db: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _login(app, "aigerim", password)
    token = TOKEN_RE.search(client.get(ITEM).get_data(as_text=True)).group(1)
    epoch = "SELECT session_epoch FROM users WHERE username = 'aigerim'"
    with duckdb.connect(str(review_db), read_only=True) as con:
        before = con.execute(epoch).fetchall()
    monkeypatch.setattr(review_app, "DB_WAIT", 0.3)
    batch = subprocess.Popen([sys.executable, "-c", HOLD, str(review_db), "3"], stdout=subprocess.PIPE)
    try:
        assert batch.stdout.readline().strip() == b"held"
        resp = client.post("/logout", data={"csrf_token": token}, follow_redirects=True)
        page = resp.get_data(as_text=True)
        assert resp.status_code == 200 and resp.request.path == "/login"
        assert "Logged out in this browser only: the database was busy" in page
        assert client.get(ITEM).headers["Location"].startswith("/login")  # no longer logged in here
    finally:
        batch.wait(timeout=30)
    with duckdb.connect(str(review_db), read_only=True) as con:  # other devices' sessions untouched
        assert con.execute(epoch).fetchall() == before


def test_a_logout_from_an_ended_session_does_not_end_the_newer_ones(
    app: Flask, review_db: Path, password: str
) -> None:
    old = _login(app, "aigerim", password)
    old_token = TOKEN_RE.search(old.get(ITEM).get_data(as_text=True)).group(1)
    stale = app.test_client()  # a copy of the cookie, kept after that session was logged out
    stale.set_cookie("monitor_review", old.get_cookie("monitor_review").value)
    assert old.post("/logout", data={"csrf_token": old_token}).status_code == 302
    new = _login(app, "aigerim", password)
    resp = stale.post("/logout", data={"csrf_token": old_token}, follow_redirects=True)
    assert "Logged out." in resp.get_data(as_text=True)
    assert new.get(ITEM).status_code == 200  # the copy of the ended session ended nothing


def test_a_yes_or_no_the_busy_database_could_not_take_is_kept_for_save_again(
    app: Flask, review_db: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it got the general busy page: the answer, and where the reviewer came from, were lost
    from errors import StoreLocked

    def locked(*args: object, **kwargs: object) -> int:
        raise StoreLocked("another process holds the database lock (waited 10 s)")

    client = _login(app, "aigerim", password)
    form = {**_judge_form(client, "corruption"), "answer": "yes", "next": "/second-look?label=corruption"}
    record = review_app.record_label_decision
    monkeypatch.setattr(review_app, "record_label_decision", locked)
    busy = client.post("/judge", data=form)
    assert busy.status_code == 503
    page = busy.get_data(as_text=True)
    words = " ".join(page.split())
    assert "Your answer is kept below" in words and "fb-7 reports corruption" in words
    retry = page.split('action="/judge" id="retry">')[1].split("</form>")[0]
    fields = {k: unescape(v) for k, v in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', retry)}
    assert fields["answer"] == "yes" and fields["next"] == "/second-look?label=corruption"
    monkeypatch.setattr(review_app, "record_label_decision", record)
    again = client.post("/judge", data=fields)
    assert again.status_code == 302 and again.headers["Location"] == "/second-look?label=corruption"
    assert _answers(review_db) == [("aigerim", "corruption", True)]
