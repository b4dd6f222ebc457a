"""`import facebook-export`: "Download your information" JSON, saved Graph answers, monitoring-tool CSV."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.facebook_export import fix_mojibake, read_export
from collectors.facebook_export_csv import id_from_url, match_columns
from collectors.facebook_export_dates import parse_csv_date
from collectors.item import Item
from errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facebook"
ALMATY = timezone(timedelta(hours=5))


def read(path: Path, **options: str) -> tuple[list[Item], list[InputError]]:
    problems: list[InputError] = []
    items = list(read_export(path, source="fb-export", options=options, report=problems.append))
    return items, problems


def test_dyi_folder_reads_posts_and_comments_repairing_the_encoding() -> None:
    items, problems = read(FIXTURES / "export")
    posts = [i for i in items if i.kind == "post"]
    comments = [i for i in items if i.kind == "comment"]
    assert [p.text for p in posts] == [
        "Внимание! В микрорайоне Жетысу-3 проводится проверка качества ремонта дворов. Жалобы принимаем по номеру 1424.",
        "Құрметті тұрғындар! Пара беру және алу — қылмыс. Әр фактіні хабарлаңыз.",
        "Департамент по противодействию коррупции добавил фото.\nФото с приёма граждан в Алатауском районе",
    ]
    assert posts[0].published_at == datetime(2025, 11, 25, 3, 15, tzinfo=UTC)
    assert [c.text for c in comments] == [
        "Спасибо за обращение, материалы направлены в прокуратуру.",
        "Өтінішіңіз тіркелді, жауап 15 күн ішінде беріледі.",
        "Өтінішіңіз тіркелді, жауап 15 күн ішінде беріледі.",
    ]
    assert comments[0].author == "Департамент по противодействию коррупции"
    # Two identical replies at the same second stay two items, with distinct stable ids.
    assert len({i.external_id for i in items}) == len(items) == 6
    assert all(i.external_id.startswith("fbx-") for i in items)
    assert [(p.path, p.message) for p in problems] == [
        (
            str(FIXTURES / "export" / "posts" / "your_posts_1.json"),
            "entry 5 of the list is not an object; skipped",
        )
    ]
    assert not any("Ð" in i.text for i in items)


def test_ids_are_stable_across_reimports_and_zip(tmp_path: Path) -> None:
    first, _ = read(FIXTURES / "export")
    archive = tmp_path / "facebook-dept.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in (FIXTURES / "export").rglob("*.json"):
            zf.write(file, file.relative_to(FIXTURES / "export"))
    again, _ = read(archive)
    assert sorted(i.external_id for i in first) == sorted(i.external_id for i in again)


def test_crowdtangle_csv() -> None:
    items, problems = read(FIXTURES / "crowdtangle.csv")
    assert [(i.external_id, i.kind, i.author) for i in items] == [
        ("104857600123_1001", "post", "Департамент по противодействию коррупции"),
        ("104857600123_1002", "post", "Департамент по противодействию коррупции"),
    ]
    assert items[0].text.endswith("«акт приёмки подписан за день».".replace("«", '"').replace("»", '"'))
    assert items[0].published_at == datetime(2026, 11, 24, 9, 15, tzinfo=UTC)
    assert items[1].published_at == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert items[0].url == "https://www.facebook.com/104857600123/posts/1001"
    assert [(p.line, p.message) for p in problems] == [(4, "row without text; skipped")]


def test_russian_monitoring_csv_with_semicolons() -> None:
    items, problems = read(FIXTURES / "monitoring_ru.csv")
    assert [(i.external_id, i.kind, i.author) for i in items] == [
        ("1001_2001", "comment", "Айгүл Сәрсенова"),
        ("1001_2002", "comment", "Ерлан Тоқтаров"),
        (items[2].external_id, "comment", "Марат Ибраев"),
        (items[3].external_id, "comment", "Сергей К."),
    ]
    assert items[0].published_at == datetime(2026, 11, 25, 14, 35, tzinfo=ALMATY)
    assert items[2].published_at == datetime(2026, 11, 24, 10, 15, tzinfo=ALMATY)
    assert items[3].published_at is None and items[3].external_id.startswith("fbx-")
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (5, "date '32.13.2026' unreadable or not a publication time (before 1990 or more than a day ahead)"),
        (6, "row without text"),
    ]


def test_cp1251_csv_and_time_zone_option(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        "Дата,Текст,ID\n25.11.2026 10:00,Во дворе нет освещения третью неделю,77\n".encode("cp1251")
    )
    items, problems = read(path, tz="UTC")
    assert problems == [] and items[0].text == "Во дворе нет освещения третью неделю"
    assert items[0].published_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC) and items[0].external_id == "77"


def test_csv_without_usable_columns_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "likes.csv"
    path.write_text("Page,Likes\nДепартамент,10\n", encoding="utf-8")
    with pytest.raises(InputError, match="no text column") as caught:
        read(path)
    assert caught.value.line == 1 and "\n" not in str(caught.value)


def test_saved_graph_answer_keeps_ids_and_parents(tmp_path: Path) -> None:
    path = tmp_path / "comments.json"
    answer = {
        "data": [
            {
                "id": "1001_2001",
                "message": "Когда отремонтируют?",
                "created_time": "2026-11-24T05:00:00+0000",
                "comment_count": 1,
                "permalink_url": "https://www.facebook.com/104857600123/posts/1001/?comment_id=2001",
            },
            {
                "id": "1001_2002",
                "message": "Жауап күтеміз.",
                "created_time": "2026-11-24T06:00:00+0000",
                "parent": {"id": "1001_2001"},
                "permalink_url": "https://www.facebook.com/104857600123/posts/1001/?comment_id=2001&reply_comment_id=2002",
            },
        ],
        "paging": {"next": "https://graph.facebook.com/v25.0/x/comments?access_token=SECRET&after=QQ"},
    }
    path.write_text(json.dumps(answer), encoding="utf-8")
    items, problems = read(path)
    assert problems == []
    assert [(i.external_id, i.parent, i.raw["post_id"]) for i in items] == [
        ("1001_2001", "104857600123_1001", "104857600123_1001"),
        ("1001_2002", "1001_2001", "104857600123_1001"),
    ]
    assert not any("SECRET" in i.raw_json() for i in items)


def test_not_json_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "posts.json"
    path.write_text("{broken", encoding="utf-8")
    with pytest.raises(InputError, match="not JSON"):
        read(path)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.facebook.com/104857600123/posts/1001", "104857600123_1001"),
        ("https://www.facebook.com/permalink.php?story_fbid=1001&id=104857600123", "104857600123_1001"),
        (
            "https://www.facebook.com/104857600123/posts/1001/?comment_id=2001&reply_comment_id=2002",
            "1001_2002",
        ),
        ("https://www.facebook.com/anticor/posts/pfbid02abc", "pfbid02abc"),
        ("https://almaty.gov.kz/news/1", None),
    ],
)
def test_id_from_url(url: str, expected: str | None) -> None:
    assert id_from_url(url) == expected


def test_match_columns_prefers_the_post_url_to_the_link() -> None:
    found = match_columns(["Page Name", "URL", "Link", "Message", "Post Created"])
    assert found == {"text": "Message", "published_at": "Post Created", "author": "Page Name", "url": "URL"}


def test_csv_dates() -> None:
    assert parse_csv_date("1764040500", ALMATY) == datetime(2025, 11, 25, 3, 15, tzinfo=UTC)
    assert parse_csv_date("2026-11-23 06:00:00 EST", ALMATY) == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert parse_csv_date("25.11.2026 14:35", ALMATY) == datetime(2026, 11, 25, 14, 35, tzinfo=ALMATY)
    assert parse_csv_date("не дата", ALMATY) is None


@given(st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһіАБВӘҒ .,!?-0123456789abcXYZ"))
def test_mojibake_round_trip(text: str) -> None:
    garbled = text.encode("utf-8").decode("latin-1")
    assert fix_mojibake(garbled) == text
    assert fix_mojibake(text) == text or text.isascii()


def test_cli_import_twice_stores_each_item_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    import duckdb

    root = Path(__file__).resolve().parents[2]
    db = tmp_path / "monitor.duckdb"
    cmd = [sys.executable, str(root / "pipeline.py"), "import", "facebook-export", str(FIXTURES / "export")]
    cmd += ["--source", "dept-fb-export", "--db", str(db), "--no-classify"]
    for _ in range(2):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1  # one broken entry is reported; the rest is imported
        assert "entry 5 of the list is not an object; skipped" in done.stderr
        assert "Traceback" not in done.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT kind, count(*) FROM items GROUP BY kind ORDER BY kind").fetchall()
    finally:
        con.close()
    assert rows == [("comment", 3), ("post", 3)]


def _export_zip(path: Path, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for file in sorted((FIXTURES / "export").rglob("*.json")):
            zf.write(file, file.relative_to(FIXTURES / "export").as_posix())
    return path


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED], ids=["deflated", "stored"]
)
def test_a_damaged_file_in_the_zip_is_reported_and_the_others_read(
    tmp_path: Path, compression: int, damage: Callable[[Path, str], None]
) -> None:
    archive = _export_zip(tmp_path / "facebook-dept.zip", compression)
    damage(archive, "posts/your_posts_1.json")
    items, problems = read(archive)
    assert {i.kind for i in items} == {"comment"}  # the comments file is whole
    assert len(problems) == 1
    assert (problems[0].path, problems[0].source) == (str(archive), "fb-export")
    assert problems[0].message.startswith("the archive is damaged (")
    assert "posts/your_posts_1.json" in problems[0].message


def test_a_zip_whose_every_file_is_damaged_is_one_error(
    tmp_path: Path, damage: Callable[[Path, str], None]
) -> None:
    archive = tmp_path / "posts.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FIXTURES / "export" / "posts" / "your_posts_1.json", "posts/your_posts_1.json")
    damage(archive, "posts/your_posts_1.json")
    with pytest.raises(InputError, match=r"no readable \.json or \.csv file in this export"):
        read(archive)


@pytest.mark.parametrize("name", ["facebook-dept.zip", "facebook-dept"])
def test_a_truncated_zip_is_one_error(tmp_path: Path, name: str) -> None:
    whole = _export_zip(tmp_path / "whole.zip").read_bytes()
    cut = tmp_path / name
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError) as caught:
        read(cut)
    assert str(caught.value) == f"{cut}: truncated or damaged .zip archive"


def test_csv_columns_are_quoted_without_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text('Page,"Like\ns",\u202eMessage\nx,1,y\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path)
    assert "among Page, Like\\ns, \\u202eMessage;" in caught.value.message


def test_one_file_it_cannot_read_to_the_end_costs_that_file_only(tmp_path: Path) -> None:
    archive = _export_zip(tmp_path / "facebook-dept.zip")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("a_deep.json", "[" * 100_000)  # read before the others: names sorted
        zf.writestr("b_long.csv", 'Message,URL\n"' + "x" * 200_000 + '",https://x/1\n')
        zf.writestr(
            "c_odd.json",
            json.dumps(
                [
                    {"timestamp": 1764000000, "data": 5},
                    {"timestamp": 1e20, "data": [{"post": "Жол жөнделмеді"}]},
                ]
            ),
        )
    items, problems = read(archive)
    assert {i.kind for i in items} == {"post", "comment"}  # the export's own files are all read
    assert [i.text[:5] for i in items if i.text.startswith(("x", "Жол"))] == ["xxxxx", "Жол ж"]
    assert next(i for i in items if i.text.startswith("Жол")).published_at is None  # 1e20 s is no time
    assert sorted(p.message for p in problems) == [
        "entry 1 of the list is not a post or comment this import reads ('int' object is not iterable); skipped",
        "entry 5 of the list is not an object; skipped",  # in the export's own posts file
        "not JSON (nested too deeply); skipped",
    ]


def test_a_single_file_with_nothing_to_import_is_an_error_not_ok(tmp_path: Path) -> None:
    path = tmp_path / "scalar.json"
    path.write_text("5", encoding="utf-8")
    with pytest.raises(InputError, match="no post or comment with text in this file"):
        read(path)


def test_csv_dates_outside_what_a_post_can_have_are_no_dates() -> None:
    for value in ("0001-01-01", "99999999999999999999", "9999-12-31 23:59 EST", "4102444800"):
        assert parse_csv_date(value, ALMATY) is None, value
    assert parse_csv_date("1764000000", ALMATY) == datetime(2025, 11, 24, 16, 0, tzinfo=UTC)


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4


@pytest.mark.parametrize(("name", "what"), [("photo.csv", "CSV"), ("photo.json", "JSON")])
def test_a_binary_file_is_one_line_without_its_bytes(tmp_path: Path, name: str, what: str) -> None:
    path = tmp_path / name
    path.write_bytes(PNG)
    with pytest.raises(InputError) as caught:
        read(path)
    # not "no text column ... among ‰PNG" (its bytes read as column names), nor "Expecting value"
    assert str(caught.value) == f"{path}: source fb-export: not a {what} text file (control characters)"


def test_binary_files_in_an_export_folder_are_reported_and_the_others_read(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "export", export)
    (export / "photo.csv").write_bytes(PNG)
    _export_zip(export / "renamed.json")  # a .zip under a .json name
    (export / "likes.csv").write_text("Page,Likes\nДепартамент,10\n", encoding="utf-8")
    items, problems = read(export)
    assert len(items) == 6  # the export's own posts and comments, as without the odd files
    messages = sorted((Path(p.path).name, p.message.split(";")[0]) for p in problems)
    assert messages == [
        ("likes.csv", "no text column plus id/URL/date column among Page, Likes"),
        ("photo.csv", "not a CSV text file (control characters)"),
        ("renamed.json", "not a JSON text file (control characters)"),
        ("your_posts_1.json", "entry 5 of the list is not an object"),
    ]
    assert all(p.source == "fb-export" for p in problems)


def test_an_export_of_binary_files_only_has_no_readable_file(tmp_path: Path) -> None:
    (tmp_path / "photo.csv").write_bytes(PNG)
    with pytest.raises(InputError, match=r"no readable \.json or \.csv file in this export"):
        read(tmp_path)
