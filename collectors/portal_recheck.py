"""When the ``portal`` collector visits a known article again, gives it up as taken down, or forgets it.

Pure rules over the entries of the cursor's ``articles`` table (see collectors/portal.py) and the
run's time; the collector fetches, and writes what it learnt into the entries.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from errors import CollectError, MonitorError


def recheck_due(
    now: datetime, published: datetime, checked: datetime, rules: list[tuple[float, float]]
) -> bool:
    """Whether a known article is due a visit: the rule for its age gives the interval since the last check."""
    age_hours = (now - published).total_seconds() / 3600
    since_hours = (now - checked).total_seconds() / 3600
    for max_age, every in rules:
        if age_hours <= max_age:
            return since_hours >= every
    return False


# A known article that answers 404 or 410 (or redirects to a login page, the home page or a section)
# on this many rechecks in a row, the first this long before the last, was taken down: its stored
# items stay, and it is not asked for again. A site that answers 404 for an hour (a deploy, a CDN
# fault) takes nothing down: an article's first day has hourly rechecks.
GONE_AFTER = 2
GONE_FOR = timedelta(hours=24)


class Retired(CollectError):
    """A page's URL redirects to a page that is not its own: a known article counts it as a 404; a new
    one, or a listing, is an error of the run."""


class LoginWall(Retired):
    """A page's URL redirects to a login page (``portal_ids.login_page``): it is not public, or no
    longer."""


class SentAway(Retired):
    """An article's URL redirects to the site's home page or a section (``portal_ids.sent_away``), the
    way many sites retire an article."""


def not_found(exc: BaseException) -> bool:
    """Whether a failed visit was answered HTTP 404 or 410, or by a redirect away from the article (a
    login page, the home page, a section): one count towards ``GONE_AFTER``."""
    return isinstance(exc, Retired) or (isinstance(exc, MonitorError) and exc.status in (404, 410))


def gone_because(exc: BaseException) -> str:
    """What a visit that counts towards ``GONE_AFTER`` was answered, for the log."""
    return exc.message if isinstance(exc, Retired) else f"answered HTTP {getattr(exc, 'status', None)}"


def taken_down(entry: dict[str, Any]) -> bool:
    """Whether a known article answered 404/410 often enough, for long enough, to count as taken down."""
    since = stored_time(entry.get("gone_since"))
    checked = stored_time(entry.get("checked"))
    return (
        int(entry.get("gone", 0)) >= GONE_AFTER
        and since is not None
        and checked is not None
        and checked - since >= GONE_FOR
    )


def prune(
    known: dict[str, dict[str, Any]], now: datetime, rules: list[tuple[float, float]]
) -> dict[str, dict[str, Any]]:
    """Forget articles past every recheck rule by a month (the cursor must not grow without end);
    the forgotten entries by URL, so that what was kept beside them can go too."""
    horizon = timedelta(hours=(rules[-1][0] if rules else 0)) + timedelta(days=30)
    old = [
        u
        for u, e in known.items()
        if now - (stored_time(e.get("published")) or stored_time(e.get("first_seen")) or now) > horizon
    ]
    return {url: known.pop(url) for url in old}


# A known article read again with at most this many characters (after extraction, its headline left
# out) under another headline than the stored one (``stub_like``) may be the site's stub (a maintenance
# page, «материал удалён») served with 200, not its text: a stub brings one headline and one short text
# for every URL, so it is one when another URL of the run read the same pair (``stub_key``).
STUB_CHARS = 1000


def folded_text(text: str, title: str | None) -> str:
    """``text`` without the lines that are its ``title`` (a short page's text holds its headline),
    spaces folded."""
    own = " ".join((title or "").split())
    lines = (" ".join(line.split()) for line in text.splitlines())
    return " ".join(line for line in lines if line and line != own)


def short_text(text: str, title: str | None) -> str | None:
    """The page's :func:`folded_text` when it is short enough to be a stub (``STUB_CHARS``), else None."""
    folded = folded_text(text, title)
    return folded if folded and len(folded) <= STUB_CHARS else None


def stub_like(short: str | None, title: str | None, entry: dict[str, Any]) -> bool:
    """Whether a known article's re-read of ``short`` text (:func:`short_text`) may be the site's stub:
    short, under another headline than the stored one (the cursor's ``headline``, a :func:`text_key`);
    not when that is unknown. A retitle alone, or a short edit under its own headline, is no stub."""
    headline = entry.get("headline")
    return short is not None and headline is not None and headline != text_key(title or "")


def stub_key(short: str, title: str | None) -> str:
    """The :func:`text_key` of a page's headline and :func:`short_text` together: the URLs of a run
    that read one stub share it."""
    return text_key(" ".join((title or "").split()) + "\n" + short)


def text_key(text: str) -> str:
    """A short hash of a headline (the cursor's ``headline``), or of a :func:`stub_key`'s pair."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def stored_time(value: str | None) -> datetime | None:
    """A time the cursor stored (ISO 8601); None when absent, unreadable or without a time zone."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None
