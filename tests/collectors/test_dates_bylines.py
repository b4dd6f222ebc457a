"""A day word and its clock in a byline or a comment's head («By John Smith, Yesterday at 10:30», «Иван
Петров, вчера в 10:30», «Yesterday at 10:30 (edited)»), read before English and Russian day words were
read only as a date element's part and lost then (review); and the day and month without a year that
takes the latest year in which it has already come."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from datekit import NOW, at

from collectors.dates import parse_date
from collectors.extract import extract_article

GMT = UTC
EST = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("By John Smith, Yesterday at 10:30", at(2026, 11, 24, 10, 30)),
        ("John Smith, today at 12:30", at(2026, 11, 25, 12, 30)),
        ("John Smith Today at 12:30", at(2026, 11, 25, 12, 30)),
        ("Asel Nurlanova Yesterday at 9:05 PM", at(2026, 11, 24, 21, 5)),
        ("Yesterday at 10:30 (edited)", at(2026, 11, 24, 10, 30)),
        ("Yesterday at 10:30 Reply", at(2026, 11, 24, 10, 30)),
        ("Yesterday at 10:30 Like Reply", at(2026, 11, 24, 10, 30)),
        ("Yesterday at 10:30 AM GMT", datetime(2026, 11, 24, 10, 30, tzinfo=GMT)),
        ("By John Smith, Yesterday at 10:30 PM EST (edited)", datetime(2026, 11, 24, 22, 30, tzinfo=EST)),
        ("Modified Yesterday at 10:30", at(2026, 11, 24, 10, 30)),
        ("modified: yesterday at 10:30", at(2026, 11, 24, 10, 30)),
        ("Share Today at 10:30", at(2026, 11, 25, 10, 30)),
        ("the day before yesterday at 9:00", at(2026, 11, 23, 9, 0)),
        # Russian and Kazakh
        ("Иван Петров, вчера в 10:30", at(2026, 11, 24, 10, 30)),
        ("Автор: Иван Петров, сегодня в 12:30", at(2026, 11, 25, 12, 30)),
        ("Иван Петров Вчера в 10:30", at(2026, 11, 24, 10, 30)),
        ("Вчера, 18:30 (изменено)", at(2026, 11, 24, 18, 30)),
        ("вчера в 18:30 Ответить", at(2026, 11, 24, 18, 30)),
        ("Асель Нұрланова, кеше 18:30", at(2026, 11, 24, 18, 30)),
        ("Асель Нұрланова Бүгін 09:05 Жауап беру", at(2026, 11, 25, 9, 5)),
        # a label is still a label, not a name («обновлено» lower case)
        ("Обновлено сегодня в 12:00", at(2026, 11, 25, 12, 0)),
    ],
)
def test_a_byline_or_a_comments_head_with_a_day_word_and_clock(text: str, expected: datetime) -> None:
    got = parse_date(text, NOW)
    assert got == expected, text
    assert got is not None and got.utcoffset() == expected.utcoffset(), text


@pytest.mark.parametrize(
    "text",
    [
        # a day word a sentence's word stands before, in lower case
        "Roads closed yesterday at 10:30",
        "John Smith said yesterday at 10:30",
        "The match is today at 12:30",
        "Мы были там вчера в 10:30",
        "Приём граждан сегодня в 10:00",
        # a clause after a comma that goes on past the clock
        "Как сообщили, вчера в 10:30 произошла авария",
        "Tickets for today, 12:30 show",
        "Вчера отключили свет, дали только в 23:40",
        # a listing's teaser whose date runs into its headline: its own date element is read
        "Вчера, 18:30 Прорыв трубы на Абая",
        "Сегодня в 10:00 Совещание в акимате",
        "Today at 10:30 Water pipe burst on Abay",
        # words after the clock that are no comment's buttons
        "Yesterday at 10:30 Replying to Asel",
    ],
)
def test_a_sentence_or_a_teaser_is_no_byline(text: str) -> None:
    assert parse_date(text, NOW) is None, text


BODY = "".join(f"<p>Абзац {i}: в Алматы обсудили новый проект благоустройства улиц.</p>" for i in range(8))


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        # the two spans of a byline read as one text (review: 12:30 before 404efb7, none since)
        ('<div class="post-meta"><span>John Smith</span> <span>Today at 12:30</span></div>', (25, 12, 30)),
        ('<div class="post-meta"><span>Иван Петров</span>, <span>вчера в 10:30</span></div>', (24, 10, 30)),
        # a <time>'s text as the page has it, across lines
        ("<time pubdate>By\n  Asel ·\n  November 24 at 9:40 PM</time>", (24, 21, 40)),
    ],
)
def test_a_byline_near_the_headline_dates_an_article(meta: str, expected: tuple[int, int, int]) -> None:
    html = f"<html><head><title>T</title></head><body><article><h1>H</h1>{meta}{BODY}</article></body></html>"
    got = extract_article(html, "https://e.kz/n/1", now=NOW).published_at
    assert got == at(2026, 11, *expected)


def test_a_listings_teaser_gives_its_own_date_elements_time() -> None:
    teaser = (
        '<div class="news-meta"><span class="date">Вчера, 18:30</span> <a href="/n/2">Прорыв трубы</a></div>'
    )
    html = (
        f"<html><head><title>T</title></head><body><article><h1>H</h1>{teaser}{BODY}</article></body></html>"
    )
    assert extract_article(html, "https://e.kz/n/1", now=NOW).published_at == at(2026, 11, 24, 18, 30)


@pytest.mark.parametrize(
    "text",
    ["November 24 at 9:40 PM · Edited\n", "By\nAsel · November 24 at 9:40 PM", "November\n24 at\t9:40 PM"],
)
def test_a_day_and_month_across_lines(text: str) -> None:
    assert parse_date(text, NOW) == at(2026, 11, 24, 21, 40), repr(text)


@pytest.mark.parametrize("text", ["29 февраля", "29 ақпан", "February 29", "29 February at 10:30"])
def test_29_february_is_last_years_where_this_year_has_none(text: str) -> None:
    now = datetime(2029, 1, 15, 9, 0, tzinfo=UTC)
    got = parse_date(text, now)
    assert got is not None and got.date() == date(2028, 2, 29), text
    # and none where neither this year nor last year has one (2026, 2025)
    assert parse_date(text, NOW) is None, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NOW is 14:00 on 25 November in Almaty: 22:30 that day is still to come, so it is last year's
        ("November 25 at 10:30 PM", at(2025, 11, 25, 22, 30)),
        ("25 ноября, 22:30", at(2025, 11, 25, 22, 30)),
        ("25 қараша 22:30", at(2025, 11, 25, 22, 30)),
        # a clock a little ahead (a server on UTC+6, Almaty's time before 2024) is today's
        ("November 25 at 3:30 PM", at(2026, 11, 25, 15, 30)),
        ("25 ноября, 15:30", at(2026, 11, 25, 15, 30)),
        ("November 25 at 10:30 AM", at(2026, 11, 25, 10, 30)),
        ("November 25", at(2026, 11, 25)),
    ],
)
def test_a_day_and_month_with_a_clock_later_today_is_last_years(text: str, expected: datetime) -> None:
    got = parse_date(text, NOW)
    assert got == expected, text
    assert got is not None and got <= NOW + timedelta(hours=3)


def test_a_clock_later_today_in_its_own_zone() -> None:
    # 10:30 PM EST on 24 November is 03:30 UTC on the 25th: come already at NOW (09:00 UTC)
    assert parse_date("November 24 at 10:30 PM EST", NOW) == datetime(2026, 11, 24, 22, 30, tzinfo=EST)
    # 11:30 PM EST on 25 November is 04:30 UTC on the 26th: still to come, so last year's
    assert parse_date("November 25 at 11:30 PM EST", NOW) == datetime(2025, 11, 25, 23, 30, tzinfo=EST)
