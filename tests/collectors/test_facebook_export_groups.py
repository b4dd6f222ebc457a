"""`import facebook-export`: a DYI export's group posts and comments are read, a file meant to hold
posts or comments that this import cannot read is a warning, and a text with a few bytes that are not
UTF-8 is repaired all the same."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.facebook_export import _Ids, fix_mojibake, read_export
from collectors.item import Item
from errors import InputError

WHEN = 1795599500  # 2026-11-25 09:38:20 UTC


def escaped(text: str) -> str:
    """``text`` as a DYI export writes it: each UTF-8 byte a Latin-1 character."""
    return text.encode("utf-8").decode("latin-1")


def write(root: Path, name: str, data: object) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")  # json.dumps escapes them: \u00d0\u0092...


def read(path: Path) -> tuple[list[Item], list[InputError]]:
    problems: list[InputError] = []
    return list(read_export(path, source="fbx", options={}, report=problems.append)), problems


def post(text: str, title: str = "Айгерим опубликовала") -> dict[str, object]:
    return {"timestamp": WHEN, "data": [{"post": escaped(text)}], "title": escaped(title)}


def comment(text: str, title: str = "Айгерим прокомментировала") -> dict[str, object]:
    body = {"timestamp": WHEN, "comment": escaped(text), "author": escaped("Айгерим"), "group": escaped("ЖК")}
    return {"timestamp": WHEN, "data": [{"comment": body}], "title": escaped(title)}


def test_group_posts_and_comments_are_read_and_leave_the_timelines_ids_alone(tmp_path: Path) -> None:
    act = tmp_path / "your_facebook_activity"
    write(act, "posts/your_posts_1.json", [post("Трубу прорвало")])
    write(act, "comments_and_reactions/comments.json", {"comments_v2": [comment("Откат за ремонт")]})
    alone, _ = read(tmp_path)
    write(
        act,
        "groups/group_posts_and_comments.json",
        {"group_posts_v2": [post("Трубу прорвало", "В группе ЖК")]},
    )
    write(
        act,
        "groups/your_comments_in_groups.json",
        {"group_comments_v2": [comment("Откат за ремонт", "В группе ЖК")]},
    )
    items, problems = read(tmp_path)
    assert problems == []
    when = datetime.fromtimestamp(WHEN, UTC)
    assert sorted((i.kind, i.text, i.author, i.parent, i.published_at) for i in items) == [
        ("comment", "Откат за ремонт", "Айгерим", None, when),
        ("comment", "Откат за ремонт", "Айгерим", None, when),
        ("post", "Трубу прорвало", None, None, when),
        ("post", "Трубу прорвало", None, None, when),
    ]
    # the same words at the same second in a group: an item of its own, and the timeline's keep theirs
    assert len({i.external_id for i in items}) == 4
    timeline = {i.kind: i.external_id for i in items if "группе" not in str(i.raw.get("title"))}
    assert timeline == {i.kind: i.external_id for i in alone}
    again, _ = read(tmp_path)
    assert [i.external_id for i in again] == [i.external_id for i in items]


def test_a_file_of_posts_in_a_shape_not_read_is_a_warning_other_files_a_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    act = tmp_path / "your_facebook_activity"
    write(act, "posts/your_posts_1.json", [post("Яма на Абая")])
    write(act, "groups/group_posts_and_comments.json", {"group_posts_v3": [post("Новая форма")]})
    write(act, "other/things.json", {"comments_v9": [comment("Новая форма")]})
    write(act, "groups/your_groups.json", {"groups_joined_v2": [{"name": "ЖК", "timestamp": WHEN}]})
    write(act, "comments_and_reactions/likes_and_reactions_1.json", [{"title": "x"}])
    with caplog.at_level(logging.INFO, logger="collectors.facebook_export"):
        items, problems = read(tmp_path)
    assert [i.text for i in items] == ["Яма на Абая"] and problems == []
    warned = sorted(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert [m.split(": ", 1)[0] for m in warned] == [
        str(act / "groups/group_posts_and_comments.json"),  # its name says posts
        str(act / "other/things.json"),  # its key says comments
    ]
    assert "keys: group_posts_v3" in warned[0]
    noted = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    assert "your_groups.json" in noted and "likes_and_reactions_1.json" in noted


@pytest.mark.parametrize(
    ("garbled", "expected"),
    [
        # an emoji cut short: the rest repaired, the bytes left of it one U+FFFD
        (escaped("Сәлем, жол бұзылды 😀")[:-1], "Сәлем, жол бұзылды \ufffd"),
        (escaped("Иә, жол 👍")[:-1], "Иә, жол \ufffd"),  # five letters: enough to repair
        # an emoji as old exports wrote it, its UTF-16 halves each in UTF-8 (CESU-8): joined
        ("Привет ".encode().decode("latin-1") + "\xed\xa0\xbd\xed\xb8\x80", "Привет 😀"),
        (escaped("жол ") + "\xed\xa0\xbd" + escaped(" бар"), "жол \ufffd\ufffd\ufffd бар"),  # a half alone
    ],
)
def test_a_text_with_a_few_bytes_that_are_not_utf8_is_repaired_all_the_same(
    garbled: str, expected: str
) -> None:
    assert fix_mojibake(garbled) == expected
    # and text that is not mojibake is left alone: Latin-1 with no UTF-8 sequence in it, real Unicode
    for text in ("café crème", "Ã", "naïve façade, 5 °C", "Привет 😀", "plain"):
        assert fix_mojibake(text) == text


def test_a_post_repaired_in_part_keeps_the_id_it_had(tmp_path: Path) -> None:
    garbled = escaped("Жолда шұңқыр 😀")[:-1]
    write(tmp_path, "posts/your_posts_1.json", [{"timestamp": WHEN, "data": [{"post": garbled}]}])
    (item,), _ = read(tmp_path)
    assert item.text == "Жолда шұңқыр \ufffd"
    # the id holds the text as stored before (whole, unrepaired), so importing again makes the stored
    # item a new version instead of a second item beside it
    assert item.external_id == _Ids()("post", datetime.fromtimestamp(WHEN, UTC), None, garbled)


@pytest.mark.parametrize(
    "text",
    [
        "ÉTÉ\xa0!",  # «É\xa0» decodes as «ɠ», «ÉT» does not
        "«Gruß»",  # «ß»» decodes as U+07FB, «« does not
        "café",  # «é» at the end is a UTF-8 sequence cut short, but nothing decodes
        "Le mot Ã© est du mojibake, n'est-ce pas? très",  # one pair decodes, «ès» does not
        "FIERTÉ\xa0! BEAUTÉ\xa0! la fierté",  # two pairs decode, the «é» at the end is cut short
    ],
)
def test_a_text_really_written_in_latin1_is_not_repaired_in_part(text: str) -> None:
    # review: «Gruß» became «\ufffdGru\u07fb» and «… très» «… tr\ufffds»
    assert fix_mojibake(text) == text


def test_a_saved_graph_answer_is_stored_as_the_api_wrote_it(tmp_path: Path) -> None:
    # The Graph API writes real Unicode: a Latin-1 text that happens to decode as UTF-8 stays as it is
    # (review: «QUELLE FIERTÉ\xa0!» was stored as «QUELLE FIERTɠ!», «Gruß» in part repaired)
    texts = ["QUELLE FIERTÉ\xa0!", "«Gruß»", "Ø°C i dag, KÄ\xa0ist", "Сәлем 😀"]
    answer = {
        "data": [
            {"id": f"111_{n}", "created_time": "2026-11-25T10:00:00+0000", "message": text}
            for n, text in enumerate(texts)
        ]
    }
    write(tmp_path, "graph.json", answer)
    items, problems = read(tmp_path / "graph.json")
    assert problems == []
    assert [(i.external_id, i.text) for i in items] == [(f"111_{n}", t) for n, t in enumerate(texts)]


def test_likes_and_edits_of_posts_are_a_note_not_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    act = tmp_path / "your_facebook_activity"
    write(act, "posts/your_posts_1.json", [post("Яма на Абая")])
    reaction = {"reaction": {"reaction": "LIKE", "actor": escaped("Айгерим")}}
    likes = {"reactions_v2": [{"timestamp": WHEN, "data": [reaction], "title": escaped("Айгерим")}]}
    write(act, "likes_and_reactions/posts_and_comments.json", likes)
    write(act, "posts/edits_you_made_to_posts.json", {"edits_v2": [{"timestamp": WHEN, "title": "x"}]})
    # a shape not read whose entries hold words, at the top or under a key: still a warning
    write(act, "posts/your_posts_2.json", {"posts_v3": [{"timestamp": WHEN, "text": escaped("Новая")}]})
    with caplog.at_level(logging.INFO, logger="collectors.facebook_export"):
        items, problems = read(tmp_path)
    assert [i.text for i in items] == ["Яма на Абая"] and problems == []
    warned = [r.getMessage().split(": ", 1)[0] for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == [str(act / "posts/your_posts_2.json")]
    noted = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    assert "posts_and_comments.json" in noted and "edits_you_made_to_posts.json" in noted
