"""WhatsApp edits and deletions across a renamed chat or another packaging of the export.

``raw.chat`` is a chat's file name inside a .zip of several chats and empty otherwise, and an edited
or deleted message was looked up under the chat name of its own file: a chat renamed between two
exports in .zip files of several, or exported in a .zip of several one week and alone the next,
stored each edit as a second item and each deleted message as an empty one, for good. The importer
now asks the store which chat names a sample of the chat's unedited messages are stored under, and
looks the edited ones up under the one name nearly all of them carry, when the chat's own name gives
no candidate. A name many chats share by construction (the empty one of every chat imported alone,
iOS's bare ``_chat.txt``) is never taken: it let a message take another chat's stored message.
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


# Two other chats for the cases where a name is shared: Тимур's message of 18:40 in HOUSE was written
# and edited after its first export (its original never stored), while YARD holds another message of
# Тимур's of that same minute.
HOUSE = (
    "20.11.2026, 18:10 - Гульнара: Лифт опять стоит\n"
    "20.11.2026, 18:12 - Тимур: Звонил диспетчеру\n"
    "20.11.2026, 18:15 - Гульнара: Обещали завтра\n"
)
HOUSE_EDITED = HOUSE + f"20.11.2026, 18:40 - Тимур: Мастер просит наличными двадцать тысяч{EDITED}\n"
YARD = (
    "20.11.2026, 09:00 - Алия: Трубу прорвало у школы\n"
    "20.11.2026, 09:20 - Алия: Воду перекрыли\n"
    "20.11.2026, 18:40 - Тимур: Подрядчик так и не приехал\n"
)
YARD_MESSAGE = "Подрядчик так и не приехал"
QUIET = "20.11.2026, 08:00 - Сауле: Доброе утро\n20.11.2026, 08:01 - Сауле: Собрание в пятницу\n"
WITH_HOUSE, WITH_QUIET = "WhatsApp Chat with Дом 12.txt", "WhatsApp Chat with Совет.txt"


def test_a_chat_imported_alone_never_takes_a_message_of_another_chat_imported_alone(tmp_path: Path) -> None:
    # HOUSE and YARD were each imported alone: both stored with no chat name. HOUSE's edit, exported
    # in a .zip, looked the empty name up as HOUSE's earlier one and took YARD's message of the same
    # minute and author: YARD's text replaced for good, re-importing YARD did not bring it back
    db = tmp_path / "wa.duckdb"
    import_chat(alone(tmp_path / "house.txt", HOUSE), db)
    import_chat(alone(tmp_path / "yard.txt", YARD), db)
    yard = rows(db, f"SELECT * FROM items WHERE text = '{YARD_MESSAGE}'")
    later = archive(tmp_path / "later.zip", {WITH_HOUSE: HOUSE_EDITED, WITH_QUIET: QUIET})
    for _ in range(2):  # and again after YARD is imported once more: nothing moves back and forth
        import_chat(later, db)
        assert import_chat(alone(tmp_path / "yard.txt", YARD), db) == (0, 0)
        assert rows(db, f"SELECT * FROM items WHERE text = '{YARD_MESSAGE}'") == yard  # was HOUSE's text
        assert versions(db) == []
    # HOUSE's edited message is an item of its own (nothing of HOUSE is stored for it)
    assert rows(db, "SELECT raw ->> '$.chat' FROM items WHERE text LIKE 'Мастер просит%'") == [(WITH_HOUSE,)]


def test_ios_chat_txt_is_no_earlier_name(tmp_path: Path) -> None:
    # iOS names every chat's file _chat.txt; a .zip that also holds a sent .txt document is one of
    # several files, so the chat is stored as "_chat.txt": a name every such iOS chat gets
    db = tmp_path / "wa.duckdb"
    import_chat(archive(tmp_path / "h1.zip", {"_chat.txt": HOUSE, "Акт осмотра.txt": "акт\n"}), db)
    import_chat(archive(tmp_path / "y1.zip", {"_chat.txt": YARD, "Смета.txt": "смета на ремонт\n"}), db)
    yard = rows(db, f"SELECT * FROM items WHERE text = '{YARD_MESSAGE}'")
    # HOUSE again, without a document this time: no chat name, its messages stored as "_chat.txt"
    assert import_chat(archive(tmp_path / "h2.zip", {"_chat.txt": HOUSE_EDITED}), db) == (1, 0)  # was (0, 1)
    assert rows(db, f"SELECT * FROM items WHERE text = '{YARD_MESSAGE}'") == yard
    assert versions(db) == []


def test_forwarded_copies_do_not_make_another_chat_an_earlier_name(tmp_path: Path) -> None:
    # the chats of a .zip share the occurrence count of the ids: HOUSE's copies of two forwarded
    # messages are occurrence 1, YARD's occurrence 2; YARD exported alone later gets occurrence 1,
    # the ids of HOUSE's copies, so two of YARD's sampled messages were stored under HOUSE's name
    forwarded = (
        "20.11.2026, 17:00 - Тимур: Внимание! Отключение газа\n20.11.2026, 17:00 - Тимур: С 10 до 16\n"
    )
    house = forwarded + "20.11.2026, 18:40 - Тимур: У нас в доме уже нет газа\n"
    yard = forwarded + "20.11.2026, 18:45 - Алия: Понятно\n20.11.2026, 18:46 - Алия: А вода будет?\n"
    db = tmp_path / "wa.duckdb"
    import_chat(archive(tmp_path / "1.zip", {WITH_HOUSE: house, WITH_QUIET: yard}), db)
    before = rows(db, "SELECT * FROM items WHERE text = 'У нас в доме уже нет газа'")
    # a week later YARD alone: Тимур wrote there at 18:40 too, and edited it
    yard_later = yard + f"20.11.2026, 18:40 - Тимур: Подрядчик так и не приехал{EDITED}\n"
    assert import_chat(alone(tmp_path / "yard.txt", yard_later), db) == (1, 0)  # was (0, 1)
    assert rows(db, "SELECT * FROM items WHERE text = 'У нас в доме уже нет газа'") == before
    assert versions(db) == []


def test_a_chat_once_imported_alone_and_zipped_since_is_matched_under_its_own_name(tmp_path: Path) -> None:
    # HOUSE alone once (no chat name), in a .zip ever since; YARD alone too. Looked up under its .zip
    # name and the empty one, HOUSE's edit found its own original and YARD's message: two to choose
    # from, so it became a second item. Its own name gives one candidate: that one is taken
    db = tmp_path / "wa.duckdb"
    house_early = HOUSE.replace("20.11.2026, 18:15 - Гульнара: Обещали завтра\n", "")
    import_chat(alone(tmp_path / "house.txt", house_early), db)
    import_chat(alone(tmp_path / "yard.txt", YARD), db)
    original = HOUSE + "20.11.2026, 18:40 - Тимур: Мастер просит наличными\n"
    import_chat(archive(tmp_path / "2.zip", {WITH_HOUSE: original, WITH_QUIET: QUIET}), db)
    stored = ids_by_text(db)
    assert import_chat(archive(tmp_path / "3.zip", {WITH_HOUSE: HOUSE_EDITED, WITH_QUIET: QUIET}), db) == (
        0,
        1,
    )
    after = ids_by_text(db)
    assert after["Мастер просит наличными двадцать тысяч"] == stored["Мастер просит наличными"]
    assert after[YARD_MESSAGE] == stored[YARD_MESSAGE]
    assert versions(db) == [(stored["Мастер просит наличными"], 1, "Мастер просит наличными")]


def test_a_chat_imported_alone_before_is_not_matched_in_a_zip(tmp_path: Path) -> None:
    # the empty name is every lone chat's: a chat imported alone and then in a .zip of several is not
    # looked up under it, so its edit is a second item (the smaller harm), the original kept as it was
    db = tmp_path / "wa.duckdb"
    import_chat(alone(tmp_path / "a.txt", CHAT_A), db)
    before = rows(db, "SELECT * FROM items ORDER BY external_id")
    later = archive(tmp_path / "later.zip", {WITH_A: CHAT_A_EDITED, WITH_B: CHAT_B})
    assert import_chat(later, db) == (2 + CHAT_B.count("\n"), 0)  # «Воду дали», the edit, B's
    assert set(before) <= set(rows(db, "SELECT * FROM items"))
    assert versions(db) == []
