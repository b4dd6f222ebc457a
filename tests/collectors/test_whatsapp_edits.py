"""The importer's side of edited WhatsApp messages: which messages it asks the store about, and which
ids it gives, with a look-up written in the test (tests/batch/test_import_whatsapp_edits.py runs it
against a real database)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from testutil import read_whatsapp as read

from collectors.whatsapp_entries import EditKey

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
