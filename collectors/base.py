"""What a collector is given, and what it must provide.

A collector module (one per source kind) exposes:

* ``REQUIRED: frozenset[str]`` and ``OPTIONAL: frozenset[str]``: its config keys besides the common
  ones (``name``, ``kind``, ``schedule``); the config loader rejects unknown keys by name.
* ``VALUES: dict[str, Expect]``: what the value of each of its own keys must be (the HTTP, URL and
  watch keys have theirs in config/sources.py); the loader checks them when the file loads.
* ``collect(ctx: CollectContext) -> Iterator[Item]``: a generator. It reads its cursor from
  ``ctx.state`` (the JSON dict saved after the source's last successful run) and writes the new
  cursor back into the same dict; the runner saves it only when the whole run succeeds. Items are
  stored in batches as they are yielded, so a failure half-way keeps what was already fetched, and
  the upsert on ``(source, external_id)`` makes the overlapping re-fetch of the next run harmless.
* ``CURSOR_AFTER_STOP: bool`` (optional, false when absent): true when, once ``ctx.http`` refuses
  requests (FetchStopped: a stop, or the run's ``max_run_seconds``), ``collect`` goes on to its end
  with a cursor that names only what it read (the rest left for the next run). The runner then lets
  a run past its deadline end so and saves that cursor; else the deadline cuts the run as a stop does.

An importer (``pipeline.py import KIND PATH``) is a function
``read_export(path, *, source, options, report) -> Iterator[Item]`` that calls
``report(InputError(..., path=..., line=...))`` for each bad line and goes on with the rest. Its
module declares ``IMPORT_OPTIONS: frozenset[str]`` and their ``VALUES`` in the same way.

The rules below (:class:`Expect` and the generic ones made of it) are what ``VALUES`` are built
from; they live here because collectors must not import config/.
"""

from __future__ import annotations

import codecs
import logging
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from collectors.item import Item
from errors import ConfigError, InputError

if TYPE_CHECKING:
    from collectors.http import HttpClient

COMMON_KEYS = frozenset({"name", "kind", "schedule"})
# Every collected source may override the [settings] of its HTTP client.
HTTP_KEYS = frozenset({"user_agent", "min_delay", "timeout", "retries", "max_bytes", "respect_robots"})


@dataclass(slots=True)
class SourceConfig:
    """One ``[[sources]]`` table of sources.toml."""

    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)  # every key but the common ones
    schedule: str | None = None

    def get(self, key: str, default: Any = None) -> Any:
        """An option of this source, or ``default``."""
        return self.options.get(key, default)


@dataclass(slots=True)
class CollectContext:
    """Everything one run of one source may use."""

    source: SourceConfig
    http: HttpClient
    state: dict[str, Any]  # the cursor: read it, update it in place
    last_success: datetime | None  # when this source last finished a run without error (UTC)
    now: datetime  # the run's start, timezone-aware UTC
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("collectors"))


class Collector(Protocol):
    REQUIRED: frozenset[str]
    OPTIONAL: frozenset[str]
    VALUES: dict[str, Expect]

    def collect(self, ctx: CollectContext) -> Iterator[Item]: ...


Report = Callable[[InputError], None]


class Importer(Protocol):
    def __call__(
        self, path: Path, *, source: str, options: Mapping[str, Any], report: Report
    ) -> Iterator[Item]: ...


# -- what an option's value must be ----------------------------------------------------------------
# config/sources.py checks every value it has a rule for when the file loads, so a wrong type or
# range is one line naming the file, the source and the key, not a traceback in the middle of a run.

# A day count or an hour band beyond this is no longer a span of time: a datetime minus 1000 years
# and more leaves what datetime can hold (OverflowError in the middle of a run).
MAX_DAYS = 365_000
MAX_HOURS = MAX_DAYS * 24


def is_number(value: Any) -> bool:
    """A finite int or float, and not true or false."""
    # TOML true/false arrive as Python bools, and bool is a subclass of int; nan and inf are no use here
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_whole(value: Any) -> bool:
    """An int, and not true or false."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_http_url(value: Any) -> bool:
    """An absolute http(s) URL with a host: the only addresses the HTTP client can fetch."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # ValueError for a port that is no number or out of range
        if any(ord(c) < 32 or ord(c) == 127 for c in value):  # urlsplit drops a tab silently
            return False
    except ValueError:  # e.g. an unclosed [IPv6] host
        return False
    return parts.scheme in ("http", "https") and is_host(parts.hostname or "")


# One label of a host name once in ASCII (IDNA): letters, digits, hyphens inside, underscores (some
# hosts have them, and the HTTP client takes them), at most 63 characters.
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


# What the README's and the design's examples write for a site's address; a copy of them parses (their
# contract), and config.sources.load_config refuses it, since no run could fetch it.
PLACEHOLDER = "…"


def is_host(host: str) -> bool:
    """A host name (Cyrillic ones too) or an IP address. `https://exa mple.kz/rss` and README's
    `https://…/rss.xml` passed the load check and then failed every run, retried, on InvalidURL."""
    import ipaddress

    if (
        PLACEHOLDER in host
    ):  # the documents' example (`https://…/rss.xml`): load_config refuses it in its own words
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if not host or len(host) > 253 or labels[-1].isdigit():  # 1.2.3.999 is no address, nor a name
        return False
    for label in labels:
        try:
            ascii_label = label if label.isascii() else label.encode("idna").decode("ascii")
        except UnicodeError:  # "…" is "..." to IDNA: empty labels
            return False
        if not _LABEL.fullmatch(ascii_label):
            return False
    return True


def is_http_urls(value: Any) -> bool:
    """A list of :func:`is_http_url` URLs (maybe empty)."""
    return isinstance(value, list) and all(is_http_url(u) for u in value)


def shown(value: Any) -> str:
    """A value as the error shows it: as written in TOML for true/false and times, else its ``repr``."""
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).lower() if isinstance(value, bool) else repr(value)


def masked(value: Any) -> str:
    """``repr`` of a URL (or list of URLs) with token-like query parameters masked."""
    from collectors.http import mask_secrets  # imports requests: only when there is an error to show

    def mask(url: Any) -> Any:
        try:
            return mask_secrets(url) if isinstance(url, str) else url
        except ValueError:
            return "<not a URL>"

    return repr([mask(u) for u in value] if isinstance(value, list) else mask(value))


@dataclass(frozen=True, slots=True)
class Expect:
    """What a config value must be: ``test`` accepts it (True) or refuses it (False, or ValueError
    saying why); ``what`` says it in the error."""

    what: str
    test: Callable[[Any], bool]
    show: Callable[[Any], str] = shown

    def check(self, value: Any, key: str, *, where: str, source: str | None = None) -> None:
        """Raise ConfigError naming ``key`` and what it must be, unless ``value`` passes."""
        try:
            passed, why = self.test(value), ""
        except ValueError as exc:
            passed, why = False, f" ({exc})"
        if not passed:
            raise ConfigError(
                f"{key} must be {self.what}, got {self.show(value)}{why}", path=where, source=source
            )


def check_options(options: Any, rules: Mapping[str, Expect], source: str | None) -> None:
    """Check the options that ``rules`` knows (``options``: a mapping or a SourceConfig), as load_config
    does: a collector calls this for a source built in code (a test, the demo), which has not been
    through the config file's checks."""
    for key, rule in rules.items():
        value = options.get(key)
        if value is not None:
            rule.check(value, key, where=None, source=source)


def one_of(*choices: str) -> Expect:
    """One of ``choices``, written exactly so."""
    quoted = [f'"{c}"' for c in choices]
    what = f"{', '.join(quoted[:-1])} or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
    return Expect(what, lambda v: isinstance(v, str) and v in choices)


def _time_zone(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Asia" is a folder of zones
        return False
    return True


def _text_encoding(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        codec = codecs.lookup(value)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        return False
    # bytes.decode refuses the codecs that are not text encodings (base64, rot13, zlib), which lookup
    # knows; idna and punycode encode host names, and refuse a file's bytes with a bare UnicodeError.
    return bool(getattr(codec, "_is_text_encoding", True)) and codec.name not in ("idna", "punycode")


def _iso_time(value: Any) -> bool:
    if isinstance(value, date):  # a TOML date or date-time; datetime is a date too
        return True
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _hour_pairs(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(pair, list) and len(pair) == 2 and all(is_number(h) and 0 <= h <= MAX_HOURS for h in pair)
        for pair in value
    )


def _regex(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(str(exc)) from None
    return True


TEXT = Expect("a non-empty string", lambda v: isinstance(v, str) and bool(v.strip()))
FLAG = Expect("true or false", lambda v: isinstance(v, bool))
NUMBER_ABOVE_0 = Expect("a number above 0", lambda v: is_number(v) and v > 0)
NUMBER_0_OR_MORE = Expect("a number, 0 or more", lambda v: is_number(v) and v >= 0)
WHOLE_0_OR_MORE = Expect("a whole number, 0 or more", lambda v: is_whole(v) and v >= 0)
WHOLE_ABOVE_0 = Expect("a whole number above 0", lambda v: is_whole(v) and v > 0)
HOURS = Expect(
    f"a number of hours, 0 or more, at most {MAX_HOURS} (0: never)",
    lambda v: is_number(v) and 0 <= v <= MAX_HOURS,
)
DAYS = Expect(f"a number of days from 0 to {MAX_DAYS}", lambda v: is_number(v) and 0 <= v <= MAX_DAYS)
HTTP_URL = Expect("an http:// or https:// URL with a host", is_http_url, masked)
HTTP_URLS = Expect("a list of http:// or https:// URLs with a host", is_http_urls, masked)
# portal: one start URL may be given as a string
START_URLS = Expect(
    "an http:// or https:// URL with a host, or a non-empty list of them",
    lambda v: is_http_url(v) or (is_http_urls(v) and bool(v)),
    masked,
)
TIME_ZONE = Expect("an IANA time zone name such as Asia/Almaty or UTC", _time_zone)
TEXT_ENCODING = Expect("a text encoding Python knows, such as utf-8 or cp1251", _text_encoding)
ONE_CHARACTER = Expect("a 1-character string", lambda v: isinstance(v, str) and len(v) == 1)
ISO_TIME = Expect("an ISO date or date-time such as 2026-11-25 or 2026-11-25T14:35:00+05:00", _iso_time)
HOUR_PAIRS = Expect(
    f"a list of [max_age_hours, every_hours] pairs of numbers from 0 to {MAX_HOURS}", _hour_pairs
)
REGEX = Expect("a regular expression", _regex)


# -- environment variables (config/environment.py says how they are used) ---------------------------


# The value of a `*_env` key is shown in a message (an error, a log line, runs.error, `status`) only
# when it looks like a conventional variable name: a capital letter, then capitals, digits and _
# (FB_PAGE_TOKEN). Anything else, valid as a name or not (fb_token, a token or a password pasted in
# its place), is named by its key: it may be the secret itself.
SHOWN_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def variable_label(name: str, key: str) -> str:
    """``name`` where a message may show it, else "the variable KEY names" (``key`` such as
    "[alerts] smtp_password_env")."""
    return name if SHOWN_NAME.fullmatch(name) else f"the variable {key or 'configured'} names"


def shown_variable(name: str, key: str) -> str:
    """The words naming the variable in a message: "environment variable NAME", or, for a value that
    does not look like a variable name, the key that holds it and why it is not shown."""
    if SHOWN_NAME.fullmatch(name):
        return f"environment variable {name}"
    return (
        f"the environment variable {key or 'configured'} names (not shown: it does not look like a "
        "variable name, maybe it is the secret itself)"
    )


@dataclass(frozen=True, slots=True)
class NeededVariable:
    """An environment variable some part of the configuration cannot work without."""

    name: str  # "" when the configuration needs one but names none (smtp_user without smtp_password_env)
    what: str  # what fails without it: "the webhook alerts (webhook_url_env)"
    # A secret taken as it is, empty too (a password may be empty). Otherwise the value is trimmed and
    # one of nothing but spaces counts as unset, as a token or a URL of only spaces is no value.
    verbatim: bool = False
    fallback: str | None = None  # a configured value used while it is unset (webhook_url)
    unnamed: str = ""  # said when ``name`` is "": which key is missing
    key: str = ""  # the key that names it ("[alerts] smtp_password_env"), for a name not shown

    @property
    def shown(self) -> str:
        """The variable as a message may name it (:func:`shown_variable`)."""
        return shown_variable(self.name, self.key)

    def resolve(self, environ: Mapping[str, str]) -> str | None:
        """The value its reader uses (the variable's, else the fallback); None when there is none."""
        value = environ.get(self.name) if self.name else None
        if value is not None and not self.verbatim:
            value = value.strip() or None
        return value if value is not None else self.fallback

    def problem(self, environ: Mapping[str, str]) -> str | None:
        """One sentence saying what fails while ``environ`` lacks it; None when it resolves."""
        if self.resolve(environ) is not None:
            return None
        if not self.name:
            return f"{self.unnamed}: {self.what} will fail"
        empty = "" if self.verbatim else " or empty"
        return f"{self.shown} is not set{empty}: {self.what} will fail until it is"
