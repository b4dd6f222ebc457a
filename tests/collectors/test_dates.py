"""Russian and Kazakh dates, absolute and relative, in Asia/Almaty time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from datekit import NOW, PLUS6, at
from hypothesis import given
from hypothesis import strategies as st

from collectors.dates import ALMATY, KK_MONTHS, AlmatyRule, parse_absolute, parse_date, parse_iso, shift


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # absolute, Russian
        ("25 ноября 2026, 14:35", at(2026, 11, 25, 14, 35)),
        ("25 ноября 2026 г. в 14:35", at(2026, 11, 25, 14, 35)),
        ("Опубликовано: 3 марта 2025 | 1 204 просмотра", at(2025, 3, 3)),
        ("5 мая 2025", at(2025, 5, 5)),
        ("12 сент. 2025 09:05", at(2025, 9, 12, 9, 5)),
        # absolute, Kazakh
        ("25 қараша 2026", at(2026, 11, 25)),
        ("2026 жылғы 25 қарашада 09:10", at(2026, 11, 25, 9, 10)),
        ("7 желтоқсан 2025, 18:00", at(2025, 12, 7, 18, 0)),
        # numeric
        ("25.11.2026", at(2026, 11, 25)),
        ("25.11.2026 14:35", at(2026, 11, 25, 14, 35)),
        ("25/11/2026", at(2026, 11, 25)),
        # ISO 8601
        ("2026-11-25", at(2026, 11, 25)),
        ("2026-11-25T14:35:00+05:00", at(2026, 11, 25, 14, 35)),
        ("2026-11-25T08:35:00Z", datetime(2026, 11, 25, 8, 35, tzinfo=UTC)),
        ("2026-11-25 14:35", at(2026, 11, 25, 14, 35)),
        # no year: this year, or last year if that would be in the future
        ("25 ноября, 10:15", at(2026, 11, 25, 10, 15)),
        ("30 декабря", at(2025, 12, 30)),
        # relative, Russian
        ("сегодня в 10:15", at(2026, 11, 25, 10, 15)),
        ("Сегодня, 10:15", at(2026, 11, 25, 10, 15)),
        ("вчера", at(2026, 11, 24)),
        ("Вчера в 21:40", at(2026, 11, 24, 21, 40)),
        ("позавчера", at(2026, 11, 23)),
        ("только что", at(2026, 11, 25, 14, 0)),
        ("5 минут назад", at(2026, 11, 25, 13, 55)),
        ("минуту назад", at(2026, 11, 25, 13, 59)),
        ("час назад", at(2026, 11, 25, 13, 0)),
        ("2 часа назад", at(2026, 11, 25, 12, 0)),
        ("3 дня назад", at(2026, 11, 22, 14, 0)),
        ("неделю назад", at(2026, 11, 18, 14, 0)),
        ("3 месяца назад", at(2026, 8, 25, 14, 0)),
        ("6 лет назад", at(2020, 11, 25, 14, 0, tz=PLUS6)),
        # relative, Kazakh
        ("3 сағат бұрын", at(2026, 11, 25, 11, 0)),
        ("15 минут бұрын", at(2026, 11, 25, 13, 45)),
        ("2 күн бұрын", at(2026, 11, 23, 14, 0)),
        ("6 жыл бұрын", at(2020, 11, 25, 14, 0, tz=PLUS6)),
        ("кеше", at(2026, 11, 24)),
        ("кеше 18:30", at(2026, 11, 24, 18, 30)),
        ("бүгін 10:15", at(2026, 11, 25, 10, 15)),
        ("жаңа ғана", at(2026, 11, 25, 14, 0)),
    ],
)
def test_every_form(text: str, expected: datetime) -> None:
    got = parse_date(text, NOW)
    assert got is not None, text
    assert got.tzinfo is not None
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    # "0001-01-01" and "01.01.0001" were read as 2001: a four-digit year is never a two-digit one
    ["", "   ", "ерунда", "Читайте также", "99.99.2026", "31 февраля 2026", "0001-01-01", "01.01.0001"],
)
def test_not_a_date(text: str) -> None:
    assert parse_date(text, NOW) is None


def test_almaty_offset_changes_on_2024_03_01() -> None:
    assert parse_date("29 февраля 2024, 10:00", NOW).utcoffset() == timedelta(hours=6)
    assert parse_date("1 марта 2024, 10:00", NOW).utcoffset() == timedelta(hours=5)
    assert datetime(2024, 2, 1, 12, tzinfo=ALMATY).utcoffset() == timedelta(hours=6)
    assert datetime(2024, 3, 2, 12, tzinfo=ALMATY).utcoffset() == timedelta(hours=5)


def test_own_rule_matches_the_tz_database() -> None:
    rule = AlmatyRule()
    assert datetime(2023, 6, 1, 12, tzinfo=rule).utcoffset() == timedelta(hours=6)
    assert datetime(2024, 2, 29, 22, 59, tzinfo=rule).utcoffset() == timedelta(hours=6)
    assert datetime(2024, 2, 29, 23, 30, tzinfo=rule).utcoffset() == timedelta(hours=6)
    assert datetime(2024, 2, 29, 23, 30, fold=1, tzinfo=rule).utcoffset() == timedelta(hours=5)
    assert datetime(2024, 3, 1, 0, 0, tzinfo=rule).utcoffset() == timedelta(hours=5)
    start = datetime(2024, 2, 29, 12, tzinfo=UTC)
    for minutes in range(0, 24 * 60, 30):
        moment = start + timedelta(minutes=minutes)
        assert moment.astimezone(rule).utcoffset() == moment.astimezone(ALMATY).utcoffset(), moment
        assert moment.astimezone(rule).astimezone(UTC) == moment


def test_relative_needs_an_aware_now() -> None:
    with pytest.raises(ValueError):
        parse_date("вчера", datetime(2026, 11, 25))  # noqa: DTZ001


def test_shift_by_calendar_months() -> None:
    assert shift(at(2026, 3, 31), "months", 1) == at(2026, 2, 28)


# From the earliest publication time to the last minute of NOW's day in Almaty (within a day of NOW).
@given(st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2026, 11, 25, 23, 59)))  # noqa: DTZ001
def test_round_trip_dd_mm_yyyy(moment: datetime) -> None:
    text = moment.strftime("%d.%m.%Y %H:%M")
    got = parse_date(text, NOW)
    assert got is not None
    assert got.replace(tzinfo=None) == moment.replace(second=0, microsecond=0)


@given(
    st.text(
        alphabet=st.sampled_from(list("0123456789.:-/ назадвчерсгоднякешбүгінсағатбұрынжылқарашаноября")),
        max_size=40,
    )
)
def test_any_text_gives_none_or_an_aware_datetime(text: str) -> None:
    got = parse_date(text, NOW)
    assert got is None or got.tzinfo is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # RFC 822 as Russian and Kazakh feeds print it: abbreviated weekday and month, an offset
        ("Ср, 25 ноя 2026 14:35:00 +0500", at(2026, 11, 25, 14, 35)),
        ("Ср, 25 нояб. 2026 14:35:00 +0000", datetime(2026, 11, 25, 14, 35, tzinfo=UTC)),
        ("Вт, 24 ноя 2026 21:05:30 +0600", datetime(2026, 11, 24, 21, 5, 30, tzinfo=PLUS6)),
        ("ср, 25 қар. 2026 14:35:00 +0500", at(2026, 11, 25, 14, 35)),
        ("Жм, 3 там 2025 08:00:00 +0500", at(2025, 8, 3, 8, 0)),
        ("дс, 12 қаң. 2026 09:00:00", at(2026, 1, 12, 9, 0)),  # no offset: Almaty time
        # zone names and offsets after a Russian date
        ("25 ноября 2026 в 10:00 мск", datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=3)))),
        ("25.11.2026 10:00 UTC+6", datetime(2026, 11, 25, 10, 0, tzinfo=PLUS6)),
        ("25.11.2026 10:00:15 GMT", datetime(2026, 11, 25, 10, 0, 15, tzinfo=UTC)),
    ],
)
def test_rfc822_like_forms_keep_their_offset(text: str, expected: datetime) -> None:
    got = parse_date(text, NOW)
    assert got == expected, text
    assert got is not None and got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 25 Nov 2026 14:35:00 +0500", at(2026, 11, 25, 14, 35)),
        ("Wed, 25 Nov 2026 14:35:00 GMT", datetime(2026, 11, 25, 14, 35, tzinfo=UTC)),
        ("Wed, 25 Nov 2026 14:35:00 -0000", datetime(2026, 11, 25, 14, 35, tzinfo=UTC)),
        (
            "Tue, 24 Nov 2026 23:35:00 EST",
            datetime(2026, 11, 24, 23, 35, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("Wed, 25 Nov 2026 14:35:00", at(2026, 11, 25, 14, 35)),  # zone-less: Almaty time
        ("Thu, 25 Jan 2024 14:35:00", at(2024, 1, 25, 14, 35, tz=PLUS6)),  # before the 2024 change
        ("25 September 2025", at(2025, 9, 25)),
    ],
)
def test_english_rfc822_dates(text: str, expected: datetime) -> None:
    got = parse_date(text, NOW)
    assert got == expected, text
    assert got is not None and got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "25 ноября 2026, 10:00-12:00",  # a time range, not 10:00 at UTC-12
        "25 ноября 2026, 10:00 - 12:00",
        "25.11.2026 10:00 -12",
    ],
)
def test_a_time_range_is_not_an_offset(text: str) -> None:
    assert parse_date(text, NOW) == at(2026, 11, 25, 10, 0)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("5 кантар 2026", 1),
        ("5 акпан 2026", 2),
        ("5 наурыз 2026", 3),
        ("5 сауир 2026", 4),
        ("5 мамыр 2026", 5),
        ("5 маусым 2026", 6),
        ("5 шилде 2026", 7),
        ("5 тамыз 2026", 8),
        ("5 кыркуйек 2026", 9),
        ("5 казан 2026", 10),
        ("5 караша 2026", 11),
        ("5 желтоксан 2025", 12),
    ],
)
def test_kazakh_months_typed_without_kazakh_letters(text: str, month: int) -> None:
    got = parse_date(text, NOW)
    assert got is not None, text
    assert (got.month, got.day) == (month, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25 караша 2026, 10:00", at(2026, 11, 25, 10, 0)),
        ("1 желтоксан 2025", at(2025, 12, 1)),
        ("2026 жылгы 25 карашада 09:10", at(2026, 11, 25, 9, 10)),
        ("20 караша, 18:00", at(2026, 11, 20, 18, 0)),  # no year
        ("20 карашада", at(2026, 11, 20)),
        ("12 шiлде 2025", at(2025, 7, 12)),  # Latin i among Cyrillic letters
        ("ср, 25 кар. 2026 14:35:00 +0500", at(2026, 11, 25, 14, 35)),
        # Latin script: the 2021 alphabet, the 2018 acute alphabet, informal spellings
        ("25 qaraşa 2026", at(2026, 11, 25)),
        ("5 qańtar 2026", at(2026, 1, 5)),
        ("3 sáýir 2025", at(2025, 4, 3)),
        ("30 qyrkúiek 2025", at(2025, 9, 30)),
        ("12 shilde 2025", at(2025, 7, 12)),
        ("16 jeltoqsan 2025", at(2025, 12, 16)),
        ("16 zheltoksan 2025", at(2025, 12, 16)),
        ("25 karasha 2026, 10:00", at(2026, 11, 25, 10, 0)),
    ],
)
def test_kazakh_month_spellings(text: str, expected: datetime) -> None:
    got = parse_date(text, NOW)
    assert got == expected, text
    assert got is not None and got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "12 маршрутов отменили",
        "5 сенаторов проголосовали",
        "7 октябрят",
        "10 мартышек",
        "2 декабристов",
        "3 апрельских дня",
    ],
)
def test_words_that_begin_like_a_russian_month_are_not_one(text: str) -> None:
    assert parse_date(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "month"),
    [("25 нояб. 2025", 11), ("5 февр. 2025", 2), ("3 сент. 2025", 9), ("3 сен 2025", 9), ("9 апр 2025", 4)],
)
def test_russian_month_abbreviations(text: str, month: int) -> None:
    assert parse_date(text, NOW) == at(2025, month, int(text.split()[0])), text


def test_every_russian_month_in_its_case_forms() -> None:
    names = [
        "январ",
        "феврал",
        "март",
        "апрел",
        "май",
        "июн",
        "июл",
        "август",
        "сентябр",
        "октябр",
        "ноябр",
        "декабр",
    ]
    for number, stem in enumerate(names, 1):
        forms = ["мая"] if number == 5 else [stem + ("а" if stem in ("март", "август") else "я")]
        for form in forms:
            assert parse_date(f"5 {form} 2025", NOW) == at(2025, number, 5), form


@pytest.mark.parametrize("text", ["5 қазандық жөнделді", "6 мамырлық жоспар", "5 казандык 2025"])
def test_a_word_built_on_a_kazakh_month_name_is_not_a_month(text: str) -> None:
    assert parse_date(text, NOW) is None  # қазандық: a boiler house


@pytest.mark.parametrize(
    ("text", "month"),
    [("4 наурызға", 3), ("2 шілдеде", 7), ("7 маусымнан", 6), ("5 қазандағы", 10), ("3 қазанның", 10)],
)
def test_kazakh_month_names_in_their_case_forms(text: str, month: int) -> None:
    assert parse_date(text, NOW) == at(2026, month, int(text.split()[0])), text


def test_every_kazakh_month_and_its_abbreviation() -> None:
    for name, number in KK_MONTHS.items():
        assert parse_date(f"5 {name} 2025", NOW) == at(2025, number, 5), name
        assert parse_date(f"5 {name[:3]}. 2025", NOW) == at(2025, number, 5), name[:3]


@pytest.mark.parametrize("text", ["у 5 мам было", "5 там", "5 may", "в 3 кар", "5 казанских", "5 km 2026"])
def test_short_words_are_months_only_next_to_a_year(text: str) -> None:
    assert parse_date(text, NOW) is None


@pytest.mark.parametrize(
    "text",
    [
        "1970-01-01T00:00:00Z",  # epoch 0: a missing date written as zero
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "01.01.1989",
        "31 декабря 1989, 23:00",
        "40 лет назад",
        "2099-05-01",
        "27.11.2026 10:00",  # more than a day after NOW
        "Sat, 28 Nov 2026 00:00:00 +0500",
    ],
)
def test_not_a_publication_time(text: str) -> None:
    assert parse_date(text, NOW) is None
    assert parse_absolute(text, now=NOW) is None


def test_publication_time_bounds() -> None:
    assert parse_date("1990-01-01T00:00:00Z", NOW) == datetime(1990, 1, 1, tzinfo=UTC)
    assert parse_date("1989-12-31T23:59:59Z", NOW) is None
    a_day_ahead = NOW + timedelta(days=1)
    assert parse_date(a_day_ahead.isoformat(), NOW) == a_day_ahead  # tolerated: a clock or zone slip
    assert parse_date((a_day_ahead + timedelta(minutes=1)).isoformat(), NOW) is None
    # without a ``now`` the check is against the current time
    assert parse_absolute("2099-05-01") is None
    assert parse_absolute("25.11.2026 14:35", now=NOW) == at(2026, 11, 25, 14, 35)


@pytest.mark.parametrize("offset", ["+25:00", "-24:00", "+05:99", "+1500"])
def test_an_offset_no_zone_has_is_no_date_not_an_error(offset: str) -> None:
    # It was a ValueError from timezone(), which failed a whole feed or article with its comments.
    assert parse_iso(f"2026-11-25T14:35:00{offset}") is None
    assert parse_date(f"2026-11-25T14:35:00{offset}", NOW) is None


def test_the_widest_offsets_are_read() -> None:
    assert parse_iso("2026-11-25T14:35:00+14:00").utcoffset() == timedelta(hours=14)
    assert parse_iso("2026-11-25T14:35:00-1200").utcoffset() == timedelta(hours=-12)


@pytest.mark.parametrize(
    ("text", "dated"),
    [
        ("Сейчас", True),  # a date element's whole text
        ("сейчас.", True),
        ("Сейчас во дворе нет воды", False),  # a sentence: it was dated now
        ("Позвоню сейчас в акимат", False),
        ("Только что · 345", True),
        ("Снято только что", True),
        ("Приехали только чтобы посмотреть", False),  # «только что» inside «только чтобы»: it was dated now
        ("Жаңа ғана", True),
    ],
)
def test_now_words_are_words_and_seichas_only_the_whole_text(text: str, dated: bool) -> None:
    assert (parse_date(text, NOW) == at(2026, 11, 25, 14, 0)) is dated


# Relative forms that were read wrongly (14:35 +05, 24 Nov 00:00, 13:59).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # (an update note with a day word of its own: test_dates_element_guards.test_update_note)
        # Moscow time after a relative date's clock, bare or in brackets, as after an absolute date
        ("Сегодня в 14:35 мск", at(2026, 11, 25, 16, 35)),
        ("Сегодня в 14:35 MSK", at(2026, 11, 25, 16, 35)),
        ("Сегодня в 14:35 (мск)", at(2026, 11, 25, 16, 35)),
        # a clock spelled with a space or with unit letters
        ("вчера в 14 :35", at(2026, 11, 24, 14, 35)),
        ("вчера в 14ч 35м", at(2026, 11, 24, 14, 35)),
        ("вчера в 14 ч. 35 мин.", at(2026, 11, 24, 14, 35)),
        # a couple is two
        ("пару минут назад", at(2026, 11, 25, 13, 58)),
        ("пару часов назад", at(2026, 11, 25, 12, 0)),
    ],
)
def test_relative_forms_read_wrongly_before(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Сегодня в 10:15, обновлено вчера", at(2026, 11, 25, 10, 15)),  # today first, as before
        ("сегодня в 10:15 (изменено сегодня в 10:20)", at(2026, 11, 25, 10, 15)),
        ("14:35 | Вчера", at(2026, 11, 24, 14, 35)),  # one day word: its clock may stand before it
        ("вчера в 14:35, 2 ч 15 мин назад", at(2026, 11, 24, 14, 35)),  # the usual clock comes first
        ("вчера в 14 ч", at(2026, 11, 24)),  # no minutes: no clock
        ("Позавчера в 9:05", at(2026, 11, 23, 9, 5)),  # «вчера» inside «позавчера» is no day word
    ],
)
def test_relative_forms_kept(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected


def test_today_in_moscow_time_is_moscow_s_day() -> None:
    # 01:30 on 3 January in Almaty is still 2 January in Moscow: «сегодня» there is the 2nd
    now = datetime(2026, 1, 2, 20, 30, tzinfo=UTC)
    moscow = timezone(timedelta(hours=3))
    assert parse_date("Сегодня в 12:30 (мск)", now) == datetime(2026, 1, 2, 12, 30, tzinfo=moscow)
    # (a clock of «today» earlier than the fetch: 12:30 there, 11 h ahead, is now read as yesterday's)
    assert parse_date("Сегодня в 01:15", now) == at(2026, 1, 3, 1, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a spelled clock is read only as the day word's own, and «ч» only with its minutes' unit
        # (review: a video's length, a score or hours of work became the publication time)
        ("Вчера · Видео 1 ч 30 мин", at(2026, 11, 24)),
        ("Сегодня матч 2 : 10", at(2026, 11, 25)),
        ("Сегодня с 10 ч 00 до 18 ч 00 отключат свет", at(2026, 11, 25)),
        ("вчера в 14 ч. 35 мин.", at(2026, 11, 24, 14, 35)),
    ],
)
def test_a_spelled_clock_is_only_the_day_words_own(text: str, expected: datetime) -> None:
    assert parse_date(text, NOW) == expected
