"""The flagged view as migration 0007 defines it gives exactly the rows and columns of its 0006 definition."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from store import db as store_db
from store import migrations
from store.db import reader, writer
from store.migrations import MIGRATIONS, REVIEW_STATUSES, apply_migrations, flagged_definition

OLD = "0006_judged_content"
LABELS = ["corruption", "infrastructure"]
KEYS = [("a", "1"), ("a", "2"), ("a", "3"), ("b", "1"), ("b", "2")]
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

# One key's records: an item or none, scores or none (labels unsorted or repeated too), review
# decisions and second-look answers, each at one of a few times (equal times: the later id counts).
_REVIEW = st.tuples(
    st.sampled_from(REVIEW_STATUSES),
    st.none() | st.lists(st.sampled_from(LABELS), max_size=2),
    st.integers(0, 3),
)
_ANSWER = st.tuples(st.sampled_from(LABELS), st.booleans(), st.integers(0, 3))
_KEY = st.fixed_dictionaries(
    {
        "item": st.sampled_from([True, True, True, False]),
        "labels": st.none() | st.lists(st.sampled_from(LABELS), max_size=3),
        "reviews": st.lists(_REVIEW, max_size=3),
        "answers": st.lists(_ANSWER, max_size=4),
    }
)
STORES = st.lists(_KEY, min_size=len(KEYS), max_size=len(KEYS))


def key_records(
    item: bool = True,
    labels: list[str] | None = None,
    reviews: list[tuple[str, list[str] | None, int]] | None = None,
    answers: list[tuple[str, bool, int]] | None = None,
) -> dict[str, Any]:
    return {"item": item, "labels": labels, "reviews": reviews or [], "answers": answers or []}


def fill(con: duckdb.DuckDBPyConnection, store: list[dict[str, Any]]) -> None:
    """Replace the store's items, scores, reviews and answers with ``store`` (one entry per KEYS key)."""
    for table in ("items", "classifications", "reviews", "label_decisions"):
        con.execute(f"DELETE FROM {table}")
    for (source, ext), records in zip(KEYS, store, strict=True):
        if records["item"]:
            con.execute(
                """INSERT INTO items (source, external_id, kind, text, published_at, collected_at, updated_at,
                                      content_hash) VALUES (?, ?, 'post', ?, ?, ?, ?, 'h')""",
                [source, ext, f"текст {source}{ext}", T0, T0, T0],
            )
        if records["labels"] is not None:
            con.execute(
                """INSERT INTO classifications VALUES (?, ?, 'm1', 'h', 'ru', 0.4, 0.6, ?::VARCHAR[], '{}', ?)""",
                [source, ext, records["labels"], T0],
            )
        for status, labels, hours in records["reviews"]:
            con.execute(
                """INSERT INTO reviews (source, external_id, status, forwarded_to, reviewer, note, created_at,
                                        labels, model_version, content_hash)
                   VALUES (?, ?, ?, ?, 'r1', 'n', ?, ?::VARCHAR[], 'm1', 'h')""",
                [
                    source,
                    ext,
                    status,
                    "x" if status == "forwarded" else None,
                    T0 + timedelta(hours=hours),
                    labels,
                ],
            )
        for label, value, hours in records["answers"]:
            con.execute(
                """INSERT INTO label_decisions (source, external_id, label, value, score, model_version, reviewer,
                                                created_at, content_hash)
                   VALUES (?, ?, ?, ?, 0.3, 'm1', 'r2', ?, 'h')""",
                [source, ext, label, value, T0 + timedelta(hours=hours)],
            )


def rows_of(con: duckdb.DuckDBPyConnection, select: str) -> list[tuple[Any, ...]]:
    return con.execute(f"SELECT * FROM ({select}) ORDER BY source, external_id").fetchall()


def columns_of(con: duckdb.DuckDBPyConnection, select: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM ({select})").fetchall()]


def defined_as(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the store's flagged view is the one migration ``name`` defines (as DuckDB keeps it)."""

    def kept(view: str) -> str:
        sql = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [view]).fetchone()[0]
        return sql.split(" AS ", 1)[1]

    con.execute(f"CREATE TEMP VIEW defined_as AS {flagged_definition(name)}")
    try:
        return kept("flagged") == kept("defined_as")
    finally:
        con.execute("DROP VIEW defined_as")


@pytest.fixture(scope="module")
def store_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(tmp_path_factory.mktemp("flagged") / "v.duckdb"))
    apply_migrations(con)
    yield con
    con.close()


@pytest.fixture
def con(store_con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """The migrated store, each test's writes rolled back after it."""
    store_con.execute("BEGIN TRANSACTION")
    yield store_con
    store_con.execute("ROLLBACK")


def test_the_view_in_the_store_is_the_latest_definition(con: duckdb.DuckDBPyConnection) -> None:
    assert MIGRATIONS[-1][0] != OLD
    assert defined_as(con, MIGRATIONS[-1][0])
    assert not defined_as(con, OLD)
    assert columns_of(con, "SELECT * FROM flagged") == columns_of(con, flagged_definition(OLD))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(store=STORES)
# a yes superseded by a no; a no superseded by a yes at the same time (the later id counts)
@example(
    store=[
        key_records(labels=[], answers=[("corruption", True, 0), ("corruption", False, 1)]),
        key_records(labels=[], answers=[("infrastructure", False, 2), ("infrastructure", True, 2)]),
        key_records(item=False, labels=["corruption"]),
        key_records(labels=None, answers=[("corruption", True, 0)]),
        key_records(labels=["infrastructure", "corruption", "corruption"]),
    ]
)
# confirmed then reopened; confirmed labels the model no longer gives; confirmed with none; forwarded
@example(
    store=[
        key_records(labels=[], reviews=[("confirmed", ["corruption"], 0), ("new", ["corruption"], 1)]),
        key_records(labels=[], reviews=[("confirmed", ["infrastructure"], 1)]),
        key_records(labels=[], reviews=[("confirmed", [], 0)], answers=[("corruption", False, 0)]),
        key_records(
            labels=["corruption"], reviews=[("forwarded", None, 0), ("confirmed", ["corruption"], 0)]
        ),
        key_records(
            labels=["infrastructure"],
            reviews=[("rejected", ["infrastructure"], 3)],
            answers=[("corruption", True, 1), ("infrastructure", True, 0)],
        ),
    ]
)
def test_the_view_gives_the_rows_of_its_0006_definition(
    store_con: duckdb.DuckDBPyConnection, store: list[dict[str, Any]]
) -> None:
    store_con.execute("BEGIN TRANSACTION")  # one commit per row made the test slow; nothing is kept
    try:
        fill(store_con, store)
        assert rows_of(store_con, "SELECT * FROM flagged") == rows_of(store_con, flagged_definition(OLD))
    finally:
        store_con.execute("ROLLBACK")


def test_what_reviewers_said_decides_the_flags(con: duckdb.DuckDBPyConnection) -> None:
    fill(
        con,
        [
            # a yes on the second look, then a no: not flagged any more
            key_records(labels=[], answers=[("corruption", True, 0), ("corruption", False, 1)]),
            # a no, then a yes at the same time: the later answer counts
            key_records(labels=[], answers=[("infrastructure", False, 2), ("infrastructure", True, 2)]),
            # confirmed, then reopened: the confirmed label is not kept
            key_records(labels=[], reviews=[("confirmed", ["corruption"], 0), ("new", ["corruption"], 1)]),
            # confirmed with a label the model no longer gives: still flagged, by the reviewer
            key_records(labels=[], reviews=[("confirmed", ["infrastructure"], 1)]),
            # never scored: not in the view, whatever a reviewer said
            key_records(labels=None, answers=[("corruption", True, 0)]),
        ],
    )
    rows = con.execute(
        "SELECT source, external_id, labels, reviewer_labels, review_status FROM flagged ORDER BY 1, 2"
    ).fetchall()
    assert rows == [
        ("a", "2", ["infrastructure"], ["infrastructure"], "new"),
        ("b", "1", ["infrastructure"], ["infrastructure"], "confirmed"),
    ]
    assert rows_of(con, "SELECT * FROM flagged") == rows_of(con, flagged_definition(OLD))


def test_a_file_made_up_to_0006_is_upgraded_with_the_same_rows(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "old.duckdb"
    upto = [name for name, _ in MIGRATIONS].index(OLD) + 1
    assert upto < len(MIGRATIONS)  # a later definition of the view to upgrade to
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:upto])  # the schema as shipped with 0006
    with writer(db) as con:
        fill(
            con,
            [
                key_records(labels=["corruption"], reviews=[("rejected", ["corruption"], 0)]),
                key_records(labels=[], answers=[("infrastructure", True, 0)]),
                key_records(labels=[], reviews=[("forwarded", ["corruption"], 0)]),
                key_records(labels=[], answers=[("corruption", True, 0), ("corruption", False, 1)]),
                key_records(labels=["infrastructure", "corruption"]),
            ],
        )
        assert defined_as(con, OLD)
        before = rows_of(con, "SELECT * FROM flagged")
        assert con.execute("SELECT max(name) FROM schema_migrations").fetchone()[0] == OLD
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    monkeypatch.setattr(store_db, "_migrated", set())  # a new process after the upgrade
    monkeypatch.setattr(store_db, "_checked", set())
    # Its first read (the review page, an analyst) applies what is missing before reading.
    with reader(db) as con:
        assert rows_of(con, "SELECT * FROM flagged") == before
    with writer(db) as con:
        assert con.execute("SELECT max(name) FROM schema_migrations").fetchone()[0] == MIGRATIONS[-1][0]
        assert defined_as(con, MIGRATIONS[-1][0])
        assert [r[:2] for r in before] == [("a", "1"), ("a", "2"), ("a", "3"), ("b", "2")]
        assert rows_of(con, "SELECT * FROM flagged") == before
