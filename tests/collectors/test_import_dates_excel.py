"""`import csv`: the dates Excel writes (day numbers, slashed dates in either order, a 12-hour clock,
Russian month words) are read as a Facebook export's CSVs read them, the order decided per file; a
JSON Lines line cut short says where, once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collectors.facebook_export_dates import csv_hash_date
from collectors.file_import import read_csv, read_jsonl
from collectors.item import Item
from errors import InputError

ALMATY = ZoneInfo("Asia/Almaty")


def run(path: Path, text: str, **options: str) -> tuple[dict[str, datetime | None], list[str]]:
    path.write_text(text, encoding="utf-8")
    errors: list[InputError] = []
    items: list[Item] = list(read_csv(path, source="xl", options=options, report=errors.append))
    return {i.external_id: i.published_at for i in items}, [str(e) for e in errors]


def at(day: int, month: int, hour: int = 0, minute: int = 0, tz: ZoneInfo = ALMATY) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=tz)


def test_excel_day_numbers_read_in_the_sources_zone_when_the_whole_column_is_them(tmp_path: Path) -> None:
    # Excel «CSV UTF-8» of a date column formatted General; a Russian Excel writes a decimal comma
    text = "id;text;published_at\r\n1;a;46351,607639\r\n2;b;46351\r\n3;c;\r\n4;d;45351.979167\r\n"
    dates, errors = run(tmp_path / "serial.csv", text)
    assert errors == []
    assert dates == {
        "1": at(25, 11, 14, 35),
        "2": at(25, 11),
        "3": None,
        "4": datetime(2024, 2, 29, 23, 30, tzinfo=ALMATY),
    }
    new_york = ZoneInfo("America/New_York")
    dates, _ = run(tmp_path / "serial.csv", text, tz="America/New_York")
    assert dates["1"] == at(25, 11, 14, 35, new_york)
    # a day number in a column of other dates may be anything: no date, as before
    path = tmp_path / "mixed.csv"
    dates, errors = run(path, "id,text,published_at\n1,a,46351.6\n2,b,25.11.2026 14:35\n3,c,20261125\n")
    assert dates == {"2": at(25, 11, 14, 35), "3": at(25, 11)}  # 20261125: ISO's basic form, as before
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:2: source xl: published_at '46351.6' is not a date")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # en-US Excel: a second field above 12 makes the whole file month/day, 03/04 too
        (["11/25/2026 2:35 PM", "03/04/2026 10:00"], [at(25, 11, 14, 35), at(4, 3, 10)]),
        # en-GB / ru-RU: day/month
        (["25/11/2026 14:35", "03/04/2026 10:00"], [at(25, 11, 14, 35), at(3, 4, 10)]),
        # nothing to decide by: day/month, as the region's tools write
        (["03/04/2026 10:00"], [at(3, 4, 10)]),
        (
            ["25 ноября 2026 г. 14:35", "2026-11-25 14:35 EST"],
            [at(25, 11, 14, 35), datetime.fromisoformat("2026-11-25T19:35+00:00")],
        ),
    ],
)
def test_slashed_and_worded_dates_in_the_files_own_order(
    tmp_path: Path, rows: list[str], expected: list[datetime]
) -> None:
    text = "id,text,published_at\r\n" + "".join(f'{n},t,"{v}"\r\n' for n, v in enumerate(rows))
    dates, errors = run(tmp_path / "dates.csv", text)
    assert errors == []
    assert list(dates.values()) == expected


def test_date_order_option_reads_an_ambiguous_file_month_day(tmp_path: Path) -> None:
    dates, errors = run(tmp_path / "us.csv", "id,text,published_at\n1,t,03/04/2026 10:00\n", date_order="mdy")
    assert (dates, errors) == ({"1": at(4, 3, 10)}, [])


def test_a_file_writing_both_orders_is_one_error_and_read_day_month(tmp_path: Path) -> None:
    path = tmp_path / "both.csv"
    text = "id,text,published_at\n1,a,11/25/2026 2:35 PM\n2,b,25/11/2026 14:35\n3,c,03/04/2026 10:00\n"
    dates, errors = run(path, text)
    assert dates == {"2": at(25, 11, 14, 35), "3": at(3, 4, 10)}
    assert errors[0].startswith(f"{path}: source xl: slashed dates written day/month ('25/11/2026', line 3)")
    assert errors[1].startswith(f"{path}:2: source xl: published_at '11/25/2026 2:35 PM' is not a date")
    assert len(errors) == 2


def test_a_json_lines_line_cut_short_names_its_column_once(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_text('{"id": "a1", "text": "ок"}\n{"id": "a2", "text": "обрез', encoding="utf-8")
    errors: list[InputError] = []
    items = list(read_jsonl(path, source="jl", options={}, report=errors.append))
    assert [i.external_id for i in items] == ["a1"]
    assert [str(e) for e in errors] == [
        f"{path}:2: source jl: not JSON: Unterminated string starting at column 22"
    ]


def ids_and_dates(
    path: Path, rows: list[str], **options: str
) -> tuple[dict[str, datetime | None], list[str]]:
    """Hash ids (no id column) of rows ``text,author,published_at``."""
    return run(path, "text,author,published_at\n" + "".join(f"{r}\n" for r in rows), **options)


US_FIRST = [f"Post of the {d:02},Ann,11/{d:02}/2026 10:00 AM" for d in (1, 5, 9)]


def test_a_rows_hash_id_is_the_same_whatever_order_its_file_is_read_in(tmp_path: Path) -> None:
    # review: a US export of days ≤ 12 read day/month, then a longer one with the 25th (month/day):
    # every row was stored again; so was the first file given date_order = mdy afterwards
    first, errors = ids_and_dates(tmp_path / "us.csv", US_FIRST)
    assert errors == [] and list(first.values()) == [at(11, d, 10) for d in (1, 5, 9)]  # day/month
    longer, errors = ids_and_dates(tmp_path / "us.csv", [*US_FIRST, "Post of the 25,Ann,11/25/2026 10:00 AM"])
    assert errors == [] and list(longer.values()) == [at(d, 11, 10) for d in (1, 5, 9, 25)]  # month/day
    assert list(longer)[:3] == list(first)
    told, errors = ids_and_dates(tmp_path / "us.csv", US_FIRST, date_order="mdy")
    assert errors == [] and list(told) == list(first) and list(told.values()) == list(longer.values())[:3]
    # a date only month/day can be keeps its own: not the id of the 25th of another month
    assert len(set(longer)) == 4


def test_a_slashed_dates_hash_does_not_depend_on_the_day_it_is_imported() -> None:
    # read day/month for the hash, 03/04/2999 is ahead of any import: hashed all the same, not as
    # read month/day until that day comes and then as day/month (another id)
    as_read = datetime(2999, 3, 4, 10, tzinfo=ALMATY)
    assert csv_hash_date("03/04/2999 10:00", ALMATY, as_read, "mdy") == datetime(
        2999, 4, 3, 10, tzinfo=ALMATY
    )
    assert csv_hash_date("11/25/2026 10:00", ALMATY, at(25, 11, 10), "mdy") == at(25, 11, 10)
    assert csv_hash_date("03/04/2026 10:00", ALMATY, at(3, 4, 10), "dmy") == at(3, 4, 10)


def test_an_excel_day_number_past_year_9999_is_its_rows_error(tmp_path: Path) -> None:
    # review: OverflowError failed the whole file, no line named
    path = tmp_path / "far.csv"
    dates, errors = run(path, "id,text,published_at\n1,a,46351.5\n2,b,2958465.99999999\n")
    assert dates == {"1": at(25, 11, 12)}
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:3: source xl: published_at '2958465.99999999' is not a date")
