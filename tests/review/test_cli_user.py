"""`user add / list / passwd` through the real command line; passwords only as salted hashes."""

from __future__ import annotations

from pathlib import Path

import duckdb
from testutil import run_cli

from review.auth import authenticate


def _hashes(db: Path) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("SELECT username, password_hash FROM users").fetchall())
    finally:
        con.close()


def test_add_from_stdin_and_env_list_and_passwd(tmp_path: Path) -> None:
    db = tmp_path / "users.duckdb"
    done = run_cli("user", "add", "aigerim", "--db", str(db), "--password-stdin", stdin="Жаңа-пароль-1\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "user aigerim added"
    assert done.stderr.strip() == f"note: there was no database at {db}; it was created for this user"
    done = run_cli("user", "add", "nurlan", "--db", str(db), env={"MONITOR_PASSWORD": "Жаңа-пароль-1"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the database was there
    hashes = _hashes(db)
    assert set(hashes) == {"aigerim", "nurlan"}
    assert all(h.startswith("scrypt:") for h in hashes.values())
    assert hashes["aigerim"] != hashes["nurlan"]  # same password, different salts
    assert all("Жаңа-пароль-1" not in h for h in hashes.values())
    assert authenticate(db, "aigerim", "Жаңа-пароль-1") == 1
    assert authenticate(db, "aigerim", "жаңа-пароль-1") is None

    listing = run_cli("user", "list", "--db", str(db))
    assert [line.split("\t")[0] for line in listing.stdout.splitlines()] == ["aigerim", "nurlan"]
    assert "scrypt" not in listing.stdout

    done = run_cli("user", "passwd", "aigerim", "--db", str(db), "--password-stdin", stdin="other-password\n")
    assert done.returncode == 0, done.stderr
    assert authenticate(db, "aigerim", "Жаңа-пароль-1") is None
    assert authenticate(db, "aigerim", "other-password") == 2  # the session epoch went up


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    db = tmp_path / "users.duckdb"
    run_cli("user", "add", "aigerim", "--db", str(db), "--password-stdin", stdin="long-enough\n")
    cases = [
        (("user", "add", "aigerim", "--password-stdin"), "long-enough\n", "user 'aigerim' exists already"),
        (("user", "add", "bob", "--password-stdin"), "short\n", "at least 8 characters"),
        (("user", "add", "bad name!", "--password-stdin"), "long-enough\n", "bad username"),
        (("user", "passwd", "nobody", "--password-stdin"), "long-enough\n", "no user 'nobody'"),
        (("user", "add", "carol"), "", "no password"),  # no prompt without a terminal
    ]
    for args, stdin, message in cases:
        done = run_cli(*args, "--db", str(db), stdin=stdin, env={"MONITOR_PASSWORD": ""})
        assert done.returncode == 1, (args, done.stderr)
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_password_is_never_an_argument(tmp_path: Path) -> None:
    done = run_cli("user", "add", "aigerim", "--password", "x" * 10, "--db", str(tmp_path / "u.duckdb"))
    assert done.returncode == 2
    assert "unrecognized arguments" in done.stderr


def test_every_command_has_help() -> None:
    for args in (
        ("export",),
        ("review",),
        ("user",),
        ("user", "add"),
        ("user", "list"),
        ("user", "passwd"),
        ("user", "disable"),
    ):
        done = run_cli(*args, "--help")
        assert done.returncode == 0
        assert "usage:" in done.stdout
    assert "127.0.0.1" in run_cli("review", "--help").stdout


def test_disable_and_enable(tmp_path: Path) -> None:
    db = tmp_path / "users.duckdb"
    run_cli("user", "add", "aigerim", "--db", str(db), "--password-stdin", stdin="long-enough\n")
    done = run_cli("user", "disable", "aigerim", "--db", str(db))
    assert done.returncode == 0 and done.stdout.strip() == "user aigerim disabled"
    assert authenticate(db, "aigerim", "long-enough") is None
    assert "aigerim\tadded" in run_cli("user", "list", "--db", str(db)).stdout
    assert "(disabled)" in run_cli("user", "list", "--db", str(db)).stdout
    run_cli("user", "enable", "aigerim", "--db", str(db))
    assert authenticate(db, "aigerim", "long-enough") == 3
    assert run_cli("user", "disable", "nobody", "--db", str(db)).returncode == 1
