"""What a failed HTTP exchange says, for the client's retries and its error messages.

How long the server asks us to wait (``Retry-After``: seconds or an HTTP date), what went wrong
with a connection, in words: never the exception's own text, which repeats the URL, and a URL may
carry a token; and the error of a request or retry left out because a stop was requested.
"""

from __future__ import annotations

import email.utils
import http.client
from datetime import UTC, datetime

import requests
import urllib3

from errors import FetchError


class FetchStopped(FetchError):
    """A request, or its retry, not made because the process was asked to stop (SIGTERM, Ctrl-C): the
    run ends 'aborted', which is not the source's failure (no back-off, the cursor not saved)."""

    run_status = "aborted"
    transient = False

    def __init__(
        self, message: str = "not requested: stopped on request", *, source: str | None, url: str
    ) -> None:
        super().__init__(message, source=source, url=url)


def attempts_said(attempts: int) -> str:
    """``1 attempt``, ``2 attempts``, ``0 attempts``."""
    return f"{attempts} attempt{'' if attempts == 1 else 's'}"


def connection_failed(
    exc: BaseException, attempts: int, stopped: bool, *, source: str | None, url: str
) -> FetchError:
    """The error of a request whose connection failed ``attempts`` times; FetchStopped when its retry
    was left out because a stop was requested (the run was stopped, the source did not fail)."""
    failed = f"connection failed after {attempts_said(attempts)}: {connection_failure(exc)}"
    if stopped:
        return FetchStopped(f"{failed}; not retried: stopped on request", source=source, url=url)
    return FetchError(failed, source=source, url=url)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def connection_failure(exc: BaseException) -> str:
    """What went wrong with a connection, in words (never the exception's text: it repeats the URL,
    which may carry a token)."""
    import socket
    import ssl

    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    found: list[BaseException] = []
    while todo:  # the causes requests and urllib3 wrap around the socket's own error
        err = todo.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        found.append(err)
        nested = [err.__cause__, err.__context__, getattr(err, "reason", None), *err.args]
        todo.extend(e for e in nested if isinstance(e, BaseException))
    for err in found:
        if isinstance(err, ConnectionRefusedError):
            return "connection refused (nothing listens on that port)"
        if isinstance(err, socket.gaierror):
            return "host name not found (DNS)"
        if isinstance(err, ssl.SSLCertVerificationError):
            return "TLS certificate not trusted"
        if isinstance(err, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(err, ConnectionResetError):
            return "connection reset by the server"
        if isinstance(err, requests.exceptions.ConnectTimeout):
            return "timed out connecting"
        if isinstance(err, requests.exceptions.ReadTimeout | urllib3.exceptions.ReadTimeoutError):
            return "timed out waiting for the answer"

    for err in found:  # the generic ones, once no cause above says more
        if isinstance(err, urllib3.exceptions.DecodeError):
            return "the body's compression is damaged"
        if isinstance(err, urllib3.exceptions.ProtocolError | http.client.IncompleteRead):
            return "the connection ended before the whole answer came"
    return type(exc).__name__
