"""One batch: collect each selected source in isolation, store in bulk, then classify what is new.

A source's failure is logged in ``runs`` and reported; the other sources go on. Items a source
yielded before it failed are stored anyway, and its cursor is saved only after a complete run,
so the next run re-reads the gap and the upsert drops what it already has.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from batch.source_lock import SKIPPED, SourceBusy, source_lock
from collectors import collector_module
from collectors.base import CollectContext, SourceConfig
from collectors.http import DEFAULT_MAX_BYTES, DEFAULT_USER_AGENT, HttpClient, newest_validators
from collectors.item import Item
from collectors.secrets import guard
from config.sources import Config
from errors import MonitorError, StoreError, StoreLocked
from store import runs as runlog
from store.db import DatabaseGone, writer
from store.items import UpsertResult, upsert_items

log = logging.getLogger(__name__)

FLUSH_ITEMS = 2000  # items per write transaction
FLUSH_SECONDS = 5.0  # ... or sooner, so a slow source still lands its items


# The status of a run its deadline ended ('aborted' stays for a stop asked, or a process killed).
DEADLINE_STATUS = "partial"


class RunStopped(MonitorError):
    """The process was asked to stop (SIGTERM/SIGINT) during a run: what was fetched is kept, the cursor is not."""

    run_status = "aborted"


# A run that passes this many seconds (``max_run_seconds`` of [settings], or of the source; 0: none)
# stops as a stop does, and the other sources go on: a site trickling every page to the body's time
# limit kept one portal run going for two hours, so each slot of the schedule found it still busy.
# Unset, it applies to the kinds that save their cursor at a deadline (the portal) only: a kind that
# saves none reads the same span again next time, so a first run of a large Telegram channel or
# Facebook page cut at the same point every time would never get past it.
DEFAULT_MAX_RUN_SECONDS = 1800.0


def keeps_cursor(source: SourceConfig) -> bool:
    """Whether the source's collector ends its run cleanly once its client refuses requests, its cursor
    naming what it read and what it left (``CURSOR_AFTER_STOP``, collectors/base.py)."""
    return bool(getattr(collector_module(source.kind), "CURSOR_AFTER_STOP", False))


class Deadline:
    """The deadline of one source run, counted from its collection's start."""

    def __init__(self, source: SourceConfig, settings: dict[str, Any], keeps: bool) -> None:
        default = DEFAULT_MAX_RUN_SECONDS if keeps else 0.0
        self.seconds = float(source.get("max_run_seconds", settings.get("max_run_seconds", default)))
        self.start = time.monotonic()

    def passed(self) -> bool:
        return self.seconds > 0 and time.monotonic() - self.start >= self.seconds

    def message(self, kept: bool) -> str:
        """The run's error when its deadline stopped it (``kept``: its cursor was saved)."""
        return (
            f"stopped at the deadline: max_run_seconds = {self.seconds:g} passed; what was read is stored, "
            + ("the next run goes on from where this one stopped" if kept else "the next run reads the rest")
        )


def http_client_for(source: SourceConfig, settings: dict[str, Any], validators: dict[str, Any]) -> HttpClient:
    """The polite client of one source run, from [settings] with the source's overrides."""

    def pick(key: str, default: Any) -> Any:
        return source.get(key, settings.get(key, default))

    return HttpClient(
        user_agent=pick("user_agent", DEFAULT_USER_AGENT),
        timeout=float(pick("timeout", 20.0)),
        retries=int(pick("retries", 3)),
        min_delay=float(pick("min_delay", 1.0)),
        max_bytes=int(pick("max_bytes", DEFAULT_MAX_BYTES)),
        respect_robots=bool(pick("respect_robots", True)),
        validators=validators,
        source=source.name,
    )


class ItemSink:
    """Buffers items and upserts them in batches, each in its own short write transaction."""

    def __init__(self, db_path: Path, run: runlog.RunRecord) -> None:
        self.db_path = db_path
        self.run = run
        self.buffer: list[Item] = []
        self.totals = UpsertResult()
        self._last_flush = time.monotonic()

    def add(self, item: Item) -> None:
        """Queue one item; flushes when the batch is full or old."""
        if not self.buffer:
            self._last_flush = time.monotonic()  # the batch's age counts from its first item
        self.buffer.append(item)
        self.run.fetched += 1
        if len(self.buffer) >= FLUSH_ITEMS or time.monotonic() - self._last_flush > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered."""
        self._last_flush = time.monotonic()
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        with writer(self.db_path) as con:
            result = upsert_items(con, batch)
        self.totals += result
        self.run.new, self.run.updated = self.totals.new, self.totals.updated


def _consume(
    items: Iterable[Item], sink: ItemSink, source_name: str, should_stop: Callable[[], bool] | None = None
) -> None:
    for item in items:
        if item.source != source_name:
            item.source = source_name
        sink.add(item)
        if should_stop is not None and should_stop():
            raise RunStopped("stopped on request before the run ended", source=source_name)
    sink.flush()


def _asked(should_stop: Callable[[], bool] | None) -> bool:
    return should_stop is not None and should_stop()


def _failure(exc: Exception) -> tuple[str, str]:
    """The ``runs`` status and one-line error of a run that ended with ``exc``."""
    if isinstance(exc, MonitorError):
        return exc.run_status, _one_line(str(exc))
    return "failed", _one_line(f"{type(exc).__name__}: {exc}")


def _one_line(text: str) -> str:
    # a database or parser message may span lines; `run` and `status` print one line per source
    return " ".join(text.split())


def run_source(
    source: SourceConfig,
    config: Config,
    db_path: Path,
    *,
    now: datetime | None = None,
    client_factory: Callable[[SourceConfig, dict[str, Any], dict[str, Any]], HttpClient] = http_client_for,
    should_stop: Callable[[], bool] | None = None,
    slot: datetime | None = None,
) -> runlog.RunRecord:
    """Collect one source into the database (``slot``: the cron slot of a scheduled run, which a failure's
    back-off is counted from); never raises for the source's own failures, nor leaves its
    run 'running' after an error (KeyboardInterrupt and SystemExit still go through and stop the batch).
    A source another process (or thread) is collecting is not run: the record returned, status 'skipped',
    is not stored, and nothing is fetched nor its cursor touched. Raises StoreError when the source's
    lock cannot be taken at all (a folder that cannot be written, a file system without locks), and
    DatabaseGone when the database file was removed or replaced during the run: there is nowhere to
    record it, and the caller says it once and stops (review: three lines, the run's row tried twice)."""
    # The run's start on the clock HTTP clients count answers' arrival on (Response.fetched_at): the
    # client is made after the source's state is read, which may wait for the database (review: relative
    # dates read that much early). None when the caller gives ``now``: its clock is the caller's.
    started = time.monotonic() if now is None else None
    now = now or datetime.now(UTC)
    run = runlog.RunRecord(source=source.name, kind=source.kind, started_at=now, slot=slot)
    try:
        with source_lock(db_path, source.name):
            return _run_locked(run, source, config, db_path, now, client_factory, should_stop, started)
    except SourceBusy as exc:
        log.debug(
            "%s: skipped: %s", source.name, exc.message
        )  # the caller says it: a line of `run`, a log of `schedule`
        run.status, run.error, run.finished_at = SKIPPED, exc.message, datetime.now(UTC)
        return run


def _run_locked(
    run: runlog.RunRecord,
    source: SourceConfig,
    config: Config,
    db_path: Path,
    now: datetime,
    client_factory: Callable[[SourceConfig, dict[str, Any], dict[str, Any]], HttpClient],
    should_stop: Callable[[], bool] | None,
    started: float | None = None,
) -> runlog.RunRecord:
    """``run_source`` with the source's lock held."""
    try:
        with writer(db_path) as con:
            # With the source's lock held, a run of it still 'running' is a dead process's
            runlog.mark_stale_runs(con, source.name)
            runlog.start_run(con, run)
            state = runlog.load_state(con, source.name)
            # Saved without them until the run ends well: a run killed after storing items, or unable
            # to record its end, must not leave them naming what the store no longer holds (review);
            # the collector still reads them from ``state`` in memory.
            _forget_store_mirrors(con, state)
    except StoreLocked as exc:
        # Another process held the database too long (or a stop came while waiting for it): this
        # source waits for its next run, the others go on. (A file that cannot be opened or written
        # at all stops the batch with one error line.)
        log.info("%s: not run: %s", source.name, exc)
        (run.status, run.error), run.finished_at = _failure(exc), datetime.now(UTC)
        return run
    try:
        _collect(run, state, source, config, db_path, now, client_factory, should_stop, started)
    except DatabaseGone:  # nowhere to record the run: the caller says it once and stops
        raise
    except Exception as exc:  # a bug in the bookkeeping around the collector: say so in the run's row
        log.debug("%s: unexpected error after collecting", source.name, exc_info=True)
        status, error = _failure(exc)
        # keep the source's own error, if it had one, in front of the one that stopped recording it
        run.status, run.error = status, f"{run.error}; then {error}" if run.error else error
        run.finished_at = datetime.now(UTC)
        try:
            with writer(db_path) as con:
                runlog.finish_run(con, run)
        except StoreError as exc:  # a full disk: the row stays 'running' until the next run ends it
            log.error("%s: the run could not be recorded: %s", source.name, exc)
    return run


def _collect(
    run: runlog.RunRecord,
    state: runlog.SourceState,
    source: SourceConfig,
    config: Config,
    db_path: Path,
    now: datetime,
    client_factory: Callable[[SourceConfig, dict[str, Any], dict[str, Any]], HttpClient],
    should_stop: Callable[[], bool] | None,
    started: float | None = None,
) -> None:
    """Fetch, store and record one run of ``source`` (``run_source`` without its safety net)."""
    cursor = copy.deepcopy(state.state)  # a failed run leaves the saved cursor as it was, nested parts too
    validators = dict(cursor.pop("_http", {}))
    cursor.pop("_errors", None)
    sink = ItemSink(db_path, run)
    client: HttpClient | None = None
    failure: Exception | None = None
    # A collector that ends its run cleanly once its client refuses requests, its cursor naming what
    # it read and what it left (collectors/base.py): its deadline lets it end so, and its cursor is saved.
    keeps = keeps_cursor(source)
    deadline = Deadline(source, config.settings, keeps)

    def halted() -> bool:
        return _asked(should_stop) or deadline.passed()

    try:
        client = client_factory(source, config.settings, validators)
        if started is not None and client.clock is time.monotonic:
            client.opened = started  # answers' arrival counted from the run's start, waits included
        if not _asked(should_stop):
            # A stop asked from now on: the client starts no request nor retry. One asked before the run
            # began (run_batch and the scheduler start none then) still lets it read to its first item.
            client.should_stop = halted
        ctx = CollectContext(
            source=source,
            http=client,
            state=cursor,
            last_success=state.last_success,
            now=now,
            log=logging.getLogger(f"collectors.{source.kind}"),
        )
        # a source's secrets (the values of its *_env variables) scrubbed from its errors and problems
        items = guard(collector_module(source.kind).collect(ctx), ctx)
        _consume(items, sink, source.name, should_stop if keeps else halted)
    except Exception as exc:  # a collector bug (or a bad setting) must not stop the other sources
        failure = exc
        if not isinstance(exc, MonitorError):
            log.debug("%s: unexpected error", source.name, exc_info=True)
        run.status, run.error = _failure(exc)
    finally:
        if client is not None:
            client.close()
    if isinstance(failure, DatabaseGone):  # nothing more can be stored, nor the run recorded
        raise failure
    refused = client is not None and client.stopped  # a request or retry left out for a stop
    # the deadline, not a stop asked, cut the run: said so, as a stop is ('aborted', runs.error)
    timed_out = deadline.passed() and not _asked(should_stop)
    keep_cursor = False
    if failure is None and refused:
        # The client refused a request for the stop, and the collector took that as one page's problem
        # and went on: the run did not end well all the same.
        keep_cursor = timed_out and keeps
        said = deadline.message(keep_cursor) if timed_out else "stopped on request before the run ended"
        failure = RunStopped(said, source=source.name)
        run.status, run.error = _failure(failure)
    elif run.status == "failed" and not isinstance(failure, StoreError) and (refused or _asked(should_stop)):
        # The request under way when the stop came failed (no retry after it): the stop ended the run,
        # so it is 'aborted', not the source's failure (no back-off, no "failed N times" alert).
        said = deadline.message(False) if timed_out else "stopped on request before the run ended"
        run.status, run.error = RunStopped.run_status, f"{said}; {run.error}"
    elif timed_out and run.status == RunStopped.run_status and (refused or isinstance(failure, RunStopped)):
        if isinstance(failure, RunStopped):  # cut between two items
            run.error = _failure(RunStopped(deadline.message(False), source=source.name))[1]
        else:  # the collector gave up on its refused request (FetchStopped)
            run.error = f"{deadline.message(False)}; {run.error}"
    if timed_out and run.status == RunStopped.run_status:
        # Ended by its deadline, not by a stop: 'partial' (what was read is stored, the rest next run),
        # so it is no failure for `run`'s exit code, and a source cut at every run that brings nothing
        # for its silent_hours gets the silence alert (review: 'aborted' was neither). No back-off.
        run.status = DEADLINE_STATUS
    if failure is not None:
        try:
            sink.flush()  # what was fetched before the failure is kept
        except DatabaseGone:
            raise
        except Exception as exc:
            run.error = f"{run.error}; and storing what was fetched failed: {_failure(exc)[1]}"
    problems = [str(p) for p in cursor.pop("_errors", [])]
    run.problems, run.problem_messages = len(problems), problems
    if failure is None:
        run.status = "partial" if problems else "ok"
    if client is not None:
        run.requests, run.bytes, run.not_modified = (
            client.stats.requests,
            client.stats.bytes,
            client.stats.not_modified,
        )
    run.finished_at = datetime.now(UTC)
    # A database that cannot be written (disk full, locked) is not the source's failure: no back-off,
    # and no "failed N times in a row" alert blaming it; the cursor is not moved, so the next run
    # fetches again what could not be stored.
    blame = failure is not None and not isinstance(failure, StoreError)
    _finish(
        db_path, run, state, cursor, validators, failure is None, config, blame=blame, keep_cursor=keep_cursor
    )


# Cursor keys that say what the store holds (the ``hashes`` of Telegram and Facebook: a message, post
# or comment read again with the text they name is not handed over). A run that fails after handing
# items over drops them, and they are saved only by a run that ends well (a killed run leaves none).
STORE_MIRRORS = ("hashes",)


def _mirrorless(cursor: dict[str, Any]) -> dict[str, Any]:
    """``cursor`` without its STORE_MIRRORS keys."""
    return {k: v for k, v in cursor.items() if k not in STORE_MIRRORS}


def _forget_store_mirrors(con: Any, state: runlog.SourceState) -> None:
    """Save ``state`` without its STORE_MIRRORS keys, if it has any (``state`` itself keeps them)."""
    if any(key in state.state for key in STORE_MIRRORS):
        runlog.save_state(con, replace(state, state=_mirrorless(state.state)))


def _import_overlapped(con: Any, run: runlog.RunRecord) -> bool:
    """Whether an import into ``run``'s source ran (or runs) at some time during ``run``."""
    return bool(
        con.execute(
            "SELECT count(*) FROM runs WHERE source = ? AND kind LIKE 'import:%' AND started_at <= ? "
            "AND (finished_at IS NULL OR finished_at >= ?)",
            [run.source, run.finished_at, run.started_at],
        ).fetchone()[0]
    )


# A scheduled run that started this close to its slot counts its back-off from the slot; one that
# waited longer for a worker (up to the misfire grace) from its own start (review: counted from a slot
# minutes before the run, the back-off ended seconds after the failure).
SLOT_SLACK = timedelta(seconds=5)


def _backoff_base(run: runlog.RunRecord) -> datetime:
    if run.slot is not None and run.started_at - run.slot <= SLOT_SLACK:
        return run.slot
    return run.started_at


def _finish(
    db_path: Path,
    run: runlog.RunRecord,
    state: runlog.SourceState,
    cursor: dict[str, Any],
    validators: dict[str, Any],
    success: bool,
    config: Config,
    *,
    blame: bool = True,
    keep_cursor: bool = False,
) -> None:
    if keep_cursor:
        # A run its deadline ended cleanly goes on from there, with the validators of the run before
        # (review: listing page 1's, saved while page 2 was cut, answered 304 next run and discovery
        # stopped there, page 2's articles lost for good). A page read this run is then fetched in full
        # at its next visit; the upsert keeps it once.
        state.state = {**cursor, "_http": newest_validators(state.state.get("_http", {}))}
    elif success:
        state.state = {**cursor, "_http": newest_validators(validators)}
    if success or keep_cursor:
        state.last_success = run.finished_at
        state.consecutive_failures = 0
        state.next_due = None
    elif blame and run.status not in (RunStopped.run_status, DEADLINE_STATUS):
        # a stop on request, or the run's deadline, is not the source's failure
        state.consecutive_failures += 1
        base = timedelta(minutes=float(config.settings.get("backoff_base_minutes", 5)))
        state.next_due = _backoff_base(run) + runlog.backoff_delay(
            state.consecutive_failures, base, config.longest_backoff()
        )
    with writer(db_path) as con:
        # Keys that say what the store holds go when the store may hold something else now: a failed
        # run stored items (review: an edit stored by a stopped run, then undone, was never stored), or
        # an import into this source ran meanwhile (review: the older export's text stayed for good). A
        # failed run that handed nothing over (a refused connection) keeps them (review: each outage
        # cost a full hand-over).
        stale = _import_overlapped(con, run) if success else run.fetched > 0
        if stale:
            state.state = _mirrorless(state.state)
        runlog.finish_run(con, run)
        runlog.save_state(con, state)


def run_batch(
    config: Config,
    db_path: Path,
    names: list[str] | None = None,
    *,
    now: datetime | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[runlog.RunRecord]:
    """Run the selected sources (all collected ones by default), several at once. Once ``should_stop``
    says so, the runs going on end 'aborted' at their next item and no other source starts. The database
    file removed or replaced (DatabaseGone) ends the batch the same way, and is raised."""
    stopped = should_stop or (lambda: False)
    sources = config.collected()
    if names:
        by_name = {s.name: s for s in config.sources}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise MonitorError(f"no source named {', '.join(missing)} in the config", path=str(config.path))
        sources = [by_name[n] for n in names]
        not_collected = [s.name for s in sources if s not in config.collected()]
        if not_collected:
            raise MonitorError(
                f"source {', '.join(not_collected)} is filled by `import`, not by `run`",
                path=str(config.path),
            )

    gone = threading.Event()  # the database file went away: the runs going on end at their next item

    def stop_now() -> bool:
        return gone.is_set() or stopped()

    def one(source: SourceConfig) -> runlog.RunRecord | None:
        if stop_now():
            return None  # not started: nothing to abort
        try:
            return run_source(source, config, db_path, now=now, should_stop=stop_now)
        except DatabaseGone:  # raised by pool.map below, once
            gone.set()
            raise

    workers = max(1, int(config.settings.get("max_parallel_sources", 4)))
    if workers == 1 or len(sources) < 2:
        runs = [one(source) for source in sources]
    else:
        # Sources wait on the network, not on the CPU: fetch several at once. The shared host pacer
        # keeps each host's delay, and store.db serialises the short write transactions.
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="source") as pool:
            runs = list(pool.map(one, sources))
    return [run for run in runs if run is not None]
