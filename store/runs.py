"""The run log (table ``runs``) and each source's cursor and health (table ``source_state``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

# Statuses of a finished run that are its source's failure; ``aborted`` (stopped on request) is not.
FAILED = frozenset({"failed", "token", "permission", "throttled"})


@dataclass(slots=True)
class RunRecord:
    """One run of one source, as it ends up in ``runs``."""

    source: str
    kind: str
    started_at: datetime
    run_id: int | None = None
    finished_at: datetime | None = None
    status: str = "running"
    fetched: int = 0
    new: int = 0
    updated: int = 0
    problems: int = 0
    error: str | None = None
    requests: int = 0
    bytes: int = 0
    not_modified: int = 0
    problem_messages: list[str] = field(default_factory=list)
    # Not stored: the cron slot a job of `schedule` ran for, which its back-off is counted from (a run
    # starts a little after its slot; counted from then, the back-off passed the slot it should end in)
    slot: datetime | None = None


def start_run(con: duckdb.DuckDBPyConnection, run: RunRecord) -> int:
    """Insert the run as 'running' and return its id."""
    row = con.execute(
        "INSERT INTO runs (source, kind, started_at, status) VALUES (?, ?, ?, 'running') RETURNING run_id",
        [run.source, run.kind, run.started_at],
    ).fetchone()
    run.run_id = int(row[0])
    return run.run_id


def finish_run(con: duckdb.DuckDBPyConnection, run: RunRecord) -> None:
    """Write the run's outcome and counts."""
    con.execute(
        """
        UPDATE runs SET finished_at = ?, status = ?, fetched = ?, new = ?, updated = ?, problems = ?,
                        error = ?, requests = ?, bytes = ?, not_modified = ?
        WHERE run_id = ?
        """,
        [
            run.finished_at or datetime.now(UTC),
            run.status,
            run.fetched,
            run.new,
            run.updated,
            run.problems,
            run.error,
            run.requests,
            run.bytes,
            run.not_modified,
            run.run_id,
        ],
    )


@dataclass(slots=True)
class SourceState:
    """A source's cursor and health."""

    source: str
    state: dict[str, Any] = field(default_factory=dict)
    last_success: datetime | None = None
    consecutive_failures: int = 0
    next_due: datetime | None = None


def load_state(con: duckdb.DuckDBPyConnection, source: str) -> SourceState:
    """The stored state of a source (empty for a new one)."""
    row = con.execute(
        "SELECT state, last_success, consecutive_failures, next_due FROM source_state WHERE source = ?",
        [source],
    ).fetchone()
    if row is None:
        return SourceState(source)
    return SourceState(source, json.loads(row[0]), row[1], int(row[2]), row[3])


def save_state(con: duckdb.DuckDBPyConnection, st: SourceState) -> None:
    """Insert or replace the state of a source."""
    con.execute(
        """
        INSERT INTO source_state (source, state, last_success, consecutive_failures, next_due, updated_at)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (source) DO UPDATE SET state = excluded.state, last_success = excluded.last_success,
            consecutive_failures = excluded.consecutive_failures, next_due = excluded.next_due,
            updated_at = excluded.updated_at
        """,
        [
            st.source,
            json.dumps(st.state, ensure_ascii=False, default=str),
            st.last_success,
            st.consecutive_failures,
            st.next_due,
            datetime.now(UTC),
        ],
    )


def backoff_delay(failures: int, base: timedelta, cap: timedelta) -> timedelta:
    """How long a source that failed ``failures`` times in a row waits: base doubling per failure, capped.
    Counted from the failed run's start, its cron slot under `schedule` (ops/slots.py): counted from its
    end, the slot the wait ends in would be skipped for the seconds the run took."""
    if failures <= 0:
        return timedelta(0)
    return min(cap, base * (2 ** (failures - 1)))


def mark_stale_runs(con: duckdb.DuckDBPyConnection, source: str | None = None) -> int:
    """Close runs left 'running' by a killed process (status 'aborted'); returns how many. Their ``new``
    is what the items table shows they stored (items of the source first stored from the run's start
    to the next run's): a killed run that had stored items said new 0. ``fetched`` and ``updated``
    cannot be told afterwards and stay 0."""
    sql = """
        UPDATE runs SET status = 'aborted', error = 'the process ended before the run finished',
            new = (
                SELECT count(*) FROM items i
                WHERE i.source = runs.source AND i.collected_at >= runs.started_at
                  AND i.collected_at < coalesce(
                      (SELECT min(n.started_at) FROM runs n
                       WHERE n.source = runs.source AND n.run_id > runs.run_id),
                      'infinity'::TIMESTAMPTZ)
            )
        WHERE status = 'running'"""
    params: list[Any] = []
    if source:
        sql += " AND source = ?"
        params.append(source)
    return len(con.execute(sql + " RETURNING run_id", params).fetchall())
