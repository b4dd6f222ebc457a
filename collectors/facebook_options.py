"""What a ``facebook`` source may configure, what each value must be, and reading the values in a run.

The config loader checks ``VALUES`` when the file loads; :func:`option` checks a value again when the
run reads it, since a source built in code (a test, the demo) has not been through the loader. The
collector module, collectors/facebook.py, exposes ``REQUIRED``, ``OPTIONAL`` and ``VALUES`` as every
collector module does (collectors/base.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from collectors.base import (
    DAYS,
    HOUR_PAIRS,
    ISO_TIME,
    NUMBER_0_OR_MORE,
    TEXT,
    WHOLE_0_OR_MORE,
    WHOLE_ABOVE_0,
    CollectContext,
    Expect,
    NeededVariable,
    SourceConfig,
    is_http_url,
    is_whole,
    masked,
    one_of,
)

REQUIRED = frozenset({"page_id", "graph_url", "token_env"})
OPTIONAL = frozenset(
    {
        "endpoint",  # "feed" (default: the page's and visitors' posts) or "published_posts"
        "since",  # ISO date/time: never read posts created before it
        "until",  # ISO date/time: never read posts created after it (backfill windows)
        "since_days",  # first run only: read this many days back (default: the whole feed)
        "comment_days",  # re-read comments of posts younger than this many days (default 7)
        "comment_recheck",  # older posts: [[max_age_hours, every_hours], ...] (default: 30 days daily, 90 weekly)
        "max_comment_rechecks",  # older posts whose comments one run may re-read (default 30)
        "page_size",  # posts per feed page (default 25)
        "comment_page_size",  # comments per page (default 100)
        "max_pages",  # cap on feed pages per run (default 200; the next runs go on down the feed)
        "max_wait",  # seconds one run may wait for throttling in total (default 5)
        "min_delay",  # seconds between two requests (default 0: Graph signals throttling itself)
    }
)


def _graph_url(value: object) -> bool:
    """An http(s) URL with a host and neither a query nor a fragment: the token goes in a header, and
    ``?access_token=`` in graph_url would send it in every URL (urllib3's debug log, a proxy's log)."""
    if not is_http_url(value):
        return False
    parts = urlsplit(str(value))
    if parts.query or parts.fragment or "?" in str(value) or "#" in str(value):
        raise ValueError("the token goes in the variable token_env names, not in the URL")
    return True


# graph_url's rule: config/sources.py names it in SOURCE_VALUES (one rule per key), the run checks it too.
GRAPH_URL = Expect(
    "an http:// or https:// URL with a host, without a query (?...) or fragment (#...)", _graph_url, masked
)
# What each of the keys above must be (graph_url and min_delay: config/sources.py).
VALUES: dict[str, Expect] = {
    "page_id": Expect(
        "a page id or user name (a non-empty string or a whole number)",
        lambda v: TEXT.test(v) or (is_whole(v) and v > 0),
    ),
    "token_env": TEXT,  # the name of an environment variable
    "endpoint": one_of("feed", "published_posts"),
    "since": ISO_TIME,
    "until": ISO_TIME,
    "since_days": DAYS,
    "comment_days": DAYS,
    "comment_recheck": HOUR_PAIRS,  # [] turns the recheck off
    "max_comment_rechecks": WHOLE_0_OR_MORE,
    "page_size": WHOLE_ABOVE_0,  # 0 would silently mean the default, 25
    "comment_page_size": WHOLE_ABOVE_0,
    "max_pages": WHOLE_ABOVE_0,  # 0 would silently mean no cap
    "max_wait": NUMBER_0_OR_MORE,  # seconds
}

# Comments of posts that left the comment_days window: re-read daily up to 30 days, weekly up to 90.
DEFAULT_COMMENT_RECHECK = ((30 * 24.0, 24.0), (90 * 24.0, 7 * 24.0))
# Feed pages one run reads when max_pages is not set (5,000 posts at the default page size): a feed
# whose paging.next never ends must not keep a run going for ever; a long feed comes in over several runs.
DEFAULT_MAX_PAGES = 200


def token_variable(source: SourceConfig) -> NeededVariable | None:
    """The page token: the variable named by ``token_env``, trimmed (one of only spaces is no token).
    ``Config.unset_variables`` and the collector (facebook.collect) both read it through this
    declaration, so they cannot disagree."""
    name = source.get("token_env")
    if not name:
        return None
    return NeededVariable(
        str(name), f"source {source.name} (its page token, token_env)", key=token_key(source.name)
    )


def token_key(source: str) -> str:
    """How a message names the token_env key of ``source``."""
    return f"[[sources]] {source} token_env"


def needed_variables(source: SourceConfig) -> list[NeededVariable]:
    """The environment variables a facebook source cannot run without: its page token."""
    variable = token_variable(source)
    return [variable] if variable is not None else []


def option(ctx: CollectContext, key: str, default: Any) -> Any:
    """An option's value (else ``default``), checked by the config file's rule for it: load_config
    applies the same rules, but a source built in code has not been through it."""
    value = ctx.source.get(key)
    if value is None:
        return default
    VALUES[key].check(value, key, where=None, source=ctx.source.name)
    return value


def option_time(ctx: CollectContext, key: str) -> datetime | None:
    """A date/time option (:func:`option`) as an aware datetime, in the run's zone when written without one."""
    value = option(ctx, key, None)
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=ctx.now.tzinfo)


def comment_recheck(ctx: CollectContext) -> list[tuple[float, float]]:
    """The ``comment_recheck`` bands as sorted (max_age_hours, every_hours) pairs."""
    value = option(ctx, "comment_recheck", DEFAULT_COMMENT_RECHECK)
    return sorted((float(age), float(every)) for age, every in value)
