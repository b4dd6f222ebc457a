"""Export cells: the SQL road (the export command) gives exactly what the Python road gives from records."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from review.cells import cells_from_records, select_cells
from review.export import load_records
from review.queries import Filters
from store.db import reader, writer

LONG_ARTICLE = "Жол жөндеу жұмыстары сапасыз жүргізілді, асфальт бір айда бұзылды. " * 25

# (source, external_id, kind, parent, url, author, title, text, time (UTC), cluster, evidence JSON, scores)
ITEMS: list[tuple[Any, ...]] = [
    (
        "city-portal",
        "a-1",
        "article",
        None,
        "https://portal.example.kz/news/1",
        "Редакция",
        "Ремонт дорог на Абая",
        LONG_ARTICLE,
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        None,
        None,
        None,
    ),
    (
        "city-portal",
        "a-2",
        "article",
        None,
        "https://portal.example.kz/news/2",
        None,
        "Одинаковый заголовок",
        "Одинаковый заголовок",
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        None,
        None,
        None,
    ),
    (
        "city-portal",
        "a-3",
        "article",
        None,
        None,
        None,
        None,
        "",
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        None,
        None,
        None,
    ),
    (
        "city-portal",
        "a-4",
        "article",
        None,
        "https://portal.example.kz/news/4",
        None,
        "",
        "Только текст статьи",
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        None,
        None,
        None,
    ),
    # A cluster of three: the newest stands for it; a shared link is named once; an empty link never.
    (
        "city-portal",
        "c-1",
        "comment",
        "a-1",
        "https://portal.example.kz/news/1#c1",
        "Нурлан К.",
        None,
        "Кто принял этот ремонт? Откат очевиден.",
        datetime(2026, 3, 10, 10, 0, 0, 654321, tzinfo=UTC),
        "k1",
        '{"corruption": ["откат", " кто принял "], "infrastructure": ["ремонт"]}',
        (0.91, 0.71),
    ),
    (
        "city-portal",
        "c-2",
        "comment",
        "a-2",
        "https://t.example/city/9",
        "Айгүл",
        None,
        "Откат за ремонт, все знают.",
        datetime(2026, 3, 9, 10, 0, tzinfo=UTC),
        "k1",
        '{"corruption": [{"term": "откат"}, {"text": "все знают"}, 5, null, ""], "infrastructure": "ремонт"}',
        (0.8, 0.6),
    ),
    (
        "tg-city",
        "tg-1",
        "post",
        None,
        "https://t.example/city/9",
        "Городской канал",
        None,
        "Откат за ремонт дорог, говорят жители.",
        datetime(2026, 3, 11, 10, 0, tzinfo=UTC),
        "k1",
        '{"corruption": ["откат"]}',
        (0.85, 0.2),
    ),
    (
        "tg-city",
        "tg-2",
        "post",
        None,
        None,
        "Городской канал",
        None,
        "Откат за ремонт дорог — повтор.",
        datetime(2026, 3, 8, 10, 0, tzinfo=UTC),
        "k1",
        '{"corruption": ["откат"]}',
        (0.83, 0.2),
    ),
    # Times in each of the offsets Asia/Almaty has had: summer time, +06:00, the 2024 change, LMT.
    (
        "city-portal",
        "c-3",
        "comment",
        "a-3",
        "https://portal.example.kz/news/3#c3",
        None,
        None,
        "Взятка за справку в 1995 году",
        datetime(1995, 7, 1, 0, 0, tzinfo=UTC),
        None,
        "[1, 2]",
        (0.7, None),
    ),
    (
        "city-portal",
        "c-4",
        "comment",
        "a-4",
        "https://portal.example.kz/news/4#c4",
        "-минус",
        "@заголовок",
        "=SUM(A1) пара сұрады",
        datetime(2023, 6, 1, 12, 0, tzinfo=UTC),
        None,
        None,
        (0.75, 0.1),
    ),
    (
        "dept-whatsapp",
        "wa-1",
        "message",
        "a-404",
        None,
        None,
        None,
        "Шұңқыр, жол жоқ\r\nаялдамада",
        datetime(2024, 2, 29, 17, 30, tzinfo=UTC),
        None,
        '"строка"',
        (0.1, 0.9),
    ),
    (
        "dept-whatsapp",
        "wa-2",
        "message",
        None,
        None,
        None,
        None,
        "Ямы\tвокруг люков",
        datetime(2024, 2, 29, 18, 30, tzinfo=UTC),
        None,
        '{"x": 5, "infrastructure": ["  "], "=f": ["=1"]}',
        (0.1, 0.95),
    ),
    (
        "dept-whatsapp",
        "wa-3",
        "message",
        None,
        "portal.kz/x",
        None,
        None,
        "Старая жалоба",
        datetime(1900, 7, 1, 0, 0, tzinfo=UTC),
        "k2",
        '{"infrastructure": ["жалоба"]}',
        (None, 0.9),
    ),
    (
        "dept-whatsapp",
        "wa-4",
        "message",
        None,
        "https://wa.example/4",
        None,
        None,
        "Старая жалоба, копия",
        datetime(1900, 6, 1, 0, 0, tzinfo=UTC),
        "k2",
        '{"infrastructure": ["жалоба"]}',
        (None, 0.9),
    ),
]
REVIEWS = [
    ("city-portal", "c-1", "confirmed", None, "aigerim", "=в прокуратуру", datetime(2026, 3, 12, 5, 0, 0, 1, tzinfo=UTC)),
    ("city-portal", "c-1", "forwarded", "прокуратура", "dana", None, datetime(2026, 3, 13, 5, 0, tzinfo=UTC)),
    ("city-portal", "c-4", "rejected", None, "aigerim", "не по теме", datetime(2023, 6, 2, 5, 0, tzinfo=UTC)),
]  # fmt: skip


@pytest.fixture
def odd_db(tmp_path: Path) -> Path:
    """A store with parents, clusters, odd evidence, reviews and times in every offset the zone had."""
    path = tmp_path / "odd.duckdb"
    with writer(path) as con:
        for source, ext, kind, parent, url, author, title, text, ts, cluster, evidence, scores in ITEMS:
            con.execute(
                """INSERT INTO items (source, external_id, kind, parent, url, author, title, published_at,
                   collected_at, updated_at, text, content_hash, cluster_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [source, ext, kind, parent, url, author, title, None if kind == "message" else ts, ts, ts,
                 text, f"h-{ext}", cluster],
            )  # fmt: skip
            if scores:
                labels = [
                    n for n, s in zip(("corruption", "infrastructure"), scores, strict=True) if s and s > 0.5
                ]
                con.execute(
                    "INSERT INTO classifications VALUES (?, ?, 'test-1', ?, 'ru', ?, ?, ?, ?::JSON, ?)",
                    [source, ext, f"h-{ext}", scores[0], scores[1], labels, evidence, ts],
                )
        for row in REVIEWS:
            con.execute(
                """INSERT INTO reviews (source, external_id, status, forwarded_to, reviewer, note, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                list(row),
            )
    return path


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(label="corruption", min_score=0.8),
        Filters(since=date(2026, 3, 9), until=date(2026, 3, 11)),
        Filters(status="forwarded"),
        Filters(query="откат"),
        Filters(sources=["dept-whatsapp"]),
    ],
    ids=["all", "label-score", "dates", "status", "search", "source"],
)
@pytest.mark.parametrize("collapse", [True, False], ids=["clusters", "every-item"])
def test_sql_cells_equal_python_cells(odd_db: Path, filters: Filters, collapse: bool) -> None:
    with reader(odd_db) as con:
        from_sql = select_cells(con, filters, collapse=collapse)
    from_records = cells_from_records(load_records(odd_db, filters, collapse=collapse))
    assert len(from_sql) > 0
    assert from_sql.columns == from_records.columns
    assert from_sql.local_seconds == from_records.local_seconds


def test_review_fixture_cells_equal(review_db: Path) -> None:
    with reader(review_db) as con:
        from_sql = select_cells(con, Filters())
    assert from_sql.columns == cells_from_records(load_records(review_db, Filters())).columns
    assert len(from_sql) == 7


def _by_id(db: Path, **kwargs: Any) -> dict[str, dict[str, Any]]:
    with reader(db) as con:
        cells = select_cells(con, Filters(), **kwargs)
    rows = [
        dict(zip(cells.columns, values, strict=True)) for values in zip(*cells.columns.values(), strict=True)
    ]
    return {r["external_id"]: r for r in rows}


def test_golden_cells(odd_db: Path) -> None:
    rows = _by_id(odd_db)
    assert list(rows) == ["tg-1", "wa-2", "wa-1", "c-4", "c-3", "wa-3"]  # newest first, one per cluster
    newest = rows["tg-1"]
    assert newest["cluster_size"] == 4
    # The other members' links, newest first, each once; the member without a link adds none.
    assert newest["duplicate_links"] == "https://portal.example.kz/news/1#c1"
    assert newest["time"] == "2026-03-11T15:00:00+05:00"
    assert newest["evidence"] == "corruption: откат"
    assert rows["c-3"]["time"] == "1995-07-01T07:00:00+07:00"  # summer time of the 1990s
    assert rows["c-4"]["time"] == "2023-06-01T18:00:00+06:00"
    assert rows["wa-1"]["time"] == "2024-02-29T23:30:00+06:00"  # half an hour before the 2024 change
    assert rows["wa-2"]["time"] == "2024-02-29T23:30:00+05:00"  # half an hour after it
    assert rows["wa-3"]["time"] == "1900-07-01T05:07:48+05:07:48"  # local mean time
    assert rows["wa-3"]["duplicate_links"] == "https://wa.example/4"
    assert rows["c-4"]["status"] == "rejected"
    assert rows["c-4"]["note"] == "не по теме"
    assert rows["c-4"]["parent_text"] == "Только текст статьи"
    assert rows["c-3"]["parent_text"] is None  # the parent has neither title nor text
    assert rows["c-3"]["evidence"] == ""
    assert rows["c-3"]["infrastructure"] is None
    assert rows["wa-1"]["parent_text"] is None and rows["wa-1"]["parent_link"] is None
    assert rows["wa-2"]["evidence"] == "=f: =1"
    assert rows["wa-2"]["labels"] == "infrastructure"


def test_golden_cells_every_item(odd_db: Path) -> None:
    rows = _by_id(odd_db, collapse=False)
    assert len(rows) == 10
    c1 = rows["c-1"]
    assert c1["cluster_size"] == 4
    assert c1["duplicate_links"] == "https://t.example/city/9"  # tg-1 and c-2 share it
    assert c1["status"] == "forwarded"
    assert c1["forwarded_to"] == "прокуратура"
    assert c1["reviewer"] == "dana"
    assert c1["reviewed_at"] == "2026-03-13T10:00:00+05:00"
    assert c1["time"] == "2026-03-10T15:00:00+05:00"  # seconds only
    assert c1["evidence"] == "corruption: откат, кто принял; infrastructure: ремонт"
    assert c1["labels"] == "corruption, infrastructure"
    assert c1["parent_link"] == "https://portal.example.kz/news/1"
    parent = c1["parent_text"]
    assert parent.startswith("Ремонт дорог на Абая\nЖол жөндеу")
    assert len(parent) == 1000 and parent.endswith("…")
    assert rows["c-2"]["parent_text"] == "Одинаковый заголовок"  # a title repeated as text: once
    # Terms given as objects count by their text; a bare string is one term; numbers and blanks none.
    assert rows["c-2"]["evidence"] == "corruption: откат, все знают; infrastructure: ремонт"
    # The first other link has no scheme: links are then comma-separated, as for any list.
    assert rows["wa-4"]["duplicate_links"] == "portal.kz/x"
    assert rows["wa-3"]["time"] == "1900-07-01T05:07:48+05:07:48"
    assert rows["wa-1"]["text"] == "Шұңқыр, жол жоқ\r\nаялдамада"
    with reader(odd_db) as con:
        cells = select_cells(con, Filters(), collapse=False)
    stamps = dict(zip(cells.columns["external_id"], cells.local_seconds["time"], strict=True))
    assert stamps["c-1"] == int(datetime(2026, 3, 10, 15, 0, tzinfo=UTC).timestamp())  # local wall clock


def test_no_rows(odd_db: Path) -> None:
    with reader(odd_db) as con:
        cells = select_cells(con, Filters(query="нет такого текста"))
    assert len(cells) == 0
    assert all(values == [] for values in cells.columns.values())
    assert json.dumps(cells.local_seconds) == '{"time": [], "reviewed_at": []}'


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (date(2024, 2, 29), date(2024, 2, 29), ["wa-2", "wa-1"]),  # no publication time: collected_at counts
        (date(2024, 3, 1), date(2026, 3, 10), ["c-1", "c-2", "tg-2"]),
        (date(2023, 6, 1), date(2023, 6, 1), ["c-4"]),
        (date(2026, 3, 12), None, []),
    ],
)
def test_date_range_counts_local_days(
    odd_db: Path, since: date, until: date | None, expected: list[str]
) -> None:
    with reader(odd_db) as con:
        cells = select_cells(con, Filters(since=since, until=until), collapse=False)
    assert cells.columns["external_id"] == expected


ROAD_FILTERS = pytest.mark.parametrize(
    "filters",
    [Filters(), Filters(label="infrastructure"), Filters(query="нет такого текста")],
    ids=["all", "label", "none"],
)


def _both_roads(db: Path, tmp_path: Path, filters: Filters, collapse: bool, fmt: str) -> tuple[Path, Path]:
    """The export file written by the command (store-computed) and the one written from records."""
    from review.export import export_to_file, write_records

    from_sql, from_records = tmp_path / f"sql.{fmt}", tmp_path / f"records.{fmt}"
    export_to_file(db, filters, fmt, from_sql, collapse=collapse)
    with from_records.open("wb") as out:
        write_records(load_records(db, filters, collapse=collapse), fmt, out)
    return from_sql, from_records


@pytest.mark.parametrize("collapse", [True, False], ids=["clusters", "every-item"])
@ROAD_FILTERS
def test_parquet_from_sql_equals_parquet_from_records(
    odd_db: Path, tmp_path: Path, filters: Filters, collapse: bool
) -> None:
    import pyarrow.parquet as pq

    from_sql, from_records = (
        pq.read_table(f) for f in _both_roads(odd_db, tmp_path, filters, collapse, "parquet")
    )
    assert from_sql.schema == from_records.schema
    assert from_sql.to_pylist() == from_records.to_pylist()
    if filters == Filters() and collapse:
        row = from_sql.to_pylist()[0]
        assert row["external_id"] == "tg-1"
        assert row["time"] == datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
        assert row["duplicate_links"] == ["https://portal.example.kz/news/1#c1"]
        assert json.loads(row["evidence"]) == {"corruption": ["откат"]}


@pytest.mark.parametrize("collapse", [True, False], ids=["clusters", "every-item"])
@ROAD_FILTERS
def test_json_from_sql_equals_json_from_records(
    odd_db: Path, tmp_path: Path, filters: Filters, collapse: bool
) -> None:
    from_sql, from_records = _both_roads(odd_db, tmp_path, filters, collapse, "json")
    assert from_sql.read_bytes() == from_records.read_bytes()
    rows = json.loads(from_sql.read_text(encoding="utf-8"))
    assert (len(rows) > 0) is (filters.query is None)
