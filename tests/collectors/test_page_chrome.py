"""Date lines: a line that prints a date and nothing else is the page's, not the article's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.extract import extract_article
from collectors.page_chrome import date_line

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "line",
    [
        "November 25, 2026",
        "Wednesday, November 25, 2026",
        "Nov. 25, 2026, 3:05 PM",
        "Posted on Nov 25, 2026 at 10:30",
        "Yesterday at 10:30",
        "Updated just now",
        "3 hours ago",
        "Updated an hour ago",
        "25 November 2026",
    ],
)
def test_an_english_date_line(line: str) -> None:
    assert date_line(line, NOW)


@pytest.mark.parametrize(
    "line",
    [
        "May the best team win",
        "Final on November 25, 2026",
        "3 hours of rain",
        "Roads closed yesterday at 10:30",
        "Nov 25",  # no year: no date
    ],
)
def test_an_english_line_with_other_words_or_no_date_is_no_date_line(line: str) -> None:
    assert not date_line(line, NOW)


@pytest.mark.parametrize(
    "line",
    [
        "5 мин",
        "10 минут",
        "2 days",
        "1 апта",
        "1 ай",
        "2 жыл",
        "1 г.",
        "3D",
        "8m",
        "Понедельник, 10:00",
        "Monday at 10:30 AM",
    ],
)
def test_a_short_span_or_a_weekday_is_no_date_line(line: str) -> None:
    # review: Facebook's short spans and weekdays are a timestamp's forms only; on a page «10 минут» is
    # a span and «Понедельник, 10:00» an event's time, which an article's head may print
    assert not date_line(line, NOW)


@pytest.mark.parametrize(
    "lines",
    [
        ["Понедельник, 10:00", "Приём граждан ведёт аким района в здании акимата."],
        ["Понедельник, 10:00 — приём граждан", "Аким района примет жителей в здании акимата."],
        ["10 минут", "Столько ждали скорую жители дома на улице Абая."],
        ["2 days", "That is how long the street went without water this week."],
    ],
    ids=["weekday", "weekday-and-words", "minutes", "days"],
)
def test_an_articles_first_line_that_is_a_span_or_a_weekday_is_kept(lines: list[str]) -> None:
    paragraphs = "".join(f"<p>{line}</p>" for line in lines)
    html = f"<html><body><h1>Приём граждан</h1><div>25.11.2026, 10:00</div>{paragraphs}</body></html>"
    art = extract_article(html, "https://e.kz/news/5501", now=NOW)
    assert art.text.split("\n") == lines
