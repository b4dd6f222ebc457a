"""A `run`, `import` or `reclassify` whose database file went away (a disk not mounted, the file deleted)
while what it leaves beside it is still there refuses, instead of making a new, empty database and
going on (months of data then split across two files). A first start still makes the database, and
`--new-db` begins a new one on purpose."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.testutil import run_cli


def _rows(tmp_path: Path) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "Во дворе нет света"}\n', encoding="utf-8")
    return path


def _import(tmp_path: Path, db: Path, *extra: str) -> tuple[int, str, str]:
    result = run_cli(
        "import", "jsonl", str(_rows(tmp_path)), "--source", "x", "--db", str(db), "--no-classify", *extra
    )
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def lost(tmp_path: Path) -> Path:
    """A database an import made, then deleted: its lock folder stays beside it."""
    db = tmp_path / "data" / "monitor.duckdb"
    code, _out, err = _import(tmp_path, db)
    assert code == 0, err
    assert Path(f"{db}.locks").is_dir()  # what every run and import leaves
    db.unlink()
    return db


def test_a_first_start_makes_the_database(tmp_path: Path) -> None:
    db = tmp_path / "new" / "monitor.duckdb"
    code, out, err = _import(tmp_path, db)
    assert code == 0, err
    assert db.is_file() and out.startswith("x: ok - fetched 1, new 1")


def _refusal(db: Path, leftovers: str, advice: str) -> str:
    return (
        f"error: {db}: the database file is missing, but {leftovers} beside it show one was here (a disk "
        f"not mounted, the file deleted or moved?); nothing was done: restore the file or mount its disk, "
        f"{advice}\n"
    )


NEW_DB = "or, to begin a new, empty database here on purpose, run the command once with --new-db"


def test_import_refuses_where_a_database_went_away(tmp_path: Path, lost: Path) -> None:
    code, out, err = _import(tmp_path, lost)
    assert code == 1 and out == ""
    assert err == _refusal(lost, "monitor.duckdb.locks", NEW_DB)
    assert not lost.exists()  # it made a new, empty one and imported into it


def test_run_refuses_where_a_database_went_away(tmp_path: Path, lost: Path) -> None:
    config = tmp_path / "sources.toml"
    # nothing listens there: a refusal comes before any request
    config.write_text('[[sources]]\nname = "feed"\nkind = "rss"\nurl = "http://127.0.0.1:9/f.xml"\n')
    result = run_cli("run", "--config", str(config), "--db", str(lost), "--no-classify")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == _refusal(lost, "monitor.duckdb.locks", NEW_DB)
    assert not lost.exists()


def test_reclassify_says_the_database_went_away(lost: Path) -> None:
    result = run_cli("reclassify", "--db", str(lost))
    assert result.returncode == 1
    # it said "no database here yet; run the pipeline first", which would make a new, empty one
    assert result.stderr == _refusal(lost, "monitor.duckdb.locks", "or check --db")
    assert not lost.exists()


def test_schedule_refuses_where_a_database_went_away(tmp_path: Path, lost: Path) -> None:
    """`schedule` made a new, empty database at start-up, and `run` then no longer refused (review RV1)."""
    config = tmp_path / "sources.toml"
    config.write_text('[[sources]]\nname = "feed"\nkind = "rss"\nurl = "http://127.0.0.1:9/f.xml"\n')
    result = run_cli("schedule", "--once", "--config", str(config), "--db", str(lost))
    assert result.returncode == 1
    assert result.stderr.endswith(_refusal(lost, "monitor.duckdb.locks", "or check --db"))
    assert not lost.exists()


def test_a_schedule_lock_or_a_wal_left_is_evidence_too(tmp_path: Path) -> None:
    db = tmp_path / "monitor.duckdb"
    Path(f"{db}.schedule.lock").write_text("4242\n")
    Path(f"{db}.wal").write_bytes(b"\0" * 64)
    code, _out, err = _import(tmp_path, db)
    assert code == 1 and not db.exists()
    assert err == _refusal(db, "monitor.duckdb.schedule.lock, monitor.duckdb.wal", NEW_DB)


def test_new_db_begins_a_new_database_on_purpose_once(tmp_path: Path, lost: Path) -> None:
    code, out, err = _import(tmp_path, lost, "--new-db")
    assert code == 0, err
    assert lost.is_file() and out.startswith("x: ok - fetched 1, new 1")
    # left in a cron line, it would let the next lost file go unnoticed: refused where a database is
    code, out, err = _import(tmp_path, lost, "--new-db")
    assert code == 1 and out == ""
    assert err == f"error: {lost}: --new-db: there is a database here already; leave the option out\n"


def test_new_db_keeps_the_missing_file_s_write_ahead_log(tmp_path: Path, lost: Path) -> None:
    wal = Path(f"{lost}.wal")
    wal.write_bytes(b"last writes")
    code, _out, err = _import(tmp_path, lost, "--new-db")
    assert code == 1 and not lost.exists()
    assert err == f"error: {lost}: --new-db: move {wal} away first; it belongs to the missing database file\n"
    assert wal.read_bytes() == b"last writes"  # DuckDB deletes a .wal without its file when it makes one


def test_a_symlinked_database_whose_target_went_away_refuses(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    (disk / "monitor.duckdb.locks").mkdir()  # beside the file the link points to, as source locks are
    db = tmp_path / "monitor.duckdb"
    os.symlink(disk / "monitor.duckdb", db)
    code, _out, err = _import(tmp_path, db)
    assert code == 1 and not (disk / "monitor.duckdb").exists()
    assert "the database file is missing, but monitor.duckdb.locks beside it show one was here" in err
