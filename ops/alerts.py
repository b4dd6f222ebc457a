"""Alert digests: newly flagged items and sources that need a person, one message per batch and channel.
What a digest holds is read in ``ops.alert_digest``; this module delivers the digests.

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
from datetime import timedelta
from pathlib import Path
from typing import Any

from config.environment import alert_channels
from errors import StoreError
from ops.alert_digest import (
    DEFAULT_LONGEST_BACKOFF,
    Digest,
    FlaggedItem,
    SourceAlert,
    build_digest,
    mark_sent,
    pending_items,
    pending_sources,
)
from ops.senders import SENDERS, DeliveryError
from store.db import writer

__all__ = [  # what a digest holds is built in ops.alert_digest; these names are used as alerts.<name>
    "Digest",
    "FlaggedItem",
    "SourceAlert",
    "build_digest",
    "deliver",
    "mark_sent",
    "pending_items",
    "pending_sources",
]

log = logging.getLogger(__name__)


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
            # An unexpected error's own text may quote a secret (a URL, a password's character): not shown.
            report.failed[channel] = (
                str(exc)
                if isinstance(exc, DeliveryError)
                else f"{channel}: unexpected {type(exc).__name__} (a bug; --debug shows where)"
            )
            log.error(
                "alert digest not delivered by %s, kept for the next batch: %s",
                channel,
                report.failed[channel],
                extra={"event": "alert_failed", "channel": channel, "batch": batch},
            )
            if not isinstance(exc, DeliveryError):
                log.debug("alert digest by %s: unexpected error", channel, exc_info=exc)
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
