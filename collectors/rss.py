"""RSS 2.0 and Atom feeds: one Item per entry, full text where the feed carries it.

Incremental by conditional GET: an unchanged feed costs one 304 (or one 200 whose content hash is
unchanged) and yields nothing; entries already stored are not rewritten by the upsert.

A feed whose bytes are not in the encoding it declares is decoded as the HTTP client decodes pages
(``collectors.http.decode_body``) before it is parsed; a guid that repeats in one feed is kept once,
and a counter guid a feed gives to another story (its date, link and title all new) is another item
(``own_ids``).
"""

from __future__ import annotations

import codecs
import email.utils
import hashlib
import logging
import re
from collections.abc import Iterator
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from collectors.base import WHOLE_ABOVE_0, CollectContext, Expect
from collectors.dates import ALMATY, parse_date, publication_time
from collectors.http import decode_body, mask_secrets, validator_key
from collectors.item import Item
from collectors.portal_ids import same_article
from errors import ParseError

log = logging.getLogger(__name__)

REQUIRED = frozenset({"url"})
OPTIONAL = frozenset({"min_delay", "user_agent", "max_bytes", "max_entries"})
# What each of the keys above must be (the URL and HTTP ones: config/sources.py).
VALUES: dict[str, Expect] = {
    "max_entries": WHOLE_ABOVE_0,  # a slice bound: 0 would keep every entry, -1 all but the last
}

# Namespaced full-text elements, as feedparser names them, best first.
_FULL_TEXT_KEYS = ("yandex_full-text", "yandex_fulltext", "turbo_content")


# Elements that start a new line of text; all others (b, i, a, span, em, strong, code…) stay inline.
_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog"),
        *("div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hr"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "html", "li", "main", "nav", "ol", "p", "pre"),
        *("section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul"),
    }
)
_CELLS = frozenset({"td", "th"})  # cells of one row: words apart, on the row's line
_LINE = "\n"


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment: a line per block element or <br>, inline markup kept inline.

    Whitespace in the source, newlines too, collapses to one space within a line.
    """
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return " ".join(html.split())
    for tag in root.xpath(".//script|.//style|.//noscript|.//comment()|.//processing-instruction()"):
        tag.drop_tree()  # keeps the text that follows the tag
    pieces: list[str] = []
    # iterwalk (elements only), not recursion: a feed may nest deeper than Python's recursion limit
    for event, element in etree.iterwalk(root, events=("start", "end")):
        name = element.tag.rpartition(":")[2].lower()  # "xhtml:p" in Atom xhtml content
        if event == "start":
            if name in _BLOCKS or name == "br":
                pieces.append(_LINE)
            elif name in _CELLS:
                pieces.append(" ")
            if element.text:
                pieces.append(_spaces(element.text))
        else:
            if name in _BLOCKS:
                pieces.append(_LINE)
            elif name in _CELLS:
                pieces.append(" ")
            if element is not root and element.tail:
                pieces.append(_spaces(element.tail))
    lines = (" ".join(line.split()) for line in "".join(pieces).split(_LINE))
    return _LINE.join(line for line in lines if line)


_WHITESPACE = re.compile(r"\s+")


def _spaces(text: str) -> str:
    """Source whitespace (newlines included) as single spaces: only elements break lines."""
    return _WHITESPACE.sub(" ", text)


_CLOCK_OR_ZONE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?|(?<![^\s\d])[+-]\d{4}(?!\d)")
_DIGITS = re.compile(r"\d+")


def _year_as_written(value: str, year: int) -> bool:
    """Whether ``year``, as the mail standard read ``value``, is the year written there: it reads
    «0001» as 2001, the rule for a two-digit year applied to four digits."""
    rest = _CLOCK_OR_ZONE.sub(" ", value)
    return all(len(digits) <= 2 or int(digits) == year for digits in _DIGITS.findall(rest))


def _published(value: str | None, now: datetime | None) -> datetime | None:
    """An entry's date as ``collectors.dates`` reads it (zone-less times are Almaty time), else as the
    mail standard reads it: RFC 822 allows a two-digit year («Wed, 25 Nov 26 14:35 GMT»), and feeds
    also write «Wed Nov 25 14:35:00 2026» or «25-Nov-2026»."""
    if not value:
        return None
    found = parse_date(value, now)
    if found is not None:
        return found
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if not _year_as_written(value, when.year):
        return None
    return publication_time(when if when.tzinfo else when.replace(tzinfo=ALMATY), now, value)


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


def parse_feed(
    body: bytes,
    *,
    source: str,
    feed_url: str,
    now: datetime | None = None,
    content_type: str | None = None,
) -> list[Item]:
    """Items from a feed document; ParseError when the body is not a feed.

    Well-formed RSS 2.0, RSS 1.0 and Atom documents are read with lxml (about twenty times faster);
    anything else goes through feedparser, which recovers what it can from broken markup. ``now``
    (default: the current time) is the fetch time that dates are checked against; ``content_type``
    (the HTTP header) helps decode a body that is not in the encoding it declares.
    """
    if not body.strip():
        raise ParseError("empty body where a feed was expected", source=source, url=feed_url)
    body = readable_body(body, content_type, source=source)
    items = parse_well_formed(body, source=source, feed_url=feed_url, now=now)
    if items is None:
        items = parse_with_feedparser(body, source=source, feed_url=feed_url, now=now)
        if items and cut_short(body):
            raise FeedCut(
                "the feed ends before its closing tag (cut short on the way: a Content-Length shorter "
                "than the feed, a dropped connection); its last entry, which may be cut too, is left "
                "for the next run",
                source=source,
                url=feed_url,
                items=_once_each(items[:-1], source),
            )
    return _once_each(items, source)


class FeedCut(ParseError):
    """A feed that stops before its end: ``items`` holds its entries but the last."""

    def __init__(self, message: str, *, source: str, url: str, items: list[Item]) -> None:
        super().__init__(message, source=source, url=url)
        self.items = items


_ROOT_CLOSED = re.compile(rb"</(?:[\w.-]+:)?(?:rss|feed|rdf)\s*>", re.IGNORECASE)


def cut_short(body: bytes) -> bool:
    """Whether a feed's bytes stop before its root element's closing tag (``</rss>``, ``</feed>``,
    ``</rdf:RDF>``), which a whole feed ends with (a comment or spaces may follow)."""
    tail = body[-65536:]  # a comment, spaces, even a site's footer may follow it
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        tail = body.decode("utf-16", "replace")[-32768:].encode("utf-8")
    return _ROOT_CLOSED.search(tail) is None


_DECLARATION = re.compile(r"""^(\s*<\?xml[^>]*?\sencoding\s*=\s*["'])([^"']*)(["'])""")
_BYTE_ORDER_MARKS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # UTF-32's start so too


def _strictly(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return False
    return True


def readable_body(body: bytes, content_type: str | None = None, *, source: str = "") -> bytes:
    """``body`` unchanged when the encoding it declares (UTF-8 when none) reads it, else decoded as
    ``collectors.http.decode_body`` decodes it and given back as UTF-8 with a declaration saying so.

    The parsers trust the declaration: cp1251 bytes declared UTF-8 became «Çàãîëîâîê», and UTF-8
    bytes declared windows-1251 (which reads nearly any bytes) «Р—Р°Рі». So text that is valid UTF-8
    is UTF-8 whatever single-byte code page it declares: real cp1251 or KOI8-R text almost never is.
    """
    if body.startswith(_BYTE_ORDER_MARKS):
        return body  # the parsers read the byte-order mark first
    head = body[:512].decode("ascii", "replace")
    found = _DECLARATION.match(head)
    declared = found.group(2).strip() if found else "utf-8"
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        codec = ""
    is_utf8 = _strictly(body, "utf-8")
    if codec == "utf-8" and is_utf8:
        return body
    if codec and codec != "utf-8" and _strictly(body, codec) and (body.isascii() or not is_utf8):
        return body
    text, used = (body.decode("utf-8"), "utf-8") if is_utf8 else decode_body(body, content_type)
    log.info("%s: the feed's bytes are not all %s as it declares; decoded as %s", source, declared, used)
    text = _DECLARATION.sub(r"\g<1>utf-8\g<3>", text.removeprefix("\ufeff"), count=1)
    return text.encode("utf-8")


def _once_each(items: list[Item], source: str) -> list[Item]:
    """One item per id: of entries that share a guid, the latest dated, else the first in the feed."""
    kept: dict[str, Item] = {}
    repeated: list[str] = []
    for item in items:
        earlier = kept.get(item.external_id)
        if earlier is not None:
            repeated.append(item.external_id)
            if item.published_at is None or (
                earlier.published_at is not None and item.published_at <= earlier.published_at
            ):
                continue
        kept[item.external_id] = item
    if repeated:
        shown = ", ".join(repr(i) for i in dict.fromkeys(repeated))[:300]
        log.warning("%s: ids repeat in the feed (%s); one entry of each kept", source, shown)
    return list(kept.values())


def parse_with_feedparser(
    body: bytes, *, source: str, feed_url: str, now: datetime | None = None
) -> list[Item]:
    """The tolerant path: feedparser, for feeds lxml cannot read as XML."""
    import feedparser

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
        link = entry.get("link") if entry.get("links") else None
        title = html_to_text(entry.get("title", "")) or None
        ext_id = entry.get("id") or entry.get("link")
        if not (ext_id or title or text):
            continue  # an empty shell, e.g. what a truncated document leaves

        author = entry.get("author") or (entry.get("author_detail") or {}).get("name")
        tags = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
        # the date as the feed wrote it: feedparser's *_parsed fields take a zone-less time as UTC
        date = entry.get("published") or entry.get("updated") or entry.get("created")
        items.append(_item(source, feed_url, ext_id, link, title, author, date, text, origin, tags, now=now))
    if parsed.get("bozo"):
        reason = str(parsed.get("bozo_exception", "")).splitlines()[0:1]
        if not items:
            raise ParseError(
                f"not an RSS/Atom feed (malformed XML: {''.join(reason)})", source=source, url=feed_url
            )
        log.info("%s: feed is not well-formed but readable (%s)", source, "".join(reason))
    return items


def _item(
    source: str,
    feed_url: str,
    ext_id: str | None,
    link: str | None,
    title: str | None,
    author: str | None,
    date: str | None,
    text: str,
    origin: str,
    tags: list[str],
    *,
    now: datetime | None,
) -> Item:
    """The Item of one entry; ``date`` as the feed wrote it, checked against the fetch time ``now``."""
    if not ext_id:
        ext_id = "sha:" + hashlib.sha256(f"{title}\x1f{text}".encode()).hexdigest()[:24]
    published = _published(date, now)
    raw: dict[str, Any] = {"feed": feed_url, "text_from": origin, "tags": tags}
    if date and published is None:
        raw["unread_date"] = date  # unreadable, or not a publication time: kept for a person to look at
    return Item(
        source=source,
        kind="entry",
        external_id=str(ext_id),
        url=link,
        title=title,
        author=author or None,
        published_at=published,
        text=text or title or "",
        raw=raw,
    )


_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "yandex": "http://news.yandex.ru",
    "turbo": "http://turbo.yandex.ru",
    "dc": "http://purl.org/dc/elements/1.1/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rss1": "http://purl.org/rss/1.0/",
}
_ATOM = f"{{{_NS['atom']}}}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=False)


def _text_of(node: Any) -> str:
    return (node.text or "").strip() if node is not None else ""


def parse_well_formed(
    body: bytes, *, source: str, feed_url: str, now: datetime | None = None
) -> list[Item] | None:
    """Items of a well-formed RSS/Atom document, or None when lxml cannot read it as one."""
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    tag = etree.QName(root).localname if isinstance(root.tag, str) else ""
    if tag == "rss" or tag == "RDF":
        entries = root.findall("./channel/item") or root.findall("rss1:item", _NS)
        return [_rss_item(e, source, feed_url, now) for e in entries]
    if root.tag == _ATOM + "feed":
        return [_atom_item(e, source, feed_url, now) for e in root.findall("atom:entry", _NS)]
    return None


def _rss_item(entry: Any, source: str, feed_url: str, now: datetime | None) -> Item:
    def first(*paths: str) -> str:
        for path in paths:
            value = _text_of(entry.find(path, _NS))
            if value:
                return value
        return ""

    text, origin = "", "none"
    for path, name in (
        ("yandex:full-text", "yandex_full-text"),
        ("turbo:content", "turbo_content"),
        ("content:encoded", "content"),
        ("description", "summary"),  # feedparser's name for it, so both paths agree
        ("rss1:description", "summary"),
    ):
        value = _text_of(entry.find(path, _NS))
        if value:
            text, origin = html_to_text(value), name
            break
    guid = entry.find("guid")
    link = first("link", "rss1:link") or None
    ext_id = _text_of(guid) or entry.get(f"{{{_NS['rdf']}}}about") or link
    date = first("pubDate", "dc:date")
    tags = [_text_of(c) for c in entry.findall("category") if _text_of(c)]
    title = html_to_text(first("title", "rss1:title")) or None
    author = first("author", "dc:creator")
    return _item(source, feed_url, ext_id, link, title, author, date, text, origin, tags, now=now)


def _atom_item(entry: Any, source: str, feed_url: str, now: datetime | None) -> Item:
    def content(node: Any) -> str:
        if node is None:
            return ""
        if node.get("type") == "xhtml":
            return "".join(etree.tostring(child, encoding="unicode") for child in node)
        return node.text or ""

    text, origin = "", "none"
    for name in ("content", "summary"):
        value = content(entry.find(f"atom:{name}", _NS))
        if value.strip():
            text, origin = html_to_text(value), name
            break
    links = entry.findall("atom:link", _NS)
    alternate = [x.get("href") for x in links if x.get("rel", "alternate") == "alternate" and x.get("href")]
    link = alternate[0] if alternate else None
    date = _text_of(entry.find("atom:published", _NS)) or _text_of(entry.find("atom:updated", _NS))
    tags = [c.get("term") for c in entry.findall("atom:category", _NS) if c.get("term")]
    title = html_to_text(content(entry.find("atom:title", _NS))) or None
    author = _text_of(entry.find("atom:author/atom:name", _NS))
    ext_id = _text_of(entry.find("atom:id", _NS)) or link
    return _item(source, feed_url, ext_id, link, title, author, date, text, origin, tags, now=now)


def collect(ctx: CollectContext) -> Iterator[Item]:
    """Fetch the feed (conditionally) and yield its entries."""
    url = ctx.source.get("url")
    resp = ctx.http.get(url, conditional=True)
    if resp.not_modified:
        log.info("%s: feed unchanged", ctx.source.name)
        return
    try:
        items = parse_feed(
            resp.content,
            source=ctx.source.name,
            feed_url=url,
            now=resp.fetched_at(ctx.now),  # relative dates count from the feed's fetch, not the run's start
            content_type=resp.headers.get("Content-Type"),
        )
    except FeedCut as cut:
        # Its validators go: a 304 next time would leave the entry out until the feed changes.
        ctx.http.validators.pop(validator_key(url), None)
        ctx.state["_errors"] = [str(cut)]
        log.warning("%s", cut)
        items = cut.items
    limit = ctx.source.get("max_entries")
    yield from own_ids(items[:limit] if limit else items, ctx.state.setdefault("guids", {}), ctx.source.name)


GUIDS_KEPT = 2000  # guids remembered in the cursor (``guids``), the last seen kept


def _short_hash(value: str | None) -> str:
    return hashlib.sha256((value or "").encode()).hexdigest()[:12]


_EMPTY = _short_hash("")  # the title of an untitled entry as cursors kept it before


def own_ids(items: list[Item], seen: dict[str, list[list[str]]], source: str) -> list[Item]:
    """``items`` with the id of the story each is: a feed that gives a known guid (a counter, «42») to
    another story would store it as an edit of the first (whose text, and flags, would go). An entry is
    another story, with its own id ``<guid>#<hash of its link>`` (the same on every later run), only
    when its guid is a counter (not a URL nor a ``tag:`` URI, which name one story) and it is not the
    story edited: the same title, links that name one article (``portal_ids.same_article``: a slug
    regenerated around the same number), or the same date with a time of its own (a story retitled
    and re-slugged in one edit; a day's date, midnight, is shared by the day's stories). ``seen`` (the
    cursor's) holds, by counter guid, ``[id suffix ("" for the guid itself), link, hash of the title,
    published ISO or ""]`` of each story met under it, the last seen updated (a8bc096 kept ``[suffix,
    hash of the link, hash of the title]``)."""
    # A feed of days: its dated entries all at one time of day (a zone's midnight written in GMT, «18:00:00
    # GMT» for +06) gives no story a time of its own (review: the day's second story overwrote the first)
    clocks = {item.published_at.astimezone(ALMATY).time() for item in items if item.published_at}
    days_only = len(clocks) == 1 and sum(1 for item in items if item.published_at) > 2
    for item in items:
        guid = item.external_id
        if guid.startswith(("sha:", "http://", "https://", "tag:")):
            continue  # no guid nor link (the id hashes the title and text), or a guid that names the story
        # an entry without a title is known by its text (review: every untitled entry "had" the same title,
        # the empty one; then none, and an unchanged untitled entry without a link came back as another)
        link = mask_secrets(item.url or "")
        title = _short_hash(item.title) if item.title else "t:" + _short_hash(item.text)
        published = item.published_at.isoformat() if item.published_at and not days_only else ""
        stories = seen.pop(guid, None) or []
        seen[guid] = stories  # the last seen last: the oldest go first
        same = (s for s in reversed(stories) if _same_story(s, link, title, published, item.url or ""))
        story = next(same, None)
        if story is None:
            story = ["" if not stories else _short_hash(item.url), link, title, published]
            if stories:
                log.warning(
                    "%s: the feed gives guid %r, known for another story, to %s («%s»): stored as a new item, %s",
                    source,
                    guid[:100],
                    mask_secrets(item.url or "an entry without a link"),
                    (item.title or "")[:80],
                    f"{guid}#{story[0]}"[:150],
                )
            stories.append(story)
            del stories[:-10]  # a counter reused over and over: its last stories
        story[1:] = [link, title, published or (story[3] if len(story) > 3 else "")]
        if story[0]:
            item.raw["guid"] = guid
            item.external_id = f"{guid}#{story[0]}"
    for old in list(seen)[: max(0, len(seen) - GUIDS_KEPT)]:
        del seen[old]
    return items


def _same_story(story: list[str], link: str, title: str, published: str, url: str) -> bool:
    """Whether an entry of ``link`` (``url`` masked), title hash, ``published`` is ``story`` (own_ids)."""
    known_link = story[1]
    if story[2] == _EMPTY and title.startswith("t:"):  # kept untitled before: by its link, none being one
        return link == known_link if len(story) > 3 else known_link == _short_hash(url)
    if len(story) == 3:  # as a8bc096 kept it: the hash of the link
        return title == story[2] or known_link == _short_hash(url)
    if title == story[2] or (published and published == story[3] and _timed(published)):
        return True
    if not link or not known_link:
        return False
    if link == known_link or urlsplit(link).path == urlsplit(known_link).path:
        return link == known_link  # one path, another query (``news.php?id=``): another article
    return "/" in known_link and (same_article(known_link, link) or same_article(link, known_link))


def _timed(published: str) -> bool:
    """Whether a date has a time: not midnight as written nor in Almaty (a date without one reads so)."""
    moment = datetime.fromisoformat(published)
    return moment.time() != time() and moment.astimezone(ALMATY).time() != time()
