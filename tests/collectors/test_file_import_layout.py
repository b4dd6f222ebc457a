"""`import csv`: the delimiter and the header's line are decided from the header and most rows, so one
row with a stray delimiter, or a title above the header, does not cost the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.file_import import read_csv
from collectors.item import Item
from errors import InputError


def run(path: Path, text: str, **options: str) -> tuple[list[Item], dict[int | None, str]]:
    path.write_text(text, encoding="utf-8")
    errors: list[InputError] = []
    items = list(read_csv(path, source="files", options=options, report=errors.append))
    return items, {e.line: str(e) for e in errors}


@pytest.mark.parametrize("sep", [";", "\t", ","])
def test_a_title_and_blank_lines_above_the_header_are_skipped_and_lines_keep_their_numbers(
    tmp_path: Path, sep: str
) -> None:
    path = tmp_path / "export.csv"
    rows = [f"{n}{sep}Фонарь не горит {n}{sep}Аня" for n in range(3)]
    rows[1] = f"1{sep}Нет воды{sep} уже неделю{sep}Аня"  # a stray delimiter in an unquoted text
    text = f"Выгрузка обращений{sep} ноябрь 2026\n\nid{sep}text{sep}author\n" + "\n".join(rows) + "\n"
    items, errors = run(path, text)
    assert [(i.external_id, i.text, i.author) for i in items] == [
        ("0", "Фонарь не горит 0", "Аня"),
        ("2", "Фонарь не горит 2", "Аня"),
    ]
    assert errors == {5: f"{path}:5: source files: 4 fields where the header has 3"}


def test_a_quote_never_closed_below_a_title_names_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    text = 'Отчёт\nid;text;author\nq1;"не закрыта;Аня\nr1;Яма у дома;Аня\n'
    items, errors = run(path, text)
    assert [i.external_id for i in items] == ["r1"]
    assert list(errors) == [3] and "running on to the end of the file (line 4)" in errors[3]


def test_the_delimiter_option_still_decides_and_a_title_is_skipped(tmp_path: Path) -> None:
    # ";" splits the header into the known columns, but the source says "|"
    path = tmp_path / "pipes.csv"
    items, errors = run(path, "Отчёт; ноябрь\nid|text|note\n1|Нет света; третий день|a;b\n", delimiter="|")
    assert [(i.text, i.raw) for i in items] == [("Нет света; третий день", {"note": "a;b"})]
    assert errors == {}


def test_columns_without_a_name_keep_their_values_by_place(tmp_path: Path) -> None:
    # Two empty header cells were one key: the first one's values were lost without a word.
    items, errors = run(tmp_path / "blank.csv", "id;text;;\n1;Яма на Абая;42;дом 5\n")
    assert [i.raw for i in items] == [{"column 3": "42", "column 4": "дом 5"}]
    assert errors == {}


def test_a_file_without_a_text_column_is_still_one_error_naming_its_header(tmp_path: Path) -> None:
    path = tmp_path / "none.csv"
    with pytest.raises(InputError) as caught:
        run(path, "id;body;author\n1;Яма;Аня\n")
    assert (
        str(caught.value)
        == f"{path}:1: source files: the header has no 'text' column (columns: id, body, author)"
    )


def test_a_data_row_another_delimiter_splits_into_known_names_is_no_header(tmp_path: Path) -> None:
    # Split at ",", the last row reads "…, text": a header with a 'text' column, two lines after the
    # tab header. It was taken for the header: nothing imported, and no error.
    text = "published_at\ttext\n2026-11-24T09:15:00\tЯма на Абая\n25.11.2026 14:35\tПрислали фото, text\n"
    items, errors = run(tmp_path / "tabs.csv", text)
    assert [i.text for i in items] == ["Яма на Абая", "Прислали фото, text"] and errors == {}


def test_an_unnamed_column_beside_one_named_like_its_placeholder(tmp_path: Path) -> None:
    # The unnamed third column was "column 3", as the fourth is named: the file was refused.
    items, errors = run(tmp_path / "named.csv", "id,text,,column 3\n1,Яма на Абая,42,дом 5\n")
    assert [i.raw for i in items] == [{"column 3 (unnamed)": "42", "column 3": "дом 5"}] and errors == {}


@pytest.mark.parametrize(("titles", "read"), [(10, True), (11, False)])
def test_up_to_ten_title_lines_above_the_header(tmp_path: Path, titles: int, read: bool) -> None:
    path = tmp_path / "titles.csv"
    text = "".join(f"Отчёт, строка {n}\n" for n in range(1, titles + 1)) + "id;text\n1;Яма\n"
    if read:
        items, errors = run(path, text)
        assert [(i.external_id, i.text) for i in items] == [("1", "Яма")] and errors == {}
    else:
        with pytest.raises(InputError, match=r":1: source files: the header has no 'text' column"):
            run(path, text)


def test_empty_fields_past_the_header_cost_no_row(tmp_path: Path) -> None:
    # A spreadsheet writes every row as wide as its widest: ``text,author,published_at,,``. Empty
    # fields hold nothing to shift; a row with data in them stays an error naming its line.
    items, errors = run(
        tmp_path / "sheet.csv",
        "text,author,published_at\r\n"
        "Нет воды на Абая,Марат,2026-11-20 10:00,,\r\n"
        '"Свет отключили,\r\nвторой день",Асем,2026-11-20 11:00, ,\r\n'
        "Сдвинутая строка,Ерлан,2026-11-20 12:00,лишнее,\r\n",
    )
    assert [(i.text, i.author, i.raw) for i in items] == [
        ("Нет воды на Абая", "Марат", {}),
        ("Свет отключили,\r\nвторой день", "Асем", {}),
    ]
    assert errors == {5: f"{tmp_path / 'sheet.csv'}:5: source files: 5 fields where the header has 3"}


def test_a_row_wider_than_most_with_empty_extra_fields_is_an_error(tmp_path: Path) -> None:
    # Most rows are as wide as the header: an empty field past it is no padding but the tail of a row
    # a stray comma split (review: its text was stored cut and its author was the text's tail).
    items, errors = run(
        tmp_path / "posts.csv",
        "id,published_at,text,author,url\n"
        "1,2026-11-20 10:00,Нет света,Ерлан,\n"
        "2,2026-11-20 11:00,Нет воды, света нет третий день,Асель,\n"
        "3,2026-11-20 12:00,Яма на дороге,Марат,\n",
    )
    assert [i.external_id for i in items] == ["1", "3"]
    assert errors == {3: f"{tmp_path / 'posts.csv'}:3: source files: 6 fields where the header has 5"}
