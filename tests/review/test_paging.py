"""Pages of a listing: one rule (review/paging.py) for the flagged list and the second look."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from review import app as review_app
from review.app import create_app
from review.paging import Page, paginate

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.mark.parametrize(
    ("asked", "total", "expected"),
    [
        (None, 46, Page(number=1, pages=1, total=46, size=50)),
        ("2", 101, Page(number=2, pages=3, total=101, size=50)),
        ("3", 101, Page(number=3, pages=3, total=101, size=50)),
        ("999", 46, Page(number=1, pages=1, total=46, size=50, asked=999)),
        ("4", 101, Page(number=3, pages=3, total=101, size=50, asked=4)),
        ("2", 0, Page(number=1, pages=1, total=0, size=50, asked=2)),
        ("0", 101, Page(number=1, pages=3, total=101, size=50)),
        ("-3", 101, Page(number=1, pages=3, total=101, size=50)),
        ("two", 101, Page(number=1, pages=3, total=101, size=50)),
    ],
)
def test_a_page_past_the_end_is_the_last_page(asked: str | None, total: int, expected: Page) -> None:
    assert paginate(asked, total, 50) == expected


def test_the_note_says_which_page_was_asked_for_and_what_there_is() -> None:
    assert paginate("3", 101, 50).past_end_note() is None
    assert paginate("999", 101, 50).past_end_note() == (
        "Page 999 is past the end: 101 items on 3 pages; this is page 3, the last."
    )
    assert (
        paginate("2", 1, 50).past_end_note()
        == "Page 2 is past the end: 1 item on 1 page; this is page 1, the last."
    )
    assert (
        paginate("2", 0, 50).past_end_note() == "Page 2 is past the end: there are no items; this is page 1."
    )
    assert paginate("5", 120, 50).offset == 100


@pytest.fixture
def logged_in(review_db: Path, password: str, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    """A logged-in client of the app with three rows a page (the fixture's 8 flagged items: 3 pages)."""
    monkeypatch.setattr(review_app, "PAGE_SIZE", 3)
    client = create_app(review_db, secret_key="test-secret-" + "p" * 32, testing=True).test_client()
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": "aigerim", "password": password, "csrf_token": token})
    assert resp.status_code == 302
    return client


def _ids(page: str) -> list[str]:
    return re.findall(r'<a class="open" href="/item\?source=[^&]+&amp;id=([^"]+)"', page)


def test_the_list_past_its_end_shows_the_last_page_and_says_so(logged_in: FlaskClient) -> None:
    last = logged_in.get("/?label=&page=3").get_data(as_text=True)
    assert len(_ids(last)) == 2 and 'id="past-end"' not in last
    page = logged_in.get("/?label=&page=999").get_data(as_text=True)
    assert '<span id="total">8</span>' in page
    assert (
        '<p class="flash" role="status" id="past-end">Page 999 is past the end: 8 items on 3 pages; '
        "this is page 3, the last.</p>"
    ) in page
    assert _ids(page) == _ids(last)
    assert "Nothing flagged matches" not in page
    assert (
        "page 3 of 3" in page and '<a href="/?page=2" id="page-before">' in page and "page-after" not in page
    )
    # The way back from an item is to the page shown, not to the one asked for.
    item = logged_in.get("/item?source=dept-facebook&id=fb-7").get_data(as_text=True)
    assert '<a href="/?page=3">&larr; back to the list</a>' in item
    for asked in ("0", "-1", "lots"):
        first = logged_in.get("/", query_string={"page": asked}).get_data(as_text=True)
        assert "page 1 of 3" in first and 'id="past-end"' not in first


def test_the_second_look_past_its_end_shows_the_last_page_and_says_so(logged_in: FlaskClient) -> None:
    page = logged_in.get("/second-look?label=infrastructure&page=999").get_data(as_text=True)
    assert '<span id="total">1</span>' in page
    assert "Page 999 is past the end: 1 item on 1 page; this is page 1, the last." in page
    assert 'name="id" value="a-100-c2"' in page
    # An answer leads back to the page shown, which exists.
    assert 'name="next" value="/second-look?label=infrastructure&amp;floor=0.2&amp;page=1"' in page
    empty = logged_in.get("/second-look?label=corruption&page=2").get_data(as_text=True)
    assert "Page 2 is past the end: there are no items; this is page 1." in empty
