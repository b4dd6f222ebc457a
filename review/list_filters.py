"""The list page's filters as typed in its form: what is applied, and what is left out and why."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from classify.lang import LANGS
from errors import InputError
from review import queries
from review.queries import LABELS, LOCAL_TZ, Filters
from store.migrations import REVIEW_STATUSES

MAX_QUERY = 200  # characters of a text search
MAX_PERIOD = 36_500  # days of the "period" filter
FILTER_KEYS = ("label", "min_score", "period", "since", "until", "source", "lang", "status", "q")


class ParsedFilters(NamedTuple):
    """What parse_filters made of the query: the filters applied, and what was left out and why."""

    filters: Filters
    form: dict[str, Any]  # the values as typed, to show in the form again
    errors: list[str]  # one sentence per value left out
    ignored: frozenset[str]  # the query keys whose values were left out


def parse_filters(args: Any) -> ParsedFilters:
    """Filters from query parameters; bad values are dropped and reported, never passed on."""
    errors: list[str] = []
    ignored: set[str] = set()
    form: dict[str, Any] = {k: args.get(k, "") for k in FILTER_KEYS}
    form["source"] = [s for s in args.getlist("source") if s]
    query = (form["q"] or "").strip()
    if len(query) > MAX_QUERY:
        errors.append(f"the text search is cut to its first {MAX_QUERY} characters")
        query = form["q"] = query[:MAX_QUERY]
    filters = Filters(sources=form["source"], query=query or None)
    if form["label"] in LABELS:
        filters.label = form["label"]
    elif form["label"]:
        errors.append("unknown label")
        ignored.add("label")
    if form["status"] in REVIEW_STATUSES:
        filters.status = form["status"]
    elif form["status"]:
        errors.append("unknown status")
        ignored.add("status")
    if form["lang"] in LANGS:
        filters.lang = form["lang"]
    elif form["lang"]:
        errors.append("unknown language")
        ignored.add("lang")
    if form["min_score"]:
        score = score_value(form["min_score"])
        if score is None:
            errors.append("the minimum score must be a number between 0 and 1")
            ignored.add("min_score")
        else:
            filters.min_score = score
    for key in ("since", "until"):
        if form[key]:
            try:
                setattr(filters, key, queries.check_day(date.fromisoformat(form[key])))
            except ValueError:
                errors.append(f"{key} must be a date like 2026-11-25")
                ignored.add(key)
            except InputError as exc:
                errors.append(f"{key}: {exc}")
                ignored.add(key)
    days = int_value(form["period"], 0) if form["period"] else 0
    if form["period"] and not 0 < days <= MAX_PERIOD:
        errors.append(f"the period must be a number of days from 1 to {MAX_PERIOD}")
        ignored.add("period")
    from_period = 0 < days <= MAX_PERIOD and not filters.since
    if from_period:
        filters.since = today() - timedelta(days=days - 1)
    if filters.since and filters.until and filters.since > filters.until:
        # Neither date is more likely the slip than the other: leave both out, and say so.
        start = filters.since.isoformat() + (" (the first day of the period)" if from_period else "")
        errors.append(
            f"the date range from {start} to {filters.until.isoformat()} is empty, so both dates "
            "are left out and items of every date are shown"
        )
        ignored.update(("since", "until", "period"))
        filters.since = filters.until = None
    return ParsedFilters(filters, form, errors, frozenset(ignored))


def today() -> date:
    """Today in Asia/Almaty, the day reviewers' dates mean."""
    return datetime.now(UTC).astimezone(LOCAL_TZ).date()


def chart_range(filters: Filters) -> tuple[date, date]:
    """The days the list's chart shows: the filters' dates, else the last 30 days; a year at most."""
    last = min(filters.until or today(), today())
    first = filters.since or last - timedelta(days=29)
    if (last - first).days > 365:
        first = last - timedelta(days=365)
    return first, max(first, last)


def query_pairs(args: Any) -> list[tuple[str, str]]:
    """The filter values of a query string that are not empty, in the form's order (for links)."""
    return [(k, v) for k in FILTER_KEYS for v in args.getlist(k) if v]


def score_value(value: str | None) -> float | None:
    """A score typed in a form: a number from 0 to 1, else None (never NaN or infinity)."""
    try:
        score = float(value or "")
    except ValueError:
        return None
    return score if 0.0 <= score <= 1.0 else None


def int_value(value: str | None, default: int) -> int:
    """A whole number typed in a form or a query, else ``default``."""
    try:
        return int(value or "")
    except ValueError:
        return default
