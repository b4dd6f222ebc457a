"""The exception tree of the monitor.

Every error the pipeline raises on purpose derives from :class:`MonitorError`. Each carries the
context a person needs (source, url, status, path, line) and says whether retrying later can help
(``transient``). The command line turns them into one line on stderr and a non-zero exit status.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Root of every error the monitor raises on purpose."""

    transient = False
    run_status = "failed"  # what the runs table says about a source run that ended with this error

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        url: str | None = None,
        status: int | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.url = url
        self.status = status
        self.path = path
        self.line = line

    def __str__(self) -> str:
        # "<file>:<line>: source <name>: <url> (HTTP <status>): <message>", each part where known
        where = []
        if self.path:
            where.append(f"{self.path}:{self.line}" if self.line else self.path)
        elif self.line:
            where.append(f"line {self.line}")
        if self.source:
            where.append(f"source {self.source}")
        if self.url:
            where.append(f"{self.url} (HTTP {self.status})" if self.status else self.url)
        elif self.status:
            where.append(f"HTTP {self.status}")
        return ": ".join([*where, self.message])


class ConfigError(MonitorError):
    """The configuration file is missing or wrong; a person must fix it."""


class InputError(MonitorError):
    """An input file or line cannot be read (import files, classify input)."""


class StoreError(MonitorError):
    """The DuckDB file cannot be opened or written."""


class StoreLocked(StoreError):
    """Another process holds the DuckDB write lock; retry later."""

    transient = True


class CollectError(MonitorError):
    """A collector could not fetch or parse its source."""


class FetchError(CollectError):
    """An HTTP fetch failed after the client's retries."""

    transient = True


class RobotsDisallowed(CollectError):
    """robots.txt forbids the URL for our User-Agent."""


class ResponseTooLarge(CollectError):
    """The body exceeded the client's size cap."""


class ParseError(CollectError):
    """The source answered, but not with what the collector can read."""


class Throttled(CollectError):
    """The source rate-limits us beyond what we wait within one run; the next run goes on."""

    transient = True
    run_status = "throttled"


class TokenError(CollectError):
    """The access token is missing, expired or revoked: a person must issue a new one."""

    run_status = "token"


class PermissionDenied(CollectError):
    """The token lacks a permission the source needs: a person must grant it."""

    run_status = "permission"


class ModelError(MonitorError):
    """A model file is missing, incompatible, or unsafe to load."""
