"""A log file that cannot be written (a full disk: /dev/full answers every write with ENOSPC): one
warning on stderr, the records still there, the file tried again later and its gap marked."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from opskit import FeedServer
from testutil import ROOT

from batch.demo import write_sources_toml
from ops.logs import LogFileHandler, MaskingFormatter

FULL = Path("/dev/full")
pytestmark = pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full (Linux)")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_disk_is_said_once_and_the_gap_is_marked_when_the_file_works_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "monitor.log"
    path.symlink_to(FULL)
    stderr = logging.StreamHandler(io.StringIO())
    stderr.setLevel(logging.WARNING)
    stderr.setFormatter(MaskingFormatter("%(levelname)s %(message)s"))
    clock = Clock()
    handler = LogFileHandler(
        path, fallback=stderr, retry=60.0, clock=clock, maxBytes=5_000_000, backupCount=5
    )
    handler.setFormatter(MaskingFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("test_log_file_full")
    logger.handlers[:] = [stderr, handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        for n in range(10):
            logger.info("record %d", n)
            clock.now += 1
        logger.warning("a warning while full")
        # The space is back (a partial line left behind), but the file is tried only after a minute.
        path.unlink()
        path.write_text("INFO record 0 cut sho", encoding="utf-8")
        clock.now += 30
        logger.info("record 11")
        assert path.read_text(encoding="utf-8") == "INFO record 0 cut sho"
        clock.now += 31
        logger.info("written again")
    finally:
        logger.handlers[:] = []
        handler.close()
    said = stderr.stream.getvalue().splitlines()  # type: ignore[attr-defined]
    assert len([line for line in said if "cannot write the log file" in line]) == 1
    assert said[0].startswith(f"WARNING cannot write the log file {path}: No space left on device")
    # every record reached stderr once, also those below its level
    assert [line for line in said[1:] if "record" in line or "while full" in line] == [
        *(f"INFO record {n}" for n in range(10)),
        "WARNING a warning while full",
        "INFO record 11",
    ]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "INFO record 0 cut sho"
    assert lines[1].startswith("WARNING 12 log records could not be written between ")
    assert lines[2] == "INFO written again" and len(lines) == 3
    assert "Logging error" not in capsys.readouterr().err


def test_schedule_once_with_its_log_file_on_a_full_disk(tmp_path: Path) -> None:
    log = tmp_path / "monitor.log"
    log.symlink_to(FULL)
    with FeedServer() as server:
        config = tmp_path / "sources.toml"
        sources = [{"name": n, "kind": "rss", "url": f"{server.base}/full/{n}.xml"} for n in ("a", "b")]
        write_sources_toml(config, {"min_delay": 0.0, "retries": 0, "respect_robots": False}, sources)
        command = ["pipeline.py", "schedule", "--once", "--config", str(config), "--log-file", str(log)]
        done = subprocess.run(
            [sys.executable, *command, "--db", str(tmp_path / "m.duckdb")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert "Logging error" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("cannot write the log file") == 1
    assert "a: run ok, fetched" in done.stderr  # an INFO line, which only the file would have had
