"""Re-importing WhatsApp chats into a database filled before @-mentions of phone numbers were hashed."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import batch.importing as importing
from batch.stages import cluster_pending
from batch.whatsapp_scrub import scrub_phone_mentions
from collectors import whatsapp
from collectors.base import SourceConfig
from collectors.item import Item
from collectors.whatsapp_phones import hash_phone
from config.sources import Config
from errors import InputError
from store import classifications
from store.db import reader, writer
from store.items import upsert_items
from store.runs import RunRecord

SALT = "scrub-test-salt"
NUMBER = "7011234567"  # +7 701 123 45 67, in every spelling below
TOKEN = hash_phone("+77011234567", SALT)
CONFIG = Config(path=None)
KEEP = Config(path=None, sources=[SourceConfig("chat", "whatsapp", {"keep_phone_numbers": True})])

CHAT = (
    "25.11.2026, 14:35 - +7 701 123 45 67: Во дворе снова прорвало трубу\n"
    "25.11.2026, 14:40 - Айгерим: @77011234567 позвоните в КСК\n"
    "25.11.2026, 14:41 - Айгерим: @+7 701 123 4567, напишите адрес\n"
    "25.11.2026, 14:42 - Ерлан Б.: Спасибо, @Айгерим\n"
    "25.11.2026, 14:43 - Ерлан Б.: @+7 701 123 4567 5000 тг собрали на ремонт\n"
)
LATER = "25.11.2026, 15:10 - Айгерим: @+77011234567 трубу заварили?\n"
HASHED = [
    "Во дворе снова прорвало трубу",
    f"@{TOKEN} позвоните в КСК",
    f"@{TOKEN}, напишите адрес",
    "Спасибо, @Айгерим",
    f"@{TOKEN} 5000 тг собрали на ремонт",
]


@pytest.fixture(autouse=True)
def salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_SALT", SALT)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "chat.txt"
    path.write_text(CHAT, encoding="utf-8")
    return path


@pytest.fixture
def old_db(tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database the chat went into before mention hashing: numbers in clear in the texts."""
    db = tmp_path / "old.duckdb"
    import_before_mention_hashing(export, db, monkeypatch)
    assert len(stored_numbers(db)) == 3
    return db


def import_before_mention_hashing(
    path: Path, db: Path, monkeypatch: pytest.MonkeyPatch, config: Config = CONFIG, source: str = "chat"
) -> RunRecord:
    """An import by the code of that time: authors hashed, mentions not, and no scrub."""
    with monkeypatch.context() as m:
        m.setattr(whatsapp, "hash_mentions", lambda text, salt: text)
        m.setattr(importing, "_scrub_phone_mentions", lambda db_path, source_name, salt: None)
        return import_chat(path, db, config, source)


def import_chat(path: Path, db: Path, config: Config = CONFIG, source: str = "chat") -> RunRecord:
    errors: list[InputError] = []
    run = importing.import_file("whatsapp", path, source, config, db, report=errors.append)
    assert errors == [] and run.status == "ok"
    return run


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with reader(db) as con:
        return con.execute(sql, list(params)).fetchall()


def stored_numbers(db: Path, source: str = "chat") -> list[str]:
    """Every stored text, author or raw payload of the source that holds the number in clear."""
    texts = rows(
        db,
        "SELECT text, author, raw::VARCHAR FROM items WHERE source = ? "
        "UNION ALL SELECT text, NULL, raw::VARCHAR FROM item_versions WHERE source = ?",
        source,
        source,
    )
    return [t for row in texts for t in row if t and NUMBER in re.sub(r"[\s()+\-]", "", t)]


def snapshot(db: Path, source: str = "chat") -> tuple[list[tuple], list[tuple]]:
    return (
        rows(db, "SELECT * FROM items WHERE source = ? ORDER BY external_id", source),
        rows(db, "SELECT * FROM item_versions WHERE source = ? ORDER BY external_id, version", source),
    )


def texts_by_time(db: Path) -> list[str]:
    return [r[0] for r in rows(db, "SELECT text FROM items WHERE source = 'chat' ORDER BY published_at")]


def test_reimport_hashes_old_mentions_and_stores_no_version(old_db: Path, export: Path) -> None:
    run = import_chat(export, old_db)
    assert (run.new, run.updated) == (0, 0)
    assert stored_numbers(old_db) == []
    assert texts_by_time(old_db) == HASHED
    assert rows(old_db, "SELECT DISTINCT version FROM items") == [(1,)]
    assert rows(old_db, "SELECT count(*) FROM item_versions") == [(0,)]


def test_versions_left_by_a_reimport_without_the_scrub_are_hashed(
    old_db: Path, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:  # the code that hashed mentions but did not scrub
        m.setattr(importing, "_scrub_phone_mentions", lambda db_path, source_name, salt: None)
        assert import_chat(export, old_db).updated == 3
    assert len(stored_numbers(old_db)) == 3  # now in item_versions
    run = import_chat(export, old_db)
    assert (run.new, run.updated) == (0, 0)
    assert stored_numbers(old_db) == []
    # the versions stay, now the same as the current texts
    assert (
        rows(
            old_db,
            "SELECT v.text = i.text, v.content_hash = i.content_hash, v.version, i.version "
            "FROM item_versions v JOIN items i USING (source, external_id)",
        )
        == [(True, True, 1, 2)] * 3
    )


def test_longer_export_adds_only_its_new_message(old_db: Path, export: Path, tmp_path: Path) -> None:
    longer = tmp_path / "longer.txt"
    longer.write_text(CHAT + LATER, encoding="utf-8")
    run = import_chat(longer, old_db)
    assert (run.new, run.updated) == (1, 0)
    assert stored_numbers(old_db) == []
    assert texts_by_time(old_db) == [*HASHED, f"@{TOKEN} трубу заварили?"]
    assert rows(old_db, "SELECT count(*) FROM item_versions") == [(0,)]


def test_edited_message_keeps_its_versions_with_the_number_hashed(old_db: Path, export: Path) -> None:
    (external_id, published_at) = rows(
        old_db, "SELECT external_id, published_at FROM items WHERE text LIKE '%позвоните в КСК'"
    )[0]
    edited = Item(
        source="chat",
        kind="message",
        external_id=external_id,
        text="@77011234567 позвоните в КСК сегодня",
        published_at=published_at,
    )
    with writer(old_db) as con:  # stored text other than the export's: the export now gives an edit
        upsert_items(con, [edited])
    run = import_chat(export, old_db)
    assert (run.new, run.updated) == (0, 1)
    assert stored_numbers(old_db) == []
    assert rows(old_db, "SELECT text, version FROM items WHERE external_id = ?", external_id) == [
        (f"@{TOKEN} позвоните в КСК", 3)
    ]
    assert rows(
        old_db, "SELECT version, text FROM item_versions WHERE external_id = ? ORDER BY version", external_id
    ) == [(1, f"@{TOKEN} позвоните в КСК"), (2, f"@{TOKEN} позвоните в КСК сегодня")]
    assert rows(old_db, "SELECT count(*) FROM item_versions WHERE external_id <> ?", external_id) == [(0,)]


def test_other_sources_untouched(old_db: Path, export: Path) -> None:
    def post(text: str) -> Item:
        return Item(
            source="tg",
            kind="post",
            external_id="1",
            text=text,
            published_at=datetime(2026, 11, 25, tzinfo=UTC),
        )

    with writer(old_db) as con:
        upsert_items(con, [post("Звоните @77011234567")])
        upsert_items(con, [post("Звоните @77011234567 до вечера")])
    before = snapshot(old_db, "tg")
    assert len(stored_numbers(old_db, "tg")) == 2
    import_chat(export, old_db)
    assert stored_numbers(old_db) == []
    assert snapshot(old_db, "tg") == before


def test_keep_phone_numbers_leaves_that_source_as_it_is(
    tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "two.duckdb"
    for source in ("chat", "hashed"):  # the same chat twice; KEEP configures only "chat"
        import_before_mention_hashing(export, db, monkeypatch, KEEP, source)
    kept = snapshot(db, "chat")
    assert len(stored_numbers(db, "chat")) == 4  # the author too
    for source in ("chat", "hashed"):
        run = import_chat(export, db, KEEP, source)
        assert (run.new, run.updated) == (0, 0)
    assert snapshot(db, "chat") == kept
    assert stored_numbers(db, "hashed") == []


def test_second_import_changes_nothing(old_db: Path, export: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="batch.importing"):
        import_chat(export, old_db)
    said = [r.getMessage() for r in caplog.records if r.name == "batch.importing"]
    assert said == [
        "chat: phone mentions stored in clear by an earlier import hashed in 3 items and 0 earlier versions"
    ]
    assert NUMBER not in re.sub(r"[\s()+\-]", "", caplog.text)
    assert stored_numbers(old_db) == []
    after = snapshot(old_db)

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="batch.importing"):
        run = import_chat(export, old_db)
    assert (run.new, run.updated) == (0, 0)
    assert snapshot(old_db) == after
    assert not [r for r in caplog.records if r.name == "batch.importing"]
    with writer(old_db) as con:
        assert scrub_phone_mentions(con, "chat", SALT) == {"items": 0, "item_versions": 0}


def test_hashed_items_are_scored_and_signed_again(old_db: Path, export: Path) -> None:
    cluster_pending(old_db)
    with writer(old_db) as con:
        scored = [(s, e, h) for s, e, _, _, h in classifications.pending(con)]
        classifications.save(con, scored, [{"scores": {}, "labels": []}] * len(scored), model_version="test")
        assert classifications.pending(con) == []
    import_chat(export, old_db)
    assert stored_numbers(old_db) == []
    with writer(old_db) as con:
        again = sorted(text for _, _, _, text, _ in classifications.pending(con))
    assert again == sorted(t for t in HASHED if TOKEN in t)  # their content hash changed
    signed = rows(old_db, "SELECT text, simhash IS NOT NULL FROM items ORDER BY published_at")
    assert signed == [(t, TOKEN not in t) for t in HASHED]  # signatures of the old words are dropped


def test_an_old_ios_mention_whose_marks_were_stripped_is_hashed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # iOS wraps a mention in U+2068...U+2069; the import of that time removed the marks and kept
    # «@7 701 123 4567» in clear, with neither a plus nor one run of digits to find it by.
    path = tmp_path / "ios.txt"
    path.write_text(
        "[25.11.26, 14:40:00] Айгерим: @\u20687 701 123 4567\u2069 позвоните в КСК\n", encoding="utf-8"
    )
    db = tmp_path / "ios.duckdb"
    import_before_mention_hashing(path, db, monkeypatch)
    assert rows(db, "SELECT text FROM items WHERE source = 'chat'") == [("@7 701 123 4567 позвоните в КСК",)]
    before = rows(db, "SELECT count(*) FROM item_versions WHERE source = 'chat'")
    run = import_chat(path, db)
    assert run.new == 0 and run.updated == 0
    assert stored_numbers(db) == []
    assert rows(db, "SELECT text FROM items WHERE source = 'chat'") == [(f"@{TOKEN} позвоните в КСК",)]
    assert rows(db, "SELECT count(*) FROM item_versions WHERE source = 'chat'") == before
