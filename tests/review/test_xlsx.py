"""The XLSX writer: what openpyxl and LibreOffice read back from texts that are hard to carry."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from testutil import SOFFICE, libreoffice_rows

from errors import InputError
from review.cells import cells_from_records
from review.export import COLUMN_NAMES, export_to_file, write_records
from review.export_xlsx import write_xlsx_pieces
from review.queries import LOCAL_TZ, Filters
from review.xlsx import CELL_MAX, clean_text, column_letter, column_width, excel_serial

# (text written, text openpyxl reads back). openpyxl does not decode Excel's _x000D_ escape of a
# carriage return, nor, in an inline string, the _x005F_ escape of a literal _xHHHH_ (Excel and
# LibreOffice do both: test_libreoffice_reads_tricky_texts_dates_and_numbers).
TRICKY = [
    ('<b>Хакер</b> & "кавычки" \'апостроф\'', '<b>Хакер</b> & "кавычки" \'апостроф\''),
    ("упр\x01\x02\x0bсим\x1fвол\x00", "упрсимвол"),
    ("_x0041_ и _X00e9_", "_x005F_x0041_ и _X00e9_"),
    ("Шұңқыр\r\nаялдамада", "Шұңқыр_x000D_\nаялдамада"),
    ("=HYPERLINK(\"http://evil.example\";\"жми\")", "=HYPERLINK(\"http://evil.example\";\"жми\")"),
    ("-5 градусов", "-5 градусов"),
    ("+7 701 000 00 00", "+7 701 000 00 00"),
    ("@akimat_almaty", "@akimat_almaty"),
    ("\tтабуляция", "\tтабуляция"),
    ("😀 Әкімдік қызметкері пара сұрады 🚧", "😀 Әкімдік қызметкері пара сұрады 🚧"),
    ("  пробелы по краям  ", "  пробелы по краям  "),
    ("", ""),
]  # fmt: skip


def _record(text: str, **extra: Any) -> dict[str, Any]:
    return {name: None for name in COLUMN_NAMES} | {
        "source": "dept-whatsapp", "external_id": "wa-1", "text": text, "labels": ["infrastructure"],
        "evidence": {"infrastructure": ["шұңқыр"]}, "duplicate_links": [], "cluster_size": 1, "status": "new",
    } | extra  # fmt: skip


def _written(records: list[dict[str, Any]], about: list[tuple[str, str]] | None = None) -> bytes:
    buffer = io.BytesIO()
    write_records(records, "xlsx", buffer, about=about or [])
    return buffer.getvalue()


def test_tricky_texts_read_back_as_text() -> None:
    data = _written([_record(text, external_id=str(n)) for n, (text, _) in enumerate(TRICKY)])
    ws = load_workbook(io.BytesIO(data))["flagged"]
    col = COLUMN_NAMES.index("text") + 1
    for row, (_, expected) in enumerate(TRICKY, start=2):
        cell = ws.cell(row=row, column=col)
        assert cell.data_type == "s"
        assert cell.value == expected
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "xl/sharedStrings.xml" not in archive.namelist()  # inline strings: no table held to the end
        strings = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "&lt;b&gt;Хакер&lt;/b&gt; &amp;" in strings
    assert "_x005F_x0041_" in strings  # a literal escape sequence is itself escaped
    assert '<t xml:space="preserve">  пробелы по краям  </t>' in strings
    assert "\x01" not in strings and "\x00" not in strings


def test_long_texts_stop_at_the_cell_limit() -> None:
    long_cyrillic = "а" * 40_000
    emoji = "😀" * 20_000  # 40,000 UTF-16 units in 20,000 characters
    data = _written([_record(long_cyrillic, external_id="1"), _record(emoji, external_id="2")])
    ws = load_workbook(io.BytesIO(data))["flagged"]
    col = COLUMN_NAMES.index("text") + 1
    first, second = ws.cell(row=2, column=col).value, ws.cell(row=3, column=col).value
    assert first == "а" * (CELL_MAX - 1) + "…"
    assert second == "😀" * (CELL_MAX // 2) + "…"  # 32,767 units: one more emoji would pass the limit
    assert clean_text("😀" * 20_000) == second


def test_types_styles_and_layout() -> None:
    when = datetime(2026, 3, 1, 12, 30, 15, 999_999, tzinfo=LOCAL_TZ)
    record = _record(
        "Ямы вокруг люков\nна Абая\nтретий день",
        time=when, reviewed_at=datetime(2023, 6, 1, 18, 0, tzinfo=timezone(timedelta(hours=6))),
        corruption=0.123456789012345678, infrastructure=1e-7, cluster_size=3,
        duplicate_links=["https://t.example/city/9", "https://portal.example.kz/news/1#c1"], author=12345,
    )  # fmt: skip
    wb = load_workbook(io.BytesIO(_written([record], about=[("label", "infrastructure")])))
    assert wb.sheetnames == ["flagged", "about"]
    ws = wb["flagged"]
    assert [c.value for c in ws[1]] == COLUMN_NAMES
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:W2"
    assert ws.column_dimensions["G"].width == pytest.approx(70.7109375)
    row = {name: ws.cell(row=2, column=i + 1) for i, name in enumerate(COLUMN_NAMES)}
    assert row["time"].value == datetime(2026, 3, 1, 12, 30, 15, tzinfo=UTC).replace(
        tzinfo=None
    )  # wall clock, s
    assert row["time"].number_format == "yyyy-mm-dd hh:mm"
    assert row["reviewed_at"].value == datetime(2023, 6, 1, 18, 0, tzinfo=UTC).replace(tzinfo=None)
    assert row["corruption"].value == 0.1234567890123457 and row["corruption"].number_format == "0.000"
    assert row["infrastructure"].value == 1e-7
    assert row["cluster_size"].value == 3 and isinstance(row["cluster_size"].value, int)
    assert row["duplicate_links"].value == "https://t.example/city/9\nhttps://portal.example.kz/news/1#c1"
    assert row["text"].alignment.wrap_text and row["text"].alignment.vertical == "top"
    assert row["link"].value is None  # no value, no cell
    assert row["labels"].value == "infrastructure"
    assert row["author"].value == "12345" and row["author"].data_type == "s"  # a number in a text column
    assert ws.row_dimensions[2].height == 45  # three lines of text
    about = {r[0]: r[1] for r in wb["about"].iter_rows(values_only=True)}
    assert about["rows"] == 1
    assert about["label"] == "infrastructure"


def test_helpers() -> None:
    assert [column_letter(i) for i in (0, 21, 25, 26, 701, 702)] == ["A", "V", "Z", "AA", "ZZ", "AAA"]
    assert column_width(70) == 70.7109375
    assert column_width(8) == 8.7109375
    assert excel_serial(0) == 25569.0  # 1970-01-01
    assert excel_serial(-25567 * 86400) == 1.0  # 1900-01-01
    day = 86400
    assert excel_serial((date(1900, 2, 28) - date(1970, 1, 1)).days * day) == 59.0
    assert excel_serial((date(1900, 3, 1) - date(1970, 1, 1)).days * day) == 61.0  # no 1900-02-29 in fact
    assert excel_serial((date(2026, 3, 1) - date(1970, 1, 1)).days * day + 12 * 3600) == 46082.5


def test_empty_export_is_a_valid_workbook(review_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "none.xlsx"
    assert export_to_file(review_db, Filters(query="нет такого текста"), "xlsx", out) == 0
    wb = load_workbook(out)
    assert [c.value for c in wb["flagged"][1]] == COLUMN_NAMES
    assert wb["flagged"].max_row == 1
    csv_out = tmp_path / "none.csv"
    assert export_to_file(review_db, Filters(query="нет такого текста"), "csv", csv_out) == 0
    assert csv_out.read_bytes() == b"\xef\xbb\xbf" + ",".join(COLUMN_NAMES).encode() + b"\r\n"


# No "5": openpyxl drops any "x005F_" it reads, escape or not.
ALPHABET = (
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһіӘҒҚҢӨҰҮҺІ «»—№.,;:!?\"'<>&=+-@_x0A19\t\n\r\x01\x0b\x1f😀🚧"
)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=200))
def test_any_text_reads_back_cleaned(text: str) -> None:
    ws = load_workbook(io.BytesIO(_written([_record(text)])))["flagged"]
    cell = ws.cell(row=2, column=COLUMN_NAMES.index("text") + 1)
    assert cell.data_type == "s"
    # What openpyxl reads of an inline string: Excel's escapes of a CR and of a literal _xHHHH_ as written.
    expected = re.sub("(_x[0-9A-Fa-f]{4}_)", r"_x005F\1", clean_text(text)).replace("\r", "_x000D_")
    assert (cell.value or "") == expected


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_tricky_texts_dates_and_numbers(tmp_path: Path) -> None:
    when = datetime(2026, 3, 1, 12, 30, tzinfo=LOCAL_TZ)
    texts = [text for text, _ in TRICKY] + ["а" * 40_000]
    records = [
        _record(text, external_id=f"id-{n}", time=when, corruption=0.125, cluster_size=2)
        for n, text in enumerate(texts)
    ]
    xlsx = tmp_path / "tricky.xlsx"
    xlsx.write_bytes(_written(records))
    rows = {r["external_id"]: r for r in libreoffice_rows(xlsx, tmp_path)}
    assert len(rows) == len(texts)
    assert rows["id-0"]["text"] == "<b>Хакер</b> & \"кавычки\" 'апостроф'"
    assert rows["id-1"]["text"] == "упрсимвол"
    assert rows["id-2"]["text"] == "_x0041_ и _X00e9_"
    assert rows["id-4"]["text"] == '=HYPERLINK("http://evil.example";"жми")'  # text, not a formula
    assert rows["id-5"]["text"] == "-5 градусов"
    assert rows["id-9"]["text"] == "😀 Әкімдік қызметкері пара сұрады 🚧"
    assert rows["id-10"]["text"] == "  пробелы по краям  "
    assert len(rows["id-12"]["text"]) == CELL_MAX
    assert rows["id-0"]["time"] == "2026-03-01 12:30"
    assert rows["id-0"]["corruption"] == "0.125"
    assert rows["id-0"]["cluster_size"] == "2"


def _pieces(texts: list[list[str]]) -> list[Any]:
    # Cells of one record per text, a piece per inner list.
    return [
        cells_from_records([_record(text, external_id=f"{n}-{i}") for i, text in enumerate(piece)])
        for n, piece in enumerate(texts)
    ]


def test_a_sheet_its_first_rows_foretell_past_a_zip_entrys_limit_is_zip64(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [["Шұңқыр аялдамада " * 50] * 20] * 5  # each row's XML about 2 KB, 100 rows
    plain = io.BytesIO()
    write_xlsx_pieces(_pieces(texts), 100, plain)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 300_000)  # less than twice what 20 rows foretell of 100
    big = io.BytesIO()
    write_xlsx_pieces(_pieces(texts), 100, big)
    with zipfile.ZipFile(big) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.file_size < 300_000 * 2
        assert sheet.extract_version >= 45  # ZIP64 (its local header carries the 8-byte sizes)
        assert archive.getinfo("xl/worksheets/sheet2.xml").extract_version < 45  # only where needed
    monkeypatch.undo()
    rows = [list(load_workbook(data)["flagged"].iter_rows(values_only=True)) for data in (plain, big)]
    assert rows[0] == rows[1] and len(rows[1]) == 101


def test_a_sheet_past_a_zip_entrys_limit_its_first_rows_did_not_foretell_is_one_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 300_000)
    texts = [["short"], ["Шұңқыр аялдамада " * 2000] * 10]  # 1 row of 25 foretold, then 10 rows of 60 KB
    with pytest.raises(InputError, match="more than its first rows foretold; narrow the filters"):
        write_xlsx_pieces(_pieces(texts), 11, io.BytesIO())
