"""`user list / disable / enable / passwd` on a --db that does not exist: one error line, as `status`,
`export` and `review` say, and no file made (`user list` made an empty 800 KB database at a mistyped
path and said "no reviewers yet"). `user add` still makes it, with its note."""

from __future__ import annotations

from pathlib import Path

import pytest
from testutil import run_cli


@pytest.mark.parametrize(
    "action",
    [("list",), ("disable", "aigerim"), ("enable", "aigerim"), ("passwd", "aigerim", "--password-stdin")],
    ids=lambda a: a[0],
)
def test_a_user_action_on_a_missing_database_creates_nothing(tmp_path: Path, action: tuple[str, ...]) -> None:
    db = tmp_path / "typo" / "monitor.duckdb"
    done = run_cli("user", *action, "--db", str(db), stdin="long-enough\n")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: {db}: no database here yet; run the pipeline first (or check --db)"
    ]
    assert done.stdout == ""
    assert not db.exists() and not db.parent.exists()


def test_user_add_still_creates_the_database(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    done = run_cli("user", "add", "aigerim", "--db", str(db), "--password-stdin", stdin="long-enough\n")
    assert done.returncode == 0 and db.exists()
    listed = run_cli("user", "list", "--db", str(db))
    assert listed.returncode == 0 and listed.stdout.startswith("aigerim\tadded ")
