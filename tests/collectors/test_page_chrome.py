"""Date lines in English: a line that prints a date and nothing else is the page's, not the article's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

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
