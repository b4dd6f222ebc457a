"""A saved Graph feed answer whose posts hold their comments (``fields=comments{...}``) imports those
comments and their replies too, parented as the collector parents them (acceptance B2: the post was
stored and its comments dropped without a word)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.collectors.test_facebook_export import read


def test_comments_and_replies_inside_a_saved_feed_answer_are_read(tmp_path: Path) -> None:
    reply = {
        "id": "7_2",
        "message": "Подтверждаю, с меня тоже",
        "created_time": "2026-11-26T09:20:00+0000",
        "from": {"name": "Айгуль", "id": "9"},
    }
    comment = {
        "id": "7_1",
        "message": "Да, у нас тоже вымогали",
        "created_time": "2026-11-26T09:10:00+0000",
        "from": {"name": "Иван", "id": "8"},
        "comments": {"data": [reply]},
    }
    answer = {
        "data": [
            {
                "id": "123_7",
                "message": "Взятку требовали в акимате за справку",
                "created_time": "2026-11-26T09:00:00+0000",
                "permalink_url": "https://www.facebook.com/123/posts/7",
                "comments": {
                    "data": [comment, {"message": "без id и ссылки"}],
                    "paging": {"next": "https://graph.facebook.com/v25.0/123_7/comments?access_token=SECRET"},
                },
            }
        ]
    }
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    items, problems = read(path)
    assert [(i.kind, i.external_id, i.parent) for i in items] == [
        ("post", "123_7", None),
        ("comment", "7_1", "123_7"),
        ("comment", "7_2", "7_1"),
    ]
    assert items[2].text == "Подтверждаю, с меня тоже"
    assert len(problems) == 1 and "comment 2 of entry 1" in str(problems[0])
    assert not any("SECRET" in i.raw_json() for i in items)
