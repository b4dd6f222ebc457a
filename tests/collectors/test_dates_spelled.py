"""Relative dates with the number written as a word, Kazakh abbreviated units, a 12-hour clock before an
English date, and «today» at a clock later than the fetch (each of these stored a wrong published_at)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from datekit import NOW, PLUS5, at

from collectors.dates import parse_date, parse_relative
from collectors.extract import extract_article

# 00:30 on 28 November in Almaty (UTC+5): just after midnight
AFTER_MIDNIGHT = datetime(2026, 11, 27, 19, 30, tzinfo=UTC)


# NOW is 14:00 on 25 November in Almaty. Each of these was read as one unit back (13:00, 13:59, 24 Nov).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("три часа назад", at(2026, 11, 25, 11, 0)),
        ("два часа назад", at(2026, 11, 25, 12, 0)),
        ("два дня назад", at(2026, 11, 23, 14, 0)),
        ("пять минут назад", at(2026, 11, 25, 13, 55)),
        ("две минуты назад", at(2026, 11, 25, 13, 58)),
        ("одиннадцать минут назад", at(2026, 11, 25, 13, 49)),
        ("сорок минут назад", at(2026, 11, 25, 13, 20)),
        ("двадцать пять минут назад", at(2026, 11, 25, 13, 35)),
        ("двадцать один час назад", at(2026, 11, 24, 17, 0)),
        ("Три недели назад", at(2026, 11, 4, 14, 0)),
        ("Обновлено: три часа назад", at(2026, 11, 25, 11, 0)),
        ("полтора часа назад", at(2026, 11, 25, 12, 30)),
        ("полтора дня назад", at(2026, 11, 24, 2, 0)),
        ("полгода назад", at(2026, 5, 25, 14, 0)),  # half a year was read as now
        ("полминуты назад", datetime(2026, 11, 25, 13, 59, 30, tzinfo=PLUS5)),
        ("үш сағат бұрын", at(2026, 11, 25, 11, 0)),
        ("Үш сағат бұрын", at(2026, 11, 25, 11, 0)),
        ("екі күн бұрын", at(2026, 11, 23, 14, 0)),
        ("он минут бұрын", at(2026, 11, 25, 13, 50)),
        ("он бес минут бұрын", at(2026, 11, 25, 13, 45)),  # ten and five
        ("жиырма бес минут бұрын", at(2026, 11, 25, 13, 35)),
        ("екі апта бұрын", at(2026, 11, 11, 14, 0)),
        ("жарты сағат бұрын", at(2026, 11, 25, 13, 30)),
        ("бір жарым сағат бұрын", at(2026, 11, 25, 12, 30)),
        # typed without Kazakh letters
        ("уш сагат бурын", at(2026, 11, 25, 11, 0)),
        ("торт сагат бурын", at(2026, 11, 25, 10, 0)),
        ("тогыз минут бурын", at(2026, 11, 25, 13, 51)),
        ("кырык минут бурын", at(2026, 11, 25, 13, 20)),
        ("еки кун бурын", at(2026, 11, 23, 14, 0)),
    ],
)
def test_a_number_written_as_a_word_is_read(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


# A count that is no number, or one not understood, was read as one unit back: no date is better.
@pytest.mark.parametrize(
    "text",
    [
        "несколько минут назад",
        "Несколько часов назад",
        "много лет назад",
        "несколько мин. назад",
        "часа назад",  # a plural without its number: the number was cut off
        "минут назад",
        "бірнеше сағат бұрын",
        "бирнеше минут бурын",
        "жарым сағат бұрын",  # «and a half» without its number
    ],
)
def test_a_count_not_understood_leaves_the_date_unread(text: str) -> None:
    assert parse_date(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 сағ. бұрын", at(2026, 11, 25, 12, 0)),
        ("2 сағ бұрын", at(2026, 11, 25, 12, 0)),
        ("2 саг. бурын", at(2026, 11, 25, 12, 0)),
        ("2 сағ.бұрын", at(2026, 11, 25, 12, 0)),
        ("15 мин. бұрын", at(2026, 11, 25, 13, 45)),
        ("30 сек. бұрын", datetime(2026, 11, 25, 13, 59, 30, tzinfo=PLUS5)),
        ("2 ч.назад", at(2026, 11, 25, 12, 0)),
        ("3 час. назад", at(2026, 11, 25, 11, 0)),
        ("сут.назад", at(2026, 11, 24, 14, 0)),
    ],
)
def test_abbreviated_units_are_read(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


def test_sag_is_an_abbreviation_only_as_a_whole_word() -> None:
    assert parse_date("3 сағ. бұрын", NOW) == at(2026, 11, 25, 11, 0)
    assert parse_date("3 сағыныш бұрын", NOW) is None  # a word that begins like it is no unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2:35 PM Nov 25, 2026", at(2026, 11, 25, 14, 35)),
        ("11:05 am, November 24, 2026", at(2026, 11, 24, 11, 5)),
        ("12:10 AM Nov 25, 2026", at(2026, 11, 25, 0, 10)),
        ("2:35 ПП 25.11.2026", at(2026, 11, 25, 14, 35)),
        ("2:35 после полудня, 25 ноября 2026", at(2026, 11, 25, 14, 35)),
    ],
)
def test_a_12_hour_clock_before_the_date_is_kept(text: str, expected: datetime) -> None:
    # the day was read, the clock dropped (00:00)
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Сегодня в 23:55",
        "сегодня, 23:55",
        "бүгін 23:55",
        "Бүгін сағ. 23:55",
        "bugin 23:55",
        "today at 11:55 PM",
    ],
)
def test_today_at_a_clock_later_than_the_fetch_is_yesterday(text: str) -> None:
    # fetched at 00:30: it was stored 23 h 25 min in the future
    assert parse_date(text, AFTER_MIDNIGHT) == at(2026, 11, 27, 23, 55)


def test_today_up_to_three_hours_ahead_stays_today() -> None:
    # a site on a clock ahead of Almaty's, or a page fetched later in the run than its start
    assert parse_date("Сегодня в 03:30", AFTER_MIDNIGHT) == at(2026, 11, 28, 3, 30)
    assert parse_date("Сегодня в 03:31", AFTER_MIDNIGHT) == at(2026, 11, 27, 3, 31)


def test_comment_dates_in_words_through_the_article_parser() -> None:
    html = """<html><body><article><h1>Яма</h1><p>Во дворе дома 12 провалился асфальт, яма глубиной
    полтора метра, жители жалуются уже неделю.</p></article>
    <section class="comments">
    <div class="comment" id="c1"><span class="author">A</span><span class="date">3 часа назад</span>
    <p class="text">Первый.</p></div>
    <div class="comment" id="c2"><span class="author">B</span><span class="date">три часа назад</span>
    <p class="text">Второй.</p></div>
    <div class="comment" id="c3"><span class="author">C</span><span class="date">үш сағат бұрын</span>
    <p class="text">Үшінші.</p></div></section></body></html>"""
    art = extract_article(html, "https://portal.example.kz/news/1", now=NOW)
    assert [c.published_at for c in art.comments] == [at(2026, 11, 25, 11, 0)] * 3


# What date libraries print for a moment ago (moment.js and Day.js «несколько секунд назад», date-fns
# «меньше минуты назад») is about now; these were left unread.
@pytest.mark.parametrize(
    "text", ["несколько секунд назад", "меньше минуты назад", "менее минуты назад", "бірнеше секунд бұрын"]
)
def test_a_few_seconds_and_less_than_a_minute_are_now(text: str) -> None:
    assert parse_date(text, NOW) == at(2026, 11, 25, 14, 0)


@pytest.mark.parametrize("text", ["несколько часов назад", "несколько дней назад", "бірнеше күн бұрын"])
def test_a_few_hours_or_days_stay_unread(text: str) -> None:
    assert parse_date(text, NOW) is None


# A unit without its number after «около», «более», «меньше»… is one unit, and so are «сутки» and «сут.»;
# «двое суток» is two days. Each was left unread.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("около часа назад", at(2026, 11, 25, 13, 0)),
        ("больше часа назад", at(2026, 11, 25, 13, 0)),
        ("около минуты назад", at(2026, 11, 25, 13, 59)),
        ("около года назад", at(2025, 11, 25, 14, 0)),
        ("свыше года назад", at(2025, 11, 25, 14, 0)),
        ("более суток назад", at(2026, 11, 24, 14, 0)),
        ("сутки назад", at(2026, 11, 24, 14, 0)),
        ("сут. назад", at(2026, 11, 24, 14, 0)),
        ("двое суток назад", at(2026, 11, 23, 14, 0)),
        ("трое суток назад", at(2026, 11, 22, 14, 0)),
        ("четверо суток назад", at(2026, 11, 21, 14, 0)),
    ],
)
def test_a_unit_after_an_approximate_word_is_one(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:00 AM - 12:00 PM Nov 25, 2026", at(2026, 11, 25)),
        ("10:00 a.m. – 12:00 p.m., November 25, 2026", at(2026, 11, 25)),
        ("10:00 дп - 12:00 пп 25.11.2026", at(2026, 11, 25)),
        ("10:00 ДП—12:00 ПП 25 ноября 2026", at(2026, 11, 25)),
        ("Начало — 12:00 PM Nov 25, 2026", at(2026, 11, 25, 12, 0)),  # a dash after a word: a separator
    ],
)
def test_the_end_of_a_12_hour_range_is_no_time(text: str, expected: datetime) -> None:
    # the range's end was read as the time (12:00)
    assert parse_date(text, NOW) == expected


# A dot after a whole word ends a sentence, and «Бұрын» («earlier») starts the next: no date. These were
# read as 3 years and 40 minutes back.
@pytest.mark.parametrize(
    "text",
    [
        "Мерзімі — 3 жыл. Бұрын бұл мерзім 5 жыл болатын.",
        "Кезек 40 минут. Бұрын 10 минут күтетінбіз.",
        "Прошло 3 года. Назад дороги нет.",
    ],
)
def test_a_dot_after_a_whole_unit_word_ends_the_sentence(text: str) -> None:
    assert parse_date(text, NOW) is None


@pytest.mark.parametrize(
    "text",
    [
        "сто пять лет назад",  # read as 5 years back
        "двести пять лет назад",
        "сто двадцать пять лет назад",
        "две тысячи лет назад",
        "екі мың жыл бұрын",  # read as one year back
        "үш жүз жыл бұрын",
        "жүз жыл бұрын",
        "екі мың бес жыл бұрын",
        "уш жуз жыл бурын",  # typed without Kazakh letters
    ],
)
def test_hundreds_and_thousands_leave_the_date_unread(text: str) -> None:
    assert parse_date(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,5 часа назад", at(2026, 11, 25, 12, 30)),  # read as 5 hours back
        ("1.5 часа назад", at(2026, 11, 25, 12, 30)),
        ("2,5 дня назад", at(2026, 11, 23, 2, 0)),
        ("1,5 сағат бұрын", at(2026, 11, 25, 12, 30)),
        ("1.5 hours ago", at(2026, 11, 25, 12, 30)),
        ("1,25 часа назад", at(2026, 11, 25, 12, 45)),
    ],
)
def test_a_decimal_count_is_read_whole(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


def test_a_thousands_separator_in_english_is_no_decimal() -> None:
    # «1,500 years ago» was read as 500 years back
    assert parse_relative("1,500 years ago", NOW) is None
