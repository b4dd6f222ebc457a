"""The lock of a source, in one process: a run of a source whose lock is held is skipped without a trace,
lock files are safe whatever the source's name, and a file system without locks is one clear error.
(Real processes overlapping: tests/ops/test_source_lock.py.)"""

from __future__ import annotations

import errno
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from testutil import store_rows

import batch.source_lock as source_lock_module
from batch import importing, runner
from batch.source_lock import IMPORTING, SKIPPED, SourceBusy, source_lock, source_lock_path
from config.sources import load_config
from errors import StoreError
from store import runs as runlog
from store.db import writer


def _config(tmp_path: Path) -> Any:
    config = tmp_path / "s.toml"
    config.write_text(
        '[settings]\nretries = 0\n\n[[sources]]\nname = "tips"\nkind = "rss"\nurl = "http://127.0.0.1:9/x"\n',
        encoding="utf-8",
    )
    return load_config(config)


def test_a_source_held_by_an_import_is_skipped_without_a_trace(tmp_path: Path) -> None:
    # Before the lock, this run closed the import's live run as `aborted`, dropped the cursor's hashes
    # and fetched; now it leaves the source to the process holding it.
    config, db = _config(tmp_path), tmp_path / "m.duckdb"
    cursor = {"last_id": 80, "hashes": {"80": "abcd"}}
    with writer(db) as con:
        runlog.save_state(con, runlog.SourceState("tips", cursor))
        runlog.start_run(con, runlog.RunRecord("tips", "import:csv", datetime.now(UTC)))
    clients: list[Any] = []

    def factory(*args: Any) -> Any:
        clients.append(args)
        return runner.http_client_for(*args)

    with source_lock(db, "tips", doing=IMPORTING):
        run = runner.run_source(config.sources[0], config, db, client_factory=factory)
    assert (run.status, run.run_id) == (SKIPPED, None)
    assert run.error == f"another process is importing into it (pid {os.getpid()})"
    assert clients == []  # nothing fetched
    assert store_rows(db, "SELECT kind, status FROM runs") == [("import:csv", "running")]
    (state,) = store_rows(db, "SELECT state FROM source_state")[0]
    assert state == '{"last_id": 80, "hashes": {"80": "abcd"}}'


def test_an_import_into_a_source_being_collected_raises_before_reading(tmp_path: Path) -> None:
    config, db = _config(tmp_path), tmp_path / "m.duckdb"
    export = tmp_path / "tips.jsonl"
    export.write_text('{"id": "1", "text": "Нет света"}\n', encoding="utf-8")
    with source_lock(db, "new-tips"), pytest.raises(SourceBusy) as caught:
        importing.import_file("jsonl", export, "new-tips", config, db, report=lambda e: None)
    assert str(caught.value) == (
        f"source new-tips: another process is collecting it (pid {os.getpid()}); nothing imported: "
        "import the file again once it is done"
    )
    assert not db.exists()  # not even opened


def test_lock_files_stay_in_their_folder_whatever_the_source_name(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    names = ["city-rss", "../../etc/passwd", "a/b", "a_b", "a b", ".", "..", "Алматы жаңалықтары", "x" * 300]
    paths = [source_lock_path(db, name) for name in names]
    assert len(set(paths)) == len(names)  # names that differ only in punctuation get their own lock
    for path in paths:
        assert path.parent == tmp_path / "m.duckdb.locks"
        assert "/" not in path.name and not path.name.startswith(".") and len(path.name) < 100, path
    assert paths[0].name.startswith("city-rss-")
    for name in names:  # each can be taken, and two names do not keep each other out
        with source_lock(db, name):
            pass
    with source_lock(db, "a/b"), source_lock(db, "a_b"), pytest.raises(SourceBusy), source_lock(db, "a/b"):
        pass


def test_a_file_system_without_locks_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Running unlocked would bring back the double fetching without a word; `schedule` refuses there too.
    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(source_lock_module.fcntl, "flock", no_locks)
    config, db = _config(tmp_path), tmp_path / "m.duckdb"
    with pytest.raises(StoreError) as caught:
        runner.run_source(config.sources[0], config, db, client_factory=lambda *a: pytest.fail("fetched"))
    lock = source_lock_path(db, "tips").name
    assert str(caught.value) == (
        f"{db}: cannot lock {lock} (source tips): No locks available; keep the database on a local file system"
    )
    assert not db.exists()  # no run row, nothing written


def test_what_root_makes_beside_the_database_is_given_the_database_s_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # review: a hand `import` as root made `<db>.locks` root's, and the service (another user) could
    # then create no lock file in it
    from batch import source_lock as locks

    db = tmp_path / "m.duckdb"
    db.write_bytes(b"")
    owner = db.stat()
    given: list[tuple[str, int, int]] = []
    monkeypatch.setattr(locks.os, "geteuid", lambda: 0)
    monkeypatch.setattr(locks.os, "chown", lambda path, uid, gid: given.append((Path(path).name, uid, gid)))
    with locks.source_lock(db, "city-rss"):
        pass
    lock = locks.source_lock_path(db, "city-rss")
    assert given == [("m.duckdb.locks", owner.st_uid, owner.st_gid), (lock.name, owner.st_uid, owner.st_gid)]
    given.clear()
    with locks.source_lock(db, "city-rss"):  # made already: left as they are
        pass
    assert given == []
