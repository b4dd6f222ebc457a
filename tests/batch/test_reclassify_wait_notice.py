"""`reclassify` says on stderr, without --debug, that it waits for the database file and when it goes on."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.batch.test_reclassify_yields import (  # helpers and the fixture `db`, no test
    _FAST_LOCK_CLOCK,
    ITEMS,
    _hold_the_file_between_pages,
    _start,
    _versions,
    db,
)

__all__ = ["db"]


def test_reclassify_says_it_waits_for_the_file_and_when_it_goes_on(db: Path, tmp_path: Path) -> None:
    progress = tmp_path / "pages"
    proc = _start(db, progress, before=_FAST_LOCK_CLOCK)
    try:
        con = _hold_the_file_between_pages(proc, progress, db)
        try:
            time.sleep(1.5)  # 150 s of store.db's clock
        finally:
            con.close()
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    lines = err.splitlines()
    waiting = [line for line in lines if "holds the database lock; waiting for it" in line]
    assert len(waiting) == 1, err
    # after 5 s of store.db's clock, give or take a try (0.25 s apart, 25 s of this clock)
    said = rf"info: {re.escape(str(db))}: another process holds the database lock; waiting for it, up to 1 h in all \(\d+ s so far\)"
    assert re.fullmatch(said, waiting[0]), err
    free = [line for line in lines if "the database lock is free after waiting" in line]
    assert len(free) == 1 and free[0].startswith(f"info: {db}:") and free[0].endswith("; going on"), err
    assert lines.index(waiting[0]) < lines.index(free[0])
    assert _versions(db) == ["new"] * ITEMS
