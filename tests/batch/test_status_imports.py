"""`status` on sources filled by `import`: their last import, no failure count, never "never run"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batch.status import print_status
from collectors.base import SourceConfig
from config.sources import Config
from store import runs as runlog
from store.db import writer

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
CONFIG = Config(
    path=None,
    settings={},
    sources=[
        SourceConfig("city-rss", "rss", {"url": "http://x/f.xml"}),
        SourceConfig("dept-whatsapp", "whatsapp", {}),
        SourceConfig("other-chat", "whatsapp", {}),
    ],
)


def _run(db: Path, source: str, kind: str, status: str, minutes_ago: int) -> None:
    run = runlog.RunRecord(source=source, kind=kind, started_at=NOW - timedelta(minutes=minutes_ago))
    with writer(db) as con:
        runlog.start_run(con, run)
        run.status, run.finished_at = status, run.started_at + timedelta(seconds=5)
        run.error = "chat.txt: no WhatsApp message line found" if status == "failed" else None
        runlog.finish_run(con, run)


def _line(out: str, source: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(source + " "))


def test_imported_sources_show_their_last_import_and_no_failure_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "m.duckdb"
    _run(db, "city-rss", "rss", "ok", 30)
    _run(db, "dept-whatsapp", "import:whatsapp", "ok", 20)
    _run(db, "dept-whatsapp", "import:whatsapp", "failed", 10)
    assert print_status(CONFIG, db, now=NOW) == 1  # the last import failed
    out = capsys.readouterr().out
    imported = _line(out, "dept-whatsapp").split()
    # last run, status, fetched, new, upd, fails: a failed import beside "0 failures in a row" misled
    assert imported[1:8] == ["10m", "ago", "failed", "0", "0", "0", "-"]
    assert "imported (whatsapp)" in _line(out, "dept-whatsapp")
    # a configured import source not imported yet is not "never run": `run` never runs it
    never = _line(out, "other-chat")
    assert "never run" not in never and "never imported (filled by `import`)" in never
    assert _line(out, "city-rss").split()[1:8] == ["30m", "ago", "ok", "0", "0", "0", "0"]
