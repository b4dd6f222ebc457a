"""Opening the DuckDB file: briefly, for one batch of writes, so analysts can read between batches.

DuckDB lets one process write a file at a time (and a writer locks out readers in other processes),
so the pipeline does not keep the file open while it waits on the network: a write opens the file,
runs one short transaction and closes it. Lock conflicts are retried with backoff.

Opening and closing cost about 0.1 s (the close checkpoints the WAL), which dominates a batch of many
small writes; inside :func:`holding` the connection stays open between writes that follow each other
closely and is closed after ``idle`` seconds without one, so a batch that is busy writing pays the
open once, and one that waits on slow sources still lets analysts in.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from errors import InputError, StoreError, StoreLocked
from store import migrations
from store.db_damage import damage_error, damage_hint, is_damage
from store.migrations import apply_migrations

log = logging.getLogger(__name__)

DEFAULT_DB = Path("data/monitor.duckdb")
_migrated: set[str] = set()  # files already migrated by this process
_checked: set[str] = set()  # files whose schema a read-only open of this process has checked
# Sources collected in parallel threads write one at a time: transactions stay short and never conflict.
_WRITE_LOCK = threading.RLock()
# Set by a stop request (SIGTERM, Ctrl-C): a wait for another process's lock ends at once, instead of
# after up to ``wait`` seconds per source, which four sources took past systemd's stop timeout.
_STOP_WAITING = threading.Event()
# Per file: when this process first found it locked by another process, and when it last did.
_LOCKED_SINCE: dict[str, tuple[float, float]] = {}
# A wait for another process's lock is said to a caller's ``on_wait`` once it has lasted this long (the
# INFO log has it from the first conflict), and its end, in both, when it lasted this long: `reclassify`
# waited up to an hour without a word unless --debug (an analyst's query holds the file for a moment).
LOCK_WAIT_NOTICE_AFTER = 5.0
# Files this process holds on to, by absolute path (not resolved: the folder may be gone): their
# (device, inode) when pinned. A write there never creates the folder or a new database again.
_PINNED: dict[str, tuple[int, int]] = {}


class DatabaseGone(StoreError):
    """The database file this process opened was removed (or its folder) or replaced by another file."""


class LockWaitStopped(StoreLocked):
    """A stop was requested while waiting for another process's database lock."""

    run_status = "aborted"  # stopped on request: not the source's failure, nor a failed write


@contextmanager
def stoppable_lock_waits() -> Iterator[Callable[[], None]]:
    """A block (a command's run) whose lock waits the yielded function ends at once, on a stop
    request; after the block, whatever ended it, lock waits last their time again."""
    try:
        yield _STOP_WAITING.set
    finally:
        _STOP_WAITING.clear()


def require_database(path: Path) -> None:
    """InputError unless the database file exists: for commands that would otherwise create a
    mistyped --db empty, or open nothing, and go on."""
    if not path.exists():
        raise InputError("no database here yet; run the pipeline first (or check --db)", path=str(path))


# What this monitor leaves beside its database file (docs/OPERATIONS.md): the sources' lock folder, the
# lock file of `schedule`, DuckDB's write-ahead log, the review page's key. DuckDB itself drops a `.wal`
# whose file is gone when it makes a new one.
_LEFTOVERS = (".locks", ".schedule.lock", ".wal", ".review-key")


def leftovers_of(path: str | Path) -> list[Path]:
    """What lies beside ``path`` (or beside the file a symlink there points to) that a database there
    left: evidence that one was there, when it is missing now."""
    places = dict.fromkeys([os.path.abspath(path), str(Path(path).resolve())])
    return [Path(place + end) for end in _LEFTOVERS for place in places if os.path.lexists(place + end)]


def refuse_lost_database(path: str | Path, *, new: bool = False, new_option: str | None = "--new-db") -> None:
    """StoreError when the database file is missing but what it leaves beside it is there: a disk not
    mounted, the file deleted or moved away. A command would make a new, empty database there and go on,
    the data then split across two files (a cron `run` did, for months). ``new``: the person asked for a
    new database on purpose (``new_option``, which the message names; None: the command has none)."""
    path = Path(path)
    if path.exists():
        if new:
            raise StoreError(
                f"{new_option}: there is a database here already; leave the option out", path=str(path)
            )
        return
    found = leftovers_of(path)
    if not found:
        return  # a first start: the database is made, as always
    names = ", ".join(p.name for p in found)
    if new:
        wal = [p for p in found if p.name.endswith(".wal")]
        if wal:  # the missing file's last writes: DuckDB would delete it
            raise StoreError(
                f"{new_option}: move {wal[0]} away first; it belongs to the missing database file",
                path=str(path),
            )
        log.warning(
            "%s: beginning a new, empty database (%s asked for it; %s were there)", path, new_option, names
        )
        return
    advice = (
        f"or, to begin a new, empty database here on purpose, run the command once with {new_option}"
        if new_option
        else "or check --db"
    )
    raise StoreError(
        f"the database file is missing, but {names} beside it show one was here (a disk not mounted, the "
        f"file deleted or moved?); nothing was done: restore the file or mount its disk, {advice}",
        path=str(path),
    )


def pin_database(path: str | Path) -> None:
    """From now on, open ``path`` only while it is the file there now (its device and inode): once it is
    removed, or its folder, or replaced, :func:`connect` raises DatabaseGone instead of creating the
    folder and an empty database, into which the writes would go on (`schedule`, ops/db_guard.py)."""
    info = os.stat(path)
    _PINNED[os.path.abspath(path)] = (info.st_dev, info.st_ino)


def unpin_database(path: str | Path) -> None:
    """Undo :func:`pin_database` (a new start takes whatever file is there)."""
    _PINNED.pop(os.path.abspath(path), None)


def check_pinned(path: str | Path) -> None:
    """DatabaseGone when ``path`` is pinned and no longer the file it was; nothing when it is not pinned."""
    pinned = _PINNED.get(os.path.abspath(path))
    if pinned is None:
        return
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise DatabaseGone(
            "the database file (or its folder) was removed after this process opened it; "
            "no new, empty one is made in its place: restore it, or start again to begin a new one",
            path=str(path),
        ) from None
    except OSError as exc:  # a folder that can no longer be searched: DuckDB says it when it opens
        log.debug("cannot check %s: %s", path, exc)
        return
    if (info.st_dev, info.st_ino) != pinned:
        raise DatabaseGone(
            "the database file was replaced by another file after this process opened it; "
            "start again to use the new one",
            path=str(path),
        )


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflict" in text or "could not set" in text)


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait: float = 30.0,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the database file (creating and migrating it when writable), retrying lock conflicts for up
    to ``wait`` s (counted from when this process found the file locked, when its other writers are
    waiting already). A wait past ``LOCK_WAIT_NOTICE_AFTER`` s is said to ``on_wait`` once when it has
    lasted that long, and once when it ends with the file opened (without ``on_wait``: INFO log lines
    at the first conflict and at such an end)."""
    path = Path(path)
    check_pinned(path)  # before the folder or the file is made again
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the database: {exc.strerror}", path=str(path)
            ) from None
    elif not path.exists():
        raise StoreError("no database here yet; run the pipeline first", path=str(path))
    if _is_sqlite(path):
        # DuckDB would open it with its sqlite extension, downloading that from the internet first,
        # and then write the monitor's tables into it
        raise StoreError("cannot open the database: this is an SQLite file, not a DuckDB one", path=str(path))
    key = str(path.resolve())
    made = not read_only and not path.exists()  # said once made (cron's cwd `/` made one unseen)
    started = _lock_wait_started(key)  # a wait this process's other writers are in already counts
    delay = 0.05
    said = False  # whether this wait was said (it is said once, and its end once)
    notice = on_wait or log.info
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            _LOCKED_SINCE.pop(key, None)
            if said and time.monotonic() - started >= LOCK_WAIT_NOTICE_AFTER:
                notice(
                    f"{path}: the database lock is free after waiting {_duration(time.monotonic() - started)}; "
                    "going on"
                )
            break
        except duckdb.IOException as exc:
            if not _is_lock_conflict(exc):
                raise StoreError(
                    f"cannot open the database: {_first_line(exc)}{damage_hint(exc)}", path=str(path)
                ) from None
            if _STOP_WAITING.is_set():
                raise LockWaitStopped(
                    "stopped on request while another process held the database lock", path=str(path)
                ) from None
            now = time.monotonic()
            _LOCKED_SINCE[key] = (started, now)
            if now >= started + wait:
                raise StoreLocked(
                    f"another process holds the database lock (waited {now - started:.0f} s)", path=str(path)
                ) from None
            if delay == 0.05:  # the first conflict: in the log (`schedule`'s at INFO) at once, as before
                level = logging.DEBUG if on_wait else logging.INFO
                log.log(
                    level, "%s: another process holds the database lock; waiting up to %.0f s", path, wait
                )
                said = on_wait is None  # the log has it; its end is said once it lasted (below)
            if on_wait is not None and not said and now - started >= LOCK_WAIT_NOTICE_AFTER:
                said = True  # a person at the terminal hears of a wait that lasts, not of each brief one
                notice(
                    f"{path}: another process holds the database lock; waiting for it, up to "
                    f"{_duration(wait)} in all ({_duration(now - started)} so far)"
                )
            _STOP_WAITING.wait(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)  # short: an analyst's query holds the lock briefly
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot open the database: {_first_line(exc)}{damage_hint(exc)}", path=str(path)
            ) from None
    try:
        check_pinned(path)  # removed between the check above and the open, which made a new file
    except DatabaseGone:
        con.close()
        raise
    if read_only:
        return _brought_up_to_date(con, path, wait)
    try:
        if key not in _migrated:
            foreign = _tables_of_another_program(con)
            if foreign:
                con.close()
                raise StoreError(
                    f"not a database of this monitor (it holds {', '.join(foreign)}); check --db",
                    path=str(path),
                )
            apply_migrations(con)
            _migrated.add(key)
            if made:
                log.info("a new database at %s", os.path.abspath(path))
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"cannot prepare the database: {_first_line(exc)}", path=str(path)) from None
    return con


def _tables_of_another_program(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The first tables of a file that has tables but no migration record: another program's DuckDB
    file, which a mistyped --db would have filled with this monitor's tables (or failed on halfway)."""
    tables = [
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND NOT temporary ORDER BY table_name"
        ).fetchall()
    ]
    return [] if not tables or "schema_migrations" in tables else tables[:3]


def _duration(seconds: float) -> str:
    """``seconds`` as a person reads it: 42 s, 12 min, 1 h."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h".replace(".0 h", " h")


def _lock_wait_started(key: str) -> float:
    """When the wait for another process's lock on ``key`` began: now, or, when this process has been
    finding the file locked until a moment ago (the threads of parallel sources queue behind each
    other's waits), when it first found it so; four sources waited 30 s each, one after another."""
    now = time.monotonic()
    since, seen = _LOCKED_SINCE.get(key, (now, 0.0))
    return since if now - seen < 1.0 else now


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:  # missing, a folder, unreadable: DuckDB names the problem
        return False


def _brought_up_to_date(con: duckdb.DuckDBPyConnection, path: Path, wait: float) -> duckdb.DuckDBPyConnection:
    """``con`` (read-only), or, when the file misses migrations of this code (the code was upgraded
    and nothing has written since), a new read-only connection after one short write that applies them."""
    key = str(path.resolve())
    if key in _migrated or key in _checked:
        return con
    _checked.add(key)
    try:
        done = {row[0] for row in con.execute("SELECT name FROM schema_migrations").fetchall()}
    except duckdb.Error:
        return con  # not a file of ours (or an empty one): leave it as it is
    if all(name in done for name, _ in migrations.MIGRATIONS):
        return con
    con.close()
    try:
        connect(path, wait=wait).close()  # applies the missing migrations
        log.info("applied this version's schema migrations before reading %s", path)
    except StoreError as exc:  # a read-only file, or the lock held too long: read what is there
        log.warning("%s; reading it without this version's schema migrations", exc)
    return connect(path, read_only=True, wait=wait)


class _Held:
    """A write connection kept open by :func:`holding`, closed when idle."""

    def __init__(
        self, path: Path, idle: float, wait: float | None = None, on_wait: Callable[[str], None] | None = None
    ) -> None:
        self.path = path
        self.idle = idle
        self.wait = wait  # how long opening it waits for another process's lock; None: the writer's own
        self.on_wait = on_wait  # who hears of a long wait for that lock (connect's on_wait)
        self.con: duckdb.DuckDBPyConnection | None = None
        self.last_used = time.monotonic()
        self.depth = 1
        self.pinned: str | None = None  # the file this block pinned at its first open, unpinned at its end
        self.stop = threading.Event()
        self.closer = threading.Thread(target=self._close_when_idle, name="db-idle-closer", daemon=True)
        self.closer.start()

    def _close_when_idle(self) -> None:
        while not self.stop.wait(min(0.25, self.idle / 2)):
            with _WRITE_LOCK:
                if self.con is not None and time.monotonic() - self.last_used >= self.idle:
                    self.release()

    def release(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


_HELD: dict[str, _Held] = {}


@contextmanager
def holding(
    path: str | Path,
    *,
    idle: float = 1.0,
    wait: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Within the block, :func:`writer` on ``path`` reuses one connection, closed after ``idle`` s unused;
    the file first opened is pinned (:func:`pin_database`) for the block: a long `run` whose database
    is removed meanwhile ends with DatabaseGone rather than going on into a new, empty file. ``wait``:
    how long each opening of the connection (in any thread) waits for another process's lock, in place
    of the writer's own (`reclassify`, a manual job, waits an hour); the outermost block's counts, as
    does its ``on_wait`` (:func:`connect`: who hears that such a wait lasts)."""
    key = str(Path(path).resolve())
    with _WRITE_LOCK:
        held = _HELD.get(key)
        if held is None:
            held = _HELD[key] = _Held(Path(path), idle, wait, on_wait)
        else:
            held.depth += 1
    try:
        yield
    finally:
        with _WRITE_LOCK:
            held.depth -= 1
            if held.depth == 0:
                held.stop.set()
                held.release()
                _HELD.pop(key, None)
                if held.pinned is not None:
                    unpin_database(held.pinned)


def let_go(path: str | Path) -> None:
    """Close the connection :func:`holding` keeps open on ``path`` now rather than after its idle time:
    before work without the database (scoring a page of texts), so that a process waiting for the file
    (:func:`connect` tries again every 0.25 s or so) gets in meanwhile. The next :func:`writer` opens it
    again. `reclassify` wrote a page faster than the idle second and kept the file for its whole run."""
    with _WRITE_LOCK:
        held = _HELD.get(str(Path(path).resolve()))
        if held is not None:
            held.release()


@contextmanager
def writer(path: str | Path, *, wait: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection for one short transaction; committed on success, rolled back on error, closed
    afterwards (or, inside :func:`holding`, kept for the next write)."""
    with _WRITE_LOCK:
        held = _HELD.get(str(Path(path).resolve()))
        if held is not None:
            if held.con is None:
                held.con = connect(path, wait=wait if held.wait is None else held.wait, on_wait=held.on_wait)
                if held.pinned is None and os.path.abspath(path) not in _PINNED:
                    pin_database(path)
                    held.pinned = os.path.abspath(path)
            else:
                check_pinned(path)  # a connection kept open would write on into a removed file
            con = held.con
        else:
            con = connect(path, wait=wait)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except duckdb.Error as exc:
                _roll_back(con)
                check_pinned(path)  # a write that failed because the file or its folder is gone says so
                if is_damage(exc, path):
                    raise damage_error(exc, path) from None
                raise
            except BaseException:
                con.execute("ROLLBACK")
                raise
            try:
                con.execute("COMMIT")
            except duckdb.Error as exc:
                check_pinned(path)
                raise StoreError(f"cannot write the database: {_first_line(exc)}", path=str(path)) from None
        finally:
            if held is None:
                con.close()
            else:
                held.last_used = time.monotonic()


@contextmanager
def reader(path: str | Path, *, wait: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, closed on exit (inside :func:`holding`, the held connection is lent)."""
    held = _HELD.get(str(Path(path).resolve()))
    if held is not None:
        with writer(path, wait=wait) as con:  # the same process cannot open the file twice
            yield con
        return
    con = connect(path, read_only=True, wait=wait)
    try:
        yield con
    except duckdb.Error as exc:
        if is_damage(exc, path):
            raise damage_error(exc, path) from None
        raise
    finally:
        con.close()


def _roll_back(con: duckdb.DuckDBPyConnection) -> None:
    # after a fatal error the connection refuses even the rollback; the error to report is the first one
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        log.debug("rollback failed", exc_info=True)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
