"""Sub-commands `run`, `status`, `import`, `reclassify` and `demo`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from batch.source_lock import SKIPPED
from config.checks import check_model_file
from config.sources import DEFAULT_CONFIG, Config, load_config
from errors import ConfigError, InputError, StoreError
from store import runs as runlog
from store.db import DEFAULT_DB

log = logging.getLogger(__name__)

# A command whose run failed, or was stopped before it ended, exits with status 1.
FAILED_STATUSES = runlog.FAILED | {"aborted"}
MAX_PROBLEMS_SHOWN = 20  # a run's problems printed one a line; the rest are counted, and --debug logs them
MAX_RUNS_LISTED = 1_000_000  # `status --runs N`: DuckDB refuses a LIMIT past 64 bits
# `reclassify` (a manual job) waits this long for another process's lock on the file before each page:
# it failed partway after 30 s when an analyst's session kept the file open. A stop ends the wait.
RECLASSIFY_LOCK_WAIT = 3600.0


def resolve(args: argparse.Namespace, *, config_required: bool) -> tuple[Config, Path]:
    """The config (default config/sources.toml) and the database path (--db, else [settings] db, else default)."""
    for option in ("config", "db"):
        # `--db "$MONITOR_DB"` with the variable unset: the default file was used without a word
        if getattr(args, option, None) == "":
            raise ConfigError(f"--{option} is empty: name a file, or leave the option out for the default")
    config_path = Path(args.config) if getattr(args, "config", None) else DEFAULT_CONFIG
    if config_path.exists() or config_required or getattr(args, "config", None):
        config = load_config(config_path)
    else:
        config = Config(path=None)
    db = Path(args.db) if getattr(args, "db", None) else Path(config.settings.get("db", DEFAULT_DB))
    # absolute: an error (and the note of a new database) from cron's cwd `/` named `data/monitor.duckdb`
    return config, Path(os.path.abspath(db))


@contextmanager
def _said_if_new(db: Path, *, stream: Any) -> Iterator[None]:
    """Say, once the block has made it, that a new database was made and where: a relative path from
    cron's cwd `/` made one there unseen (`user add` says it too). `run` says it on stderr (its stdout
    is its run lines and the count), `import` on stdout, under its run line with its other notes."""
    new = not db.exists()
    try:
        yield
    finally:
        if new and db.exists():
            print(f"note: a new database at {db}", file=stream)


def register(sub: argparse._SubParsersAction) -> None:
    """Add run, status, import, reclassify and demo."""
    p = sub.add_parser(
        "run",
        help="one batch over the configured sources",
        description="Collect the configured "
        "sources once (each isolated: one failing source does not stop the others), store new and "
        "edited items, then classify them. Example: python pipeline.py run --source city-rss",
    )
    _common(p)
    p.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")
    p.add_argument("--no-classify", action="store_true", help="store items without classifying them")
    _new_db(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "status",
        help="last runs and health of each source",
        description="Show, per source, the last run, its counts and status, failures in a row and "
        "when a backed-off source is due again. Example: python pipeline.py status --db data/monitor.duckdb",
    )
    _common(p)
    p.add_argument("--runs", type=_run_count, default=0, metavar="N", help="also list the last N runs")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "import",
        help="import an export file (whatsapp, facebook-export, csv, jsonl)",
        description="Import an export file as items of a source; bad lines are reported with their "
        "number and the rest is imported. Example: python pipeline.py import whatsapp chat.zip "
        "--source dept-whatsapp",
    )
    p.add_argument(
        "kind", choices=["whatsapp", "facebook-export", "csv", "jsonl"], help="what the file is an export of"
    )
    p.add_argument(
        "path",
        type=Path,
        help="the export file: a WhatsApp chat .txt or .zip; a Facebook export .json, .csv, .zip or its "
        "unpacked folder; a .csv or .jsonl file of items",
    )
    p.add_argument(
        "--source",
        required=True,
        metavar="NAME",
        type=_source_name,
        help="the source name the items are stored under: a configured source of this kind (its options "
        "apply), one the database holds, or a new name; another kind's source is refused (exit 2)",
    )
    p.add_argument("--no-classify", action="store_true", help="store items without classifying them")
    _common(p)
    _new_db(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "reclassify",
        help="re-score the items scored by another model version",
        description="Re-score every item whose scores came from another model version than the current "
        "one (or --model's): after a model change, all of them. Example: python pipeline.py reclassify "
        "--model models/classifier.npz",
    )
    _common(p)
    p.add_argument("--model", help="model file (default: the one in models/)")
    p.set_defaults(func=cmd_reclassify)

    p = sub.add_parser(
        "demo",
        help="serve bundled sample sources locally and run every stage on them",
        description="Start a local HTTP server with the bundled sample sources, run the whole "
        "pipeline into data/demo.duckdb and print what it flagged. Example: python pipeline.py demo",
    )
    p.add_argument("--db", default="data/demo.duckdb", help="database file (default data/demo.duckdb)")
    p.add_argument(
        "--keep", action="store_true", help="keep the existing demo database instead of starting afresh"
    )
    p.set_defaults(func=cmd_demo)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help=f"sources file (default {DEFAULT_CONFIG})")
    p.add_argument("--db", help=f"DuckDB file (default: [settings] db, else {DEFAULT_DB})")


def _new_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--new-db",
        action="store_true",
        help="begin a new, empty database where the file is missing but its lock folder (<db>.locks) or "
        "other files beside it show one was there; without it the command refuses (a disk not mounted, "
        "a file deleted). Not needed on a first start, and refused where a database is",
    )


def _say_lock_wait(message: str) -> None:
    """A long wait for another process's database lock, said on stderr (INFO logs reach it with --debug)."""
    print(f"info: {message}", file=sys.stderr, flush=True)


def _classify(
    db: Path,
    config: Config,
    model: Any = None,
    *,
    rescore_all: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> None:
    from batch.stages import analyse_pending
    from store.db import LockWaitStopped

    started = time.monotonic()
    try:
        clustered, result = analyse_pending(
            db,
            model_path=config.settings.get("model"),
            model=model,
            rescore_all=rescore_all,
            should_stop=should_stop,
        )
    except LockWaitStopped:  # the stop ended a wait for the file between two pages: the caller says so
        if should_stop is None or not should_stop():  # (it exited 1 with the lock error, not 130 or 143)
            raise
        return
    seconds = time.monotonic() - started
    if result.skipped_reason:
        print(f"classification skipped: {result.skipped_reason}", file=sys.stderr)
    elif result.model_version is None:
        print(f"nothing new to classify; {clustered} clustered")
    else:
        stale = (
            f"; {result.stale} not stored (edited meanwhile, the new text scored by another process)"
            if result.stale
            else ""
        )
        print(
            f"classified {result.scored} items ({result.unique_texts} distinct texts) with model "
            f"{result.model_version}; {result.flagged} flagged; {clustered} clustered ({seconds:.1f} s)"
            + stale
        )


def _source_name(value: str) -> str:
    """``--source`` of `import`: the name its items are stored under, so never blank."""
    if not value.strip():
        raise argparse.ArgumentTypeError("a source name cannot be empty")
    return value


def _run_count(value: str) -> int:
    """``--runs`` of `status`: a count (a negative one was reported as a database of another program)."""
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 0 <= count <= MAX_RUNS_LISTED:
        raise argparse.ArgumentTypeError(f"expected 0 to {MAX_RUNS_LISTED}, got {count}")
    return count


def print_run(run: Any) -> None:
    """The summary of a run: one line, then each problem once (the first ``MAX_PROBLEMS_SHOWN``)."""
    if run.status == SKIPPED:  # not run: there are no counts to show
        print(f"{run.source}: skipped - {run.error}")
        return
    head = f"{run.source}: {run.status}"
    counts = f"fetched {run.fetched}, new {run.new}, updated {run.updated}"
    if run.problems:
        counts += f", {run.problems} with problems (listed below)"
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
    line = f"{head} - {counts} ({run.requests} requests, {seconds:.1f} s)"
    if run.error:
        line += f" - {run.error}"
    print(line, file=sys.stderr if run.status in FAILED_STATUSES else sys.stdout)
    problems = run.problem_messages
    for message in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"  problem: {message}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        print(
            f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more (--debug lists every one)", file=sys.stderr
        )


@contextmanager
def stop_signals(on_stop: Callable[[int], None]) -> Iterator[list[int]]:
    """While the block runs, SIGTERM and Ctrl-C call ``on_stop(signum)`` instead of ending the process
    where it stands (SIGTERM from systemd or a cron timeout left its runs 'running' until the next run
    closed them); yields the signals received, first first. A wait for another process's database
    lock ends at once on the signal (it took up to 30 s per source)."""
    from store.db import stoppable_lock_waits

    asked: list[int] = []
    with stoppable_lock_waits() as stop_waits:

        def handler(signum: int, _frame: Any) -> None:
            asked.append(signum)
            stop_waits()
            on_stop(signum)

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield asked
        finally:
            for sig, was in previous.items():
                signal.signal(sig, was)


def _stop_request(doing: str) -> tuple[threading.Event, Callable[[int], None]]:
    """An event the first SIGTERM or Ctrl-C sets (logging ``doing``), and the handler for stop_signals;
    a second signal raises KeyboardInterrupt: stop now, as Python would have."""
    stop = threading.Event()

    def ask_to_stop(signum: int) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        log.warning("%s: %s (asked again: at once)", signal.Signals(signum).name, doing)

    return stop, ask_to_stop


def cmd_run(args: argparse.Namespace) -> int:
    """`run`: one batch."""
    from batch.runner import run_batch

    config, db = resolve(args, config_required=True)
    if not args.no_classify:  # a model path naming no file: said before anything runs, not skipped each batch
        check_model_file(config.settings, str(config.path))
    # a source named twice ran twice at once, the two runs racing on its cursor and failure counter
    sources = list(dict.fromkeys(args.source)) if args.source else None
    if not config.collected() and not sources:
        raise ConfigError("no sources to collect", path=str(config.path))
    from store.db import holding, refuse_lost_database

    refuse_lost_database(db, new=args.new_db)  # not a new, empty database in place of a lost one

    stop, ask_to_stop = _stop_request("stopping after the runs going on")
    with stop_signals(ask_to_stop) as asked, holding(db), _said_if_new(db, stream=sys.stderr):
        started = time.monotonic()
        results = run_batch(config, db, sources, should_stop=stop.is_set)
        for run in results:
            print_run(run)
        # A source another process is collecting is skipped, which is not a failure, even when named
        # with --source: it is being collected now, and a retry would only fetch it twice.
        skipped = sum(run.status == SKIPPED for run in results)
        print(
            f"collected {len(results) - skipped} sources in {time.monotonic() - started:.1f} s"
            + (f", {skipped} skipped" if skipped else "")
        )
        if stop.is_set():
            print(
                "stopped on request: the runs going on ended 'aborted', the others did not start",
                file=sys.stderr,
            )
            return 128 + asked[0]
        if not args.no_classify:
            _classify(db, config, should_stop=stop.is_set)
            if stop.is_set():  # asked during the classify stage: it ended after the page in hand
                print(
                    "stopped on request: what is classified is saved, the next run goes on", file=sys.stderr
                )
                return 128 + asked[0]
    failed = [r.source for r in results if r.status in FAILED_STATUSES]
    if failed:
        print(f"{len(failed)} of {len(results)} sources failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """`import`: one export file."""
    from batch.import_guard import SourceKindMismatch
    from batch.importing import import_file

    config, db = resolve(args, config_required=False)
    if not args.no_classify and config.path is not None:
        check_model_file(config.settings, str(config.path))

    def report(error: InputError) -> None:
        # print_run shows the first MAX_PROBLEMS_SHOWN after the run line; this log line, every one of
        # them (so the first ones twice), reaches stderr only with --debug
        log.info("%s", error)

    notes: list[str] = []  # printed under the run's line, on stdout: stderr is the run's error and problems

    from store.db import holding, refuse_lost_database

    refuse_lost_database(db, new=args.new_db)  # not a new, empty database in place of a lost one

    stop, ask_to_stop = _stop_request("stopping the import at its next item")
    with stop_signals(ask_to_stop) as asked, holding(db), _said_if_new(db, stream=sys.stdout):
        try:
            run = import_file(
                args.kind,
                args.path,
                args.source,
                config,
                db,
                report=report,
                note=notes.append,
                should_stop=stop.is_set,
            )
        except SourceKindMismatch as exc:  # a wrong --source is a usage error, as argparse's are
            if args.debug:
                raise
            print(f"error: {exc}", file=sys.stderr)
            return SourceKindMismatch.exit_status
        print_run(run)
        for message in notes:
            print(f"note: {message}")
        if stop.is_set() and run.status == "aborted":
            print(
                "stopped on request: the import ended 'aborted'; what it read is stored, and importing "
                "the file again adds the rest",
                file=sys.stderr,
            )
            return 128 + asked[0]
        # a failed import classifies nothing: what an earlier command stored waits for the next batch
        if not args.no_classify and run.status not in FAILED_STATUSES:
            _classify(db, config, should_stop=stop.is_set)
        if stop.is_set():  # asked after the import's end: while it classified (review: it ran on and exited
            # 0), or just before (review: that said the import ended 'aborted' beside a run stored 'ok')
            said = (
                f"the import ended {run.status!r}"
                if run.status in FAILED_STATUSES
                else "the import is stored, what is classified is saved, the next run goes on"
            )
            print(f"stopped on request: {said}", file=sys.stderr)
            return 128 + asked[0]
    return 1 if run.problems or run.status in FAILED_STATUSES else 0


def cmd_reclassify(args: argparse.Namespace) -> int:
    """`reclassify`: re-score after a model change."""
    from store.db import holding, refuse_lost_database, require_database

    config, db = resolve(args, config_required=False)
    refuse_lost_database(db, new_option=None)  # a lost database: not "run the pipeline first"
    require_database(db)  # a mistyped --db would be created empty and "reclassify" nothing
    from classify.model import load_model

    # A model that is missing or unreadable is this command's error (it said "classification
    # skipped" and exited 0, so a script never learnt that nothing was re-scored).
    model = load_model(args.model or config.settings.get("model"))
    # SIGTERM (systemd, a timeout) ended it at once with no word, where Ctrl-C said "interrupted"
    stop, ask_to_stop = _stop_request("stopping after the page in hand")
    with stop_signals(ask_to_stop) as asked, holding(db, wait=RECLASSIFY_LOCK_WAIT, on_wait=_say_lock_wait):
        _classify(db, config, model, rescore_all=True, should_stop=stop.is_set)
        if stop.is_set():
            print(
                "stopped on request: what is re-scored is saved; `reclassify` again does the rest",
                file=sys.stderr,
            )
            return 128 + asked[0]
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """`status`: the health of every source."""
    import duckdb

    from batch.status import print_status

    config, db = resolve(args, config_required=False)
    try:
        return print_status(config, db, last_runs=args.runs)
    except duckdb.Error as exc:  # another program's DuckDB file, one cut short, one from before migrations
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(
            f"cannot read the monitor's tables ({first}): is this a database of this monitor? One of an "
            "older version is brought up to date by any command that writes to it, such as `pipeline.py run`",
            path=str(db),
        ) from None


def cmd_demo(args: argparse.Namespace) -> int:
    """`demo`: the embedded default."""
    from batch.demo import run_demo

    if not args.db:
        raise ConfigError("--db is empty: name a file, or leave the option out for data/demo.duckdb")
    db = Path(args.db)
    refuse_other_database(db)
    return run_demo(db, keep=args.keep)


def refuse_other_database(db: Path) -> None:
    """Raise StoreError unless ``db`` is missing, empty, or a database an earlier `demo` made (its
    sources all the demo's). `demo` deletes its database to start afresh, and --keep adds the samples
    to it: `demo --db data/monitor.duckdb` deleted the monitor's own database, `--db notes.txt` the file."""
    import duckdb

    from batch.demo import demo_plan

    if not db.exists() or (db.is_file() and db.stat().st_size == 0):
        return
    plan, imports, _ = demo_plan("http://127.0.0.1")
    ours = {s["name"] for s in plan} | {i["source"] for i in imports}
    advice = (
        "; `demo` deletes its database to start afresh (and --keep adds the samples to it), so give it "
        "another --db, or remove that file yourself"
    )
    if not db.is_file():
        raise StoreError("not a file: give `demo` a database file with --db", path=str(db))
    try:
        con = duckdb.connect(str(db), read_only=True)
        try:
            tables = {
                row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            }
            if not {"runs", "items"} <= tables:
                raise StoreError(
                    f"not a database `demo` made (no tables runs and items){advice}", path=str(db)
                )
            found = {
                r[0] for r in con.execute("SELECT source FROM runs UNION SELECT source FROM items").fetchall()
            }
            users = con.execute("SELECT count(*) FROM users").fetchone()[0] if "users" in tables else 0
        finally:
            con.close()
    except duckdb.Error as exc:  # another program's file, a damaged one, one another process holds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(
            f"cannot tell it is a database `demo` made ({first}){advice}", path=str(db)
        ) from None
    other = sorted(found - ours)
    if other:
        shown = ", ".join(other[:5]) + (f" and {len(other) - 5} more" if len(other) > 5 else "")
        raise StoreError(f"holds sources that are not the demo's ({shown}){advice}", path=str(db))
    if not found and users:
        raise StoreError(f"holds reviewers' logins and no item of the demo{advice}", path=str(db))
