"""A log file that cannot be written (a full disk: /dev/full answers every write with ENOSPC; a file size
limit, which cuts a record in two): one warning on stderr, the records still there, the file tried again
later, its cut record taken out and its gap marked. A log file removed or moved away, or its folder:
the next record goes to the file at the path, or the failure is said."""

from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def file_logger(path: Path, clock: Clock) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing to ``path`` through LogFileHandler, and the stderr (from WARNING) it falls back on."""
    said = io.StringIO()
    stderr = logging.StreamHandler(said)
    stderr.setLevel(logging.WARNING)
    stderr.setFormatter(MaskingFormatter("%(levelname)s %(message)s"))
    handler = LogFileHandler(
        path, fallback=stderr, retry=60.0, clock=clock, maxBytes=5_000_000, backupCount=5
    )
    handler.setFormatter(MaskingFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"test_log_file_full.{path.name}")
    logger.handlers[:] = [stderr, handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield logger, said
    finally:
        logger.handlers[:] = []
        handler.close()


def test_a_full_disk_is_said_once_and_the_gap_is_marked_when_the_file_works_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "monitor.log"
    path.symlink_to(FULL)
    clock = Clock()
    with file_logger(path, clock) as (logger, stderr):
        for n in range(10):
            logger.info("record %d", n)
            clock.now += 1
        logger.warning("a warning while full")
        # The space is back (a partial line left behind in another file than the one that failed, which
        # is left alone), but the file is tried only after a minute.
        path.unlink()
        path.write_text("INFO record 0 cut sho", encoding="utf-8")
        clock.now += 30
        logger.info("record 11")
        assert path.read_text(encoding="utf-8") == "INFO record 0 cut sho"
        clock.now += 31
        logger.info("written again")
    said = stderr.getvalue().splitlines()
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


def test_a_log_file_removed_or_moved_away_is_opened_again_at_its_path(tmp_path: Path) -> None:
    path = tmp_path / "monitor.log"
    with file_logger(path, Clock()) as (logger, said):
        logger.info("one")
        path.rename(tmp_path / "monitor.log.old")  # logrotate without copytruncate
        logger.info("two")
        path.unlink()  # deleted to free space
        logger.info("three")
    assert (tmp_path / "monitor.log.old").read_text(encoding="utf-8") == "INFO one\n"
    assert path.read_text(encoding="utf-8") == "INFO three\n"  # not into the file removed
    assert said.getvalue() == ""  # nothing lost: nothing to say


def test_a_log_folder_removed_is_said_once_and_its_gap_marked_once_it_is_back(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    path = folder / "monitor.log"
    clock = Clock()
    with file_logger(path, clock) as (logger, said):
        logger.info("one")
        shutil.rmtree(folder)
        for n in range(3):
            logger.info("lost %d", n)
        assert not folder.exists()  # not made again: a person decides where the logs go
        folder.mkdir()
        clock.now += 61
        logger.info("back")
    assert said.getvalue().splitlines() == [
        f"WARNING cannot write the log file {path}: No such file or directory; records go on to stderr only, "
        "the file is tried again every 60 s",
        *(f"INFO lost {n}" for n in range(3)),
    ]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("WARNING 3 log records could not be written between ")
    assert lines[1:] == ["INFO back"]


CUT_BY_A_SIZE_LIMIT = """
    import logging, resource, signal, sys
    from ops.logs import JsonFormatter, LogFileHandler

    class Clock:
        now = 1000.0

        def __call__(self):
            return self.now

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    clock, path = Clock(), sys.argv[1]
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING)
    handler = LogFileHandler(path, fallback=stderr, retry=60.0, clock=clock, maxBytes=5_000_000)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("cut")
    log.handlers[:] = [stderr, handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    for n in range(3):
        log.info("record %d", n)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    with open(path, "rb") as file:
        size = len(file.read())
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 40, hard))  # the next record is cut after 40 bytes
    for n in range(3, 6):
        log.info("record %d", n)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again
    clock.now += 61
    log.info("written again")
    handler.close()
"""


def test_a_record_cut_by_a_failed_write_is_taken_out_of_a_json_log(tmp_path: Path) -> None:
    path = tmp_path / "monitor.log"
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CUT_BY_A_SIZE_LIMIT), str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("cannot write the log file") == 1 and "File too large" in done.stderr
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]  # every line JSON
    assert [r["message"] for r in records if r.get("event") != "log_gap"] == [
        "record 0",
        "record 1",
        "record 2",
        "written again",
    ]
    assert [r["lost"] for r in records if r.get("event") == "log_gap"] == [3]
