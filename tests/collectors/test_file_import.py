"""Generic CSV and JSON Lines imports: columns, dates, stable ids, bad rows by line, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from testutil import run_cli

from collectors import IMPORTERS, importer
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
    items, errors = run(read_jsonl, path, kind="message", tz="UTC")
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
    with pytest.raises(ConfigError, match="kind"):
        run(read_jsonl, path, kind="tweet")


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
