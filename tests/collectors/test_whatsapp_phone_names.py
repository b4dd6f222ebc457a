"""WhatsApp authors written as a name with a number («Ержан (+7 701 111 2233)», «+7 701 111 2233 – Ержан"):
the number is hashed as in its other forms, the name kept as ``raw["author_name"]``."""

from __future__ import annotations

from pathlib import Path

import pytest
from testutil import WHATSAPP_SALT as SALT
from testutil import read_whatsapp as read

from collectors.whatsapp_phones import hash_phone, phone_author

NUMBER = "+7 701 111 2233"


@pytest.mark.parametrize(
    ("author", "number", "name"),
    [
        ("Ержан (+7 701 111 2233)", "+7 701 111 2233", "Ержан"),
        ("\u202aЕржан (+7 701 111 2233)\u202c", "+7 701 111 2233", "Ержан"),
        ("~ Ержан (+7 701 111 2233)", "+7 701 111 2233", "Ержан"),
        ("Аня (+7 (701) 111-22-33)", "+7 (701) 111-22-33", "Аня"),
        ("Ержан Б. (8 701 111 22 33)", "8 701 111 22 33", "Ержан Б."),
        ("+7 701 111 2233 \u2013 Ержан", "+7 701 111 2233", "Ержан"),
        ("+7 701 111 2233 \u2014 Ержан", "+7 701 111 2233", "Ержан"),
        ("+7 701-111-22-33 - Ержан", "+7 701-111-22-33", "Ержан"),
        # the forms known before stay as they were
        ("+7 701 111 2233", "+7 701 111 2233", ""),
        ("~ +7 701 111 2233", "+7 701 111 2233", ""),
        ("+7 701 111 2233 ~ Ержан", "+7 701 111 2233", "Ержан"),
    ],
)
def test_name_and_number_authors_are_numbers(author: str, number: str, name: str) -> None:
    assert phone_author(author) == (number, name)


@pytest.mark.parametrize(
    "author",
    [
        "Ержан",
        "~ Аня",
        "Участок (2023-2024)",
        "Дом 12 (1234567)",
        "2023 - 2024 гг",
        "Ержан (+7 701 111 2233) кв",
    ],
)
def test_names_with_numbers_that_are_not_phones_stay_names(author: str) -> None:
    assert phone_author(author) is None


def test_one_number_hashes_the_same_in_every_author_form() -> None:
    forms = ["+7 701 111 2233", "~ +7 701 111 2233", "+7 701 111 2233 ~ Ержан", "Ержан (+7 701 111 2233)"]
    forms.append("+7 701 111 2233 \u2013 Ержан")
    hashes = {hash_phone(phone[0], SALT) for form in forms if (phone := phone_author(form))}
    assert hashes == {hash_phone(NUMBER, SALT)}


def test_import_hashes_name_and_number_authors(tmp_path: Path) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "27.11.2026, 12:02 - +7 701 111 2233: Трубу прорвало на Сатпаева\n"
        "27.11.2026, 12:05 - +7 701 111 2233 \u2013 Ержан: Яма на дороге опасная\n"
        "27.11.2026, 12:06 - Ержан (+7 701 111 2233): Канализация течёт\n"
        "27.11.2026, 12:07 - Айгерим: Свет отключили\n",
        encoding="utf-8",
    )
    items, errors = read(chat)
    assert errors == []
    phone = hash_phone(NUMBER, SALT)
    assert [(i.author, i.raw.get("author_name"), i.text) for i in items] == [
        (phone, None, "Трубу прорвало на Сатпаева"),
        (phone, "Ержан", "Яма на дороге опасная"),
        (phone, "Ержан", "Канализация течёт"),
        ("Айгерим", None, "Свет отключили"),
    ]
    assert not any("701" in repr(i) for i in items)  # the number is nowhere in clear
