"""Dates in text no one meant as a date: spans that leave the calendar, long runs of digits or letters,
and the forms pages print beside the usual ones (a zone in brackets, the clock before the date)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from collectors.dates import parse_date

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 14:00 in Almaty (UTC+5)
PLUS5 = timezone(timedelta(hours=5))


@pytest.mark.parametrize(
    "text",
    [
        "3000 лет назад",  # an article about history: before year 1
        "Это было 3000 лет назад",
        "99999999999999999999 минут назад",  # more minutes than a timedelta holds
        "999999999 дней назад",
        "1000000 месяцев назад",
        "5000 жыл бұрын",
        "99999999999999 сағат бұрын",
        "1" * 5000 + " дней назад",  # more digits than int() reads
    ],
)
def test_a_span_back_beyond_the_calendar_is_no_date_not_an_error(text: str) -> None:
    assert parse_date(text, NOW) is None


@pytest.mark.parametrize(
    "text",
    [
        "1" * 40_000,  # a meta tag's content, a sitemap's lastmod, a feed's date: whatever they hold
        "12 " + "а" * 40_000,
        "2026жыл" * 10_000,
        "5" + "1" * 40_000 + " минут назад",
    ],
)
def test_long_runs_of_digits_or_letters_take_no_time(text: str) -> None:
    # Each of these took from seconds to minutes: the searches tried every position of the run
    # against the rest of it.
    started = time.monotonic()
    parse_date(text, NOW)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "25 ноября 2026 г. в 14:35 (мск)",
            datetime(2026, 11, 25, 14, 35, tzinfo=timezone(timedelta(hours=3))),
        ),
        ("25.11.2026 14:35 (МСК)", datetime(2026, 11, 25, 14, 35, tzinfo=timezone(timedelta(hours=3)))),
        ("25.11.2026 14:35 (UTC+6)", datetime(2026, 11, 25, 14, 35, tzinfo=timezone(timedelta(hours=6)))),
        ("25.11.2026 14:35 (+0600)", datetime(2026, 11, 25, 14, 35, tzinfo=timezone(timedelta(hours=6)))),
        ("25.11.2026 14:35 (обновлено)", datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)),
    ],
)
def test_a_zone_in_brackets_is_read(text: str, expected: datetime) -> None:
    got = parse_date(text, NOW)
    assert got == expected
    assert got is not None and got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:35 25.11.2026", datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)),  # as Sputnik prints it
        ("14:35, 25 ноября 2026", datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)),
        ("14:35:10 | 25.11.2026", datetime(2026, 11, 25, 14, 35, 10, tzinfo=PLUS5)),
        ("12:00 2026 жылғы 25 қараша", datetime(2026, 11, 25, 12, 0, tzinfo=PLUS5)),
        ("10:15 24 ноября", datetime(2026, 11, 24, 10, 15, tzinfo=PLUS5)),
        # a time after the date wins; a number that is no clock is not taken for one
        ("09:00 25.11.2026 14:35", datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)),
        ("125:35 25.11.2026", datetime(2026, 11, 25, 0, 0, tzinfo=PLUS5)),
        # the end of a range before the date is no time of it
        ("10:00-12:00 25.11.2026", datetime(2026, 11, 25, 0, 0, tzinfo=PLUS5)),
        ("10:00 – 12:00 25.11.2026", datetime(2026, 11, 25, 0, 0, tzinfo=PLUS5)),
        ("с 10:00 до 18:00, 25 ноября 2026", datetime(2026, 11, 25, 0, 0, tzinfo=PLUS5)),
        # a dash after a word is a separator, not a range
        ("Общество — 14:35, 25 ноября 2026", datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)),
        ("Kazinform - 14:35 25.11.2026", datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)),
    ],
)
def test_a_clock_printed_before_the_date_is_its_time(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25.11.2026 2:35 PM", datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)),
        ("25.11.2026 2:35 p.m.", datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)),
        ("25.11.2026 12:05 AM", datetime(2026, 11, 25, 0, 5, tzinfo=PLUS5)),
        ("25.11.2026 12:05 PM", datetime(2026, 11, 25, 12, 5, tzinfo=PLUS5)),
        ("25 ноября 2026, 2:35 ПП", datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)),
        ("25 ноября 2026, 9:10 до полудня", datetime(2026, 11, 25, 9, 10, tzinfo=PLUS5)),
        ("25 қараша 2026, 3:00 түстен кейін", datetime(2026, 11, 25, 15, 0, tzinfo=PLUS5)),
        ("25.11.2026 2:35 PM GMT", datetime(2026, 11, 25, 14, 35, tzinfo=UTC)),
        ("сегодня в 2:35 PM", datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)),
        ("вчера в 9:00 ДП", datetime(2026, 11, 24, 9, 0, tzinfo=PLUS5)),
        ("25.11.2026 14:35 PM", datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)),  # the 24-hour clock wins
        ("25.11.2026 2:35 амбар", datetime(2026, 11, 25, 2, 35, tzinfo=PLUS5)),  # a word, not a.m.
    ],
)
def test_a_12_hour_clock_is_read_as_such(text: str, expected: datetime) -> None:
    # «2:35 PM» was 02:35: twelve hours off
    assert parse_date(text, NOW) == expected
