"""Source health for the scheduler: back-off checks and the sources a person must look at.

The runner keeps each source's failures in a row and its back-off (``source_state.next_due``);
this module only reads them, so `status`, the scheduler and the alerts agree on one truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

# Run statuses that only a person can cure (a new token, a granted permission).
NEEDS_PERSON = frozenset({"token", "permission"})
OK_STATUSES = frozenset({"ok", "partial"})


@dataclass(slots=True)
class SourceHealth:
    """One source as the alerts see it."""

    source: str
    status: str | None  # of the last finished run
    consecutive_failures: int
    last_success: datetime | None
    next_due: datetime | None
    error: str | None

    @property
    def reason(self) -> str | None:
        """Why a person should look at this source: 'token', 'permission', 'failures', or None."""
        if self.status in NEEDS_PERSON:
            return self.status
        return None

    def alert_key(self, reason: str) -> str:
        """One key per incident: it changes only when the source succeeds again."""
        since = self.last_success.isoformat() if self.last_success else "never"
        return f"source:{self.source}|{reason}|{since}"


def backed_off_until(con: duckdb.DuckDBPyConnection, source: str, now: datetime) -> datetime | None:
    """The time a backed-off source is due again, or None when it may run now."""
    row = con.execute("SELECT next_due FROM source_state WHERE source = ?", [source]).fetchone()
    if row is None or row[0] is None or row[0] <= now:
        return None
    return row[0]


def source_health(con: duckdb.DuckDBPyConnection) -> list[SourceHealth]:
    """Every source with a state or a finished run: last status, failures in a row, back-off."""
    rows = con.execute(
        """
        WITH last AS (
            SELECT source, status, error FROM runs
            WHERE status <> 'running' AND kind NOT LIKE 'import:%'
            QUALIFY row_number() OVER (PARTITION BY source ORDER BY run_id DESC) = 1
        )
        SELECT coalesce(s.source, l.source), l.status, coalesce(s.consecutive_failures, 0),
               s.last_success, s.next_due, l.error
        FROM source_state s FULL JOIN last l USING (source)
        ORDER BY 1
        """
    ).fetchall()
    return [SourceHealth(*row) for row in rows]


def sources_needing_attention(
    con: duckdb.DuckDBPyConnection, failures: int
) -> list[tuple[SourceHealth, str]]:
    """Sources whose token or permission failed, or that failed ``failures`` times in a row, with the reason."""
    found = []
    for health in source_health(con):
        if health.reason:
            found.append((health, health.reason))
        elif failures > 0 and health.consecutive_failures >= failures and health.status not in OK_STATUSES:
            found.append((health, "failures"))
    return found
