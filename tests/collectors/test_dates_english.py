"""English dates as English-language portal templates and Facebook exports print them, and the rule that
keeps them from changing what Russian and Kazakh texts read as: English forms are read last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from datekit import NOW, PLUS6, at
from hypothesis import given
from hypothesis import strategies as st

from collectors.dates import ALMATY, EN_MONTHS, parse_absolute, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("November 25, 2026", at(2026, 11, 25)),
        ("Nov 25, 2026 10:30", at(2026, 11, 25, 10, 30)),
        ("25 November 2026", at(2026, 11, 25)),
        ("Wednesday, November 25, 2026", at(2026, 11, 25)),
        ("Nov. 25, 2026, 3:05 PM", at(2026, 11, 25, 15, 5)),
        ("Sept. 3, 2026", at(2026, 9, 3)),
        ("November 3rd, 2025 at 12:05 am", at(2025, 11, 3, 0, 5)),
        ("Posted on Jan 5 2024, 10:00", at(2024, 1, 5, 10, 0, tz=PLUS6)),  # before 2024-03-01: UTC+6
        ("Nov 25, 2026 10:30 GMT", datetime(2026, 11, 25, 10, 30, tzinfo=UTC)),
        ("10:30, November 25, 2026", at(2026, 11, 25, 10, 30)),  # the clock before the date
        ("Published: May 12, 2026", at(2026, 5, 12)),
        # relative, counted back from NOW (14:00 in Almaty)
        ("3 hours ago", at(2026, 11, 25, 11, 0)),
        ("an hour ago", at(2026, 11, 25, 13, 0)),
        ("a minute ago", at(2026, 11, 25, 13, 59)),
        ("2 days ago", at(2026, 11, 23, 14, 0)),
        ("Updated 5 mins ago", at(2026, 11, 25, 13, 55)),
        ("2 hrs ago", at(2026, 11, 25, 12, 0)),
        ("1 week ago", at(2026, 11, 18, 14, 0)),
        ("3 months ago", at(2026, 8, 25, 14, 0)),
        ("yesterday at 10:30", at(2026, 11, 24, 10, 30)),
        ("Yesterday at 10:30 PM", at(2026, 11, 24, 22, 30)),
        ("Today, 9:15 AM", at(2026, 11, 25, 9, 15)),
        ("Updated yesterday", at(2026, 11, 24)),
        ("the day before yesterday at 9:00", at(2026, 11, 23, 9, 0)),
        ("Just now", at(2026, 11, 25, 14, 0)),
        ("Posted: just now", at(2026, 11, 25, 14, 0)),
        ("Yesterday", at(2026, 11, 24)),
        ("Score 3:05. Yesterday at 10:30 PM", at(2026, 11, 24, 22, 30)),  # the clock beside the word
        # bylines and labels the first fix lost (review)
        ("(yesterday at 10:30)", at(2026, 11, 24, 10, 30)),
        ("10:30 yesterday", at(2026, 11, 24, 10, 30)),
        ("3:05 PM Yesterday", at(2026, 11, 24, 15, 5)),
        ("By John Smith | Yesterday", at(2026, 11, 24)),
        ("Politics · yesterday", at(2026, 11, 24)),
        ("Date: yesterday", at(2026, 11, 24)),
        ("Added yesterday", at(2026, 11, 24)),
        ("Sent just now", at(2026, 11, 25, 14, 0)),
    ],
)
def test_english_forms(text: str, expected: datetime) -> None:
    got = parse_date(text, NOW)
    assert got == expected, text
    assert got is not None and got.utcoffset() == expected.utcoffset()


def test_every_english_month_full_and_abbreviated_with_and_without_a_dot() -> None:
    for number, name in enumerate(EN_MONTHS, 1):
        for word in (name.capitalize(), name[:3].capitalize(), name[:3].capitalize() + "."):
            assert parse_date(f"{word} 5, 2025", NOW) == at(2025, number, 5), word
            assert parse_date(f"{word} 5, 2025, 2:35 PM", NOW) == at(2025, number, 5, 14, 35), word


@pytest.mark.parametrize(
    "text",
    [
        # «may» the verb, and month names without a year after the day: words of English sentences
        "I may go there in 2026",
        "Talks may 12, 2026 resume",
        "May 5",
        "Nov 25",
        "March 2026",
        "Mar 8th",
        # today, yesterday, just now inside a sentence or a link: no date
        "Officials said today that the road is closed",
        "Posted yesterday by the mayor's office",
        "/video/kill-me-today-tomorrow",
        "I just now saw it",
        # a name, a tag, a link or a credit that ends with the word (review: «Kazakhstan Today» dated
        # every article it credits)
        "Источник: Kazakhstan Today",
        "Фото: Tengrinews / Almaty Today",
        "Теги: новости, today",
        "#news #today",
        "https://site.kz/news/today",
        "Посетите yesterday",
        "#today",
        "/today",
        "Match 2:1, score 3:05, yesterday",  # and never a clock away from the word
        # no «ago», or a span back past what can be a publication time
        "3 hours of rain",
        "in 5 minutes",
        "40 years ago",
        "Novosibirsk 25, 2026",
    ],
)
def test_english_words_that_are_no_date(text: str) -> None:
    assert parse_date(text, NOW) is None


def test_absolute_english_dates_are_read_where_only_absolute_ones_are() -> None:
    # portal comments' heads and Facebook export cells are read with parse_absolute
    assert parse_absolute("Asel · Nov 24, 2026 at 9:40 PM", now=NOW) == at(2026, 11, 24, 21, 40)
    assert parse_absolute("3 hours ago", now=NOW) is None
    # what was read before English dates were, for ids that hash a date (facebook_export_dates)
    assert parse_absolute("Nov 24, 2026 at 9:40 PM", now=NOW, english=False) is None
    assert parse_absolute("24.11.2026 21:40", now=NOW, english=False) == at(2026, 11, 24, 21, 40)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25 ноября 2026 (updated November 26, 2026)", at(2026, 11, 25)),
        ("Вчера в 21:40 · 2 hours ago", at(2026, 11, 24, 21, 40)),
        ("3 hours ago · 24.11.2026", at(2026, 11, 24)),
        ("Nov 20, 2026 · 2 сағат бұрын", at(2026, 11, 25, 12, 0)),
        ("yesterday · 25 ноября", at(2026, 11, 25)),
    ],
)
def test_a_russian_or_kazakh_date_wins_over_an_english_one(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


# -- the forms read before English came: each reads as it did, with English words around it too ---------

RU_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября")
RU_GENITIVE += ("октября", "ноября", "декабря")
KK_NAMES = ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек")
KK_NAMES += ("қазан", "қараша", "желтоқсан")
EN_SHORT = tuple(name[:3].capitalize() for name in EN_MONTHS)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def existing_forms(m: datetime) -> list[str]:
    """``m`` (naive, Almaty wall clock) as each absolute form read before English came prints it."""
    return [
        f"{m.day} {RU_GENITIVE[m.month - 1]} {m.year}, {m:%H:%M}",
        f"{m.day} {RU_GENITIVE[m.month - 1]} {m.year} г. в {m:%H:%M}",
        f"{m.day} {KK_NAMES[m.month - 1]} {m.year}, {m:%H:%M}",
        f"{m.year} жылғы {m.day} {KK_NAMES[m.month - 1]} {m:%H:%M}",
        f"{m:%d.%m.%Y %H:%M}",
        f"{m:%H:%M} {m:%d.%m.%Y}",
        f"{m:%Y-%m-%dT%H:%M}",
        f"{WEEKDAYS[m.weekday()]}, {m.day:02d} {EN_SHORT[m.month - 1]} {m.year} {m:%H:%M}:00",
        f"{m.day} {EN_MONTHS[m.month - 1].capitalize()} {m.year} {m:%H:%M}",
    ]


@given(
    moment=st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2026, 11, 25, 23, 59)),  # noqa: DTZ001
    english=st.sampled_from(["", "Updated November 26, 2026 · ", "3 hours ago · ", "Just now · ", "Today, "]),
)
def test_the_forms_read_before_read_the_same_with_english_beside_them(moment: datetime, english: str) -> None:
    moment = moment.replace(second=0, microsecond=0)
    for text in existing_forms(moment):
        got = parse_date(english + text, NOW)
        assert got is not None, english + text
        assert got.replace(tzinfo=None) == moment, english + text  # as printed, in Almaty time
        assert got.utcoffset() == moment.replace(tzinfo=ALMATY).utcoffset(), english + text


@given(
    hours=st.integers(min_value=1, max_value=1000),
    english=st.sampled_from(["", "an hour ago · ", "Nov 1, 2026 · "]),
)
def test_russian_and_kazakh_relative_forms_read_the_same_with_english_beside_them(
    hours: int, english: str
) -> None:
    expected = NOW - timedelta(hours=hours)
    assert parse_date(f"{english}{hours} часов назад", NOW) == expected
    assert parse_date(f"{english}{hours} сағат бұрын", NOW) == expected
