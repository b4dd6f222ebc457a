"""Sub-command `schedule`, and the lock that keeps it to one process per database."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from config.checks import check_model_file
from config.sources import DEFAULT_CONFIG
from errors import ConfigError, MonitorError
from store.db import DEFAULT_DB, LockWaitStopped


class ScheduleRunning(MonitorError):
    """Another `schedule` holds the lock of this database: two would run every source twice."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add schedule."""
    p = sub.add_parser(
        "schedule",
        help="run batches on each source's cron schedule until stopped",
        description="Run every configured source on its `schedule` (cron, Asia/Almaty; 6 fields put "
        "seconds first), else [settings] default_schedule, else every 30 minutes. After each source: "
        "classification, the alert digest and the Parquet snapshot. SIGTERM or Ctrl-C finishes the "
        "current write and exits 0 (a service's stop); with --once, as `run`, a stop leaves the runs "
        "under way aborted, starts no other source and exits 128 plus the signal's number (143 for "
        "SIGTERM, 130 for Ctrl-C). Exit status 1: a source failed (--once) or an error; 3: the "
        "database file went away under it. Example: python pipeline.py schedule --config config/sources.toml "
        "--log-file data/logs/monitor.log",
    )
    p.add_argument("--config", help=f"sources file (default {DEFAULT_CONFIG})")
    p.add_argument("--db", help=f"DuckDB file (default: [settings] db, else {DEFAULT_DB})")
    p.add_argument(
        "--once",
        action="store_true",
        help="run every source once now, then exit (0: all ran, 1: a source failed, 143/130: stopped)",
    )
    p.add_argument("--log-file", type=Path, help="rotating log file (default: [settings] log_file)")
    p.add_argument(
        "--snapshot-dir",
        type=Path,
        help="refresh Parquet copies of the tables here after each batch (default: [settings] snapshot_dir)",
    )
    p.set_defaults(func=cmd_schedule)


def cmd_schedule(args: argparse.Namespace) -> int:
    """`schedule`: run until SIGTERM/SIGINT (or once, with --once)."""
    from batch.cli import FAILED_STATUSES, resolve, stop_signals
    from ops.logs import setup_logging
    from ops.scheduler import Scheduler

    config, db = resolve(args, config_required=True)
    check_model_file(config.settings, str(config.path))  # not skipped at every batch for months
    from store.db import refuse_lost_database

    # a lost database file: not a new, empty one made at start-up (`run --new-db` begins one on purpose)
    refuse_lost_database(db, new_option=None)
    log_file = args.log_file or config.settings.get("log_file")
    try:
        setup_logging(
            debug=args.debug,
            json_lines=args.log_json,
            log_file=Path(log_file) if log_file else None,
            stderr_level=logging.WARNING if args.once else logging.INFO,
        )
    except OSError as exc:
        raise ConfigError(f"cannot open the log file: {exc.strerror or exc}", path=str(log_file)) from None
    snapshot = args.snapshot_dir or config.settings.get("snapshot_dir")
    scheduler = Scheduler(config, db, snapshot_dir=Path(snapshot) if snapshot else None, fail_fast=args.once)
    # The stop handlers go in before the lock and the start-up check, which may wait up to 30 s for an
    # analyst's lock: a SIGTERM there ended the process by the default handler, without a word.

    def on_stop(signum: int) -> None:
        if args.once and scheduler.should_stop():  # asked twice: stop now, as `run` does
            raise KeyboardInterrupt
        scheduler.request_stop(signum)

    with stop_signals(on_stop) as asked, one_scheduler(db):
        try:
            scheduler.check_database()
        except LockWaitStopped:  # the stop ended its wait for the lock before anything was written
            if not asked:
                raise
        if not args.once:
            return scheduler.serve(install_signals=False)  # a stop asked by now ends it before any job
        outcomes = scheduler.run_once()
    for outcome in outcomes:
        if outcome.skipped:
            print(f"{outcome.source}: skipped, {outcome.skipped}")
        elif outcome.error:
            print(f"{outcome.source}: error - {outcome.error}", file=sys.stderr)
        else:
            print(f"{outcome.source}: {outcome.status}, new {outcome.new}, updated {outcome.updated}")
    if asked:
        if not outcomes:
            said = " during the start-up: no source ran"
        elif any(o.status == "aborted" for o in outcomes):
            said = ": the run going on ended 'aborted', the sources after it did not run"
        else:  # between runs, or during the alert delivery after them
            said = ": the runs above had ended; the sources after them did not run"
        print(f"stopped on request{said}", file=sys.stderr)
        return 128 + asked[0]
    bad = [o for o in outcomes if o.error or (o.status in FAILED_STATUSES)]
    if scheduler.snapshot_dir is not None and scheduler.snapshot_failed:
        # `--once` ends with a whole snapshot: a cron wrapper must see that it is not there (acceptance B1)
        print(
            f"error: the snapshot was not written to {scheduler.snapshot_dir} (the log line above says why)",
            file=sys.stderr,
        )
        return 1
    return 1 if bad else 0


@contextmanager
def one_scheduler(db: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<db>.schedule.lock`` while the block runs; raise ScheduleRunning when
    another process holds it.

    Two schedulers on one file would both run every source, a source would overlap itself across them
    and their failure counters would race. The lock is a flock, which the system drops when the process
    ends however it ends (SIGTERM, os._exit, kill -9, a crash): no stale lock to clean up. The file stays
    and holds the pid of its last holder, for the message. The other commands (`run`, `import`,
    `status`, `export`, `review`) do not take it: they share the database through its own lock, and
    the run of a source, in `schedule` or `run`, or an import into it, holds the source's own lock
    (batch/source_lock.py), which keeps out another process collecting the same source.
    """
    from batch.source_lock import LockHeld, exclusive_flock

    lock = Path(f"{db.resolve()}.schedule.lock")  # resolved: every path to the file finds the same lock
    try:
        with exclusive_flock(lock, what="`schedule`", db=db):
            yield
    except LockHeld as exc:
        pid = f" (pid {exc.pid})" if exc.pid else ""
        raise ScheduleRunning(f"another `schedule` is running on {db}{pid}; stop it first") from None
