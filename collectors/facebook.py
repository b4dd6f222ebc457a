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

A failure half-way (HTTP 500 after retries, throttling beyond ``max_wait``) leaves the cursor where
it was: the next run reads the same window again, and nothing is lost or stored twice. A bad entry of
a page (not an object, no id) is one problem of the run, which ends ``partial``; the rest is stored.
A created_time that is no publication time (``collectors.dates``) is no date and never enters the cursor.

Beside this module: the source's options and their rules (``facebook_options``) and the Graph API
client (``facebook_graph``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from collectors.base import CollectContext
from collectors.dates import publication_time
from collectors.facebook_graph import GraphClient, Pages, next_url
from collectors.facebook_options import DEFAULT_MAX_PAGES, comment_recheck, option, option_time

# REQUIRED, OPTIONAL and VALUES: the collector's config keys and their rules, which every collector
# module exposes (collectors/base.py); they are declared in facebook_options.
from collectors.facebook_options import OPTIONAL as OPTIONAL
from collectors.facebook_options import REQUIRED as REQUIRED
from collectors.facebook_options import VALUES as VALUES
from collectors.item import Item
from errors import CollectError, ConfigError, FetchError, ParseError, PermissionDenied, Throttled, TokenError

log = logging.getLogger(__name__)


POST_FIELDS = "id,message,created_time,updated_time,permalink_url,from,story,attachments{title,description}"
COMMENT_FIELDS = "id,message,created_time,from,parent,like_count,comment_count,permalink_url"

OVERLAP = timedelta(minutes=10)  # re-read a little before the cursor: clocks and indexing lag
# Comment pages read per post (and per comment's replies) in one pass: 20,000 comments at the default
# page size; a paging.next that never ends must not keep a run going for ever.
MAX_COMMENT_PAGES = 200

Report = Callable[[str], None]  # takes one bad entry of a page, in words; the rest of the page is read


# -- pure parsers ----------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """A Graph timestamp (``2021-07-04T19:50:58+0000``) as an aware datetime; None when absent."""
    if not value or not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _created(value: Any, now: datetime | None) -> datetime | None:
    """A created_time as a publication time: year 1 or 9999 is no date (and must never enter the cursor)."""
    return publication_time(parse_time(value), now)


def _attachment_texts(post: Mapping[str, Any]) -> list[str]:
    attachments = post.get("attachments")
    data = attachments.get("data", []) if isinstance(attachments, Mapping) else attachments or []
    texts: list[str] = []
    for att in data if isinstance(data, list) else []:
        if not isinstance(att, Mapping):
            continue
        for key in ("title", "description"):
            value = att.get(key)
            if isinstance(value, str) and value.strip() and value.strip() not in texts:
                texts.append(value.strip())
    return texts


def post_text(post: Mapping[str, Any]) -> str:
    """What a reader sees: the message; without one, the story line, then attachment titles/descriptions."""
    message = post.get("message")
    if isinstance(message, str) and message.strip():
        return message
    parts = []
    story = post.get("story")
    if isinstance(story, str) and story.strip():
        parts.append(story.strip())
    parts.extend(_attachment_texts(post))
    return "\n".join(parts)


def strip_paging(value: Any) -> Any:
    """A copy of a Graph object without any ``paging`` block (paging URLs may carry the token)."""
    if isinstance(value, Mapping):
        return {k: strip_paging(v) for k, v in value.items() if k != "paging"}
    if isinstance(value, list):
        return [strip_paging(v) for v in value]
    return value


def _author(obj: Mapping[str, Any]) -> str | None:
    sender = obj.get("from")
    if isinstance(sender, Mapping) and isinstance(sender.get("name"), str):
        return sender["name"]
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _id(value: Any) -> str | None:
    """A Graph id (a string or a whole number) as a string; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value) or None


def _raw(obj: Mapping[str, Any], what: str, source: str) -> dict[str, Any]:
    try:
        return strip_paging(dict(obj))
    except RecursionError:  # JSON nested hundreds deep: no Graph object is
        raise ParseError(f"{what} is nested too deeply to store", source=source) from None


def parse_post(post: Mapping[str, Any], *, source: str, now: datetime | None = None) -> Item:
    """One post of a feed page as an Item (raises ParseError without an id). A created_time that is no
    publication time (before 1990, more than a day after ``now``) leaves published_at empty."""
    post_id = _id(post.get("id"))
    if not post_id:
        raise ParseError("a post without an id", source=source)
    return Item(
        source=source,
        kind="post",
        external_id=post_id,
        text=post_text(post),
        url=_text(post.get("permalink_url")),
        author=_author(post),
        published_at=_created(post.get("created_time"), now),
        raw=_raw(post, f"post {post_id}", source),
    )


def comment_ids(comment: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(id, replied comment id) of a comment: ``id``/``parent.id``, else from its permalink_url."""
    permalink = comment.get("permalink_url")
    query = parse_qs(urlsplit(permalink).query) if isinstance(permalink, str) else {}
    from_link_comment = (query.get("comment_id") or [None])[0]
    from_link_reply = (query.get("reply_comment_id") or [None])[0]
    parent = comment.get("parent")
    parent_id = _id(parent.get("id")) if isinstance(parent, Mapping) else None
    own = _id(comment.get("id")) or from_link_reply or from_link_comment
    if not parent_id and from_link_reply:
        parent_id = from_link_comment  # a reply's permalink names the comment it answers
    return (str(own) if own else None), (str(parent_id) if parent_id else None)


def parse_comment(
    comment: Mapping[str, Any], *, post_id: str, source: str, now: datetime | None = None
) -> Item:
    """One comment or reply as an Item: parent is the post (top level) or the replied comment."""
    own, replied = comment_ids(comment)
    if not own:
        raise ParseError(f"a comment of post {post_id} without an id or permalink", source=source)
    raw = _raw(comment, f"comment {own}", source)
    raw["post_id"] = post_id
    return Item(
        source=source,
        kind="comment",
        external_id=own,
        text=_text(comment.get("message")) or "",
        parent=replied or post_id,
        url=_text(comment.get("permalink_url")),
        author=_author(comment),
        published_at=_created(comment.get("created_time"), now),
        raw=raw,
    )


def _kind(value: Any) -> str:
    """What a JSON value is, in words (never the value: it may be long, or carry anything)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _refuse(report: Report | None, message: str, source: str) -> None:
    """One bad entry: to ``report`` when there is one (the rest is read), else a ParseError."""
    if report is None:
        raise ParseError(message, source=source)
    report(message)


def _entries(
    body: Mapping[str, Any], what: str, where: str, source: str, report: Report | None
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The objects of a Graph list's ``data`` and their places (from 1); anything else is refused."""
    data = body.get("data", [])
    if not isinstance(data, list):
        _refuse(
            report,
            f"the data of {where} is {_kind(data)}, not a list of {what}s; none of it was read",
            source,
        )
        return
    for n, entry in enumerate(data, 1):
        if isinstance(entry, Mapping):
            yield n, entry
        else:
            _refuse(report, f"{what} {n} of {where} is {_kind(entry)}, not an object", source)


def _parse_comments(
    body: Mapping[str, Any],
    post_id: str,
    where: str,
    source: str,
    now: datetime | None,
    report: Report | None,
) -> list[Item]:
    items: list[Item] = []
    for n, comment in _entries(body, "comment", where, source, report):
        try:
            items.append(parse_comment(comment, post_id=post_id, source=source, now=now))
        except ParseError as exc:
            _refuse(report, f"comment {n} of {where}: {exc.message}", source)
    return items


def parse_feed_page(
    body: Mapping[str, Any], *, source: str, now: datetime | None = None, report: Report | None = None
) -> tuple[list[Item], str | None]:
    """A feed page: its posts (plus comments embedded under ``comments``) and ``paging.next``. A bad
    entry (not an object, no id) goes to ``report`` and the others are read; without one it raises."""
    items: list[Item] = []
    for n, post in _entries(body, "post", "the page", source, report):
        try:
            item = parse_post(post, source=source, now=now)
        except ParseError as exc:
            _refuse(report, f"post {n} of the page: {exc.message}", source)
            continue
        items.append(item)
        embedded = post.get("comments")
        if isinstance(embedded, Mapping):
            where = f"the comments embedded in post {item.external_id}"
            items += _parse_comments(embedded, item.external_id, where, source, now, report)
    return items, next_url(body)


def parse_comments_page(
    body: Mapping[str, Any],
    *,
    post_id: str,
    source: str,
    now: datetime | None = None,
    report: Report | None = None,
) -> tuple[list[Item], str | None]:
    """A comments page of a post (or of a comment): its comments and ``paging.next``; a bad entry as
    in :func:`parse_feed_page`."""
    return _parse_comments(body, post_id, "the page", source, now, report), next_url(body)


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
        created, checked = _created(entry.get("created"), now), parse_time(entry.get("checked"))
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
    yielded: dict[str, str] = field(default_factory=dict)  # external_id -> content_hash yielded
    oldest: datetime | None = None
    posts: int = 0
    comments: int = 0

    def fresh(self, item: Item) -> bool:
        """Whether this item (or this version of it) was not yielded yet in this run."""
        if self.yielded.get(item.external_id) == item.content_hash:
            return False
        self.yielded[item.external_id] = item.content_hash
        return True


def collect(ctx: CollectContext) -> Iterator[Item]:
    """Yield the page's posts in the window, then each post's comments and replies."""
    opts = ctx.source
    token_env = str(opts.get("token_env"))
    token = os.environ.get(token_env, "").strip()
    if not token:
        raise TokenError(
            f"environment variable {token_env} is empty or unset; put the page access token in it",
            source=opts.name,
        )
    bands = comment_recheck(ctx)  # a bad value is a config error before any request
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
        graph_url=str(opts.get("graph_url")),
        token=token,
        token_env=token_env,
        source=opts.name,
        max_wait=float(option(ctx, "max_wait", 5.0) or 0.0),
    )
    _forget_bad_cursor_times(ctx)
    run = _Run(
        newest=parse_time(ctx.state.get("newest_created")),
        comment_cutoff=ctx.now - timedelta(days=option(ctx, "comment_days", 7) or 0),
        comment_page_size=int(option(ctx, "comment_page_size", 100) or 100),
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
    # The HTTP client remembers validators of every URL it fetched, and the runner keeps them in
    # the source's state; Graph pages are never fetched conditionally, so they would only pile up.
    for url in [u for u in ctx.http.validators if u.startswith(graph.graph_url.rstrip("/") + "/")]:
        del ctx.http.validators[url]
    log.info(
        "%s: %d posts and %d comments read, comments of %d older posts read again, "
        "%.1f s waited for throttling%s",
        opts.name,
        run.posts,
        run.comments,
        run.rechecked,
        graph.waited,
        f"; max_pages reached, posts older than {_iso(run.oldest)} come in the next runs" if capped else "",
    )


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
    """Yield the post's comments and replies that this run has not yielded yet (all count as read);
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
