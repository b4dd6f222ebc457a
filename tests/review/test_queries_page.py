"""The list's page (review.queries.select_page, keys first, then their rows) gives exactly the rows, in
the order, of the one read it replaced: every column of the matching items, sorted, then cut to the page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review import queries
from review.queries import Filters, row_dicts, select_page
from store.migrations import REVIEW_STATUSES, apply_migrations

LABELS = ["corruption", "infrastructure"]
SOURCES = ["a", "b", "c"]
T0 = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)  # 23:30 in Almaty: a day's edge is near
TEXTS = ["ямы на улице Абая", "Әкімдік пара сұрады", "жол бұзылған", "праздник в парке", None]

# The page as it was read before: every column of every matching item, sorted, then cut (the oracle).
ONE_READ = """
WITH page AS (
    SELECT f.*, coalesce(f.published_at, f.collected_at) AS ts
    FROM flagged f
    WHERE {where}
    ORDER BY ts DESC, f.source, f.external_id
    LIMIT ? OFFSET ?
), sizes AS (
    SELECT cluster_id, count(*) AS n FROM items
    WHERE cluster_id IN (SELECT cluster_id FROM page WHERE cluster_id IS NOT NULL)
    GROUP BY cluster_id
)
SELECT page.*, coalesce(sizes.n, 1) AS cluster_size
FROM page LEFT JOIN sizes USING (cluster_id)
ORDER BY page.ts DESC, page.source, page.external_id
"""

# Times from a few hours: equal times are common, so the order's ties (source, external_id) and a
# page's edge falling among equal times are tried; None: an undated item (collected_at counts).
_HOURS = st.none() | st.integers(-30, 2)
_ITEM = st.fixed_dictionaries(
    {
        "published": _HOURS,
        "collected": st.integers(-30, 2),
        "text": st.sampled_from(TEXTS),
        "cluster": st.none() | st.integers(0, 2),
        "labels": st.none() | st.lists(st.sampled_from(LABELS), max_size=2, unique=True),
        "scores": st.tuples(st.floats(0, 1), st.floats(0, 1)),
        "reviews": st.lists(st.sampled_from(REVIEW_STATUSES), max_size=2),
        "lang": st.sampled_from(["ru", "kk", None]),
    }
)
STORES = st.lists(_ITEM, min_size=0, max_size=24)
_DAYS = st.none() | st.dates(date(2026, 11, 19), date(2026, 11, 22))
FILTERS = st.builds(
    Filters,
    label=st.none() | st.sampled_from(LABELS),
    min_score=st.none() | st.sampled_from([0.0, 0.3, 0.7]),
    since=_DAYS,
    until=_DAYS,
    sources=st.lists(st.sampled_from(SOURCES), max_size=2, unique=True),
    lang=st.none() | st.sampled_from(["ru", "kk"]),
    status=st.none() | st.sampled_from(REVIEW_STATUSES),
    query=st.none() | st.sampled_from(["абая", "Para", "jol", "нет такого"]),
)


def fill(con: duckdb.DuckDBPyConnection, store: list[dict[str, Any]]) -> None:
    """Items, scores and reviews for ``store``: item n is source SOURCES[n % 3], external id ``n``."""
    for table in ("items", "classifications", "reviews", "label_decisions"):
        con.execute(f"DELETE FROM {table}")
    for n, item in enumerate(store):
        source, ext = SOURCES[n % len(SOURCES)], str(n)
        published = None if item["published"] is None else T0 + timedelta(hours=item["published"])
        con.execute(
            """INSERT INTO items (source, external_id, kind, url, author, title, text, published_at,
                                  collected_at, updated_at, content_hash, cluster_id, lang)
               VALUES (?, ?, 'post', ?, ?, ?, ?, ?, ?, ?, 'h', ?, ?)""",
            [
                source,
                ext,
                f"https://example.kz/{n}",
                f"автор {n}",
                f"заголовок {n}",
                item["text"],
                published,
                T0 + timedelta(hours=item["collected"]),
                T0,
                None if item["cluster"] is None else f"cluster-{item['cluster']}",
                item["lang"],
            ],
        )
        if item["labels"] is not None:
            con.execute(
                "INSERT INTO classifications VALUES (?, ?, 'm1', 'h', ?, ?, ?, ?::VARCHAR[], ?, ?)",
                [source, ext, item["lang"], *item["scores"], item["labels"], '{"corruption": ["пара"]}', T0],
            )
        for k, status in enumerate(item["reviews"]):
            con.execute(
                """INSERT INTO reviews (source, external_id, status, forwarded_to, reviewer, note, created_at,
                                        labels, model_version, content_hash)
                   VALUES (?, ?, ?, ?, 'r1', ?, ?, ?::VARCHAR[], 'm1', 'h')""",
                [
                    source,
                    ext,
                    status,
                    "прокуратура" if status == "forwarded" else None,
                    f"заметка {k}",
                    T0 + timedelta(minutes=k),
                    item["labels"] or ["infrastructure"],
                ],
            )


def one_read(
    con: duckdb.DuckDBPyConnection, filters: Filters, limit: int, offset: int
) -> list[dict[str, Any]]:
    where, params = queries._where(filters)
    return row_dicts(con.execute(ONE_READ.format(where=where), [*params, limit, offset]))


@pytest.fixture(scope="module")
def store_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(tmp_path_factory.mktemp("page") / "p.duckdb"))
    apply_migrations(con)
    yield con
    con.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    store=STORES,
    filters=FILTERS,
    limit=st.integers(1, 6),
    offset=st.integers(0, 26),
)
def test_the_page_is_the_rows_of_the_one_read(
    store_con: duckdb.DuckDBPyConnection,
    store: list[dict[str, Any]],
    filters: Filters,
    limit: int,
    offset: int,
) -> None:
    store_con.execute("BEGIN TRANSACTION")  # nothing is kept between examples
    try:
        fill(store_con, store)
        expected = one_read(store_con, filters, limit, offset)
        got = select_page(store_con, filters, limit=limit, offset=offset)
        assert got == expected
        assert list(got[0]) == list(expected[0]) if expected else got == []  # the columns, in order
    finally:
        store_con.execute("ROLLBACK")


def test_every_page_of_a_list_of_equal_times_holds_each_item_once(
    store_con: duckdb.DuckDBPyConnection,
) -> None:
    # 20 items at one time, some undated with that time as collected: pages cut among equal times.
    store = [
        {
            "published": None if n % 4 == 0 else 0,
            "collected": 0,
            "text": TEXTS[n % 4],
            "cluster": n % 3 if n % 2 else None,
            "labels": ["corruption"],
            "scores": (0.9, 0.1),
            "reviews": ["confirmed"] if n % 5 == 0 else [],
            "lang": "ru",
        }
        for n in range(20)
    ]
    store_con.execute("BEGIN TRANSACTION")
    try:
        fill(store_con, store)
        pages = [select_page(store_con, Filters(), limit=3, offset=o) for o in range(0, 21, 3)]
        keys = [(row["source"], row["external_id"]) for page in pages for row in page]
        assert keys == sorted(keys) and len(keys) == len(set(keys)) == 20
        assert pages == [one_read(store_con, Filters(), 3, o) for o in range(0, 21, 3)]
        assert {row["cluster_size"] for page in pages for row in page} == {1, 4, 3}
        assert all(row["text"] == TEXTS[int(row["external_id"]) % 4] for page in pages for row in page)
    finally:
        store_con.execute("ROLLBACK")
