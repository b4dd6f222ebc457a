"""`import facebook-export`: the day/month order of a CSV's slashed dates, decided per file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from collectors.facebook_export import read_export
from collectors.facebook_export_csv import DATE_ORDERS
from collectors.facebook_export_dates import parse_csv_date
from collectors.item import Item
from config.sources import load_config
from errors import ConfigError, InputError

ALMATY = timezone(timedelta(hours=5))

# Export Comments writes Name, Date, Comment, Comment ID; CrowdTangle Page Name, Post Created, URL, Message
EXPORT_COMMENTS = "Name,Date,Comment,Comment ID\n"
CROWDTANGLE = "Page Name,Post Created,URL,Message\n"


def read(path: Path) -> tuple[list[Item], list[InputError]]:
    problems: list[InputError] = []
    items = list(read_export(path, source="fb-export", options={}, report=problems.append))
    return items, problems


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_second_field_above_12_makes_every_slashed_date_of_the_file_month_day(tmp_path: Path) -> None:
    path = write(
        tmp_path / "comments.csv",
        EXPORT_COMMENTS
        + "Асель,03/04/2026 14:35:00,Во дворе нет воды третий день,c1\n"
        + "Данияр,04/25/2026 09:10:00,Ямы у люков после ремонта,c2\n"
        + "Ерлан,2026-04-26 10:00:00,Дата в ISO не меняется,c3\n"
        + "Гульнара,25.04.2026 11:00,Точки всегда день.месяц,c4\n",
    )
    items, problems = read(path)
    assert problems == []
    assert [i.published_at for i in items] == [
        datetime(2026, 3, 4, 14, 35, tzinfo=ALMATY),  # March 4, not April 3
        datetime(2026, 4, 25, 9, 10, tzinfo=ALMATY),
        datetime(2026, 4, 26, 10, 0, tzinfo=ALMATY),
        datetime(2026, 4, 25, 11, 0, tzinfo=ALMATY),
    ]


def test_crowdtangle_month_day_with_a_12_hour_clock(tmp_path: Path) -> None:
    path = write(
        tmp_path / "crowdtangle.csv",
        CROWDTANGLE
        + "Департамент,03/04/2026 2:35 PM,https://www.facebook.com/1048/posts/1001,Жалоба на подрядчика\n"
        + "Департамент,04/25/26 9:05 AM,https://www.facebook.com/1048/posts/1002,Ответ акимата\n"
        + "Департамент,1764040500,https://www.facebook.com/1048/posts/1003,Unix seconds as before\n",
    )
    items, problems = read(path)
    assert problems == []
    assert [i.published_at for i in items] == [
        datetime(2026, 3, 4, 14, 35, tzinfo=ALMATY),
        datetime(2026, 4, 25, 9, 5, tzinfo=ALMATY),
        datetime(2025, 11, 25, 3, 15, tzinfo=UTC),
    ]
    assert [i.external_id for i in items] == ["1048_1001", "1048_1002", "1048_1003"]


def test_a_first_field_above_12_keeps_day_month(tmp_path: Path) -> None:
    path = write(
        tmp_path / "comments.csv",
        EXPORT_COMMENTS
        + "Асель,03/04/2026 14:35:00,Во дворе нет воды третий день,c1\n"
        + "Данияр,25/04/2026 09:10:00,Ямы у люков после ремонта,c2\n",
    )
    items, problems = read(path)
    assert problems == []
    assert [i.published_at for i in items] == [
        datetime(2026, 4, 3, 14, 35, tzinfo=ALMATY),
        datetime(2026, 4, 25, 9, 10, tzinfo=ALMATY),
    ]


def test_the_order_is_decided_per_file_of_a_folder(tmp_path: Path) -> None:
    write(tmp_path / "a_us.csv", EXPORT_COMMENTS + "Асель,03/04/2026,Нет воды,c1\nДанияр,04/25/2026,Ямы,c2\n")
    write(
        tmp_path / "b_ru.csv", EXPORT_COMMENTS + "Ерлан,03/04/2026,Нет света,c3\nГуля,25/04/2026,Мусор,c4\n"
    )
    items, problems = read(tmp_path)
    assert problems == []
    assert [(i.external_id, i.published_at) for i in items] == [
        ("c1", datetime(2026, 3, 4, tzinfo=ALMATY)),
        ("c2", datetime(2026, 4, 25, tzinfo=ALMATY)),
        ("c3", datetime(2026, 4, 3, tzinfo=ALMATY)),
        ("c4", datetime(2026, 4, 25, tzinfo=ALMATY)),
    ]


def test_a_file_that_writes_both_orders_is_one_error_and_read_day_month(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mixed.csv",
        EXPORT_COMMENTS
        + "Асель,13/01/2026 10:00,Нет воды,c1\n"
        + "Данияр,03/04/2026 10:00,Ямы,c2\n"
        + "Ерлан,01/13/2026 10:00,Нет света,c3\n"
        + "Гуля,01/14/2026 10:00,Мусор,c4\n",
    )
    items, problems = read(path)
    assert len(items) == 4  # no row lost
    assert [i.published_at for i in items] == [
        datetime(2026, 1, 13, 10, 0, tzinfo=ALMATY),
        datetime(2026, 4, 3, 10, 0, tzinfo=ALMATY),
        None,
        None,
    ]
    mixed, *unreadable = problems
    assert (mixed.path, mixed.line) == (str(path), None)
    assert mixed.message.startswith(
        "slashed dates written day/month ('13/01/2026', line 2) and month/day ('01/13/2026', line 4) "
        "in one file: all read as day/month"
    )
    assert [p.line for p in unreadable] == [4, 5]  # the rows each say their date went unread


def test_parse_csv_date_reads_month_day_only_when_told() -> None:
    assert parse_csv_date("03/04/2026 10:00", ALMATY) == datetime(2026, 4, 3, 10, 0, tzinfo=ALMATY)
    assert parse_csv_date("03/04/2026 10:00", ALMATY, "mdy") == datetime(2026, 3, 4, 10, 0, tzinfo=ALMATY)
    # the forms without a slashed date read the same in both orders
    for value in (
        "2026-03-04 10:00",
        "25.11.2026 14:35",
        "1764040500",
        "2026-11-23 06:00:00 EST",
        "25 ноября 2026",
    ):
        assert parse_csv_date(value, ALMATY, "mdy") == parse_csv_date(value, ALMATY), value
        assert parse_csv_date(value, ALMATY) is not None, value


def test_a_row_keeps_its_id_whichever_order_its_file_is_found_to_write(tmp_path: Path) -> None:
    # rows without an id or URL are known by a hash that holds their date: a month/day file, and an
    # overlapping export of it whose dates do not tell the order, give each row the id it had before
    # the order was decided per file (the date read day/month), so neither is stored a second time
    header = "Name,Comment,Date\n"
    november = write(
        tmp_path / "november.csv",
        header + "Алия,Яма на Абая,11/03/2026 10:00\nБолат,Нет света на Розыбакиева,11/25/2026 09:00\n",
    )
    overlap = write(tmp_path / "overlap.csv", header + "Алия,Яма на Абая,11/03/2026 10:00\n")
    (first, second), _ = read(november)
    (again,), _ = read(overlap)
    assert first.published_at == datetime(2026, 11, 3, 10, 0, tzinfo=ALMATY)  # the dates are month/day
    assert again.external_id == first.external_id
    # what the id always hashed: 11/03 read as 11 March, the date this dotted row writes
    (as_before,), _ = read(write(tmp_path / "dotted.csv", header + "Алия,Яма на Абая,11.03.2026 10:00\n"))
    assert first.external_id == as_before.external_id != second.external_id


def test_one_text_of_one_author_on_two_days_after_the_12th_is_two_rows(tmp_path: Path) -> None:
    # in a month/day file, 11/25 cannot be read day/month: hashed without its date, «Спасибо» of the
    # 25th in one export and of the 26th in the next were one id, and the second was never stored
    header = "Name,Comment,Date\n"
    (first,), _ = read(write(tmp_path / "a.csv", header + "Асель,Спасибо,11/25/2026 10:00\n"))
    (second,), _ = read(write(tmp_path / "b.csv", header + "Асель,Спасибо,11/26/2026 10:00\n"))
    assert first.published_at == datetime(2026, 11, 25, 10, 0, tzinfo=ALMATY)
    assert first.external_id != second.external_id


def test_an_english_date_is_read_and_the_row_keeps_the_id_it_had_when_it_was_not(tmp_path: Path) -> None:
    # English dates were unreadable before, so the hash of a row without an id or link held no date;
    # read now, they must not change that id, or every such row would be stored a second time (review)
    header = "Name,Comment,Date\n"
    (english,), _ = read(
        write(tmp_path / "en.csv", header + 'Алия,Яма на Абая,"November 25, 2026 10:30 AM"\n')
    )
    (unread,), problems = read(write(tmp_path / "unread.csv", header + "Алия,Яма на Абая,someday\n"))
    assert english.published_at == datetime(2026, 11, 25, 10, 30, tzinfo=ALMATY)
    assert unread.published_at is None and problems
    assert english.external_id == unread.external_id
    # an RFC 822 date was read before, and is hashed with its date as it was
    (rfc,), _ = read(write(tmp_path / "rfc.csv", header + 'Алия,Яма на Абая,"Wed, 25 Nov 2026 10:30:00"\n'))
    assert rfc.published_at == english.published_at and rfc.external_id != english.external_id


# -- the date_order option -------------------------------------------------------------------

# A US-English account's export whose days are all 12 or less: nothing in it says month/day.
US_ONLY_LOW_DAYS = (
    "Name,Comment,Date\n"
    "Асель,Нет воды третий день,03/04/2026 14:35\n"
    "Данияр,Ямы у люков после ремонта,04/05/2026 09:10\n"
    "Ерлан,Дата в ISO не меняется,2026-04-06 10:00\n"
)


def read_with(path: Path, **options: str) -> tuple[list[Item], list[InputError]]:
    problems: list[InputError] = []
    items = list(read_export(path, source="fb-export", options=options, report=problems.append))
    return items, problems


def test_date_order_mdy_reads_a_file_whose_days_are_all_12_or_less_month_day(tmp_path: Path) -> None:
    path = write(tmp_path / "us.csv", US_ONLY_LOW_DAYS)
    items, problems = read_with(path, date_order="mdy")
    assert problems == []
    assert [i.published_at for i in items] == [
        datetime(2026, 3, 4, 14, 35, tzinfo=ALMATY),
        datetime(2026, 4, 5, 9, 10, tzinfo=ALMATY),
        datetime(2026, 4, 6, 10, 0, tzinfo=ALMATY),
    ]
    # without the option (or with "auto") the file's values decide, and these decide nothing: day/month
    for options in ({}, {"date_order": "auto"}, {"date_order": "dmy"}):
        items, _ = read_with(path, **options)
        assert [i.published_at for i in items][:2] == [
            datetime(2026, 4, 3, 14, 35, tzinfo=ALMATY),
            datetime(2026, 5, 4, 9, 10, tzinfo=ALMATY),
        ], options


def test_date_order_dmy_overrides_what_the_file_seems_to_write(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ru.csv",
        "Name,Comment,Date\nАсель,Нет воды,03/04/2026 10:00\nДанияр,Ямы,04/25/2026 10:00\n",
    )
    items, problems = read_with(path, date_order="dmy")
    assert len(items) == 2  # no row lost
    assert [i.published_at for i in items] == [datetime(2026, 4, 3, 10, 0, tzinfo=ALMATY), None]
    assert [(p.line, p.message.split(" unreadable")[0]) for p in problems] == [(3, "date '04/25/2026 10:00'")]


def test_a_file_writing_both_orders_is_not_reported_as_such_when_the_order_is_given(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mixed.csv", "Name,Comment,Date\nА,Нет воды,13/01/2026 10:00\nБ,Ямы,01/14/2026 10:00\n"
    )
    items, problems = read_with(path, date_order="mdy")
    assert [i.published_at for i in items] == [None, datetime(2026, 1, 14, 10, 0, tzinfo=ALMATY)]
    assert [p.line for p in problems] == [2]  # the row whose date is not month/day, and nothing else


def test_ids_are_the_same_whatever_the_date_order(tmp_path: Path) -> None:
    # rows without an id or link are known by a hash of their date: the option must not change it, or
    # a file imported before with the default would be stored a second time with the option set
    low = write(tmp_path / "low.csv", US_ONLY_LOW_DAYS)
    high = write(
        tmp_path / "high.csv",
        "Name,Comment,Date\nАлия,Яма на Абая,11/03/2026 10:00\nБолат,Нет света,11/25/2026 09:00\n",
    )
    for path in (low, high):
        ids = {order: [i.external_id for i in read_with(path, date_order=order)[0]] for order in DATE_ORDERS}
        assert ids["dmy"] == ids["mdy"] == ids["auto"] == [i.external_id for i in read(path)[0]], path
        assert len(set(ids["auto"])) == len(ids["auto"]) and all(i.startswith("fbx-") for i in ids["auto"])
    # and they are the ids the default gave before the option existed (the date read day/month)
    (dotted,), _ = read(
        write(tmp_path / "dotted.csv", "Name,Comment,Date\nАлия,Яма на Абая,11.03.2026 10:00\n")
    )
    assert read_with(high, date_order="dmy")[0][0].external_id == dotted.external_id


@pytest.mark.parametrize("value", ["ymd", "MDY", "", 1])
def test_a_wrong_date_order_is_one_error_naming_the_source_and_key(tmp_path: Path, value: object) -> None:
    path = write(tmp_path / "us.csv", US_ONLY_LOW_DAYS)
    with pytest.raises(ConfigError) as caught:
        list(read_export(path, source="fb-export", options={"date_order": value}, report=lambda _e: None))
    assert str(caught.value) == (
        f'source fb-export: date_order must be "auto", "dmy" or "mdy", got {value!r}'
    )


def test_date_order_is_checked_when_sources_toml_loads(tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    table = '[[sources]]\nname = "dept-fb"\nkind = "facebook-export"\ndate_order = "%s"\n'
    config.write_text(table % "mdy", encoding="utf-8")
    assert load_config(config).source("dept-fb").options == {"date_order": "mdy"}
    config.write_text(table % "m/d/y", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert str(caught.value) == (
        f'{config}: source dept-fb: date_order must be "auto", "dmy" or "mdy", got \'m/d/y\''
    )


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("04/25/2026 10:00 EST", datetime(2026, 4, 25, 10, 0, tzinfo=timezone(timedelta(hours=-5)))),
        ("25.11.2026 14:35 PST", datetime(2026, 11, 25, 14, 35, tzinfo=timezone(timedelta(hours=-8)))),
    ],
)
def test_a_zone_abbreviation_after_a_date_other_than_iso_is_read_and_the_id_stays(
    tmp_path: Path, written: str, expected: datetime
) -> None:
    # Only ISO dates took «EST» before; these were unreadable, so the hash of a row without an id or
    # link held no date, and it must go on holding none (else each such row is stored a second time).
    header = "Name,Comment,Date\n"
    month_day = "Ерлан,Другой день,04/26/2026 09:00\n"  # the file's order: month/day
    (zoned, _), _ = read(write(tmp_path / "zoned.csv", header + f"Алия,Яма на Абая,{written}\n" + month_day))
    (unread, _), _ = read(write(tmp_path / "unread.csv", header + "Алия,Яма на Абая,someday\n" + month_day))
    assert zoned.published_at == expected
    assert unread.published_at is None and zoned.external_id == unread.external_id
    # an ISO date with «EST» was read, and hashed with its date, before: it still is
    (iso, _), _ = read(
        write(tmp_path / "iso.csv", header + "Алия,Яма на Абая,2026-04-25 10:00 EST\n" + month_day)
    )
    assert iso.published_at == datetime(2026, 4, 25, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert iso.external_id != unread.external_id
