"""Russian and Kazakh day words («сегодня», «вчера», «бүгін», «кеше»), «только что», «жаңа ғана» and
«сейчас», and Facebook's weekday («Monday at 10:30 AM», «понедельник в 10:30», «дүйсенбі 10:30»; as a
timestamp only, by parse_relative): read as a date element prints them (its whole text, a part a
separator sets apart, or after a byline's author), never inside a sentence, as English day words are
(test_dates_short)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from datekit import NOW, at
from hypothesis import given
from hypothesis import strategies as st

from collectors.dates import parse_absolute, parse_date, parse_relative

MSK = timezone(timedelta(hours=3))
EST = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    "text",
    [
        # «now» words in a sentence (review: any text holding «сейчас» was dated now)
        "Сейчас во дворе нет воды",
        "Сейчас на Абая большая пробка.",
        "Снято только что. Идут работы",
        "Мусор летит на только что убранные территории.",
        "Міне, жиын жаңа ғана басталды.",
        # a day word with a clock found elsewhere in the text
        "Вчера отключили свет, дали только в 23:40",
        "Сегодня в 10:00 совещание в акимате",
        "Жители сообщили, что сегодня в 10:00 совещание в акимате.",
        "Бүгін сағат 11:56 регистратураға телефон шалдым.",
        "Кеше кешке 18:30 шамасында жарық өшті",
        "Свет дали в 23:40 вчера вечером",
        # a day word alone in a sentence
        "Сегодня в Алматы ожидается снег.",
        "Автобус №12 изменил маршрут вчера",
        "Ауылда кеше жарық болмады, бүгін де жоқ",
        # today's hours, and a day and month without a year, beside a day word
        "Сегодня 10:00 – 18:00",
        "Сегодня 16.02.",
    ],
)
def test_a_russian_or_kazakh_day_word_in_a_sentence_is_no_date(text: str) -> None:
    assert parse_date(text, NOW) is None, text
    assert parse_relative(text, NOW) is None, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Сегодня, 14:35", at(2026, 11, 25, 14, 35)),
        ("вчера в 10:30", at(2026, 11, 24, 10, 30)),
        ("Бүгін 14:35", at(2026, 11, 25, 14, 35)),
        ("Кеше, 10:30", at(2026, 11, 24, 10, 30)),
        ("бүгін сағат 09:05", at(2026, 11, 25, 9, 5)),
        ("позавчера в 8:00", at(2026, 11, 23, 8, 0)),
        ("10:30 вчера", at(2026, 11, 24, 10, 30)),
        ("Сегодня в 14:35 | Иван Петров", at(2026, 11, 25, 14, 35)),
        ("Иван Петров · вчера в 21:40", at(2026, 11, 24, 21, 40)),
        ("Опубликовано: вчера в 10:30", at(2026, 11, 24, 10, 30)),
        ("Обновлено сегодня в 12:00", at(2026, 11, 25, 12, 0)),
        ("Жарияланды: кеше, 18:30", at(2026, 11, 24, 18, 30)),
        ("Дата публикации: сегодня в 9:15", at(2026, 11, 25, 9, 15)),
        ("Свет отключили. Сегодня в 23:40", at(2026, 11, 25, 23, 40)),
        ("сегодня в 17:04, просмотров: 173", at(2026, 11, 25, 17, 4)),
        ("Сегодня в 14:35 (мск)", datetime(2026, 11, 25, 14, 35, tzinfo=MSK)),
        # a day word alone, «только что», «жаңа ғана», «сейчас»: the whole text, a label, a byline
        ("вчера", at(2026, 11, 24)),
        ("Сегодня", at(2026, 11, 25)),
        ("Иван Петров · вчера", at(2026, 11, 24)),
        ("Обновлено: сегодня", at(2026, 11, 25)),
        ("Только что", at(2026, 11, 25, 14, 0)),
        ("Опубликовано: только что", at(2026, 11, 25, 14, 0)),
        ("Жаңа ғана", at(2026, 11, 25, 14, 0)),
        ("сейчас", at(2026, 11, 25, 14, 0)),
        # a date element that prints a day and month is read as that, as before
        ("25 ноября в 14:35", at(2026, 11, 25, 14, 35)),
    ],
)
def test_a_russian_or_kazakh_day_word_as_a_date_element_prints_it(text: str, expected: datetime) -> None:
    got = parse_date(text, NOW)
    assert got == expected, text
    assert got is not None and got.utcoffset() == expected.utcoffset(), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NOW is Wednesday 2026-11-25, 14:00 in Almaty
        ("Monday at 10:30 AM", at(2026, 11, 23, 10, 30)),
        ("Tuesday at 9:05 PM", at(2026, 11, 24, 21, 5)),
        ("Thursday at 10:30 AM", at(2026, 11, 19, 10, 30)),
        # today's weekday is a week ago: a time of today Facebook prints as «Today»
        ("Wednesday at 10:30 AM", at(2026, 11, 18, 10, 30)),
        ("понедельник в 10:30", at(2026, 11, 23, 10, 30)),
        ("Воскресенье в 18:00", at(2026, 11, 22, 18, 0)),
        ("среда в 10:30", at(2026, 11, 18, 10, 30)),
        ("дүйсенбі 10:30", at(2026, 11, 23, 10, 30)),
        ("Жұма, 08:15", at(2026, 11, 20, 8, 15)),
        ("жума 08:15", at(2026, 11, 20, 8, 15)),  # typed without Kazakh letters
        ("Asel · Friday at 8:15 AM", at(2026, 11, 20, 8, 15)),
    ],
)
def test_facebook_weekday_and_clock_as_a_timestamps_whole_text(text: str, expected: datetime) -> None:
    assert parse_relative(text, NOW) == expected, text
    # relative: no absolute date, and a facebook-export hash id reads none either
    assert parse_absolute(text, now=NOW) is None, text
    assert parse_absolute(text, now=NOW, english=False) is None, text
    # a portal's «Понедельник, 10:00» is an event's time as often: no publication time (review)
    assert parse_date(text, NOW) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "See you Monday at 10:30 AM",
        "Встреча в понедельник в 10:30 в акимате",
        "Понедельник 10:00 – 18:00",
        "Monday",  # a weekday without a clock is a heading or a menu's word as often
        "дүйсенбі",
    ],
)
def test_a_weekday_in_a_sentence_is_no_date(text: str) -> None:
    assert parse_relative(text, NOW) is None, text


@given(
    now=st.datetimes(min_value=datetime(2024, 3, 2), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),  # noqa: DTZ001
    day=st.integers(min_value=0, max_value=6),
)
def test_a_weekday_is_the_latest_such_day_before_today(now: datetime, day: int) -> None:
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    got = parse_relative(f"{names[day]} at 10:30 AM", now)
    assert got is not None
    today = parse_relative("Today at 10:30 AM", now)
    assert today is not None
    assert got.weekday() == day
    assert timedelta(days=1) <= today - got <= timedelta(days=7)


def test_a_day_word_clock_and_zone_is_read_in_that_zone() -> None:
    # read before 404efb7 with its zone ignored, and not at all since
    assert parse_date("Yesterday at 10:30 PM EST", NOW) == datetime(2026, 11, 24, 22, 30, tzinfo=EST)
    assert parse_date("yesterday at 10:30 (MSK)", NOW) == datetime(2026, 11, 24, 10, 30, tzinfo=MSK)
    assert parse_date("вчера в 10:30 мск", NOW) == datetime(2026, 11, 24, 10, 30, tzinfo=MSK)
    # «yesterday» is the zone's yesterday: at 22:00 on the 24th in New York, 03:00 on the 25th in UTC
    late = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert parse_date("Yesterday at 10:30 PM EST", late) == datetime(2026, 11, 23, 22, 30, tzinfo=EST)
    assert parse_relative("Monday at 10:30 AM EST", late) == datetime(2026, 11, 23, 10, 30, tzinfo=EST)
    assert parse_date("November 24 at 9:40 PM EST", NOW) == datetime(2026, 11, 24, 21, 40, tzinfo=EST)
