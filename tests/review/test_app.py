"""The review page through Flask's test client: login, CSRF, escaping, search input, decisions, exports."""

from __future__ import annotations

import io
import re
from pathlib import Path

import duckdb
import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from testutil import with_token

from review.app import create_app
from review.auth import set_password
from review.render import web_link

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path)
    match = TOKEN_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _reviews(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT source, external_id, status, forwarded_to, reviewer, note FROM reviews ORDER BY review_id"
        ).fetchall()
    finally:
        con.close()


def test_every_page_needs_a_login(client: FlaskClient, review_db: Path) -> None:
    for path in ("/", "/item?source=dept-facebook&id=fb-7", "/export?format=xlsx"):
        resp = client.get(path)
        assert resp.status_code == 302
        assert resp.headers["Location"].startswith("/login")
    token = _token(client)
    resp = client.post(
        "/item/decide",
        data={"csrf_token": token, "source": "dept-facebook", "id": "fb-7", "status": "confirmed"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert _reviews(review_db) == []


def test_wrong_password_is_refused(client: FlaskClient) -> None:
    resp = client.post(
        "/login", data={"username": "aigerim", "password": "wrong-password", "csrf_token": _token(client)}
    )
    assert resp.status_code == 401
    assert "Wrong username or password." in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_rejected(client: FlaskClient, password: str) -> None:
    client.get("/login")
    resp = client.post("/login", data={"username": "aigerim", "password": password})
    assert resp.status_code == 400
    assert client.get("/").status_code == 302


def test_decision_without_or_with_a_foreign_csrf_token_is_rejected(
    logged_in: FlaskClient, review_db: Path, password: str
) -> None:
    data = {"source": "dept-facebook", "id": "fb-7", "status": "confirmed"}
    assert logged_in.post("/item/decide", data=data).status_code == 400
    other = create_app(review_db, secret_key="test-secret-" + "x" * 32, testing=True).test_client()
    foreign = _token(other)
    assert logged_in.post("/item/decide", data={**data, "csrf_token": foreign}).status_code == 400
    assert _reviews(review_db) == []


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/x",
        "/\\evil.example",
        # Werkzeug drops the tab from the Location header, which leaves "//evil.example"
        "/\t/evil.example",
        # a newline cannot go into a header: it was a 500 after a right password
        "/\n/evil.example",
        "/\r/x",
    ],
)
def test_login_redirects_only_within_the_site(client: FlaskClient, password: str, target: str) -> None:
    token = _token(client)
    resp = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "aigerim", "password": password, "csrf_token": token},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_login_goes_on_to_the_page_asked_for(client: FlaskClient, password: str) -> None:
    first = client.get("/?label=corruption&q=%D0%B2%D0%B7%D1%8F%D1%82%D0%BA%D0%B0")
    login_url = first.headers["Location"]
    assert login_url.startswith("/login?next=")
    resp = client.post(
        login_url, data={"username": "aigerim", "password": password, "csrf_token": _token(client)}
    )
    assert resp.headers["Location"] == "/?label=corruption&q=%D0%B2%D0%B7%D1%8F%D1%82%D0%BA%D0%B0"


def test_item_text_is_escaped_everywhere(logged_in: FlaskClient) -> None:
    listing = logged_in.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark" in listing
    assert "<b>Хакер</b>" not in listing and "&lt;b&gt;Хакер&lt;/b&gt;" in listing
    page = logged_in.get("/item?source=dept-facebook&id=fb-8").get_data(as_text=True)
    assert "<script>alert" not in page
    assert (
        '&lt;script&gt;alert(1)&lt;/script&gt; <mark class="ev ev-corruption" title="corruption">взятка</mark>'
        in page
    )
    resp = logged_in.get("/")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


def test_search_input_that_looks_like_sql_is_just_text(logged_in: FlaskClient, review_db: Path) -> None:
    for q in ("' OR 1=1 --", "'; DROP TABLE reviews; --", '") OR ("1"="1', "%"):
        resp = logged_in.get("/", query_string={"q": q})
        assert resp.status_code == 200
        assert '<span id="total">0</span>' in resp.get_data(as_text=True), q
    assert _reviews(review_db) == []  # the table is still there
    for q, expected in (("откат", 1), ("ОТКАТ", 1), ("ШЕНЕУНІК", 1), ("школе №12", 2)):
        body = logged_in.get("/", query_string={"q": q}).get_data(as_text=True)
        assert f'<span id="total">{expected}</span>' in body, q


def test_list_filters_newest_first_and_chart(logged_in: FlaskClient) -> None:
    body = logged_in.get("/", query_string={"label": "corruption", "period": "7"}).get_data(as_text=True)
    assert '<span id="total">5</span>' in body
    order = re.findall(r'href="/item\?source=[^&]+&amp;id=([^"]+)"', body)
    assert order == ["77", "501", "fb-8", "a-100-c1", "fb-7"]
    assert '<svg class="chart"' in body
    assert re.search(r"<title>\d{4}-\d\d-\d\d corruption: \d+</title>", body)
    assert "infrastructure: " not in body.split('<svg class="chart"')[1].split("</svg>")[0]
    bad = logged_in.get("/", query_string={"min_score": "lots", "status": "maybe"}).get_data(as_text=True)
    assert "Ignored: unknown status" in bad
    assert '<span id="total">8</span>' in bad


def test_item_page_shows_parent_thread_and_evidence(logged_in: FlaskClient) -> None:
    body = logged_in.get("/item?source=city-portal&id=a-100-c1").get_data(as_text=True)
    assert "Ямы вокруг люков после ремонта на улице Абая" in body  # the parent article
    assert "Біздің аулада да сол жағдай, жол жөнделген жоқ." in body  # a sibling comment
    assert '<mark class="ev ev-corruption" title="corruption">откат</mark>' in body
    assert '<mark class="ev ev-corruption" title="corruption">кто принял этот ремонт</mark>' in body
    article = logged_in.get("/item?source=city-portal&id=a-100").get_data(as_text=True)
    assert "Replies (2)" in article
    dup = logged_in.get("/item?source=tg-news&id=77").get_data(as_text=True)
    assert "Near-duplicates (1)" in dup
    assert logged_in.get("/item?source=x&id=nothing").status_code == 404


def test_confirm_reject_forward_keep_history(logged_in: FlaskClient, review_db: Path) -> None:
    token = _token(logged_in, "/item?source=dept-facebook&id=fb-7")
    item = {"csrf_token": token, "source": "dept-facebook", "id": "fb-7"}
    resp = logged_in.post("/item/decide", data={**item, "status": "confirmed", "note": "<i>проверить</i>"})
    assert resp.status_code == 302
    resp = logged_in.post("/item/decide", data={**item, "status": "forwarded", "note": ""})
    assert resp.status_code == 422
    assert "Not saved: say to whom the item is forwarded" in resp.get_data(as_text=True)
    logged_in.post("/item/decide", data={**item, "status": "forwarded", "forwarded_to": "Антикор, отдел 2"})
    assert _reviews(review_db) == [
        ("dept-facebook", "fb-7", "confirmed", None, "aigerim", "<i>проверить</i>"),
        ("dept-facebook", "fb-7", "forwarded", "Антикор, отдел 2", "aigerim", None),
    ]
    page = logged_in.get("/item?source=dept-facebook&id=fb-7").get_data(as_text=True)
    assert '<span id="current-status" class="st st-forwarded">forwarded</span>' in page
    assert "&lt;i&gt;проверить&lt;/i&gt;" in page and "<i>проверить" not in page
    body = logged_in.get("/", query_string={"status": "forwarded"}).get_data(as_text=True)
    assert '<span id="total">1</span>' in body
    bad = logged_in.post("/item/decide", data={**item, "status": "approved"})
    assert bad.status_code == 422 and "Not saved: unknown review status" in bad.get_data(as_text=True)
    assert len(_reviews(review_db)) == 2


def test_export_of_the_current_filter(logged_in: FlaskClient) -> None:
    token = _token(logged_in, "/item?source=dept-facebook&id=fb-7")
    logged_in.post(
        "/item/decide",
        data={
            "csrf_token": token,
            "source": "dept-facebook",
            "id": "fb-7",
            "status": "confirmed",
            "note": "ok",
        },
    )
    listing = logged_in.get("/?label=corruption&status=confirmed&period=7").get_data(as_text=True)
    link = re.search(r'id="export-xlsx" href="([^"]+)"', listing).group(1).replace("&amp;", "&")
    resp = logged_in.get(link)
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=flagged-")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and "Әкімдіктегі шенеунік" in rows[0][6]
    csv_resp = logged_in.get(link.replace("format=xlsx", "format=csv"))
    assert csv_resp.data.startswith(b"\xef\xbb\xbf")
    assert logged_in.get("/export", query_string=with_token(logged_in, {"format": "exe"})).status_code == 400


def test_password_change_ends_open_sessions(logged_in: FlaskClient, review_db: Path) -> None:
    assert logged_in.get("/").status_code == 200
    set_password(review_db, "aigerim", "another-password-1")
    resp = logged_in.get("/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"


def test_logout_needs_the_token_and_ends_the_session(logged_in: FlaskClient) -> None:
    assert logged_in.post("/logout").status_code == 400
    token = _token(logged_in, "/")
    assert logged_in.post("/logout", data={"csrf_token": token}).status_code == 302
    assert logged_in.get("/").status_code == 302


def test_a_copy_of_the_session_cookie_does_not_outlive_the_logout(
    logged_in: FlaskClient, review_db: Path, password: str
) -> None:
    copy = create_app(review_db, secret_key="test-secret-" + "x" * 32, testing=True).test_client()
    copy.set_cookie("monitor_review", logged_in.get_cookie("monitor_review").value)
    assert copy.get("/").status_code == 200  # the copy works while the session lasts
    assert logged_in.post("/logout", data={"csrf_token": _token(logged_in, "/")}).status_code == 302
    resp = copy.get("/export?format=csv")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    # A new login works at once.
    resp = logged_in.post(
        "/login", data={"username": "aigerim", "password": password, "csrf_token": _token(logged_in)}
    )
    assert resp.status_code == 302 and logged_in.get("/").status_code == 200


def test_only_web_links_become_links() -> None:
    assert web_link("https://portal.example.kz/a") == "https://portal.example.kz/a"
    assert web_link("javascript:alert(1)") is None
    assert web_link(" JaVaScRiPt:alert(1)") is None
    assert web_link(None) is None
    # control characters go percent-encoded, never raw into the page (review)
    assert web_link("https://portal.example.kz/a\x01b\x9f") == "https://portal.example.kz/a%01b%C2%9F"


def test_a_decision_can_cover_the_near_duplicates(logged_in: FlaskClient, review_db: Path) -> None:
    page = logged_in.get("/item?source=tg-news&id=77").get_data(as_text=True)
    assert 'id="with-duplicates"' in page and "the same for its 1 near-duplicate" in page
    token = TOKEN_RE.search(page).group(1)
    resp = logged_in.post(
        "/item/decide",
        data={"csrf_token": token, "source": "tg-news", "id": "77", "status": "forwarded",
              "forwarded_to": "Управление образования", "duplicates": "1"},
    )  # fmt: skip
    assert "Saved: forwarded (and 1 near-duplicate)." in logged_in.get(resp.headers["Location"]).get_data(
        as_text=True
    )
    assert _reviews(review_db) == [
        ("tg-news", "77", "forwarded", "Управление образования", "aigerim", None),
        ("tg-city", "501", "forwarded", "Управление образования", "aigerim", None),
    ]
    # Earlier targets are offered for the next forward.
    page = logged_in.get("/item?source=dept-facebook&id=fb-7").get_data(as_text=True)
    assert '<option value="Управление образования">' in page


def test_repeated_failed_logins_are_refused_for_a_while(client: FlaskClient, password: str) -> None:
    token = _token(client)
    for _ in range(5):
        resp = client.post(
            "/login", data={"username": "aigerim", "password": "guess-guess", "csrf_token": token}
        )
        assert resp.status_code == 401
    resp = client.post("/login", data={"username": "aigerim", "password": password, "csrf_token": token})
    assert resp.status_code == 429
    assert "Too many failed attempts" in resp.get_data(as_text=True)
    # From another address (the reviewer's own machine) the name is not locked out.
    resp = client.post(
        "/login",
        data={"username": "aigerim", "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert resp.status_code == 302


def test_behind_an_https_proxy_the_cookie_is_https_only_and_hosts_are_checked(
    review_db: Path, password: str
) -> None:
    app = create_app(
        review_db,
        secret_key="test-secret-" + "x" * 32,
        testing=True,
        behind_https_proxy=True,
        allowed_hosts=["review.example.kz"],
    )
    client = app.test_client()
    assert client.get("/login", headers={"Host": "evil.example.com"}).status_code == 400
    proxied = {
        "Host": "127.0.0.1:8080",
        "X-Forwarded-Host": "review.example.kz",
        "X-Forwarded-Proto": "https",
    }
    page = client.get("/login", headers=proxied)
    assert page.status_code == 200
    token = TOKEN_RE.search(page.get_data(as_text=True))
    assert token
    resp = client.post(
        "/login",
        data={"username": "aigerim", "password": password, "csrf_token": token.group(1)},
        headers=proxied,
    )
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(("/", "https://review.example.kz/"))
    cookies = resp.headers.getlist("Set-Cookie")
    assert any(c.startswith("monitor_review=") and "Secure" in c for c in cookies)


def test_without_the_proxy_option_the_cookie_works_over_plain_http(
    client: FlaskClient, password: str
) -> None:
    resp = client.post(
        "/login", data={"username": "aigerim", "password": password, "csrf_token": _token(client)}
    )
    cookies = resp.headers.getlist("Set-Cookie")
    assert any(c.startswith("monitor_review=") for c in cookies)
    assert not any("Secure" in c for c in cookies)


def test_pages_declare_english_and_mark_the_language_of_item_text(
    review_db: Path, logged_in: FlaskClient
) -> None:
    item = "/item?source=dept-facebook&id=fb-7"
    pages = {path: logged_in.get(path).get_data(as_text=True) for path in ("/", item, "/second-look")}
    anonymous = create_app(review_db, secret_key="test-secret-" + "x" * 32, testing=True).test_client()
    pages["/login"] = anonymous.get("/login").get_data(as_text=True)
    for path, page in pages.items():
        assert page.startswith('<!doctype html>\n<html lang="en">'), path
    # The items themselves are Russian or Kazakh; "mixed" and "other" name no language.
    assert '<div class="body" lang="kk">Әкімдіктегі' in pages[item]
    assert re.search(r'id=fb-7" lang="kk">\s*Әкімдіктегі', pages["/"])
    assert re.search(r'id=a-100" lang="ru">\s*<strong><bdi>Ямы', pages["/"])
    assert 'id=wa-3" lang="">' in pages["/"]  # "mixed": unknown, not English
    assert 'id=a-100-c2" lang="kk">' in pages["/second-look"]
