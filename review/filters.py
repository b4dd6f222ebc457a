"""What a reviewer, or the ``export`` command, asks for of the flagged items: the filters, checked
against what the store holds and put in words; the days they name are Asia/Almaty days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from collectors.dates import ALMATY
from errors import InputError
from store.migrations import REVIEW_STATUSES

LABELS = ("corruption", "infrastructure")
# the region's time zone (right on a tz database older than 2024): dates typed by reviewers mean local days
LOCAL_TZ = ALMATY


def check_label(label: str) -> None:
    """Raise InputError unless ``label`` is one of LABELS (which also makes it safe as a column name)."""
    if label not in LABELS:
        raise InputError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}")


@dataclass(slots=True)
class Filters:
    """What a reviewer (or the export command) asks for; every field optional."""

    label: str | None = None
    min_score: float | None = None
    since: date | None = None
    until: date | None = None
    sources: list[str] = field(default_factory=list)
    lang: str | None = None
    status: str | None = None
    query: str | None = None

    def validate(self) -> Filters:
        """Raise InputError on a value outside what the store holds."""
        if self.label:
            check_label(self.label)
        if self.status and self.status not in REVIEW_STATUSES:
            raise InputError(
                f"unknown review status {self.status!r}; expected one of {', '.join(REVIEW_STATUSES)}"
            )
        if self.min_score is not None and not 0.0 <= self.min_score <= 1.0:
            raise InputError(f"minimum score {self.min_score} is outside 0..1")
        for day in (self.since, self.until):
            if day:
                check_day(day)
        if self.since and self.until and self.since > self.until:
            raise InputError(f"the date range is empty: {self.since} is after {self.until}")
        return self


def describe(filters: Filters) -> list[tuple[str, str]]:
    """The filters in words, one (name, value) pair per filter set; for the export's 'about' sheet."""
    pairs = [
        ("label", filters.label),
        ("minimum score", None if filters.min_score is None else f"{filters.min_score:g}"),
        ("from (Asia/Almaty)", filters.since.isoformat() if filters.since else None),
        ("to (Asia/Almaty)", filters.until.isoformat() if filters.until else None),
        ("sources", ", ".join(filters.sources) or None),
        ("language", filters.lang),
        ("review status", filters.status),
        ("text search", filters.query),
    ]
    return [(name, value) for name, value in pairs if value]


# Dates a filter may name: any day a post can have, with room for "until 9999-12-31" meaning "no end"
# refused with a message rather than overflowing the arithmetic on it.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def check_day(day: date) -> date:
    """The day, or InputError when it is outside FIRST_DAY..LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(f"{day.isoformat()} is outside {FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()}")
    return day


def local_day_start(day: date) -> datetime:
    """Midnight of ``day`` in Asia/Almaty, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)
