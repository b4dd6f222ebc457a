"""RSS 2.0 and Atom feeds: one Item per entry, full text where the feed carries it.

Incremental by conditional GET: an unchanged feed costs one 304 (or one 200 whose content hash is
unchanged) and yields nothing; entries already stored are not rewritten by the upsert.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bs4 import BeautifulSoup

from collectors.base import CollectContext
from collectors.item import Item
from errors import ParseError

log = logging.getLogger(__name__)

REQUIRED = frozenset({"url"})
OPTIONAL = frozenset({"min_delay", "user_agent", "max_bytes", "max_entries"})

# Namespaced full-text elements, as feedparser names them, best first.
_FULL_TEXT_KEYS = ("yandex_full-text", "yandex_fulltext", "turbo_content")


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, paragraphs kept apart, whitespace collapsed."""
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    lines = (" ".join(chunk.split()) for chunk in soup.get_text("\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _entry_text(entry: Any) -> tuple[str, str]:
    """The best text of an entry and where it came from."""
    for key in _FULL_TEXT_KEYS:
        value = entry.get(key)
        if value:
            return html_to_text(str(value)), key
    contents = entry.get("content") or []
    if contents:
        best = max(contents, key=lambda c: len(c.get("value", "")))
        if best.get("value"):
            return html_to_text(best["value"]), "content"
    for key in ("summary", "description"):
        if entry.get(key):
            return html_to_text(entry[key]), key
    return "", "none"


def parse_feed(body: bytes, *, source: str, feed_url: str) -> list[Item]:
    """Items from a feed document; ParseError when the body is not a feed."""
    import feedparser

    if not body.strip():
        raise ParseError("empty body where a feed was expected", source=source, url=feed_url)
    parsed = feedparser.parse(body)
    entries = parsed.get("entries") or []
    if not parsed.get("version") and not entries:
        head = body[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise ParseError(
                "the server sent an HTML page, not an RSS/Atom feed", source=source, url=feed_url
            )
        reason = parsed.get("bozo_exception")
        detail = f": {str(reason).splitlines()[0]}" if reason else ""
        raise ParseError(f"not an RSS/Atom feed (malformed XML{detail})", source=source, url=feed_url)
    items = []
    for entry in entries:
        text, origin = _entry_text(entry)
        # feedparser copies a permalink guid into `link`; only a real <link> counts as the URL.
        link = None if entry.get("guidislink") else entry.get("link")
        title = html_to_text(entry.get("title", "")) or None
        ext_id = entry.get("id") or entry.get("link")
        if not (ext_id or title or text):
            continue  # an empty shell, e.g. what a truncated document leaves

        if not ext_id:
            ext_id = "sha:" + hashlib.sha256(f"{title}\x1f{text}".encode()).hexdigest()[:24]
        if not text and title:
            text = title
        author = entry.get("author") or (entry.get("author_detail") or {}).get("name")
        items.append(
            Item(
                source=source,
                kind="entry",
                external_id=str(ext_id),
                url=link,
                title=title,
                author=author or None,
                published_at=_entry_time(entry),
                text=text,
                raw={
                    "feed": feed_url,
                    "text_from": origin,
                    "tags": [t.get("term") for t in entry.get("tags", []) if t.get("term")],
                },
            )
        )
    if parsed.get("bozo"):
        reason = str(parsed.get("bozo_exception", "")).splitlines()[0:1]
        if not items:
            raise ParseError(
                f"not an RSS/Atom feed (malformed XML: {''.join(reason)})", source=source, url=feed_url
            )
        log.info("%s: feed is not well-formed but readable (%s)", source, "".join(reason))
    return items


def collect(ctx: CollectContext) -> Iterator[Item]:
    """Fetch the feed (conditionally) and yield its entries."""
    url = ctx.source.get("url")
    resp = ctx.http.get(url, conditional=True)
    if resp.not_modified:
        log.info("%s: feed unchanged", ctx.source.name)
        return
    items = parse_feed(resp.content, source=ctx.source.name, feed_url=url)
    limit = ctx.source.get("max_entries")
    yield from items[:limit] if limit else items
