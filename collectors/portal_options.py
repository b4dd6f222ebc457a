"""What a ``portal`` source may configure, what each value must be, and the defaults.

The config loader checks ``VALUES`` when the file loads; :func:`options` checks them again, since a
source built in code (a test, the demo) has not been through the loader, and fills in the defaults.
The collector module, collectors/portal.py, exposes ``REQUIRED``, ``OPTIONAL`` and ``VALUES`` as
every collector module does (collectors/base.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lxml.cssselect import SelectorError

from collectors.base import (
    DAYS,
    FLAG,
    HOUR_PAIRS,
    HTTP_URLS,
    REGEX,
    START_URLS,
    WHOLE_0_OR_MORE,
    WHOLE_ABOVE_0,
    Expect,
    check_options,
    is_number,
    is_whole,
)
from collectors.portal_comments import css
from collectors.portal_discovery import normalise_url
from errors import ConfigError

REQUIRED = frozenset({"start_urls"})
OPTIONAL = frozenset(
    {
        "max_pages",  # listing pages followed per start URL (pagination), default 3
        "max_articles",  # new articles fetched per run, default 30
        "max_rechecks",  # known articles revisited per run, default 30
        "max_requests",  # every request of the run, discovery included, default 300
        "max_comments",  # comments kept per article, default 2000
        "max_comment_pages",  # pages of one comment thread, default 10
        "max_age_days",  # feed/sitemap entries older than this are ignored, default 30
        "follow_sitemaps",  # read robots.txt Sitemap lines and /sitemap.xml, default false
        "sitemaps",  # explicit sitemap URLs
        "feeds",  # RSS/Atom feed URLs
        "discover_feeds",  # also read the feeds a listing page advertises (rel=alternate), default true
        "article_pattern",  # regex an article URL must match (else a path-shape heuristic)
        "selectors",  # table: title, body, drop, date, author, links, next, comments, comment_*
        "recheck",  # list of [max_age_hours, every_hours]; older than the last: never
        "render",  # load article pages in headless Chromium and parse the rendered DOM, default false
        "render_wait_ms",  # virtual time the page's scripts get (--virtual-time-budget), default 5000
        "render_timeout",  # wall-clock seconds one Chromium run may take, default 30
        "render_post",  # where a rendered page may POST: paths on its host or URL beginnings, default none
        "user_agent",
        "min_delay",
    }
)
SELECTOR_KEYS = frozenset(
    {
        "title",
        "body",
        "drop",
        "date",
        "author",
        "links",
        "next",
        "comments",
        "comment_author",
        "comment_text",
        "comment_date",
        "comment_id",
        "comment_next",
    }
)


def _selector_table(value: Any) -> bool:
    """A table of SELECTOR_KEYS to CSS selectors; ValueError says which one is wrong."""
    if not isinstance(value, dict):
        return False
    unknown = sorted(set(value) - SELECTOR_KEYS)
    if unknown:
        raise ValueError(f"unknown: {', '.join(unknown)}; known: {', '.join(sorted(SELECTOR_KEYS))}")
    for key, selector in value.items():
        if not isinstance(selector, str):
            raise ValueError(f"{key} is not a string")
        try:
            css(selector)  # compiled as extraction compiles it: a bad one would fail every page
        except SelectorError as exc:
            raise ValueError(f"{key}: {exc}") from None
    return True


def _render_post(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(p, str) and p.startswith(("/", "http://", "https://")) for p in value
    )


# What each of the keys above must be (start_urls, feeds, sitemaps and the HTTP ones: config/sources.py).
VALUES: dict[str, Expect] = {
    "max_pages": WHOLE_0_OR_MORE,  # 0: feeds and sitemaps only
    "max_articles": WHOLE_0_OR_MORE,  # 0: rechecks only
    "max_rechecks": WHOLE_0_OR_MORE,
    "max_requests": WHOLE_ABOVE_0,  # 0 would fetch nothing at all
    "max_comments": WHOLE_0_OR_MORE,
    "max_comment_pages": WHOLE_0_OR_MORE,
    "max_age_days": DAYS,
    "follow_sitemaps": FLAG,
    "discover_feeds": FLAG,
    "article_pattern": REGEX,
    "selectors": Expect("a table of CSS selectors", _selector_table),
    "recheck": HOUR_PAIRS,
    "render": FLAG,
    "render_wait_ms": Expect("a whole number of milliseconds, 0 or more", lambda v: is_whole(v) and v >= 0),
    "render_timeout": Expect("a number of seconds above 0", lambda v: is_number(v) and v > 0),
    "render_post": Expect(
        'a list of paths on the page\'s host ("/wp-admin/admin-ajax.php") or http(s) URL beginnings',
        _render_post,
    ),
}

DEFAULT_RECHECK: list[tuple[float, float]] = [(24, 1), (24 * 7, 6), (24 * 30, 24), (24 * 365, 24 * 7)]


def options(source: Mapping[str, Any] | Any) -> dict[str, Any]:
    """The source's portal options, checked and with defaults (ConfigError names the bad key)."""
    get = source.get
    name = getattr(source, "name", None)
    check_options(
        source, {"start_urls": START_URLS, "feeds": HTTP_URLS, "sitemaps": HTTP_URLS, **VALUES}, name
    )
    start = get("start_urls")
    if not start:
        raise ConfigError("missing key(s) for kind 'portal': start_urls", source=name)
    if isinstance(start, str):
        start = [start]
    selectors = get("selectors") or {}
    pattern = get("article_pattern")
    compiled = re.compile(pattern) if pattern else None
    rules = sorted((float(age), float(every)) for age, every in get("recheck", DEFAULT_RECHECK))
    render_timeout = get("render_timeout", 30)
    return {
        "start_urls": [normalise_url(u) for u in start],
        "max_pages": int(get("max_pages", 3)),
        "max_articles": int(get("max_articles", 30)),
        "max_rechecks": int(get("max_rechecks", 30)),
        "max_requests": int(get("max_requests", 300)),
        "max_comments": int(get("max_comments", 2000)),
        "max_comment_pages": int(get("max_comment_pages", 10)),
        "max_age_days": float(get("max_age_days", 30)),
        "follow_sitemaps": bool(get("follow_sitemaps", False)),
        "sitemaps": list(get("sitemaps", [])),
        "feeds": [normalise_url(u) for u in get("feeds", [])],
        "discover_feeds": bool(get("discover_feeds", True)),
        "article_pattern": compiled,
        "selectors": {k: str(v) for k, v in selectors.items()},
        "recheck": rules,
        "render": bool(get("render", False)),
        "render_wait_ms": int(get("render_wait_ms", 5000)),
        "render_timeout": float(render_timeout),
        "render_post": list(get("render_post", [])),
    }
