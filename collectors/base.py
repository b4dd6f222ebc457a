"""What a collector is given, and what it must provide.

A collector module (one per source kind) exposes:

* ``REQUIRED: frozenset[str]`` and ``OPTIONAL: frozenset[str]``: its config keys besides the common
  ones (``name``, ``kind``, ``schedule``); the config loader rejects unknown keys by name.
* ``collect(ctx: CollectContext) -> Iterator[Item]``: a generator. It reads its cursor from
  ``ctx.state`` (the JSON dict saved after the source's last successful run) and writes the new
  cursor back into the same dict; the runner saves it only when the whole run succeeds. Items are
  stored in batches as they are yielded, so a failure half-way keeps what was already fetched, and
  the upsert on ``(source, external_id)`` makes the overlapping re-fetch of the next run harmless.

An importer (``pipeline.py import KIND PATH``) is a function
``read_export(path, *, source, options, report) -> Iterator[Item]`` that calls
``report(InputError(..., path=..., line=...))`` for each bad line and goes on with the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from collectors.item import Item
from errors import InputError

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

    def collect(self, ctx: CollectContext) -> Iterator[Item]: ...


Report = Callable[[InputError], None]


class Importer(Protocol):
    def __call__(
        self, path: Path, *, source: str, options: Mapping[str, Any], report: Report
    ) -> Iterator[Item]: ...
