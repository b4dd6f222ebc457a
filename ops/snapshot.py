"""The analysts' Parquet snapshot: each table exported to a file that is replaced atomically.

The scheduler (ops/scheduler.py) decides when: the small tables (runs, source_state) are rewritten
after every batch, the item tables (items, classifications, flagged) when they changed, at most every
``snapshot_minutes`` (default 5): they grow with the store, and rewriting them after each of hundreds
of batches an hour would cost more than the batches. Changes that wait are written once that time has
passed, by the next batch or by the scheduler's main loop if none comes, and at the end of ``--once``.
A snapshot folder that cannot be written stops the start (one error line), and later costs only the
snapshot of that batch: it is logged and tried again after the next one (by the main loop, at most
once a minute).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from errors import MonitorError
from store.db import writer

# flagged last: once its file exists, the first snapshot is whole
SNAPSHOT_TABLES = ("items", "classifications", "runs", "source_state", "flagged")
RUN_TABLES = ("runs", "source_state")  # small: rewritten after every batch
# Changes whenever items, classifications or flagged do: a batch (or another process) stored, edited,
# clustered or classified items, or a reviewer decided; the hash of the content hashes also sees a
# text rewritten in place without a new version (the WhatsApp phone scrub). Aggregates: cheap.
ITEMS_FINGERPRINT = """
    SELECT (SELECT (count(*), sum(version), count(cluster_id), bit_xor(hash(content_hash))) FROM items),
           (SELECT (count(*), max(classified_at)) FROM classifications),
           (SELECT max(review_id) FROM reviews), (SELECT max(decision_id) FROM label_decisions)
"""


class SnapshotError(MonitorError):
    """The snapshot folder cannot be written (not a folder, read-only, full); the database is fine."""

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(f"cannot write the snapshot: {reason}", path=str(folder))
        self.reason = reason  # the system's words: "Permission denied", "No space left on device"


@dataclass(slots=True)
class SnapshotWritten:
    """What :func:`export_snapshot` wrote."""

    fingerprint: tuple[Any, ...] | None  # ITEMS_FINGERPRINT of what the item files now hold
    tables: tuple[str, ...]
    seconds: float


def export_snapshot(
    db_path: Path, folder: Path, *, unchanged_since: tuple[Any, ...] | None = None, items: bool = True
) -> SnapshotWritten:
    """Export the analysts' tables to Parquet files, each replaced atomically (readers never see half a file).

    runs and source_state always; items, classifications and flagged when ``items`` and
    ITEMS_FINGERPRINT no longer equals ``unchanged_since`` (the fingerprint returned is then
    ``unchanged_since`` when the item files were left as they were). Raises SnapshotError, naming the
    folder and the system's reason, when the folder cannot be written."""
    started = time.monotonic()
    # Files someone deleted (or a folder emptied) are written again whatever the fingerprint says: the
    # item tables would otherwise stay missing until the next change of an item.
    missing = any(not (folder / f"{table}.parquet").exists() for table in SNAPSHOT_TABLES)
    with writer(db_path) as con:
        fingerprint = (
            tuple(con.execute(ITEMS_FINGERPRINT).fetchall()[0]) if items or missing else unchanged_since
        )
        tables = RUN_TABLES if fingerprint == unchanged_since and not missing else SNAPSHOT_TABLES
        for table in tables:
            _export(con, table, folder)
    return SnapshotWritten(fingerprint, tables, time.monotonic() - started)


def remove_stale_files(folder: Path) -> None:
    """Remove what a process killed mid-write left (one scheduler per database: none is being written)."""
    for stale in folder.glob(".*.parquet.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


def _export(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> None:
    """One table to ``<folder>/<table>.parquet`` through a temporary file renamed over it."""
    target = folder / f"{table}.parquet"
    tmp = folder / f".{table}.parquet.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.open("wb").close()  # the system's own words for an unwritable folder, before DuckDB's
        con.execute(f"COPY (SELECT * FROM {table}) TO '{_sql_path(tmp)}' (FORMAT parquet)")
        tmp.replace(target)
    except (OSError, duckdb.IOException) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else _duckdb_reason(exc)
        raise SnapshotError(folder, reason) from None


def _duckdb_reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].removeprefix("IO Error: ") if text else type(exc).__name__


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
