"""Opening the DuckDB file: briefly, for one batch of writes, so analysts can read between batches.

DuckDB lets one process write a file at a time (and a writer locks out readers in other processes),
so the pipeline never keeps the file open while it waits on the network: every write opens the
file, runs one short transaction and closes it. Lock conflicts are retried with backoff.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from errors import StoreError, StoreLocked
from store.migrations import apply_migrations

log = logging.getLogger(__name__)

DEFAULT_DB = Path("data/monitor.duckdb")
_migrated: set[str] = set()  # files already migrated by this process
# Sources collected in parallel threads write one at a time: transactions stay short and never conflict.
_WRITE_LOCK = threading.RLock()


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflict" in text or "could not set" in text)


def connect(path: str | Path, *, read_only: bool = False, wait: float = 30.0) -> duckdb.DuckDBPyConnection:
    """Open the database file (creating and migrating it when writable), retrying lock conflicts for ``wait`` s."""
    path = Path(path)
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the database: {exc.strerror}", path=str(path)
            ) from None
    elif not path.exists():
        raise StoreError("no database here yet; run the pipeline first", path=str(path))
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if _is_lock_conflict(exc) and time.monotonic() < deadline:
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 2.0)
                continue
            if _is_lock_conflict(exc):
                raise StoreLocked(
                    f"another process holds the database lock (waited {wait:.0f} s)", path=str(path)
                ) from None
            raise StoreError(f"cannot open the database: {_first_line(exc)}", path=str(path)) from None
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the database: {_first_line(exc)}", path=str(path)) from None
    if not read_only:
        key = str(path.resolve())
        try:
            if key not in _migrated:
                apply_migrations(con)
                _migrated.add(key)
        except duckdb.Error as exc:
            con.close()
            raise StoreError(f"cannot prepare the database: {_first_line(exc)}", path=str(path)) from None
    return con


@contextmanager
def writer(path: str | Path, *, wait: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection for one short transaction; committed on success, rolled back on error, closed always."""
    with _WRITE_LOCK:
        con = connect(path, wait=wait)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            try:
                con.execute("COMMIT")
            except duckdb.Error as exc:
                raise StoreError(f"cannot write the database: {_first_line(exc)}", path=str(path)) from None
        finally:
            con.close()


@contextmanager
def reader(path: str | Path, *, wait: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, closed on exit."""
    con = connect(path, read_only=True, wait=wait)
    try:
        yield con
    finally:
        con.close()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
