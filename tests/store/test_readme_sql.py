"""The analysts' SQL examples in README.md run against the schema the code makes."""

from __future__ import annotations

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
