"""The review page's download is the `pipeline.py export` file: same filters, same cells, every format."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
import pyarrow.parquet as pq
import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from testutil import run_cli, with_token

from review.app import create_app
from review.auth import session_epoch
from review.export import FORMATS, read_export
from review.queries import LOCAL_TZ, Filters

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FORMULA_TEXT = 'HYPERLINK("http://evil.example";"жми") автобус №5 не ходит третий день, аялдамада адамдар тұр'
KAZAKH_TEXT = (
    "Әкімдіктегі шенеунік жер телімін беру үшін пара сұрады. Сыбайлас жемқорлыққа қарсы қызмет тексерсін!"
)
FORMULA_NOTE = "=1+1 тексеру керек, прокуратураға жіберу"


def _days_ago(days: int) -> str:
    return (datetime.now(UTC).astimezone(LOCAL_TZ).date() - timedelta(days=days)).isoformat()


# (page query, the same filters as `pipeline.py export` options, external ids the file must hold)
CASES = {
    "label-and-dates": (
        {"label": "infrastructure", "since": _days_ago(4), "until": _days_ago(0)},
        ["--label", "infrastructure", "--since", _days_ago(4), "--until", _days_ago(0)],
        {"a-100-c1", "a-100", "wa-3"},  # not tg-city/480: 400 hours old
    ),
    "street-search": ({"q": "Абая"}, ["--search", "Абая"], {"a-100"}),
    "text-search-cluster": ({"q": "школе №12"}, ["--search", "школе №12"], {"77"}),
    "confirmed-kazakh": (
        {"label": "corruption", "status": "confirmed", "lang": "kk"},
        ["--label", "corruption", "--status", "confirmed", "--lang", "kk"],
        {"fb-7"},
    ),
}


def _token(client: FlaskClient, path: str) -> str:
    match = TOKEN_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def reviewer(review_db: Path, password: str) -> FlaskClient:
    """A client logged in as aigerim, who has confirmed the Kazakh post with a note that starts with '='."""
    client = create_app(review_db, secret_key="test-secret-" + "x" * 32, testing=True).test_client()
    resp = client.post(
        "/login",
        data={"username": "aigerim", "password": password, "csrf_token": _token(client, "/login")},
    )
    assert resp.status_code == 302
    token = _token(client, "/item?source=dept-facebook&id=fb-7")
    resp = client.post(
        "/item/decide",
        data={"csrf_token": token, "source": "dept-facebook", "id": "fb-7", "status": "confirmed",
              "note": FORMULA_NOTE},
    )  # fmt: skip
    assert resp.status_code == 302
    return client


def _page_downloads(client: FlaskClient, query: dict[str, str]) -> dict[str, bytes]:
    """Every download the list page offers for ``query``, fetched through its own links."""
    listing = client.get("/", query_string=query).get_data(as_text=True)
    links = dict(re.findall(r'id="export-([\w-]+)" href="([^"]+)"', listing))
    assert sorted(links) == sorted(FORMATS) == ["csv", "excel-csv", "json", "parquet", "xlsx"]
    assert ">XLSX</a>" in listing and ">CSV</a>" in listing
    assert re.search(r'id="export-excel-csv" href="[^"]+" title="Semicolons[^"]*">CSV for Excel</a>', listing)
    files = {}
    for fmt, link in links.items():
        resp = client.get(link.replace("&amp;", "&"))
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.headers["Content-Disposition"].startswith("attachment; filename=flagged-")
        files[fmt] = resp.data
    return files


def _cli_export(db: Path, fmt: str, options: list[str], out: Path) -> bytes:
    done = run_cli("export", "--db", str(db), "--format", fmt, "--out", str(out), *options)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def _sheet(data: bytes, name: str) -> list[list[tuple[Any, str, str]]]:
    """Each cell of a sheet as (value, type, number format)."""
    ws = load_workbook(io.BytesIO(data))[name]
    return [[(c.value, c.data_type, c.number_format) for c in row] for row in ws.iter_rows()]


def _about(data: bytes) -> list[tuple[Any, Any]]:
    rows = [(row[0][0], row[1][0]) for row in _sheet(data, "about")]
    return [pair for pair in rows if pair[0] != "exported at (Asia/Almaty)"]  # the moment of writing


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("case", CASES)
def test_download_is_the_export_commands_file(
    reviewer: FlaskClient, review_db: Path, tmp_path: Path, case: str
) -> None:
    query, options, expected_ids = CASES[case]
    page = _page_downloads(reviewer, query)
    cli = {fmt: _cli_export(review_db, fmt, options, tmp_path / f"cli.{fmt}") for fmt in FORMATS}

    # XLSX: every cell of the data sheet, with its type and number format.
    flagged = _sheet(page["xlsx"], "flagged")
    assert flagged == _sheet(cli["xlsx"], "flagged")
    header = [cell[0] for cell in flagged[0]]
    assert {row[header.index("external_id")][0] for row in flagged[1:]} == expected_ids
    # The 'about' sheet: the command's lines, and who downloaded it.
    page_about, cli_about = _about(page["xlsx"]), _about(cli["xlsx"])
    assert ("exported by", "aigerim") in page_about
    assert [pair for pair in page_about if pair[0] != "exported by"] == cli_about

    # CSV: the same bytes, parsed to the same rows.
    page_rows = _csv_rows(page["csv"])
    assert page_rows == _csv_rows(cli["csv"])
    assert page["csv"] == cli["csv"]
    assert {row["external_id"] for row in page_rows} == expected_ids
    assert page["excel-csv"] == cli["excel-csv"]

    assert json.loads(page["json"]) == json.loads(cli["json"])
    assert page["json"] == cli["json"]
    page_table = pq.read_table(io.BytesIO(page["parquet"]))
    assert page_table.equals(pq.read_table(io.BytesIO(cli["parquet"])), check_metadata=True)
    assert set(page_table.column("external_id").to_pylist()) == expected_ids


def test_formula_text_and_kazakh_text_are_escaped_alike(
    reviewer: FlaskClient, review_db: Path, tmp_path: Path
) -> None:
    query = {"since": _days_ago(4)}
    page = _page_downloads(reviewer, query)
    options = ["--since", _days_ago(4)]
    cli = {fmt: _cli_export(review_db, fmt, options, tmp_path / f"cli.{fmt}") for fmt in ("xlsx", "csv")}
    for data in (page["xlsx"], cli["xlsx"]):
        rows = _sheet(data, "flagged")
        header = [cell[0] for cell in rows[0]]
        by_id = {row[header.index("external_id")][0]: row for row in rows[1:]}
        # Text cells (type "s"), never formulas ("f"): the value is what the public wrote.
        assert by_id["wa-3"][header.index("text")][:2] == ("=" + FORMULA_TEXT, "s")
        assert by_id["fb-7"][header.index("text")][:2] == (KAZAKH_TEXT, "s")
        assert by_id["fb-7"][header.index("note")][:2] == (FORMULA_NOTE, "s")
        assert not any(cell[1] == "f" for row in rows for cell in row)
    for data in (page["csv"], cli["csv"]):
        by_id = {row["external_id"]: row for row in _csv_rows(data)}
        assert by_id["wa-3"]["text"] == "'=" + FORMULA_TEXT  # what Excel shows for text typed so
        assert by_id["fb-7"]["text"] == KAZAKH_TEXT
        assert by_id["fb-7"]["note"] == "'" + FORMULA_NOTE
        assert by_id["fb-7"]["status"] == "confirmed" and by_id["fb-7"]["reviewer"] == "aigerim"
    assert _sheet(page["xlsx"], "flagged") == _sheet(cli["xlsx"], "flagged")
    assert page["csv"] == cli["csv"]
    for item in json.loads(page["json"]):
        assert not item["text"].startswith("'")  # JSON keeps the text as written
    assert {item["external_id"] for item in json.loads(page["json"])} >= {"wa-3", "fb-7"}


def test_a_bad_filter_gets_no_file(reviewer: FlaskClient) -> None:
    for query in (
        {"format": "exe"},
        {"format": "csv", "label": "everything"},
        {"format": "xlsx", "since": "yesterday"},
        {"format": "parquet", "since": _days_ago(0), "until": _days_ago(3)},
    ):
        resp = reviewer.get("/export", query_string=with_token(reviewer, query))
        assert resp.status_code == 400, query
        assert "attachment" not in resp.headers.get("Content-Disposition", "")


def test_session_check_leaves_the_connection_free_for_the_export(review_db: Path) -> None:
    # The login check runs first on every request's shared connection; a result it left open
    # made DuckDB refuse the export's query ("unfinished result from execute()").
    con = duckdb.connect(str(review_db), read_only=True)
    try:
        assert session_epoch(con, "nobody") is None
        for fmt in FORMATS:
            assert isinstance(session_epoch(con, "aigerim"), int)  # a row found: the case that failed
            assert len(read_export(con, Filters(label="corruption"), fmt)) == 5
    finally:
        con.close()


def test_an_empty_date_range_leaves_out_both_dates_in_the_list_chart_and_files(reviewer: FlaskClient) -> None:
    everything = reviewer.get("/").get_data(as_text=True)
    chart = re.search(r"Flagged per day, [^<]+", everything).group(0)
    files = _page_downloads(reviewer, {})
    for query, start in (
        ({"since": _days_ago(0), "until": _days_ago(3)}, _days_ago(0)),  # was: From kept, To dropped
        ({"since": _days_ago(1), "until": _days_ago(30)}, _days_ago(1)),
        ({"period": "7", "until": _days_ago(20)}, f"{_days_ago(6)} (the first day of the period)"),
    ):
        page = reviewer.get("/", query_string=query).get_data(as_text=True)
        assert (
            f'<p class="error" role="alert">Ignored: the date range from {start} to {query["until"]} is empty, '
            "so both dates are left out and items of every date are shown</p>"
        ) in page, query
        assert '<span id="total">8</span>' in page and chart in page, query
        # The form keeps the dates as typed, to be put right; the files hold what the page shows.
        assert f'id="f-until" type="date" value="{query["until"]}"' in page
        assert "since=" not in page.split('id="export-csv"')[1].split(">")[0]
        got = _page_downloads(reviewer, query)
        assert {fmt: got[fmt] for fmt in ("csv", "json", "parquet")} == {
            fmt: files[fmt] for fmt in ("csv", "json", "parquet")
        }, query
        assert _sheet(got["xlsx"], "flagged") == _sheet(files["xlsx"], "flagged")
        assert _about(got["xlsx"]) == _about(files["xlsx"])  # no dates among the filters named
        # Asked for directly, the file still refuses the range rather than guess.
        assert (
            reviewer.get("/export", query_string=with_token(reviewer, {**query, "format": "csv"})).status_code
            == 400
        )


def test_a_value_the_page_ignores_stays_out_of_its_download_links(reviewer: FlaskClient) -> None:
    query = {"label": "everything", "lang": "kk"}
    page = reviewer.get("/", query_string=query).get_data(as_text=True)
    assert "Ignored: unknown label" in page
    link = re.search(r'id="export-json" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert link == "/export?" + urlencode({"lang": "kk", "format": "json", **with_token(reviewer)})
    resp = reviewer.get(link)
    assert resp.status_code == 200
    assert {item["external_id"] for item in json.loads(resp.data)} == {"fb-7"}


def test_each_download_names_its_media_type_once(reviewer: FlaskClient) -> None:
    expected = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "json": "application/json",
        "parquet": "application/vnd.apache.parquet",
    }
    for fmt, content_type in expected.items():
        resp = reviewer.get("/export", query_string=with_token(reviewer, {"format": fmt}))
        assert resp.status_code == 200
        assert resp.headers.getlist("Content-Type") == [content_type], fmt


OUTSIDE = "is outside 1900-01-01..2199-12-31"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        # Each was a 500 (an overflow in the date arithmetic) or a value used without a word.
        ({"until": "9999-12-31"}, f"until: 9999-12-31 {OUTSIDE}"),
        ({"since": "9999-12-31"}, f"since: 9999-12-31 {OUTSIDE}"),
        ({"since": "0001-01-01"}, f"since: 0001-01-01 {OUTSIDE}"),
        ({"until": "0001-01-01"}, f"until: 0001-01-01 {OUTSIDE}"),
        ({"period": "1000000"}, "the period must be a number of days from 1 to 36500"),
        ({"period": "9" * 30}, "the period must be a number of days from 1 to 36500"),
        ({"period": "-3"}, "the period must be a number of days from 1 to 36500"),
        ({"min_score": "nan"}, "the minimum score must be a number between 0 and 1"),
        ({"min_score": "-inf"}, "the minimum score must be a number between 0 and 1"),
        ({"min_score": "2"}, "the minimum score must be a number between 0 and 1"),
        ({"lang": "zz"}, "unknown language"),
    ],
)
def test_values_the_store_cannot_hold_are_ignored_with_a_word_and_refused_by_the_files(
    reviewer: FlaskClient, query: dict[str, str], message: str
) -> None:
    resp = reviewer.get("/", query_string=query)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert f'<p class="error" role="alert">Ignored: {message}</p>' in page
    assert '<span id="total">8</span>' in page  # every flagged item: the value was left out
    resp = reviewer.get("/export", query_string=with_token(reviewer, {**query, "format": "csv"}))
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)


def test_a_long_text_search_is_cut_and_said_and_the_way_back_stays_small(reviewer: FlaskClient) -> None:
    query = "Абая" + " ж" * 2500  # 5,004 characters
    page = reviewer.get("/", query_string={"q": query}).get_data(as_text=True)
    assert "Ignored: the text search is cut to its first 200 characters" in page
    assert f'value="{query[:200]}"' in page  # the form shows what was searched
    link = re.search(r'id="export-csv" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert reviewer.get(link).status_code == 200  # the file's link carries the search as cut
    with reviewer.session_transaction() as session:
        assert len(session["list_query"]) < 2000
    # Filters too long for the session cookie are not kept for "back to the list" at all.
    reviewer.get("/", query_string=[("source", f"source-{n:04}") for n in range(300)])
    with reviewer.session_transaction() as session:
        assert session["list_query"] == ""


def test_the_second_look_refuses_a_lowest_score_that_is_not_one(reviewer: FlaskClient) -> None:
    for floor in ("nan", "inf", "-0.5", "1.5", "x"):
        resp = reviewer.get("/second-look", query_string={"floor": floor})
        assert resp.status_code == 400, floor
        assert "The lowest score must be a number between 0 and 1." in resp.get_data(as_text=True)
    assert reviewer.get("/second-look", query_string={"floor": "0.35"}).status_code == 200


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "parquet"])
def test_a_download_is_written_a_piece_at_a_time_after_the_store_is_let_go(
    reviewer: FlaskClient, review_db: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    # it read every row into memory and built the whole file there, as `export` did before it streamed
    from review import export, export_stream
    from store.db import writer

    monkeypatch.setattr(export, "CHUNK_ROWS", 2)
    written: list[str] = []
    write_copy = export_stream._write_copy

    def checked(*args: Any, **kwargs: Any) -> int:
        with writer(review_db) as con:  # the page's read connection is closed: a batch may write
            con.execute("SELECT count(*) FROM items").fetchall()
        written.append(fmt)
        return write_copy(*args, **kwargs)

    monkeypatch.setattr(export_stream, "_write_copy", checked)
    resp = reviewer.get("/export", query_string=with_token(reviewer, {"format": fmt}))
    assert resp.status_code == 200 and written == [fmt]
    resp.close()


def test_a_full_folder_named_on_a_later_line_of_duckdbs_message_is_an_os_error(tmp_path: Path) -> None:
    # DuckDB names the folder on the second line at DETACH: the error went through raw (review)
    import errno

    from review.export_stream import _copy_error

    exc = duckdb.IOException(
        "IO Error: Detached database 'export_copy', but CHECKPOINT during DETACH failed.\n"
        f'Checkpoint failed: Could not write file "{tmp_path}/steps.duckdb": No space left on device'
    )
    error = _copy_error(exc, tmp_path)
    assert isinstance(error, OSError) and error.errno == errno.EIO
    assert error.strerror == "No space left on device"
    assert _copy_error(duckdb.IOException("IO Error: the store's own file"), tmp_path) is None


def test_a_download_the_temporary_folder_has_no_room_for_is_a_page_that_says_so(
    reviewer: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from review import export_stream

    def full(*args: Any) -> Path:
        raise OSError(errno.EIO, "No space left on device")

    monkeypatch.setattr(export_stream, "_copy_steps", full)
    resp = reviewer.get("/export", query_string=with_token(reviewer, {"format": "csv"}))
    assert resp.status_code == 507  # a bare 500 before
    assert "The download could not be prepared: No space left on device" in resp.get_data(as_text=True)
    assert reviewer.get("/").status_code == 200  # the store was let go
