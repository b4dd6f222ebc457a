"""What `schedule` does when its database file goes away under it.

At start-up the scheduler pins the file it opened (store.db.pin_database: its device and inode). When
that file is removed afterwards (or its folder), or replaced by another file, store/db.py opens nothing
in its place: before, the next write made the folder and an empty database again, every batch then
failed on missing tables, a second `schedule` could start beside this one (its lock file had gone with
the folder) and set the new file up, and this one carried on into it without a word.

The guard is checked every second by the main loop and by every job that meets the error. It says it
once, as an error naming the path, and stops the scheduler, which lets the running jobs end and exits
with a status of its own, 3, which the documented systemd unit does not restart
(RestartPreventExitStatus=3): restarted, it would begin a new, empty database where the file was (a data
disk gone: under the bare mount point) without anyone having looked (review). A person restores the
file, or starts the service again to begin a new one.

Only a removal, or a replacement by rename (mv, rsync, os.replace), is seen: a copy written over the
file (`cp backup.duckdb monitor.duckdb`) keeps its inode, and is a restore to make with the service
stopped (docs/OPERATIONS.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from errors import MonitorError
from store.db import DatabaseGone, check_pinned, pin_database, unpin_database

log = logging.getLogger(__name__)

# Not 1 (any failure, which Restart=on-failure restarts): the documented unit has RestartPreventExitStatus=3.
EXIT_DATABASE_GONE = 3


class DatabaseGuard:
    """The scheduler's hold on its database file; ``stop`` asks the scheduler to stop."""

    def __init__(self, db_path: Path, stop: Callable[[], None]) -> None:
        self.db_path = db_path
        self._stop = stop
        self.lost: DatabaseGone | None = None
        self._lock = threading.Lock()

    @contextmanager
    def pinning(self) -> Iterator[None]:
        """Around the start-up write: a new start takes the file there now (making it when there is none),
        and pins it once the block has written it."""
        unpin_database(self.db_path)
        yield
        pin_database(self.db_path)

    def tick(self, then: Callable[[], None]) -> None:
        """Check the file, then run ``then`` (the main loop's work); a file gone stops the scheduler."""
        try:
            check_pinned(self.db_path)
            then()
        except DatabaseGone as exc:
            self.handled(exc)

    def handled(self, exc: MonitorError) -> bool:
        """Whether ``exc`` is the database file gone, then said (once) and the scheduler stopped; a
        job's other errors are its own to log."""
        if not isinstance(exc, DatabaseGone):
            return False
        with self._lock:
            first = self.lost is None
            if first:
                self.lost = exc
        if first:
            log.error(
                "%s; the scheduler stops with exit status %d, which the documented systemd unit does not "
                "restart (RestartPreventExitStatus=%d): a person decides which database it starts on",
                exc,
                EXIT_DATABASE_GONE,
                EXIT_DATABASE_GONE,
                extra={"event": "database_gone", "db": str(self.db_path), "error": exc.message},
            )
        self._stop()
        return True

    @property
    def exit_status(self) -> int:
        """The scheduler's exit status: 0, or EXIT_DATABASE_GONE once its database file went away."""
        return 0 if self.lost is None else EXIT_DATABASE_GONE

    @property
    def stopped(self) -> str:
        """The scheduler's last line: why it stopped."""
        if self.lost is None:
            return "scheduler stopped cleanly"
        return f"scheduler stopped: its database file went away (exit status {EXIT_DATABASE_GONE})"
