"""`schedule`: one cron job per source, unattended, until SIGTERM or SIGINT.

Each job collects one source (skipped while the source is backed off after failures), then, under
one lock so that two jobs never do it at once, clusters and classifies what is new, sends the alert
digest of the batch and refreshes the analysts' Parquet snapshot when one is configured. The
database is opened only for each short write, so analysts can read between writes (docs/OPERATIONS.md).

When the snapshot is written is decided here, as ops/snapshot.py (which writes it) describes.

APScheduler runs the jobs in a thread pool with ``max_instances=1`` (a source never overlaps itself),
``coalesce`` (a backlog of missed times runs once) and a misfire grace time. A stop request lets the
running writes finish, stops collectors between items, and exits with status 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from batch.source_lock import SKIPPED
from collectors.base import SourceConfig
from config.sources import Config, validate_cron
from errors import ConfigError, ModelError, MonitorError, StoreError
from ops import alerts as alerting
from ops.db_guard import DatabaseGuard
from ops.health import backed_off_until, release_backoffs
from ops.slots import FALLBACK_SCHEDULE as FALLBACK_SCHEDULE  # re-exported: tests import it from here
from ops.slots import TIMEZONE, first_slot, schedule_of, slot_at, trigger_for
from ops.snapshot import ITEMS_FINGERPRINT as ITEMS_FINGERPRINT  # re-exported: bench/bench_stages.py
from ops.snapshot import SnapshotError, export_snapshot, remove_stale_files
from store.db import holding, stoppable_lock_waits, writer

log = logging.getLogger(__name__)

DEFAULT_MISFIRE_GRACE = 300  # seconds
DEFAULT_WORKERS = 4
DEFAULT_STOP_GRACE = 20.0  # seconds a stop waits for runs blocked on the network
DEFAULT_SNAPSHOT_MINUTES = 5.0  # the item tables of the snapshot are rewritten at most this often
SNAPSHOT_RETRY = timedelta(minutes=1)  # the main loop tries a snapshot that failed again after this
SILENCE_CHECK = timedelta(hours=1)  # a batch without news still looks for silent sources this often


@dataclass(slots=True)
class BatchOutcome:
    """What one job did (returned for tests and `--once`)."""

    source: str
    skipped: str | None = None  # why the source did not run
    status: str | None = None
    new: int = 0
    updated: int = 0
    classified: int = 0
    alerts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


class Scheduler:
    """Runs the configured sources on their cron schedules; one instance per process."""

    def __init__(
        self,
        config: Config,
        db_path: Path,
        *,
        snapshot_dir: Path | None = None,
        model: Any = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        fail_fast: bool = False,
    ) -> None:
        self.config = config
        self.db_path = db_path
        self.snapshot_dir = snapshot_dir
        self.clock = clock
        self.fail_fast = fail_fast  # `--once`: a store error ends the command instead of being logged
        self.stop_event = threading.Event()
        self.guard = DatabaseGuard(db_path, self.stop_event.set)  # its file removed or replaced stops it
        self.stages_lock = threading.Lock()
        self._model = model
        self._model_problem: str | None = None
        # Batches that stored something, and how many of them classification has seen;
        # items of an earlier process may wait for classification and their digest.
        self._stored = 1
        self._classified_upto = 0
        self._snapshot_items: tuple[Any, ...] | None = None  # ITEMS_FINGERPRINT of the last snapshot
        minutes = float(config.settings.get("snapshot_minutes", DEFAULT_SNAPSHOT_MINUTES))
        self._snapshot_every = timedelta(minutes=minutes)
        self._items_due_at: datetime | None = None  # when the item tables may be rewritten again
        self._items_waiting = False  # a batch ran since they were written: changes may wait
        self._snapshot_failed_at: datetime | None = None
        self._snapshot_said_at: datetime | None = None  # when a failed snapshot was last logged as an error
        self._alerts_pending = True
        self._alerts_checked: datetime | None = None  # last digest; silence needs no news to be announced
        self._batches = 0
        self._count_lock = threading.Lock()
        self._active: set[str] = set()  # sources whose job is running
        self.sources = config.collected()
        if not self.sources:
            raise ConfigError("no sources to collect", path=str(config.path) if config.path else None)
        for source in self.sources:  # load_config checks these; a Config built in code may not be
            validate_cron(
                schedule_of(source, config),
                key="schedule" if source.schedule else "default_schedule",
                where=str(config.path) if config.path else None,
                source=source.name,
            )
        self._triggers = {s.name: trigger_for(schedule_of(s, config)) for s in self.sources}
        grace = int(config.settings.get("misfire_grace_seconds", DEFAULT_MISFIRE_GRACE))
        self._grace = timedelta(seconds=grace)

    # -- one job -------------------------------------------------------------------------------

    def should_stop(self) -> bool:
        """True once a stop was requested."""
        return self.stop_event.is_set()

    def run_slot(self, name: str) -> BatchOutcome:
        """The cron job of a source: :meth:`run_job` for the slot it fires for (ops/slots.py)."""
        return self.run_job(name, slot=slot_at(self._triggers[name], self.clock(), self._grace))

    def run_job(self, name: str, *, slot: datetime | None = None) -> BatchOutcome:
        """Collect one source, then classify, alert and snapshot; never raises. A ``slot`` is what its
        back-off is measured against and counted from; without one (`--once`), now."""
        log.info("%s: due", name, extra={"event": "job_started", "source": name})
        if self.should_stop():
            return BatchOutcome(source=name, skipped="stopping")
        with self._count_lock:
            self._active.add(name)
        try:
            # One connection for the run's writes in quick succession, closed after half a second
            # without one, so analysts get in while the source waits on the network.
            with holding(self.db_path, idle=0.5):
                return self._job(name, slot)
        finally:
            with self._count_lock:
                self._active.discard(name)

    def _job(self, name: str, slot: datetime | None) -> BatchOutcome:
        outcome = BatchOutcome(source=name)
        source = self.config.source(name)
        assert source is not None
        try:
            self._collect(source, outcome, slot)
            if outcome.skipped is None and not self.should_stop():
                self._after_collection(outcome)
        except MonitorError as exc:
            if self.fail_fast and isinstance(exc, StoreError):
                raise
            outcome.error = str(exc)
            extra = {"event": "batch_failed", "source": name, "error": outcome.error}
            if not self.guard.handled(exc):  # the database file gone is said once, and stops the scheduler
                log.error("%s: batch failed: %s", name, exc, extra=extra)
        except Exception as exc:  # the scheduler outlives any bug in one batch
            outcome.error = f"{type(exc).__name__}: {exc}"
            log.exception(
                "%s: batch failed unexpectedly", name, extra={"event": "batch_failed", "source": name}
            )
        return outcome

    def _collect(self, source: SourceConfig, outcome: BatchOutcome, slot: datetime | None) -> None:
        from batch.runner import run_source

        # The back-off of a failed run is counted from its slot (batch/runner.py; the run's started_at
        # and its collector's clock stay the real time), and compared with this job's slot, so the slot
        # it ends in is not skipped by the milliseconds between a slot and its job.
        with writer(self.db_path) as con:
            due = backed_off_until(con, source.name, self.clock(), self.config.longest_backoff(), at=slot)
        if due is not None:
            # Its whole value: cut to the second, a back-off ending 20:55:00.75 read as past at 20:55:00.
            nxt = first_slot(self._triggers[source.name], due)
            outcome.skipped = f"backing off until {due.isoformat()}"
            log.info(
                "%s: skipped, backing off until %s; next run at its slot of %s",
                source.name,
                due.isoformat(),
                nxt.isoformat() if nxt else "never",
                extra={
                    "event": "run_skipped",
                    "source": source.name,
                    "next_due": due.isoformat(),
                    "next_slot": nxt.isoformat() if nxt else None,
                },
            )
            return
        started = time.monotonic()
        log.info("%s: run started", source.name, extra={"event": "run_started", "source": source.name})
        run = run_source(source, self.config, self.db_path, should_stop=self.should_stop, slot=slot)
        if run.status == SKIPPED:  # another process (`run --source`) collects it right now
            outcome.skipped = run.error
            log.info(
                "%s: skipped, %s",
                source.name,
                run.error,
                extra={"event": "source_busy", "source": source.name, "reason": run.error},
            )
            return
        outcome.status, outcome.new, outcome.updated = run.status, run.new, run.updated
        level = logging.INFO if run.status in {"ok", "partial"} else logging.WARNING
        log.log(
            level,
            "%s: run %s, fetched %d, new %d, updated %d%s",
            source.name,
            run.status,
            run.fetched,
            run.new,
            run.updated,
            f" - {run.error}" if run.error else "",
            extra={
                "event": "run_finished",
                "source": source.name,
                "run_id": run.run_id,
                "status": run.status,
                "fetched": run.fetched,
                "new": run.new,
                "updated": run.updated,
                "problems": run.problems,
                "seconds": round(time.monotonic() - started, 3),
                "error": run.error,
            },
        )

    def _after_collection(self, outcome: BatchOutcome) -> None:
        if outcome.new or outcome.updated:
            with self._count_lock:
                self._stored += 1
        with self.stages_lock:
            if self.should_stop():
                return
            with self._count_lock:
                self._batches += 1
                batch = f"{self.clock():%Y%m%dT%H%M%S}-{outcome.source}-{self._batches}"
                stored = self._stored
            # Every stage opens the file a few times: a batch whose items an earlier batch's pass
            # already classified (or that brought nothing new) skips them.
            if self._classified_upto < stored:
                outcome.classified = self._classify()
                if not self.should_stop():  # a stopped pass left items for the next process
                    self._classified_upto = stored
            news = outcome.classified or outcome.status not in {"ok", "partial"}
            checked = self._alerts_checked
            silence_due = checked is None or self.clock() - checked >= SILENCE_CHECK
            if self.config.alerts and (news or self._alerts_pending or silence_due):
                # What was just classified is announced even when a stop is pending.
                report = alerting.deliver(
                    self.db_path,
                    self.config.alerts,
                    batch=batch,
                    silent_hours=self.config.silent_hours(),
                    longest_backoff=self.config.longest_backoff(),
                    should_stop=self.should_stop,  # a stuck delivery no longer holds the stop
                )
                self._alerts_checked = self.clock()
                outcome.alerts = report.sent
                self._alerts_pending = bool(report.failed)  # a failed delivery retries next batch
            if self.snapshot_dir is not None and not self.should_stop():
                self._refresh_snapshot(self.snapshot_dir)

    def _refresh_snapshot(self, folder: Path) -> None:
        """runs and source_state after every batch, the item tables when they changed and are due (see
        the module's docstring); a folder that cannot be written is one log line per batch, not a
        failed batch, and is tried again next time."""
        now = self.clock()
        due = self._items_due_at is None or now >= self._items_due_at
        try:
            written = write_snapshot(self.db_path, folder, unchanged_since=self._snapshot_items, items=due)
        except SnapshotError as exc:
            # Tried after every batch, said once a minute at most: many sources' batches would repeat
            # the same line every few seconds for as long as the folder stays unwritable.
            said = self._snapshot_said_at
            level = logging.ERROR if said is None or now - said >= SNAPSHOT_RETRY else logging.DEBUG
            if level == logging.ERROR:
                self._snapshot_said_at = now
            log.log(
                level,
                "snapshot not written to %s: %s; tried again after the next batch",
                folder,
                exc.reason,
                extra={"event": "snapshot_failed", "folder": str(folder), "error": exc.reason},
            )
            self._snapshot_failed_at = now
            self._items_waiting = True  # whatever it would have written waits for the retry
            return
        self._snapshot_failed_at = self._snapshot_said_at = None
        if written != self._snapshot_items:
            self._items_due_at = now + self._snapshot_every
        self._snapshot_items = written
        self._items_waiting = not due

    def snapshot_waiting(self, *, force: bool = False) -> None:
        """Write the item tables that a batch left waiting, once they are due (or now, with ``force``).
        Called by the main loop every second, so that changes do not wait for the next batch; a
        batch's stages running now skip it (they refresh the snapshot themselves)."""
        if self.snapshot_dir is None or not self._items_waiting or self.should_stop():
            return
        now = self.clock()
        if not force and self._items_due_at is not None and now < self._items_due_at:
            return
        failed = self._snapshot_failed_at
        if not force and failed is not None and now - failed < SNAPSHOT_RETRY:
            return  # a folder that cannot be written: one line a minute, not one a second
        if not self.stages_lock.acquire(blocking=False):
            return
        try:
            if force:
                self._items_due_at = None
            self._refresh_snapshot(self.snapshot_dir)
        finally:
            self.stages_lock.release()

    def _classify(self) -> int:
        from batch.stages import classify_pending, cluster_pending

        cluster_pending(self.db_path, should_stop=self.should_stop)
        model = self._load_model()
        if model is None:
            return 0
        result = classify_pending(self.db_path, model=model, should_stop=self.should_stop)
        if result.scored:
            log.info(
                "classified %d items, %d flagged",
                result.scored,
                result.flagged,
                extra={"event": "classified", "scored": result.scored, "flagged": result.flagged},
            )
        return result.scored

    def _load_model(self) -> Any:
        """The classifier, loaded once; while it cannot be loaded, items wait unclassified."""
        if self._model is not None:
            return self._model
        try:
            from classify.model import load_model

            self._model = load_model(self.config.settings.get("model"))
        except (ImportError, ModelError) as exc:
            if str(exc) != self._model_problem:  # say it once, not every batch
                self._model_problem = str(exc)
                log.warning("items stored unclassified: %s", exc, extra={"event": "no_model"})
            return None
        return self._model

    # -- the loop ------------------------------------------------------------------------------

    def check_database(self) -> None:
        """Write once now (migrations, a start mark): a read-only file or a full disk is named before any job
        runs. Sources that lacked a token or a permission leave their back-off (release_backoffs)."""
        with self.guard.pinning(), writer(self.db_path) as con:  # pinned once written and closed
            con.execute(
                "INSERT INTO meta VALUES ('scheduler_started', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [self.clock().isoformat()],
            )
            release_backoffs(con, self.clock())
        if self.snapshot_dir is not None:  # analysts find one from the start; SnapshotError stops the start
            remove_stale_files(self.snapshot_dir)
            self._snapshot_items = write_snapshot(self.db_path, self.snapshot_dir)
            self._items_due_at = self.clock() + self._snapshot_every

    @property
    def snapshot_failed(self) -> bool:
        """Whether the last snapshot tried was not written (a full disk, a folder not writable)."""
        return self._snapshot_failed_at is not None

    def run_once(self) -> list[BatchOutcome]:
        """Every source once, now, one after another (`schedule --once`)."""
        outcomes = []
        for source in self.sources:
            if self.should_stop():
                break
            outcomes.append(self.run_job(source.name))
        self.snapshot_waiting(force=True)  # the command ends with a whole snapshot
        return outcomes

    def build(self) -> Any:
        """The APScheduler BackgroundScheduler with one cron job per source (not started)."""
        from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        settings = self.config.settings
        workers = int(settings.get("max_parallel_sources", min(DEFAULT_WORKERS, len(self.sources))))
        scheduler = BackgroundScheduler(
            timezone=TIMEZONE, executors={"default": ThreadPoolExecutor(max_workers=max(1, workers))}
        )
        for source in self.sources:
            expr = schedule_of(source, self.config)
            scheduler.add_job(
                self.run_slot,
                self._triggers[source.name],
                args=[source.name],
                id=source.name,
                name=source.name,
                max_instances=1,  # a source never overlaps itself
                coalesce=True,  # missed times run once, not once each
                misfire_grace_time=int(self._grace.total_seconds()),
            )
            log.info(
                "%s: scheduled %r",
                source.name,
                expr,
                extra={"event": "scheduled", "source": source.name, "cron": expr},
            )
        scheduler.add_listener(self.slot_skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        return scheduler

    def slot_skipped(self, event: Any) -> None:
        """Log a slot APScheduler did not run, as one of our lines (event, source) rather than its own."""
        from apscheduler.events import EVENT_JOB_MAX_INSTANCES

        busy = event.code == EVENT_JOB_MAX_INSTANCES
        reason = "its previous run is still busy" if busy else "it came too late (misfire_grace_seconds)"
        log.warning(
            "%s: slot skipped: %s",
            event.job_id,
            reason,
            extra={"event": "slot_skipped", "source": event.job_id, "reason": "busy" if busy else "missed"},
        )

    def request_stop(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        """Ask the loop to stop: running writes finish, collectors stop between items."""
        if not self.stop_event.is_set():
            name = signal.Signals(signum).name if signum else "request"
            log.info("stop requested (%s); finishing the current writes", name, extra={"event": "stopping"})
        self.stop_event.set()

    def serve(self, *, install_signals: bool = True) -> int:
        """Run until a stop is requested; returns the exit status (0, or 3 when the database file went away:
        ops/db_guard.py). A stop requested before (during the start-up check) ends it before any job."""
        if install_signals:  # first: the model's loading below may take seconds
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)
        if self.should_stop():
            log.info("scheduler stopped cleanly before its first job", extra={"event": "stopped"})
            return 0
        scheduler = self.build()
        self._load_model()  # pay the model's loading before the first slot, not inside it
        scheduler.start()
        log.info(
            "scheduler started: %d sources, database %s",
            len(self.sources),
            self.db_path,
            extra={"event": "started", "sources": len(self.sources), "db": str(self.db_path)},
        )
        for problem in self.config.unset_variables(os.environ):  # said now, not at the first failure
            log.warning(problem, extra={"event": "unset_variable"})
        with stoppable_lock_waits() as stop_waits:
            try:
                while not self.stop_event.wait(1.0):
                    self.guard.tick(self.snapshot_waiting)  # is the database file still there?
            finally:
                scheduler.shutdown(wait=False)  # no new jobs; the running ones stop between two items
                stop_waits()  # a source waiting for an analyst's lock ends now, not up to 30 s later
            grace = float(self.config.settings.get("stop_grace_seconds", DEFAULT_STOP_GRACE))
            deadline = time.monotonic() + grace
            while self._active and time.monotonic() < deadline:
                time.sleep(0.05)
            if self._active:
                self._exit_between_writes(grace)
        log.info(self.guard.stopped, extra={"event": "stopped"})
        return self.guard.exit_status

    def _exit_between_writes(self, grace: float) -> None:
        """End the process while no write is under way, leaving runs stuck on the network behind.

        A collector blocked on a slow server only sees the stop after its request. Rather than wait
        for it, take the process-wide write lock (so no transaction is half-done) and exit: the cut
        runs stay 'running' and their next run closes them as 'aborted' and re-reads what they missed,
        exactly as after a kill -9.
        """
        from store import db as store_db

        with self._count_lock:
            busy = sorted(self._active)
        store_db._WRITE_LOCK.acquire()  # held until the process ends: the current write completes first
        log.warning(
            "stopping after %.0f s with %s still busy (a source not answering, a long pass, a database lock "
            "or an alert being delivered); a collection cut short shows as aborted once its source runs again",
            grace,
            ", ".join(busy),
            extra={"event": "stopped", "cut_short": busy},
        )
        logging.shutdown()
        os._exit(self.guard.exit_status)


def write_snapshot(
    db_path: Path, folder: Path, *, unchanged_since: tuple[Any, ...] | None = None, items: bool = True
) -> tuple[Any, ...] | None:
    """:func:`ops.snapshot.export_snapshot`, logged; returns the fingerprint of what the item files hold."""
    written = export_snapshot(db_path, folder, unchanged_since=unchanged_since, items=items)
    log.info(
        "snapshot refreshed in %.2f s (%s)",
        written.seconds,
        ", ".join(written.tables),
        extra={
            "event": "snapshot",
            "folder": str(folder),
            "tables": list(written.tables),
            "seconds": round(written.seconds, 3),
        },
    )
    return written.fingerprint
