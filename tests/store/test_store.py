"""Migrations and upserts on a temporary DuckDB file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from testutil import held_by_another_process

from collectors.item import Item
from errors import StoreError
from store import classifications
from store.db import connect, reader, writer
from store.items import upsert_items
from store.migrations import MIGRATIONS, apply_migrations


def item(ext: str, text: str, **kw) -> Item:
    return Item(
        source="src",
        kind="post",
        external_id=ext,
        text=text,
        published_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        **kw,
    )


def test_migrations_applied_once(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    assert apply_migrations(con) == [name for name, _ in MIGRATIONS]
    assert apply_migrations(con) == []
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"items", "classifications", "reviews", "runs", "flagged"} <= tables


def test_a_file_from_before_the_second_look_is_upgraded_with_its_flags(tmp_path: Path, monkeypatch) -> None:
    from store import classifications, migrations
    from store import db as store_db

    db = tmp_path / "old.duckdb"
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:4])  # the schema as shipped before 0005
    with writer(db) as con:
        upsert_items(con, [item("1", "Яма у дома"), item("2", "Праздник в парке")])
        keys = [
            (r[0], r[1], r[2])
            for r in con.execute("SELECT source, external_id, content_hash FROM items ORDER BY 2").fetchall()
        ]
        preds = [
            {
                "lang": "ru",
                "scores": {"corruption": 0.1, "infrastructure": 0.9},
                "labels": ["infrastructure"],
            },
            {"lang": "ru", "scores": {"corruption": 0.3, "infrastructure": 0.1}, "labels": []},
        ]
        classifications.save(con, keys, preds, model_version="m1")
        assert "label_decisions" not in {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    monkeypatch.setattr(store_db, "_migrated", set())  # a new process after the upgrade
    monkeypatch.setattr(store_db, "_checked", set())
    # Its first read (an export, an analyst) applies what is missing before reading.
    with reader(db) as con:
        assert con.execute("SELECT external_id, reviewer_labels FROM flagged").fetchall() == [("1", [])]
    with writer(db) as con:
        assert con.execute("SELECT name FROM schema_migrations ORDER BY name DESC LIMIT 1").fetchall() == [
            (MIGRATIONS[-1][0],)
        ]
        assert con.execute("SELECT external_id, labels, reviewer_labels FROM flagged").fetchall() == [
            ("1", ["infrastructure"], [])
        ]


def test_upsert_new_unchanged_edited(tmp_path: Path) -> None:
    db = tmp_path / "u.duckdb"
    with writer(db) as con:
        first = upsert_items(con, [item("1", "Яма у дома"), item("2", "Нет света"), item("1", "Яма у дома")])
    # the repeated copy is received, and changes nothing
    assert (first.received, first.new, first.updated, first.unchanged) == (3, 2, 0, 1)
    with writer(db) as con:
        second = upsert_items(con, [item("1", "Яма у дома"), item("2", "Нет света на улице Абая")])
    assert (second.new, second.updated, second.unchanged) == (0, 1, 1)
    with reader(db) as con:
        assert con.execute("SELECT count(*) FROM items").fetchone()[0] == 2
        row = con.execute("SELECT text, version FROM items WHERE external_id = '2'").fetchone()
        assert row == ("Нет света на улице Абая", 2)
        old = con.execute("SELECT text, version FROM item_versions WHERE external_id = '2'").fetchall()
        assert old == [("Нет света", 1)]


def test_round_trip_kazakh_text_and_aware_time(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    text = "Көшеде жарық жоқ, жол шұңқырға толы \x00"
    with writer(db) as con:
        upsert_items(con, [item("kk", text, author="Әлия", raw={"views": 12})])
    with reader(db) as con:
        con.execute("SET TimeZone = 'UTC'")
        got = con.execute("SELECT text, author, published_at, raw->>'views' FROM items").fetchone()
    assert got[0] == "Көшеде жарық жоқ, жол шұңқырға толы "  # NUL dropped, letters intact
    assert got[1] == "Әлия" and got[3] == "12"
    assert got[2] == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    try:
        with writer(db) as con:
            upsert_items(con, [item("1", "a")])
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM items").fetchone()[0] == 0
    con.close()


def test_pending_finds_missing_and_stale_scores_a_page_at_a_time(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    pred = {"lang": "ru", "scores": {"corruption": 0.1, "infrastructure": 0.2}, "labels": []}
    with writer(db) as con:
        upsert_items(con, [item(str(n), f"Текст номер {n}") for n in range(1, 7)])
        keys = {
            r[1]: (r[0], r[1], r[2])
            for r in con.execute("SELECT source, external_id, content_hash FROM items").fetchall()
        }
        classifications.save(con, [keys["1"], keys["2"], keys["3"]], [pred] * 3, model_version="m1")
        classifications.save(con, [keys["4"]], [pred], model_version="m2")
        upsert_items(con, [item("2", "Текст номер 2, исправленный")])  # scored before the edit
        assert [(r[1], r[3]) for r in classifications.pending(con)] == [
            ("2", "Текст номер 2, исправленный"),
            ("5", "Текст номер 5"),
            ("6", "Текст номер 6"),
        ]
        first = classifications.pending(con, model_version="m1", limit=2)
        assert [r[1] for r in first] == ["2", "4"]  # 4 was scored by another model
        rest = classifications.pending(con, model_version="m1", limit=2, after=(first[-1][0], first[-1][1]))
        assert [r[1] for r in rest] == ["5", "6"]
        assert all(r[4] == keys[r[1]][2] for r in rest)  # the content hash of what is to be scored


def damaged_database(path: Path) -> Path:
    """A file whose items' texts sit in a block that no longer matches its checksum (the catalog is intact)."""
    with writer(path) as con:
        upsert_items(con, [item(f"e{n}", f"MARKER-{n:05d} " * 20) for n in range(20000)])
    data = path.read_bytes()
    at = data.rfind(b"MARKER-1")  # in a late block, not the first one, which holds the catalog
    assert at > 262144
    with path.open("r+b") as f:
        f.seek(at)
        f.write(b"\xff" * 64)
    return path


def test_a_damaged_file_is_one_store_error_naming_it(tmp_path: Path) -> None:
    db = damaged_database(tmp_path / "m.duckdb")
    for open_db in (writer, reader):
        with pytest.raises(StoreError) as caught, open_db(db) as con:
            con.execute("SELECT sum(length(text)) FROM items").fetchall()
        assert str(caught.value).startswith(f"{db}: the database file is damaged (Corrupt database file")
        assert str(caught.value).endswith("restore it from a backup")


def test_an_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "m.duckdb"
    with sqlite3.connect(db) as lite:
        lite.execute("CREATE TABLE notes (t TEXT)")
    before = db.read_bytes()
    with pytest.raises(StoreError, match="this is an SQLite file, not a DuckDB one"):
        connect(db)
    assert db.read_bytes() == before


def test_a_write_queued_behind_a_lock_wait_does_not_wait_all_over_again(tmp_path: Path, monkeypatch) -> None:
    """Parallel sources queue on the process's write lock: each waited its own 30 s for an analyst's
    connection after the one before it (four sources: 120 s); the lock held all along counts once."""
    from errors import StoreLocked
    from store import db as store_db

    db = tmp_path / "m.duckdb"
    connect(db).close()
    with held_by_another_process(db):
        with pytest.raises(StoreLocked), writer(db, wait=0.5):
            pass
        tries: list[str] = []
        real_connect = store_db.duckdb.connect

        def counted(*args, **kwargs):
            tries.append(args[0])
            return real_connect(*args, **kwargs)

        monkeypatch.setattr(store_db.duckdb, "connect", counted)
        with (
            pytest.raises(StoreLocked, match="another process holds the database lock"),
            writer(db, wait=0.5),
        ):
            pass
        assert len(tries) == 1  # one look, then the same verdict as the write before it
    with writer(db, wait=5) as con:  # once the file is free, a write waits as before
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_another_programs_duckdb_file_is_refused_untouched(tmp_path: Path) -> None:
    """A --db naming an analyst's own DuckDB file got the monitor's tables written into it."""
    db = tmp_path / "analysis.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE notes (t VARCHAR)")
    with pytest.raises(StoreError, match=r"not a database of this monitor \(it holds notes\); check --db"):
        connect(db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SHOW TABLES").fetchall() == [("notes",)]


def test_lock_waits_end_on_a_stop_within_its_block_only(tmp_path: Path) -> None:
    """A stop ends the wait for another process's lock at once; after the block, even one an error
    ended, waits last their time again (a flag left set failed every later wait of the process)."""
    from errors import StoreLocked
    from store.db import LockWaitStopped, stoppable_lock_waits

    db = tmp_path / "m.duckdb"
    connect(db).close()
    with held_by_another_process(db):
        with pytest.raises(RuntimeError), stoppable_lock_waits() as stop_waits:
            stop_waits()
            with pytest.raises(LockWaitStopped), writer(db, wait=600):
                pass
            raise RuntimeError("the command failed")
        with pytest.raises(StoreLocked) as waited, writer(db, wait=0.3):
            pass
        assert not isinstance(waited.value, LockWaitStopped)


def test_a_language_is_not_set_from_a_text_edited_since_it_was_read(tmp_path: Path) -> None:
    with writer(tmp_path / "l.duckdb") as con:
        upsert_items(con, [item("1", "Жолда шұңқыр көп"), item("2", "Яма у дома")])
        read = classifications.pending(con)
        upsert_items(
            con, [item("1", "Russian now: яма у дома, ремонта нет")]
        )  # edited by another run meanwhile
        preds = [{"lang": "kk", "scores": {}, "labels": []}, {"lang": "ru", "scores": {}, "labels": []}]
        classifications.save(con, [(r[0], r[1], r[4]) for r in read], preds, model_version="m1")
        assert con.execute("SELECT external_id, lang FROM items ORDER BY 1").fetchall() == [
            ("1", None),
            ("2", "ru"),
        ]
        assert [r[1] for r in classifications.pending(con)] == ["1"]  # scored again, language then
