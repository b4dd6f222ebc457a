"""Excel's first line ``sep=;`` (it writes it, and reads the delimiter from it) in the CSV of a
`facebook-export` and of the generic `csv` import: no header and no row, and the delimiter it names.
Before, ``sep=|`` was taken for the header («no text column ... among sep=|»), every row lost."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from collectors import file_import
from collectors.csv_layout import excel_separator, find_layout
from collectors.facebook_export import read_export
from collectors.item import Item
from errors import InputError

# (the first line, the delimiter it names): Excel writes «sep=;»; some tools quote it
SEP_LINES = [
    ("sep=|", "|"),
    ("sep=;", ";"),
    ("sep=,", ","),
    ("sep=\t", "\t"),
    ('"sep=|"', "|"),
    ("SEP=|", "|"),
]


def fb_export(path: Path, text: str) -> tuple[list[Item], list[InputError]]:
    path.write_text(text, encoding="utf-8")
    problems: list[InputError] = []
    items = list(read_export(path, source="fb-export", options={}, report=problems.append))
    return items, problems


def csv_import(path: Path, text: str, **options: str) -> tuple[list[Item], list[InputError]]:
    path.write_text(text, encoding="utf-8")
    problems: list[InputError] = []
    items = list(file_import.read_csv(path, source="files", options=options, report=problems.append))
    return items, problems


@pytest.mark.parametrize(("first", "sep"), SEP_LINES)
def test_a_facebook_export_csv_is_read_with_the_delimiter_its_sep_line_names(
    tmp_path: Path, first: str, sep: str
) -> None:
    path = tmp_path / "posts.csv"
    rows = [
        ["Message", "URL", "Post Created"],
        [
            "«Нет воды», пишут жители; когда дадут?",
            "https://www.facebook.com/104857600123/posts/1001",
            "2026-11-25 14:30",
        ],
        ["", "https://www.facebook.com/104857600123/posts/1002", "2026-11-25 14:31"],
        ["Ремонт завершён", "https://www.facebook.com/104857600123/posts/1003", "2026-11-25 14:32"],
    ]
    out = io.StringIO()
    out.write(first + "\r\n")
    csv.writer(out, delimiter=sep).writerows(rows)  # the text quoted where it holds the delimiter
    text = out.getvalue()
    items, problems = fb_export(path, text)
    assert [(i.external_id, i.text) for i in items] == [
        ("104857600123_1001", rows[1][0]),
        ("104857600123_1003", "Ремонт завершён"),
    ]
    assert all(i.published_at for i in items)
    assert "sep=" not in str(items[0].raw)  # the line is no header: no column is named after it
    assert [str(p) for p in problems] == [f"{path}:4: source fb-export: row without text; skipped"]


@pytest.mark.parametrize(("first", "sep"), SEP_LINES)
def test_a_csv_import_is_read_with_the_delimiter_its_sep_line_names(
    tmp_path: Path, first: str, sep: str
) -> None:
    path = tmp_path / "export.csv"
    text = (
        f"{first}\nid{sep}text{sep}author\n"
        f'1{sep}"Фонарь не горит, уже неделю; когда?"{sep}Аня\n'
        f"2{sep}{sep}Аня\n"
        f"3{sep}Яма у дома{sep}Ерлан\n"
    )
    items, problems = csv_import(path, text)
    assert [(i.external_id, i.text, i.author) for i in items] == [
        ("1", "Фонарь не горит, уже неделю; когда?", "Аня"),
        ("3", "Яма у дома", "Ерлан"),
    ]
    assert [str(p) for p in problems] == [f"{path}:4: source files: the row has no text"]


def test_the_delimiter_option_wins_over_the_sep_line_which_is_still_no_header(tmp_path: Path) -> None:
    # ``delimiter`` in sources.toml is what a person said of the source's files: it is not overridden
    items, problems = csv_import(
        tmp_path / "export.csv", 'sep=;\nid,text\n1,"Нет воды; света"\n', delimiter=","
    )
    assert [(i.external_id, i.text) for i in items] == [("1", "Нет воды; света")] and problems == []


def test_a_header_without_a_text_column_below_a_sep_line_is_named_with_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with pytest.raises(InputError) as raised:
        csv_import(path, "sep=|\nid|body\n1|Нет воды\n")
    assert str(raised.value) == f"{path}:2: source files: the header has no 'text' column (columns: id, body)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sep=;\r\nid;text\n", ";"),
        ("sep=|", "|"),
        ('"sep=,"\n', ","),
        ("sep=;;\nid;text\n", None),  # not Excel's line: two characters
        ("separator,text\n", None),
        ("id,text\nsep=;\n", None),  # only the first line
    ],
)
def test_excel_separator(text: str, expected: str | None) -> None:
    assert excel_separator(text) == expected


def test_find_layout_skips_the_sep_line() -> None:
    layout = find_layout("sep=|\nid|text\n1|a, b; c\n", lambda header: "text" in header)
    assert (layout.delimiter, layout.skip, layout.known) == ("|", 1, True)


def test_a_sep_line_naming_another_delimiter_than_the_header_s_costs_no_rows(tmp_path: Path) -> None:
    # A file re-delimited since (saved again with «;») that kept its «sep=,» line: its header shows the
    # delimiter, as it did before the line was read (review: the named one alone refused the file)
    fb, fb_problems = fb_export(
        tmp_path / "fb.csv",
        "sep=,\nMessage;URL;Post Created\n"
        '"Нет воды, света";https://www.facebook.com/104857600123/posts/1;2026-11-20 10:00:00\n',
    )
    plain, plain_problems = csv_import(tmp_path / "plain.csv", 'sep=,\nid;text\n1;"Нет воды, света"\n')
    assert [(i.external_id, i.text) for i in fb] == [("104857600123_1", "Нет воды, света")]
    assert [(i.external_id, i.text) for i in plain] == [("1", "Нет воды, света")]
    assert fb_problems == plain_problems == []


def test_the_named_delimiter_wins_a_tie() -> None:
    # a one-column header both read alike, and a row both split in two: «,» is the first of the
    # usual candidates, so it would win without the line
    layout = find_layout("sep=;\ntext\na,b;c\td\n", lambda header: "text" in header)
    assert (layout.delimiter, layout.skip, layout.known) == (";", 1, True)


def test_a_sep_line_whose_delimiter_splits_the_header_is_not_outvoted_by_trailing_ones(
    tmp_path: Path,
) -> None:
    # review: rows ending in the named delimiter voted for «,», which kept the «;» in the texts
    items, problems = csv_import(tmp_path / "export.csv", "sep=;\ntext\nНет воды, света;\nГде деньги;\n")
    assert [i.text for i in items] == ["Нет воды, света", "Где деньги"] and problems == []
