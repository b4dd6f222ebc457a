"""Relative dates with the number written as a word, Kazakh abbreviated units, a 12-hour clock before an
English date, and «today» at a clock later than the fetch (each of these stored a wrong published_at)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from datekit import NOW, PLUS5, at

from collectors.dates import parse_date
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
