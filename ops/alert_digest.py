"""What an alert digest holds: the newly flagged items and the sources that need a person, read from
the database for one channel, and the record (table ``alerts_sent``) of what each channel delivered.
``ops.alerts`` sends the digests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from collectors.dates import ALMATY, almaty_time
from config.sources import DEFAULT_BACKOFF_CAP_MINUTES
from ops.health import SourceHealth, backoff_end, sources_needing_attention

LOCAL_TZ = ALMATY  # right on a tz database older than 2024 too
LABEL_COLUMNS = ("corruption", "infrastructure")
SNIPPET = 280
DEFAULT_LONGEST_BACKOFF = timedelta(minutes=DEFAULT_BACKOFF_CAP_MINUTES)  # Config.longest_backoff() unset


@dataclass(slots=True)
class FlaggedItem:
    """A flagged item as a digest lists it."""

    source: str
    external_id: str
    kind: str
    url: str | None
    title: str | None
    text: str
    published_at: datetime | None
    labels: list[str]
    scores: dict[str, float]

    @property
    def key(self) -> str:
        """The item's key in ``alerts_sent``."""
        return f"item:{self.source}|{self.external_id}"

    @property
    def score(self) -> float:
        """The highest score among its labels."""
        return max((self.scores.get(label, 0.0) for label in self.labels), default=0.0)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form sent to a webhook."""
        return {
            "source": self.source,
            "external_id": self.external_id,
            "kind": self.kind,
            "url": self.url,
            "title": self.title,
            "text": _snippet(self.text),
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "labels": self.labels,
            "scores": self.scores,
        }


@dataclass(slots=True)
class SourceAlert:
    """A source that needs a person."""

    health: SourceHealth
    reason: str  # token | permission | failures | silent
    # when it is tried again (ops.health.backoff_end, as the scheduler reads next_due); None: at its next slot
    next_try: datetime | None = None

    @property
    def key(self) -> str:
        """The incident's key in ``alerts_sent``."""
        return self.health.alert_key(self.reason)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form sent to a webhook."""
        h = self.health
        return {
            "source": h.source,
            "reason": self.reason,
            "status": h.status,
            "consecutive_failures": h.consecutive_failures,
            "last_success": h.last_success.isoformat() if h.last_success else None,
            "next_try": self.next_try.isoformat() if self.next_try else None,
            "error": h.error,
            "last_new_item": h.last_new_item.isoformat() if h.last_new_item else None,
        }


@dataclass(slots=True)
class Digest:
    """What one channel has to announce after one batch."""

    channel: str
    batch: str
    items: list[FlaggedItem] = field(default_factory=list)  # every pending item; the message lists max_items
    sources: list[SourceAlert] = field(default_factory=list)

    def empty(self) -> bool:
        """Nothing to announce."""
        return not self.items and not self.sources

    def keys(self) -> list[str]:
        """Every key this digest covers."""
        return [i.key for i in self.items] + [s.key for s in self.sources]

    def subject(self) -> str:
        """A one-line summary, used as the e-mail subject."""
        parts = []
        if self.items:
            parts.append(f"{len(self.items)} new flagged item{'s' if len(self.items) != 1 else ''}")
        if self.sources:
            n = len(self.sources)
            parts.append(f"{n} source needs attention" if n == 1 else f"{n} sources need attention")
        return "[monitor] " + ", ".join(parts)

    def payload(self, max_items: int) -> dict[str, Any]:
        """The JSON body of a webhook call."""
        return {
            "type": "monitor.digest",
            "batch": self.batch,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "summary": self.subject(),
            "flagged_total": len(self.items),
            "items": [i.as_dict() for i in self.items[:max_items]],
            "sources": [s.as_dict() for s in self.sources],
        }

    def text(self, max_items: int) -> str:
        """The plain-text body of an e-mail."""
        now = datetime.now(LOCAL_TZ)
        lines = [f"{self.subject()[10:]} ({now:%Y-%m-%d %H:%M} Asia/Almaty, batch {self.batch})", ""]
        if self.sources:
            lines.append("Sources that need a person:")
            for s in self.sources:
                h = s.health
                what = {
                    "token": "the access token is missing or expired: issue a new one",
                    "permission": "the token lacks a permission: grant it",
                    "failures": f"failed {h.consecutive_failures} times in a row"
                    if h.consecutive_failures != 1
                    else "failed its last run",
                    "silent": _silence(h),
                }[s.reason]
                last = (
                    f"last success {almaty_time(h.last_success):%Y-%m-%d %H:%M}"
                    if h.last_success
                    else "never succeeded"
                )
                lines.append(f"- {h.source}: {what} ({last})")
                if h.error:
                    lines.append(f"    {h.error[:300]}")
            lines.append("")
        if self.items:
            lines.append(f"Flagged items ({len(self.items)}):")
            for item in self.items[:max_items]:
                scores = ", ".join(f"{label} {item.scores.get(label, 0.0):.2f}" for label in item.labels)
                when = f" {almaty_time(item.published_at):%Y-%m-%d %H:%M}" if item.published_at else ""
                lines.append(f"- [{scores}] {item.source}/{item.kind}{when} {item.url or item.external_id}")
                lines.append(f"    {_snippet(item.text)}")
            if len(self.items) > max_items:
                lines.append(f"... and {len(self.items) - max_items} more (see the review page)")
        return "\n".join(lines) + "\n"


def _snippet(text: str) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 1] + "…"


def pending_items(con: duckdb.DuckDBPyConnection, channel: str, alerts: dict[str, Any]) -> list[FlaggedItem]:
    """Flagged, unreviewed items scoring at least min_score on an alerting label, not yet sent on ``channel``."""
    min_score = float(alerts.get("min_score", 0.0))
    wanted = alerts.get("labels")
    wanted_labels = set(wanted) if wanted else None
    # Which items first, on narrow columns (with the texts through the view, every flagged text of the
    # store was read each batch: 0.77 s at 500,000 items); the texts of the listed ones below.
    rows = con.execute(
        """
        SELECT f.source, f.external_id, f.labels, f.corruption, f.infrastructure, f.reviewer_labels
        FROM flagged f
        WHERE f.review_status = 'new'
          AND NOT EXISTS (SELECT 1 FROM alerts_sent a
                          WHERE a.channel = ? AND a.key = 'item:' || f.source || '|' || f.external_id)
        """,
        [channel],
    ).fetchall()
    items = []
    for source, ext, labels, corr, infra, by_reviewer in rows:
        scores = {"corruption": float(corr or 0.0), "infrastructure": float(infra or 0.0)}
        # A label a reviewer added (second look) was seen by a person already: alerts are the model's flags.
        chosen = [
            lab
            for lab in labels
            if lab not in by_reviewer and (wanted_labels is None or lab in wanted_labels)
        ]
        item = FlaggedItem(source, ext, "", None, None, "", None, chosen, scores)
        if chosen and item.score >= min_score:
            items.append(item)
    items.sort(key=lambda i: (-i.score, i.source, i.external_id))
    # The texts of the items a message lists only: alerts switched on over a store of a million flagged
    # items read every text (60 s and 5 GB a batch) to list fifty.
    shown = items[: int(alerts.get("max_items", 50))]
    details = {
        (source, ext): rest
        for source, ext, *rest in con.execute(
            """
            WITH k AS (SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS external_id)
            SELECT i.source, i.external_id, i.kind, i.url, i.title, i.text, i.published_at
            FROM k JOIN items i USING (source, external_id)
            """,
            [[i.source for i in shown], [i.external_id for i in shown]],
        ).fetchall()
    }
    for item in shown:
        item.kind, item.url, item.title, text, item.published_at = details[(item.source, item.external_id)]
        item.text = text or ""
    return items


def _silence(h: SourceHealth) -> str:
    """What to tell a person about a silent source."""
    if h.last_new_item is None:
        return "its runs succeed but it has never brought an item: check its address and selectors"
    return (
        f"no new item since {almaty_time(h.last_new_item):%Y-%m-%d %H:%M} although its runs succeed: check that "
        "the site, feed or channel still publishes there (address, page layout, selectors)"
    )


def pending_sources(
    con: duckdb.DuckDBPyConnection,
    channel: str,
    alerts: dict[str, Any],
    silent_hours: Mapping[str, float] | None = None,
    longest_backoff: timedelta = DEFAULT_LONGEST_BACKOFF,
) -> list[SourceAlert]:
    """Source incidents (expired token, missing permission, N failures in a row, silence) not yet sent
    on ``channel``; their next try as the scheduler reads it, a back-off past ``longest_backoff``
    (``Config.longest_backoff()``) being none."""
    sent = {
        row[0]
        for row in con.execute(
            "SELECT key FROM alerts_sent WHERE channel = ? AND key LIKE 'source:%'", [channel]
        ).fetchall()
    }
    failures = int(alerts.get("failures", 3))
    now = datetime.now(UTC)
    found = [
        SourceAlert(h, reason, backoff_end(h.next_due, now, longest_backoff))
        for h, reason in sources_needing_attention(con, failures, silent_hours, now)
    ]
    return [a for a in found if a.key not in sent]


def build_digest(
    con: duckdb.DuckDBPyConnection,
    channel: str,
    alerts: dict[str, Any],
    batch: str,
    silent_hours: Mapping[str, float] | None = None,
    longest_backoff: timedelta = DEFAULT_LONGEST_BACKOFF,
) -> Digest:
    """Everything ``channel`` has not announced yet."""
    return Digest(
        channel,
        batch,
        pending_items(con, channel, alerts),
        pending_sources(con, channel, alerts, silent_hours, longest_backoff),
    )


def mark_sent(con: duckdb.DuckDBPyConnection, channel: str, keys: list[str]) -> None:
    """Remember that ``channel`` delivered these keys."""
    if not keys:
        return
    import pyarrow as pa

    table = pa.table({"key": sorted(set(keys))})
    con.register("sent_keys", table)
    try:
        con.execute(
            "INSERT INTO alerts_sent SELECT ?, key, ? FROM sent_keys ON CONFLICT DO NOTHING",
            [channel, datetime.now(UTC)],
        )
    finally:
        con.unregister("sent_keys")
