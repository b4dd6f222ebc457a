"""A form the page refuses comes back as the reviewer filled it in: nothing typed is lost."""

from __future__ import annotations

import re
from html import escape, unescape
from pathlib import Path

import duckdb
import pytest
from flask.testing import FlaskClient
from testutil import with_token

from review import export_xlsx

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
# A note as a reviewer may write it: Kazakh and Russian, lines, markup-like text, a leading newline.
NOTE = "\nАкимат: <b>жол</b> & «люк»\nекінші жол — тексеру керек"


def _token(client: FlaskClient, path: str) -> str:
    match = TOKEN_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _reviews(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT external_id, status, forwarded_to, note FROM reviews").fetchall()


def _decision_form(page: str) -> str:
    return page.split('id="decision"')[1].split("</form>")[0]


def _button(form: str, button_id: str) -> str:
    return re.search(rf'<button [^>]*id="{button_id}"[^>]*>', form).group(0)


def test_a_forward_without_a_recipient_comes_back_with_the_note_and_choices(
    logged_in: FlaskClient, review_db: Path
) -> None:
    token = _token(logged_in, "/item?source=tg-news&id=77")
    resp = logged_in.post(
        "/item/decide",
        data={"csrf_token": token, "source": "tg-news", "id": "77", "status": "forwarded",
              "note": NOTE, "forwarded_to": "   ", "duplicates": "1"},
    )  # fmt: skip
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Not saved: say to whom the item is forwarded" in page
    form = _decision_form(page)
    # The browser drops one newline right after <textarea>: the note's own leading newline survives.
    assert f'maxlength="4000">\n{escape(NOTE, quote=False)}</textarea>' in form
    assert "<b>жол</b>" not in page
    to = re.search(r'<input name="forwarded_to"[^>]*>', form).group(0)
    assert 'value="   "' in to and 'aria-invalid="true"' in to and "autofocus" in to
    assert re.search(r'<input type="checkbox"[^>]*id="with-duplicates" checked>', form)
    assert "chosen" in _button(form, "forward") and "chosen" not in _button(form, "confirm")
    # The yes/no forms still lead back to this item, not to the address the refused form went to.
    assert 'name="next" value="/item?source=tg-news&amp;id=77"' in page
    assert _reviews(review_db) == []


def test_every_refusal_of_a_decision_keeps_what_was_typed(logged_in: FlaskClient, review_db: Path) -> None:
    token = _token(logged_in, "/item?source=dept-facebook&id=fb-7")
    item = {"csrf_token": token, "source": "dept-facebook", "id": "fb-7"}
    resp = logged_in.post(
        "/item/decide", data={**item, "status": "approved", "note": NOTE, "forwarded_to": "Антикор"}
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Not saved: unknown review status" in page
    form = _decision_form(page)
    assert f"\n{escape(NOTE, quote=False)}</textarea>" in form
    assert 'value="Антикор"' in form
    assert "chosen" not in form  # no button of the form stands for "approved"
    # An item that does not exist has no page to come back to.
    resp = logged_in.post("/item/decide", data={**item, "id": "nothing", "status": "confirmed", "note": NOTE})
    assert resp.status_code == 404
    assert _reviews(review_db) == []
    # Once it is put right, it is saved as typed, and the next form starts empty.
    resp = logged_in.post(
        "/item/decide", data={**item, "status": "forwarded", "note": NOTE, "forwarded_to": "Антикор"}
    )
    assert resp.status_code == 302
    assert _reviews(review_db) == [("fb-7", "forwarded", "Антикор", NOTE.strip())]
    form = _decision_form(logged_in.get(resp.headers["Location"]).get_data(as_text=True))
    assert 'maxlength="4000">\n</textarea>' in form and 'value=""' in form and "chosen" not in form


def test_a_refused_login_keeps_the_name_but_never_the_password(client: FlaskClient) -> None:
    resp = client.post(
        "/login",
        data={"username": "aigerim", "password": "wrong-password", "csrf_token": _token(client, "/login")},
    )
    assert resp.status_code == 401
    page = resp.get_data(as_text=True)
    assert re.search(r'<input name="username"[^>]*value="aigerim"', page)
    assert "wrong-password" not in page
    assert re.search(r'<input name="password"[^>]*autofocus', page)
    fresh = client.get("/login").get_data(as_text=True)
    assert re.search(r'<input name="username"[^>]*value=""[^>]* autofocus', fresh)


def test_a_note_too_long_is_refused_with_the_draft_not_cut(logged_in: FlaskClient, review_db: Path) -> None:
    token = _token(logged_in, "/item?source=dept-facebook&id=fb-7")
    item = {"csrf_token": token, "source": "dept-facebook", "id": "fb-7", "status": "confirmed"}
    long_note = "тексеру " * 600  # 4,800 characters
    resp = logged_in.post("/item/decide", data={**item, "note": long_note})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Not saved: the note has 4,799 characters; at most 4,000 are kept" in page
    assert long_note.strip() in page  # the draft comes back whole, to be shortened
    far = {**item, "status": "forwarded", "forwarded_to": "А" * 201}
    resp = logged_in.post("/item/decide", data=far)
    assert resp.status_code == 422
    assert "Not saved: forwarded to has 201 characters; at most 200 are kept" in resp.get_data(as_text=True)
    assert _reviews(review_db) == []
    # A browser counts a line break as one character against maxlength but sends CR LF.
    lines = "\r\n".join(["жол"] * 1000)  # 3,999 characters as typed
    assert logged_in.post("/item/decide", data={**item, "note": lines}).status_code == 302
    assert _reviews(review_db) == [("fb-7", "confirmed", None, "\n".join(["жол"] * 1000))]


def test_a_decision_the_busy_database_refused_is_kept_for_saving_again(
    logged_in: FlaskClient, review_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from errors import StoreLocked
    from review import queries

    record = queries.record_decision

    def locked(*args: object, **kwargs: object) -> int:
        raise StoreLocked("another process holds the database lock (waited 10 s)")

    token = _token(logged_in, "/item?source=dept-facebook&id=fb-7")
    typed = {"source": "dept-facebook", "id": "fb-7", "status": "forwarded", "forwarded_to": "Антикор"}
    monkeypatch.setattr(queries, "record_decision", locked)
    resp = logged_in.post(
        "/item/decide", data={"csrf_token": token, **typed, "note": NOTE, "duplicates": "1"}
    )
    assert resp.status_code == 503
    page = resp.get_data(as_text=True)
    assert "Not saved yet: the database is busy" in page
    form = page.split('<form method="post" action="/item/decide" id="retry">')[1].split("</form>")[0]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form, re.S))
    assert {k: unescape(v) for k, v in hidden.items()} == {
        "csrf_token": token,
        **typed,
        "note": NOTE,
        "duplicates": "1",
    }
    assert _reviews(review_db) == []
    monkeypatch.setattr(queries, "record_decision", record)  # the batch is done
    again = logged_in.post("/item/decide", data={k: unescape(v) for k, v in hidden.items()})
    assert again.status_code == 302
    assert _reviews(review_db) == [("fb-7", "forwarded", "Антикор", NOTE.strip())]


def test_pages_and_downloads_of_an_item_dated_past_year_9999_in_almaty(
    logged_in: FlaskClient, review_db: Path
) -> None:
    # An analyst's SQL can store any time; Almaty's clock passes Python's last year at 9999-12-31 19:00 UTC.
    with duckdb.connect(str(review_db)) as con:
        con.execute(
            "UPDATE items SET published_at = TIMESTAMPTZ '9999-12-31 23:00:00+00' "
            "WHERE source = 'dept-facebook' AND external_id = 'fb-7'"
        )
    listing = logged_in.get("/")
    assert listing.status_code == 200
    page = logged_in.get("/item?source=dept-facebook&id=fb-7")
    assert page.status_code == 200 and "9999-12-31 23:00" in page.get_data(as_text=True)
    for fmt in ("xlsx", "csv", "json"):
        assert (
            logged_in.get("/export", query_string=with_token(logged_in, {"format": fmt})).status_code == 200
        ), fmt


def test_a_selection_larger_than_an_excel_sheet_is_a_page_that_says_so(
    logged_in: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_xlsx, "MAX_ROWS", 2)  # a sheet of a header and one row
    resp = logged_in.get("/export", query_string=with_token(logged_in, {"format": "xlsx"}))
    assert resp.status_code == 400
    assert "do not fit in an Excel sheet" in resp.get_data(as_text=True)
    assert logged_in.get("/export", query_string=with_token(logged_in, {"format": "csv"})).status_code == 200
