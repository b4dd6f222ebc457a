"""Times for the dates tests: a fixed fetch time and wall-clock times in Almaty's two offsets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 14:00 in Almaty (UTC+5)
PLUS5 = timezone(timedelta(hours=5))  # Almaty since 2024-03-01
PLUS6 = timezone(timedelta(hours=6))  # Almaty before


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, tz: timezone = PLUS5) -> datetime:
    """A wall-clock time at offset ``tz``."""
    return datetime(y, mo, d, h, mi, tzinfo=tz)
