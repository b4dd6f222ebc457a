"""Pacing of the HTTP client (collectors/http.py): when each host may next be asked, ``min_delay`` after
the last request to it, whichever client of the process made it."""

from __future__ import annotations

import threading
import time


class HostPacer:
    """When each host may next be asked; shared by every client of the process, so sources collected
    in parallel threads still leave ``min_delay`` between two requests to one host."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, host: str, min_delay: float, within: float | None = None) -> float | None:
        """Book the next slot for ``host``; returns how long to wait for it, or None (nothing booked)
        when that is ``within`` seconds or more."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(host, now))
            if within is not None and slot - now >= within:
                return None
            self._next[host] = slot + min_delay
            return slot - now


SHARED_PACER = HostPacer()
