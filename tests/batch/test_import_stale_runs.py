"""Runs an `import` leaves `running` (killed, or its end kept out by a full disk) are closed `aborted`
by the next process that takes the source's lock, an import or a `run`; and a database that cannot be
written ends an import with one line, as it ends `run`."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from testutil import ROOT, run_cli, stderr_until, store_rows

import pipeline
from batch import importing, runner
from batch.source_lock import IMPORTING, SourceBusy, source_lock
from config.sources import load_config
from errors import StoreError
from store import runs as runlog
from store.db import holding, writer

DEAD = "the process ended before the run finished"


def _export(path: Path, lines: int) -> Path:
    path.write_text(
        "".join(f'{{"id": "{n}", "text": "Жалоба {n}: во дворе нет воды"}}\n' for n in range(lines)),
        encoding="utf-8",
    )
    return path


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "s.toml"
    config.write_text(
        f'[settings]\ndb = "{tmp_path / "m.duckdb"}"\nretries = 0\n\n'
        '[[sources]]\nname = "tips"\nkind = "jsonl"\n\n'
        '[[sources]]\nname = "feed"\nkind = "rss"\nurl = "http://127.0.0.1:9/x"\n',
        encoding="utf-8",
    )
    return config


def _runs(db: Path) -> list[tuple[Any, ...]]:
    return store_rows(db, "SELECT run_id, source, kind, status, error FROM runs ORDER BY run_id")


def _dead_run(db: Path, source: str, kind: str) -> None:
    """What a process killed in the middle of its run leaves: its row, `running`."""
    with writer(db) as con:
        runlog.start_run(con, runlog.RunRecord(source, kind, datetime.now(UTC)))


def test_an_import_killed_mid_file_is_closed_by_the_next_import(tmp_path: Path) -> None:
    config, db = _config(tmp_path), tmp_path / "m.duckdb"
    export = _export(tmp_path / "tips.jsonl", 150_000)
    command = ["import", "jsonl", str(export), "--source", "tips", "--no-classify", "--config", str(config)]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "pipeline.py"), "--debug", *command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "tips: import of" in stderr_until(proc, "import of")
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    assert _runs(db) == [(1, "tips", "import:jsonl", "running", None)]

    result = run_cli(*command)
    assert result.returncode == 0, result.stderr
    # it stayed `running` for ever before: `schedule` never runs an import-only source
    assert _runs(db) == [
        (1, "tips", "import:jsonl", "aborted", DEAD),
        (2, "tips", "import:jsonl", "ok", None),
    ]
    assert store_rows(db, "SELECT count(*), count(DISTINCT external_id) FROM items") == [(150_000, 150_000)]


def test_each_takes_the_source_s_dead_runs_whatever_their_kind_and_only_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Graph source, which a Facebook export backfills: both `run` and `import` go into it.
    monkeypatch.setenv("FB_TEST_TOKEN", "test-token")
    config_file = _config(tmp_path)
    with config_file.open("a", encoding="utf-8") as fh:
        fh.write(
            '\n[[sources]]\nname = "dept-fb"\nkind = "facebook"\npage_id = "2"\n'
            'graph_url = "http://127.0.0.1:9/v25.0"\ntoken_env = "FB_TEST_TOKEN"\n'
        )
    config, db = load_config(config_file), tmp_path / "m.duckdb"
    export = tmp_path / "posts.csv"
    export.write_text("id,message,created_time\n1_2,Нет света на Абая,2026-11-20T09:00:00+00:00\n", "utf-8")
    _dead_run(db, "dept-fb", "facebook")  # a killed `run` of the source
    _dead_run(db, "dept-fb", "import:facebook-export")  # a killed import into it
    _dead_run(db, "tips", "import:jsonl")  # another source's: not this import's to close
    run = importing.import_file("facebook-export", export, "dept-fb", config, db, report=print)
    assert run.status == "ok"
    assert _runs(db) == [
        (1, "dept-fb", "facebook", "aborted", DEAD),
        (2, "dept-fb", "import:facebook-export", "aborted", DEAD),
        (3, "tips", "import:jsonl", "running", None),
        (4, "dept-fb", "import:facebook-export", "ok", None),
    ]
    # and the reverse: a `run` of the source closes an import's dead run (that was so already)
    _dead_run(db, "dept-fb", "import:facebook-export")
    (source,) = (s for s in config.sources if s.name == "dept-fb")
    assert runner.run_source(source, config, db).status == "failed"  # nothing listens there
    assert [row[:4] for row in _runs(db)[4:]] == [
        (5, "dept-fb", "import:facebook-export", "aborted"),
        (6, "dept-fb", "facebook", "failed"),
    ]
    assert _runs(db)[4][4] == DEAD


def test_a_live_process_s_run_is_never_closed(tmp_path: Path) -> None:
    # The lock tells a live holder from a dead one: an import refused for it leaves its row alone.
    config = load_config(_config(tmp_path))
    db = tmp_path / "m.duckdb"
    _dead_run(db, "tips", "import:jsonl")
    export = _export(tmp_path / "f.jsonl", 3)
    with source_lock(db, "tips", doing=IMPORTING), pytest.raises(SourceBusy):
        importing.import_file("jsonl", export, "tips", config, db, report=print)
    assert _runs(db) == [(1, "tips", "import:jsonl", "running", None)]


FULL = "cannot write the database: FATAL Error: Failed to create checkpoint: No space left on device"


def _disk_full_at_checkpoint(
    db: Path, monkeypatch: pytest.MonkeyPatch, *, items_stored: bool = False
) -> None:
    """DuckDB's sequence on a disk that fills during a checkpoint: the commit of the items fails
    (StoreError), and from then on every transaction on that database fails at its BEGIN with a
    FatalException, the one that would record the run's end too (``items_stored``: the items' commits
    went through, only the end's transaction fails)."""
    real_writer = importing.writer
    transactions: list[Path] = []

    @contextmanager
    def invalidated_after_the_run_s_start(path: Path, **kwargs: Any) -> Iterator[Any]:
        transactions.append(path)
        if len(transactions) > 1:
            raise duckdb.FatalException(
                "FATAL Error: Failed: database has been invalidated because of a previous fatal error. "
                'The database must be restarted prior to being used again.\nOriginal error: "Failed to '
                'create checkpoint because of error: Could not write file: No space left on device"'
            )
        with real_writer(path, **kwargs) as con:
            yield con

    def upsert(con: Any, items: Any) -> Any:
        raise StoreError(FULL, path=str(db))

    if not items_stored:
        monkeypatch.setattr(runner, "upsert_items", upsert)
    monkeypatch.setattr(importing, "writer", invalidated_after_the_run_s_start)


def test_a_full_disk_ends_an_import_with_one_line_and_the_next_import_closes_its_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config, db = _config(tmp_path), tmp_path / "m.duckdb"
    export = _export(tmp_path / "tips.jsonl", 10)
    command = ["import", "jsonl", str(export), "--source", "tips", "--no-classify", "--config", str(config)]
    _disk_full_at_checkpoint(db, monkeypatch)
    assert pipeline.main(command) == 1
    _, err = capsys.readouterr()
    # a 20-line traceback of the FatalException before, the run's end never written
    assert err == f"error: {db}: {FULL}\n"
    assert _runs(db) == [(1, "tips", "import:jsonl", "running", None)]

    monkeypatch.undo()  # space freed
    assert pipeline.main(command) == 0
    assert _runs(db) == [
        (1, "tips", "import:jsonl", "aborted", DEAD),
        (2, "tips", "import:jsonl", "ok", None),
    ]
    assert store_rows(db, "SELECT count(*) FROM items") == [(10,)]


def test_an_end_that_cannot_be_written_after_a_sound_import_is_one_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, db = load_config(_config(tmp_path)), tmp_path / "m.duckdb"
    _disk_full_at_checkpoint(db, monkeypatch, items_stored=True)
    with holding(db), pytest.raises(StoreError) as caught:
        importing.import_file("jsonl", _export(tmp_path / "f.jsonl", 3), "tips", config, db, report=print)
    assert str(caught.value) == (
        f"{db}: cannot write the database: FATAL Error: Failed: database has been invalidated because of "
        "a previous fatal error. The database must be restarted prior to being used again. Original error: "
        '"Failed to create checkpoint because of error: Could not write file: No space left on device"'
    )
    assert _runs(db) == [(1, "tips", "import:jsonl", "running", None)]


def test_a_second_ctrl_c_with_the_end_unwritable_still_stops_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The end's StoreError took the place of the interruption (exit status 1, not 130).
    config, db = load_config(_config(tmp_path)), tmp_path / "m.duckdb"
    read = importing.importer("jsonl")

    def interrupted(*args: Any, **kwargs: Any) -> Iterator[Any]:
        yield from read(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(importing, "importer", lambda kind: interrupted)
    _disk_full_at_checkpoint(db, monkeypatch, items_stored=True)
    with holding(db), pytest.raises(KeyboardInterrupt):
        importing.import_file("jsonl", _export(tmp_path / "f.jsonl", 3), "tips", config, db, report=print)
    assert (
        f"{db}: cannot write the database: FATAL Error: Failed: database has been invalidated" in caplog.text
    )
    assert _runs(db) == [(1, "tips", "import:jsonl", "running", None)]
