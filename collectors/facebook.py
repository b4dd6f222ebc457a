"""The ``facebook`` collector: a page's posts, comments and replies through the Graph API.

The page's own token (read from the environment variable named by ``token_env``) goes in an
``Authorization: Bearer`` header, never in a URL, so no URL we fetch, log, raise or store carries it:
urllib3's debug log prints each request's path and query unmasked, so ``access_token=`` would leak
wherever that log is switched on. ``access_token`` in a ``paging.next`` URL is dropped when re-basing it.

Cursor (``ctx.state``, saved by the runner only after a successful run):

* ``newest_created``: the newest ``created_time`` seen; the next run reads the feed from there on
  (minus a small overlap: the upsert on ``(source, external_id)`` makes it harmless);
* ``resume``: set when ``max_pages`` (default 200) cut a run short: the window and the oldest post
  reached. The next run goes on down from there before it reads anything newer, and ``newest_created``
  moves only once the whole window is read, so a first run over years of posts may take several runs.
* ``young_posts``: ids of posts younger than ``comment_days`` (for ``status`` and people). The feed
  window of the next run reaches back ``comment_days``, so these posts are listed again and their
  comments read again: new comments, replies and edits (stored as new versions) come in that way.
* ``comment_checks``: post id -> ``{"created", "checked"}`` for every post whose comments were read,
  kept while the post is young enough for ``comment_recheck``. Once a post has left the feed window,
  its comments are read again when its age band says it is due (by default daily up to 30 days, weekly
  up to 90, then never), at most ``max_comment_rechecks`` posts a run, those waiting longest first.
  A post Graph no longer knows (deleted) is forgotten with a log line.
* ``hashes``: post id -> fingerprints of the post and its comments as last read, for the posts above
  (``facebook_hashes``): a post or comment read again unchanged is not handed over, so ``fetched``
  counts what is new or changed, not the hundreds of comments re-read to find edits.

A failure half-way (HTTP 500 after retries, throttling beyond ``max_wait``) leaves the cursor where
it was: the next run reads the same window again, and nothing is lost or stored twice. A bad entry of
a page (not an object, no id) is one problem of the run, which ends ``partial``; the rest is stored.
A created_time that is no publication time (``collectors.dates``) is no date and never enters the cursor.

Beside this module: the source's options and their rules (``facebook_options``), the Graph API
client (``facebook_graph``) and the parsers of its JSON (``facebook_parse``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from collectors.base import CollectContext, variable_label
from collectors.dates import publication_time
from collectors.facebook_graph import GraphClient, Pages
from collectors.facebook_hashes import ReadHashes
from collectors.facebook_options import (
    DEFAULT_MAX_PAGES,
    GRAPH_URL,
    comment_recheck,
    option,
    option_time,
    token_key,
    token_variable,
)

# REQUIRED, OPTIONAL and VALUES: the collector's config keys and their rules, which every collector
# module exposes (collectors/base.py); they are declared in facebook_options.
from collectors.facebook_options import OPTIONAL as OPTIONAL
from collectors.facebook_options import REQUIRED as REQUIRED
from collectors.facebook_options import VALUES as VALUES
from collectors.facebook_parse import (
    Report,
    created_time_of,
    parse_comments_page,
    parse_feed_page,
    parse_time,
)
from collectors.item import Item
from collectors.secrets import guard
from errors import CollectError, ConfigError, FetchError, ParseError, PermissionDenied, Throttled, TokenError

log = logging.getLogger(__name__)


POST_FIELDS = "id,message,created_time,updated_time,permalink_url,from,story,attachments{title,description}"
COMMENT_FIELDS = "id,message,created_time,from,parent,like_count,comment_count,permalink_url"

OVERLAP = timedelta(minutes=10)  # re-read a little before the cursor: clocks and indexing lag
# Comment pages read per post (and per comment's replies) in one pass: 20,000 comments at the default
# page size; a paging.next that never ends must not keep a run going for ever.
MAX_COMMENT_PAGES = 200


def feed_window(ctx: CollectContext) -> tuple[datetime | None, datetime | None]:
    """(since, until) of this run's feed: the cursor, the comment recheck window and the config."""
    since = option_time(ctx, "since")
    until = option_time(ctx, "until")
    newest = parse_time(ctx.state.get("newest_created"))
    comment_days = option(ctx, "comment_days", 7) or 0
    if newest is not None:
        incremental = min(newest - OVERLAP, ctx.now - timedelta(days=comment_days))
    elif (days := option(ctx, "since_days", None)) is not None:
        incremental = ctx.now - timedelta(days=days)
    else:
        incremental = None  # first run: the whole feed
    if incremental is not None:
        since = incremental if since is None else max(since, incremental)
    return since, until


def due_rechecks(
    checks: Mapping[str, Mapping[str, str]],
    bands: list[tuple[float, float]],
    now: datetime,
    skip: set[str],
    limit: int,
) -> tuple[list[str], list[str]]:
    """(post ids whose comments are due again, longest waiting first, at most ``limit``; ids too old for
    every band, to forget). ``skip``: posts whose comments this run has read already."""
    due: list[tuple[datetime, str]] = []
    expired: list[str] = []
    for post_id, entry in checks.items():
        created, checked = created_time_of(entry.get("created"), now), parse_time(entry.get("checked"))
        if created is None or checked is None:
            expired.append(post_id)
            continue
        age = (now - created).total_seconds() / 3600
        every = next((every for max_age, every in bands if age <= max_age), None)
        if every is None:
            expired.append(post_id)
        elif post_id not in skip and (now - checked).total_seconds() / 3600 >= every:
            due.append((checked, post_id))
    return [post_id for _, post_id in sorted(due)[:limit]], expired


@dataclass
class _Run:
    """What one run has read so far (for the cursor and the log line)."""

    newest: datetime | None
    comment_cutoff: datetime
    comment_page_size: int
    young: list[str] = field(default_factory=list)
    read: dict[str, datetime] = field(default_factory=dict)  # post id -> created, comments read this run
    listed: set[str] = field(default_factory=set)  # post ids the feed has listed in this run
    rechecked: int = 0
    hashes: ReadHashes = field(default_factory=lambda: ReadHashes(None))  # what was read, to hand over
    oldest: datetime | None = None
    posts: int = 0
    comments: int = 0

    def fresh(self, item: Item) -> bool:
        """Whether to hand this item over: new, or changed since it was last read (in this run or before)."""
        post_id = item.external_id if item.kind == "post" else str(item.raw.get("post_id"))
        return self.hashes.fresh(item, post_id)


def collect(ctx: CollectContext) -> Iterator[Item]:
    """Yield the page's posts in the window, then each post's comments and replies; the token is
    scrubbed from the error that ends the run and from its problems (``collectors.secrets.guard``):
    a server may put it anywhere, a redirect's path as much as its own error text."""
    return guard(_collect(ctx), ctx)


def _collect(ctx: CollectContext) -> Iterator[Item]:
    opts = ctx.source
    variable = token_variable(opts)  # as `schedule` and `status` read it (Config.unset_variables)
    if variable is None:  # a source built in code (load_config requires the key)
        raise ConfigError(f"{token_key(opts.name)} is not set", source=opts.name)
    token = variable.resolve(os.environ)
    if not token:
        # named as every message names it: a value that does not look like a name may be the token
        raise TokenError(
            f"{variable.shown} is empty or unset; put the page access token in it", source=opts.name
        )
    if not (token.isascii() and token.isprintable()) or " " in token:
        # A token is letters and digits: a line break or a second value pasted in, or a letter typed in
        # Cyrillic, cannot go in an HTTP header (requests fails the connection, http.client raises a bare
        # UnicodeEncodeError). Said here, without the value.
        raise TokenError(
            f"{variable.shown} holds a space, a line break or a non-ASCII character; "
            "put the page access token alone in it",
            source=opts.name,
        )
    bands = comment_recheck(ctx)  # a bad value is a config error before any request
    graph_url = opts.get("graph_url")
    GRAPH_URL.check(graph_url, "graph_url", where=None, source=opts.name)  # no query to carry the token
    endpoint = opts.get("endpoint", "feed")
    if endpoint not in ("feed", "published_posts"):
        raise ConfigError(f'endpoint must be "feed" or "published_posts", not {endpoint!r}', source=opts.name)
    # The Graph API is an API, not a web site: it signals throttling itself, and robots.txt of
    # graph.facebook.com is not addressed to token holders. This client serves this source only.
    if opts.get("min_delay") is None:
        ctx.http.min_delay = 0.0
    ctx.http.respect_robots = False
    graph = GraphClient(
        http=ctx.http,
        graph_url=graph_url,
        token=token,
        token_env=variable_label(variable.name, variable.key),
        source=opts.name,
        max_wait=float(option(ctx, "max_wait", 5.0) or 0.0),
    )
    _forget_bad_cursor_times(ctx)
    run = _Run(
        newest=parse_time(ctx.state.get("newest_created")),
        comment_cutoff=ctx.now - timedelta(days=option(ctx, "comment_days", 7) or 0),
        comment_page_size=int(option(ctx, "comment_page_size", 100) or 100),
        hashes=ReadHashes(ctx.state.get("hashes")),
    )
    feed_url = graph.url(f"{opts.get('page_id')}/{endpoint}")
    resume = ctx.state.get("resume")
    if isinstance(resume, dict) and resume.get("until"):
        # An earlier run stopped at max_pages: go on down from where it stopped, same window.
        since, until = parse_time(resume.get("since")), parse_time(resume["until"])
        run.newest = parse_time(resume.get("newest")) or run.newest
    else:
        resume = None
        since, until = feed_window(ctx)
    capped = yield from _feed_pass(ctx, graph, run, feed_url, since, until)
    # The cursor, written only now that every page was read; the runner saves it on success only.
    if capped:
        # newest_created stays: it moves once the whole window is read, so nothing is skipped.
        ctx.state["resume"] = {"since": _iso(since), "until": _iso(run.oldest), "newest": _iso(run.newest)}
    else:
        ctx.state.pop("resume", None)
        if run.newest is not None:
            ctx.state["newest_created"] = run.newest.isoformat()
    ctx.state["young_posts"] = run.young  # their comments are read again by the next run
    # A run that max_pages cut short records what it read but re-reads nothing more: it is behind already.
    limit = 0 if capped else int(option(ctx, "max_comment_rechecks", 30) or 0)
    yield from _recheck_pass(ctx, graph, run, bands, limit)
    ctx.state["hashes"] = run.hashes.kept(_watched(ctx, run))
    # The HTTP client remembers validators of every URL it fetched, and the runner keeps them in
    # the source's state; Graph pages are never fetched conditionally, so they would only pile up.
    for url in [u for u in ctx.http.validators if u.startswith(graph.graph_url.rstrip("/") + "/")]:
        del ctx.http.validators[url]
    log.info(
        "%s: %d posts and %d comments read, comments of %d older posts read again, "
        "%d posts and comments read again unchanged, %.1f s waited for throttling%s",
        opts.name,
        run.posts,
        run.comments,
        run.rechecked,
        run.hashes.unchanged,
        graph.waited,
        f"; max_pages reached, posts older than {_iso(run.oldest)} come in the next runs" if capped else "",
    )


def _watched(ctx: CollectContext, run: _Run) -> dict[str, datetime | None]:
    """Posts whose comments a later run may read again, and when each was created: those listed in
    this run's feed (a silent page lists its newest post in every run) and those ``comment_checks`` keeps."""
    checks = ctx.state.get("comment_checks") or {}
    watched = {post_id: created_time_of(entry.get("created"), ctx.now) for post_id, entry in checks.items()}
    watched.update({post_id: run.read.get(post_id) for post_id in run.listed})
    return watched


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _forget_bad_cursor_times(ctx: CollectContext) -> None:
    """Drop cursor times that are no publication time: older versions stored a post's created_time as
    it came, and a year-1 ``newest_created`` failed every later run (``newest - OVERLAP``)."""

    def bad(value: Any) -> bool:
        when = parse_time(value)
        return when is not None and publication_time(when, ctx.now) is None

    name = ctx.source.name
    if bad(ctx.state.get("newest_created")):
        log.warning(
            "%s: the cursor's newest_created %s is no publication time; "
            "ignored, the feed is read as on a first run",
            name,
            ctx.state.pop("newest_created"),
        )
    resume = ctx.state.get("resume")
    # Only the times taken from posts: ``since`` is the window's start, which config may set before 1990.
    if isinstance(resume, dict) and (bad(resume.get("until")) or bad(resume.get("newest"))):
        log.warning(
            "%s: the cursor's resume point (until %s, newest %s) is no publication time; "
            "ignored, the window is read again from the top",
            name,
            resume.get("until"),
            resume.get("newest"),
        )
        del ctx.state["resume"]


def _report(ctx: CollectContext, error: CollectError) -> None:
    """One problem of this run: the runner lists it and the run ends ``partial``."""
    log.info("%s", error)  # reported with the run (`run` prints it once)
    ctx.state.setdefault("_errors", []).append(str(error))


def _page_report(ctx: CollectContext, pages: Pages) -> Report:
    """The report of a bad entry of the page ``pages`` fetched last: a problem naming that page."""
    return lambda message: _report(ctx, ParseError(message, source=ctx.source.name, url=pages.shown))


def _feed_pass(
    ctx: CollectContext,
    graph: GraphClient,
    run: _Run,
    feed_url: str,
    since: datetime | None,
    until: datetime | None,
) -> Generator[Item, None, bool]:
    """Yield the posts of one window and their comments; return whether max_pages cut it short."""
    params: dict[str, Any] = {"fields": POST_FIELDS, "limit": int(option(ctx, "page_size", 25) or 25)}
    if since is not None:
        params["since"] = int(since.timestamp())
    if until is not None:
        params["until"] = int(until.timestamp())
    pages = graph.pages(feed_url, params, max_pages=int(option(ctx, "max_pages", DEFAULT_MAX_PAGES)))
    report = _page_report(ctx, pages)
    for body in pages:
        items, _ = parse_feed_page(body, source=ctx.source.name, now=ctx.now, report=report)
        posts = [item for item in items if item.kind == "post"]
        yield from (item for item in items if run.fresh(item))
        for post in posts:
            if post.external_id in run.listed:
                # Listed again on a later page (a new post moved the feed while we paged through
                # it): its comments were read moments ago.
                continue
            run.listed.add(post.external_id)
            run.posts += 1
            created = post.published_at
            if created is not None:
                run.newest = created if run.newest is None else max(run.newest, created)
                run.oldest = created if run.oldest is None else min(run.oldest, created)
            # Every listed post gets its comments read: Graph gives comments no updated_time, so an
            # edited comment shows only by reading it again (the window keeps this to young posts).
            refused = yield from _fresh_comments(ctx, graph, run, post.external_id)
            if refused is not None:
                # One post whose comments Graph refuses (deleted meanwhile, an unsupported type):
                # the run goes on and ends "partial", with this line in the runs table.
                _report(ctx, refused)
            if (created is None or created >= run.comment_cutoff) and post.external_id not in run.young:
                run.young.append(post.external_id)
            if created is not None:
                run.read[post.external_id] = created
        # Feed pages come newest first: once a whole page is older than the window, stop even if
        # the server ignores ``since``.
        if since is not None and posts and all(p.published_at and p.published_at < since for p in posts):
            return False
    if pages.capped:
        log.warning(
            "%s: stopped after %d feed pages (max_pages); older posts come in the next runs",
            ctx.source.name,
            pages.count,
        )
    return pages.capped


def _recheck_pass(
    ctx: CollectContext, graph: GraphClient, run: _Run, bands: list[tuple[float, float]], limit: int
) -> Iterator[Item]:
    """Read again the comments of posts that left the feed window and are due by ``comment_recheck``,
    at most ``limit``; update ``comment_checks`` (the runner saves it with the rest of the state, on
    success only)."""
    stored = ctx.state.get("comment_checks")
    checks: dict[str, dict[str, str]] = (
        {k: dict(v) for k, v in stored.items() if isinstance(v, dict)} if isinstance(stored, dict) else {}
    )
    now = _iso(ctx.now) or ""
    for post_id, created in run.read.items():
        checks[post_id] = {"created": created.isoformat(), "checked": now}
    due, expired = due_rechecks(checks, bands, ctx.now, set(run.read), limit)
    for post_id in expired:
        del checks[post_id]
    for post_id in due:
        refused = yield from _fresh_comments(ctx, graph, run, post_id)
        if refused is not None:
            # Deleted since (Graph code 100) or otherwise refused: an old post, so no longer watched.
            log.warning(
                "%s: comments of post %s no longer readable, not rechecked again: %s",
                ctx.source.name,
                post_id,
                refused,
            )
            del checks[post_id]
            continue
        checks[post_id]["checked"] = now
        run.rechecked += 1
    ctx.state["comment_checks"] = checks


def _fresh_comments(
    ctx: CollectContext, graph: GraphClient, run: _Run, post_id: str
) -> Generator[Item, None, CollectError | None]:
    """Yield the post's comments and replies that are new or changed (all count as read);
    return the error when Graph refuses this one post's comments, else None. An error that ends the
    whole run (a failed fetch, throttling, the token, a permission) propagates: the state stays as it
    was and the next run reads this again."""
    try:
        for comment in _comments(ctx, graph, post_id, run.comment_page_size):
            run.comments += 1
            if run.fresh(comment):
                yield comment
    except (FetchError, Throttled, TokenError, PermissionDenied):
        raise
    except CollectError as exc:
        return exc
    return None


def _comment_pages(
    ctx: CollectContext, graph: GraphClient, object_id: str, post_id: str, params: Mapping[str, Any]
) -> Iterator[list[Item]]:
    """The comments of a post (or a comment's replies) page by page, at most MAX_COMMENT_PAGES pages;
    a bad entry and a list cut short are problems of the run."""
    pages = graph.pages(graph.url(f"{object_id}/comments"), params, max_pages=MAX_COMMENT_PAGES)
    report = _page_report(ctx, pages)
    for body in pages:
        yield parse_comments_page(body, post_id=post_id, source=ctx.source.name, now=ctx.now, report=report)[
            0
        ]
    if pages.capped:
        whose = f"post {post_id}" if object_id == post_id else f"comment {object_id} (post {post_id})"
        message = f"comments of {whose}: stopped after {pages.count} pages; the rest was not read"
        _report(ctx, CollectError(message, source=ctx.source.name, url=pages.shown))


def _comments(ctx: CollectContext, graph: GraphClient, post_id: str, page_size: int) -> Iterator[Item]:
    """Every comment and reply of a post: the stream, then replies the stream did not include."""
    params = {"fields": COMMENT_FIELDS, "filter": "stream", "order": "chronological", "limit": page_size}
    seen: set[str] = set()
    replies_seen: dict[str, int] = {}
    parents: list[tuple[str, int]] = []
    for items in _comment_pages(ctx, graph, post_id, post_id, params):
        for item in items:
            seen.add(item.external_id)
            if item.parent != post_id and item.parent:
                replies_seen[item.parent] = replies_seen.get(item.parent, 0) + 1
            count = item.raw.get("comment_count")
            if item.raw.get("id") and isinstance(count, int) and count > 0:
                parents.append((item.external_id, count))
            yield item
    # filter=stream should include replies; some API versions serve only the top level.
    for comment_id, count in parents:
        if replies_seen.get(comment_id, 0) >= count:
            continue
        reply_params = {"fields": COMMENT_FIELDS, "order": "chronological", "limit": page_size}
        for items in _comment_pages(ctx, graph, comment_id, post_id, reply_params):
            for item in items:
                if item.external_id in seen:
                    continue
                seen.add(item.external_id)
                if item.parent == post_id:
                    item.parent = comment_id
                yield item
