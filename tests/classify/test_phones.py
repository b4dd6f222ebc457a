"""Phone numbers masked in every form Kazakhstan texts write them (``classify.phones``), and what stays."""

from __future__ import annotations

import pytest

from classify.normalise import mask, normalise
from classify.phones import mask_phones

PHONES = [
    "+7\u00a0701\u00a0234\u00a056\u00a078",  # no-break spaces (Word, web pages)
    "+7\u202f701\u202f234\u202f5678",  # narrow no-break spaces
    "8\u2009701\u2009234\u200956\u200978",  # thin spaces
    "8 (7172) 55-66-77",  # a four-digit area code (Astana)
    "8(7172)556677",
    "+7 (7172) 55 66 77",
    "8 7172 556 677",
    "8 (72131) 5-66-77",  # a five-digit area code (a district)
    "8 72131 56677",
    "7 701 234 56 78",  # a leading 7 without the plus
    "7-701-234-56-78",
    "77012345678",
    "+ 7 701 234 56 78",
    "\uff0b7 701 234 56 78",  # the full-width plus
    "8\u2011701\u2011234\u201156\u201178",  # non-breaking hyphens
    "8\u2013701\u2013234\u201356\u201378",  # en dashes
    "8 800 080 77 77",  # toll-free numbers are phones too
    "8 (800) 080-77-77",
    "+ 996 555 123 456",
    "\uff0b998 90 123 45 67",
    # what was masked before stays masked
    "+7 701 234 56 78",
    "8 (701) 999-88-77",
    "87012345678",
    "+7-701-234-5678",
    "+49 30 1234567",
]

NOT_PHONES = [
    "1 200 000 тенге",
    "7 200 000 тенге",
    "8 000 000 000 тенге",
    "в 2024 году 8 500 000 тенге",
    "12.05.2024",
    "с 8.05.2024 по 12.05.2024",
    "2023-2024",
    "2023\u20132024 гг",
    "8 2023-2024",
    "ИИН 900101300123",
    "карта 4400 4301 2345 6789",
    "8600 1234 5678 9012",
    "17012345678",
    "78 000 000 000",
    "1 700 234 56 78",
    "8 (800)",
    "25.11.2026 14:35",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_forms_are_masked(phone: str) -> None:
    text = f"звоните {phone}, там ответят"
    assert mask(text) == "звоните [phone], там ответят"  # the training export masks with mask() alone
    assert normalise(text) == "звоните [phone], там ответят"


@pytest.mark.parametrize("text", NOT_PHONES)
def test_numbers_that_are_not_phones_stay(text: str) -> None:
    assert mask_phones(text) == text
    assert mask(f"итого {text}.") == f"итого {text}."


def test_several_numbers_and_what_is_around_them() -> None:
    text = (
        "тел.8(7172)556677, моб. +7\u00a0701\u00a0234\u00a056\u00a078 или 8 (72131) 5-66-77; 1 200 000 тенге"
    )
    assert mask(text) == "тел.[phone], моб. [phone] или [phone]; 1 200 000 тенге"


def test_a_plus_and_a_space_are_masked_with_the_number() -> None:
    assert mask("номер + 7 701 234 56 78") == "номер [phone]"  # not "номер + [phone]"
