"""Alert digests: newly flagged items and sources that need a person, one message per batch and channel.

Each channel (a webhook, e-mail) remembers in table ``alerts_sent`` what it delivered, so an item or a
source incident is announced once per channel; a delivery that fails is logged and its contents stay
pending, so the next batch sends them. Secrets (the webhook URL, the SMTP password) never reach a log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from collectors.dates import ALMATY, almaty_time
from config.environment import alert_channels
from config.sources import DEFAULT_BACKOFF_CAP_MINUTES
from errors import StoreError
from ops.health import SourceHealth, backoff_end, sources_needing_attention
from ops.senders import SENDERS, DeliveryError
from store.db import writer

log = logging.getLogger(__name__)

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
                    "failures": f"failed {h.consecutive_failures} times in a row",
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


# Database -> (channel, keys) delivered but not recorded yet (the write was refused); see deliver().
_UNRECORDED: dict[str, list[tuple[str, list[str]]]] = {}
SEND_SECONDS = 120.0  # a channel that has not delivered by then is given up for this batch
# After a stop request, a delivery under way gets this long to finish (a healthy server needs a second
# or two, and what was just classified is announced even when a stop is pending), then it is abandoned
# and its digest kept for the next try: a server that accepted the connection and went silent held
# the stop for its socket timeout (20 s of SMTP, 15 s of HTTP), the whole of stop_grace_seconds.
STOP_SEND_SECONDS = 5.0
# A failed delivery that took SLOW_FAILURE_SECONDS or more (a server that accepts and hangs, or trickles)
# pauses its channel for the next of PAUSE_SECONDS: else every batch waited 20 s (SMTP's timeout) to
# 120 s (SEND_SECONDS) for it while the outage lasted, holding the classify and alert stages of the
# other sources' batches behind it. A quick failure (connection refused, a 5xx) is retried each batch.
SLOW_FAILURE_SECONDS = 10.0
PAUSE_SECONDS = (300.0, 600.0, 1200.0, 2400.0, 3600.0)
# (database, channel) -> (slow failures in a row, monotonic time before which it is not tried)
_PAUSED: dict[tuple[str, str], tuple[int, float]] = {}


class DeliveryAbandoned(DeliveryError):
    """A stop was requested and the channel had not delivered in time; its digest waits for the next try."""


class _StopWatch:
    """When the deliveries of one round must end because a stop was requested (``should_stop``):
    STOP_SEND_SECONDS after any channel of the round first saw the request."""

    def __init__(self, should_stop: Callable[[], bool] | None) -> None:
        self.should_stop = should_stop
        self.seen_at: float | None = None

    def deadline(self) -> float | None:
        """The monotonic time past which no delivery goes on; None while no stop was requested."""
        if self.seen_at is None and self.should_stop is not None and self.should_stop():
            self.seen_at = time.monotonic()
        return None if self.seen_at is None else self.seen_at + STOP_SEND_SECONDS


def _send_within(
    channel: str, alerts: dict[str, Any], digest: Digest, db_key: str, stop: _StopWatch | None = None
) -> None:
    """SENDERS[channel], given up after SEND_SECONDS, or abandoned STOP_SEND_SECONDS after a stop
    request (``stop``): the timeouts bound each wait for data, not the whole exchange, and a server
    that answers a byte every ten seconds held the batch, and every source's next job behind it, for
    ever. The sender's thread is left to end on its own; if it delivers after all, the next batch
    records that (``_UNRECORDED``) instead of sending it again (a stopped process cannot: the next
    process sends it again, at least once rather than never)."""
    stop = stop or _StopWatch(None)
    stop_at = stop.deadline()
    if stop_at is not None and time.monotonic() >= stop_at:  # an earlier channel used the time up
        raise DeliveryAbandoned(f"{channel}: not tried, the process is stopping")
    failure: list[BaseException] = []
    state = {"sent": False, "given_up": False}
    lock = threading.Lock()

    def send() -> None:
        try:
            SENDERS[channel](alerts, digest)
        except BaseException as exc:  # handed to the caller
            failure.append(exc)
            return
        with lock:
            state["sent"] = True
            if state["given_up"]:
                _UNRECORDED.setdefault(db_key, []).append((channel, digest.keys()))
                log.info("alert digest by %s delivered late; the next batch records it", channel)

    worker = threading.Thread(target=send, name=f"alert-{channel}", daemon=True)
    worker.start()
    given_up_at = time.monotonic() + SEND_SECONDS
    while worker.is_alive():
        stop_at = stop.deadline()
        left = min(given_up_at, stop_at if stop_at is not None else given_up_at) - time.monotonic()
        if left <= 0:
            break
        worker.join(min(left, 0.1))  # short: a stop request is seen within a tenth of a second
    with lock:
        if not state["sent"] and not failure:
            state["given_up"] = True
            if stop_at is not None and stop_at < given_up_at:
                raise DeliveryAbandoned(
                    f"{channel}: no answer {STOP_SEND_SECONDS:.0f} s after the stop request"
                )
            raise DeliveryError(f"{channel}: no answer within {SEND_SECONDS:.0f} s; given up for this batch")
    if failure:
        raise failure[0]


@dataclass(slots=True)
class DeliveryReport:
    """What one round of alerts did, per channel."""

    sent: dict[str, int] = field(default_factory=dict)  # channel -> keys delivered
    failed: dict[str, str] = field(default_factory=dict)  # channel -> error


def _pause(db_key: str, channel: str) -> None:
    """After a slow failure: the channel is not tried for the next of PAUSE_SECONDS (its digest waits)."""
    failures = _PAUSED.get((db_key, channel), (0, 0.0))[0] + 1
    seconds = PAUSE_SECONDS[min(failures, len(PAUSE_SECONDS)) - 1]
    _PAUSED[(db_key, channel)] = (failures, time.monotonic() + seconds)
    log.warning(
        "alert channel %s failed slowly %d times in a row: not tried for %.0f min",
        channel,
        failures,
        seconds / 60,
        extra={"event": "alert_paused", "channel": channel, "minutes": round(seconds / 60)},
    )


def deliver(
    db_path: Path,
    alerts: dict[str, Any],
    *,
    batch: str,
    silent_hours: Mapping[str, float] | None = None,
    longest_backoff: timedelta = DEFAULT_LONGEST_BACKOFF,
    should_stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Send each configured channel its digest of what it has not announced; never raises for a delivery.

    ``silent_hours`` (``Config.silent_hours()``) names the sources whose silence is announced;
    ``longest_backoff`` (``Config.longest_backoff()``) is the back-off past which a source's next try
    is not announced, as the scheduler ignores it. Once ``should_stop()`` is true, deliveries under way
    get STOP_SEND_SECONDS, then are abandoned and their digests kept for the next try."""
    report = DeliveryReport()
    wanted = alert_channels(alerts)
    if not wanted:
        return report
    unrecorded = _UNRECORDED.pop(str(db_path), [])
    with writer(db_path) as con:  # one short open to read every channel's digest
        for channel, keys in unrecorded:  # delivered by an earlier batch: recorded before anything is built
            mark_sent(con, channel, keys)
        digests = [
            build_digest(con, channel, alerts, batch, silent_hours, longest_backoff) for channel in wanted
        ]
    delivered: list[Digest] = []
    stop = _StopWatch(should_stop)
    for digest in digests:
        if digest.empty():
            continue
        channel = digest.channel
        paused = _PAUSED.get((str(db_path), channel))
        if paused is not None and time.monotonic() < paused[1]:
            left = paused[1] - time.monotonic()
            report.failed[channel] = (
                f"{channel}: paused after {paused[0]} slow failures, next try in {left / 60:.0f} min"
            )
            log.info("alert digest by %s kept for later: %s", channel, report.failed[channel])
            continue
        started = time.monotonic()
        try:
            _send_within(channel, alerts, digest, str(db_path), stop)
        except DeliveryAbandoned as exc:
            report.failed[channel] = str(exc)
            log.warning(
                "alert digest by %s abandoned at the stop, kept for the next try: %s",
                channel,
                exc,
                extra={"event": "alert_abandoned", "channel": channel, "batch": batch},
            )
            continue
        except Exception as exc:  # a failed delivery (or a bug in one) must not stop the scheduler
            report.failed[channel] = str(exc) if isinstance(exc, DeliveryError) else type(exc).__name__
            log.error(
                "alert digest not delivered by %s, kept for the next batch: %s",
                channel,
                report.failed[channel],
                extra={"event": "alert_failed", "channel": channel, "batch": batch},
            )
            if time.monotonic() - started >= SLOW_FAILURE_SECONDS:
                _pause(str(db_path), channel)
            continue
        _PAUSED.pop((str(db_path), channel), None)
        delivered.append(digest)
        report.sent[channel] = len(digest.keys())
        log.info(
            "alert digest sent by %s: %d flagged items, %d sources",
            channel,
            len(digest.items),
            len(digest.sources),
            extra={
                "event": "alert_sent",
                "channel": channel,
                "batch": batch,
                "items": len(digest.items),
                "sources": len(digest.sources),
            },
        )
    if delivered:
        try:
            with writer(db_path) as con:  # and one to remember what went out
                for digest in delivered:
                    mark_sent(con, digest.channel, digest.keys())
        except StoreError as exc:
            # Delivered, but an analyst (or a full disk) kept the record from being written: kept in
            # this process and written by the next batch before it builds anything, or the same digest
            # would go out again.
            _UNRECORDED.setdefault(str(db_path), []).extend((d.channel, d.keys()) for d in delivered)
            log.warning("alert digests delivered but not yet recorded (%s); the next batch records them", exc)
    return report
