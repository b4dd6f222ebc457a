"""`status` names the slot a backed-off source will run in (the first of its schedule after the back-off
ends: the scheduler skips the ones before), not the end of the back-off, which can be up to one cron
interval earlier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batch.status import print_status
from collectors.base import SourceConfig
from config.sources import Config
from store import runs as runlog
from store.db import writer

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 11:00 in Almaty


def _status(tmp_path: Path, capsys: pytest.CaptureFixture[str], schedule: str | None, **settings: str) -> str:
    db = tmp_path / "m.duckdb"
    with writer(db) as con:
        for name in ("city-rss", "gone-rss"):  # gone-rss: removed from the configuration since
            run = runlog.RunRecord(source=name, kind="rss", started_at=NOW - timedelta(minutes=10))
            runlog.start_run(con, run)
            run.status, run.finished_at = "failed", NOW - timedelta(minutes=9)
            runlog.finish_run(con, run)
            due = NOW + timedelta(minutes=12)
            runlog.save_state(con, runlog.SourceState(name, consecutive_failures=2, next_due=due))
    source = SourceConfig("city-rss", "rss", {"url": "http://x/f.xml"}, schedule=schedule)
    print_status(Config(path=Path("sources.toml"), settings=dict(settings), sources=[source]), db, now=NOW)
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("schedule", "settings", "says"),
    [
        ("*/30 * * * *", {}, "next try in 30m (its 11:30 slot, Almaty time)"),
        (None, {}, "next try in 30m (its 11:30 slot, Almaty time)"),  # the fallback schedule, */30
        (None, {"default_schedule": "*/15 * * * *"}, "next try in 15m (its 11:15 slot, Almaty time)"),
        ("* * * * *", {}, "next try in 12m (its 11:12 slot, Almaty time)"),  # a back-off ending on a slot
        ("30 */5 * * * *", {}, "next try in 16m (its 11:15:30 slot, Almaty time)"),
        ("0 9 * * *", {}, "next try in 22h (its 2026-11-27 09:00 slot, Almaty time)"),
    ],
)
def test_status_names_the_slot_the_source_runs_in(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    schedule: str | None,
    settings: dict[str, str],
    says: str,
) -> None:
    lines = _status(tmp_path, capsys, schedule, **settings).splitlines()
    (city,) = [line for line in lines if line.startswith("city-rss")]
    assert f"backing off, {says}" in city
    # a source no longer configured is not run: listed apart, with no back-off (it never ends for it)
    assert "  gone-rss (rss): last run 10m ago, failed; 0 items" in lines
    assert not [line for line in lines if line.startswith("gone-rss")]
