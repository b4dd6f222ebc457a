"""The second look: items the model did not flag but came close on, judged per label by reviewers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from flask.testing import FlaskClient

from collectors.item import Item
from errors import InputError
from review.app import create_app
from review.queries import record_decision
from review.second_look import count_unsure, record_label_decision, select_unsure
from review.training import decision_rows
from store import classifications
from store.db import reader, writer
from store.items import upsert_items

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

# (source, external_id, lang, corruption, infrastructure, labels, cluster)
CLOSE_CALLS = [
    ("tg-city", "610", "kk", 0.31, 0.02, [], None),
    ("tg-city", "611", "ru", 0.44, 0.90, ["infrastructure"], "dup-611"),
    ("tg-news", "90", "ru", 0.47, 0.88, ["infrastructure"], "dup-611"),
    ("tg-city", "612", "ru", 0.19, 0.05, [], None),
]


@pytest.fixture
def close_calls(review_db: Path, now: datetime) -> Path:
    """The fixture database plus items scored just under the corruption flag (two are near-duplicates)."""
    items = [
        Item(source=s, kind="post", external_id=e, text=f"текст {e}", published_at=now - timedelta(hours=2))
        for s, e, *_ in CLOSE_CALLS
    ]
    predictions = [
        {"lang": lang, "scores": {"corruption": c, "infrastructure": i}, "labels": labels, "evidence": {}}
        for _s, _e, lang, c, i, labels, _cluster in CLOSE_CALLS
    ]
    with writer(review_db) as con:
        upsert_items(con, items, now=now)
        keys = [(i.source, i.external_id, i.content_hash) for i in items]
        classifications.save(con, keys, predictions, model_version="test-2", now=now)
        for source, external_id, *_rest, cluster in CLOSE_CALLS:
            con.execute(
                "UPDATE items SET cluster_id = ? WHERE source = ? AND external_id = ?",
                [cluster, source, external_id],
            )
    return review_db


def _keys(rows: list[dict]) -> list[tuple[str, str]]:
    return [(r["source"], r["external_id"]) for r in rows]


def test_close_calls_come_closest_first_one_per_near_duplicate_group(close_calls: Path) -> None:
    with reader(close_calls) as con:
        corruption = select_unsure(con, "corruption")
        assert _keys(corruption) == [("tg-news", "90"), ("tg-city", "610")]  # 0.19 and flagged ones out
        assert [r["score"] for r in corruption] == [0.47, 0.31]
        assert count_unsure(con, "corruption") == (2, 1)  # all, and of them Kazakh
        assert _keys(select_unsure(con, "corruption", lang="kk")) == [("tg-city", "610")]
        assert _keys(select_unsure(con, "corruption", floor=0.1)) == [
            ("tg-news", "90"),
            ("tg-city", "610"),
            ("tg-city", "612"),
            ("city-portal", "a-100"),
        ]
        assert _keys(select_unsure(con, "corruption", sources=["tg-city"])) == [
            ("tg-city", "611"),
            ("tg-city", "610"),
        ]
        # infrastructure: the fixture's unflagged Kazakh comment at 0.35
        assert _keys(select_unsure(con, "infrastructure")) == [("city-portal", "a-100-c2")]
        with pytest.raises(InputError, match="unknown label 'bribes'"):
            select_unsure(con, "bribes")
        with pytest.raises(InputError, match=r"outside 0\.\.1"):
            count_unsure(con, "corruption", floor=1.5)


def test_an_answered_item_leaves_the_list_and_keeps_the_score_it_had(close_calls: Path) -> None:
    record_label_decision(close_calls, "tg-city", "610", label="corruption", value=True, reviewer="aigerim")
    record_label_decision(
        close_calls, "tg-news", "90", label="infrastructure", value=False, reviewer="aigerim"
    )
    with reader(close_calls) as con:
        assert _keys(select_unsure(con, "corruption")) == [
            ("tg-news", "90")
        ]  # judged for the other label only
        stored = con.execute(
            "SELECT external_id, label, value, score, model_version, reviewer FROM label_decisions ORDER BY 1"
        ).fetchall()
    assert stored == [
        ("610", "corruption", True, 0.31, "test-2", "aigerim"),
        ("90", "infrastructure", False, 0.88, "test-2", "aigerim"),
    ]
    with pytest.raises(InputError, match="no item 'nope' in source 'tg-city'"):
        record_label_decision(close_calls, "tg-city", "nope", label="corruption", value=True, reviewer="a")
    with pytest.raises(InputError, match="unknown label"):
        record_label_decision(close_calls, "tg-city", "610", label="roads", value=True, reviewer="a")


def test_answers_become_training_labels_and_the_later_decision_wins(close_calls: Path, now: datetime) -> None:
    at = [now + timedelta(minutes=m) for m in range(5)]
    record_label_decision(
        close_calls, "tg-city", "610", label="corruption", value=True, reviewer="a", now=at[0]
    )
    record_label_decision(
        close_calls, "tg-city", "610", label="corruption", value=False, reviewer="b", now=at[1]
    )
    record_label_decision(
        close_calls, "tg-city", "610", label="corruption", value=True, reviewer="c", now=at[2]
    )
    # a-100-c1 is flagged with both labels: confirmed, then a later "no" on infrastructure
    record_decision(close_calls, "city-portal", "a-100-c1", status="confirmed", reviewer="a", now=at[0])
    record_label_decision(
        close_calls, "city-portal", "a-100-c1", label="infrastructure", value=False, reviewer="b", now=at[1]
    )
    # fb-7 (flagged corruption): a "no" first, then the whole item confirmed, which wins for that label
    record_label_decision(
        close_calls, "dept-facebook", "fb-7", label="corruption", value=False, reviewer="a", now=at[0]
    )
    record_label_decision(
        close_calls, "dept-facebook", "fb-7", label="infrastructure", value=True, reviewer="a", now=at[0]
    )
    record_decision(close_calls, "dept-facebook", "fb-7", status="confirmed", reviewer="b", now=at[3])
    rows = {r["id"]: r for r in decision_rows(close_calls)}
    assert set(rows) == {"review:tg-city:610", "review:city-portal:a-100-c1", "review:dept-facebook:fb-7"}
    assert rows["review:tg-city:610"]["labels"] == {"corruption": 1, "infrastructure": None}
    assert rows["review:tg-city:610"]["reviewer"] == "c"
    assert rows["review:tg-city:610"]["review_status"] == "new"
    assert rows["review:tg-city:610"]["lang"] == "kk"
    assert rows["review:city-portal:a-100-c1"]["labels"] == {"corruption": 1, "infrastructure": 0}
    assert rows["review:dept-facebook:fb-7"]["labels"] == {"corruption": 1, "infrastructure": 1}
    assert rows["review:dept-facebook:fb-7"]["review_status"] == "confirmed"
    assert rows["review:dept-facebook:fb-7"]["decided_at"] == at[3].isoformat(timespec="seconds")


@pytest.fixture
def logged_in(close_calls: Path, password: str) -> FlaskClient:
    client = create_app(close_calls, secret_key="test-secret-" + "y" * 32, testing=True).test_client()
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": "aigerim", "password": password, "csrf_token": token})
    assert resp.status_code == 302
    return client


def _answers(db: Path) -> list[tuple]:
    with reader(db) as con:
        return con.execute(
            "SELECT source, external_id, label, value, reviewer FROM label_decisions ORDER BY decision_id"
        ).fetchall()


def test_the_page_lists_close_calls_and_takes_answers(logged_in: FlaskClient, close_calls: Path) -> None:
    page = logged_in.get("/second-look?label=corruption").get_data(as_text=True)
    assert '<span id="total">2</span>' in page
    assert re.search(
        r'id="kazakh-only" href="/second-look\?label=corruption&amp;lang=kk&amp;floor=0.2">1 of them in Kazakh',
        page,
    )
    assert re.findall(r'name="id" value="([^"]+)"', page) == ["90", "610"]
    assert "0.47" in page and "0.31" in page
    token = TOKEN_RE.search(page).group(1)
    back = "/second-look?label=corruption&floor=0.2&page=1"
    answer = {"csrf_token": token, "source": "tg-city", "id": "610", "label": "corruption", "next": back}
    resp = logged_in.post("/judge", data={**answer, "answer": "yes"})
    assert resp.status_code == 302 and resp.headers["Location"] == back
    page = logged_in.get(back).get_data(as_text=True)
    assert "Saved: tg-city 610 reports corruption." in page
    assert '<span id="total">1</span>' in page
    assert _answers(close_calls) == [("tg-city", "610", "corruption", True, "aigerim")]
    answered = page.split('id="answered"')[1]  # found again below the list, to change the answer
    assert (
        'href="/item?source=tg-city&amp;id=610" lang="kk">текст 610</a>' in answered
        and ">yes</td>" in answered
    )
    # bad answers: no token, an unknown answer, an unknown label, a way off the site
    assert logged_in.post("/judge", data={**answer, "csrf_token": "", "answer": "no"}).status_code == 400
    assert logged_in.post("/judge", data={**answer, "answer": "maybe"}).status_code == 400
    resp = logged_in.post("/judge", data={**answer, "label": "roads", "answer": "no"})
    assert "Not saved: unknown label" in logged_in.get(resp.headers["Location"]).get_data(as_text=True)
    resp = logged_in.post("/judge", data={**answer, "answer": "no", "next": "//evil.example/x"})
    assert resp.headers["Location"] == "/"
    assert _answers(close_calls)[-1] == ("tg-city", "610", "corruption", False, "aigerim")
    assert logged_in.get("/second-look?label=roads").status_code == 400
    assert logged_in.get("/second-look?floor=lots").status_code == 400
    kazakh = logged_in.get("/second-look?label=infrastructure&lang=kk").get_data(as_text=True)
    assert "Біздің аулада да сол жағдай, жол жөнделген жоқ." in kazakh


def test_the_item_page_asks_each_label(logged_in: FlaskClient, close_calls: Path) -> None:
    page = logged_in.get("/item?source=city-portal&id=a-100-c2").get_data(as_text=True)
    assert "Item (not flagged)" in page
    assert "infrastructure 0.35" in page
    assert page.count('action="/judge"') == 2
    token = TOKEN_RE.search(page).group(1)
    here = "/item?source=city-portal&id=a-100-c2"
    resp = logged_in.post(
        "/judge",
        data={
            "csrf_token": token,
            "source": "city-portal",
            "id": "a-100-c2",
            "label": "infrastructure",
            "answer": "yes",
        },
    )
    assert resp.headers["Location"] == here  # no next: back to the item
    page = logged_in.get(here).get_data(as_text=True)
    assert re.search(r'id="judge-infrastructure".*?yes, aigerim \d{4}-', page, re.S)
    assert re.search(r'id="judge-corruption".*?not judged', page, re.S)


def test_the_second_look_needs_a_login(close_calls: Path) -> None:
    client = create_app(close_calls, secret_key="test-secret-" + "z" * 32, testing=True).test_client()
    resp = client.get("/second-look")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    data = {"csrf_token": token, "source": "tg-city", "id": "610", "label": "corruption", "answer": "yes"}
    resp = client.post("/judge", data=data)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert _answers(close_calls) == []


def test_a_yes_puts_the_item_among_the_flagged_ones(logged_in: FlaskClient, close_calls: Path) -> None:
    listing = logged_in.get("/", query_string={"label": "infrastructure"}).get_data(as_text=True)
    assert '<span id="total">6</span>' in listing and "id=a-100-c2" not in listing
    record_label_decision(
        close_calls, "city-portal", "a-100-c2", label="infrastructure", value=True, reviewer="a"
    )
    record_label_decision(close_calls, "tg-city", "612", label="corruption", value=False, reviewer="a")
    listing = logged_in.get("/", query_string={"label": "infrastructure"}).get_data(as_text=True)
    assert '<span id="total">7</span>' in listing and "id=a-100-c2" in listing
    assert "infrastructure by a reviewer" in listing
    with reader(close_calls) as con:
        assert con.execute(
            "SELECT labels, reviewer_labels, review_status FROM flagged WHERE external_id = 'a-100-c2'"
        ).fetchall() == [(["infrastructure"], ["infrastructure"], "new")]
        assert con.execute("SELECT count(*) FROM flagged WHERE external_id = '612'").fetchall() == [(0,)]


def test_the_status_line_counts_answers_and_what_waits(close_calls: Path) -> None:
    from review.second_look import review_summary

    record_decision(close_calls, "dept-facebook", "fb-7", status="confirmed", reviewer="a")
    record_label_decision(close_calls, "tg-city", "610", label="corruption", value=True, reviewer="a")
    record_label_decision(close_calls, "tg-city", "612", label="corruption", value=False, reviewer="a")
    with reader(close_calls) as con:
        assert review_summary(con) == (
            "reviewers: 1 item decided, 2 labels answered (1 yes); waiting for a second look: "
            "corruption 1 (Kazakh 0), infrastructure 1 (Kazakh 1)"
        )
    with duckdb.connect(":memory:") as con:  # a file from before migration 0005, opened read-only
        assert "predates the second look" in review_summary(con)


def test_exports_name_the_labels_a_reviewer_added(close_calls: Path) -> None:
    from review.export import load_records, read_export
    from review.queries import Filters

    record_label_decision(
        close_calls, "city-portal", "a-100-c2", label="infrastructure", value=True, reviewer="a"
    )
    record_label_decision(close_calls, "tg-city", "611", label="corruption", value=True, reviewer="a")
    wanted = {"a-100-c2": ["infrastructure"], "611": ["corruption"], "a-100": []}
    with reader(close_calls) as con:
        cells = read_export(con, Filters(), "csv", collapse=False)
        table = read_export(con, Filters(), "parquet", collapse=False)
        records = read_export(con, Filters(), "json", collapse=False)
    by_id = dict(zip(cells.columns["external_id"], cells.columns["added_by_reviewer"], strict=True))
    assert {k: by_id[k] for k in wanted} == {k: ", ".join(v) for k, v in wanted.items()}
    by_id = dict(
        zip(
            table.column("external_id").to_pylist(),
            table.column("added_by_reviewer").to_pylist(),
            strict=True,
        )
    )
    assert {k: by_id[k] for k in wanted} == wanted
    assert {r["external_id"]: r["added_by_reviewer"] for r in records if r["external_id"] in wanted} == wanted
    slow = {
        r["external_id"]: r["added_by_reviewer"] for r in load_records(close_calls, Filters(), collapse=False)
    }
    assert {k: slow[k] for k in wanted} == wanted  # the record path agrees with the store's
    row = next(r for r in records if r["external_id"] == "611")
    assert row["labels"] == ["corruption", "infrastructure"]


def test_a_decision_outlives_the_model_that_flagged_the_item(close_calls: Path, now: datetime) -> None:
    record_decision(close_calls, "tg-news", "90", status="rejected", reviewer="a")
    record_decision(
        close_calls, "tg-city", "611", status="forwarded", reviewer="a", forwarded_to="прокуратура"
    )
    # The next model flags neither, and puts both just under the infrastructure flag.
    with writer(close_calls) as con:
        keys = con.execute(
            "SELECT source, external_id, content_hash FROM items WHERE external_id IN ('90', '611') ORDER BY 2"
        ).fetchall()
        unflagged = {"lang": "ru", "scores": {"corruption": 0.1, "infrastructure": 0.5}, "labels": []}
        classifications.save(con, keys, [unflagged, unflagged], model_version="test-3", now=now)
    with reader(close_calls) as con:
        # Decided while flagged for infrastructure: not asked again.
        assert not {("tg-news", "90"), ("tg-city", "611")} & set(_keys(select_unsure(con, "infrastructure")))
        # The forwarded item stays on the list with the label it was forwarded with, as a reviewer's;
        # the rejected one leaves it.
        rows = con.execute(
            "SELECT external_id, labels, reviewer_labels, review_status, forwarded_to FROM flagged "
            "WHERE external_id IN ('90', '611')"
        ).fetchall()
    assert rows == [("611", ["infrastructure"], ["infrastructure"], "forwarded", "прокуратура")]


def test_an_unknown_language_is_refused_not_shown_as_an_empty_list(logged_in: FlaskClient) -> None:
    # "kz" for "kk" would otherwise read as "nothing waits for a second look in Kazakh".
    resp = logged_in.get("/second-look?label=infrastructure&lang=kz")
    assert resp.status_code == 400
    assert "Unknown language; use one of ru, kk, mixed, other." in resp.get_data(as_text=True)
    assert logged_in.get("/second-look?label=infrastructure&lang=").status_code == 200
