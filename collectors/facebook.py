"""The ``facebook`` collector: a page's posts, comments and replies through the Graph API.

The page's own token (read from the environment variable named by ``token_env``) goes in an
``Authorization: Bearer`` header, never in a URL, so no URL we fetch, log, raise or store carries it:
urllib3's debug log prints each request's path and query unmasked, which ``access_token=`` would leak
with ``--debug``. ``access_token`` in a ``paging.next`` URL is dropped when re-basing it.

Cursor (``ctx.state``, saved by the runner only after a successful run):

* ``newest_created``: the newest ``created_time`` seen; the next run reads the feed from there on
  (minus a small overlap: the upsert on ``(source, external_id)`` makes it harmless);
* ``young_posts``: ids of posts younger than ``comment_days`` (for ``status`` and people). The feed
  window of the next run reaches back ``comment_days``, so these posts are listed again and their
  comments read again: new comments, replies and edits (stored as new versions) come in that way.

A failure half-way (HTTP 500 after retries, throttling beyond ``max_wait``) leaves the cursor where
it was: the next run reads the same window again, and nothing is lost or stored twice.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from collectors.base import CollectContext
from collectors.http import HttpClient, mask_secrets
from collectors.item import Item
from errors import CollectError, ConfigError, FetchError, ParseError, PermissionDenied, Throttled, TokenError

log = logging.getLogger(__name__)

REQUIRED = frozenset({"page_id", "graph_url", "token_env"})
OPTIONAL = frozenset(
    {
        "endpoint",  # "feed" (default: the page's and visitors' posts) or "published_posts"
        "since",  # ISO date/time: never read posts created before it
        "until",  # ISO date/time: never read posts created after it (backfill windows)
        "since_days",  # first run only: read this many days back (default: the whole feed)
        "comment_days",  # re-read comments of posts younger than this many days (default 7)
        "page_size",  # posts per feed page (default 25)
        "comment_page_size",  # comments per page (default 100)
        "max_pages",  # cap on feed pages per run (default: none)
        "max_wait",  # seconds one run may wait for throttling in total (default 5)
        "min_delay",  # seconds between two requests (default 0: Graph signals throttling itself)
    }
)

POST_FIELDS = "id,message,created_time,updated_time,permalink_url,from,story,attachments{title,description}"
COMMENT_FIELDS = "id,message,created_time,from,parent,like_count,comment_count,permalink_url"

THROTTLE_CODES = frozenset({4, 17, 32, 613}) | frozenset(range(80000, 80015))  # 8000x: business use case
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_SUBCODES = {
    458: "the app was removed from the account",
    459: "the account is checkpointed",
    460: "the password was changed",
    463: "expired",
    464: "the user is unconfirmed",
    467: "invalid",
}
OVERLAP = timedelta(minutes=10)  # re-read a little before the cursor: clocks and indexing lag
_VERSION = re.compile(r"^/v\d+(?:\.\d+)?(?=/|$)")
_STRIPPED_PARAMS = frozenset({"access_token", "appsecret_proof"})


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


def parse_post(post: Mapping[str, Any], *, source: str) -> Item:
    """One post of a feed page as an Item (raises ParseError without an id)."""
    post_id = post.get("id")
    if not post_id:
        raise ParseError("a post without an id", source=source)
    return Item(
        source=source,
        kind="post",
        external_id=str(post_id),
        text=post_text(post),
        url=post.get("permalink_url") or None,
        author=_author(post),
        published_at=parse_time(post.get("created_time")),
        raw=strip_paging(dict(post)),
    )


def comment_ids(comment: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(id, replied comment id) of a comment: ``id``/``parent.id``, else from its permalink_url."""
    permalink = comment.get("permalink_url")
    query = parse_qs(urlsplit(permalink).query) if isinstance(permalink, str) else {}
    from_link_comment = (query.get("comment_id") or [None])[0]
    from_link_reply = (query.get("reply_comment_id") or [None])[0]
    parent = comment.get("parent")
    parent_id = parent.get("id") if isinstance(parent, Mapping) else None
    own = comment.get("id") or from_link_reply or from_link_comment
    if not parent_id and from_link_reply:
        parent_id = from_link_comment  # a reply's permalink names the comment it answers
    return (str(own) if own else None), (str(parent_id) if parent_id else None)


def parse_comment(comment: Mapping[str, Any], *, post_id: str, source: str) -> Item:
    """One comment or reply as an Item: parent is the post (top level) or the replied comment."""
    own, replied = comment_ids(comment)
    if not own:
        raise ParseError(f"a comment of post {post_id} without an id or permalink", source=source)
    raw = strip_paging(dict(comment))
    raw["post_id"] = post_id
    return Item(
        source=source,
        kind="comment",
        external_id=own,
        text=comment.get("message") or "",
        parent=replied or post_id,
        url=comment.get("permalink_url") or None,
        author=_author(comment),
        published_at=parse_time(comment.get("created_time")),
        raw=raw,
    )


def parse_feed_page(body: Mapping[str, Any], *, source: str) -> tuple[list[Item], str | None]:
    """A feed page: its posts (plus comments embedded under ``comments``) and ``paging.next``."""
    items: list[Item] = []
    for post in body.get("data") or []:
        item = parse_post(post, source=source)
        items.append(item)
        embedded = post.get("comments")
        if isinstance(embedded, Mapping):
            for comment in embedded.get("data") or []:
                items.append(parse_comment(comment, post_id=item.external_id, source=source))
    return items, next_url(body)


def parse_comments_page(
    body: Mapping[str, Any], *, post_id: str, source: str
) -> tuple[list[Item], str | None]:
    """A comments page of a post (or of a comment): its comments and ``paging.next``."""
    items = [parse_comment(c, post_id=post_id, source=source) for c in body.get("data") or []]
    return items, next_url(body)


def next_url(body: Mapping[str, Any]) -> str | None:
    """``paging.next`` of a Graph list; its absence (not a short page) ends the list."""
    paging = body.get("paging")
    if isinstance(paging, Mapping) and isinstance(paging.get("next"), str) and paging["next"]:
        return paging["next"]
    return None


def rebase(url: str, graph_url: str) -> str:
    """``url`` moved onto ``graph_url`` (scheme, host, path prefix), keeping its query minus the token."""
    base = urlsplit(graph_url.rstrip("/"))
    parts = urlsplit(url)
    path = parts.path
    if base.path and (path == base.path or path.startswith(base.path + "/")):
        path = path[len(base.path) :]
    else:
        path = _VERSION.sub("", path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _STRIPPED_PARAMS]
    return urlunsplit((base.scheme, base.netloc, base.path + path, urlencode(query), ""))


@dataclass(slots=True)
class GraphError:
    """The ``error`` object of a Graph answer."""

    code: int | None
    subcode: int | None
    message: str
    transient: bool

    @classmethod
    def from_body(cls, content: bytes) -> GraphError | None:
        """The Graph error in a body, or None when the body holds none."""
        try:
            body = json.loads(content)
        except ValueError:
            return None
        error = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(error, Mapping):
            return None
        code, sub = error.get("code"), error.get("error_subcode")
        return cls(
            code=int(code) if isinstance(code, int | str) and str(code).isdigit() else None,
            subcode=int(sub) if isinstance(sub, int | str) and str(sub).isdigit() else None,
            message=str(error.get("message") or "no message"),
            transient=bool(error.get("is_transient")),
        )


def throttle_seconds(headers: Mapping[str, str]) -> float | None:
    """How long the usage headers ask us to wait: Retry-After, else the longest estimated_time_to_regain_access."""
    retry_after = headers.get("Retry-After")
    if retry_after and retry_after.strip().isdigit():
        return float(retry_after)
    minutes: list[float] = []
    for name in ("X-Business-Use-Case-Usage", "X-Ad-Account-Usage", "X-App-Usage", "X-Page-Usage"):
        value = headers.get(name)
        if not value:
            continue
        try:
            usage = json.loads(value)
        except ValueError:
            continue
        entries: list[Any] = []
        if isinstance(usage, Mapping):
            if name == "X-Business-Use-Case-Usage":
                for per_business in usage.values():
                    entries.extend(per_business if isinstance(per_business, list) else [per_business])
            else:
                entries.append(usage)
        for entry in entries:
            if isinstance(entry, Mapping) and isinstance(
                entry.get("estimated_time_to_regain_access"), int | float
            ):
                minutes.append(float(entry["estimated_time_to_regain_access"]))
    return max(minutes) * 60 if minutes else None


def usage_percent(headers: Mapping[str, str]) -> float | None:
    """The highest usage percentage in X-App-Usage / X-Page-Usage / X-Business-Use-Case-Usage."""
    best: float | None = None
    for name in ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage"):
        try:
            usage = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        entries = [usage] if isinstance(usage, Mapping) and name != "X-Business-Use-Case-Usage" else []
        if name == "X-Business-Use-Case-Usage" and isinstance(usage, Mapping):
            for per_business in usage.values():
                entries.extend(per_business if isinstance(per_business, list) else [])
        for entry in entries:
            for key in ("call_count", "total_time", "total_cputime"):
                value = entry.get(key) if isinstance(entry, Mapping) else None
                if isinstance(value, int | float):
                    best = value if best is None else max(best, value)
    return best


# -- I/O -------------------------------------------------------------------------------------


@dataclass
class GraphClient:
    """Graph API calls of one run: the token, throttling, transient retries, terminal errors."""

    http: HttpClient
    graph_url: str
    token: str
    token_env: str
    source: str
    max_wait: float = 5.0
    waited: float = 0.0
    _warned_usage: bool = field(default=False, repr=False)

    def url(self, path: str) -> str:
        """The absolute URL of a Graph path (``/123/feed``)."""
        return self.graph_url.rstrip("/") + "/" + path.lstrip("/")

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET a Graph URL and return its JSON; raise the error a person can act on."""
        send = dict(params or {})
        headers = {"Authorization": f"Bearer {self.token}"}
        shown = mask_secrets(url + ("?" + urlencode(params) if params else ""))
        transient_attempt = throttle_attempt = 0
        while True:
            resp = self.http.get(
                url,
                params=send,
                headers=headers,
                raise_for_status=False,
                retry_statuses=frozenset(),
            )
            error = GraphError.from_body(resp.content) if resp.status >= 400 else None
            if resp.status < 400:
                self._watch_usage(resp.headers)
                try:
                    body = resp.json()
                except ValueError as exc:
                    raise ParseError(f"not JSON: {exc}", source=self.source, url=shown) from None
                if not isinstance(body, dict):
                    raise ParseError("a Graph answer that is not an object", source=self.source, url=shown)
                return body
            code = error.code if error else None
            if code == 190 or code == 102:
                raise TokenError(
                    self._token_message(error), source=self.source, url=shown, status=resp.status
                )
            if code is not None and (code in (3, 10) or 200 <= code <= 299):
                raise PermissionDenied(
                    f"the token of {self.token_env} lacks a permission (code {code}: {self._scrub(error)}); "
                    "grant the page token pages_read_engagement and pages_read_user_content, then set "
                    f"{self.token_env} again",
                    source=self.source,
                    url=shown,
                    status=resp.status,
                )
            if code in THROTTLE_CODES or resp.status == 429:
                wait = throttle_seconds(resp.headers)
                if wait is None:
                    wait = min(self.http.max_backoff, self.http.backoff * 2**throttle_attempt)
                if self.waited + wait > self.max_wait or throttle_attempt >= 8:
                    raise Throttled(
                        f"Graph API throttles this app (code {code}); access comes back in about {wait:.0f} s, "
                        f"beyond the {self.max_wait:.0f} s this run may wait; the next run goes on",
                        source=self.source,
                        url=shown,
                        status=resp.status,
                    )
                log.warning("%s: throttled (code %s), waiting %.1f s", self.source, code, wait)
                self.waited += wait
                self.http.sleep(wait)
                throttle_attempt += 1
                continue
            if code in TRANSIENT_CODES or (error and error.transient) or resp.status >= 500:
                if transient_attempt >= self.http.retries:
                    what = f"code {code}: {self._scrub(error)}" if error else f"HTTP {resp.status}"
                    raise FetchError(
                        f"Graph API failed {transient_attempt + 1} times ({what}); the next run retries",
                        source=self.source,
                        url=shown,
                        status=resp.status,
                    )
                delay = min(self.http.max_backoff, self.http.backoff * 2**transient_attempt)
                log.info("%s: transient Graph error (%s), retrying in %.1f s", self.source, code, delay)
                self.http.stats.retries += 1
                self.http.sleep(delay)
                transient_attempt += 1
                continue
            detail = f"code {code}: {self._scrub(error)}" if error else "no Graph error in the body"
            raise CollectError(
                f"Graph API refused the request ({detail})", source=self.source, url=shown, status=resp.status
            )

    def _scrub(self, error: GraphError | None) -> str:
        text = error.message if error else ""
        return text.replace(self.token, "***") if self.token else text

    def _token_message(self, error: GraphError | None) -> str:
        sub = error.subcode if error else None
        why = TOKEN_SUBCODES.get(sub or 0, "rejected")
        code = f"code {error.code}" + (f"/{sub}" if sub else "") if error else "code 190"
        return (
            f"the page token in {self.token_env} is {why} ({code}); issue a new page access token "
            f"and set {self.token_env}"
        )

    def _watch_usage(self, headers: Mapping[str, str]) -> None:
        pct = usage_percent(headers)
        if pct is not None and pct >= 90 and not self._warned_usage:
            log.warning("%s: Graph API usage at %.0f%% of the app's limit", self.source, pct)
            self._warned_usage = True

    def pages(
        self, url: str, params: Mapping[str, Any] | None, *, max_pages: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every page of a Graph list, following paging.next (re-based) until it is absent."""
        seen: set[str] = set()
        count = 0
        while True:
            body = self.get(url, params)
            count += 1
            yield body
            following = next_url(body)
            # Graph API: a short or empty page is not the last page; only a missing paging.next is.
            if not following:
                return
            url, params = rebase(following, self.graph_url), None
            if url in seen:
                log.warning("%s: paging.next repeats %s; stopping this list", self.source, mask_secrets(url))
                return
            seen.add(url)
            if max_pages is not None and count >= max_pages:
                log.warning("%s: stopped after max_pages=%d pages", self.source, max_pages)
                return


def _option_time(ctx: CollectContext, key: str) -> datetime | None:
    value = ctx.source.get(key)
    if value is None:
        return None
    when = value if isinstance(value, datetime) else None
    if when is None:
        try:
            when = datetime.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"{key} = {value!r} is not an ISO date", source=ctx.source.name) from None
    return when if when.tzinfo else when.replace(tzinfo=ctx.now.tzinfo)


def _number(ctx: CollectContext, key: str, default: float | None) -> float | None:
    value = ctx.source.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{key} must be a non-negative number, not {value!r}", source=ctx.source.name)
    return value


def feed_window(ctx: CollectContext) -> tuple[datetime | None, datetime | None]:
    """(since, until) of this run's feed: the cursor, the comment recheck window and the config."""
    since = _option_time(ctx, "since")
    until = _option_time(ctx, "until")
    newest = parse_time(ctx.state.get("newest_created"))
    comment_days = _number(ctx, "comment_days", 7) or 0
    if newest is not None:
        incremental = min(newest - OVERLAP, ctx.now - timedelta(days=comment_days))
    elif (days := _number(ctx, "since_days", None)) is not None:
        incremental = ctx.now - timedelta(days=days)
    else:
        incremental = None  # first run: the whole feed
    if incremental is not None:
        since = incremental if since is None else max(since, incremental)
    return since, until


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
        max_wait=float(_number(ctx, "max_wait", 5.0) or 0.0),
    )
    since, until = feed_window(ctx)
    comment_cutoff = ctx.now - timedelta(days=_number(ctx, "comment_days", 7) or 0)
    page_size = int(_number(ctx, "page_size", 25) or 25)
    comment_page_size = int(_number(ctx, "comment_page_size", 100) or 100)
    max_pages = _number(ctx, "max_pages", None)
    params: dict[str, Any] = {"fields": POST_FIELDS, "limit": page_size}
    if since is not None:
        params["since"] = int(since.timestamp())
    if until is not None:
        params["until"] = int(until.timestamp())
    newest = parse_time(ctx.state.get("newest_created"))
    young: list[str] = []
    yielded: dict[str, str] = {}  # external_id -> content_hash already yielded in this run
    posts_read = comments_read = 0
    feed = graph.pages(
        graph.url(f"{opts.get('page_id')}/{endpoint}"),
        params,
        max_pages=int(max_pages) if max_pages else None,
    )
    for body in feed:
        items, _ = parse_feed_page(body, source=opts.name)
        posts = [item for item in items if item.kind == "post"]
        for item in items:
            if yielded.get(item.external_id) != item.content_hash:
                yielded[item.external_id] = item.content_hash
                yield item
        for post in posts:
            posts_read += 1
            created = post.published_at
            if created is not None and (newest is None or created > newest):
                newest = created
            # Every listed post gets its comments read: Graph gives comments no updated_time, so an
            # edited comment shows only by reading it again (the window keeps this to young posts).
            for comment in _comments(graph, post.external_id, comment_page_size, opts.name):
                comments_read += 1
                if yielded.get(comment.external_id) != comment.content_hash:
                    yielded[comment.external_id] = comment.content_hash
                    yield comment
            if created is None or created >= comment_cutoff:
                young.append(post.external_id)
        # Feed pages come newest first: once a whole page is older than the window, stop even if
        # the server ignores ``since``.
        if since is not None and posts and all(p.published_at and p.published_at < since for p in posts):
            break
    # The cursor, written only now that every page was read; the runner saves it on success only.
    if newest is not None:
        ctx.state["newest_created"] = newest.isoformat()
    ctx.state["young_posts"] = young  # their comments are read again by the next run
    log.info(
        "%s: %d posts and %d comments read, %.1f s waited for throttling",
        opts.name,
        posts_read,
        comments_read,
        graph.waited,
    )


def _comments(graph: GraphClient, post_id: str, page_size: int, source: str) -> Iterator[Item]:
    """Every comment and reply of a post: the stream, then replies the stream did not include."""
    params = {"fields": COMMENT_FIELDS, "filter": "stream", "order": "chronological", "limit": page_size}
    seen: set[str] = set()
    replies_seen: dict[str, int] = {}
    parents: list[tuple[str, int]] = []
    for body in graph.pages(graph.url(f"{post_id}/comments"), params):
        items, _ = parse_comments_page(body, post_id=post_id, source=source)
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
        for body in graph.pages(graph.url(f"{comment_id}/comments"), reply_params):
            items, _ = parse_comments_page(body, post_id=post_id, source=source)
            for item in items:
                if item.external_id in seen:
                    continue
                seen.add(item.external_id)
                if item.parent == post_id:
                    item.parent = comment_id
                yield item
