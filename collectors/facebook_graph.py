"""The Graph API client of the ``facebook`` collector: paging, throttling, retries, token errors.

Every request carries the page token in an ``Authorization: Bearer`` header, never in its URL.
Errors a person must act on stop the source: codes 102/104/190 (subcodes 458/459/460/463/467) as
:class:`~errors.TokenError`, codes 3/10/200-299 as :class:`~errors.PermissionDenied`. Throttling
(codes 4/17/32/613, business-use-case codes 80000-80014, HTTP 429) is waited out as the
Retry-After / X-Business-Use-Case-Usage headers ask, within ``max_wait`` seconds per run, else
:class:`~errors.Throttled`. Codes 1/2, ``is_transient`` errors and HTTP 5xx are retried with
backoff, then :class:`~errors.FetchError`; so is an HTML page answered with status 200 (a captive
portal, a proxy's login). A list whose paging leads back to a page read already ends there (:class:`Pages`).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from collectors.http import HttpClient, mask_secrets
from collectors.http_failures import retry_after_seconds
from collectors.secrets import ValuePattern, remember, scrub, scrub_value, value_pattern
from errors import CollectError, FetchError, ParseError, PermissionDenied, Throttled, TokenError

log = logging.getLogger(__name__)

THROTTLE_CODES = frozenset({4, 17, 32, 613}) | frozenset(range(80000, 80015))  # 8000x: business use case
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({102, 104, 190})  # 104: no token at all
TOKEN_SUBCODES = {  # what happened to the token, as "the page token in X ..." goes on
    458: "no longer works: the app was removed from the account",
    459: "is blocked: the account is checkpointed",
    460: "was invalidated by a password change",
    463: "has expired",
    464: "belongs to an unconfirmed user",
    467: "is invalid",
}
_VERSION = re.compile(r"^/v\d+(?:\.\d+)?(?=/|$)")
_STRIPPED_PARAMS = frozenset({"access_token", "appsecret_proof"})
# A wait a throttling header asks for beyond this (or NaN, inf, negative) is no estimate: unknown.
LONGEST_KNOWN_WAIT = 7 * 24 * 3600.0


def unreadable_json(exc: ValueError | RecursionError) -> str:
    """Why a body is no JSON we can read, in words (never Python's own message)."""
    if isinstance(exc, RecursionError):
        return "the page's JSON is unreadable: nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        return f"the page's JSON is unreadable: malformed or cut off at line {exc.lineno} column {exc.colno}"
    # json.loads raises a bare ValueError for a number of more digits than int() converts (4300)
    return "the page's JSON is unreadable: a number too long to read"


def html_page(content: bytes) -> bool:
    """Whether a body that is no JSON is an HTML page: what a captive portal or a proxy's login serves
    in place of the answer, with status 200."""
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and any(
        tag in head for tag in (b"<!doctype html", b"<html", b"<head", b"<body")
    )


def _small_int(value: Any) -> int | None:
    """A Graph error code as an int, or None (not a whole number, or too long to be a code)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdecimal() and len(value) <= 18 else None


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


def after_cursor(body: Mapping[str, Any]) -> str | None:
    """``paging.cursors.after`` of a Graph list: where its next page starts."""
    paging = body.get("paging")
    cursors = paging.get("cursors") if isinstance(paging, Mapping) else None
    after = cursors.get("after") if isinstance(cursors, Mapping) else None
    return after if isinstance(after, str) and after else None


def entry_ids(body: Mapping[str, Any]) -> set[str]:
    """The ids of the entries of a Graph list's ``data`` (entries without one left out)."""
    data = body.get("data")
    entries = data if isinstance(data, list) else []
    return {str(e["id"]) for e in entries if isinstance(e, Mapping) and isinstance(e.get("id"), str | int)}


def page_key(url: str, params: Mapping[str, Any] | None) -> tuple[str, frozenset[tuple[str, str]]]:
    """What tells one page of a list from another: the path and the query (``params`` added), in any
    order of its parameters and without the token; two URLs with the same key ask for the same page."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, str(v)) for k, v in (params or {}).items()]
    return parts.path.rstrip("/"), frozenset((k, v) for k, v in query if k not in _STRIPPED_PARAMS)


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
        except (ValueError, RecursionError):
            return None
        error = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(error, Mapping):
            return None
        return cls(
            code=_small_int(error.get("code")),
            subcode=_small_int(error.get("error_subcode")),
            message=str(error.get("message") or "no message"),
            transient=bool(error.get("is_transient")),
        )


def _usage_entries(headers: Mapping[str, str]) -> list[Mapping[str, Any]]:
    """The usage objects of X-App-Usage, X-Page-Usage and X-Business-Use-Case-Usage (one per business use)."""
    entries: list[Mapping[str, Any]] = []
    for name in ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage"):
        try:
            usage = json.loads(headers.get(name) or "null")
        except (ValueError, RecursionError):
            continue
        if not isinstance(usage, Mapping):
            continue
        if name != "X-Business-Use-Case-Usage":
            entries.append(usage)
            continue
        for per_business in usage.values():  # {"<business id>": [{"type": "pages", ...}]}
            for entry in per_business if isinstance(per_business, list) else [per_business]:
                if isinstance(entry, Mapping):
                    entries.append(entry)
    return entries


def _plausible_wait(seconds: float | None) -> float | None:
    """``seconds`` when it can be a wait (finite, 0 or more, at most a week); else None, unknown."""
    if seconds is None or not math.isfinite(seconds) or not 0 <= seconds <= LONGEST_KNOWN_WAIT:
        return None
    return seconds


def _number(value: Any) -> float | None:
    """A usage header's number as a finite float (JSON lets NaN and Infinity through), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int of hundreds of digits
        return None
    return number if math.isfinite(number) else None


def throttle_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait the headers ask for: Retry-After, else the longest estimated_time_to_regain_access
    (minutes); None when they name none that can be a wait (NaN, inf, negative or beyond a week)."""
    seconds = _plausible_wait(retry_after_seconds(headers.get("Retry-After")))
    if seconds is not None:
        return seconds
    waits = [
        wait
        for e in _usage_entries(headers)
        if (minutes := _number(e.get("estimated_time_to_regain_access"))) is not None
        and (wait := _plausible_wait(minutes * 60)) is not None
    ]
    return max(waits) if waits else None


def usage_percent(headers: Mapping[str, str]) -> float | None:
    """The highest call_count / total_time / total_cputime percentage in the usage headers."""
    values = [
        value
        for e in _usage_entries(headers)
        for key in ("call_count", "total_time", "total_cputime")
        if (value := _number(e.get(key))) is not None
    ]
    return max(values) if values else None


# -- I/O -------------------------------------------------------------------------------------


@dataclass
class GraphClient:
    """Graph API calls of one run: the token, throttling, transient retries, terminal errors."""

    http: HttpClient
    graph_url: str
    token: str
    token_env: str  # the variable as messages name it (collectors.base.variable_label)
    source: str
    max_wait: float = 5.0
    waited: float = 0.0
    _warned_usage: bool = field(default=False, repr=False)
    # The token in any case and percent-encoding (collectors.secrets.value_pattern)
    _token_pattern: ValuePattern | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._token_pattern = value_pattern([self.token])
        remember(self.token)  # and no log line of this process shows it

    def url(self, path: str) -> str:
        """The absolute URL of a Graph path (``/123/feed``)."""
        return self.graph_url.rstrip("/") + "/" + path.lstrip("/")

    def shown(self, url: str, params: Mapping[str, Any] | None = None) -> str:
        """The URL as messages show it: the path and cursors; the long fields list would hide what to do."""
        shown_params = {k: v for k, v in (params or {}).items() if k != "fields"}
        return mask_secrets(url + ("?" + urlencode(shown_params) if shown_params else ""))

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET a Graph URL and return its JSON; raise the error a person can act on."""
        send = dict(params or {})
        headers = {"Authorization": f"Bearer {self.token}"}
        shown = self.shown(url, params)
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
                except (ValueError, RecursionError) as exc:
                    if html_page(resp.content):
                        # Not Graph's answer: the network's. Every request of the run would get it, so
                        # the run stops and its cursor stays (a ParseError of a comments page would be
                        # one problem per post, and a rechecked post would be forgotten).
                        raise FetchError(
                            "the server answered an HTML page, not JSON (a proxy's or Wi-Fi login page?); "
                            "the next run retries",
                            source=self.source,
                            url=shown,
                            status=resp.status,
                        ) from None
                    raise ParseError(unreadable_json(exc), source=self.source, url=shown) from None
                if not isinstance(body, dict):
                    raise ParseError("a Graph answer that is not an object", source=self.source, url=shown)
                if self._token_pattern is not None and self._token_pattern.search(resp.text):
                    # echoed outside ``paging`` (an attachment's link): never stored in items.raw
                    body = scrub_value(body, self._token_pattern)
                return body
            code = error.code if error else None
            if code in TOKEN_CODES:
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
                known = throttle_seconds(resp.headers)
                backoff = min(self.http.max_backoff, self.http.backoff * 2**throttle_attempt)
                wait = known if known is not None else backoff
                if self.waited + wait > self.max_wait or throttle_attempt >= 8:
                    # A wait the headers did not give (or gave as NaN, inf, a year) is not shown as one.
                    if known is not None:
                        when = f"access comes back in about {known:.0f} s, beyond the {self.max_wait:.0f} s"
                    else:
                        when = f"it did not say for how long, and waiting longer would pass the {self.max_wait:.0f} s"
                    raise Throttled(
                        f"Graph API throttles this app (code {code}); {when} this run may wait; the next run goes on",
                        source=self.source,
                        url=shown,
                        status=resp.status,
                    )
                log.warning("%s: throttled (code %s), waiting %.1f s", self.source, code, wait)
                self.waited += wait
                self.http.pause(wait)
                throttle_attempt += 1
                continue
            if code in TRANSIENT_CODES or (error and error.transient) or resp.status >= 500:
                if transient_attempt >= self.http.retries:
                    what = f"code {code}: {self._scrub(error)}" if error else f"HTTP {resp.status}"
                    tries = f"{transient_attempt + 1} times" if transient_attempt else "once"
                    raise FetchError(
                        f"Graph API failed {tries} ({what}); the next run retries",
                        source=self.source,
                        url=shown,
                        status=resp.status,
                    )
                delay = min(self.http.max_backoff, self.http.backoff * 2**transient_attempt)
                log.info("%s: transient Graph error (%s), retrying in %.1f s", self.source, code, delay)
                self.http.stats.retries += 1
                self.http.pause(delay)
                transient_attempt += 1
                continue
            detail = f"code {code}: {self._scrub(error)}" if error else "no Graph error in the body"
            if code == 803 or (code == 100 and error and error.subcode == 33):
                detail += "; check the id (page_id) and that the token's page can see it"
            raise CollectError(
                f"Graph API refused the request ({detail})", source=self.source, url=shown, status=resp.status
            )

    def _scrub(self, error: GraphError | None) -> str:
        """Graph's error message without the token, in any case or percent-encoding."""
        return scrub(error.message if error else "", self._token_pattern)

    def _token_message(self, error: GraphError | None) -> str:
        sub = error.subcode if error else None
        why = TOKEN_SUBCODES.get(sub or 0, "was rejected")
        code = f"code {error.code}" + (f"/{sub}" if sub else "") if error else "code 190"
        return (
            f"the page token in {self.token_env} {why} ({code}); issue a new page access token "
            f"and set {self.token_env}"
        )

    def _watch_usage(self, headers: Mapping[str, str]) -> None:
        pct = usage_percent(headers)
        if pct is not None and pct >= 90 and not self._warned_usage:
            log.warning("%s: Graph API usage at %.0f%% of the app's limit", self.source, pct)
            self._warned_usage = True

    def pages(self, url: str, params: Mapping[str, Any] | None, *, max_pages: int | None = None) -> Pages:
        """Every page of a Graph list (see :class:`Pages`)."""
        return Pages(self, url, params, max_pages)


class Pages:
    """Iterates the pages of a Graph list, following paging.next (re-based) until it is absent."""

    def __init__(
        self, client: GraphClient, url: str, params: Mapping[str, Any] | None, max_pages: int | None
    ) -> None:
        self.client, self.url, self.params, self.max_pages = client, url, params, max_pages
        self.capped = False  # True when max_pages stopped the list before its end
        self.shown = client.shown(url, params)  # the page last fetched, for messages
        self.count = 0  # pages fetched

    def __iter__(self) -> Iterator[dict[str, Any]]:
        url, params, client = self.url, self.params, self.client
        seen = {page_key(url, params)}  # the first page too: a paging.next may lead back to it
        cursors: set[str] = set()
        ids: set[str] = set()
        while True:
            body = client.get(url, params)
            self.shown = client.shown(url, params)
            self.count += 1
            yield body
            following = next_url(body)
            # Graph API: a short or empty page is not the last page; only a missing paging.next is.
            if not following:
                return
            # A server whose paging leads back to a page read already would keep the run going to
            # max_pages: the same next URL, the same cursor under another query string, or the same
            # entries again. The list ends there, as at its end, with one line saying so.
            url, params = rebase(following, client.graph_url), None
            key, cursor, page_ids = page_key(url, None), after_cursor(body), entry_ids(body)
            if key in seen:
                why = f"paging.next repeats {mask_secrets(url)}"
            elif cursor is not None and cursor in cursors:
                why = f"{self.shown} gives the paging cursor of an earlier page again"
            elif page_ids and page_ids <= ids:
                why = f"{self.shown} brings only entries an earlier page gave"
            else:
                why = ""
            if why:
                log.warning("%s: %s; stopping this list, keeping what was read", client.source, why)
                return
            seen.add(key)
            cursors.update([cursor] if cursor is not None else [])
            ids |= page_ids
            if self.max_pages is not None and self.count >= self.max_pages:
                self.capped = True  # the caller says what this means for its list
                return
