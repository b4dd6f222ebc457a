"""The analysts' SQL examples in README.md run against the schema the code makes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store import runs as runlog
from store.db import reader, writer

README = Path(__file__).resolve().parents[2] / "README.md"


def _statements() -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    text = "\n".join(blocks)
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def test_every_readme_query_runs_on_a_fresh_database(tmp_path: Path) -> None:
    statements = _statements()
    assert len(statements) >= 6
    db = tmp_path / "m.duckdb"
    with writer(db):
        pass  # creates the schema
    with reader(db) as con:
        for statement in statements:
            con.execute(statement).fetchall()


def test_the_failed_sources_query_lists_failures_only(tmp_path: Path) -> None:
    (query,) = [s for s in _statements() if "status IN (" in s]
    assert set(re.findall(r"'(\w+)'", query.split("status IN", 1)[1])) == runlog.FAILED
    db = tmp_path / "m.duckdb"
    with writer(db) as con:
        for source, status in (("a", "failed"), ("b", "aborted"), ("c", "partial"), ("d", "token")):
            run = runlog.RunRecord(source=source, kind="rss", started_at=datetime(2026, 11, 26, tzinfo=UTC))
            runlog.start_run(con, run)
            run.status = status
            runlog.finish_run(con, run)
    with reader(db) as con:
        assert sorted(row[0] for row in con.execute(query).fetchall()) == ["a", "d"]


def test_the_per_day_query_counts_almaty_days(tmp_path: Path) -> None:
    statements = _statements()
    setting = next(s for s in statements if s.upper().startswith("SET TIMEZONE"))
    (per_day,) = [s for s in statements if "unnest(labels)" in s]
    db = tmp_path / "m.duckdb"
    late = datetime.now(UTC).replace(hour=20, minute=0, second=0, microsecond=0) - timedelta(days=2)
    with writer(db) as con:  # 20:00 UTC is 01:00 the next day in Almaty
        con.execute(
            "INSERT INTO items (source, external_id, kind, published_at, collected_at, updated_at, text, "
            "content_hash, version) VALUES ('s', '1', 'post', ?, ?, ?, 'Яма', 'h', 1)",
            [late, late, late],
        )
        con.execute(
            "INSERT INTO classifications (source, external_id, corruption, infrastructure, labels, "
            "model_version, content_hash, classified_at) VALUES ('s', '1', 0.0, 0.9, ['infrastructure'], 'm', 'h', ?)",
            [late],
        )
    with reader(db) as con:
        con.execute(setting)
        ((day, label, count),) = con.execute(per_day).fetchall()
    assert (day.date(), label, count) == ((late + timedelta(days=1)).date(), "infrastructure", 1)


def _item(
    con, external_id: str, *, lang: str, labels: list[str], parent: str | None = None, source: str = "s"
) -> None:
    at = datetime(2026, 11, 20, tzinfo=UTC) + timedelta(hours=int(external_id))
    con.execute(
        "INSERT INTO items (source, external_id, kind, parent, url, published_at, collected_at, updated_at, lang, "
        "text, content_hash, version) VALUES (?, ?, 'comment', ?, ?, ?, ?, ?, ?, ?, 'h', 1)",
        [
            source,
            external_id,
            parent,
            f"https://portal.kz/{external_id}",
            at,
            at,
            at,
            lang,
            f"текст {external_id}",
        ],
    )
    con.execute(
        "INSERT INTO classifications (source, external_id, corruption, infrastructure, labels, evidence, "
        "model_version, content_hash, classified_at) VALUES (?, ?, ?, 0.1, ?, ?, 'm', 'h', ?)",
        [source, external_id, 0.5 + int(external_id) / 100, labels, '{"corruption": ["пара", "алды"]}', at],
    )


def test_the_kazakh_query_lists_unreviewed_kazakh_corruption_only(tmp_path: Path) -> None:
    (query,) = [s for s in _statements() if "lang = 'kk'" in s]
    db = tmp_path / "m.duckdb"
    with writer(db) as con:
        _item(con, "1", lang="kk", labels=["corruption"])  # listed
        _item(con, "2", lang="kk", labels=["corruption", "infrastructure"])  # listed, first (higher score)
        _item(con, "3", lang="kk", labels=["corruption"])  # confirmed: not listed
        _item(con, "4", lang="ru", labels=["corruption"])
        _item(con, "5", lang="kk", labels=["infrastructure"])
        con.execute(
            "INSERT INTO reviews (source, external_id, status, reviewer, created_at) "
            "VALUES ('s', '3', 'confirmed', 'aigerim', now())"
        )
    with reader(db) as con:
        rows = con.execute(query).fetchall()
    assert [(url, json.loads(why)) for url, _, why, _ in rows] == [
        ("https://portal.kz/2", ["пара", "алды"]),
        ("https://portal.kz/1", ["пара", "алды"]),
    ]


def test_the_thread_query_lists_the_comments_of_its_article_in_order(tmp_path: Path) -> None:
    (query,) = [s for s in _statements() if "parent =" in s]
    parent = re.search(r"parent = '([^']+)'", query).group(1)
    source = re.search(r"source = '([^']+)'", query).group(1)
    db = tmp_path / "m.duckdb"
    with writer(db) as con:  # the query as the README writes it: its source and article
        _item(con, "7", lang="ru", labels=[], parent=parent, source=source)
        _item(con, "6", lang="ru", labels=[], parent=parent, source=source)
        _item(con, "8", lang="ru", labels=[], parent="https://portal.kz/other", source=source)
        _item(con, "9", lang="ru", labels=[], parent=parent, source="another-portal")
    with reader(db) as con:
        rows = con.execute(query).fetchall()
    assert [text for _, _, text in rows] == ["текст 6", "текст 7"]
