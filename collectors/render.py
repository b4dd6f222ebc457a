"""Pages whose reader comments arrive by JavaScript: the DOM after headless Chromium ran the page's scripts.

One call is one Chromium process with a fresh profile, driven through the DevTools protocol over a
pipe (``--remote-debugging-pipe``). Every request the page makes is paused in the browser and answered
from here: the page itself from the HTML the caller already fetched, the rest through the run's
:class:`~collectors.http.HttpClient` (robots.txt, ``min_delay``, our User-Agent, retries, byte cap,
request count), or refused. A POST is sent only to where the source's ``render_post`` says
(:func:`may_post`), once. Chromium never reaches the network itself: its proxy is a closed port,
so a request that escaped the interception would fail rather than bypass the client. The process and
its pipe are :class:`~collectors.render_chromium.Chromium`; what the requests become is decided here.

The page gets ``wait_ms`` of virtual time for its scripts (virtual time stands still while a request
is pending, so the JSON call that brings the comments is waited for however slowly we fetch it), and
the whole call ``timeout`` seconds of wall-clock time.
"""

from __future__ import annotations

import base64
import logging
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urlsplit

from collectors.http import HttpClient, mask_secrets

# BrowserMissing and RenderError are raised and caught as this module's (collectors/portal.py, tests)
from collectors.render_chromium import BrowserMissing, Chromium, RenderError, find_browser
from errors import FetchError, MonitorError

log = logging.getLogger(__name__)

# What cannot change the DOM the collector reads is not fetched: it would only spend requests and
# min_delay turns (a page with forty pictures would take forty delays).
SKIPPED_TYPES = frozenset(
    [
        "Image",
        "Media",
        "Font",
        "Stylesheet",
        "TextTrack",
        "Manifest",
        "Ping",
        "Prefetch",
        "CSPViolationReport",
    ]
)
# Headers of the page's requests worth passing on (content negotiation, the page that asked, the
# "this is XHR" mark some comment endpoints check); never User-Agent, cookies or client hints.
FORWARDED_HEADERS = ("accept", "referer", "x-requested-with")
# Headers that describe the transfer, not the body we hand over (requests has already decoded it).
DROPPED_HEADERS = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive", "set-cookie"}
)

_READ_DOM = "document.documentElement ? document.documentElement.outerHTML : ''"
_DOM_LENGTH = "document.documentElement ? document.documentElement.outerHTML.length : 0"


@dataclass(slots=True)
class Traffic:
    """What became of the requests of one rendered page (the page itself not counted)."""

    fetched: list[str] = field(default_factory=list)  # through the HttpClient, answered
    disallowed: list[str] = field(default_factory=list)  # robots.txt forbids them: refused
    over_budget: list[str] = field(default_factory=list)  # the run's max_requests was spent: refused
    not_sent: list[str] = field(default_factory=list)  # neither GET nor POST, or leaving the page
    not_posted: list[str] = field(default_factory=list)  # POSTs that render_post does not list
    failed: list[str] = field(default_factory=list)  # the client could not fetch them
    skipped: int = 0  # images, fonts, media, style sheets, beacons: refused without asking anyone
    frames: list[str] = field(default_factory=list)  # iframes: their DOM is not the page's, not fetched

    def problems(self) -> dict[str, str]:
        """What the run's report should say about refused requests, by cause (``robots``, ``budget``)."""
        found = {}
        if self.disallowed:
            found["robots"] = (
                f"robots.txt disallows {_count(self.disallowed)} of the rendered page: not made, so what "
                "they bring is missing (if the comments come from there, render = true cannot collect "
                f"them): {_urls(self.disallowed)}"
            )
        if self.over_budget:
            found["budget"] = (
                f"the run's max_requests was spent: {_count(self.over_budget)} of the rendered page "
                f"refused, so what they bring is missing (raise max_requests): {_urls(self.over_budget)}"
            )
        return found

    def summary(self) -> str:
        """One line for the log: how many requests were fetched, refused and skipped."""
        return (
            f"{len(self.fetched)} requests fetched, {len(self.failed)} failed, "
            f"{len(self.disallowed)} disallowed by robots.txt, {len(self.over_budget)} over the budget, "
            f"{len(self.not_posted)} POSTs not sent (render_post does not list them), "
            f"{len(self.not_sent)} not sent (neither GET nor POST, or leaving the page), "
            f"{self.skipped} skipped (images, fonts, styles), {len(self.frames)} iframes not loaded"
        )


@dataclass(slots=True)
class Rendered:
    """The page's DOM after its scripts ran, and what its requests became."""

    html: str
    traffic: Traffic


def render_dom(
    url: str,
    *,
    wait_ms: int,
    timeout: float,
    client: HttpClient | None = None,
    html: bytes | None = None,
    content_type: str = "text/html",
    budget_left: Callable[[], bool] = lambda: True,
    post: Sequence[str] = (),
) -> Rendered:
    """The page's DOM after its scripts ran, every request of it made through ``client``.

    ``html`` is the page as already fetched (else the browser asks for it like for the rest, through
    the client: a new default one when none is given); ``budget_left`` says whether the run may
    still make a request; ``post`` lists where the page may POST (see :func:`may_post`), nowhere by
    default. RenderError if Chromium fails or times out.
    """
    shown = mask_secrets(url)
    try:
        browser = find_browser()
    except BrowserMissing as exc:
        exc.url = shown
        raise
    own_client = client is None
    client = client or HttpClient()
    try:
        deadline = time.monotonic() + timeout
        with (
            tempfile.TemporaryDirectory(prefix="monitor-chromium-", ignore_cleanup_errors=True) as profile,
            Chromium(browser, profile, shown, timeout, deadline) as chromium,
        ):
            return _PageSession(chromium, url, html, content_type, client, budget_left, post).render(wait_ms)
    finally:
        if own_client:
            client.close()


class _PageSession:
    """One page target: its requests answered as the module docstring says, then its DOM read."""

    def __init__(
        self,
        chromium: Chromium,
        url: str,
        html: bytes | None,
        content_type: str,
        client: HttpClient,
        budget_left: Callable[[], bool],
        post: Sequence[str] = (),
    ) -> None:
        self.chromium = chromium
        self.post = tuple(post)
        self.url = urldefrag(url).url
        self.html = html
        self.content_type = content_type
        self.client = client
        self.budget_left = budget_left
        self.traffic = Traffic()
        self.session = ""
        self.main_frame = ""
        self.page_url = ""
        self.expired = False

    def render(self, wait_ms: int) -> Rendered:
        chromium = self.chromium
        chromium.on_event = self._on_event
        self.main_frame = chromium.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = chromium.call("Target.attachToTarget", {"targetId": self.main_frame, "flatten": True})
        self.session = attached["sessionId"]
        chromium.call("Inspector.enable", session=self.session)
        chromium.call("Page.enable", session=self.session)
        chromium.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session=self.session)
        # Virtual time stands still until the page is there, then the scripts get wait_ms of it.
        chromium.call("Emulation.setVirtualTimePolicy", {"policy": "pause"}, session=self.session)
        navigated = chromium.call("Page.navigate", {"url": self.url}, session=self.session)
        if navigated.get("errorText"):
            raise RenderError(
                f"Chromium could not show the page: {navigated['errorText']}", url=chromium.shown
            )
        chromium.call(
            "Emulation.setVirtualTimePolicy",
            # a budget of 0 would never expire; 1 ms reads the DOM as the page's parse left it
            {"policy": "pauseIfNetworkFetchesPending", "budget": max(wait_ms, 1)},
            session=self.session,
        )
        chromium.pump(lambda: self.expired)
        # A script can build a DOM far past the byte cap the page itself was fetched under: measured
        # first, it is not moved through the pipe and parsed (a page of 28 MB took 24 s and 670 MB).
        measured = chromium.call(
            "Runtime.evaluate", {"expression": _DOM_LENGTH, "returnByValue": True}, self.session
        )
        length = measured.get("result", {}).get("value")
        if isinstance(length, int | float) and length > self.client.max_bytes:
            raise RenderError(
                f"its scripts made the page {length:,.0f} characters long, over the "
                f"{self.client.max_bytes:,}-byte cap of a fetched page",
                url=chromium.shown,
            )
        result = chromium.call(
            "Runtime.evaluate", {"expression": _READ_DOM, "returnByValue": True}, self.session
        )
        dom = result.get("result", {}).get("value")
        if not isinstance(dom, str) or not dom.strip():
            raise RenderError("Chromium gave an empty page", url=chromium.shown)
        return Rendered(dom, self.traffic)

    def _on_event(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        params = message.get("params", {})
        if method == "Fetch.requestPaused":
            self._answer(params)
        elif method == "Emulation.virtualTimeBudgetExpired":
            self.expired = True
        elif method == "Page.javascriptDialogOpening":  # alert() would stop the scripts until answered
            self.chromium.send("Page.handleJavaScriptDialog", {"accept": False}, self.session)
        elif method in ("Inspector.targetCrashed", "Inspector.detached"):
            raise RenderError(f"the page's renderer ended ({method})", url=self.chromium.shown)

    def _answer(self, paused: dict[str, Any]) -> None:
        """Answer one paused request: from the page we have, through the client, or refused."""
        request = paused["request"]
        request_id = paused["requestId"]
        url = request["url"]
        if not url.startswith(("http://", "https://")):  # data:, blob: and the like stay in the browser
            self._reply("Fetch.continueRequest", {"requestId": request_id})
            return
        kind = paused.get("resourceType")
        method = request.get("method", "GET")
        headers: dict[str, str] = request.get("headers", {})
        log.debug(
            "render of %s: the page asks for %s %s (%s)", self.chromium.shown, method, mask_secrets(url), kind
        )
        if kind == "Document" and paused.get("frameId") == self.main_frame:
            if self.page_url:
                # A script sending the page elsewhere or reloading it: answered 204 No Content, on which
                # a browser stays on the page it shows. Refused, the navigation would put Chromium's
                # error page in its place, and that DOM would be read as the article.
                self.traffic.not_sent.append(url)
                self._fulfil(request_id, 204, {}, b"")
                return
            # the first is the page we navigated to, spelt as Chromium normalised it (host case, IDN)
            self.page_url = urldefrag(url).url
            if self.html is not None:  # fetched already
                self._fulfil(request_id, 200, {"Content-Type": self.content_type}, self.html)
                return
        if kind == "Document" and paused.get("frameId") != self.main_frame:
            # An iframe (a video player, a map, a share button, a comment widget on another host): the
            # collector reads the page's own DOM, so what it holds is never read; not worth a request.
            self._refuse(request_id, self.traffic.frames, url)
        elif kind in SKIPPED_TYPES or (kind == "Other" and _header(headers, "accept").startswith("image/")):
            self.traffic.skipped += 1  # the last: an icon the browser asks for by itself
            self._reply("Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"})
        elif method == "OPTIONS" and _header(headers, "access-control-request-method"):
            self._fulfil(request_id, 204, _preflight_answer(headers), b"")
        elif (tally := self._refused_by(url, method)) is not None:
            self._refuse(request_id, tally, url)
        elif method == "POST":
            body = _post_body(request)
            if body is None:  # Chromium did not hand the body over: sending it empty would be a lie
                log.info("render of %s: the body of POST %s is not available", self.chromium.shown, url)
                self._refuse(request_id, self.traffic.not_posted, url)
            else:
                self._fetch(request_id, url, headers, body)
        else:
            self._fetch(request_id, url, headers)

    def _refused_by(self, url: str, method: str) -> list[str] | None:
        """The tally a request is refused under, or None when the client may make it. A method the
        client does not send, or a POST that ``render_post`` does not list, is refused first: asking
        its host's robots.txt would cost a request for nothing."""
        if method == "POST" and not may_post(url, self.page_url or self.url, self.post):
            return self.traffic.not_posted
        if method not in ("GET", "POST"):
            return self.traffic.not_sent
        if not self.budget_left():  # before robots.txt: a new host's robots.txt is a request too
            return self.traffic.over_budget
        if not self.client.allowed(url, timeout=self._share()):
            return self.traffic.disallowed
        if not self.budget_left():  # that robots.txt took the last request
            return self.traffic.over_budget
        return None

    def _share(self) -> float:
        """How long one request of the page may wait: its share of the render's time left, so that a
        hanging host (its robots.txt, a script) cannot hold the render past ``render_timeout``."""
        left = self.chromium.deadline - time.monotonic()
        return max(0.1, min(self.client.timeout, left / (self.client.retries + 1)))

    def _fetch(
        self, request_id: str, url: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> None:
        """GET (or, with ``body``, POST once) through the client (robots.txt, min_delay, User-Agent,
        retries of a GET, byte cap, count)."""
        if time.monotonic() >= self.chromium.deadline:
            raise self.chromium.timed_out()
        forwarded = FORWARDED_HEADERS if body is None else (*FORWARDED_HEADERS, "content-type")
        send = {k: v for k, v in headers.items() if k.lower() in forwarded}
        try:
            # the request, its retries and their back-off end within the render's own time limit
            if body is None:
                resp = self.client.get(
                    url,
                    headers=send,
                    raise_for_status=False,
                    timeout=self._share(),
                    deadline=self.chromium.deadline,
                )
            else:
                resp = self.client.post(
                    url, body, headers=send, timeout=self._share(), deadline=self.chromium.deadline
                )
        except MonitorError as exc:
            self.traffic.failed.append(url)
            log.info("render of %s: %s", self.chromium.shown, exc)
            if isinstance(exc, FetchError) and exc.status:
                self._fulfil(request_id, exc.status, {}, b"")
            else:
                self._reply("Fetch.failRequest", {"requestId": request_id, "errorReason": "Failed"})
            return
        self.traffic.fetched.append(url)
        kept = {k: v for k, v in resp.headers.items() if k.lower() not in DROPPED_HEADERS}
        self._fulfil(request_id, resp.status, kept, resp.content)

    def _fulfil(self, request_id: str, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self._reply(
            "Fetch.fulfillRequest",
            {
                "requestId": request_id,
                "responseCode": status,
                "responseHeaders": [{"name": k, "value": v} for k, v in headers.items()],
                "body": base64.b64encode(body).decode("ascii"),
            },
        )

    def _refuse(self, request_id: str, tally: list[str], url: str) -> None:
        tally.append(url)
        self._reply("Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"})

    def _reply(self, method: str, params: Mapping[str, Any]) -> None:
        self.chromium.send(method, params, self.session)


def may_post(url: str, page_url: str, allowed: Sequence[str]) -> bool:
    """Whether a page at ``page_url`` may POST to ``url``: an entry of ``allowed`` (a source's
    ``render_post``) that starts with ``/`` is a path on the page's own scheme, host and port («/wp-admin/
    admin-ajax.php»); any other is the beginning of an absolute URL. The query is not part of the match."""
    target, page = urlsplit(url), urlsplit(page_url)
    bare = f"{target.scheme}://{target.netloc}{target.path}"
    for entry in allowed:
        if entry.startswith("/"):
            if (target.scheme, target.netloc) == (page.scheme, page.netloc) and target.path.startswith(entry):
                return True
        elif bare.startswith(entry):
            return True
    return False


def _post_body(request: Mapping[str, Any]) -> bytes | None:
    """The body of a paused POST: its ``postDataEntries`` (base64 each), else ``postData``; None when
    Chromium says there is one but handed over neither (b"" when there is none)."""
    entries = request.get("postDataEntries")
    if entries:
        return b"".join(base64.b64decode(e.get("bytes", "")) for e in entries)
    if "postData" in request:
        return str(request["postData"]).encode("utf-8")
    return None if request.get("hasPostData") else b""


def _count(urls: list[str]) -> str:
    return "1 request" if len(urls) == 1 else f"{len(urls)} requests"


def _urls(urls: list[str], shown: int = 5) -> str:
    """The URLs (secrets masked), the first ``shown`` of them; last in a line, where a cut costs least."""
    listed = ", ".join(mask_secrets(u) for u in urls[:shown])
    return listed + (f" and {len(urls) - shown} more" if len(urls) > shown else "")


def _header(headers: Mapping[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def _preflight_answer(headers: Mapping[str, str]) -> dict[str, str]:
    """Yes to a CORS preflight, answered here: the request it clears goes through the client anyway,
    and the site's answer to that request still decides whether the page's script may read it."""
    return {
        "Access-Control-Allow-Origin": _header(headers, "origin") or "*",
        "Access-Control-Allow-Methods": _header(headers, "access-control-request-method"),
        "Access-Control-Allow-Headers": _header(headers, "access-control-request-headers") or "*",
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Max-Age": "600",
    }
