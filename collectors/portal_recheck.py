"""When the ``portal`` collector visits a known article again, gives it up as taken down, or forgets it.

Pure rules over the entries of the cursor's ``articles`` table (see collectors/portal.py) and the
run's time; the collector fetches, and writes what it learnt into the entries.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

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


# A page of at most this many characters (after extraction) that two articles of one run read is the
# site's stub (a maintenance page, «материал удалён») served with 200, not their text: articles are
# longer, and a press release two articles carry whole is not taken for one.
STUB_CHARS = 1000
STUBS_KEPT = 20  # stub texts remembered (``stub_texts`` in the cursor) for the runs after


class Read(NamedTuple):
    """What one article visit of a run read: its id, text and title, and the length of its text when
    it was last stored (the cursor's ``chars``; None for a new article, or one stored before)."""

    article_id: str
    text: str
    title: str | None
    stored_chars: int | None


def folded_text(text: str, title: str | None) -> str:
    """``text`` without the lines that are its ``title`` (a short page's text holds its headline),
    spaces folded."""
    own = " ".join((title or "").split())
    lines = (" ".join(line.split()) for line in text.splitlines())
    return " ".join(line for line in lines if line and line != own)


def text_key(text: str, title: str | None = None) -> str:
    """A short hash of a page's text (:func:`folded_text`): how the cursor remembers a stub's text."""
    return _hash(folded_text(text, title))


def _hash(folded: str) -> str:
    return hashlib.sha256(folded.encode()).hexdigest()[:16]


def stub_groups(reads: list[Read], remembered: set[str], same: Callable[[str, str], bool]) -> list[list[int]]:
    """The visits of one run (indexes into ``reads``) that read a stub, one list per stub text.

    A short text is a stub when ``same`` (``portal_ids.same_article``) tells two of the articles that
    read it apart and they read the same title too (a maintenance page), or one of them is a known
    article whose text shrank to it (the site kept its title above the stub); or when an earlier run
    found it a stub (``remembered``: :func:`text_key`). The same text under two URLs of one article (no
    canonical link: ``/news/123`` and ``/ru/news/123``) is no stub: each is stored, as before."""
    by_text: dict[str, list[int]] = defaultdict(list)
    for n, read in enumerate(reads):
        folded = folded_text(read.text, read.title)
        if folded and len(folded) <= STUB_CHARS:
            by_text[folded].append(n)
    groups = []
    for folded, members in by_text.items():
        if _hash(folded) in remembered:
            groups.append(members)
            continue
        if not _apart({reads[n].article_id for n in members}, same):
            continue  # one article (or none apart): its duplicate URLs
        by_title: dict[str | None, set[str]] = defaultdict(set)
        for n in members:
            by_title[reads[n].title].add(reads[n].article_id)
        shared_title = any(_apart(ids, same) for ids in by_title.values())
        shrank = any((reads[n].stored_chars or 0) > 2 * len(folded) for n in members)
        if shared_title or shrank:
            groups.append(members)
    return groups


def _apart(ids: set[str], same: Callable[[str, str], bool]) -> bool:
    """Whether two of ``ids`` are not one article's URLs."""
    ordered = sorted(ids)
    return any(not same(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :])


def stored_time(value: str | None) -> datetime | None:
    """A time the cursor stored (ISO 8601); None when absent, unreadable or without a time zone."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None
