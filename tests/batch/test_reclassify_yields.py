"""`reclassify` on a big store lets other processes open the file between its pages, and stops on SIGTERM
as on Ctrl-C: after the page in hand, saying so.

DuckDB locks the file per process (threads of one process share its database), so the one waiting for
the file is this test's process and `reclassify` runs in another: the real command line, with a model
that takes 0.3 s a page, as the shipped one takes about a second for 5,000 texts.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

import batch.stages as stages
from collectors.item import Item
from store.db import reader, writer
from store.items import upsert_items
from tests.testutil import ROOT

ITEMS = 40
PAGE = 4

# `pipeline.py reclassify` with a slow stand-in model and pages of 4; each page scored appends a line to
# the file named by argv[2] (the texts it scored), so the test knows how far it is.
_RECLASSIFY = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
import batch.stages, classify.model, pipeline

class SlowModel:
    version = "new"

    def classify(self, texts):
        time.sleep(0.3)
        with open(sys.argv[2], "a") as f:
            f.write(f"{{len(texts)}}\\n")
        return [{{"lang": "ru", "scores": {{"corruption": 0.1, "infrastructure": 0.2}}, "labels": []}} for _ in texts]

classify.model.load_model = lambda path=None: SlowModel()
batch.stages.PAGE = {PAGE}
sys.exit(pipeline.main(["reclassify", "--db", sys.argv[1]]))
"""


class _OldModel:
    version = "old"

    def classify(self, texts: list[str]) -> list[dict]:  # type: ignore[type-arg]
        return [
            {"lang": "ru", "scores": {"corruption": 0.0, "infrastructure": 0.0}, "labels": []} for _ in texts
        ]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store of ITEMS items, every one scored by the model before a change."""
    path = tmp_path / "r.duckdb"
    when = datetime.now(UTC)
    with writer(path) as con:
        upsert_items(
            con,
            [
                Item(
                    source="chat",
                    kind="message",
                    external_id=f"m{i:02d}",
                    text=f"Во дворе {i} яма",
                    published_at=when,
                )
                for i in range(ITEMS)
            ],
        )
    assert stages.classify_pending(path, model=_OldModel()).scored == ITEMS
    return path


def _pages_done(progress: Path) -> int:
    return len(progress.read_text().splitlines()) if progress.exists() else 0


# Prepended to _RECLASSIFY: store.db's clock runs 100 times faster, so that its 30 s wait for another
# process's lock ends after 0.3 s of this test (and an hour's after 36 s).
_FAST_LOCK_CLOCK = f"""
import sys, time, types
sys.path.insert(0, {str(ROOT)!r})
import store.db
store.db.time = types.SimpleNamespace(monotonic=lambda: time.monotonic() * 100)
"""


def _start(db: Path, progress: Path, before: str = "") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", before + _RECLASSIFY, str(db), str(progress)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_pages(proc: subprocess.Popen[str], progress: Path, pages: int) -> None:
    deadline = time.monotonic() + 60
    while _pages_done(progress) < pages:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "reclassify scored no page in 60 s"
        time.sleep(0.02)


def _versions(db: Path) -> list[str]:
    with reader(db) as con:
        return [row[0] for row in con.execute("SELECT model_version FROM classifications").fetchall()]


def test_another_process_opens_the_file_while_reclassify_runs(db: Path, tmp_path: Path) -> None:
    progress = tmp_path / "pages"
    proc = _start(db, progress)
    try:
        _wait_for_pages(proc, progress, 1)  # it has opened the file, read a page and scored it
        tried_from = time.monotonic()
        got_in_at_page = None
        while proc.poll() is None and got_in_at_page is None:
            try:  # one try at a time, as `connect` makes them (it tries again every 0.25 s or so)
                con = duckdb.connect(str(db))
            except duckdb.IOException:
                time.sleep(0.05)
                continue
            got_in_at_page = _pages_done(progress)
            assert con.execute("SELECT count(*) FROM items").fetchone() == (ITEMS,)
            con.close()
        waited = time.monotonic() - tried_from
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    # it got in while the pages were being scored, not once reclassify had ended (which kept the file
    # from its first page to its last)
    assert got_in_at_page is not None and got_in_at_page < ITEMS // PAGE, (got_in_at_page, waited)
    assert waited < 2.0
    assert f"classified {ITEMS} items" in out
    assert _versions(db) == ["new"] * ITEMS


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_ends_reclassify_after_the_page_in_hand_and_the_next_one_does_the_rest(
    db: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    progress = tmp_path / "pages"
    proc = _start(db, progress)
    try:
        _wait_for_pages(proc, progress, 2)
        proc.send_signal(stop)
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + stop, err  # SIGTERM ended it at once, -15, with no word
    assert "stopped on request" in err and "reclassify" in err
    done = _versions(db).count("new")
    assert 2 * PAGE <= done < ITEMS and done % PAGE == 0  # whole pages, saved
    again = tmp_path / "again"
    second = _start(db, again)
    _out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert sum(int(n) for n in again.read_text().split()) == ITEMS - done  # the rest only
    assert _versions(db) == ["new"] * ITEMS


def _hold_the_file_between_pages(proc: subprocess.Popen[str], progress: Path, db: Path) -> Any:
    """This process opens the file (an analyst's session, a job's write) once reclassify has scored 2
    pages, and keeps it: reclassify scores the page it read and then waits to save it."""
    _wait_for_pages(proc, progress, 2)
    while True:
        assert proc.poll() is None, proc.communicate()
        try:
            return duckdb.connect(str(db))
        except duckdb.IOException:
            time.sleep(0.02)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_while_reclassify_waits_for_the_file_is_a_stop_not_a_failure(
    db: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    progress = tmp_path / "pages"
    proc = _start(db, progress)
    try:
        con = _hold_the_file_between_pages(proc, progress, db)
        try:
            time.sleep(0.8)  # the page in hand is scored: reclassify waits for the file to save it
            assert proc.poll() is None
            proc.send_signal(stop)
            _out, err = proc.communicate(timeout=20)  # the stop ends the wait at once
        finally:
            con.close()
    finally:
        proc.kill()
    # it exited 1 with "error: ... stopped on request while another process held the database lock"
    assert proc.returncode == 128 + stop, err
    assert "stopped on request: what is re-scored is saved" in err and "error:" not in err
    done = _versions(db).count("new")
    assert PAGE <= done < ITEMS and done % PAGE == 0


def test_reclassify_waits_out_a_session_that_keeps_the_file_past_a_batch_s_30_s(
    db: Path, tmp_path: Path
) -> None:
    progress = tmp_path / "pages"
    proc = _start(db, progress, before=_FAST_LOCK_CLOCK)
    try:
        con = _hold_the_file_between_pages(proc, progress, db)
        try:
            time.sleep(1.5)  # 150 s of store.db's clock: a batch's write gives up after 30
            assert proc.poll() is None, proc.communicate()  # it failed partway: "waited 30 s"
        finally:
            con.close()
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert _versions(db) == ["new"] * ITEMS
