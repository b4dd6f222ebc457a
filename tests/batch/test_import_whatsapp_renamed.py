"""WhatsApp edits and deletions across a renamed chat or another packaging of the export.

``raw.chat`` is a chat's file name inside a .zip of several chats and empty otherwise, and an edited
or deleted message was looked up under the chat name of its own file: a chat renamed between two
exports in .zip files of several, or imported alone one week and in a .zip of several the next (or
the other way round), stored each edit as a second item and each deleted message as an empty one,
for good. The importer now asks the store which chat names a sample of the chat's unedited messages
are stored under, and looks the edited ones up under those names too.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

import batch.runner as runner
from config.sources import Config
from errors import InputError
from store.db import reader

EDITED = " <Это сообщение изменено>"
CHAT_A = (
    "25.11.2026, 14:30 - Данияр: Кто-нибудь звонил в КСК?\n"
    "25.11.2026, 14:31 - Асель: Нет ещё\n"
    "25.11.2026, 14:32 - Ерлан: Позвоню сейчас\n"
    "25.11.2026, 14:35 - Асель: Во дворе нет воды\n"
)
# a week later: the message of 14:35 edited, one more message
CHAT_A_EDITED = (
    CHAT_A.replace("нет воды", f"нет воды с утра{EDITED}") + "25.11.2026, 15:02 - Асель: Воду дали\n"
)
CHAT_A_DELETED = CHAT_A.replace("Во дворе нет воды", "Данное сообщение удалено")
# another chat, with a message of the same author in the minute of the edited one
CHAT_B = (
    "25.11.2026, 10:00 - Марат: Свет отключили\n"
    "25.11.2026, 10:05 - Марат: На Абая тоже\n"
    "25.11.2026, 14:35 - Асель: У нас в подъезде тоже\n"
)
WITH_A, WITH_A2, WITH_B = (f"WhatsApp Chat with {name}.txt" for name in ("A", "A2", "B"))


@pytest.fixture(autouse=True)
def salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_SALT", "renamed-test-salt")


def archive(path: Path, chats: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in chats.items():
            zf.writestr(name, text)
    return path


def alone(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def import_chat(path: Path, db: Path) -> tuple[int, int]:
    errors: list[InputError] = []
    run = runner.import_file("whatsapp", path, "chat", Config(path=None), db, report=errors.append)
    assert errors == [] and run.status == "ok", (errors, run.error)
    return run.new, run.updated


def rows(db: Path, sql: str) -> list[tuple]:
    with reader(db) as con:
        return con.execute(sql).fetchall()


def ids_by_text(db: Path) -> dict[str, str]:
    return dict(rows(db, "SELECT text, external_id FROM items"))


def versions(db: Path) -> list[tuple]:
    return rows(db, "SELECT external_id, version, text FROM item_versions ORDER BY external_id, version")


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        pytest.param(
            {WITH_A: CHAT_A, WITH_B: CHAT_B}, {WITH_A2: CHAT_A_EDITED, WITH_B: CHAT_B}, id="renamed"
        ),
        pytest.param({None: CHAT_A}, {WITH_A: CHAT_A_EDITED, WITH_B: CHAT_B}, id="alone-then-zip"),
        pytest.param({WITH_A: CHAT_A, WITH_B: CHAT_B}, {None: CHAT_A_EDITED}, id="zip-then-alone"),
    ],
)
def test_an_edit_becomes_a_version_when_the_chat_is_named_otherwise(
    tmp_path: Path, earlier: dict[str | None, str], later: dict[str | None, str]
) -> None:
    def export(name: str, chats: dict[str | None, str]) -> Path:
        if None in chats:
            return alone(tmp_path / f"{name}.txt", chats[None])
        return archive(tmp_path / f"{name}.zip", {str(k): v for k, v in chats.items()})

    db = tmp_path / "wa.duckdb"
    import_chat(export("earlier", earlier), db)
    before = ids_by_text(db)
    new = 1 + (CHAT_B.count("\n") if WITH_B in later and WITH_B not in earlier else 0)  # «Воду дали»
    assert import_chat(export("later", later), db) == (new, 1)  # was (new + 1, 0): a second item

    after = ids_by_text(db)
    assert after["Во дворе нет воды с утра"] == before["Во дворе нет воды"]
    assert "Во дворе нет воды" not in after
    assert {text: after[text] for text in before if text in after} == {
        text: i for text, i in before.items() if text != "Во дворе нет воды"
    }  # no other id changed
    assert versions(db) == [(before["Во дворе нет воды"], 1, "Во дворе нет воды")]
    snapshot = rows(db, "SELECT * FROM items ORDER BY external_id")
    assert import_chat(export("later", later), db) == (0, 0)  # a re-import changes nothing
    assert rows(db, "SELECT * FROM items ORDER BY external_id") == snapshot


def test_a_message_deleted_in_a_renamed_chat_keeps_its_text(tmp_path: Path) -> None:
    db = tmp_path / "wa.duckdb"
    import_chat(archive(tmp_path / "earlier.zip", {WITH_A: CHAT_A, WITH_B: CHAT_B}), db)
    before = rows(db, "SELECT * FROM items ORDER BY external_id")
    later = archive(tmp_path / "later.zip", {WITH_A2: CHAT_A_DELETED, WITH_B: CHAT_B})
    assert import_chat(later, db) == (0, 0)  # was (1, 0): an empty second item
    assert rows(db, "SELECT * FROM items ORDER BY external_id") == before


def test_an_edited_message_stays_under_its_stored_chat_name_for_the_next_import(tmp_path: Path) -> None:
    # renamed in a .zip, then exported alone with one more message: the edited message is still one
    db = tmp_path / "wa.duckdb"
    import_chat(archive(tmp_path / "1.zip", {WITH_A: CHAT_A, WITH_B: CHAT_B}), db)
    before = ids_by_text(db)
    import_chat(archive(tmp_path / "2.zip", {WITH_A2: CHAT_A_EDITED, WITH_B: CHAT_B}), db)
    third = alone(tmp_path / "3.txt", CHAT_A_EDITED + "25.11.2026, 15:10 - Данияр: Спасибо\n")
    assert import_chat(third, db) == (1, 0)  # only «Спасибо»; stored under A2's name, it was found under none
    assert ids_by_text(db)["Во дворе нет воды с утра"] == before["Во дворе нет воды"]
    assert len(versions(db)) == 1
    assert rows(db, "SELECT raw ->> '$.chat' FROM items WHERE version = 2") == [(WITH_A,)]


def test_a_chat_name_two_chats_of_the_file_are_stored_under_is_neither_ones(tmp_path: Path) -> None:
    # A and B were each imported alone (both stored without a chat name); A's message of 14:35 was
    # written and edited after that, so nothing of A is stored for it, while B's message of that
    # minute by the same author is: looked up under the empty name, A's edit took B's message's id
    db = tmp_path / "wa.duckdb"
    earlier_a = CHAT_A.replace("25.11.2026, 14:35 - Асель: Во дворе нет воды\n", "")
    import_chat(alone(tmp_path / "a.txt", earlier_a), db)
    import_chat(alone(tmp_path / "b.txt", CHAT_B), db)
    before = ids_by_text(db)
    import_chat(archive(tmp_path / "later.zip", {WITH_A: CHAT_A_EDITED, WITH_B: CHAT_B}), db)
    after = ids_by_text(db)
    assert after["У нас в подъезде тоже"] == before["У нас в подъезде тоже"]
    assert after["Во дворе нет воды с утра"] not in before.values()  # an item of its own
    assert versions(db) == []


def test_each_store_look_up_is_asked_once_and_not_without_an_edited_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, int]] = []
    for name in ("_stored_chats", "_stored_message_ids"):
        look_up = getattr(runner, name)

        def counted(db_path: Path, source: str, keys: set, name: str = name, look_up: Any = look_up) -> dict:
            asked.append((name, len(keys)))
            return look_up(db_path, source, keys)

        monkeypatch.setattr(runner, name, counted)
    db = tmp_path / "wa.duckdb"
    import_chat(archive(tmp_path / "earlier.zip", {WITH_A: CHAT_A, WITH_B: CHAT_B}), db)
    assert asked == []
    import_chat(archive(tmp_path / "later.zip", {WITH_A2: CHAT_A_EDITED, WITH_B: CHAT_B}), db)
    # the sample: A's four unedited messages and B's three; the edited key under A2 and under A
    assert asked == [("_stored_chats", 7), ("_stored_message_ids", 2)]
