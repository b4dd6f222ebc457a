"""`import facebook-export` CSV: the delimiter and the header's line are decided from the header and
most rows (csv.Sniffer gave up on a file for one row with a stray delimiter), a row with fields past
the header's is one error naming its line, and no column's values are lost to a repeated or empty
header name."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.facebook_export import read_export
from collectors.item import Item
from errors import InputError

HEADER = ["Post ID", "Message", "Page Name", "Post Created"]


def read(path: Path, text: str) -> tuple[list[Item], dict[int | None, str]]:
    path.write_text(text, encoding="utf-8")
    problems: list[InputError] = []
    items = list(read_export(path, source="fb-export", options={}, report=problems.append))
    return items, {p.line: str(p) for p in problems}


def rows(sep: str, count: int, stray: int) -> str:
    """A CSV of ``count`` posts whose texts hold commas, the one at index ``stray`` holding ``sep``."""
    lines = [sep.join(HEADER)]
    for n in range(count):
        # a comma file quotes texts with commas: only the stray one is unquoted
        text = f"Нет воды, света и газа на Абая {n}, когда дадут?" if sep != "," else f"Нет воды на Абая {n}"
        if n == stray:
            text = f"Нет воды{sep} света нет {n}"
        lines.append(sep.join([str(n), text, "Акимат", "25.11.2026 14:35"]))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("count", [10, 200])
@pytest.mark.parametrize("sep", [";", "\t", ","])
def test_one_row_with_a_stray_delimiter_is_one_error_and_the_others_are_read(
    tmp_path: Path, sep: str, count: int
) -> None:
    # 10 rows: the sniffer gave up and the file was refused ("no text column"); 200: it read the row
    # with its cells shifted (text cut short, «Акимат» reported as an unreadable date), the rest lost
    path = tmp_path / "posts.csv"
    items, problems = read(path, rows(sep, count, stray=3))
    assert [i.external_id for i in items] == [str(n) for n in range(count) if n != 3]
    assert {i.author for i in items} == {"Акимат"} and all(i.published_at for i in items)
    assert problems == {5: f"{path}:5: source fb-export: 5 fields where the header has 4; skipped"}


def test_a_title_and_blank_lines_above_the_header(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    text = "Мониторинг: страница акимата, ноябрь 2026\n\n" + rows(";", 3, stray=-1).replace(
        "1;Нет воды, света и газа на Абая 1, когда дадут?", "1;"
    )
    items, problems = read(path, text)
    assert [i.external_id for i in items] == ["0", "2"]
    assert problems == {5: f"{path}:5: source fb-export: row without text; skipped"}


def test_trailing_empty_fields_past_the_header_are_no_error(tmp_path: Path) -> None:
    items, problems = read(
        tmp_path / "trailing.csv", "Post ID;Message;Post Created\n1;Яма у дома;25.11.2026;;\n"
    )
    assert [(i.external_id, i.text) for i in items] == [("1", "Яма у дома")] and problems == {}


def test_a_repeated_column_name_keeps_both_columns_and_says_which_is_read(tmp_path: Path) -> None:
    # csv.DictReader kept the last "Message": the first column's values were lost without a word.
    path = tmp_path / "twice.csv"
    items, problems = read(path, "Post ID;Message;Message;Page Name\n1;Заголовок;Яма у дома;Акимат\n")
    assert [(i.text, i.raw) for i in items] == [
        (
            "Яма у дома",  # the column read before, so the row's text and id stay as they were
            {
                "Post ID": "1",
                "Message (column 2)": "Заголовок",
                "Message": "Яма у дома",
                "Page Name": "Акимат",
            },
        )
    ]
    assert problems == {
        1: f"{path}:1: source fb-export: the header names 'Message' more than once: the last such column "
        "is read, the others are kept in raw as 'Message (column 2)'"
    }


def test_columns_without_a_name_keep_their_values_by_place(tmp_path: Path) -> None:
    items, problems = read(tmp_path / "blank.csv", "Post ID;Message;;\n1;Яма у дома;42;дом 5\n")
    assert [i.raw for i in items] == [
        {"Post ID": "1", "Message": "Яма у дома", "column 3": "42", "column 4": "дом 5"}
    ]
    assert problems == {}


def test_doubled_quotes_in_a_row_past_the_sniffed_8_kb_are_read(tmp_path: Path) -> None:
    # Without a "" in its first 8 KB, csv.Sniffer says quotes are not doubled: the row below was
    # split wrong and left out as "5 fields where the header has 4".
    path = tmp_path / "late.csv"
    lines = [",".join(HEADER)] + [f"{n},Пост {n} о ремонте дорог,Акимат,24.11.2026 09:00" for n in range(300)]
    lines.append('300,"Жители: ""акт подписан"", а ямы остались",Акимат,24.11.2026 11:00')
    assert len("\n".join(lines[:-1])) > 8192
    items, problems = read(path, "\n".join(lines) + "\n")
    assert len(items) == 301 and problems == {}
    assert items[-1].text == 'Жители: "акт подписан", а ямы остались'


def test_a_data_row_another_delimiter_splits_into_known_names_is_no_header(tmp_path: Path) -> None:
    # Split at ",", the last row holds 'время' (a date column) and 'текст сообщения' (a text column):
    # that row was taken for the header and the file refused.
    text = (
        "Post ID;Post Created;Message\n1;25.11.2026 14:35;Яма на Абая\n"
        "2;25.11.2026 15:00;Укажите, пожалуйста: дату, время, текст сообщения\n"
    )
    items, problems = read(tmp_path / "semi.csv", text)
    assert [(i.external_id, i.text) for i in items] == [
        ("1", "Яма на Абая"),
        ("2", "Укажите, пожалуйста: дату, время, текст сообщения"),
    ]
    assert problems == {}


@pytest.mark.parametrize(("sep", "quote"), [(", ", '"'), (";", "'")], ids=["space after ,", "single quotes"])
def test_quoted_header_names_as_the_sniffer_read_them(tmp_path: Path, sep: str, quote: str) -> None:
    # Refused before with "no text column ... among Message, "Post Created", "URL"" (or 'Message'...)
    header = sep.join(f"{quote}{name}{quote}" for name in ("Message", "Post Created", "URL"))
    cells = [["Яма, 5; дом", "2026-11-24 09:15:00", "https://www.facebook.com/104857600123/posts/1001"]]
    text = header + "\n" + "\n".join(sep.join(f"{quote}{c}{quote}" for c in row) for row in cells) + "\n"
    items, problems = read(tmp_path / "quoted.csv", text)
    assert [(i.external_id, i.text, i.published_at is not None) for i in items] == [
        ("104857600123_1001", "Яма, 5; дом", True)
    ]
    assert problems == {}


def test_a_column_added_without_a_name_to_most_rows_is_kept_in_raw(tmp_path: Path) -> None:
    # Every row was "4 fields where the header has 3; skipped": the whole file lost.
    path = tmp_path / "notes.csv"
    lines = ["Имя;Комментарий;Дата"] + [f"Аня;Яма {n};25.11.2026 14:35;проверено {n}" for n in range(5)]
    lines[3] = "Ерлан;Свет не горит;25.11.2026 15:00;"  # the note left empty: none in raw
    lines[4] = "Ерлан;Нет воды; третий день;25.11.2026 16:00;проверено"  # a stray ";": wider still
    items, problems = read(path, "\n".join(lines) + "\n")
    assert [(i.text, i.author, i.raw.get("column 4")) for i in items] == [
        ("Яма 0", "Аня", "проверено 0"),
        ("Яма 1", "Аня", "проверено 1"),
        ("Свет не горит", "Ерлан", None),
        ("Яма 4", "Аня", "проверено 4"),
    ]
    assert all(i.published_at for i in items)
    assert problems == {
        5: f"{path}:5: source fb-export: 5 fields where the header has 3 and most rows 4; skipped"
    }


def test_an_unnamed_column_beside_one_named_like_its_placeholder(tmp_path: Path) -> None:
    # Reported as "the header names 'column 3' more than once ... kept in raw as 'column 3 (column 3)'"
    items, problems = read(tmp_path / "named.csv", "Post ID;Message;;column 3\n1;Яма у дома;42;дом 5\n")
    assert [i.raw for i in items] == [
        {"Post ID": "1", "Message": "Яма у дома", "column 3 (unnamed)": "42", "column 3": "дом 5"}
    ]
    assert problems == {}


def test_ten_title_lines_above_the_header_are_skipped(tmp_path: Path) -> None:
    titles = "".join(f"Мониторинг, строка {n}\n" for n in range(1, 11))
    items, problems = read(tmp_path / "titles.csv", titles + "Post ID;Message\n1;Яма у дома\n")
    assert [(i.external_id, i.text) for i in items] == [("1", "Яма у дома")] and problems == {}


def test_texts_split_by_a_stray_delimiter_in_most_rows_are_reported_not_stored_cut(tmp_path: Path) -> None:
    # the text is the header's last column: its tail is no column added without a name (review: the
    # texts were stored cut, the tails in raw, nothing said)
    path = tmp_path / "split.csv"
    text = "Post ID,Post Created,Message\n1,25.11.2026 14:35,Нет воды, третий день\n"
    text += "2,25.11.2026 15:00,Яма на Абая, колесо пробил\n3,25.11.2026 16:00,Свет дали\n"
    items, problems = read(path, text)
    assert [i.text for i in items] == ["Свет дали"]
    assert sorted(problems) == [2, 3]


def test_the_width_of_most_rows_is_counted_with_the_files_own_quote_character(tmp_path: Path) -> None:
    # quoted with «'», texts holding «;»: counted with «"» the rows looked one field wider, and a row
    # with a real stray «;» was stored shifted, its URL taken for the date (review)
    path = tmp_path / "single.csv"
    lines = ["'Message';'Post Created';'URL'"]
    lines += [
        f"'Яма {n}; дом {n}';'2026-11-24 09:15:00';'https://www.facebook.com/104857600123/posts/100{n}'"
        for n in range(1, 5)
    ]
    lines.append(
        "'Нет воды'; третий день;'2026-11-24 10:00:00';'https://www.facebook.com/104857600123/posts/2000'"
    )
    items, problems = read(path, "\n".join(lines) + "\n")
    assert [i.external_id for i in items] == [f"104857600123_100{n}" for n in range(1, 5)]
    assert list(problems) == [6]
