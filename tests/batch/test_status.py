"""`status`: what it says about a source's last run, its back-off and its exit status."""

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


def _database(
    tmp_path: Path, status: str, *, fails: int = 0, due: datetime | None = None
) -> tuple[Config, Path]:
    db = tmp_path / "m.duckdb"
    run = runlog.RunRecord(source="city-rss", kind="rss", started_at=NOW - timedelta(minutes=10))
    with writer(db) as con:
        runlog.start_run(con, run)
        run.status, run.finished_at = status, NOW - timedelta(minutes=9)
        runlog.finish_run(con, run)
        runlog.save_state(con, runlog.SourceState("city-rss", consecutive_failures=fails, next_due=due))
    config = Config(
        path=None, settings={}, sources=[SourceConfig("city-rss", "rss", {"url": "http://x/f.xml"})]
    )
    return config, db


@pytest.mark.parametrize(("status", "code"), [("ok", 0), ("partial", 0), ("aborted", 0), ("failed", 1)])
def test_a_run_stopped_on_request_is_not_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], status: str, code: int
) -> None:
    config, db = _database(tmp_path, status)
    assert print_status(config, db, now=NOW) == code
    assert f"city-rss                 10m ago      {status}" in capsys.readouterr().out


def test_back_off_is_shown_while_it_lasts_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, db = _database(tmp_path, "failed", fails=2, due=NOW + timedelta(minutes=12))
    print_status(config, db, now=NOW)
    assert "backing off, next try in 30m (its 11:30 slot, Almaty time)" in capsys.readouterr().out
    print_status(config, db, now=NOW + timedelta(minutes=13))
    assert "backing off" not in capsys.readouterr().out


def test_last_runs_are_in_almaty_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, db = _database(tmp_path, "ok")
    print_status(config, db, last_runs=1, now=NOW)
    out = capsys.readouterr().out
    assert "last runs (Asia/Almaty time):\n  #1 2026-11-26 10:50:00 city-rss: ok" in out


def test_the_classifier_line_names_the_model_and_the_scores_of_other_versions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from classify.model import load_model

    config, db = _database(tmp_path, "ok")
    current = load_model().version
    with writer(db) as con:
        for n, version in enumerate([current, current, "20250101-0000000000", "20250301-1111111111"]):
            con.execute(
                "INSERT INTO classifications (source, external_id, model_version, content_hash, labels, "
                "classified_at) VALUES ('city-rss', ?, ?, 'h', [], now())",
                [f"p{n}", version],
            )
    print_status(config, db, now=NOW)
    out = capsys.readouterr().out
    assert f"classifier: model {current} (" in out
    assert "2 items scored by it; 2 scored by 2 other versions (python pipeline.py reclassify" in out


def test_a_model_that_cannot_be_loaded_is_said_in_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, db = _database(tmp_path, "ok")
    config.settings["model"] = str(tmp_path / "missing.npz")
    assert print_status(config, db, now=NOW) == 0
    out = capsys.readouterr().out
    assert "classifier: cannot be loaded, new items wait unclassified: " in out
    assert "model file not found" in out and "missing.npz" in out


def test_status_on_a_duckdb_file_of_another_program_is_one_error(tmp_path: Path) -> None:
    import duckdb
    from testutil import run_cli

    foreign = tmp_path / "other.duckdb"
    with duckdb.connect(str(foreign)) as con:
        con.execute("CREATE TABLE measurements (x INTEGER)")
    done = run_cli("status", "--db", str(foreign))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: {foreign}: cannot read the monitor's tables (Catalog Error: Table with name runs does not "
        "exist!): is this a database of this monitor? One of an older version is brought up to date by any "
        "command that writes to it, such as `pipeline.py run`"
    ]  # a traceback before


def test_variables_the_config_needs_and_this_shell_lacks_are_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, db = _database(tmp_path, "ok")
    config.alerts = {"webhook_url_env": "TEST_STATUS_HOOK"}
    monkeypatch.delenv("TEST_STATUS_HOOK", raising=False)
    assert print_status(config, db, now=NOW) == 0  # not a failure: the service may set it
    assert (
        "  environment variable TEST_STATUS_HOOK is not set or empty: the webhook alerts (webhook_url_env) "
        "will fail until it is\n" in capsys.readouterr().out
    )
    monkeypatch.setenv("TEST_STATUS_HOOK", "https://hooks.example/x")
    print_status(config, db, now=NOW)
    assert "environment" not in capsys.readouterr().out


def test_a_back_off_past_the_longest_is_shown_as_the_scheduler_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, db = _database(tmp_path, "failed", fails=1, due=NOW + timedelta(days=3650))
    print_status(config, db, now=NOW)
    out = capsys.readouterr().out
    assert "back-off set by a clock that ran ahead: runs at its next slot" in out and "next try" not in out
