"""Finding a portal's articles: listing pages (with pagination), RSS/Atom feeds, (news) sitemaps.

Pure functions over fetched bytes/str: they return absolute same-site URLs in page order and never
fetch anything themselves (the collector does, within its crawl budget).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from collectors.dates import parse_date
from collectors.html_page import parse_tree
from collectors.portal_comments import css

log = logging.getLogger(__name__)

NEXT_SELECTORS = ", ".join(
    [
        "link[rel='next']",
        "a[rel='next']",
        ".pagination a.next",
        ".pagination__next",
        ".pager-next a",
        ".nav-links a.next",
        "a.next",
        "a.next-page",
    ]
)
NEXT_WORDS = {"следующая", "следующая страница", "далее", "вперед", "вперёд", "келесі", "next", "›", "»", "→"}
SKIP_SEGMENTS = {
    "tag",
    "tags",
    "category",
    "categories",
    "rubric",
    "rubrics",
    "author",
    "authors",
    "page",
    "search",
    "login",
    "logout",
    "register",
    "user",
    "users",
    "profile",
    "about",
    "contacts",
    "contact",
    "rss",
    "feed",
    "sitemap",
    "static",
    "assets",
    "upload",
    "uploads",
    "wp-content",
    "wp-admin",
    "ajax",
    "print",
    "advert",
    "reklama",
}
SKIP_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".svg",
    ".pdf",
    ".zip",
    ".rar",
    ".mp3",
    ".mp4",
    ".css",
    ".js",
    ".xml",
    ".rss",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
)
# Parameters that say who sent the reader, or which session a PHP or Java site gave them (a new one
# on every visit): an article's URL without them, or every run would find the same articles new again.
TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|yclid|from|ref|_openstat|phpsessid|jsessionid|sessionid)$", re.IGNORECASE
)


@dataclass(slots=True)
class Found:
    """A discovered article URL, with the date its feed or sitemap gave (if any)."""

    url: str
    published: datetime | None = None


def site_of(url: str) -> str:
    """The host without a leading ``www.``, lower case: what "same site" compares."""
    host = urlsplit(url).hostname or ""
    return host.lower().removeprefix("www.")


def normalise_url(url: str) -> str:
    """The URL without fragment and tracking parameters (utm_*, fbclid…), scheme and host lower case."""
    parts = urlsplit(url.strip())
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)]
    )
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def absolute_url(base: str, href: str) -> str | None:
    """``href`` resolved against ``base`` and normalised; None when it is no URL at all."""
    try:
        return normalise_url(urljoin(base, href))
    except ValueError:  # "http://[::1": one such link must not cost the page it sits on
        return None


def looks_like_article(url: str, pattern: re.Pattern[str] | None = None) -> bool:
    """Whether a same-site URL is an article: the site's pattern, else a path shaped like one."""
    if pattern is not None:
        return bool(pattern.search(url))
    parts = urlsplit(url)
    path = parts.path.lower()
    if path.endswith(SKIP_EXTENSIONS):
        return False
    if re.search(r"(^|&)(page|p|start|offset)=", parts.query):
        return False
    segments = [s for s in path.split("/") if s]
    if not segments or any(s in SKIP_SEGMENTS for s in segments):
        return False
    last = re.sub(r"\.(html?|php|aspx?)$", "", segments[-1])
    if re.fullmatch(r"(page|stranitsa|str|p)[-_]?\d+", last):  # a listing's numbered page
        return False
    if re.search(r"\d{3,}", last) or (re.search(r"\d", path) and len(segments) >= 3):
        return True
    return len(last) >= 15 and ("-" in last or "_" in last)


def parse_listing(
    html: str,
    url: str,
    *,
    article_pattern: re.Pattern[str] | None = None,
    link_selector: str | None = None,
    next_selector: str | None = None,
) -> tuple[list[str], str | None]:
    """Article links (same site, page order, no duplicates) and the next listing page of one listing page."""
    tree = parse_tree(html, url)  # as an article: a listing nested deep is not read cut
    site = site_of(url)
    here = normalise_url(url)
    anchors = css(link_selector)(tree) if link_selector else tree.iter("a")
    links: dict[str, None] = {}
    for a in anchors:
        if a.tag != "a":
            a = a if a.get("href") else next(iter(a.iter("a")), None)
            if a is None:
                continue
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        if not link_selector and a.xpath("ancestor::nav | ancestor::header | ancestor::footer"):
            continue
        target = absolute_url(url, href) or ""
        if not target.startswith(("http://", "https://")) or site_of(target) != site or target == here:
            continue
        if looks_like_article(target, article_pattern):
            links[target] = None
    next_url = find_next(tree, url, next_selector)
    links.pop(next_url or "", None)
    return list(links), next_url


def find_next(tree: lxml.html.HtmlElement, url: str, selector: str | None = None) -> str | None:
    """The next page of a listing: a site selector, rel=next, pagination classes, or the link's words."""
    here = normalise_url(url)
    candidates = css(selector or NEXT_SELECTORS)(tree)
    if not candidates and not selector:
        candidates = [
            a
            for a in tree.iter("a")
            if " ".join(a.text_content().split()).lower().strip(" ›»→") in NEXT_WORDS
            or " ".join(a.text_content().split()) in NEXT_WORDS
        ]
    for el in candidates:
        href = el.get("href")
        if not href:
            continue
        target = absolute_url(url, href)
        if target and target != here and site_of(target) == site_of(url):
            return target
    return None


def feed_links(html: str, url: str) -> list[str]:
    """Same-site RSS/Atom feeds a page advertises with ``<link rel="alternate">``."""
    tree = lxml.html.document_fromstring(html)
    found = []
    for link in tree.xpath('//link[@href and contains(@rel, "alternate")]'):
        kind = (link.get("type") or "").lower()
        if "rss" in kind or "atom" in kind:
            target = absolute_url(url, link.get("href", ""))
            if target and site_of(target) == site_of(url):
                found.append(target)
    return found


def parse_feed(content: bytes, url: str, now: datetime | None = None) -> list[Found]:
    """Same-site entry links of an RSS/Atom feed, with their dates (read as the rss collector reads
    them: a time without a zone is Almaty time; a relative one counts back from ``now``, the feed's
    fetch time)."""
    import feedparser

    parsed = feedparser.parse(content)
    found: list[Found] = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        target = absolute_url(url, link)
        if not target or site_of(target) != site_of(url):
            continue
        written = entry.get("published") or entry.get("updated")
        found.append(Found(target, parse_date(written, now) if written else None))
    return found


def parse_sitemap(content: bytes, url: str, now: datetime | None = None) -> tuple[list[Found], list[str]]:
    """A sitemap's same-site page URLs (with news:publication_date or lastmod) and its child sitemaps;
    ``now`` is the sitemap's fetch time, which a date is checked against (the real clock without it)."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content.lstrip(), parser=parser)
    except etree.XMLSyntaxError:
        return [], []
    if root is None:
        return [], []
    site = site_of(url)
    pages: list[Found] = []
    children: list[str] = []
    for node in root.iter("{*}url", "{*}sitemap"):
        loc = node.findtext("{*}loc")
        if not loc:
            continue
        target = absolute_url(url, loc.strip())
        if not target or site_of(target) != site:
            continue
        if etree.QName(node).localname == "sitemap":
            children.append(target)
            continue
        when_text = node.findtext(".//{*}publication_date") or node.findtext("{*}lastmod")
        pages.append(Found(target, parse_date(when_text, now) if when_text else None))
    return pages, children


def robots_sitemaps(robots_txt: str, url: str) -> list[str]:
    """The ``Sitemap:`` lines of a robots.txt, as absolute URLs."""
    found = []
    for line in robots_txt.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() != "sitemap" or not value.strip():
            continue
        try:
            found.append(urljoin(url, value.strip()))
        except ValueError:  # no URL at all: the other lines still count
            continue
    return found
