"""One run of one ``portal`` source (collectors/portal.py): its request budget, the errors it reports,
and the fetching of its pages: a page's checks (a login wall, a page that is no page, a redirect off
the site) and, with ``render``, its DOM after its scripts ran; and the visits of the run that read the
site's stub, not their text (:class:`StubWatch`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

from collectors.base import CollectContext
from collectors.extract import extract_article
from collectors.http import mask_secrets, validator_key
from collectors.http_failures import FetchStopped
from collectors.item import Item
from collectors.portal_discovery import normalise_url, site_of
from collectors.portal_ids import refuse_redirect, same_article
from collectors.portal_recheck import short_text, stub_key, stub_like
from collectors.render import BrowserMissing, RenderError, render_dom
from errors import CollectError, MonitorError, ParseError

log = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "application/xml", "text/xml")


class PortalRun:
    """One run of one portal source: budget, errors, and the fetch helpers."""

    def __init__(self, ctx: CollectContext, opts: dict[str, Any]) -> None:
        self.ctx = ctx
        self.opts = opts
        self.errors: list[str] = []
        self.first_failure: BaseException | None = None
        self.first_failure_line = ""  # its line in ``errors``
        self.discovery_ok = 0  # listing/feed/sitemap pages read this run
        # the listing pages of the source (normalised URLs): an article sent to one was retired
        self.listings: set[str] = {normalise_url(u) for u in opts["start_urls"]}
        self.last_visit: dict[str, Any] | None = None  # what the last new article's visit learnt
        self.last_home: str | None = None  # the URL the last visit's article lives at, when it moved
        self.start_requests = ctx.http.stats.requests
        self.browser_missing = False  # reported once, then the rest of the run parses the HTML
        self.render_reported: set[str] = set()  # causes of refused render requests already reported
        # Pages not asked for, or cut, for a stop or the run's deadline: not one problem line each
        # (review: 29 lines for one stop) but one for the run, with the articles left (:meth:`left_for_next`)
        self.refused = 0

    def left_for_next(self, new: int, rechecks: int) -> None:
        """Say once that a stop (or the run's deadline) left ``new`` new articles and ``rechecks`` due
        rechecks for the next run."""
        line = (
            f"source {self.ctx.source.name}: stopped before the end of the run: {new + rechecks} article(s) "
            f"left for the next run ({new} new, {rechecks} due a recheck)"
        )
        log.info("%s", line)  # reported with the run, as in fail()
        self.errors.append(line)

    def budget_left(self) -> bool:
        return self.ctx.http.stats.requests - self.start_requests < self.opts["max_requests"]

    def fail(self, url: str, exc: BaseException) -> None:
        if isinstance(exc, FetchStopped):  # counted in the one line of left_for_next, not one line each
            log.debug("source %s: %s: %s", self.ctx.source.name, url, exc.message)
            self.refused += 1
            return
        if isinstance(exc, MonitorError):
            message = exc.message
            if exc.status:
                message += f" (HTTP {exc.status})"
        else:  # a parser bug must cost one page, not the run; the traceback goes to the debug log
            message = f"unexpected {type(exc).__name__}: {exc}"
            log.debug("page %s failed", url, exc_info=exc)
        line = f"{url}: {message}"
        # The run reports the line (`run` prints it, `runs` counts it): logged at INFO, it reaches the
        # log file of `schedule`, its only record there, but not the stderr of `run` a second time.
        log.info("source %s: %s", self.ctx.source.name, line)
        self.errors.append(line[:300])
        if self.first_failure is None:
            self.first_failure, self.first_failure_line = exc, line[:300]

    def rendered(self, resp: Any) -> str:
        """The page to parse: with ``render``, its DOM after its scripts ran, every request they made
        through the run's client; else, or when Chromium is missing or fails, the HTML as fetched."""
        html = resp.text
        if not self.opts["render"] or self.browser_missing:
            return html
        name, shown = self.ctx.source.name, mask_secrets(resp.url)
        # Chromium gets the page as we read it: its header's charset wins over a <meta> that lies
        mime = (resp.headers.get("Content-Type") or "text/html").split(";")[0]
        try:
            rendering = render_dom(
                resp.url,
                wait_ms=self.opts["render_wait_ms"],
                timeout=self.opts["render_timeout"],
                client=self.ctx.http,
                html=html.encode("utf-8"),
                content_type=f"{mime}; charset=utf-8",
                budget_left=self.budget_left,
                post=self.opts["render_post"],
            )
        except RenderError as exc:
            self.browser_missing = isinstance(exc, BrowserMissing)
            exc.source = name
            line = f"{exc}; parsed the page's HTML instead"
            log.info("%s", line)  # reported with the run, as in fail()
            self.errors.append(line[:400])
            return html
        log.info("source %s: rendered %s: %s", name, shown, rendering.traffic.summary())
        for cause, message in rendering.traffic.problems().items():
            line = f"{shown}: {message}"
            # once per run in the report; each page in the log (INFO, as in fail())
            log.info("source %s: %s", name, line)
            if cause in self.render_reported:
                continue
            self.render_reported.add(cause)
            self.errors.append(line[:400])
        return rendering.html

    def fetched_at(self, resp: Any) -> datetime:
        """When ``resp`` came: its relative dates («5 минут назад», «сегодня в 00:05») count from then,
        not from the run's start (a run that waits out a Retry-After may pass midnight meanwhile)."""
        return resp.fetched_at(self.ctx.now)

    def parse(self, resp: Any, text: str | None = None) -> Any:
        """The article (and its comments) of a fetched page, with this source's selectors and limits."""
        return extract_article(
            resp.text if text is None else text,
            resp.url,
            selectors=self.opts["selectors"],
            now=self.fetched_at(resp),
            max_comments=self.opts["max_comments"],
        )

    def fetch(self, url: str, *, conditional: bool = False, page: str = "") -> Any:
        """The page at ``url``; ``page`` names what it is (``article``, ``comments``, ``listing``, else
        a feed or sitemap) for the redirects that refuse it (``portal_ids.refuse_redirect``): a login
        page (a listing sent to ``/ru/news/`` is none), and for an article the home page or a section."""
        resp = self.ctx.http.get(url, conditional=conditional)
        if page:  # before "unchanged": the page there may be the same as at the last visit
            refuse_redirect(
                self.ctx.http,
                url,
                resp,
                self.opts["article_pattern"],
                listing=page == "listing",
                listings=self.listings if page == "article" else None,
            )
        if page == "listing":
            self.listings.update(normalise_url(u) for u in (url, resp.url))
        if resp.not_modified:
            return resp
        ctype = (resp.headers.get("Content-Type") or "").lower()
        if ctype and not ctype.startswith(_HTML_TYPES) and "xml" not in ctype and "rss" not in ctype:
            raise ParseError(f"not a page: Content-Type {ctype.split(';')[0]}", url=url)
        if site_of(resp.url) != site_of(url):
            raise CollectError(f"redirected off the site to {resp.url}", url=url)
        return resp


class Held(NamedTuple):
    """A known article's re-read held back as a possible stub (:class:`StubWatch`)."""

    url: str
    before: dict[str, Any]  # its cursor entry before the visit
    page: Item  # its article item (its comments were yielded)
    key: str  # portal_recheck.stub_key of its headline and short text


class StubWatch:
    """The run's watch for the site's stub (a maintenance or «removed» page served with 200) replacing
    known articles' text: it brings one headline and one short text for every URL. Every visit's items
    are yielded at once (a new article that reads a stub is stored: its recheck brings its text later,
    as an edit) but a known article's re-read whose text is short under another headline than the
    stored one (``portal_recheck.stub_like``): its article item is held to the end of the visits (its
    comments are not: a stub has none) and dropped when another URL of the run (known or new, not the
    same article's) read the same headline and short text, else yielded as the edit it is. A dropped
    one keeps its stored version and entry, and loses the validators of its URL (the next recheck must
    not be a 304 against the stub); one problem line per stub. Only the pairs' hashes are kept."""

    def __init__(self, run: PortalRun) -> None:
        self.run = run
        self.readers: dict[str, list[str]] = {}  # stub_key of a short page -> the URLs that read it
        self.held: list[Held] = []

    def passes(self, url: str, before: dict[str, Any] | None, items: list[Item]) -> list[Item]:
        """Note what the visit of ``url`` read; its items but the article item held (see the class)."""
        page = items[0] if items and items[0].kind == "article" else None
        short = short_text(page.text, page.title) if page is not None else None
        if page is None or short is None:
            return items
        key = stub_key(short, page.title)
        self.readers.setdefault(key, []).append(url)
        if before is None or not stub_like(short, page.title, before):
            return items
        self.held.append(Held(url, before, page, key))
        return items[1:]

    @staticmethod
    def _restore(known: dict[str, dict[str, Any]], held: Held, checked: Any) -> None:
        """``held``'s entry as before the visit, but for the comments it read (yielded) and ``checked``."""
        now = known[held.url]
        known[held.url] = {**held.before, "checked": checked}
        for key in ("comments", "comment_pages"):
            if key in now:
                known[held.url][key] = now[key]

    def _shared(self, url: str, key: str) -> list[str]:
        return [u for u in self.readers.get(key, []) if u != url and not same_article(url, u)]

    def settle(self, known: dict[str, dict[str, Any]]) -> Iterator[Item]:
        """At the end of the visits: the held re-reads that no other URL read, as edits; the others
        dropped (see the class). Whatever is still held when the generator is closed: :meth:`release`."""
        dropped: dict[str, list[Held]] = {}
        for held in self.held:
            if self._shared(held.url, held.key):
                dropped.setdefault(held.key, []).append(held)
        for key, group in dropped.items():
            for held in group:
                self.held.remove(held)
                if held.url in known:
                    self._restore(known, held, known[held.url].get("checked"))
            for url in self.readers[key]:  # a new article that read it too: its recheck reads it in full
                self.run.ctx.http.validators.pop(validator_key(url), None)
            self._report(group)
        while self.held:
            yield self.held.pop(0).page

    def release(self, known: dict[str, dict[str, Any]]) -> None:
        """The generator was closed (a stop) with re-reads still held: not stored, so their entries and
        validators go back to what they were, and the next recheck reads them again."""
        for held in self.held:
            if held.url in known:
                self._restore(known, held, held.before.get("checked"))
            self.run.ctx.http.validators.pop(validator_key(held.url), None)
        self.held.clear()

    def _report(self, group: list[Held]) -> None:
        page = group[0].page
        urls = [h.url for h in group]
        shown = ", ".join(mask_secrets(u) for u in urls[:2]) + (
            f" and {len(urls) - 2} more" if len(urls) > 2 else ""
        )
        stub = short_text(page.text, page.title) or ""
        line = (
            f"source {self.run.ctx.source.name}: {len(urls)} known article(s) read the stub «{page.title or ''}» "
            f"that other pages of the run read too: «{stub[:80]}» (a maintenance or error page served as "
            f"HTTP 200?); not stored, the stored versions kept: {shown}"
        )
        log.info("%s", line)  # reported with the run, as in fail()
        self.run.errors.append(line[:400])
