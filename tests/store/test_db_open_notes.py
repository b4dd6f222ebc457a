"""Opening the database: a file cut short says what to do; a new file is said, with its absolute path."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from errors import StoreError
from store.db import reader, writer


def test_a_database_cut_short_says_to_restore_it_from_a_backup(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with writer(db) as con:
        con.execute("SELECT 1")
    with open(db, "r+b") as f:  # a copy that stopped early
        f.truncate(20000)
    with pytest.raises(StoreError) as caught, reader(db) as con:
        con.execute("SELECT count(*) FROM items").fetchone()
    message = str(caught.value)
    assert message.startswith(f"{db}: cannot open the database: IO Error")
    assert message.endswith(
        "the file looks damaged or cut short: restore it from a backup (docs/OPERATIONS.md, Taking a backup)"
    )


def test_a_new_database_is_said_once_with_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.INFO, logger="store.db")
    with writer(Path("data/new.duckdb")) as con:
        con.execute("SELECT 1")
    with writer(Path("data/new.duckdb")) as con:
        con.execute("SELECT 1")
    said = [r.getMessage() for r in caplog.records if "a new database" in r.getMessage()]
    assert said == [f"a new database at {os.path.join(tmp_path, 'data/new.duckdb')}"]
