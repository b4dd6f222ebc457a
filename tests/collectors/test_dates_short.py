"""The forms a date element carries and a sentence does not: Facebook's short spans («3h», «2 дн.»,
«1 апта»; as a timestamp only, by parse_relative), English days and months without a year («November 25
at 10:30»), and an English day beside its clock; each read as the element's whole text (or a part a
separator sets apart), never in a sentence."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from datekit import NOW, at
from hypothesis import given
from hypothesis import strategies as st

from collectors.dates import EN_MONTHS, parse_absolute, parse_date, parse_relative
from collectors.extract import extract_article

RU_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября")
RU_GENITIVE += ("октября", "ноября", "декабря")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # English, as Facebook's timestamp links print them (NOW is 14:00 in Almaty)
        ("3h", at(2026, 11, 25, 11, 0)),
        ("2d", at(2026, 11, 23, 14, 0)),
        ("1w", at(2026, 11, 18, 14, 0)),
        ("5m", at(2026, 11, 25, 13, 55)),
        ("1y", at(2025, 11, 25, 14, 0)),
        ("3 hrs", at(2026, 11, 25, 11, 0)),
        ("1 hr", at(2026, 11, 25, 13, 0)),
        ("2 mins", at(2026, 11, 25, 13, 58)),
        (" 4d ", at(2026, 11, 21, 14, 0)),
        # Russian
        ("3 ч.", at(2026, 11, 25, 11, 0)),
        ("5 мин.", at(2026, 11, 25, 13, 55)),
        ("2 дн.", at(2026, 11, 23, 14, 0)),
        ("1 нед.", at(2026, 11, 18, 14, 0)),
        ("1 г.", at(2025, 11, 25, 14, 0)),
        ("3ч", at(2026, 11, 25, 11, 0)),
        # Kazakh
        ("3 сағ.", at(2026, 11, 25, 11, 0)),
        ("5 мин", at(2026, 11, 25, 13, 55)),
        ("2 күн", at(2026, 11, 23, 14, 0)),
        ("1 апта", at(2026, 11, 18, 14, 0)),
    ],
)
def test_a_short_span_as_the_whole_text(text: str, expected: datetime) -> None:
    # a Facebook export's cell holding one is reported as relative, not unreadable
    assert parse_relative(text, NOW) == expected, text
    assert parse_absolute(text, now=NOW) is None, text
    # a portal's date element «3 мин», «5 min», «2 hours» is a reading time or a video's length (review)
    assert parse_date(text, NOW) is None, text


@pytest.mark.parametrize("text", ["Just now", "только что", "жаңа ғана"])
def test_just_now_is_read_as_a_date_element_too(text: str) -> None:
    assert parse_date(text, NOW) == parse_relative(text, NOW) == at(2026, 11, 25, 14, 0), text


@pytest.mark.parametrize(
    "html",
    [
        '<span class="read-time">3 мин</span>',
        '<span class="reading-time">5 min</span>',
        '<span class="video-time">2 hours</span>',
        '<span class="meta">1 апта</span>',
        '<div class="event-time">Понедельник, 10:00</div>',
    ],
)
def test_a_reading_time_or_an_events_weekday_is_no_publication_time(html: str) -> None:
    # review: each gave the fetch time minus the span (or last Monday) as the article's time
    assert extract_article(_page(html), "https://e.kz/n/1", now=NOW).published_at is None, html


def test_a_reading_time_does_not_give_a_day_its_time() -> None:
    published = '<meta property="article:published_time" content="2026-11-25">'
    got = extract_article(
        _page('<span class="read-time">3 мин</span>', published), "https://e.kz/n/1", now=NOW
    )
    assert got.published_at == at(2026, 11, 25), "a day without a time took 13:57 from «3 мин»"


def _page(meta: str, head: str = "") -> str:
    body = "".join(
        f"<p>Абзац {i}: в Алматы обсудили новый проект благоустройства улиц.</p>" for i in range(8)
    )
    return f"<html><head><title>T</title>{head}</head><body><article><h1>H</h1>{meta}{body}</article></body></html>"


@pytest.mark.parametrize(
    "text",
    [
        "We waited 2d for the ferry",
        "Add 5m of rope",
        "Reading time · 5m",
        "3h 20m",
        "5 m",  # five metres
        "2d6",
        "Осталось 5 мин. до конца",
        "Прошло 2 дн.",
        "Ехать 3 ч. по трассе",
        "2 күн бойы жаңбыр жауды",
        "5 км",
        "3 hrs of rain",
    ],
)
def test_a_short_span_in_a_sentence_is_no_date(text: str) -> None:
    assert parse_date(text, NOW) is None, text
    assert parse_relative(text, NOW) is None, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nov 25 at 10:30", at(2026, 11, 25, 10, 30)),
        ("November 25", at(2026, 11, 25)),
        ("25 November at 10:30", at(2026, 11, 25, 10, 30)),
        ("November 24 at 9:40 PM", at(2026, 11, 24, 21, 40)),
        ("Nov. 3, 10:05 am", at(2026, 11, 3, 10, 5)),
        ("May 12 at 10:00", at(2026, 5, 12, 10, 0)),
        ("3rd of September at 8:15", at(2026, 9, 3, 8, 15)),
        # a date still to come this year is last year's, as «30 декабря» is
        ("December 30", at(2025, 12, 30)),
        ("Dec 30 at 10:00", at(2025, 12, 30, 10, 0)),
        # labels, bylines and a separator after it
        ("Posted on November 20", at(2026, 11, 20)),
        ("Asel · November 24 at 9:40 PM", at(2026, 11, 24, 21, 40)),
        ("November 24 at 9:40 PM · Edited", at(2026, 11, 24, 21, 40)),
    ],
)
def test_an_english_day_and_month_without_a_year(text: str, expected: datetime) -> None:
    got = parse_date(text, NOW)
    assert got == expected, text
    assert got is not None and got.utcoffset() == expected.utcoffset()
    # parse_absolute reads a Facebook export's cells, whose ``now`` is the import's time, not when the
    # file was written: the year would be a guess (review), as before English dates were read
    assert parse_absolute(text, now=NOW) is None, text
    assert parse_absolute(text) is None, text
    assert parse_absolute(text, now=NOW, english=False) is None, text


@given(day=st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31)))
def test_an_english_day_and_month_takes_the_year_a_russian_one_does(day: date) -> None:
    russian = parse_date(f"{day.day} {RU_GENITIVE[day.month - 1]}, 10:30", NOW)
    assert russian is not None
    month = EN_MONTHS[day.month - 1].capitalize()
    forms = [f"{month} {day.day} at 10:30", f"{day.day} {month}, 10:30", f"{month[:3]} {day.day}, 10:30 AM"]
    if day.month != 5:  # without a clock, «May 5» is no date (test_dates_english)
        forms += [f"{month} {day.day}", f"{day.day} {month}"]
    for english in forms:
        got = parse_date(english, NOW)
        assert got is not None and got.date() == russian.date(), english


@pytest.mark.parametrize(
    "text",
    [
        "the match on November 25 at 12:30 in Almaty",
        "Final on November 25 at 12:30",
        "may 5 at 10:30",  # «may» only with a capital, as with a year
        "Nov 25",  # a sentence's words as often as a date: without a clock, the full name only
        "25 Nov",
        "Novosibirsk 25 at 10:30",
        "February 29",  # no such day in 2026 nor in 2025
    ],
)
def test_an_english_day_and_month_in_a_sentence_is_no_date(text: str) -> None:
    assert parse_date(text, NOW) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "the match at 12:30 today",
        "The match is today at 12:30 in Almaty",
        "Roads closed yesterday at 10:30",
        "We left at 9:15 yesterday and came back",
        "Tickets for today, 12:30 show",
    ],
)
def test_an_english_clock_beside_a_day_in_a_sentence_is_no_date(text: str) -> None:
    assert parse_date(text, NOW) is None, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Updated: today at 12:30", at(2026, 11, 25, 12, 30)),
        ("By John Smith | Today at 12:30", at(2026, 11, 25, 12, 30)),
        ("Today at 12:30 · Edited", at(2026, 11, 25, 12, 30)),
        ("12:30 today.", at(2026, 11, 25, 12, 30)),
    ],
)
def test_an_english_day_and_clock_as_a_date_element_prints_it(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected, text


def test_a_short_span_counts_back_from_now_in_minutes() -> None:
    now = NOW + timedelta(seconds=42)
    assert parse_relative("2h", now) == at(2026, 11, 25, 12, 0)
