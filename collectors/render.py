"""Pages whose reader comments arrive by JavaScript: the DOM after headless Chromium ran the page's scripts.

One call is one Chromium process with a fresh profile, driven through the DevTools protocol over a
pipe (``--remote-debugging-pipe``). Every request the page makes is paused in the browser and answered
from here: the page itself from the HTML the caller already fetched, the rest through the run's
:class:`~collectors.http.HttpClient` (robots.txt, ``min_delay``, our User-Agent, retries, byte cap,
request count), or refused. A POST is sent only to where the source's ``render_post`` says
(:func:`may_post`), once. Chromium never reaches the network itself: its proxy is a closed port,
so a request that escaped the interception would fail rather than bypass the client.

The page gets ``wait_ms`` of virtual time for its scripts (virtual time stands still while a request
is pending, so the JSON call that brings the comments is waited for however slowly we fetch it), and
the whole call ``timeout`` seconds of wall-clock time.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urlsplit

from collectors.http import HttpClient, mask_secrets
from errors import CollectError, FetchError, MonitorError

log = logging.getLogger(__name__)

ENV_VAR = "MONITOR_CHROMIUM"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
HOW_TO_GET_ONE = f"render = true needs Chromium: apt install chromium, or set {ENV_VAR} to its path"

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
CLOSE_GRACE = 5.0  # seconds Chromium gets to exit after Browser.close before its group is killed

_LOG_PREFIX = re.compile(r"^\[[^\]]*\]\s*")  # "[pid:tid:time:ERROR:file.cc:12] "
_READ_DOM = "document.documentElement ? document.documentElement.outerHTML : ''"
_DOM_LENGTH = "document.documentElement ? document.documentElement.outerHTML.length : 0"


class RenderError(CollectError):
    """Chromium failed or timed out on a page."""


class BrowserMissing(RenderError):
    """No Chromium to render with: a person must install one or point MONITOR_CHROMIUM to it."""


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


def find_browser() -> str:
    """The Chromium binary: ``$MONITOR_CHROMIUM`` if set, else the first of BROWSERS on the PATH."""
    named = os.environ.get(ENV_VAR)
    if named:
        found = shutil.which(named)
        if not found:
            raise BrowserMissing(f"{ENV_VAR}={named} is not an executable file; {HOW_TO_GET_ONE}")
        return found
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissing(f"no browser found ({', '.join(BROWSERS)}); {HOW_TO_GET_ONE}")


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
            _Chromium(browser, profile, shown, timeout, deadline) as chromium,
        ):
            return _PageSession(chromium, url, html, content_type, client, budget_left, post).render(wait_ms)
    finally:
        if own_client:
            client.close()


class _Chromium:
    """One headless Chromium process and the DevTools pipe to it.

    Chromium reads commands on its fd 3 and writes answers and events on its fd 4, one JSON object
    per message, each ended by a NUL byte.
    """

    def __init__(self, browser: str, profile: str, shown: str, timeout: float, deadline: float) -> None:
        self.browser = browser
        self.profile = profile
        self.shown = shown
        self.timeout = timeout
        self.deadline = deadline
        self.next_id = 0
        self.buffer = bytearray()
        self.awaited: set[int] = set()  # ids of commands whose answer someone waits for
        self.answers: dict[int, dict[str, Any]] = {}
        self.on_event: Callable[[dict[str, Any]], None] = lambda _message: None

    def __enter__(self) -> _Chromium:
        command = [
            self.browser,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}",
            # Chromium's own network is a closed port: whatever escaped the interception fails
            # instead of reaching a site around the HttpClient; <-loopback> includes local addresses.
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
        ]
        if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox on
            command.append("--no-sandbox")
        to_browser, self.commands = os.pipe()  # Chromium reads fd 3, we write
        self.events, from_browser = os.pipe()  # Chromium writes fd 4, we read
        self.stderr = tempfile.TemporaryFile()  # a file, not a pipe: nobody has to drain it meanwhile
        self.poller = select.poll()  # not select(): a busy process may hold fds past FD_SETSIZE
        self.poller.register(self.events, select.POLLIN)
        # The pipes go in as the shell's stdin and stdout, which it moves to 3 and 4 before it becomes
        # Chromium (exec). Not pass_fds: those keep their own numbers, often above 9, which dash cannot
        # redirect; not preexec_fn: it is unsafe in a threaded program, and the runner uses threads.
        remap = 'exec "$@" 3<&0 4>&1 0</dev/null 1>&2'
        try:
            # A session of its own, so that a timeout kills the renderer and helper processes too.
            self.proc = subprocess.Popen(
                ["/bin/sh", "-c", remap, "sh", *command],
                stdin=to_browser,
                stdout=from_browser,
                stderr=self.stderr,
                start_new_session=True,
            )
        except OSError as exc:
            self._close_fds()
            raise BrowserMissing(f"/bin/sh cannot be started ({exc.strerror}); {HOW_TO_GET_ONE}") from None
        finally:
            os.close(to_browser)
            os.close(from_browser)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        if exc_type is None:  # done: let Chromium close its profile in order
            with contextlib.suppress(MonitorError, OSError):
                self.send("Browser.close")
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=CLOSE_GRACE)
        with contextlib.suppress(ProcessLookupError, PermissionError):  # helpers left, or Chromium
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._close_fds()

    def _close_fds(self) -> None:
        for fd in (self.commands, self.events):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.stderr.close()

    # -- the protocol -----------------------------------------------------------------------

    def send(self, method: str, params: Mapping[str, Any] | None = None, session: str | None = None) -> int:
        """Send a command without waiting for its answer; returns its id."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": dict(params or {})}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            try:
                written = os.write(self.commands, data)
            except BrokenPipeError:
                raise self._ended() from None
            data = data[written:]
        return self.next_id

    def call(self, method: str, params: Mapping[str, Any] | None = None, session: str | None = None) -> Any:
        """Send a command and return its result; events that arrive meanwhile are handled."""
        sent = self.send(method, params, session)
        self.awaited.add(sent)
        self.pump(lambda: sent in self.answers)
        self.awaited.discard(sent)
        answer = self.answers.pop(sent)
        if "error" in answer:
            raise RenderError(f"Chromium refused {method}: {answer['error'].get('message')}", url=self.shown)
        return answer.get("result", {})

    def pump(self, done: Callable[[], bool]) -> None:
        """Read and handle messages until ``done()``; RenderError when Chromium ends or time is up."""
        while not done():
            message = self._next_message()
            if message.get("id") in self.awaited:
                self.answers[message["id"]] = message
            elif "error" in message:  # a reply we sent without waiting (a request already gone)
                log.debug("Chromium answered command %s with %s", message["id"], message["error"])
            elif "method" in message:
                self.on_event(message)

    def _next_message(self) -> dict[str, Any]:
        # A bytearray grows in place, and only the new bytes are searched for the end: a DOM of
        # megabytes arrives in hundreds of reads, and copying and searching it all after each took seconds.
        searched = 0
        while (end := self.buffer.find(b"\0", searched)) < 0:
            searched = len(self.buffer)
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise self.timed_out()
            if not self.poller.poll(left * 1000):
                continue
            chunk = os.read(self.events, 1 << 16)
            if not chunk:
                raise self._ended()
            self.buffer += chunk
        message: dict[str, Any] = json.loads(self.buffer[:end])
        del self.buffer[: end + 1]
        return message

    def timed_out(self) -> RenderError:
        return RenderError(
            f"Chromium did not finish within render_timeout = {self.timeout:g} s; "
            "raise render_timeout or lower render_wait_ms",
            url=self.shown,
        )

    def _ended(self) -> RenderError:
        """The error for a Chromium that closed the pipe: its exit status and last log line."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=CLOSE_GRACE)
        self.stderr.seek(0)
        err = self.stderr.read().decode("utf-8", "replace")
        lines = [_LOG_PREFIX.sub("", line) for line in err.splitlines()]
        last = next((line for line in reversed(lines) if line.strip()), "no message")
        status = self.proc.returncode
        if status in (126, 127):  # the shell could not start the browser: no render this run will work
            return BrowserMissing(
                f"{self.browser} cannot be started ({last}); {HOW_TO_GET_ONE}", url=self.shown
            )
        outcome = f"exit status {status}" if status else "no page (it closed the DevTools pipe)"
        return RenderError(f"Chromium gave {outcome}: {last[:150]}", url=self.shown)


class _PageSession:
    """One page target: its requests answered as the module docstring says, then its DOM read."""

    def __init__(
        self,
        chromium: _Chromium,
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
