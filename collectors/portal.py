"""The ``portal`` collector: news articles and their reader comments from a city news site.

One run: discover article URLs (listing pages with pagination, feeds, sitemaps), fetch the new ones
within the crawl budget, and revisit known ones by a recheck policy by age (fresh articles often,
old ones rarely) to pick up new comments. Unchanged pages are not re-parsed (conditional GET).
With ``render = true`` an article page (and each page of its comment thread) is loaded in headless
Chromium after the HTTP fetch, from that fetch's HTML, every further request of the page going through
the run's client, and its rendered DOM is parsed (comments that scripts insert); such articles are
always fetched in full, since their comments change while the HTML does not.

The cursor in ``ctx.state``::

    {"articles": {url: {"id": external_id, "published": iso|None, "first_seen": iso,
                        "checked": iso, "comments": n, "comment_pages": [url, ...],
                        "headline": hash,  # of its title then (portal_recheck.text_key)
                        "kept_id": true},  # stored before its URL moved: its id stays
                  url: {"moved_to": url, "published": iso|None, "first_seen": iso, "checked": iso}},
     "waiting": [[url, published iso|None], ...],   # found, not fetched yet (max_articles, budget)
     "cut": {url: n},   # visits a deadline cut n times in a row: visited last (collectors/portal_cuts.py)
     "_errors": ["<url>: <what went wrong>", ...]}   # this run's page failures, for the runner

An article URL that redirects to a login page (``portal_ids.login_page``), or to the site's home page, a
section above it or one of the source's listings (``portal_ids.sent_away``: how many sites retire an
article), is a new article's error (naming where it went), and a known article's count towards being
taken down, as a 404 is: its stored text stays, no page of the home page's text is stored under its id.
A listing page that redirects to a login page (``portal_ids.listing_login_page``: not one at the
listing's path with a language prefix or a query, ``/ru/news/``, ``/news/?tag=auth``) is that listing's
error, as a listing answering 404 is: the other listings, the feeds and the rechecks go on, and when
no listing, feed or sitemap could be read the run fails with it.
An article URL that redirects to another article's URL (``/news/123`` to ``/news/123-slug``) is an
entry that names where it moved: the article is stored, and watched, under the URL it moved to, and a
listing that still links the old URL makes no second item and no second recheck (``portal_ids``: the
ids, and the moves).

A bad page (broken, huge, binary, a redirect loop, an HTTP error) is logged as one error naming
its URL and the run goes on with the others.

This module does the fetching, with the run's budget, errors and page checks (``portal_run``); beside
it, pure code: the options and their rules (``portal_options``), the article ids (``portal_ids``), when
a known article is due again or taken down (``portal_recheck``), and the parsers of listings, feeds and
sitemaps (``portal_discovery``) and of comments (``portal_comments``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from collectors.base import CollectContext
from collectors.extract import Article
from collectors.http import validator_key
from collectors.item import Item
from collectors.portal_comments import Comment
from collectors.portal_cuts import cut_last, leave, prune_cuts, undo
from collectors.portal_discovery import (
    Found,
    feed_links,
    normalise_url,
    parse_feed,
    parse_listing,
    parse_sitemap,
    robots_sitemaps,
    site_of,
)

# REQUIRED, OPTIONAL and VALUES: the collector's config keys and their rules, which every collector
# module exposes (collectors/base.py); they are declared in portal_options.
from collectors.portal_ids import moved, visit_id
from collectors.portal_options import OPTIONAL as OPTIONAL
from collectors.portal_options import REQUIRED as REQUIRED
from collectors.portal_options import VALUES as VALUES
from collectors.portal_options import options
from collectors.portal_recheck import (
    gone_because,
    not_found,
    prune,
    recheck_due,
    stored_time,
    taken_down,
    text_key,
)
from collectors.portal_run import PortalRun, StubWatch
from errors import CollectError, MonitorError, ParseError

log = logging.getLogger(__name__)
MAX_WAITING = 5000  # article URLs kept for later runs
# Once the client refuses requests (a stop, the run's deadline) the run ends cleanly: a visit cut short
# is undone, the articles not visited wait in the cursor; the runner saves it after a deadline.
CURSOR_AFTER_STOP = True


def _discover(run: PortalRun) -> list[Found]:
    """Every article URL the listings, feeds and sitemaps show this run, newest sources first."""
    opts = run.opts
    found: dict[str, Found] = {}
    oldest = run.ctx.now - timedelta(days=opts["max_age_days"])

    def add(item: Found) -> None:
        if item.published is not None and item.published < oldest:
            return
        if item.url not in found and (
            opts["article_pattern"] is None or opts["article_pattern"].search(item.url)
        ):
            found[item.url] = item

    _read_feeds(run, opts["feeds"], add)
    for item in _sitemap_urls(run):
        add(item)
    selectors = opts["selectors"]
    advertised: list[str] = []
    for start in opts["start_urls"]:
        page_url: str | None = start
        seen_pages: set[str] = set()
        while (
            page_url
            and page_url not in seen_pages
            and len(seen_pages) < opts["max_pages"]
            and run.budget_left()
        ):
            seen_pages.add(page_url)
            try:
                resp = run.fetch(page_url, conditional=True, page="listing")
                run.discovery_ok += 1
                if resp.not_modified:
                    break  # new articles appear on a listing's first pages: unchanged, nothing new further on
                links, page_url = parse_listing(
                    resp.text,
                    resp.url,
                    article_pattern=opts["article_pattern"],
                    link_selector=selectors.get("links"),
                    next_selector=selectors.get("next"),
                )
            except Exception as exc:
                run.fail(page_url, exc)
                break
            for link in links:
                if link not in opts["start_urls"]:
                    add(Found(link))
            if opts["discover_feeds"] and len(seen_pages) == 1:
                advertised.extend(u for u in feed_links(resp.text, resp.url) if u not in opts["feeds"])
    # feeds the listing pages advertise (<link rel="alternate" type="application/rss+xml">)
    _read_feeds(run, list(dict.fromkeys(advertised))[:3], add)
    return list(found.values())


def _read_feeds(run: PortalRun, feeds: list[str], add: Callable[[Found], None]) -> None:
    for feed in feeds:
        if not run.budget_left():
            break
        try:
            resp = run.fetch(feed)
            run.discovery_ok += 1
            for item in sorted(parse_feed(resp.content, resp.url, run.fetched_at(resp)), key=_newest_first):
                add(item)
        except Exception as exc:
            run.fail(feed, exc)


def _newest_first(item: Found) -> float:
    return -item.published.timestamp() if item.published else 0.0


def _sitemap_urls(run: PortalRun) -> list[Found]:
    opts = run.opts
    queue = list(opts["sitemaps"])
    if opts["follow_sitemaps"]:
        root = opts["start_urls"][0]
        base = root[: root.index("/", len("https://"))] if root.count("/") > 2 else root
        try:
            robots = run.ctx.http.get(base + "/robots.txt", raise_for_status=False)
            queue += robots_sitemaps(robots.text, base) if robots.status < 400 else []
        except MonitorError as exc:
            log.info("robots.txt of %s not read: %s", base, exc)
        if not queue:
            queue.append(base + "/sitemap.xml")
    pages: list[Found] = []
    seen: set[str] = set()
    while queue and len(seen) < 10 and run.budget_left():
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            resp = run.fetch(url)
            run.discovery_ok += 1
            found, children = parse_sitemap(resp.content, resp.url, run.fetched_at(resp))
        except Exception as exc:
            run.fail(url, exc)
            continue
        pages.extend(found)
        queue.extend(children)
    return sorted(pages, key=_newest_first)


def _article_item(
    source: str, article: Article, article_id: str, page_url: str, *, cut: bool = False
) -> Item:
    raw: dict[str, Any] = {"fetched_url": page_url, "comments": len(article.comments)}
    if cut:
        raw["cut"] = True  # its page looked cut twice with the same bytes (collectors.http: PAGE_CUT)
    return Item(
        source=source,
        kind="article",
        external_id=article_id,
        text=article.text,
        url=article_id,
        author=article.author,
        title=article.title,
        published_at=article.published_at,
        raw=raw,
    )


def _comment_items(source: str, article_id: str, comments: list[Comment]) -> Iterator[Item]:
    for c in comments:
        yield Item(
            source=source,
            kind="comment",
            external_id=f"{article_id}#c{c.comment_id}",
            parent=article_id,
            url=f"{article_id}#comment-{c.comment_id}",
            author=c.author,
            text=c.text,
            published_at=c.published_at,
            raw={
                "comment_id": c.comment_id,
                "reply_to": f"{article_id}#c{c.reply_to}" if c.reply_to else None,
                "reply_to_site_id": c.reply_to,
            },
        )


def _follow_comment_pages(
    run: PortalRun,
    next_url: str | None,
    comments: list[Comment],
    pages: list[str],
    visited: set[str],
    site: str,
) -> None:
    """Append the comments of the thread's further pages (new ids only); ``pages`` records their URLs.
    Only pages on the article's ``site`` are followed: what another site lists is not its comments."""
    opts = run.opts
    seen_ids = {c.comment_id for c in comments}
    while next_url and len(visited) < opts["max_comment_pages"] and run.budget_left():
        if next_url in visited or len(comments) >= opts["max_comments"]:
            break
        if site_of(next_url) != site:
            run.fail(
                next_url, CollectError("the next page of a comment thread is on another site: not followed")
            )
            break
        visited.add(next_url)
        try:
            # rendered: as the article page
            more = run.fetch(next_url, conditional=not opts["render"], page="comments")
            if more.not_modified:  # its comments are stored already; go on to the next page we know
                known_at = pages.index(next_url) if next_url in pages else -1
                next_url = pages[known_at + 1] if 0 <= known_at < len(pages) - 1 else None
                continue
            page = run.parse(more, run.rendered(more))
        except Exception as exc:
            run.fail(next_url, exc)
            break
        fresh = [c for c in page.comments if c.comment_id not in seen_ids]
        if not fresh:  # only comments this visit has read: the site ignores the page asked for, or loops
            break
        if next_url not in pages:
            pages.append(next_url)
        seen_ids.update(c.comment_id for c in fresh)
        comments.extend(fresh[: opts["max_comments"] - len(comments)])
        next_url = page.comments_next


def _visit(run: PortalRun, url: str, entry: dict[str, Any] | None) -> list[Item]:
    """Items of one article visit. A known article whose first page is unchanged is still checked on
    the last page of its comment thread, where engines put new comments when threads are paginated."""
    source = run.ctx.source.name
    # conditional even on the first visit: the client keeps validators only for conditional fetches.
    # Not when rendering: scripts bring comments that change while the page's HTML does not.
    resp = run.fetch(url, conditional=not run.opts["render"], page="article")
    pages: list[str] = list(entry.get("comment_pages", [])) if entry else []
    if resp.not_modified:
        if not entry or not entry.get("id") or not pages:
            return []
        comments: list[Comment] = []
        last = pages[-1]
        try:
            more = run.fetch(last, conditional=True, page="comments")
            if more.not_modified:
                return []
            page = run.parse(more)
        except Exception as exc:
            run.fail(last, exc)
            return []
        comments.extend(page.comments)
        _follow_comment_pages(
            run, page.comments_next, comments, pages, {normalise_url(url), last}, site_of(url)
        )
        entry["comment_pages"] = pages
        return list(_comment_items(source, entry["id"], comments))
    article = run.parse(resp, run.rendered(resp))
    if not article.text and not article.title:
        raise ParseError("no article found on the page", url=url)
    if not article.text and entry is None:
        # stored by its title, but said once, when it is new: a run of such pages must not pass for
        # "ok", nor a video article make every run that rechecks it "partial"
        hint = (
            "its scripts may bring it (render = true)" if not run.opts["render"] else "check selectors.body"
        )
        run.fail(url, ParseError(f"no article text on the page, only its title; {hint}", url=url))
    _follow_comment_pages(
        run, article.comments_next, article.comments, pages, {normalise_url(resp.url)}, site_of(url)
    )
    home, article_id = visit_id(article, url, resp.url, entry, run.opts["article_pattern"])
    run.last_home = home
    if entry is not None:
        entry["comment_pages"] = pages
        entry["published"] = (
            article.published_at.isoformat() if article.published_at else entry.get("published")
        )
        entry["comments"] = max(int(entry.get("comments", 0)), len(article.comments))
        entry["id"] = article_id
        entry.pop("chars", None)  # what an earlier version kept for its stub rule
        entry["headline"] = text_key(article.title or "")
    run.last_visit = {
        "id": article_id,
        "published": article.published_at.isoformat() if article.published_at else None,
        "comments": len(article.comments),
        "comment_pages": pages,
        "headline": text_key(article.title or ""),  # a stub brings its own (portal_run.StubWatch)
    }
    return [
        _article_item(source, article, article_id, url, cut=resp.cut),
        *_comment_items(source, article_id, article.comments),
    ]


def _visits(
    run: PortalRun, known: dict[str, dict[str, Any]], order: list[tuple[str, bool]], watch: StubWatch
) -> Iterator[Item]:
    """The items of the run's article visits (URL, whether known), each yielded once read (a stop keeps
    what was read) but a known article's re-read that ``watch`` holds as a possible stub."""
    ctx, opts, now = run.ctx, run.opts, run.ctx.now
    for index, (url, is_known) in enumerate(order):
        if ctx.http.stopped:  # a stop, or the run's deadline, before this visit: the rest waits
            leave(run, known, order[index:])
            break
        if not run.budget_left():
            log.warning(
                "source %s: request budget of %d spent; the rest waits for the next run",
                ctx.source.name,
                opts["max_requests"],
            )
            break
        now_text = now.isoformat()
        if not is_known and url in known:  # this run found it under the URL this one redirects to
            continue
        entry = known.get(url) if is_known else None
        before = dict(entry) if entry is not None else None
        run.last_visit = run.last_home = None
        validators = dict(ctx.http.validators)
        try:
            items = _visit(run, url, entry)
        except Exception as exc:
            if ctx.http.stopped:  # the visit cut by a stop (or the deadline): as if it was not made
                undo(run, known, url, before, validators)
                leave(run, known, order[index:])
                break
            if entry is not None and not_found(exc):
                entry["checked"] = now_text
                entry.setdefault("gone_since", now_text)
                entry["gone"] = int(entry.get("gone", 0)) + 1
                log.info(
                    "source %s: %s %s (%d recheck(s) in a row)%s",
                    ctx.source.name,
                    url,
                    gone_because(exc),
                    entry["gone"],
                    "; taken down, not rechecked again" if taken_down(entry) else "",
                )
                continue
            run.fail(url, exc)
            if entry is None:  # remember it, so a broken page is retried by the recheck policy, not every run
                known[url] = {"id": None, "published": None, "first_seen": now_text, "checked": now_text}
            else:
                entry["checked"] = now_text
            continue
        if ctx.http.stopped:  # a page of its comment thread refused or cut: read in full next run
            undo(run, known, url, before, validators)
            leave(run, known, order[index:])
            break
        if entry is None:
            entry = known[url] = {"first_seen": now_text, **(run.last_visit or {})}
        entry["checked"] = now_text
        entry.pop("gone", None)
        entry.pop("gone_since", None)
        if run.last_home and run.last_home != url and not moved(ctx, known, url, run.last_home):
            continue  # watched under the URL it moved to already: that entry's visits bring its items
        # a page moved to another URL is no stub: a site's stub is served under the URL asked for
        yield from watch.passes(url, before if run.last_home in (None, url) else None, items)


def collect(ctx: CollectContext) -> Iterator[Item]:
    """Yield new articles with their comments, and known articles again when they got new comments."""
    opts = options(ctx.source)
    if ctx.source.get("user_agent"):
        ctx.http.user_agent = str(ctx.source.get("user_agent"))
        ctx.http.session.headers["User-Agent"] = ctx.http.user_agent
    if ctx.source.get("min_delay") is not None:
        ctx.http.min_delay = float(ctx.source.get("min_delay"))
    known: dict[str, dict[str, Any]] = ctx.state.setdefault("articles", {})
    run = PortalRun(ctx, opts)
    ctx.state["_errors"] = run.errors
    now = ctx.now
    discovered = _discover(run)
    if not run.discovery_ok and run.first_failure is not None:
        # not one listing, feed or sitemap could be read: the site is down or moved, not one bad page.
        # That failure becomes the run's error, so it is not also one of the run's page problems.
        run.errors.remove(run.first_failure_line)
        failure = run.first_failure
        if isinstance(failure, MonitorError):
            raise failure
        raise CollectError(f"no listing page could be read: {failure}", source=ctx.source.name)
    # Articles found by earlier runs but not fetched yet (past max_articles, or the request budget):
    # the listing that showed them may answer 304 from now on, so they are kept in the cursor.
    oldest = now - timedelta(days=opts["max_age_days"])
    waiting = [
        Found(str(pair[0]), stored_time(pair[1]))
        for pair in ctx.state.get("waiting", [])
        if isinstance(pair, list) and len(pair) == 2
    ]
    candidates = {
        f.url: f
        for f in [*discovered, *waiting]
        if f.url not in known and (f.published is None or f.published >= oldest)
    }
    new = list(candidates.values())[: opts["max_articles"]]
    due = []
    for url, entry in known.items():
        if taken_down(entry) or entry.get("moved_to"):
            continue
        published = stored_time(entry.get("published")) or stored_time(entry.get("first_seen")) or now
        checked = stored_time(entry.get("checked")) or published
        if recheck_due(now, published, checked, opts["recheck"]):
            due.append((checked, url))
    due_urls = [url for _, url in sorted(due)][: opts["max_rechecks"]]
    log.info(
        "source %s: %d articles discovered, %d new, %d due a recheck",
        ctx.source.name,
        len(discovered),
        len(new),
        len(due_urls),
    )
    ctx.state.pop("stub_texts", None)  # stub texts an earlier version remembered
    watch = StubWatch(run)
    try:
        order = cut_last(ctx.state, [(f.url, False) for f in new] + [(u, True) for u in due_urls])
        yield from _visits(run, known, order, watch)
        yield from watch.settle(known)
    finally:  # closed (a stop) before the end: what is still held is read again by the next run
        watch.release(known)
    ctx.state["waiting"] = [
        [f.url, f.published.isoformat() if f.published else None]
        for f in candidates.values()
        if f.url not in known
    ][:MAX_WAITING]
    if ctx.state["waiting"]:
        log.info("source %s: %d articles wait for the next runs", ctx.source.name, len(ctx.state["waiting"]))
    prune_cuts(ctx.state, known, now)
    for url, entry in prune(known, now, opts["recheck"]).items():
        # The HTTP client's validators of its pages go with it: they are saved with the cursor too,
        # and a portal watched for a year had kept one for every article and thread page it read.
        for page_url in (url, *entry.get("comment_pages", [])):
            ctx.http.validators.pop(validator_key(page_url), None)
