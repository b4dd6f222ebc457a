"""Exports read back from the files they write: XLSX, CSV, JSON, Parquet, and the CLI's filters."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from testutil import run_cli

from review.export import COLUMN_NAMES, export_to_file, write_records
from review.queries import LOCAL_TZ, Filters, record_decision

ALL_FLAGGED = 8  # flagged fixture items; the two Telegram posts about school 12 are one cluster


def _today() -> str:
    return datetime.now(UTC).astimezone(LOCAL_TZ).date().isoformat()


def _week_ago() -> str:
    return (datetime.now(UTC).astimezone(LOCAL_TZ).date() - timedelta(days=6)).isoformat()


def test_xlsx_has_frozen_header_widths_wrapped_text_and_kazakh_letters(
    review_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "flagged.xlsx"
    assert export_to_file(review_db, Filters(), "xlsx", out) == ALL_FLAGGED - 1
    ws = load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert header == COLUMN_NAMES
    assert ws.freeze_panes == "A2"
    text_col = header.index("text") + 1
    letter = ws.cell(row=1, column=text_col).column_letter
    # The file stores Excel's padded width (70 characters -> 70.71); Excel shows it as 70.
    assert int(ws.column_dimensions[letter].width) == 70
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in ws.iter_rows(min_row=2)]
    by_id = {r["external_id"]: r for r in rows}
    kazakh = by_id["fb-7"]
    assert kazakh["text"].startswith("Әкімдіктегі шенеунік жер телімін беру үшін пара сұрады.")
    assert kazakh["language"] == "kk"
    assert kazakh["evidence"] == "corruption: пара, шенеунік, Сыбайлас жемқорлыққа"
    assert ws.cell(row=rows.index(kazakh) + 2, column=text_col).alignment.wrap_text
    # Near-duplicates: the newest member stands for the cluster and names the other link.
    school = by_id["77"]
    assert school["cluster_size"] == 2
    assert school["duplicate_links"] == "https://t.example/city/501"
    assert "501" not in by_id
    # A comment carries its parent article.
    comment = by_id["a-100-c1"]
    assert comment["parent_link"] == "https://portal.example.kz/news/100"
    assert comment["parent_text"].startswith("Ямы вокруг люков после ремонта на улице Абая\nВ управление")
    assert isinstance(comment["time"], datetime)
    # Text that looks like a formula stays text.
    formula_row = rows.index(by_id["wa-3"]) + 2
    cell = ws.cell(row=formula_row, column=text_col)
    assert cell.data_type == "s"
    assert cell.value.startswith('=HYPERLINK("http://evil.example";"жми") автобус №5')


def test_csv_is_utf8_with_bom_and_defuses_formulas(review_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "flagged.csv"
    export_to_file(review_db, Filters(label="infrastructure"), "csv", out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["external_id"] for r in rows] == ["a-100-c1", "a-100", "wa-3", "480"]
    assert list(rows[0].keys()) == COLUMN_NAMES
    assert rows[2]["text"].startswith("'=HYPERLINK(")
    assert "аялдамада адамдар тұр" in rows[2]["text"]
    assert rows[0]["labels"] == "corruption, infrastructure"
    assert rows[0]["time"].endswith("+05:00")


def test_excel_csv_has_semicolons_decimal_commas_and_local_dates(review_db: Path, tmp_path: Path) -> None:
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    record_decision(review_db, "dept-facebook", "fb-7", status="confirmed", reviewer="aigerim")
    export_to_file(review_db, Filters(), "csv", plain)
    export_to_file(review_db, Filters(), "excel-csv", excel)
    raw = excel.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.split(b"\r\n", 1)[0].decode("utf-8-sig") == ";".join(COLUMN_NAMES)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    plain_rows = list(csv.DictReader(io.StringIO(plain.read_text(encoding="utf-8-sig"), newline="")))
    # Ids of digits only (Telegram posts) stay text there: Excel would make them numbers.
    assert [r["external_id"] for r in rows] == [
        f'="{r["external_id"]}"' if r["external_id"].isdigit() else r["external_id"] for r in plain_rows
    ]
    assert any(r["external_id"].isdigit() for r in plain_rows)
    for row, same in zip(rows, plain_rows, strict=True):
        # 2026-11-24T15:30:00+05:00 in the plain CSV is 24.11.2026 15:30:00 here: the same wall time.
        moment = datetime.fromisoformat(same["time"])
        assert row["time"] == moment.strftime("%d.%m.%Y %H:%M:%S")
        for label in ("corruption", "infrastructure"):
            assert "." not in row[label]
            assert float(row[label].replace(",", ".")) == float(same[label])
        assert row["text"] == same["text"]  # text untouched, formula-looking text defused alike
        assert row["evidence"] == same["evidence"]
        reviewed = same["reviewed_at"] and datetime.fromisoformat(same["reviewed_at"])
        assert row["reviewed_at"] == (reviewed.strftime("%d.%m.%Y %H:%M:%S") if reviewed else "")
    assert {r["external_id"]: r for r in rows}["wa-3"]["text"].startswith("'=HYPERLINK(")
    assert any(r["reviewed_at"] for r in rows) and not all(r["reviewed_at"] for r in rows)


def test_json_and_parquet_round_trip(review_db: Path, tmp_path: Path) -> None:
    export_to_file(review_db, Filters(label="corruption"), "json", tmp_path / "f.json")
    data = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    assert [d["external_id"] for d in data] == ["77", "fb-8", "a-100-c1", "fb-7", "480"]
    assert data[3]["evidence"] == {"corruption": ["пара", "шенеунік", "Сыбайлас жемқорлыққа"]}
    assert datetime.fromisoformat(data[0]["time"]).utcoffset() == timedelta(hours=5)
    assert data[1]["text"] == "<script>alert(1)</script> взятка"

    export_to_file(review_db, Filters(label="corruption"), "parquet", tmp_path / "f.parquet")
    table = pq.read_table(tmp_path / "f.parquet")
    assert table.num_rows == 5
    assert table.schema.field("time").type.tz == "UTC"
    assert pa.types.is_list(table.schema.field("labels").type)
    assert table.column("labels").to_pylist()[2] == ["corruption", "infrastructure"]
    assert table.column("text").to_pylist()[3].startswith("Әкімдіктегі")
    assert table.column("cluster_size").to_pylist() == [2, 1, 1, 1, 1]


def test_filters_status_score_language_source_and_dates(review_db: Path, tmp_path: Path) -> None:
    def ids(**kwargs: object) -> list[str]:
        out = tmp_path / "f.json"
        export_to_file(review_db, Filters(**kwargs), "json", out)  # type: ignore[arg-type]
        return [d["external_id"] for d in json.loads(out.read_text(encoding="utf-8"))]

    assert ids(label="corruption", min_score=0.85) == ["a-100-c1", "fb-7"]
    assert ids(min_score=0.9) == ["a-100-c1", "a-100"]
    assert ids(lang="kk") == ["fb-7"]
    assert ids(sources=["tg-city", "dept-whatsapp"]) == ["501", "wa-3", "480"]
    long_ago = datetime.now(UTC).astimezone(LOCAL_TZ).date() - timedelta(days=10)
    assert ids(until=long_ago) == ["480"]
    assert "480" not in ids(since=long_ago)
    record_decision(
        review_db, "city-portal", "a-100-c1", status="confirmed", reviewer="aigerim", note="в прокуратуру"
    )
    record_decision(review_db, "dept-facebook", "fb-7", status="rejected", reviewer="aigerim")
    assert ids(status="confirmed") == ["a-100-c1"]
    assert ids(status="rejected") == ["fb-7"]
    assert "a-100-c1" not in ids(status="new")


def test_cli_export_last_weeks_confirmed_corruption(review_db: Path, tmp_path: Path) -> None:
    record_decision(review_db, "tg-city", "480", status="confirmed", reviewer="aigerim")  # older than a week
    record_decision(
        review_db, "dept-facebook", "fb-7", status="confirmed", reviewer="aigerim", note="жер телімі"
    )
    record_decision(
        review_db, "dept-whatsapp", "wa-3", status="confirmed", reviewer="aigerim"
    )  # not corruption
    out = tmp_path / "week.xlsx"
    done = run_cli(
        "export", "--db", str(review_db), "--format", "xlsx", "--out", str(out), "--label", "corruption",
        "--status", "confirmed", "--since", _week_ago(), "--until", _today(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote 1 rows to {out}"
    ws = load_workbook(out).active
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(values) == 1
    assert values[0][COLUMN_NAMES.index("note")] == "жер телімі"
    assert values[0][COLUMN_NAMES.index("reviewer")] == "aigerim"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-score", "2"], "minimum score 2.0 is outside 0..1"),
        (["--since", "2026-11-20", "--until", "2026-11-01"], "the date range is empty"),
        (
            ["--source", "tg-city", "--source", "tg-citi"],
            "no item of source 'tg-citi' in the database (its sources: ",
        ),
    ],
)
def test_cli_export_bad_filters_are_one_line_errors(
    review_db: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    done = run_cli(
        "export", "--db", str(review_db), "--format", "csv", "--out", str(tmp_path / "x.csv"), *args
    )
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.csv").exists()


def test_cli_export_lang_is_one_of_the_classifiers_languages(review_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    done = run_cli("export", "--db", str(review_db), "--format", "csv", "--out", str(out), "--lang", "xx")
    assert done.returncode == 2  # argparse's usage error
    assert "argument --lang: invalid choice: 'xx' (choose from 'ru', 'kk', 'mixed', 'other')" in done.stderr
    assert not out.exists()


def test_cli_export_all_duplicates_and_repeated_source(review_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    done = run_cli("export", "--db", str(review_db), "--format", "csv", "--out", str(out), "--all-duplicates")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {ALL_FLAGGED} rows to {out}"
    done = run_cli(
        "export", "--db", str(review_db), "--format", "csv", "--out", str(out),
        "--source", "tg-city", "--source", "tg-news",
    )  # fmt: skip
    assert done.stdout.strip() == f"wrote 2 rows to {out}"
    done = run_cli(
        "export", "--db", str(review_db), "--format", "csv", "--out", str(out), "--search", "ЛЮКОВ"
    )
    assert done.stdout.strip() == f"wrote 1 rows to {out}"  # the article; its comment does not say it


def test_cli_export_without_database_fails_cleanly(tmp_path: Path) -> None:
    done = run_cli(
        "export", "--db", str(tmp_path / "none.duckdb"), "--format", "csv", "--out", str(tmp_path / "x")
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "no database here yet" in done.stderr


def test_xlsx_about_sheet_names_the_filters(review_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.xlsx"
    export_to_file(review_db, Filters(label="corruption", sources=["tg-city"], status="new"), "xlsx", out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["flagged", "about"]
    about = {row[0]: row[1] for row in wb["about"].iter_rows(values_only=True)}
    assert about["rows"] == 2
    assert about["label"] == "corruption"
    assert about["sources"] == "tg-city"
    assert about["review status"] == "new"


KAZAKH_RUSSIAN = (
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЕЁЖЯәғқңөұүһіӘҒҚҢӨҰҮҺІ «»—№.,;:!?()\"' \n=+-@0123456789abcXYZ"
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=KAZAKH_RUSSIAN, min_size=1, max_size=300))
def test_texts_round_trip_through_xlsx_and_csv(text: str) -> None:
    record = {name: None for name in COLUMN_NAMES} | {
        "source": "s", "external_id": "1", "text": text, "author": text[:20], "labels": [], "evidence": {},
        "duplicate_links": [], "cluster_size": 1, "status": "new",
    }  # fmt: skip
    buffer = io.BytesIO()
    write_records([record], "xlsx", buffer)
    ws = load_workbook(io.BytesIO(buffer.getvalue()))["flagged"]
    cell = ws.cell(row=2, column=COLUMN_NAMES.index("text") + 1)
    assert cell.data_type == "s"
    assert cell.value == text or (cell.value is None and text == "")
    buffer = io.BytesIO()
    write_records([record], "csv", buffer)
    (row,) = csv.DictReader(io.StringIO(buffer.getvalue().decode("utf-8-sig"), newline=""))
    assert row["text"] == ("'" + text if text.startswith(("=", "+", "-", "@")) else text)


def test_export_from_an_older_read_only_database_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    import pipeline
    from errors import StoreError
    from store import db as store_db
    from store import migrations

    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])  # the first version's schema
    migrations.apply_migrations(con)
    con.close()
    monkeypatch.undo()
    opened = store_db.connect

    def read_only_file(path: Any, *, read_only: bool = False, wait: float = 30.0) -> Any:
        if not read_only:
            raise StoreError("cannot open the database: Permission denied", path=str(path))
        return opened(path, read_only=True, wait=wait)

    monkeypatch.setattr(store_db, "connect", read_only_file)
    out = tmp_path / "x.csv"
    assert pipeline.main(["export", "--db", str(old), "--format", "csv", "--out", str(out)]) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(
        f"error: {old}: the database predates this version and could not be brought up to date"
    )
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])  # both written as read (xlsx counts its rows first)
def test_a_mistake_in_the_export_query_on_a_current_database_is_not_blamed_on_its_age(
    review_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    import duckdb

    import pipeline
    from review import export, export_stream

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise duckdb.BinderException('Referenced column "no_such_column" not found')

    monkeypatch.setattr(export, "read_export", broken)
    monkeypatch.setattr(export_stream, "copy_steps", broken)
    out = tmp_path / f"x.{fmt}"
    with pytest.raises(duckdb.BinderException):
        pipeline.main(["export", "--db", str(review_db), "--format", fmt, "--out", str(out)])
    assert not out.exists()


def test_cli_export_a_date_past_what_a_store_holds_is_a_usage_error(review_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    done = run_cli(
        "export", "--db", str(review_db), "--format", "csv", "--out", str(out), "--until", "9999-12-31"
    )
    assert done.returncode == 2  # argparse's usage error; it was a traceback (an overflow)
    assert "argument --until: 9999-12-31 is outside 1900-01-01..2199-12-31" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
