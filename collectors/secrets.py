"""Secrets kept out of every message, log line and stored value: by name and by value.

By name: :func:`mask_secrets` masks the values of credential-like parameters of a URL (its query and a
fragment of ``name=value`` pairs, as OAuth's ``#access_token=`` is) and the password of its user part;
:func:`mask_text` does so in free text (log lines). :func:`redirect_shown` is how a redirect's target
is said: a non-HTTP one (``fbconnect://success#access_token=...``) by its scheme only.

By value: :func:`scrub` replaces a known secret (a token, a password) wherever it appears in a text:
as written, in any case, and percent-encoded (``EAAB%2DX``, ``%7C`` for an app token's ``|``, also
encoded twice). The secrets of a source are the values of the variables its ``*_env`` keys name
(:func:`source_secrets`); :func:`guard` wraps a collector's items so that its errors and its
problems (``ctx.state["_errors"]``) are scrubbed before the runner stores or prints them. Every secret
seen so far is also remembered in this process (:func:`remember`), and the log formatters scrub them
(:func:`mask_text`), so a log line naming a redirect's path cannot carry one either.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from errors import MonitorError

if TYPE_CHECKING:
    from collectors.base import CollectContext
    from collectors.item import Item

MASK = "***"
# Query parameters whose value is a credential. ``code`` (an OAuth authorization code) is not one of
# them in a query: a portal's article may be ``?code=123``, and the masked URL is also the key of the
# page's validators (collectors/http.py), so two articles would share them; it is masked in a fragment
# and in a redirect's target (:func:`redirect_shown`), which are never such keys.
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "appsecret_proof",
        "token",
        "key",
        "apikey",
        "api_key",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "oauth_token",
        "oauth_verifier",
        "refresh_token",
        "id_token",
        "sig",
        "signature",
        "auth",
    }
)
# ... and names ending so: x_api_key, auth_token, app_secret, user_password, request_signature
_SECRET_SUFFIX = re.compile(r"(?:token|secret|passw(?:or)?d|api[_-]?key|[_-]key|[_-]sig|signature)$")
REDIRECT_PARAMS = frozenset({"code"})
MIN_SECRET = 4  # a shorter value is no secret worth hiding: scrubbing it would garble every message
# Scrubbed from every log line of the process (:func:`remember`), not only the messages of its own source:
# a short one («Test») would mask ordinary words of every line (review RV2), so longer only.
MIN_LOGGED_SECRET = 8


def secret_name(name: str, extra: frozenset[str] = frozenset()) -> bool:
    """Whether a parameter called ``name`` holds a credential."""
    name = name.strip().lower()
    return name in SECRET_PARAMS or name in extra or bool(_SECRET_SUFFIX.search(name))


def _masked_pairs(text: str, extra: frozenset[str]) -> str | None:
    """``a=1&token=x`` with the secret values masked; None when nothing is to mask (or no pairs)."""
    if "=" not in text:
        return None
    pairs = parse_qsl(text, keep_blank_values=True)
    if not any(secret_name(k, extra) for k, _ in pairs):
        return None
    return urlencode([(k, MASK if secret_name(k, extra) else v) for k, v in pairs], safe="*")


def mask_secrets(url: str, *, extra: frozenset[str] = frozenset()) -> str:
    """The URL with the values of credential-like parameters (query, and a fragment of ``name=value``
    pairs) and its user part's password replaced by ``***``; ``extra``: more names to mask."""
    parts = urlsplit(url)
    query = _masked_pairs(parts.query, extra)
    fragment = _masked_pairs(parts.fragment, extra | REDIRECT_PARAMS)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            netloc = f"{user.split(':', 1)[0]}:{MASK}@{host}"
    if query is None and fragment is None and netloc == parts.netloc:
        return url
    return urlunsplit(
        parts._replace(
            netloc=netloc,
            query=parts.query if query is None else query,
            fragment=parts.fragment if fragment is None else fragment,
        )
    )


# The key a page's validators are saved under (collectors/http.py, in source_state): the URL with the
# values of these query parameters masked, the names masked there before session 27 (stores keep
# matching their saved validators). Not the wider masking of messages: a paging parameter such as
# ``page_token`` masked would give the pages of a feed one key, and one page's If-Modified-Since could
# answer 304 for another, which would then never be read.
VALIDATOR_SECRETS = frozenset(
    {"access_token", "appsecret_proof", "token", "key", "password", "client_secret"}
)


def validator_key(url: str) -> str:
    """The URL as the key of its page's validators: the values of VALIDATOR_SECRETS in its query masked."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k.lower() in VALIDATOR_SECRETS for k, _ in pairs):
        return url
    masked = [(k, MASK if k.lower() in VALIDATOR_SECRETS else v) for k, v in pairs]
    return urlunsplit(parts._replace(query=urlencode(masked, safe="*")))


def redirect_shown(target: str) -> str:
    """A redirect's target as a message says it: an HTTP(S) one masked (``code`` too), any other by its
    scheme only (``fbconnect:…``): what follows the scheme of an app's callback address is its token."""
    try:
        parts = urlsplit(target)
    except ValueError:
        return "an address that is no URL"
    if parts.scheme not in ("http", "https"):
        scheme = parts.scheme if re.fullmatch(r"[a-z][a-z0-9+.-]{0,30}", parts.scheme) else "?"
        return f"{scheme}:…"
    return mask_secrets(target, extra=REDIRECT_PARAMS)


# -- by value ---------------------------------------------------------------------------------------


def _char(ch: str) -> str:
    """A regex for one character of a secret: itself, or percent-encoded (once or twice)."""
    encoded = "".join(f"%(?:25)?{b:02x}" for b in ch.encode("utf-8"))
    plus = r"|\+" if ch == " " else ""
    return f"(?:{re.escape(ch)}|{encoded}{plus})"


class ValuePattern:
    """Known secrets, found in any case and percent-encoding. A plain look for each secret in the text
    (lowered, and percent-decoded twice) goes first: the regex of every spelling costs some 60 ms over a
    300 KB Graph page, the look 1 ms, and a text holds no secret nearly always."""

    def __init__(self, secrets: list[str]) -> None:
        self.needles = {n for s in secrets for n in (s.lower(), s.lower().replace(" ", "+"))}
        self.regex = re.compile("|".join("".join(_char(c) for c in s) for s in secrets), re.IGNORECASE)

    def search(self, text: str) -> bool:
        """Whether ``text`` holds one of the secrets."""
        lowered = text.lower()
        if any(n in lowered for n in self.needles):
            return self.regex.search(text) is not None
        if "%" not in text:
            return False
        decoded = unquote(unquote(lowered))
        return any(n in decoded for n in self.needles) and self.regex.search(text) is not None

    def sub(self, text: str) -> str:
        """``text`` with each of the secrets, however spelled, replaced by ``***``."""
        return self.regex.sub(MASK, text) if self.search(text) else text


def value_pattern(secrets: Iterable[str]) -> ValuePattern | None:
    """The secrets (:class:`ValuePattern`); None when none is long enough to be one (:data:`MIN_SECRET`)."""
    kept = sorted({s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET}, key=len, reverse=True)
    return ValuePattern(kept) if kept else None


def scrub(text: str, pattern: ValuePattern | None) -> str:
    """``text`` with every secret of ``pattern`` (:func:`value_pattern`) replaced by ``***``."""
    return text if pattern is None or not text else pattern.sub(text)


def scrub_value(value: Any, pattern: ValuePattern | None) -> Any:
    """A JSON-like value (dicts, lists, strings) with the secrets scrubbed from every string and key."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return scrub(value, pattern)
    if isinstance(value, Mapping):
        return {
            scrub(str(k), pattern) if isinstance(k, str) else k: scrub_value(v, pattern)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_value(v, pattern) for v in value]
    return value


def scrub_error(exc: BaseException, pattern: ValuePattern | None) -> BaseException:
    """``exc`` with the secrets scrubbed from what its text is made of (message, URL, args), in place."""
    if pattern is None:
        return exc
    if isinstance(exc, MonitorError):
        exc.message = scrub(exc.message, pattern)
        exc.url = scrub(exc.url, pattern) if exc.url else exc.url
        exc.path = scrub(exc.path, pattern) if exc.path else exc.path
        exc.args = (exc.message,)
    elif pattern.search(str(exc)):
        exc.args = (scrub(str(exc), pattern),)
    return exc


# -- what this process knows to be secret ----------------------------------------------------------

_known: set[str] = set()
_known_pattern: ValuePattern | None = None
_lock = threading.Lock()


def remember(*secrets: str | None) -> None:
    """Add secrets that every log line of this process is scrubbed of (:func:`mask_text`)."""
    global _known_pattern
    new = {s for s in secrets if s and len(s) >= MIN_LOGGED_SECRET} - _known
    if not new:
        return
    with _lock:
        _known.update(new)
        _known_pattern = value_pattern(_known)


def known_pattern() -> ValuePattern | None:
    """The pattern of every secret :func:`remember` was given."""
    return _known_pattern


_SECRET_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)=([^&\s\"'#]+)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=|-]+")


def mask_text(text: str) -> str:
    """Free text (a log line) with credential-like ``name=value`` pairs (:func:`secret_name`, ``code`` too),
    bearer tokens and every remembered secret masked."""
    if "=" in text:
        text = _SECRET_IN_TEXT.sub(
            lambda m: f"{m[1]}={MASK}" if secret_name(m[1], REDIRECT_PARAMS) else m[0], text
        )
    if "earer" in text:
        text = _BEARER.sub(r"\1 ***", text)
    return scrub(text, _known_pattern)


# -- a source's secrets --------------------------------------------------------------------------


def source_secrets(options: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of the variables a source's ``*_env`` keys name (a token, a password), as set and
    trimmed; remembered for the log lines (:func:`remember`)."""
    environ = os.environ if environ is None else environ
    found: list[str] = []
    for key, name in options.items():
        if key.endswith("_env") and isinstance(name, str) and name:
            value = environ.get(name)
            for each in (value, value.strip() if value else None):
                if each and each not in found:
                    found.append(each)
    remember(*found)
    return found


def guard(items: Iterator[Item], ctx: CollectContext) -> Iterator[Item]:
    """``items`` of a collector, with its secrets (:func:`source_secrets`) scrubbed from the error that
    ends it and from the problems it reports (``ctx.state["_errors"]``), before the runner stores them
    (runs.error, runs.problem_messages) or prints them (`run`, `status`, the schedule log, alerts)."""
    pattern = value_pattern(source_secrets(ctx.source.options))
    if pattern is None:
        yield from items
        return
    done = 0  # problems scrubbed so far

    def scrub_problems() -> int:
        problems = ctx.state.get("_errors")
        if not isinstance(problems, list):
            return 0
        for i in range(done if done <= len(problems) else 0, len(problems)):
            problems[i] = scrub(str(problems[i]), pattern)
        return len(problems)

    try:
        # before each item goes out: a run stopped between two items reads the problems while this
        # generator is still suspended (review RV5), before any ``finally`` here has run
        for item in items:
            done = scrub_problems()
            yield item
    except BaseException as exc:
        scrub_error(exc, pattern)
        raise
    finally:
        scrub_problems()
        close = getattr(items, "close", None)
        if close is not None:
            close()  # as ``yield from`` would: the collector's own clean-up runs now, not at collection
