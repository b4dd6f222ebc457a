"""`import facebook-export` CSV: an id given twice in one file. The later row replaced the earlier in
the store without a word; now the first is kept and the later reported by its line, as the csv
import does (same words, same `partial` run)."""

from __future__ import annotations

from pathlib import Path

from testutil import run_cli, store_rows

from collectors.facebook_export import read_export
from collectors.item import Item
from errors import InputError

POST = "https://www.facebook.com/104857600123/posts/1001"


def read(path: Path, text: str) -> tuple[list[Item], list[InputError]]:
    path.write_text(text, encoding="utf-8")
    problems: list[InputError] = []
    items = list(read_export(path, source="fb-export", options={}, report=problems.append))
    return items, problems


def test_an_id_column_given_twice_keeps_the_first_row_and_names_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"
    items, problems = read(
        path,
        "Name,Date,Comment,Comment ID\n"
        "Айгүл,2026-11-20 10:01,Кто подписывал акты?,2001\n"
        "Ерлан,2026-11-20 10:02,Где деньги?,2002\n"
        "Марат,2026-11-20 10:03,Подрядчик тот же,2001\n"
        "Дина,2026-11-20 10:04,Спасибо,2003\n",
    )
    assert [(i.external_id, i.text) for i in items] == [
        ("2001", "Кто подписывал акты?"),
        ("2002", "Где деньги?"),
        ("2003", "Спасибо"),
    ]
    assert [str(p) for p in problems] == [
        f"{path}:4: source fb-export: id 2001 was given on line 2 already; this row is left out (one id, one item)"
    ]


def test_two_rows_whose_links_name_one_comment_are_one_item_and_one_error(tmp_path: Path) -> None:
    # The Comment ID column gives way to the link's id: two rows of a tool's numbering, one comment
    path = tmp_path / "comments.csv"
    items, problems = read(
        path,
        "Name,Date,Comment,Comment ID,Link\n"
        f"Айгүл,2026-11-20 10:01,Кто подписывал акты?,1,{POST}?comment_id=2001\n"
        f"Ерлан,2026-11-20 10:02,Где деньги?,2,{POST}?comment_id=2001\n",
    )
    assert [(i.external_id, i.text) for i in items] == [("2001", "Кто подписывал акты?")]
    assert [(p.line, "id 2001 was given on line 2 already" in str(p)) for p in problems] == [(3, True)]


def test_rows_without_ids_are_never_taken_for_repeats(tmp_path: Path) -> None:
    # the same text twice without an id or link: two hashed items, as before, and no error
    items, problems = read(
        tmp_path / "comments.csv",
        "Name,Date,Comment\nАйгүл,2026-11-20 10:01,+\nАйгүл,2026-11-20 10:01,+\n",
    )
    assert len({i.external_id for i in items}) == 2 and problems == []


def test_the_run_ends_as_the_csv_imports_does(tmp_path: Path) -> None:
    fb = tmp_path / "fb.csv"
    fb.write_text(
        "Comment ID,Comment,Date\n1,Первый,2026-11-20 10:01\n1,Второй,2026-11-20 10:02\n", encoding="utf-8"
    )
    plain = tmp_path / "plain.csv"
    plain.write_text(
        "id,text,published_at\n1,Первый,2026-11-20 10:01\n1,Второй,2026-11-20 10:02\n", encoding="utf-8"
    )
    db = tmp_path / "monitor.duckdb"
    done = {
        kind: run_cli("import", kind, str(path), "--source", kind, "--db", str(db), "--no-classify")
        for kind, path in (("facebook-export", fb), ("csv", plain))
    }
    assert [d.returncode for d in done.values()] == [1, 1]
    for kind, path in (("facebook-export", fb), ("csv", plain)):
        assert f"{kind}: partial - fetched 1, new 1" in done[kind].stdout
        assert (
            f"{path}:3: source {kind}: id 1 was given on line 2 already"
            in done[kind].stdout + done[kind].stderr
        )
    assert store_rows(db, "SELECT source, external_id, text FROM items ORDER BY source") == [
        ("csv", "1", "Первый"),
        ("facebook-export", "1", "Первый"),
    ]


def test_a_row_repeated_whole_is_one_item_and_no_error(tmp_path: Path) -> None:
    # A tool's overlapping pages write a comment twice: nothing is lost, so nothing is reported (an
    # error would make every such import `partial`); a repeat whose text differs is still reported.
    items, problems = read(
        tmp_path / "comments.csv",
        "Name,Date,Comment,Comment ID\n"
        "Айгүл,2026-11-20 10:01,Кто подписывал акты?,2001\n"
        "Айгүл,2026-11-20 10:01,Кто подписывал акты?,2001\n"
        "Айгүл,2026-11-20 10:01,Кто подписывал акты? Ответьте,2001\n",
    )
    assert [(i.external_id, i.text) for i in items] == [("2001", "Кто подписывал акты?")]
    assert [p.line for p in problems] == [4]
