"""The importer's side of edited and deleted WhatsApp messages: which messages it asks the store about,
and which ids it gives, with a look-up written in the test (tests/batch/test_import_whatsapp_edits.py
runs it against a real database, as the last tests here do for deleted messages).

A message deleted between two exports left a placeholder («Данное сообщение удалено», "This message
was deleted") that hashed to an id of its own: the later export stored a second, empty item beside the
message's text, and one more each time the chat was exported on a phone of another language. A
placeholder that finds the one stored message of its chat, minute and author that the later export no
longer holds is now left out: the stored text and its flags stay.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import pytest
from testutil import read_whatsapp as read

import batch.importing as importing
from collectors.whatsapp_entries import EditKey
from config.sources import Config
from errors import InputError
from store.db import reader

MINUTE = "2026-11-25T14:35"


class LookUp:
    """A store that holds ``stored`` and records what it is asked."""

    def __init__(self, stored: Mapping[EditKey, Collection[str]] | None = None) -> None:
        self.stored = dict(stored or {})
        self.asked: list[set[EditKey]] = []

    def __call__(self, keys: Collection[EditKey]) -> Mapping[EditKey, Collection[str]]:
        self.asked.append(set(keys))
        return {key: self.stored[key] for key in keys if key in self.stored}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_edit_mark_is_found_on_a_messages_last_line_in_every_form(tmp_path: Path) -> None:
    path = write(
        tmp_path / "chat.txt",
        "25.11.2026, 14:35 - Асель: Во дворе нет воды\n"
        "с самого утра <Это сообщение изменено>\n"
        "\n"
        "25.11.2026, 14:36 - Данияр: <изменено> в начале не знак правки\n"
        "25.11.2026, 14:37 - Ерлан: строка <This message was edited>\n"
        "и ещё одна\n"
        "25.11.2026, 14:38 - Айгерим: Спасибо \u200e<This message was edited>\u200e\n",
    )
    look_up = LookUp()
    items, errors = read(path, _stored_ids=look_up)
    assert errors == []
    assert look_up.asked == [{(None, MINUTE, "Асель"), (None, "2026-11-25T14:38", "Айгерим")}]
    assert [(i.author, i.text, i.raw.get("edited", False)) for i in items] == [
        ("Данияр", "<изменено> в начале не знак правки", False),
        ("Ерлан", "строка <This message was edited>\nи ещё одна", False),
        # held back until the store was asked: they come last
        ("Асель", "Во дворе нет воды\nс самого утра", True),
        ("Айгерим", "Спасибо", True),
    ]


def test_ids_are_todays_unless_one_stored_message_is_left(tmp_path: Path) -> None:
    path = write(
        tmp_path / "chat.txt",
        "25.11.2026, 14:35 - Асель: Во дворе нет воды с утра <Это сообщение изменено>\n"
        "25.11.2026, 14:35 - Асель: Позвонила в КСК\n"
        "25.11.2026, 14:35 - Данияр: У нас тоже\n",
    )
    alone, _ = read(path)  # no look-up: the ids every import gave
    ids = {i.text: i.external_id for i in alone}
    stored = {
        (None, MINUTE, "Асель"): {"earlier-text", ids["Позвонила в КСК"]},
        (None, MINUTE, "Данияр"): {"another-message", ids["У нас тоже"]},  # not edited: not asked
    }
    look_up = LookUp(stored)
    items, _ = read(path, _stored_ids=look_up)
    assert look_up.asked == [{(None, MINUTE, "Асель")}]
    assert {i.text: i.external_id for i in items} == {**ids, "Во дворе нет воды с утра": "earlier-text"}

    stored[(None, MINUTE, "Асель")] = {"earlier-text", "another-text", ids["Позвонила в КСК"]}
    assert sorted(i.external_id for i in read(path, _stored_ids=LookUp(stored))[0]) == sorted(ids.values())


def test_an_undated_edited_message_keeps_its_id_and_is_not_asked_about(tmp_path: Path) -> None:
    path = write(tmp_path / "chat.txt", "31.02.2026, 14:35 - Асель: Во дворе нет воды <изменено>\n")
    look_up = LookUp({(None, "2026-02-31T14:35", "Асель"): {"earlier-text"}})
    items, errors = read(path, _stored_ids=look_up)
    assert [(i.text, i.published_at, i.external_id) for i in items] == [
        ("Во дворе нет воды", None, read(path)[0][0].external_id)
    ]
    assert len(errors) == 1 and look_up.asked == []


ORIGINAL = "25.11.2026, 14:30 - Данияр: Кто звонил в КСК?\n25.11.2026, 14:35 - Асель: Во дворе нет воды\n"
DELETED = (
    "25.11.2026, 14:30 - Данияр: Кто звонил в КСК?\n25.11.2026, 14:35 - Асель: Данное сообщение удалено\n"
)
# the same chat exported on a phone in English: other dates, another placeholder
DELETED_EN = (
    "11/25/26, 2:30 PM - Данияр: Кто звонил в КСК?\n"
    "11/25/26, 2:35 PM - Асель: This message was deleted\n"
    "11/26/26, 9:00 AM - Асель: Спасибо\n"
)


def test_a_deleted_message_whose_stored_one_is_found_is_left_out(tmp_path: Path) -> None:
    path = write(tmp_path / "chat.txt", DELETED)
    look_up = LookUp({(None, MINUTE, "Асель"): {"stored-text"}})
    items, errors = read(path, _stored_ids=look_up)
    assert errors == [] and look_up.asked == [{(None, MINUTE, "Асель")}]
    assert [i.text for i in items] == ["Кто звонил в КСК?"]
    # nothing stored to find: stored, empty, under its own id
    alone, _ = read(path, _stored_ids=LookUp())
    assert [(i.text, i.external_id, i.raw.get("deleted")) for i in alone[1:]] == [
        ("", read(path)[0][-1].external_id, True)
    ]


def test_a_placeholder_with_a_line_after_it_is_a_message(tmp_path: Path) -> None:
    path = write(tmp_path / "chat.txt", "25.11.2026, 14:35 - Асель: Данное сообщение удалено\nне мной\n")
    look_up = LookUp({(None, MINUTE, "Асель"): {"stored-text"}})
    items, _ = read(path, _stored_ids=look_up)
    assert [(i.text, i.external_id) for i in items] == [
        ("Данное сообщение удалено\nне мной", read(path)[0][0].external_id)
    ]
    assert look_up.asked == []


def test_two_deleted_messages_and_one_stored_the_earlier_is_taken_for_it(tmp_path: Path) -> None:
    path = write(
        tmp_path / "chat.txt",
        "25.11.2026, 14:35 - Асель: Данное сообщение удалено\n25.11.2026, 14:35 - Асель: Это сообщение удалено\n",
    )
    own = [i.external_id for i in read(path)[0]]
    items, _ = read(path, _stored_ids=LookUp({(None, MINUTE, "Асель"): {"stored-text"}}))
    assert [i.external_id for i in items] == [own[1]]  # the earlier one is left out
    two = LookUp({(None, MINUTE, "Асель"): {"stored-text", "another-text"}})
    assert [i.external_id for i in read(path, _stored_ids=two)[0]] == own  # which was which is not known


@pytest.fixture
def salted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_SALT", "deleted-test-salt")


def import_chat(path: Path, db: Path) -> tuple[int, int]:
    errors: list[InputError] = []
    run = importing.import_file("whatsapp", path, "chat", Config(path=None), db, report=errors.append)
    assert errors == [] and run.status == "ok", (errors, run.error)
    return run.new, run.updated


def stored(db: Path) -> tuple[list[tuple], list[tuple]]:
    with reader(db) as con:
        items = con.execute("SELECT external_id, text, version FROM items ORDER BY published_at").fetchall()
        versions = con.execute("SELECT external_id, version, text FROM item_versions").fetchall()
    return items, versions


@pytest.mark.usefixtures("salted")
def test_a_message_deleted_between_exports_keeps_its_text_in_any_phone_language(tmp_path: Path) -> None:
    db = tmp_path / "wa.duckdb"
    import_chat(write(tmp_path / "original.txt", ORIGINAL), db)
    before, _ = stored(db)
    assert import_chat(write(tmp_path / "deleted.txt", DELETED), db) == (0, 0)
    assert import_chat(write(tmp_path / "deleted-en.txt", DELETED_EN), db) == (1, 0)  # only «Спасибо»
    items, versions = stored(db)
    assert items == [*before, (items[2][0], "Спасибо", 1)] and versions == []


@pytest.mark.usefixtures("salted")
def test_the_older_export_imported_again_does_not_bring_a_deleted_text_back(tmp_path: Path) -> None:
    db = tmp_path / "wa.duckdb"
    original = write(tmp_path / "original.txt", ORIGINAL)
    import_chat(original, db)
    import_chat(write(tmp_path / "deleted.txt", DELETED), db)
    before = stored(db)
    assert import_chat(original, db) == (0, 0)
    assert stored(db) == before


@pytest.mark.usefixtures("salted")
def test_an_edited_message_deleted_later_keeps_its_edited_text(tmp_path: Path) -> None:
    db = tmp_path / "wa.duckdb"
    import_chat(write(tmp_path / "original.txt", ORIGINAL), db)
    edited = ORIGINAL.replace("нет воды", "нет воды с утра <Это сообщение изменено>")
    assert import_chat(write(tmp_path / "edited.txt", edited), db) == (0, 1)
    assert import_chat(write(tmp_path / "deleted.txt", DELETED), db) == (0, 0)
    items, versions = stored(db)
    assert [text for _, text, _ in items] == ["Кто звонил в КСК?", "Во дворе нет воды с утра"]
    assert [text for _, _, text in versions] == ["Во дворе нет воды"]
