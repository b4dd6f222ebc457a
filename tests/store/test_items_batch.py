"""Upserts of a batch that holds one key more than once, on a temporary DuckDB file: every content
seen is kept in order (the earlier ones as versions) and the counts say what each copy did."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.item import Item
from store.db import reader, writer
from store.items import UpsertResult, upsert_items

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def item(ext: str, text: str, **kw) -> Item:
    return Item(source="tg", kind="post", external_id=ext, text=text, **kw)


def contents(db: Path) -> tuple[list[tuple], list[tuple]]:
    """(items as (id, version, text, url), versions as (id, version, text)), in key and version order."""
    with reader(db) as con:
        current = con.execute("SELECT external_id, version, text, url FROM items ORDER BY 1").fetchall()
        earlier = con.execute("SELECT external_id, version, text FROM item_versions ORDER BY 1, 2").fetchall()
    return current, earlier


def counts(result: UpsertResult) -> tuple[int, int, int, int]:
    return result.received, result.new, result.updated, result.unchanged


def test_a_new_post_edited_within_the_batch_keeps_its_first_text_as_a_version(tmp_path: Path) -> None:
    # a listing shows the post, the same run reads it again after its author edited it
    db = tmp_path / "b.duckdb"
    with writer(db) as con:
        result = upsert_items(
            con,
            [
                item("7", "Яма на Абая", url="https://t.me/c/7", raw={"views": 10}),
                item("8", "Нет света"),
                item("7", "Яма на Абая 12, глубина метр", raw={"views": 15, "edited": True}),
            ],
            now=NOW,
        )
    assert counts(result) == (3, 2, 1, 0)
    current, earlier = contents(db)
    assert current == [
        ("7", 2, "Яма на Абая 12, глубина метр", "https://t.me/c/7"),  # the later copy had no url
        ("8", 1, "Нет света", None),
    ]
    assert earlier == [("7", 1, "Яма на Абая")]
    with reader(db) as con:
        con.execute("SET TimeZone = 'UTC'")
        row = con.execute(
            "SELECT raw->>'views', valid_from, replaced_at FROM item_versions WHERE external_id = '7'"
        ).fetchone()
        assert row == ("10", NOW, NOW)  # the first copy's own raw, seen and replaced in this batch
        assert con.execute("SELECT raw->>'views' FROM items WHERE external_id = '7'").fetchone() == ("15",)


def test_a_stored_post_seen_twice_with_two_edits_keeps_every_text_in_order(tmp_path: Path) -> None:
    db = tmp_path / "b.duckdb"
    with writer(db) as con:
        upsert_items(con, [item("1", "A")], now=NOW)
    with writer(db) as con:
        # B, back to A, A again (no edit), then C
        result = upsert_items(con, [item("1", "B"), item("1", "A"), item("1", "A"), item("1", "C")], now=NOW)
    assert counts(result) == (4, 0, 3, 1)
    assert contents(db) == ([("1", 4, "C", None)], [("1", 1, "A"), ("1", 2, "B"), ("1", 3, "A")])


def test_a_batch_that_starts_with_the_stored_text_adds_only_the_edit(tmp_path: Path) -> None:
    db = tmp_path / "b.duckdb"
    with writer(db) as con:
        upsert_items(con, [item("1", "A"), item("2", "X")], now=NOW)
    with writer(db) as con:
        result = upsert_items(con, [item("1", "A"), item("2", "X"), item("1", "B"), item("2", "X")], now=NOW)
    assert counts(result) == (4, 0, 1, 3)
    assert contents(db) == ([("1", 2, "B", None), ("2", 1, "X", None)], [("1", 1, "A")])


KEYS = st.sampled_from(["1", "2", "3"])
TEXTS = st.sampled_from(["Яма", "Яма у дома", "Жарық жоқ", "Нет света"])
URLS = st.sampled_from([None, "https://t.me/c/a", "https://t.me/c/b"])
COPIES = st.lists(st.tuples(KEYS, TEXTS, URLS), min_size=1, max_size=10)


@settings(max_examples=40, deadline=None)
@given(
    stored=st.lists(st.tuples(KEYS, TEXTS, URLS), max_size=4),
    batch=COPIES,
)
def test_one_batch_stores_what_one_item_at_a_time_stores(
    stored: list[tuple[str, str, str | None]], batch: list[tuple[str, str, str | None]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        together, apart = Path(folder) / "together.duckdb", Path(folder) / "apart.duckdb"
        for db in (together, apart):
            with writer(db) as con:
                upsert_items(con, [item(k, t, url=u) for k, t, u in stored], now=NOW)
        with writer(together) as con:
            at_once = upsert_items(con, [item(k, t, url=u) for k, t, u in batch], now=NOW)
        one_by_one = UpsertResult()
        for k, t, u in batch:
            with writer(apart) as con:
                one_by_one += upsert_items(con, [item(k, t, url=u)], now=NOW)
        assert contents(together) == contents(apart)
        assert counts(at_once) == counts(one_by_one)
        assert at_once.received == len(batch) == at_once.new + at_once.updated + at_once.unchanged


def test_a_copy_without_the_edit_mark_does_not_replace_an_edited_item(tmp_path: Path) -> None:
    # a message stored edited (raw.edited), then its copy from an export older than the edit: no change,
    # alone or in a batch with the edited copy again; an edited copy still replaces an unedited one
    db = tmp_path / "store.duckdb"
    with writer(db) as con:
        upsert_items(con, [item("1", "нет воды с утра", raw={"edited": True}), item("2", "яма")], now=NOW)
        assert counts(upsert_items(con, [item("1", "нет воды")], now=NOW)) == (1, 0, 0, 1)
        batch = [item("1", "нет воды"), item("1", "нет воды с утра", raw={"edited": True})]
        assert counts(upsert_items(con, batch, now=NOW)) == (2, 0, 0, 2)
        edit = item("2", "яма у подъезда", raw={"edited": True})
        assert counts(upsert_items(con, [edit], now=NOW)) == (1, 0, 1, 0)
        again = item("1", "нет воды с утра и до вечера", raw={"edited": True})
        assert counts(upsert_items(con, [again], now=NOW)) == (1, 0, 1, 0)
    current, earlier = contents(db)
    assert [(k, v, t) for k, v, t, _ in current] == [
        ("1", 2, "нет воды с утра и до вечера"),
        ("2", 2, "яма у подъезда"),
    ]
    assert earlier == [("1", 1, "нет воды с утра"), ("2", 1, "яма")]


def test_nul_characters_never_reach_the_stored_columns(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    with writer(db) as con:
        upsert_items(
            con, [item("1", "яма\x00", author="Асель\x00", title="\x00Двор", url="https://x/\x001")], now=NOW
        )
    with reader(db) as con:
        row = con.execute("SELECT text, author, title, url FROM items").fetchone()
    assert row == ("яма", "Асель", "Двор", "https://x/1")


def test_a_copy_without_the_edit_mark_after_an_edited_one_in_the_batch_changes_nothing(
    tmp_path: Path,
) -> None:
    # [edited, older unedited] in one batch keeps the edited text, as two batches would
    db = tmp_path / "store.duckdb"
    with writer(db) as con:
        upsert_items(con, [item("2", "яма")], now=NOW)
        batch = [
            item("1", "нет воды с утра", raw={"edited": True}),
            item("1", "нет воды"),
            item("2", "яма у подъезда", raw={"edited": True}),
            item("2", "яма"),
        ]
        assert counts(upsert_items(con, batch, now=NOW)) == (4, 1, 1, 2)
    current, earlier = contents(db)
    assert [(k, v, t) for k, v, t, _ in current] == [("1", 1, "нет воды с утра"), ("2", 2, "яма у подъезда")]
    assert earlier == [("2", 1, "яма")]
