"""Relative dates whose number word is in the genitive after «около», «более»… («около двух часов назад»),
Kazakh after «шамамен» (about), and English «a few seconds ago»: read as their nominative forms are
(tests/collectors/test_dates_spelled.py); each of the Russian and English ones was left unread."""

from __future__ import annotations

from datetime import datetime

import pytest
from datekit import NOW, at

from collectors.dates import parse_date, parse_relative

# NOW is 14:00 on 25 November 2026 in Almaty.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("около двух часов назад", at(2026, 11, 25, 12, 0)),
        ("более трёх дней назад", at(2026, 11, 22, 14, 0)),
        ("более трех дней назад", at(2026, 11, 22, 14, 0)),
        ("двух недель назад", at(2026, 11, 11, 14, 0)),
        ("Около пяти минут назад", at(2026, 11, 25, 13, 55)),
        ("свыше четырёх дней назад", at(2026, 11, 21, 14, 0)),
        ("менее десяти минут назад", at(2026, 11, 25, 13, 50)),
        ("около одиннадцати часов назад", at(2026, 11, 25, 3, 0)),
        ("около двадцати минут назад", at(2026, 11, 25, 13, 40)),
        ("около двадцати пяти минут назад", at(2026, 11, 25, 13, 35)),
        ("около сорока минут назад", at(2026, 11, 25, 13, 20)),
        ("около одного часа назад", at(2026, 11, 25, 13, 0)),
        ("более полутора часов назад", at(2026, 11, 25, 12, 30)),
        ("Обновлено: около двух часов назад", at(2026, 11, 25, 12, 0)),
    ],
)
def test_a_genitive_number_word_is_read(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("шамамен екі сағат бұрын", at(2026, 11, 25, 12, 0)),
        ("Шамамен үш күн бұрын", at(2026, 11, 22, 14, 0)),
        ("шамамен сағат бұрын", at(2026, 11, 25, 13, 0)),
        ("шамамен еки сагат бурын", at(2026, 11, 25, 12, 0)),
    ],
)
def test_kazakh_about_before_the_count_is_read(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a few seconds ago", at(2026, 11, 25, 14, 0)),
        ("A few seconds ago", at(2026, 11, 25, 14, 0)),
        ("less than a minute ago", at(2026, 11, 25, 14, 0)),  # was a minute back
        ("a minute ago", at(2026, 11, 25, 13, 59)),
        ("an hour ago", at(2026, 11, 25, 13, 0)),
    ],
)
def test_english_a_moment_ago(text: str, expected: datetime) -> None:
    assert parse_relative(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Ремонт займёт около двух часов, сообщили в акимате.",  # no «назад»: no date
        "двух часов",
        "около двух",
        "около двух назад",
        "около ста лет назад",  # hundreds are not read, as «сто лет назад»
        "около ста пяти лет назад",
        "более двухсот лет назад",
        "двух тысяч лет назад",
        "нескольких часов назад",
        "a few minutes ago",  # as «несколько минут назад»
        "a few seconds",
    ],
)
def test_what_is_no_date_stays_none(text: str) -> None:
    assert parse_relative(text, NOW) is None
