"""Which stored chat names an edited WhatsApp message is looked up under (collectors/whatsapp_chats.py),
with store look-ups written in the test; tests/batch/test_import_whatsapp_renamed.py runs the same
against a real database. A name is a chat's earlier one when at least three of the chat's sampled
messages carry it and nearly all of those stored at all do, no sampled message of another chat of the
file does, no other chat of the file has it now, and many chats do not get it by construction (None,
a bare ``_chat.txt``); it is looked up only when the chat's own name gives no candidate.
"""

from __future__ import annotations

import zipfile
from collections.abc import Collection, Mapping
from pathlib import Path

import pytest
from testutil import read_whatsapp as read

from collectors.whatsapp_chats import AROUND, MAX_AROUND, SPREAD, shared_name
from collectors.whatsapp_entries import EditKey

EDITED = " <Это сообщение изменено>"
MINUTE = "2026-11-25T14:35"
CHAT = (
    "25.11.2026, 14:30 - Данияр: Кто-нибудь звонил в КСК?\n"
    "25.11.2026, 14:31 - Асель: Нет ещё\n"
    "25.11.2026, 14:32 - Ерлан: Позвоню сейчас\n"
    f"25.11.2026, 14:35 - Асель: Во дворе нет воды с утра{EDITED}\n"
)
UNEDITED = ("Кто-нибудь звонил в КСК?", "Нет ещё", "Позвоню сейчас")


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


def alone(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def archive(path: Path, chats: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in chats.items():
            zf.writestr(name, text)
    return path


def own_ids(path: Path) -> dict[str, str]:
    return {item.text: item.external_id for item in read(path)[0]}


def edited_id(items: list) -> str:
    return next(i.external_id for i in items if i.raw.get("edited"))


def test_a_name_three_sampled_messages_carry_is_the_chats_earlier_one(tmp_path: Path) -> None:
    path = alone(tmp_path / "chat.txt", CHAT)
    ids = own_ids(path)
    earlier = {("old.txt", MINUTE, "Асель"): {"stored-original"}}

    two = Store({ids["Нет ещё"]: "old.txt", ids["Позвоню сейчас"]: "old.txt"}, earlier)
    # two messages are no evidence: their ids may be copies of another chat's (forwarded messages)
    assert edited_id(two.read(path)) == ids["Во дворе нет воды с утра"]
    assert two.asked_keys == [{(None, MINUTE, "Асель")}]

    three = Store({ids[text]: "old.txt" for text in UNEDITED}, earlier)
    assert edited_id(three.read(path)) == "stored-original"
    assert three.asked_keys == [{(None, MINUTE, "Асель"), ("old.txt", MINUTE, "Асель")}]
    assert three.asked_chats == [{ids[text] for text in UNEDITED}]
    edited = next(i for i in three.read(path) if i.raw.get("edited"))
    assert edited.raw["chat"] == "old.txt"  # stays where its stored message is


def test_the_earlier_name_carries_nearly_all_the_stored_sampled_messages(tmp_path: Path) -> None:
    more = [f"25.11.2026, 13:{n:02d} - Данияр: сообщение {n}\n" for n in range(5)]
    path = alone(tmp_path / "chat.txt", "".join(more) + CHAT)
    ids = own_ids(path)
    sampled = [f"сообщение {n}" for n in range(5)] + list(UNEDITED)  # eight
    earlier = {("old.txt", MINUTE, "Асель"): {"stored-original"}}

    # three under one name and three under another (forwarded copies, or two earlier names): neither
    split = Store({ids[t]: "old.txt" for t in sampled[:3]} | {ids[t]: "B.txt" for t in sampled[3:6]}, earlier)
    assert edited_id(split.read(path)) == ids["Во дворе нет воды с утра"]
    assert split.asked_keys == [{(None, MINUTE, "Асель")}]

    # five of eight: not nearly all, also when the rest are stored under the chat's own name
    five = Store({ids[t]: "old.txt" if n < 5 else None for n, t in enumerate(sampled)}, earlier)
    assert edited_id(five.read(path)) == ids["Во дворе нет воды с утра"]

    # seven of eight (one a copy of another chat's message): the chat's earlier name
    seven = Store({ids[t]: "B.txt" if n == 0 else "old.txt" for n, t in enumerate(sampled)}, earlier)
    assert edited_id(seven.read(path)) == "stored-original"
    assert seven.asked_keys == [{(None, MINUTE, "Асель"), ("old.txt", MINUTE, "Асель")}]


@pytest.mark.parametrize(
    "name",
    [None, "_chat.txt", "WhatsApp Chat.txt", "Чат WhatsApp.txt", "_chat (1).txt", "WhatsApp Chat with.txt"],
)
def test_a_name_many_chats_share_is_never_an_earlier_name(tmp_path: Path, name: str | None) -> None:
    # every chat imported alone is stored without a name, every iOS chat beside a sent .txt as
    # "_chat.txt": the messages stored under such a name may be any of those chats'
    other = "25.11.2026, 09:00 - Марат: Свет отключили\n"
    path = archive(
        tmp_path / "chats.zip", {"WhatsApp Chat with A.txt": CHAT, "WhatsApp Chat with B.txt": other}
    )
    ids = own_ids(path)
    store = Store({ids[t]: name for t in UNEDITED}, {(name, MINUTE, "Асель"): {"another-chats-message"}})
    assert edited_id(store.read(path)) == ids["Во дворе нет воды с утра"]
    assert store.asked_keys == [{("WhatsApp Chat with A.txt", MINUTE, "Асель")}]


def test_which_names_are_shared_by_construction() -> None:
    assert shared_name(None) and shared_name("_chat.txt") and shared_name("WhatsApp Chat.txt")
    assert shared_name("Чат WhatsApp с.txt") and shared_name("WhatsApp Chat 2.txt") and shared_name("чат.txt")
    # a name with the chat's in it, or a folder that names it
    assert not shared_name("WhatsApp Chat with Жалобы.txt") and not shared_name(
        "Чат WhatsApp с КСК Медеу.txt"
    )
    assert not shared_name("WhatsApp Chat with +7 701 123 45 67.txt")
    assert not shared_name("Жалобы/_chat.txt") and not shared_name("WhatsApp Chat - Дом 12/_chat.txt")


def test_the_chats_own_name_is_looked_up_first(tmp_path: Path) -> None:
    path = alone(tmp_path / "chat.txt", CHAT)
    ids = own_ids(path)
    renamed = {ids[t]: "old.txt" for t in UNEDITED}
    # a candidate under its own name: taken, whatever the earlier name holds (both were two to choose
    # from, and when the earlier name was the empty one of all lone chats, one was another chat's)
    both = {(None, MINUTE, "Асель"): {"own-original"}, ("old.txt", MINUTE, "Асель"): {"stored-original"}}
    assert edited_id(Store(renamed, both).read(path)) == "own-original"

    # none left under its own name (its one stored message there is the file's own, unedited): the
    # earlier name's
    same_minute = CHAT.replace(
        "14:35 - Асель: Во дворе", "14:35 - Асель: Фото подвала\n25.11.2026, 14:35 - Асель: Во дворе"
    )
    path = alone(tmp_path / "later.txt", same_minute)
    ids = own_ids(path)
    stored = {
        (None, MINUTE, "Асель"): {ids["Фото подвала"]},
        ("old.txt", MINUTE, "Асель"): {"stored-original"},
    }
    chats = {**{ids[t]: "old.txt" for t in UNEDITED}, ids["Фото подвала"]: None}
    assert edited_id(Store(chats, stored).read(path)) == "stored-original"


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
