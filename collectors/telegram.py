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
that a page is recent, but the messages above a recent one are newer still: below pages without a
dated message (no ``<time>``, or only service messages: a pin, a poll) a run reads one page more, and
the recheck goes on from there when that page is recent. ``recheck_from`` then keeps the newest time
of that first dated page and ``true``: a run whose newest page is unchanged re-reads the undated pages
down to it. A channel whose pages are all undated costs that one page more when its newest page
changed, and nothing more when it did not.

Counts: ``hashes`` keeps the content hash of the newest messages read (enough for the pages one run
re-reads); a message read again whose text is the same is not yielded, so the run's ``fetched`` counts
the messages that were new or changed, not the ones re-read (about 20 a page) to look for edits. A
poll's or a link-only post's text is built (``telegram_parse.item_text``) and hashed apart; a hash kept
by a version that stored only the message's own text is honoured (``_digests``), so that the change of
version re-yields nothing.
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
from collectors.item import Item, content_hash
from collectors.telegram_parse import (
    ChannelMessage,
    channel_title,
    element_text,
    has_preview,
    page_root,
    parse_channel_page,
    parse_views,
    text_is_built,
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
# Hashes kept per page a run may read again (a page shows about 20 messages; twice that for service
# messages and numbers between): past them a message read again is yielded, and counted, once more.
HASHES_PER_PAGE = 40
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
# hashed with a built text (a poll, a link preview): its hash is never one of the own text alone
_BUILT = "telegram: the text built of the message, its poll and its link preview"


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
    # The newest time on the first page that has a dated message, and the oldest time of all pages read.
    first_dated: datetime | None = None
    oldest_at: datetime | None = None


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
        saved = ctx.state.get("hashes")
        # message number -> the start of the content hash of its text as last read
        self.hashes: dict[str, str] = dict(saved) if isinstance(saved, dict) else {}
        self.unchanged = 0  # messages read again with the text they had: not yielded

    def fetch(self, before: int | None) -> tuple[list[ChannelMessage], int | None, datetime]:
        """The messages of the page ``before`` a message number, the ``before`` of the next older page,
        and when the page came (what its times are checked against, not the run's start)."""
        params = {"before": before} if before is not None else None
        # The newest page is fetched conditionally: unchanged since the last run means nothing new.
        resp = self.ctx.http.get(self.page_url, params=params, conditional=before is None)
        if resp.not_modified:
            return [], None, self.ctx.now
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
        messages, next_before = parse_channel_page(root, lambda problem: self.report(problem, resp.url))
        return messages, next_before, resp.fetched_at(self.ctx.now)

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
        pass_undated: bool = False,
    ) -> Iterator[Item]:
        """Yield items page by page backwards from ``before`` until ``floor`` or the budget ends.

        A recheck gives ``since`` and ``limit``: it ends after the page that reaches back before
        ``since``, or after ``limit`` pages, which are not taken from the run's ``max_pages``, and at
        a page without a dated message, unless ``pass_undated`` (a recent page is known to lie below)
        and no dated page was read yet. A message read with the text it had when last read is not
        yielded (counted in ``unchanged``).
        """
        while (self.budget if limit is None else limit - seen.pages) > 0:
            messages, next_before, fetched_at = self.fetch(before)
            if limit is None:
                self.budget -= 1
            seen.pages += 1
            page_oldest_at: datetime | None = None
            page_newest_at: datetime | None = None
            for msg in reversed(messages):
                seen.newest = msg.number if seen.newest is None else max(seen.newest, msg.number)
                item = to_item(
                    msg,
                    source=self.name,
                    base_url=self.base_url,
                    channel=self.channel,
                    title=self.title,
                    now=fetched_at,
                )
                seen.oldest = msg.number if seen.oldest is None else min(seen.oldest, msg.number)
                if item.published_at is None:
                    log.warning(
                        "%s: message %s has no usable time; stored without a date", self.name, msg.post
                    )
                else:
                    if page_oldest_at is None or item.published_at < page_oldest_at:
                        page_oldest_at = item.published_at
                    if page_newest_at is None or item.published_at > page_newest_at:
                        page_newest_at = item.published_at
                digest, earlier = _digests(item, msg)
                kept = self.hashes.get(str(msg.number))
                if kept is not None and kept in (digest, earlier):
                    self.unchanged += 1  # stored already as it reads now: nothing fetched
                    self.hashes[str(msg.number)] = digest
                    continue
                self.hashes[str(msg.number)] = digest
                yield item
            seen.below, seen.below_at = next_before, page_oldest_at
            if seen.first_dated is None:
                seen.first_dated = page_newest_at
            if page_oldest_at is not None and (seen.oldest_at is None or page_oldest_at < seen.oldest_at):
                seen.oldest_at = page_oldest_at
            if seen.pages == 1 and (messages or next_before is not None):
                # a page read (not unchanged, nor the empty page of an empty channel), maybe undated
                seen.top = (next_before, page_oldest_at)
            if next_before is None:
                seen.done = True  # the channel's first message (older pages are empty)
                return
            if since is not None and (
                (page_oldest_at is None and not (pass_undated and seen.first_dated is None))
                or (page_oldest_at is not None and page_oldest_at < since)
            ):
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
    limit = int(ctx.source.options.get("max_recheck_pages", DEFAULT_MAX_RECHECK_PAGES))
    hours = float(ctx.source.options.get("recheck_hours", DEFAULT_RECHECK_HOURS))
    if hours <= 0:
        state.pop("recheck_from", None)  # turned off: nothing kept for it
    else:
        since = ctx.now - timedelta(hours=hours)
        start = _recheck_start(head, state, last_id, since)
        if start is not None:
            try:
                yield from chan.walk(
                    start[0], None, rechecked, since=since, limit=limit, pass_undated=start[1]
                )
            except (
                CollectError
            ) as exc:  # an extra read: a page of it that fails costs the recheck, not the run
                chan.report(f"recheck for edits stopped: {exc.message}", exc.url or chan.page_url)
        if head.top is not None:
            _keep_recheck_from(head, rechecked, state, since)
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
    # the newest messages' hashes: those of the pages the next runs read again (the newest ones and
    # the recheck's); an older message read again (a gap's) is yielded and counted once more
    kept = sorted((n for n in chan.hashes if n.isascii() and n.isdigit()), key=int, reverse=True)
    state["hashes"] = {n: chan.hashes[n] for n in kept[: HASHES_PER_PAGE * (1 + limit)]}
    log.info(
        "%s: %d page(s), %d page(s) rechecked for edits, %d message(s) read again unchanged, "
        "newest message %s, %d gap(s) left",
        chan.name,
        head.pages,
        rechecked.pages,
        chan.unchanged,
        newest,
        len(new_gaps),
    )


def _digests(item: Item, msg: ChannelMessage) -> tuple[str, str | None]:
    """The hash kept of a message as read now, and for a message whose text is built (a poll, an own
    text that is only a link or empty: ``telegram_parse.item_text``) the hash an earlier version kept.

    Earlier versions stored only the message's own text and kept its hash. A built text is hashed apart
    (with or without a poll or preview added), so a kept hash of the own text alone says that such a
    version read the message with the own text it has now: unchanged, its new hash kept, not yielded.
    Yielded, each poll and link-only post of the pages re-read would become a new version of its item
    once, as if it had been edited; the items stored before keep their text (the store's hash stays).
    """
    if not text_is_built(msg):
        return item.content_hash[:16], None
    return content_hash(_BUILT, item.text)[:16], content_hash(item.title, msg.text)[:16]


def _recheck_start(
    head: _Walk, state: dict[str, Any], last_id: int | None, since: datetime
) -> tuple[int, bool] | None:
    """Where to re-read pages for edits below the ones just read, and whether the undated pages met
    first are to be passed (a recent dated page is known to lie below them); None: none to re-read.

    A run whose newest page is unchanged (HTTP 304) starts where ``state["recheck_from"]`` says, while
    the time kept there is recent (a time of None, kept by an earlier version, proves nothing: dropped).
    """
    if head.top is None:  # the newest page unchanged (or the empty page of an empty channel)
        saved = state.get("recheck_from")
        if last_id is None or not saved:
            return None
        if saved[1] is None or datetime.fromisoformat(saved[1]) < since:
            del state["recheck_from"]
            return None
        return int(saved[0]), len(saved) > 2 and saved[2] is True
    if last_id is None or not head.done or head.below is None:
        return None  # a first run reads what it reaches; a gap left below is read by the next runs
    if head.below_at is not None:
        # the page below the last one read holds messages of the window if that page's oldest is one
        return (head.below, False) if head.below_at >= since else None
    if head.oldest_at is not None and head.oldest_at < since:
        return None  # a page read above the undated last one reaches back past the window already
    # The last page read shows no time (all of them may not): one page more shows whether the pages
    # below are recent, and the recheck goes on from there when they are. If it shows no time either,
    # the recheck ends: a channel without dates costs that one page, not max_recheck_pages.
    return head.below, False


def _keep_recheck_from(head: _Walk, rechecked: _Walk, state: dict[str, Any], since: datetime) -> None:
    """Keep in ``state["recheck_from"]`` where the pages below the newest one begin, for the runs whose
    newest page is unchanged (HTTP 304), while they hold messages of the window: ``[before, time]``
    with the newest page's oldest time; below an undated newest page ``[before, time, true]`` with the
    newest time of the first dated page below it, the undated pages above that page to be passed."""
    top_before, top_at = head.top or (None, None)
    if top_before is not None and top_at is not None and top_at >= since:
        state["recheck_from"] = [top_before, top_at.isoformat()]
        return
    # Below an undated newest page: the first dated page the run read, by the walk or by the recheck
    # that began right below the walk's (then undated) pages.
    first = (head.first_dated or rechecked.first_dated) if top_at is None else None
    if top_before is not None and first is not None and first >= since:
        state["recheck_from"] = [top_before, first.isoformat(), True]
    else:
        state.pop("recheck_from", None)
