"""One id for a Facebook comment however it reaches a source. Graph writes ``{post}_{comment}`` in
``id`` (and ``parent.id``); a monitoring tool's CSV names a comment by its link (``comment_id``), and
took the link's bare number: a run and a CSV import of the same comments stored each twice in one
source (acceptance run), as did a reply whose answer has ``id`` but no ``parent`` (its parent was the
bare number). Answers without ``id`` (the corpus's API version) keep the permalink's numbers, as the
corpus's ground truth names them. Against our Graph API emulator on 127.0.0.1."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from testutil import store_rows

from collectors import facebook_parse
from collectors.facebook import COMMENT_FIELDS
from demo.graph_emulator import GraphEmulator, serve

PAGE = "104857600123"
TOKEN = "EAAGcommentIDStokenR7q"


class ParentlessGraph(GraphEmulator):
    """The emulator answering with ``id`` but no ``parent``: a reply is told by its permalink only."""

    def _comment_json(self, comment: Any, fields: str | None, replies: int | None = None) -> dict[str, Any]:
        body = super()._comment_json(comment, fields, replies)
        body.pop("parent", None)
        return body


class IdlessGraph(GraphEmulator):
    """The emulator answering comments as the corpus's API version does: no ``id``, no ``parent``,
    only the permalink naming ``comment_id`` (and a reply's ``reply_comment_id``)."""

    def _comment_json(self, comment: Any, fields: str | None, replies: int | None = None) -> dict[str, Any]:
        body = super()._comment_json(comment, fields, replies)
        body.pop("id", None)
        body.pop("parent", None)
        return body


def _page(emulator: GraphEmulator) -> tuple[str, dict[str, tuple[str, str]]]:
    """A post of an hour ago with two comments and two replies (the runner counts the comment window
    from the real clock); returns the post and, by text, each comment's Graph id and parent."""
    now = datetime.now(UTC).replace(microsecond=0)
    emulator.add_page(PAGE, "Департамент")
    post = emulator.add_post(PAGE, "На улице Розыбакиева второй день нет света.", now - timedelta(hours=1))
    first = emulator.add_comment(post, "Электрик сказал, что кабель старый.", now, author="Ли")
    emulator.add_comment(post, "Бүгін де жарық жоқ.", now, author="Әлия")
    emulator.add_comment(post, "Обещают к пятнице.", now, parent=first, author="Денис")
    emulator.add_comment(post, "Кто обещает?", now, parent=first, author="Ли")
    expected = {c["message"]: (c["id"], c["parent"] or post) for c in emulator.comments.values()}
    return post, expected


def _saved_answer(emulator: GraphEmulator, base: str, post: str, folder: Path) -> Path:
    """The post's comments as a tool saves the Graph answer (what ``import facebook-export`` reads)."""
    query = {"fields": [COMMENT_FIELDS], "filter": ["stream"], "access_token": [TOKEN]}
    status, _, body = emulator.handle(f"/v25.0/{post}/comments", query, {}, base)
    assert status == 200
    path = folder / "comments.json"
    path.write_bytes(body)
    return path


def _tool_csv(emulator: GraphEmulator, base: str, post: str, folder: Path) -> Path:
    """The post's comments as a monitoring tool writes them (Export Comments: the comment's link)."""
    data = json.loads(_saved_answer(emulator, base, post, folder).read_text(encoding="utf-8"))["data"]
    path = folder / "comments.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Name", "Date", "Comment", "Comment URL"])
        for c in data:
            writer.writerow([c["from"]["name"], c["created_time"], c["message"], c["permalink_url"]])
    return path


@pytest.mark.parametrize(
    ("collected", "exported", "written"),
    [
        (GraphEmulator, GraphEmulator, _saved_answer),
        (GraphEmulator, ParentlessGraph, _saved_answer),
        (ParentlessGraph, GraphEmulator, _saved_answer),
        (IdlessGraph, IdlessGraph, _saved_answer),
        (GraphEmulator, GraphEmulator, _tool_csv),
    ],
    ids=[
        "answers with ids",
        "run with ids, import without parents",
        "run without parents, import with",
        "both without ids",
        "run with ids, CSV import",
    ],
)
def test_a_run_then_an_import_of_the_same_comments_stores_each_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collected: type, exported: type, written: Any
) -> None:
    import batch.importing as importing
    import batch.runner as runner
    from config.sources import load_config

    monkeypatch.setenv("FB_TEST_TOKEN", TOKEN)
    live, saved = collected(token=TOKEN), exported(token=TOKEN)
    post, expected = _page(live)
    assert _page(saved)[1] == expected  # the same page, ids and all
    config = tmp_path / "sources.toml"
    db = tmp_path / "fb.duckdb"
    with serve(live) as base:
        config.write_text(
            '[settings]\nretries = 0\n\n[[sources]]\nname = "dept-fb"\nkind = "facebook"\n'
            f'page_id = "{PAGE}"\ngraph_url = "{base}/v25.0"\ntoken_env = "FB_TEST_TOKEN"\n',
            encoding="utf-8",
        )
        loaded = load_config(config)
        assert runner.run_source(loaded.sources[0], loaded, db).status == "ok"
    export = written(saved, "http://127.0.0.1:9", post, tmp_path)
    problems: list[Any] = []
    done = importing.import_file("facebook-export", export, "dept-fb", loaded, db, report=problems.append)
    assert (done.status, problems) == ("ok", [])
    rows = store_rows(db, "SELECT external_id, parent, text FROM items WHERE kind = 'comment'")
    if collected is IdlessGraph:  # the permalink's numbers, as the corpus's ground truth has them
        expected = {
            t: (own.split("_")[-1], p if p == post else p.split("_")[-1]) for t, (own, p) in expected.items()
        }
    assert sorted(rows) == sorted((own, parent, text) for text, (own, parent) in expected.items())
    assert (done.new, done.updated) == (0, 0)  # the import found every comment stored already


@pytest.mark.parametrize(
    ("permalink", "post_id", "own", "parent"),
    [
        (f"https://www.facebook.com/{PAGE}/posts/1001/?comment_id=2001", f"{PAGE}_1001", "1001_2001", None),
        (
            f"https://www.facebook.com/{PAGE}/posts/1001/?comment_id=2001&reply_comment_id=2002",
            f"{PAGE}_1001",
            "1001_2002",
            "1001_2001",
        ),
        (
            f"https://www.facebook.com/permalink.php?story_fbid=1001&id={PAGE}&comment_id=2001&reply_comment_id=2002",
            "unknown",
            "1001_2002",
            "1001_2001",
        ),
        (f"https://www.facebook.com/{PAGE}/videos/1001/?comment_id=2001", "unknown", "1001_2001", None),
        (
            "https://m.facebook.com/anticor/videos/remont-dorog/1001/?comment_id=2001",
            "unknown",
            "1001_2001",
            None,
        ),
        # a photo post: Graph names its comments by the photo, which the permalink names after the album
        (
            f"https://www.facebook.com/{PAGE}/photos/a.3612/4412/?comment_id=2001",
            f"{PAGE}_1001",
            "4412_2001",
            None,
        ),
        # a pfbid link names no post by number: the post the comment was read under does
        (
            "https://www.facebook.com/anticor/posts/pfbid02abc/?comment_id=2001",
            f"{PAGE}_1001",
            "1001_2001",
            None,
        ),
    ],
)
def test_a_reply_with_an_id_and_no_parent_meets_its_parents_id(
    permalink: str, post_id: str, own: str, parent: str | None
) -> None:
    number = own.split("_")[0]
    with_id = {"message": "Иә", "like_count": 0, "permalink_url": permalink, "id": own}
    read = facebook_parse.parse_comment(with_id, post_id=post_id, source="fb")
    assert (read.external_id, read.parent) == (own, parent or post_id)
    # without an id, the permalink's bare numbers (the corpus's ground truth)
    without = {k: v for k, v in with_id.items() if k != "id"}
    read = facebook_parse.parse_comment(without, post_id=post_id, source="fb")
    bare_parent = parent.removeprefix(f"{number}_") if parent else post_id
    assert (read.external_id, read.parent) == (own.removeprefix(f"{number}_"), bare_parent)


def test_a_comment_whose_post_has_no_number_keeps_the_permalinks_number() -> None:
    # A saved answer with a pfbid link and no post_id: nothing names the post's number, so the id is
    # the permalink's bare number, as before (the only id there is).
    link = "https://www.facebook.com/anticor/posts/pfbid02abc/?comment_id=2001&reply_comment_id=2002"
    reply = facebook_parse.parse_comment({"permalink_url": link}, post_id="pfbid02abc", source="fb")
    assert (reply.external_id, reply.parent) == ("2002", "2001")


def test_the_import_keeps_the_permalinks_numbers_of_an_answer_without_ids(tmp_path: Path) -> None:
    from collectors.facebook_export import read_export

    link = f"https://www.facebook.com/{PAGE}/posts/1001/?comment_id=2001"
    answer = {
        "data": [
            {
                "message": "Когда?",
                "created_time": "2026-11-24T05:00:00+0000",
                "like_count": 0,
                "permalink_url": link,
            },
            {
                "message": "Завтра.",
                "created_time": "2026-11-24T06:00:00+0000",
                "like_count": 0,
                "permalink_url": link + "&reply_comment_id=2002",
            },
        ]
    }
    path = tmp_path / "comments.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    problems: list[Any] = []
    items = list(read_export(path, source="fb", options={}, report=problems.append))
    assert problems == []
    assert [(i.external_id, i.parent) for i in items] == [
        ("2001", f"{PAGE}_1001"),
        ("2002", "2001"),
    ]


def test_a_saved_answers_reply_without_parent_meets_its_parent_under_a_pfbid_link(tmp_path: Path) -> None:
    # A saved Graph answer with ids and no parent, its permalinks naming the post only as pfbid…: the
    # reply's parent comes from its own id's object (review: it was the bare number, no comment's id).
    from collectors.facebook_export import read_export

    link = "https://www.facebook.com/anticor/posts/pfbid02abc/?comment_id=2001"
    answer = {
        "data": [
            {
                "id": "1001_2001",
                "message": "Когда?",
                "created_time": "2026-11-24T05:00:00+0000",
                "permalink_url": link,
            },
            {
                "id": "1001_2002",
                "message": "Завтра.",
                "created_time": "2026-11-24T06:00:00+0000",
                "like_count": 0,
                "permalink_url": link + "&reply_comment_id=2002",
            },
        ]
    }
    path = tmp_path / "comments.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    items = list(read_export(path, source="fb", options={}, report=lambda problem: None))
    assert [(i.external_id, i.parent) for i in items][1] == ("1001_2002", "1001_2001")


def test_a_photo_comments_reply_takes_its_own_object_not_the_permalinks_post() -> None:
    link = f"https://www.facebook.com/{PAGE}/posts/1001/?comment_id=2001&reply_comment_id=2002"
    reply = {"id": "4412_2002", "message": "Иә", "permalink_url": link}
    read = facebook_parse.parse_comment(reply, post_id=f"{PAGE}_1001", source="fb")
    assert (read.external_id, read.parent) == ("4412_2002", "4412_2001")
