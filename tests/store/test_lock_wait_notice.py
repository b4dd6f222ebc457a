"""A wait for another process's database lock is said once it lasts, and again when it ends: `reclassify`
waited up to an hour for the file with no word unless --debug."""

from __future__ import annotations

import threading
import time
import types
from pathlib import Path

import pytest

import store.db
from store.db import connect
from tests.testutil import held_by_another_process


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    connect(path).close()
    return path


def _connect_in_thread(db: Path, heard: list[str]) -> threading.Thread:
    thread = threading.Thread(target=lambda: connect(db, wait=3600, on_wait=heard.append).close())
    thread.start()
    return thread


def test_a_long_wait_is_said_once_with_its_limit_and_its_end_with_how_long_it_took(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # store.db's clock runs 100 times faster: the 5 s after which a wait is said pass in 0.05 s
    monkeypatch.setattr(store.db, "time", types.SimpleNamespace(monotonic=lambda: time.monotonic() * 100))
    heard: list[str] = []
    with held_by_another_process(db):
        thread = _connect_in_thread(db, heard)
        deadline = time.monotonic() + 30
        while not heard:
            assert time.monotonic() < deadline, "the wait was never said"
            time.sleep(0.01)
        time.sleep(0.3)  # 30 s more of store.db's clock: said once, not once per try
        assert len(heard) == 1, heard
    thread.join(30)
    assert not thread.is_alive()
    assert heard[0].startswith(f"{db}: another process holds the database lock; waiting for it, up to 1 h")
    assert len(heard) == 2, heard
    assert heard[1].startswith(f"{db}: the database lock is free after waiting ")
    assert heard[1].endswith(" s; going on") or heard[1].endswith(" min; going on")


def test_a_short_wait_says_nothing(db: Path) -> None:
    heard: list[str] = []
    with held_by_another_process(db):
        thread = _connect_in_thread(db, heard)
        time.sleep(0.2)  # it tries again and again meanwhile
    thread.join(30)
    assert not thread.is_alive() and heard == []


def test_the_wait_is_logged_at_info_when_no_one_listens(
    db: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # `schedule` and `run`: the INFO line goes to the log (file, journald) as the scheduler logs
    monkeypatch.setattr(store.db, "time", types.SimpleNamespace(monotonic=lambda: time.monotonic() * 100))
    caplog.set_level("INFO", logger="store.db")
    with held_by_another_process(db):
        thread = threading.Thread(target=lambda: connect(db, wait=30).close())
        thread.start()
        time.sleep(0.15)  # 15 s of store.db's clock: past the 5 s, short of the 30
    thread.join(30)
    infos = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert any(m.endswith("holds the database lock; waiting up to 30 s") for m in infos), infos
    assert any("the database lock is free after waiting" in m for m in infos), infos
