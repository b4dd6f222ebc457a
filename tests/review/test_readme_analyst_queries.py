"""README.md's analyst queries agree with the review page and the exports: an item's day is that of
coalesce(published_at, collected_at), and a thread holds the replies to replies."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store.db import reader, writer

README = Path(__file__).resolve().parents[2] / "README.md"


def _statements() -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    code = "\n".join(line for line in "\n".join(blocks).splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def _insert(con, external_id: str, published: datetime | None, collected: datetime, **extra: str) -> None:  # type: ignore[no-untyped-def]
    con.execute(
        "INSERT INTO items (source, external_id, kind, parent, author, published_at, collected_at, updated_at, "
        "text, content_hash, version) VALUES (?, ?, 'comment', ?, ?, ?, ?, ?, ?, 'h', 1)",
        [extra.get("source", "s"), external_id, extra.get("parent"), extra.get("author", "a"), published,
         collected, collected, extra.get("text", f"текст {external_id}")],
    )  # fmt: skip


def test_the_per_day_query_dates_an_undated_item_by_its_collection(tmp_path: Path) -> None:
    statements = _statements()
    setting = next(s for s in statements if s.upper().startswith("SET TIMEZONE"))
    (per_day,) = [s for s in statements if "unnest(labels)" in s]
    collected = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0) - timedelta(days=3)
    db = tmp_path / "m.duckdb"
    with writer(db) as con:
        _insert(con, "undated", None, collected)  # a message with no date of its own
        con.execute(
            "INSERT INTO classifications (source, external_id, corruption, infrastructure, labels, "
            "model_version, content_hash, classified_at) VALUES ('s', 'undated', 0.9, 0.0, ['corruption'], 'm', 'h', ?)",
            [collected],
        )
    with reader(db) as con:
        con.execute(setting)
        rows = con.execute(per_day).fetchall()
        # the day the review page and the exports give it (review.queries: coalesce(published_at, collected_at))
        (page_day,) = con.execute(
            "SELECT date_trunc('day', coalesce(published_at, collected_at)) FROM items"
        ).fetchone()
    assert [(day, label, n) for day, label, n in rows] == [(page_day, "corruption", 1)]


def test_the_thread_query_lists_replies_to_replies_below_their_comment(tmp_path: Path) -> None:
    (query,) = [s for s in _statements() if "RECURSIVE" in s.upper()]
    post = re.search(r"parent = '([^']+)'", query).group(1)
    source = re.search(r"source = '([^']+)'", query).group(1)
    at = datetime(2026, 11, 20, 9, tzinfo=UTC)
    db = tmp_path / "m.duckdb"
    with writer(db) as con:
        _insert(con, "c1", at, at, source=source, parent=post, text="первый")
        _insert(con, "c2", at + timedelta(hours=1), at, source=source, parent=post, text="второй")
        _insert(con, "r1", at + timedelta(hours=3), at, source=source, parent="c1", text="ответ на первый")
        _insert(con, "r2", at + timedelta(hours=4), at, source=source, parent="r1", text="ответ на ответ")
        _insert(con, "r0", None, at + timedelta(hours=2), source=source, parent="c1", text="без даты")
        _insert(con, "x1", at, at, source="other", parent="c1", text="другой источник")
        _insert(con, "x2", at, at, source=source, parent="other-post", text="другой пост")
    with reader(db) as con:
        rows = con.execute(query).fetchall()
    assert [text for _, _, text in rows] == [
        "первый",
        "    без даты",  # collected at 11:00, before the 12:00 reply
        "    ответ на первый",
        "        ответ на ответ",
        "второй",
    ]
    assert rows[1][1] == at + timedelta(hours=2)
