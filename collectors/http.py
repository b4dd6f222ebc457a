"""The one polite HTTP client every collector uses.

Timeouts; retries with exponential backoff and jitter on 429, 5xx and connection errors, honouring
Retry-After; a minimum delay between two requests to the same host; robots.txt (cached per host);
redirects followed hop by hop (at most ten), each hop paced, counted and checked against robots.txt;
conditional GET with the validators kept per URL and a content-hash fallback (some servers send
stale validators, or none); POST made once (``post``: no retry, no redirect followed); a cap on the
body size; an HTML page cut short on the way refused; decoding of UTF-8 and cp1251 pages; secrets
masked in every URL that reaches a message (``secrets``); once ``should_stop`` says so, no request
nor retry (FetchStopped: the run ends 'aborted'). What a failure says (how long Retry-After asks us to wait,
a connection error in words) is read by ``http_failures``; what a body holds (its text, whether an
HTML page stops before its end) by ``http_body``; when a host may next be asked, by ``http_pacer``.

A body is read as requests reads it: a connection that ends before the declared Content-Length is a
connection error (retried); a Content-Length shorter than the body is read to that length, and the
rest is never seen, so an HTML page whose bytes end in its middle is refused then (``PAGE_CUT``),
unless a conditional fetch brings the same bytes again (then taken as whole, with a warning).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
import urllib.parse
import urllib.robotparser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
import urllib3

from collectors.http_body import BodyEnd, cut_on_the_way, decode_body, read_body
from collectors.http_body import utf8_with_strays as utf8_with_strays  # where importers found it
from collectors.http_failures import (
    FetchStopped,
    attempts_said,
    connection_failed,
    connection_failure,
    retry_after_seconds,
)
from collectors.http_pacer import SHARED_PACER, HostPacer
from collectors.http_robots import robots_agent, robots_parser, robots_rules
from collectors.secrets import SECRET_PARAMS as SECRET_PARAMS  # where importers found them
from collectors.secrets import mask_secrets as mask_secrets
from collectors.secrets import redirect_shown
from collectors.secrets import validator_key as validator_key  # where collectors find it
from errors import CollectError, FetchError, ResponseTooLarge, RobotsDisallowed

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "public-control-monitor/0.1 (+https://example.invalid/monitor)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ROBOTS_MAX_AGE = 24 * 3600  # seconds a robots.txt is trusted
ROBOTS_BYTES = 512_000  # of a robots.txt read (of which only what decides for us is kept: robots_rules)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # body size cap ([settings] max_bytes)
MAX_VALIDATORS = 5000  # URLs whose validators a source keeps across runs, those used last
MAX_REDIRECTS = 10
# A body (robots.txt too) may take the longer of these seconds and timeouts (``_read_body``).
BODY_SECONDS, BODY_TIMEOUTS = 60.0, 6
STOP_POLL = 0.2  # seconds between two looks at ``should_stop`` while a back-off or a host's turn waits
STOPPED_IN_BODY = "the body was not read to its end: stopped on request"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PAGE_CUT = (  # the error of a page cut on the way (http_body.cut_on_the_way)
    "the page stops before its end (cut on the way: a Content-Length shorter than the page); "
    "not read this run"
)
_CREDENTIALS = ("authorization", "cookie", "proxy-authorization")


def _another_origin(current: str, target: str) -> bool:
    """Whether a redirect from ``current`` leaves its host, or goes from HTTPS to HTTP."""
    here, there = urlsplit(current), urlsplit(target)
    return here.netloc.lower() != there.netloc.lower() or (here.scheme == "https" and there.scheme != "https")


@dataclass(slots=True)
class Response:
    """A fetched (or not-modified) URL."""

    url: str  # final URL after redirects
    status: int
    headers: Mapping[str, str]
    content: bytes
    not_modified: bool = False  # 304, or 200 with the same content hash as last time
    _text: str | None = field(default=None, repr=False)
    encoding: str | None = None
    cut: bool = False  # taken though it looks cut: the same bytes came twice (raw.cut of its article)
    arrived: float = 0.0  # seconds from the client's making (the run's start) to this answer

    def fetched_at(self, run_start: datetime) -> datetime:
        """When this answer came, ``run_start`` being the run's ``ctx.now``: what relative dates count from."""
        return run_start + timedelta(seconds=self.arrived)

    @property
    def text(self) -> str:
        """The body decoded (see :func:`decode_body`)."""
        if self._text is None:
            self._text, self.encoding = decode_body(self.content, self.headers.get("Content-Type"))
        return self._text

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.text)


@dataclass(slots=True)
class Stats:
    """What a client did; the runner logs it and the benchmarks print it."""

    requests: int = 0
    bytes: int = 0
    not_modified: int = 0
    retries: int = 0


class HttpClient:
    """A polite, retrying HTTP client. One per source run; not shared between threads of one host."""

    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 20.0,
        retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 120.0,
        min_delay: float = 1.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        respect_robots: bool = True,
        validators: dict[str, dict[str, str]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        source: str | None = None,
        pacer: HostPacer = SHARED_PACER,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.min_delay = min_delay
        self.max_bytes = max_bytes
        self.respect_robots = respect_robots
        # url -> {"etag", "last_modified", "hash", "cut"}; the runner persists it in the source's state.
        self.validators: dict[str, dict[str, str]] = validators if validators is not None else {}
        for key in [k for k in self.validators if validator_key(k) != k]:  # saved by an older version
            self.validators[validator_key(key)] = self.validators.pop(key)
        self.sleep = sleep
        self.clock = clock  # what a deadline is read against, and when an answer came
        self.opened = clock()  # the run's start: Response.arrived counts from here
        self.source = source
        self.stats = Stats()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.pacer = pacer
        # Once it says so (SIGTERM, Ctrl-C), no request nor retry starts (FetchStopped); ``stopped`` tells
        # the runner one was left out, so the run ends 'aborted' even if a collector took it as a problem.
        self.should_stop = should_stop
        self.stopped = False
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def close(self) -> None:
        """Close the underlying connections."""
        self.session.close()

    # -- politeness -------------------------------------------------------------------------

    def _wait_turn(self, host: str, deadline: float | None = None) -> bool:
        """Wait for the host's next slot (``min_delay`` after the last request to it); False, without
        waiting, when that slot comes after ``deadline``."""
        wait = self.pacer.reserve(host, self.min_delay, None if deadline is None else deadline - self.clock())
        if wait is None:
            return False
        if wait > 0:
            self.pause(wait)
        return True

    def _stop_asked(self) -> bool:
        if self.should_stop is not None and self.should_stop():
            self.stopped = True
        return self.stopped

    def pause(self, seconds: float) -> None:
        """``sleep``, cut short by a stop request (a back-off or a Retry-After held a stop two minutes)."""
        step = seconds if self.should_stop is None else STOP_POLL
        while seconds > 0 and not self._stop_asked():
            self.sleep(min(step, seconds))
            seconds -= step

    def allowed(self, url: str, *, timeout: float | None = None) -> bool:
        """Whether robots.txt of the URL's host lets our User-Agent fetch it; ``timeout`` replaces the
        client's own for fetching that robots.txt, when it is not known yet."""
        if not self.respect_robots:
            return True
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            self._robots[root] = self._fetch_robots(root, timeout or self.timeout)
        parser = self._robots[root]
        return True if parser is None else parser.can_fetch(self.user_agent, url)

    def _require_allowed(self, url: str, timeout: float | None) -> None:
        """Raise RobotsDisallowed unless :meth:`allowed` lets us request ``url`` (GET or POST alike)."""
        if not self.allowed(url, timeout=timeout):
            raise RobotsDisallowed("robots.txt disallows this URL", source=self.source, url=mask_secrets(url))

    def _fetch_robots(self, root: str, timeout: float) -> urllib.robotparser.RobotFileParser | None:
        robots_url = root + "/robots.txt"
        # Kept with the validators (so across runs) for a day, as RFC 9309 allows.
        agent = robots_agent(self.user_agent)
        cached = self.validators.get("robots:" + root)
        # Kept for another User-Agent (a source's user_agent changed), the rules may not be ours: read
        # again. Saved whole by an older version, they still answer for anyone.
        if (
            cached
            and time.time() - float(cached.get("fetched", 0)) < ROBOTS_MAX_AGE
            and cached.get("agent", agent) == agent
        ):
            return robots_parser(robots_url, cached.get("body"))
        try:
            self._wait_turn(urlsplit(root).netloc)
            if self._stop_asked():
                raise FetchStopped(source=self.source, url=robots_url)
            self.stats.requests += 1  # sent, answered or not (review: a timed-out run said "0 requests")
            resp = self.session.get(robots_url, timeout=timeout, stream=True)
            # The first ROBOTS_BYTES only (Google reads 500 KiB): a server could send gigabytes. Within
            # a page's time: one that trickled a byte a second held a run for days.
            raw = b""
            if resp.status_code < 400:
                raw, _ = self._read_body(resp, ROBOTS_BYTES, timeout, robots_url)
            resp.close()
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            return self._robots_unread(
                root, f" ({connection_failure(exc)})", cached if cached else None, agent
            )
        except FetchStopped:
            raise
        except FetchError as exc:  # too slow: as unreachable
            return self._robots_unread(root, f": {exc.message}", cached if cached else None, agent)
        body = None if resp.status_code >= 400 else raw.decode("utf-8", "replace")
        if resp.status_code < 500:  # a server error says nothing about the rules: ask again next time
            # Only the rules that decide for us are kept (saved with the source's state, which a whole
            # robots.txt of hundreds of kilobytes, for every host, would bloat).
            kept = None if body is None else robots_rules(body, self.user_agent)
            self._remember("robots:" + root, {"body": kept, "agent": agent, "fetched": str(time.time())})
        return robots_parser(robots_url, body)

    def _robots_unread(
        self, root: str, why: str, cached: dict[str, str] | None, agent: str
    ) -> urllib.robotparser.RobotFileParser | None:
        """robots.txt could not be read this run: the rules kept from its last read for this agent,
        however old (RFC 9309 lets a crawler use its cached copy; review: a slow robots.txt made pages it
        disallows fetched), else everything allowed this run, and it is asked again the next."""
        if cached is not None and cached.get("agent", agent) == agent:
            log.info("robots.txt of %s unreachable%s; the rules read before kept", root, why)
            return robots_parser(root + "/robots.txt", cached.get("body"))
        log.info("robots.txt of %s unreachable%s; fetching as allowed", root, why)
        return None

    # -- fetching ---------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        conditional: bool = False,
        raise_for_status: bool = True,
        max_bytes: int | None = None,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Response:
        """GET a URL politely; see the module docstring. Raises FetchError after the last retry.

        ``timeout`` replaces the client's own for each request of this call. ``deadline`` (a
        ``time.monotonic()`` value) bounds the whole call, redirects and retries included: each request
        waits at most until then, and a retry whose back-off would pass it is not made (the last answer
        stands, or FetchError when there is none).
        """
        if params:
            sep = "&" if urlsplit(url).query else "?"
            url = url + sep + urlencode({k: v for k, v in params.items() if v is not None})
        shown = mask_secrets(url)
        self._require_allowed(url, timeout)
        send = dict(headers or {})
        # Kept under the URL with its secrets masked: the validators are saved in source_state, which
        # analysts read (and the Parquet snapshot copies); a token in a config URL must not land there.
        known = self.validators.get(validator_key(url)) if conditional else None
        if known:
            if known.get("etag"):
                send["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                send["If-Modified-Since"] = known["last_modified"]
        limit = max_bytes or self.max_bytes
        # Redirects are followed here, not by requests: each hop is a request like any other (paced,
        # counted, retried) and its target must pass robots.txt too.
        current = url
        for hops in range(MAX_REDIRECTS + 1):
            said = shown if hops == 0 else redirect_shown(current)
            resp, content = self._exchange(current, send, limit, retry_statuses, timeout, deadline, said=said)
            location = resp.headers.get("Location") if resp.status_code in REDIRECT_STATUSES else None
            if not location:
                break
            target = urljoin(current, location)
            if hops == MAX_REDIRECTS:
                raise FetchError(f"more than {MAX_REDIRECTS} redirects", source=self.source, url=shown)
            if urlsplit(target).scheme not in ("http", "https"):
                raise FetchError(
                    f"redirected to a non-HTTP address ({redirect_shown(target)})",
                    source=self.source,
                    url=shown,
                )
            if not self.allowed(target, timeout=timeout):
                raise RobotsDisallowed(
                    f"robots.txt disallows the redirect target {redirect_shown(target)}",
                    source=self.source,
                    url=shown,
                )
            if _another_origin(current, target):
                # The page's credentials are for the host they were sent to: a redirect elsewhere (or
                # down to plain HTTP) must not carry them on. requests drops them itself when it follows
                # redirects; here they are followed by hand.
                send = {k: v for k, v in send.items() if k.lower() not in _CREDENTIALS}
            current = target
        final_url = current
        if resp.status_code == 304:
            if not {"If-None-Match", "If-Modified-Since"} & send.keys():
                # Nothing was asked conditionally: "unchanged" since when? Taken as such, the page
                # would never be read.
                raise FetchError(
                    "answered 304 Not Modified to a request that named no earlier version",
                    source=self.source,
                    url=shown,
                    status=304,
                )
            self.stats.not_modified += 1
            self._remember(validator_key(url), known or {})
            return Response(final_url, 304, resp.headers, b"", not_modified=True)
        if raise_for_status and resp.status_code >= 400:
            raise FetchError(
                f"server answered {resp.status_code} {resp.reason or ''}".strip(),
                source=self.source,
                url=shown,
                status=resp.status_code,
            )
        digest = hashlib.sha256(content).hexdigest()[:32]
        looks_cut = False
        if resp.status_code < 300 and cut_on_the_way(
            content, resp.headers.get("Content-Type"), resp.headers.get("Content-Length"), resp.raw.tell()
        ):
            if not known or digest not in (known.get("cut"), known.get("hash")):
                # Read no further than its Content-Length, it stops before its end: the rest may come
                # whole next time. Its validators stay the last whole page's, with the cut bytes' hash.
                if conditional:
                    self._remember(validator_key(url), {**(known or {}), "cut": digest})
                raise FetchError(PAGE_CUT, source=self.source, url=shown)
            # the same bytes again: a whole page that leaves out its closing tags (a cut differs each time)
            # (or a server whose Content-Length counts characters, not bytes: then cut, and marked so)
            if known and known.get("hash") == digest:  # taken before: said then, not every run for months
                log.debug("%s: the page that looks cut is unchanged", shown)
            else:
                log.warning(
                    "%s: the page looks cut but came with the same bytes again: taken as whole", shown
                )
            looks_cut = True
        unchanged = bool(known) and known.get("hash") == digest
        if unchanged:
            self.stats.not_modified += 1
        if conditional and resp.status_code < 300:  # only URLs fetched conditionally keep validators
            self._remember(
                validator_key(url),
                {
                    k: v
                    for k, v in {
                        "etag": resp.headers.get("ETag"),
                        "last_modified": resp.headers.get("Last-Modified"),
                        "hash": digest,
                    }.items()
                    if v
                },
            )
        arrived = self.clock() - self.opened
        return Response(
            final_url, resp.status_code, resp.headers, content, unchanged, cut=looks_cut, arrived=arrived
        )

    def _remember(self, key: str, value: dict[str, str]) -> None:
        # Moved to the end: the validators are saved newest last, and the oldest are the ones dropped.
        self.validators.pop(key, None)
        self.validators[key] = value

    def post(
        self,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Response:
        """POST ``body`` to a URL, as politely as :meth:`get` (robots.txt, ``min_delay``, User-Agent,
        byte cap, count, ``timeout`` and ``deadline``) but made once: a POST may change something on
        the server, so it is not retried, and a redirect is answered as it came, not followed. The
        answer is returned whatever its status."""
        self._require_allowed(url, timeout)
        resp, content = self._exchange(
            url, dict(headers or {}), max_bytes or self.max_bytes, frozenset(), timeout, deadline, body=body
        )
        return Response(url, resp.status_code, resp.headers, content)

    def _exchange(
        self,
        url: str,
        send: Mapping[str, str],
        limit: int,
        retry_statuses: frozenset[int],
        timeout: float | None = None,
        deadline: float | None = None,
        *,
        body: bytes | None = None,
        said: str | None = None,
    ) -> tuple[requests.Response, bytes]:
        """One request for ``url`` (no redirect followed), retried on connection errors and
        ``retry_statuses``; the response and its body (read within ``limit`` bytes). With ``body`` it
        is a POST, made once (no retry of any kind). ``said``: the URL as its errors name it (a
        redirect's target: :func:`redirect_shown`), else masked."""
        shown = said or mask_secrets(url)
        host = urlsplit(url).netloc
        retries = self.retries if body is None else 0
        attempt = 0
        while True:
            # The host's turn first, then the request's share of the time that is left after it (one
            # reading of the clock: a second one could find less left than the check did).
            turn = self._wait_turn(host, deadline)
            if self._stop_asked():
                raise FetchStopped(source=self.source, url=shown)
            left = float("inf") if deadline is None else deadline - self.clock()
            if not turn or left <= 0:
                raise FetchError(f"out of time after {attempts_said(attempt)}", source=self.source, url=shown)
            wait = min(timeout or self.timeout, left)
            self.stats.requests += 1  # sent, answered or not
            try:
                resp = self.session.request(
                    "GET" if body is None else "POST",
                    url,
                    data=body,
                    headers=send,
                    timeout=wait,
                    stream=True,
                    allow_redirects=False,
                )
                content = self._read_capped(resp, limit, shown, wait)
            except ResponseTooLarge:
                raise
            except (
                requests.exceptions.InvalidURL,
                requests.exceptions.InvalidSchema,
                urllib3.exceptions.LocationParseError,
            ) as exc:
                # no retry makes it one (its message quotes the URL unmasked: only its kind is said)
                raise FetchError(
                    f"not an address that can be fetched ({type(exc).__name__})",
                    source=self.source,
                    url=shown,
                ) from None
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                if attempt >= retries or not self._pause(attempt, None, deadline):
                    raise connection_failed(
                        exc, attempt + 1, self.stopped, source=self.source, url=shown
                    ) from None
                attempt += 1
                continue
            if resp.status_code in retry_statuses and attempt < retries:
                retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
                if retry_after is not None and retry_after > self.max_retry_after:
                    raise FetchError(
                        f"server asks to retry after {retry_after:.0f} s, more than the "
                        f"{self.max_retry_after:.0f} s we wait",
                        source=self.source,
                        url=shown,
                        status=resp.status_code,
                    )
                if self._pause(attempt, retry_after, deadline):
                    attempt += 1
                    continue
            return resp, content

    def _read_capped(self, resp: requests.Response, limit: int, shown: str, wait: float) -> bytes:
        def refused(kind: type[CollectError], message: str) -> CollectError:
            resp.close()
            return kind(message, source=self.source, url=shown, status=resp.status_code)

        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise refused(ResponseTooLarge, f"body of {int(declared):,} bytes is over the {limit:,}-byte cap")
        content, end = self._read_body(resp, limit + 1, wait, shown)
        if end == "most":
            raise refused(ResponseTooLarge, f"body is over the {limit:,}-byte cap")
        self.stats.bytes += len(content)
        return content

    def _read_body(
        self, resp: requests.Response, most: int, wait: float, shown: str
    ) -> tuple[bytes, BodyEnd]:
        """``http_body.read_body`` of a response whose each wait for data was ``wait`` seconds at most:
        within the longer of BODY_SECONDS and BODY_TIMEOUTS waits (FetchError), given up at a stop
        request (FetchStopped); ``shown`` is its URL as messages give it."""
        seconds = max(BODY_SECONDS, BODY_TIMEOUTS * wait)
        content, end = read_body(resp.raw, most, seconds, self.clock, self._stop_asked)
        if end in ("whole", "most"):
            return content, end
        resp.close()
        if end == "stopped":
            raise FetchStopped(STOPPED_IN_BODY, source=self.source, url=shown)
        raise FetchError(
            f"the body took more than {seconds:.0f} s to arrive (the server sends it too slowly)",
            source=self.source,
            url=shown,
            status=resp.status_code,
        )

    def _pause(self, attempt: int, retry_after: float | None, deadline: float | None = None) -> bool:
        """Sleep before retry ``attempt + 1``; False (without sleeping) when that would pass ``deadline``,
        and False when a stop is asked before the retry (its sleep cut short)."""
        if self._stop_asked():
            return False
        if retry_after is not None:
            delay = retry_after
        else:
            delay = min(self.max_backoff, self.backoff * (2**attempt))
            delay = delay * (0.5 + random.random() / 2)  # jitter: between half and all of it
        if deadline is not None and self.clock() + delay >= deadline:
            log.debug("no retry: waiting %.2f s would pass the deadline", delay)
            return False
        log.debug("retrying in %.2f s (attempt %d)", delay, attempt + 1)
        self.pause(delay)
        if self._stop_asked():  # asked during the back-off: the retry is not made, nor counted
            return False
        self.stats.retries += 1
        return True


def newest_validators(validators: dict[str, Any]) -> dict[str, Any]:
    """The validators a source keeps for its next run: the ``MAX_VALIDATORS`` used last (the client
    keeps them newest last). Links that change on every visit (``?page=2&_=1732700000``, a cache
    buster) added one each run, for ever."""
    if len(validators) <= MAX_VALIDATORS:
        return validators
    return dict(list(validators.items())[-MAX_VALIDATORS:])
