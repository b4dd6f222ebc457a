"""Source health for the scheduler: back-off checks and the sources a person must look at.

A person must look at a source whose token expired or lacks a permission, that failed a number of
times in a row, or that is *silent*: its runs succeed but it has brought no new item for its
``silent_hours`` (a changed page layout, a moved feed or a channel gone private fail no request).
Comments do not count: on a portal whose listing pages changed, comments keep arriving on the
articles it already knows while no new article does.

The runner keeps each source's failures in a row and its back-off (``source_state.next_due``);
this module reads them, so `status`, the scheduler and the alerts agree on one truth, and lifts at
the scheduler's start the back-off of the sources only a person could cure.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from ops.slots import first_slot, trigger_for

log = logging.getLogger(__name__)

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
    last_new_item: datetime | None = None  # when its newest item that is no comment was first stored
    watched_since: datetime | None = None  # start of its first successful run

    def silent_for(self, now: datetime) -> timedelta | None:
        """How long a source whose last run succeeded has brought no new item (from its first
        successful run when it never brought one); None while its last run failed or it never ran."""
        since = self.last_new_item or self.watched_since
        if self.status not in OK_STATUSES or since is None:
            return None
        return now - since

    @property
    def reason(self) -> str | None:
        """Why a person should look at this source: 'token', 'permission', 'failures', or None."""
        if self.status in NEEDS_PERSON:
            return self.status
        return None

    def alert_key(self, reason: str) -> str:
        """One key per incident: it changes only when the source succeeds again (a silence: when
        the source brings a new item)."""
        when = self.last_new_item if reason == "silent" else self.last_success
        since = when.isoformat() if when else "never"
        return f"source:{self.source}|{reason}|{since}"


def clock_ran_ahead(next_due: datetime | None, now: datetime, longest: timedelta) -> bool:
    """Whether a back-off ends further off than the ``longest`` back-off (``backoff_cap_minutes``):
    only a clock that ran ahead, and was set right since, writes such a time (a source was skipped
    for years), so it holds the source no longer."""
    return next_due is not None and next_due > now + longest


def backoff_end(
    next_due: datetime | None, now: datetime, longest: timedelta, *, at: datetime | None = None
) -> datetime | None:
    """When a backed-off source may run again, as the scheduler, `status` and the alert digest all
    read ``source_state.next_due``: None when it may run ``at`` (default ``now``; the scheduler gives
    its job's slot): no back-off, one that ended, or one past the ``longest`` back-off from the real
    ``now`` (:func:`clock_ran_ahead`; from a late job's slot, a back-off a `run` by hand had just set
    read as one: review)."""
    if next_due is None or next_due <= (at or now) or clock_ran_ahead(next_due, now, longest):
        return None
    return next_due


def next_try(
    next_due: datetime | None, now: datetime, longest: timedelta, schedule: str | None = None
) -> datetime | None:
    """When a backed-off source runs again, as `status` tells it (the alerts give the end itself): the first slot of its
    cron ``schedule`` at or after :func:`backoff_end` (the scheduler skips the slots before it), or
    that end itself when the schedule is not known (a source no longer configured); None when no
    back-off holds it."""
    end = backoff_end(next_due, now, longest)
    if end is None or schedule is None:
        return end
    return first_slot(trigger_for(schedule), end) or end


def backed_off_until(
    con: duckdb.DuckDBPyConnection,
    source: str,
    now: datetime,
    longest: timedelta,
    *,
    at: datetime | None = None,
) -> datetime | None:
    """The time a backed-off source is due again, or None when it may run ``at`` (the slot the
    scheduler's job runs for; default ``now``): :func:`backoff_end`; a back-off set by a clock that ran
    ahead is logged as it is ignored."""
    row = con.execute("SELECT next_due FROM source_state WHERE source = ?", [source]).fetchone()
    next_due = row[0] if row else None
    if clock_ran_ahead(next_due, now, longest):
        log.warning(
            "%s: its back-off ends %s, later than any back-off: the clock was ahead; running it",
            source,
            next_due,
        )
    return backoff_end(next_due, now, longest, at=at)


def release_backoffs(con: duckdb.DuckDBPyConnection, now: datetime) -> list[str]:
    """End the back-off of each source whose last run ended for want of a token or a permission (the
    scheduler's start): a person renews those in the service's environment, which only a restart
    brings in, so the restart is the moment to try again, not up to ``backoff_cap_minutes`` later."""
    released = [
        source
        for (source,) in con.execute(
            """UPDATE source_state SET next_due = NULL
               WHERE next_due > ? AND source IN (
                   SELECT source FROM runs WHERE status <> 'running'
                   QUALIFY row_number() OVER (PARTITION BY source ORDER BY run_id DESC) = 1
                       AND status IN ('token', 'permission'))
               RETURNING source""",
            [now],
        ).fetchall()
    ]
    for source in released:
        log.info(
            "%s: its last run lacked a token or a permission; tried at its next slot, not after its back-off",
            source,
            extra={"event": "backoff_released", "source": source},
        )
    return released


def source_health(con: duckdb.DuckDBPyConnection) -> list[SourceHealth]:
    """Every source with a state or a finished run: last status, failures in a row, back-off, and
    when it last brought a new item."""
    rows = con.execute(
        """
        WITH last AS (
            SELECT source, status, error FROM runs
            WHERE status <> 'running' AND kind NOT LIKE 'import:%'
            QUALIFY row_number() OVER (PARTITION BY source ORDER BY run_id DESC) = 1
        ), watched AS (
            SELECT source, min(started_at) AS since FROM runs
            WHERE status IN ('ok', 'partial') AND kind NOT LIKE 'import:%' GROUP BY source
        ), newest AS (  -- comments do not count: they keep coming on old articles when a listing broke
            SELECT source, max(collected_at) AS at FROM items WHERE kind <> 'comment' GROUP BY source
        )
        SELECT coalesce(s.source, l.source), l.status, coalesce(s.consecutive_failures, 0),
               s.last_success, s.next_due, l.error, n.at, w.since
        FROM source_state s FULL JOIN last l USING (source)
        LEFT JOIN newest n ON n.source = coalesce(s.source, l.source)
        LEFT JOIN watched w ON w.source = coalesce(s.source, l.source)
        ORDER BY 1
        """
    ).fetchall()
    return [SourceHealth(*row) for row in rows]


def sources_needing_attention(
    con: duckdb.DuckDBPyConnection,
    failures: int,
    silent_hours: Mapping[str, float] | None = None,
    now: datetime | None = None,
) -> list[tuple[SourceHealth, str]]:
    """Sources whose token or permission failed, that failed ``failures`` times in a row, or that
    ran fine but brought no new item for their ``silent_hours`` (0: never), with the reason."""
    found = []
    for health in source_health(con):
        hours = (silent_hours or {}).get(health.source, 0.0)
        quiet = health.silent_for(now) if hours > 0 and now is not None else None
        if health.reason:
            found.append((health, health.reason))
        elif failures > 0 and health.consecutive_failures >= failures and health.status not in OK_STATUSES:
            found.append((health, "failures"))
        elif quiet is not None and quiet >= timedelta(hours=hours):
            found.append((health, "silent"))
    return found
