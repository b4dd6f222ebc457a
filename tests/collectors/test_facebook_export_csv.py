"""`import facebook-export` CSV: the ids and parents that a row's facebook.com link gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from testutil import run_cli, store_rows

from collectors.facebook_export import read_export
from collectors.facebook_export_csv import comment_number, link_ids
from collectors.item import Item
from errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facebook"
POST = "https://www.facebook.com/104857600123/posts/1001"


def read(path: Path) -> tuple[list[Item], list[InputError]]:
    problems: list[InputError] = []
    items = list(read_export(path, source="fb-export", options={}, report=problems.append))
    return items, problems


def test_csv_comments_name_their_post_or_the_comment_they_answer() -> None:
    items, _ = read(FIXTURES / "monitoring_ru.csv")
    assert [(i.external_id, i.parent) for i in items[:3]] == [
        # Graph's {post}_{comment} (test_facebook_comment_ids.py): a run and an import give one id
        ("1001_2001", "104857600123_1001"),  # ?comment_id=2001 under post 1001 of page 104857600123
        ("1001_2002", "1001_2001"),  # &reply_comment_id=2002 answers comment 2001
        (items[2].external_id, None),  # no link: no parent to name
    ]


def test_a_comments_parent_is_the_stored_id_of_its_post_and_comment(tmp_path: Path) -> None:
    # CrowdTangle's posts and a monitoring tool's comments of the same page, imported as one export
    export = tmp_path / "export"
    export.mkdir()
    shutil.copy(FIXTURES / "crowdtangle.csv", export / "posts.csv")
    shutil.copy(FIXTURES / "monitoring_ru.csv", export / "comments.csv")
    db = tmp_path / "monitor.duckdb"
    done = run_cli(
        "import", "facebook-export", str(export), "--source", "fbx", "--db", str(db), "--no-classify"
    )
    assert "Traceback" not in done.stderr
    rows = store_rows(
        db,
        "SELECT c.external_id, p.kind, p.external_id FROM items c JOIN items p "
        "ON p.source = c.source AND p.external_id = c.parent ORDER BY c.external_id",
    )
    assert rows == [("1001_2001", "post", "104857600123_1001"), ("1001_2002", "comment", "1001_2001")]


@pytest.mark.parametrize(
    ("url", "kind", "expected"),
    [
        (POST, "post", ("104857600123_1001", None)),
        (f"{POST}/?comment_id=2001", "comment", ("1001_2001", "104857600123_1001")),
        (f"{POST}/?comment_id=2001&reply_comment_id=2002", "comment", ("1001_2002", "1001_2001")),
        # permalink.php: the post is in the query, beside the comment
        (
            "https://www.facebook.com/permalink.php?story_fbid=1001&id=104857600123&comment_id=2001",
            "comment",
            ("1001_2001", "104857600123_1001"),
        ),
        # a pfbid link names no post by number: the comment keeps the link's bare number
        ("https://www.facebook.com/anticor/posts/pfbid02abc?comment_id=7", "comment", ("7", "pfbid02abc")),
        # a comment whose link names only its post: that id is the post's, not the comment's
        (POST, "comment", (None, "104857600123_1001")),
        ("https://almaty.gov.kz/news/1?comment_id=5", "comment", (None, None)),
        (None, "comment", (None, None)),
    ],
)
def test_link_ids(url: str | None, kind: str, expected: tuple[str | None, str | None]) -> None:
    assert link_ids(url, kind) == expected


def test_comments_whose_link_names_only_the_post_are_not_stored_as_the_post(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"
    path.write_text(
        "Дата;Автор;Текст;Ссылка;Тип\n"
        f"25.11.2026 14:35;Айгүл;Кто подписывал акты?;{POST};Комментарий\n"
        f"25.11.2026 14:36;Ерлан;Где деньги на ремонт?;{POST};Комментарий\n"
        f"25.11.2026 14:37;Марат;Ответ на это;{POST};Комментарий\n",
        encoding="utf-8",
    )
    items, problems = read(path)
    assert problems == []
    ids = [i.external_id for i in items]
    # they each had the post's id 104857600123_1001, so each replaced the one before (and the post)
    assert len(set(ids)) == 3 and all(i.startswith("fbx-") for i in ids)
    assert [i.parent for i in items] == ["104857600123_1001"] * 3
    (again, *_), _ = read(path)
    assert again.external_id == ids[0]  # stable across re-imports


def test_rows_without_a_link_keep_their_ids_beside_the_same_text_linked_to_its_post(tmp_path: Path) -> None:
    # a row without a link is hashed as before; the same comment linked to its post is hashed apart,
    # so it takes no occurrence number from it (review: the unlinked row's id shifted, stored twice)
    header = "Дата;Автор;Текст;Ссылка;Тип\n"
    unlinked = "25.11.2026 14:35;Айгүл;Спасибо;;Комментарий\n"
    (alone,), _ = read(_write(tmp_path / "alone.csv", header + unlinked))
    both, _ = read(
        _write(
            tmp_path / "both.csv", header + f"25.11.2026 14:35;Айгүл;Спасибо;{POST};Комментарий\n" + unlinked
        )
    )
    assert both[1].external_id == alone.external_id
    assert both[0].external_id not in (alone.external_id, "104857600123_1001")
    # the same text under another post is another comment
    (other,), _ = read(
        _write(
            tmp_path / "other.csv", header + f"25.11.2026 14:35;Айгүл;Спасибо;{POST[:-4]}1002;Комментарий\n"
        )
    )
    assert other.external_id != both[0].external_id


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_parent_column_wins_over_the_link(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"
    path.write_text(
        f"Comment,Comment URL,Parent ID\nСпасибо,{POST}/?comment_id=2001,104857600123_999\n", encoding="utf-8"
    )
    (item,), _ = read(path)
    assert (item.external_id, item.parent) == ("1001_2001", "104857600123_999")


# -- Export Comments: its Comment ID column beside the comment's link --------------------------

EXPORT_COMMENTS = "Name,Date,Comment,Comment ID,Comment URL\n"


def _comment(name: str, minute: int, text: str, comment_id: str, link: str) -> str:
    return f"{name},2026-11-20 10:{minute:02d},{text},{comment_id},{link}\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2001", "2001"),
        ("1001_2001", "2001"),  # the Graph API's {post}_{comment}
        ("Y29tbWVudDoxMDAxXzIwMDE=", "2001"),  # base64 of comment:1001_2001, as facebook.com writes it
        ("Y29tbWVudDoxMDAxXzIwMDE", "2001"),  # its padding left off
        ("c1", None),
        ("104857600123_1001_2001", None),
        ("", None),
    ],
)
def test_comment_number_reads_every_spelling_of_a_comment_id(value: str, expected: str | None) -> None:
    assert comment_number(value) == expected


@pytest.mark.parametrize(
    ("first", "reply"), [("1001_2001", "1001_2002"), ("Y29tbWVudDoxMDAxXzIwMDE=", "Y29tbWVudDoxMDAxXzIwMDI=")]
)
def test_a_comment_id_spelled_otherwise_than_its_link_is_stored_as_the_link_names_it(
    tmp_path: Path, first: str, reply: str
) -> None:
    # The reply's link names its parent 2001, as every export with links stores that comment; the id
    # column's spelling of it (kept before) left the reply's parent naming no stored item.
    path = _write(
        tmp_path / "comments.csv",
        EXPORT_COMMENTS
        + _comment("Айгүл", 1, "Кто подписывал акты?", first, f"{POST}?comment_id=2001")
        + _comment("Ерлан", 2, "Подрядчик", reply, f"{POST}?comment_id=2001&reply_comment_id=2002"),
    )
    items, problems = read(path)
    assert problems == []
    assert [(i.kind, i.external_id, i.parent) for i in items] == [
        ("comment", "1001_2001", "104857600123_1001"),
        ("comment", "1001_2002", "1001_2001"),
    ]
    assert items[0].raw["Comment ID"] == first  # kept as written


def test_comment_ids_are_stable_across_a_later_longer_export(tmp_path: Path) -> None:
    # The Comment ID column counts rows; the later export has a new comment first, so its «1» is
    # another comment, which replaced the first one in the store.
    first = _write(
        tmp_path / "first.csv",
        EXPORT_COMMENTS
        + _comment("Айгүл", 1, "Кто подписывал акты?", "1", f"{POST}?comment_id=2001")
        + _comment("Ерлан", 2, "Где деньги?", "2", f"{POST}?comment_id=2002"),
    )
    later = _write(
        tmp_path / "later.csv",
        EXPORT_COMMENTS
        + _comment("Марат", 3, "Новый комментарий", "1", f"{POST}?comment_id=2003")
        + _comment("Айгүл", 1, "Кто подписывал акты?", "2", f"{POST}?comment_id=2001")
        + _comment("Ерлан", 2, "Где деньги?", "3", f"{POST}?comment_id=2002"),
    )
    db = tmp_path / "monitor.duckdb"
    for path in (first, later, first):
        done = run_cli(
            "import", "facebook-export", str(path), "--source", "fbx", "--db", str(db), "--no-classify"
        )
        assert "Traceback" not in done.stderr
        assert "another id than the comment their link names" in done.stderr  # a warning, logged
        assert done.returncode == 0 and ": ok" in done.stdout  # not a problem: the file imported whole
    rows = store_rows(db, "SELECT external_id, text FROM items ORDER BY external_id")
    assert rows == [
        ("1001_2001", "Кто подписывал акты?"),
        ("1001_2002", "Где деньги?"),
        ("1001_2003", "Новый комментарий"),
    ]


def test_a_post_id_beside_the_comment_id_is_the_comments_parent_not_its_id(tmp_path: Path) -> None:
    # Both columns: the post's id was every comment's id, so the store kept one comment of the post.
    path = _write(
        tmp_path / "comments.csv",
        "Post ID,Comment ID,Name,Date,Comment\n"
        "1001,2001,Айгүл,2026-11-20 10:01,Кто подписывал акты?\n"
        "1001,2002,Ерлан,2026-11-20 10:02,Где деньги?\n",
    )
    items, problems = read(path)
    assert problems == []
    assert [(i.kind, i.external_id, i.parent) for i in items] == [
        ("comment", "2001", "1001"),
        ("comment", "2002", "1001"),
    ]


def test_a_post_row_beside_a_comment_id_column_keeps_its_post_id(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "thread.csv",
        "Type,Post ID,Comment ID,Name,Date,Text\n"
        "post,1001,,Акимат,2026-11-20 10:00,Ремонт дороги завершён\n"
        "comment,1001,2001,Айгүл,2026-11-20 10:01,Кто подписывал акты?\n",
    )
    items, problems = read(path)
    assert problems == []
    assert [(i.kind, i.external_id, i.parent) for i in items] == [
        ("post", "1001", None),
        ("comment", "2001", "1001"),
    ]


def test_export_comments_rows_without_links_are_comments_with_their_own_ids(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "comments.csv",
        "Name,Date,Comment,Comment ID\nАйгүл,2026-11-20 10:01,Кто подписывал акты?,2001\n"
        "Ерлан,2026-11-20 10:02,Без id,\n",
    )
    items, problems = read(path)
    assert problems == []
    assert [(i.kind, i.external_id) for i in items] == [("comment", "2001"), ("post", items[1].external_id)]
    assert items[1].external_id.startswith("fbx-")  # no id: hashed as a post, as before


def test_ids_a_spreadsheet_wrote_in_exponent_form_are_no_ids(tmp_path: Path) -> None:
    # Excel shows a 16-digit id as 2.00123E+15 and saves it so: many comments, one id, one kept.
    path = _write(
        tmp_path / "comments.csv",
        EXPORT_COMMENTS
        + _comment("Айгүл", 1, "Кто подписывал акты?", "2.00123E+15", "")
        + _comment("Ерлан", 2, "Где деньги?", "2.00123E+15", "")
        + _comment("Марат", 3, "По ссылке", "2.00123E+15", f"{POST}?comment_id=2003"),
    )
    items, problems = read(path)
    ids = [i.external_id for i in items]
    assert len(set(ids)) == 3 and ids[2] == "1001_2003" and all(i.startswith("fbx-") for i in ids[:2])
    assert [(p.line, "exponent form" in str(p)) for p in problems] == [(2, True)]
    (again, *_), _ = read(path)
    assert again.external_id == ids[0]


def test_a_graph_like_id_column_keeps_its_ids_and_its_replies_parents(tmp_path: Path) -> None:
    # Only a Comment ID column gives way to the link: a Graph-like ``id`` of ``1001_2001``, whose
    # replies' parent column spells it so, keeps the ids it was stored under (review).
    path = _write(
        tmp_path / "graph.csv",
        "id,parent_id,message,created_time,permalink_url,type\n"
        f"1001_2001,,Кто подписывал?,2026-11-20T10:01:00+0000,{POST}?comment_id=2001,comment\n"
        f"1001_2002,1001_2001,Подрядчик,2026-11-20T10:02:00+0000,{POST}?comment_id=2001&reply_comment_id=2002,reply\n",
    )
    items, problems = read(path)
    assert problems == []
    assert [(i.external_id, i.parent) for i in items] == [
        ("1001_2001", "104857600123_1001"),
        ("1001_2002", "1001_2001"),
    ]


def test_a_post_id_column_beside_a_plain_id_column_changes_nothing(tmp_path: Path) -> None:
    # ``ID`` and ``ID поста``: the post column is read only beside a Comment ID column (review: post
    # rows took it as their id, comments as their parent, and were stored a second time)
    path = _write(
        tmp_path / "ru.csv",
        "Тип;ID;ID поста;Текст;Дата\n"
        "post;;1001;Ремонт дороги завершён;20.11.2026 10:00\n"
        "comment;;1001;Кто подписывал акты?;20.11.2026 10:01\n",
    )
    items, problems = read(path)
    assert problems == []
    assert [(i.kind, i.external_id.startswith("fbx-"), i.parent) for i in items] == [
        ("post", True, None),
        ("comment", True, None),
    ]


def test_a_row_wider_than_most_with_an_empty_last_field_is_skipped(tmp_path: Path) -> None:
    # A stray comma in a text before an empty last column: the row's fields past the header are
    # empty, but most rows are as wide as the header, so its cells would be shifted (review).
    path = _write(
        tmp_path / "posts.csv",
        "id,published_at,text,author,url\n"
        "1,2026-11-20 10:00,Нет света,Ерлан,\n"
        "2,2026-11-20 11:00,Нет воды, света нет третий день,Асель,\n"
        "3,2026-11-20 12:00,Яма на дороге,Марат,\n",
    )
    items, problems = read(path)
    assert [i.external_id for i in items] == ["1", "3"]
    assert [(p.line, "6 fields where the header has 5" in str(p)) for p in problems] == [(3, True)]


def test_a_post_row_beside_comment_id_and_id_posta_keeps_its_hash_id(tmp_path: Path) -> None:
    # ``ID поста`` never ranked above ``Comment ID``: such post rows were hashed, and keep their ids
    # (review: they took the ID поста and were stored twice)
    path = _write(
        tmp_path / "ru.csv",
        "Тип;Comment ID;ID поста;Текст;Дата\n"
        "post;;1001;Ремонт дороги завершён;20.11.2026 10:00\n"
        "comment;2001;1001;Кто подписывал акты?;20.11.2026 10:01\n",
    )
    items, problems = read(path)
    assert problems == []
    assert [(i.kind, i.external_id.startswith("fbx-")) for i in items] == [("post", True), ("comment", False)]
