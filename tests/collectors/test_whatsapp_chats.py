"""Which stored chat names an edited WhatsApp message is looked up under (collectors/whatsapp_chats.py),
with store look-ups written in the test; tests/batch/test_import_whatsapp_renamed.py runs the same
against a real database. A name is a chat's earlier one when two of the chat's sampled messages carry
it, no sampled message of another chat of the file does, and no other chat of the file has it now.
"""

from __future__ import annotations

import zipfile
from collections.abc import Collection, Mapping
from pathlib import Path

from testutil import read_whatsapp as read

from collectors.whatsapp_chats import AROUND, MAX_AROUND, SPREAD
from collectors.whatsapp_entries import EditKey

EDITED = " <Это сообщение изменено>"
MINUTE = "2026-11-25T14:35"
CHAT = (
    "25.11.2026, 14:30 - Данияр: Кто-нибудь звонил в КСК?\n"
    "25.11.2026, 14:31 - Асель: Нет ещё\n"
    "25.11.2026, 14:32 - Ерлан: Позвоню сейчас\n"
    f"25.11.2026, 14:35 - Асель: Во дворе нет воды с утра{EDITED}\n"
)


class Store:
    """Both look-ups of a store whose messages carry the chat names in ``chats``; records what is asked."""

    def __init__(self, chats: Mapping[str, str | None], ids: Mapping[EditKey, Collection[str]]) -> None:
        self.chats, self.ids = dict(chats), dict(ids)
        self.asked_chats: list[set[str]] = []
        self.asked_keys: list[set[EditKey]] = []

    def stored_chats(self, ids: Collection[str]) -> Mapping[str, str | None]:
        self.asked_chats.append(set(ids))
        return {i: self.chats[i] for i in ids if i in self.chats}

    def stored_ids(self, keys: Collection[EditKey]) -> Mapping[EditKey, Collection[str]]:
        self.asked_keys.append(set(keys))
        return {key: self.ids[key] for key in keys if key in self.ids}

    def read(self, path: Path) -> list:
        items, errors = read(path, _stored_ids=self.stored_ids, _stored_chats=self.stored_chats)
        assert errors == []
        return items


def archive(path: Path, chats: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in chats.items():
            zf.writestr(name, text)
    return path


def own_ids(path: Path) -> dict[str, str]:
    return {item.text: item.external_id for item in read(path)[0]}


def test_a_name_two_sampled_messages_carry_is_the_chats_earlier_one(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(CHAT, encoding="utf-8")
    ids = own_ids(path)
    earlier = {("old.txt", MINUTE, "Асель"): {"stored-original"}}

    one = Store({ids["Нет ещё"]: "old.txt"}, earlier)
    assert {i.text: i.external_id for i in one.read(path)}["Во дворе нет воды с утра"] == ids[
        "Во дворе нет воды с утра"
    ]  # one message is no evidence: its id may be a copy's of another chat
    assert one.asked_keys == [{(None, MINUTE, "Асель")}]

    two = Store({ids["Нет ещё"]: "old.txt", ids["Позвоню сейчас"]: "old.txt"}, earlier)
    assert {i.text: i.external_id for i in two.read(path)}["Во дворе нет воды с утра"] == "stored-original"
    assert two.asked_keys == [{(None, MINUTE, "Асель"), ("old.txt", MINUTE, "Асель")}]
    assert two.asked_chats == [{ids["Кто-нибудь звонил в КСК?"], ids["Нет ещё"], ids["Позвоню сейчас"]}]
    edited = next(i for i in two.read(path) if i.raw.get("edited"))
    assert edited.raw["chat"] == "old.txt"  # stays where its stored message is


def test_a_name_of_another_chat_of_the_file_is_not_taken(tmp_path: Path) -> None:
    other = "25.11.2026, 09:00 - Марат: Свет отключили\n25.11.2026, 09:05 - Марат: На Абая тоже\n"
    path = archive(tmp_path / "chats.zip", {"A2.txt": CHAT, "B.txt": other})
    ids = own_ids(path)
    a_sample = ("Нет ещё", "Позвоню сейчас", "Кто-нибудь звонил в КСК?")
    earlier = {("old.txt", MINUTE, "Асель"): {"stored-original"}, ("B.txt", MINUTE, "Асель"): {"b-message"}}

    # a name that is another chat's now: B.txt holds the messages stored under it, whatever A2's say
    now = Store({ids[text]: "B.txt" for text in a_sample}, earlier)
    assert [i.external_id for i in now.read(path) if i.raw.get("edited")] == [ids["Во дворе нет воды с утра"]]
    assert now.asked_keys == [{("A2.txt", MINUTE, "Асель")}]

    # a name a sampled message of another chat carries: both chats may have messages under it
    shared = Store({**{ids[t]: "old.txt" for t in a_sample}, ids["На Абая тоже"]: "old.txt"}, earlier)
    assert [i.external_id for i in shared.read(path) if i.raw.get("edited")] == [
        ids["Во дворе нет воды с утра"]
    ]
    assert shared.asked_keys == [{("A2.txt", MINUTE, "Асель")}]
    assert ids["На Абая тоже"] in shared.asked_chats[0]  # the chat without edits is sampled too

    alone = Store({ids[t]: "old.txt" for t in a_sample}, earlier)
    assert [i.external_id for i in alone.read(path) if i.raw.get("edited")] == ["stored-original"]


def test_the_sample_is_bounded_and_holds_the_messages_around_the_edited_ones(tmp_path: Path) -> None:
    lines = [f"25.11.2026, {10 + n // 60:02d}:{n % 60:02d} - Асель: сообщение {n}" for n in range(600)]
    edited = range(100, 600, 10)  # fifty edited messages
    for n in edited:
        lines[n] += EDITED
    path = tmp_path / "chat.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ids = own_ids(path)
    store = Store({}, {})
    items = store.read(path)
    assert len(items) == 600 and len(store.asked_keys[0]) == 50
    (sample,) = store.asked_chats
    assert len(sample) <= SPREAD + MAX_AROUND
    around_first = {ids[f"сообщение {n}"] for n in range(100 - AROUND, 100)} | {
        ids[f"сообщение {n}"] for n in range(101, 110)
    }
    assert around_first <= sample
    assert not sample & {ids[f"сообщение {n}"] for n in edited}  # their ids hash the new text
    assert ids["сообщение 0"] in sample and ids["сообщение 599"] not in sample  # spread, from the start
