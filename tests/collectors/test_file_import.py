"""Generic CSV and JSON Lines imports: columns, dates, stable ids, bad rows by line, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from testutil import run_cli

from collectors import IMPORTERS, file_import, importer
from collectors.file_import import read_csv, read_jsonl
from collectors.item import Item
from errors import ConfigError, InputError

ALMATY = ZoneInfo("Asia/Almaty")

CSV_TEXT = """id,text,author,published_at,url,parent,kind,likes
c1,"Во дворе на Сатпаева, 30 второй месяц не вывозят мусор",Гульнар,2026-11-20 09:15,https://example.kz/c1,,comment,4
c2,"Аким обещал отремонтировать дорогу,
но подрядчик получил деньги и исчез",Бекзат,2026-11-20T10:00:00+05:00,,c1,comment,
c3,Жарық жоқ,Асем,32.13.2026 10:00,,,comment,
c4,,Пустой,2026-11-20 11:00,,,comment,
c5,Вода появилась,Асем,21.11.2026 08:30,,,post,1
c6,Строка с лишним полем,Асем,21.11.2026 08:31,,,post,1,лишнее
c7,Неизвестный вид,Асем,21.11.2026 08:32,,,tweet,
"""

JSONL_TEXT = "\n".join(
    [
        json.dumps(
            {"id": 101, "text": "Шұңқырлар әлі көмілмеген", "author": "Дана", "published_at": "2026-11-22"}
        ),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps(
            {
                "text": "Без id: сообщение о протечке",
                "author": "Олжас",
                "published_at": "2026-11-22T12:00:00Z",
            }
        ),
        "",
        json.dumps(
            {
                "text": "Без id: сообщение о протечке",
                "author": "Олжас",
                "published_at": "2026-11-22T12:00:00Z",
            }
        ),
        json.dumps({"id": "x9", "text": 42}),
        json.dumps({"id": "x10", "text": "Автобус не пришёл", "published_at": 1795000000, "channel": "bus"}),
    ]
)


def run(reader: Any, path: Path, **options: Any) -> tuple[list[Item], list[InputError]]:
    errors: list[InputError] = []
    items = list(reader(path, source="files", options=options, report=errors.append))
    return items, errors


def test_csv_rows_and_bad_rows_by_line(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    items, errors = run(read_csv, path)
    assert [i.external_id for i in items] == ["c1", "c2", "c5"]
    first = items[0]
    assert first == Item(
        source="files",
        kind="comment",
        external_id="c1",
        text="Во дворе на Сатпаева, 30 второй месяц не вывозят мусор",
        url="https://example.kz/c1",
        author="Гульнар",
        published_at=datetime(2026, 11, 20, 9, 15, tzinfo=ALMATY),
        raw={"likes": "4"},
    )
    assert items[1].text == "Аким обещал отремонтировать дорогу,\nно подрядчик получил деньги и исчез"
    assert items[1].parent == "c1"
    assert items[1].published_at == datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
    assert items[2].kind == "post"
    # header is line 1; c2 spans lines 3-4, so c3 is on line 5
    assert [(e.line, e.path) for e in errors] == [
        (5, str(path)),
        (6, str(path)),
        (8, str(path)),
        (9, str(path)),
    ]
    assert "32.13.2026" in str(errors[0]) and "no text" in str(errors[1])
    assert "fields" in str(errors[2]) and "tweet" in str(errors[3])


def test_csv_semicolon_and_cp1251(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("text;author\nНет света на Абая;Марат\n".encode("cp1251"))
    items, errors = run(read_csv, path)
    assert errors == []
    assert [(i.text, i.author, i.kind) for i in items] == [("Нет света на Абая", "Марат", "post")]


def test_csv_ids_without_id_column_are_stable(tmp_path: Path) -> None:
    path = tmp_path / "noid.csv"
    path.write_text("text,author\nЯма у школы,Ира\nЯма у школы,Ира\nДругое,Ира\n", encoding="utf-8")
    first = [i.external_id for i in run(read_csv, path)[0]]
    again = [i.external_id for i in run(read_csv, path)[0]]
    assert first == again
    assert len(set(first)) == 3  # identical rows are told apart by their occurrence


def test_csv_without_text_column_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("body,author\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'text' column"):
        run(read_csv, path)
    with pytest.raises(InputError, match="no such file"):
        run(read_csv, tmp_path / "missing.csv")


def test_jsonl_lines_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text(JSONL_TEXT + "\n", encoding="utf-8")
    items, errors = run(read_jsonl, path, item_kind="message", tz="UTC")
    assert [(i.external_id, i.text) for i in items][:1] == [("101", "Шұңқырлар әлі көмілмеген")]
    assert len(items) == 4
    assert items[0].published_at == datetime(2026, 11, 22, tzinfo=ZoneInfo("UTC"))
    assert items[0].kind == "message"
    assert items[1].external_id != items[2].external_id  # same content twice: two occurrences
    assert items[1].published_at == datetime(2026, 11, 22, 12, tzinfo=UTC)
    assert items[3].published_at == datetime.fromtimestamp(1795000000, tz=UTC)
    assert items[3].raw == {"channel": "bus"}
    assert [e.line for e in errors] == [2, 3, 7]


def test_bad_options_are_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="time zone"):
        run(read_jsonl, path, tz="Mars/Olympus")
    with pytest.raises(ConfigError, match="item_kind"):
        run(read_jsonl, path, item_kind="tweet")


def test_registered_as_importers() -> None:
    assert importer("csv") is read_csv
    assert importer("jsonl") is read_jsonl
    assert IMPORTERS["whatsapp"] == "collectors.whatsapp:read_export"


def test_cli_jsonl_import_twice(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text(JSONL_TEXT + "\n", encoding="utf-8")
    db = tmp_path / "f.duckdb"
    first = run_cli("import", "jsonl", str(path), "--source", "files", "--db", str(db), "--no-classify")
    assert first.returncode == 1  # three bad lines
    assert f"{path}:2" in first.stderr and f"{path}:7" in first.stderr
    second = run_cli("import", "jsonl", str(path), "--source", "files", "--db", str(db), "--no-classify")
    assert "Traceback" not in second.stderr

    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM items WHERE source = 'files'").fetchone() == (4,)
    finally:
        con.close()


# a PNG's first bytes, then every byte value: what `import csv photo.png` would be given
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


@pytest.mark.parametrize(("reader", "what"), [(read_csv, "CSV"), (read_jsonl, "JSON Lines")])
def test_binary_file_is_one_error_not_its_bytes(tmp_path: Path, reader: Any, what: str) -> None:
    path = tmp_path / "photo.bin"
    path.write_bytes(BINARY)
    errors: list[InputError] = []
    with pytest.raises(InputError) as caught:
        list(reader(path, source="files", options={}, report=errors.append))
    assert str(caught.value) == f"{path}: source files: not a {what} text file (control characters)"
    assert errors == []


def test_a_stray_control_character_in_a_row_does_not_refuse_the_file(tmp_path: Path) -> None:
    # some tools write a line break inside a cell as a vertical tab (\x0b)
    path = tmp_path / "cells.csv"
    path.write_text("text,author\nТруба течёт\x0bвторой день,Дана\nСвет дали,Асем\n", encoding="utf-8")
    items, errors = run(read_csv, path)
    assert errors == []
    assert [i.text for i in items] == ["Труба течёт\x0bвторой день", "Свет дали"]


def test_header_columns_are_quoted_without_control_characters(tmp_path: Path) -> None:
    # a quoted header field may hold a line break, and any field a direction override (U+202E)
    path = tmp_path / "odd.csv"
    path.write_text('"bo\ndy",\u202eauthor\nx,y\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        run(read_csv, path)
    assert caught.value.message == "the header has no 'text' column (columns: bo\\ndy, \\u202eauthor)"


def test_printable() -> None:
    assert file_import.printable("\x1b[31mкрасный\x1b[0m") == "\\x1b[31mкрасный\\x1b[0m"
    assert file_import.printable("a\nb\tc\x00") == "a\\nb\\tc\\x00"
    assert file_import.printable("Жалоба: шұңқыр, «люк» 5 м") == "Жалоба: шұңқыр, «люк» 5 м"
    assert file_import.printable("абвгд", limit=3) == "абв…"


@pytest.mark.parametrize("reader", [read_csv, read_jsonl])
def test_a_directory_is_not_a_file(tmp_path: Path, reader: Any) -> None:
    with pytest.raises(InputError) as caught:
        run(reader, tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a directory, not a file"


def test_csv_byte_order_marks(tmp_path: Path) -> None:
    # Excel writes "CSV UTF-8" with a byte-order mark, and "Unicode text" as UTF-16 with one
    text = "text,author\nНа Абая снова прорвало трубу,Дана\n"
    cases = [
        ("utf8.csv", b"\xef\xbb\xbf" + text.encode("utf-8"), {}),
        ("named.csv", b"\xef\xbb\xbf" + text.encode("utf-8"), {"encoding": "utf-8"}),
        ("unicode.txt", text.replace(",", "\t").encode("utf-16"), {}),
    ]
    for name, data, options in cases:
        path = tmp_path / name
        path.write_bytes(data)
        items, errors = run(read_csv, path, **options)
        assert errors == [], name
        assert [(i.text, i.author) for i in items] == [("На Абая снова прорвало трубу", "Дана")], name


def test_cli_jsonl_every_line_bad_is_a_failed_run(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{not json\n["a list"]\n{"text": ""}\n', encoding="utf-8")
    db = tmp_path / "f.duckdb"
    result = run_cli("import", "jsonl", str(path), "--source", "files", "--db", str(db), "--no-classify")
    assert result.returncode == 1

    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT status, fetched, problems FROM runs").fetchall() == [("failed", 0, 3)]


def test_rows_without_a_kind_column_take_the_sources_item_kind(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"
    path.write_text("id,text,kind\n1,Опять прорвало трубу,\n2,Статья о ремонте,article\n", encoding="utf-8")
    items, errors = run(read_csv, path, item_kind="comment")
    assert errors == []
    assert [(i.external_id, i.kind) for i in items] == [("1", "comment"), ("2", "article")]


def _lines(errors: list[InputError]) -> dict[int | None, str]:
    return {e.line: str(e) for e in errors}


def test_jsonl_lines_python_cannot_take_are_each_one_error_and_the_rest_is_read(tmp_path: Path) -> None:
    good = [json.dumps({"id": f"g{n}", "text": f"Яма на дороге {n}"}) for n in range(4)]
    bad = [
        '{"id": "s1", "text": "битый символ \\ud800 в тексте"}',  # a lone surrogate: kept, as U+FFFD
        '{"id": "b1", "text": "x", "n": ' + "9" * 5000 + "}",  # more digits than Python reads
        "[" * 100_000,  # deeper than Python's recursion
        json.dumps({"id": "t1", "text": "x", "published_at": 1e20}),
        json.dumps({"id": "t2", "text": "x", "published_at": float("inf")}),  # Infinity
        json.dumps({"id": "t3", "text": "x", "published_at": "0001-01-01T00:00"}),
        json.dumps({"id": "t4", "text": "x", "published_at": "9999-12-31T23:59-05:00"}),
        json.dumps({"id": "g0", "text": "тот же id ещё раз"}),
        json.dumps({"ID": "k1", "id": "k2", "text": "x"}),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\r".join(good[:2]) + "\r\n" + "\n".join(bad + good[2:]) + "\n", encoding="utf-8")
    items, errors = run(read_jsonl, path)
    assert [i.external_id for i in items] == ["g0", "g1", "s1", "g2", "g3"]
    assert items[2].text == "битый символ \ufffd в тексте"
    outside = "is not a publication time (before 1990 or more than a day ahead)"
    assert _lines(errors) == {
        4: f"{path}:4: source files: not JSON this import reads: a number of more than 4,300 digits",
        5: f"{path}:5: source files: not JSON this import reads: nested too deeply",
        6: f"{path}:6: source files: published_at 1e+20 is not a time (seconds since 1970)",
        7: f"{path}:7: source files: published_at inf is not a time (seconds since 1970)",
        8: f"{path}:8: source files: published_at 0001-01-01T00:00 {outside}",
        9: f"{path}:9: source files: published_at 9999-12-31T23:59-05:00 {outside}",
        10: f"{path}:10: source files: id g0 was given on line 1 already; this row is left out (one id, one item)",
        11: f"{path}:11: source files: the object has 'id' more than once (keys are read without case)",
    }


def test_csv_a_quote_never_closed_costs_its_own_line_only(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    rows = [f"r{n},Фонарь не горит {n},Аня" for n in range(3)]
    path.write_text('id,text,author\nq1,"не закрыта,Аня\n' + "\n".join(rows) + "\n", encoding="utf-8")
    items, errors = run(read_csv, path)
    assert [i.external_id for i in items] == ["r0", "r1", "r2"]
    assert _lines(errors) == {
        2: f"{path}:2: source files: 2 fields where the header has 3, running on to the end of the file "
        "(line 5): a quote in it is never closed, so only this line is left out and the lines after it "
        "are read as rows"
    }
    # A quoted field over several lines in a row with a field too many is that row's error only.
    path.write_text('id,text,author\n1,"две\nстроки",Аня,лишнее\n2,ok,Нурлан\n', encoding="utf-8")
    items, errors = run(read_csv, path)
    assert [i.external_id for i in items] == ["2"]
    assert _lines(errors) == {2: f"{path}:2: source files: 4 fields where the header has 3"}


def test_csv_long_fields_duplicate_ids_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    long_text = "Жалоба на дорогу. " * 20_000  # 360,000 characters: past the csv module's own limit
    path.write_text(f'id,text\n1,"{long_text}"\n2,короткая\n1,снова первый\n', encoding="utf-8")
    items, errors = run(read_csv, path)
    assert [(i.external_id, len(i.text)) for i in items] == [("1", len(long_text.strip())), ("2", 8)]
    assert _lines(errors) == {
        4: f"{path}:4: source files: id 1 was given on line 2 already; this row is left out (one id, one item)"
    }
    path.write_text("id,Text,text\n1,a,b\n", encoding="utf-8")
    with pytest.raises(InputError) as refused:
        run(read_csv, path)
    assert str(refused.value) == (
        f"{path}:1: source files: the header names 'text' more than once (column names are read without "
        "case): which column is meant?"
    )


def test_a_few_cp1251_lines_in_a_utf8_file_are_read_as_such(tmp_path: Path) -> None:
    utf8 = "\n".join(f"u{n},Свет не горит во дворе дома {n}" for n in range(20))
    path = tmp_path / "mixed.csv"
    path.write_bytes(("id,text\n" + utf8 + "\n").encode() + "w1,Жалоба из Windows\n".encode("cp1251"))
    items, errors = run(read_csv, path)
    assert errors == []
    assert items[0].text == "Свет не горит во дворе дома 0"  # was mojibake: "РЎРІРµС‚ ..."
    assert items[-1].text == "Жалоба из Windows"
    # A file in cp1251 throughout is still read as cp1251.
    path.write_bytes(("id,text\n" + utf8 + "\n").encode("cp1251"))
    items, errors = run(read_csv, path)
    assert errors == [] and items[5].text == "Свет не горит во дворе дома 5"


def test_an_archive_member_is_read_no_further_than_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    archive = tmp_path / "chat.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("small.txt", "x" * 1000)
        zf.writestr("big.txt", "\0" * 5000)  # a zip bomb in small: it packs to a few bytes
    monkeypatch.setattr(file_import, "MAX_MEMBER", 1000)
    with file_import.open_zip(archive) as zf:
        assert file_import.read_member(zf, "small.txt", archive) == b"x" * 1000
        with pytest.raises(InputError) as refused:
            file_import.read_member(zf, "big.txt", archive)
    assert str(refused.value) == f"{archive}: big.txt unpacks to more than 0 MB, more than any export holds"


def test_lone_surrogates_become_replacement_characters_wherever_an_item_holds_text() -> None:
    item = Item(
        source="files",
        kind="post",
        external_id="id\ud800",
        text="пара \ud83d\ude00 и одна \udc00",
        author="\udfff",
        raw={"extra": "\ud800"},
    )
    assert (item.external_id, item.text, item.author) == ("id\ufffd", "пара 😀 и одна \ufffd", "\ufffd")
    assert item.raw_json() == '{"extra":"\ufffd"}'
    item.raw_json().encode("utf-8")  # what the store writes: no UnicodeEncodeError
