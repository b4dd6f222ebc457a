"""Public Telegram channels through their web preview (``<base_url>/s/<channel>``).

The preview page lists the newest ~20 messages of a channel and links to older ones with
``?before=<number>``; ``collectors.telegram_parse`` reads the pages (its names are re-exported here).

Cursor (``ctx.state``): ``last_id``, the newest message number stored, and ``gaps``, ranges of older
messages still to fetch when a run stopped at ``max_pages`` before reaching what was stored. A run
pages backwards only until it reaches ``last_id``, so a run over an unchanged channel fetches one
page. A page without a link to older messages is the channel's first; a page that shows no message
to keep (twenty service messages in a row) but links on does not end the walk.

Edits: a message is edited in place, and the walk above re-reads only the pages down to ``last_id``,
so each run also re-reads the pages below those that hold messages of the last ``recheck_hours``
(default 48; 0: never), at most ``max_recheck_pages`` of them (default 5, not taken from
``max_pages``); an edited text then reaches the store as a new version of its item. The cursor's
``recheck_from`` keeps where the pages below the newest one began, for a run whose newest page is
unchanged (HTTP 304), as long as that page held a message of the window. Only a dated message shows
that a page is recent: below a page without one (no ``<time>``, or only service messages) no recheck
starts or goes on, which would otherwise re-read ``max_recheck_pages`` pages every run, for good.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from collectors.base import (
    FLAG,
    HOURS,
    WHOLE_0_OR_MORE,
    WHOLE_ABOVE_0,
    CollectContext,
    Expect,
    check_options,
)
from collectors.item import Item
from collectors.telegram_parse import (
    ChannelMessage,
    channel_title,
    element_text,
    has_preview,
    page_root,
    parse_channel_page,
    parse_views,
    to_item,
)
from errors import CollectError, ParseError

__all__ = [  # the parsers are tested and used as telegram.<name>
    "ChannelMessage",
    "channel_title",
    "collect",
    "element_text",
    "has_preview",
    "parse_channel_page",
    "parse_views",
    "to_item",
]

log = logging.getLogger(__name__)

REQUIRED = frozenset({"channel", "base_url"})
OPTIONAL = frozenset({"max_pages", "min_delay", "backfill", "recheck_hours", "max_recheck_pages"})
# What each of the keys above must be (base_url and min_delay: config/sources.py).
VALUES: dict[str, Expect] = {
    "channel": Expect(
        "a public channel name (up to 64 letters, digits or _, as in t.me/<name>; an @ before it is dropped)",
        lambda v: isinstance(v, str) and bool(_CHANNEL_NAME.match(v.strip().lstrip("@"))),
    ),
    "max_pages": WHOLE_ABOVE_0,
    "backfill": FLAG,
    "recheck_hours": HOURS,
    "max_recheck_pages": WHOLE_0_OR_MORE,
}

DEFAULT_MAX_PAGES = 20
# A post is mostly edited within hours of its publication; two days of pages is ~1-3 pages a run on
# a busy city channel, and the cap keeps a channel posting hundreds a day from costing more.
DEFAULT_RECHECK_HOURS = 48
DEFAULT_MAX_RECHECK_PAGES = 5
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


# -- fetching --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Walk:
    """What one backwards walk over the preview pages saw."""

    pages: int = 0
    newest: int | None = None
    oldest: int | None = None
    done: bool = False  # reached the floor or the channel's first message
    # Where the pages not read begin: the ``before`` the last page read links to (None: no older page
    # to read), and the time of that page's oldest dated message; ``top``: the same of the first page.
    below: int | None = None
    below_at: datetime | None = None
    top: tuple[int | None, datetime | None] | None = None


class _Channel:
    def __init__(self, ctx: CollectContext) -> None:
        opts = ctx.source.options
        self.ctx = ctx
        self.name = ctx.source.name
        check_options(opts, VALUES, self.name)
        self.channel = str(opts["channel"]).strip().lstrip("@")
        self.base_url = str(opts["base_url"]).rstrip("/")
        self.budget = int(opts.get("max_pages", DEFAULT_MAX_PAGES))
        self.title: str | None = None
        self.page_url = f"{self.base_url}/s/{self.channel}"

    def fetch(self, before: int | None) -> tuple[list[ChannelMessage], int | None]:
        params = {"before": before} if before is not None else None
        # The newest page is fetched conditionally: unchanged since the last run means nothing new.
        resp = self.ctx.http.get(self.page_url, params=params, conditional=before is None)
        if resp.not_modified:
            return [], None
        final_path = urlsplit(resp.url).path.rstrip("/")
        # t.me answers /s/<name> of a channel without a preview with a redirect to /<name>
        redirected = not final_path.lower().endswith(f"/s/{self.channel.lower()}")
        try:
            root = page_root(resp.text)  # decoded by the client (header charset, then meta, then UTF-8)
        except ParseError as exc:
            exc.source, exc.url = exc.source or self.name, exc.url or resp.url
            raise
        if redirected or not has_preview(root):
            raise CollectError(
                f"channel {self.channel!r} has no public web preview (private, renamed or missing): "
                f"{self.page_url} shows no messages",
                source=self.name,
                url=resp.url,
            )
        if self.title is None:
            self.title = channel_title(root)
        return parse_channel_page(root, lambda problem: self.report(problem, resp.url))

    def report(self, problem: str, url: str) -> None:
        """A bad message: one problem of the run (which then ends partial), the others are stored."""
        error = ParseError(problem, source=self.name, url=url)
        log.info("%s", error)  # reported with the run (`run` prints it once)
        self.ctx.state.setdefault("_errors", []).append(str(error))

    def walk(
        self,
        before: int | None,
        floor: int | None,
        seen: _Walk,
        *,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> Iterator[Item]:
        """Yield items page by page backwards from ``before`` until ``floor`` or the budget ends.

        A recheck gives ``since`` and ``limit``: it ends after the page that reaches back before
        ``since``, or after ``limit`` pages, which are not taken from the run's ``max_pages``.
        """
        while (self.budget if limit is None else limit - seen.pages) > 0:
            messages, next_before = self.fetch(before)
            if limit is None:
                self.budget -= 1
            seen.pages += 1
            page_oldest_at: datetime | None = None
            for msg in reversed(messages):
                seen.newest = msg.number if seen.newest is None else max(seen.newest, msg.number)
                item = to_item(
                    msg,
                    source=self.name,
                    base_url=self.base_url,
                    channel=self.channel,
                    title=self.title,
                    now=self.ctx.now,
                )
                seen.oldest = msg.number if seen.oldest is None else min(seen.oldest, msg.number)
                if item.published_at is None:
                    log.warning(
                        "%s: message %s has no usable time; stored without a date", self.name, msg.post
                    )
                elif page_oldest_at is None or item.published_at < page_oldest_at:
                    page_oldest_at = item.published_at
                yield item
            seen.below, seen.below_at = next_before, page_oldest_at
            if seen.pages == 1 and messages:
                seen.top = (next_before, page_oldest_at)
            if next_before is None:
                seen.done = True  # the channel's first message (older pages are empty)
                return
            if since is not None and (page_oldest_at is None or page_oldest_at < since):
                # older pages hold no message of the recheck window, or nothing shows that they do
                seen.done = True
                return
            if floor is not None and messages and messages[0].number <= floor + 1:
                seen.done = True
                return
            if floor is not None and next_before <= floor + 1:
                seen.done = True  # what lies below was stored already
                return
            if before is not None and next_before >= before:
                log.warning("%s: page before=%s links to before=%s; stopping", self.name, before, next_before)
                seen.done, seen.below = True, None
                return
            # A page may show no message and still link to older ones: twenty service messages in a row
            # (pins, a new photo), or messages without a number; the history goes on below them.
            before = next_before


def collect(ctx: CollectContext) -> Iterator[Item]:
    """Yield the channel's messages newer than the cursor (and older gaps left by earlier runs)."""
    chan = _Channel(ctx)
    if "min_delay" in ctx.source.options:
        ctx.http.min_delay = float(ctx.source.options["min_delay"])
    state = ctx.state
    last_id = state.get("last_id")
    last_id = int(last_id) if last_id is not None else None
    gaps: list[list[int]] = [[int(a), int(b)] for a, b in state.get("gaps", [])]
    backfill = bool(ctx.source.options.get("backfill", False))

    head = _Walk()
    floor = last_id if last_id is not None else (0 if backfill else None)
    yield from chan.walk(None, floor, head)
    rechecked = _Walk()
    hours = float(ctx.source.options.get("recheck_hours", DEFAULT_RECHECK_HOURS))
    if hours <= 0:
        state.pop("recheck_from", None)  # turned off: nothing kept for it
    else:
        since = ctx.now - timedelta(hours=hours)
        start = _recheck_start(head, state, last_id, since)
        if start is not None:
            limit = int(ctx.source.options.get("max_recheck_pages", DEFAULT_MAX_RECHECK_PAGES))
            try:
                yield from chan.walk(start, None, rechecked, since=since, limit=limit)
            except (
                CollectError
            ) as exc:  # an extra read: a page of it that fails costs the recheck, not the run
                chan.report(f"recheck for edits stopped: {exc.message}", exc.url or chan.page_url)
    new_gaps: list[list[int]] = []
    if not head.done and floor is not None and head.oldest is not None and head.oldest > floor + 1:
        new_gaps.append([head.oldest, floor])  # messages between floor and oldest are still unseen
    for before, gap_floor in gaps:
        if chan.budget <= 0:
            new_gaps.append([before, gap_floor])
            continue
        walk = _Walk()
        yield from chan.walk(before, gap_floor, walk)
        if not walk.done and walk.oldest is not None and walk.oldest > gap_floor + 1:
            new_gaps.append([walk.oldest, gap_floor])
    known = [n for n in (last_id, head.newest) if n is not None]
    newest = max(known) if known else None
    if newest is not None:
        state["last_id"] = newest
    if new_gaps:
        state["gaps"] = new_gaps
    else:
        state.pop("gaps", None)
    log.info(
        "%s: %d page(s), %d page(s) rechecked for edits, newest message %s, %d gap(s) left",
        chan.name,
        head.pages,
        rechecked.pages,
        newest,
        len(new_gaps),
    )


def _recheck_start(head: _Walk, state: dict[str, Any], last_id: int | None, since: datetime) -> int | None:
    """The ``before`` of the pages to re-read for edits below the ones just read, or None: none to re-read.

    While the newest page's oldest message is recent, ``state["recheck_from"]`` keeps where the pages
    below it begin (and that message's time), for the runs whose newest page is unchanged (HTTP 304)
    and so shows no message. A page whose messages are all undated proves no recency: nothing is
    re-read below it (a time of None kept by an earlier version is dropped).
    """
    if head.top is None and head.pages == 1:  # the newest page unchanged (or empty): start below it
        saved = state.get("recheck_from")
        if last_id is None or not saved:
            return None
        if saved[1] is None or datetime.fromisoformat(saved[1]) < since:
            del state["recheck_from"]
            return None
        return int(saved[0])
    top_before, top_at = head.top or (None, None)
    if top_before is not None and top_at is not None and top_at >= since:
        state["recheck_from"] = [top_before, top_at.isoformat()]
    else:
        state.pop("recheck_from", None)
    if last_id is None or not head.done or head.below is None:
        return None  # a first run reads what it reaches; a gap left below is read by the next runs
    if head.below_at is None or head.below_at < since:
        return None  # the pages read reach back past the window already, or show no time at all
    return head.below
