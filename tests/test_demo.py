"""`demo --keep`: a second run over the same samples adds nothing."""

from __future__ import annotations

import socket
from pathlib import Path

import duckdb
import pytest
from testutil import run_cli

from batch.demo import DEMO_PORT


def _counts(db: Path) -> tuple[int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        items = con.execute("SELECT count(*) FROM items").fetchone()[0]
        distinct = con.execute("SELECT count(DISTINCT (source, text)) FROM items").fetchone()[0]
    finally:
        con.close()
    return items, distinct


def test_demo_keep_adds_nothing_when_the_samples_are_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    first = run_cli("demo", "--db", str(db), cwd=tmp_path, timeout=600, env={"MONITOR_SALT": "one"})
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"127.0.0.1:{DEMO_PORT}" in first.stdout
    items, distinct = _counts(db)
    assert items == distinct > 50
    # another shell's salt: the demo hashes with its own (review: the import was refused half-way)
    second = run_cli(
        "demo", "--db", str(db), "--keep", cwd=tmp_path, timeout=600, env={"MONITOR_SALT": "two"}
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert ", new 0," in second.stdout and ", new 1" not in second.stdout
    assert "nothing new to classify" in second.stdout and "with model None" not in second.stdout
    assert _counts(db) == (items, distinct)


def test_demo_keep_refuses_another_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        # A port the previous test's demo just closed may be in TIME_WAIT: bind over it, as the demo does.
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            busy.bind(("127.0.0.1", DEMO_PORT))
        except OSError:
            pytest.fail(f"port {DEMO_PORT} is taken by another process; this test needs it free")
        busy.listen()
        result = run_cli("demo", "--db", str(tmp_path / "demo.duckdb"), "--keep", cwd=tmp_path, timeout=600)
        fresh = run_cli("demo", "--db", str(tmp_path / "fresh.duckdb"), cwd=tmp_path, timeout=600)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: demo: port {DEMO_PORT} of 127.0.0.1 is in use (Address already in use); --keep adds to a "
        "database whose sample items are addressed on that port, so free it and try again"
    )
    assert not (tmp_path / "demo.duckdb").exists()
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert f"127.0.0.1:{DEMO_PORT}" not in fresh.stdout


def test_demo_keep_on_a_demo_database_of_the_code_before_fingerprints(tmp_path: Path) -> None:
    # review: a fixed demo salt stored an older demo database's WhatsApp sample again (its numbers were
    # hashed with the salt the database keeps); the demo now always uses that one
    import duckdb

    db = tmp_path / "demo.duckdb"
    assert run_cli("demo", "--db", str(db), cwd=tmp_path, timeout=600).returncode == 0
    with duckdb.connect(str(db)) as con:
        # hashed with the salt the database keeps, as the older code's demo was
        assert con.execute("SELECT value FROM meta WHERE key = 'phone_salt_from'").fetchall() == [
            ("database",)
        ]
        assert con.execute("SELECT count(*) FROM meta WHERE key = 'phone_salt'").fetchone()[0] == 1
    with duckdb.connect(str(db)) as con:  # as the older code left it: its own salt, no fingerprint
        con.execute("DELETE FROM meta WHERE key IN ('phone_salt_fingerprint', 'phone_salt_from')")
    items = _counts(db)
    again = run_cli("demo", "--db", str(db), "--keep", cwd=tmp_path, timeout=600, env={"MONITOR_SALT": "x"})
    assert again.returncode == 0, again.stdout + again.stderr
    assert _counts(db) == items


def test_demo_keep_whose_import_is_refused_says_so_and_goes_on(tmp_path: Path) -> None:
    # review: a demo database whose numbers another salt hashed failed `demo --keep` for ever
    import duckdb

    db = tmp_path / "demo.duckdb"
    assert run_cli("demo", "--db", str(db), cwd=tmp_path, timeout=600).returncode == 0
    with duckdb.connect(str(db)) as con:  # its numbers hashed by a salt it no longer has
        con.execute("DELETE FROM meta WHERE key = 'phone_salt'")
    again = run_cli("demo", "--db", str(db), "--keep", cwd=tmp_path, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "not imported: " in again.stderr and "`demo` without --keep starts afresh" in again.stderr
    assert "flagged" in again.stdout.lower()
