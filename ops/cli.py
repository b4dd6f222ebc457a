"""Sub-command `schedule`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from config.sources import DEFAULT_CONFIG
from errors import ConfigError
from store.db import DEFAULT_DB


def register(sub: argparse._SubParsersAction) -> None:
    """Add schedule."""
    p = sub.add_parser(
        "schedule",
        help="run batches on each source's cron schedule until stopped",
        description="Run every configured source on its `schedule` (cron, Asia/Almaty; 6 fields put "
        "seconds first), else [settings] default_schedule, else every 30 minutes. After each source: "
        "classification, the alert digest and the Parquet snapshot. SIGTERM or Ctrl-C finishes the "
        "current write and exits 0. Example: python pipeline.py schedule --config config/sources.toml "
        "--log-file data/logs/monitor.log",
    )
    p.add_argument("--config", help=f"sources file (default {DEFAULT_CONFIG})")
    p.add_argument("--db", help=f"DuckDB file (default: [settings] db, else {DEFAULT_DB})")
    p.add_argument("--once", action="store_true", help="run every source once now, then exit")
    p.add_argument("--log-file", type=Path, help="rotating log file (default: [settings] log_file)")
    p.add_argument(
        "--snapshot-dir",
        type=Path,
        help="refresh Parquet copies of the tables here after each batch (default: [settings] snapshot_dir)",
    )
    p.set_defaults(func=cmd_schedule)


def cmd_schedule(args: argparse.Namespace) -> int:
    """`schedule`: run until SIGTERM/SIGINT (or once, with --once)."""
    from batch.cli import FAILED_STATUSES, resolve
    from ops.logs import setup_logging
    from ops.scheduler import Scheduler

    config, db = resolve(args, config_required=True)
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
    scheduler.check_database()
    if not args.once:
        return scheduler.serve()
    outcomes = scheduler.run_once()
    for outcome in outcomes:
        if outcome.skipped:
            print(f"{outcome.source}: skipped, {outcome.skipped}")
        elif outcome.error:
            print(f"{outcome.source}: error - {outcome.error}", file=sys.stderr)
        else:
            print(f"{outcome.source}: {outcome.status}, new {outcome.new}, updated {outcome.updated}")
    bad = [o for o in outcomes if o.error or (o.status in FAILED_STATUSES)]
    return 1 if bad else 0
