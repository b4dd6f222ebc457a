"""Article extraction from one news page (title, date, author, body, reader comments), and `extract`.

The body comes from trafilatura (with optional per-site CSS selectors where it falls short); title,
date and author come from our own ordered rules over the page's metadata (JSON-LD, OpenGraph,
``itemprop``, ``<time>``), then htmldate and trafilatura's guesses, then dates printed in the text.
Reader comments are parsed by :mod:`collectors.portal_comments`. Everything here is a pure function
of the page's HTML and URL, except the ``extract`` command, which may fetch the URL.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html

from collectors.dates import parse_date
from collectors.html_page import check_content, parse_whole, readable
from collectors.page_chrome import byline, clean, date_line, no_article_text, without_counters
from collectors.portal_comments import Comment, css, extract_comments
from errors import InputError

log = logging.getLogger(__name__)

MAX_COMMENTS = 2000  # per page; a 5,000-comment thread is cut here, with a warning
# trafilatura's fallback extractors take time by the square of a page's text blocks (justext compares
# each short block with its neighbours): on a page with more, as under thousands of comments, they
# are skipped, and trafilatura's own extraction stands.
MAX_FALLBACK_BLOCKS = 3000
_BLOCKS = ("p", "li", "div", "td", "dd", "blockquote", "tr")
_TITLE_SEPARATORS = re.compile(r"\s+[|\u2014\u2013•»·-]\s+|\s+::\s+")
_URLISH = re.compile(r"^(https?:)?//|^www\.|\.(ru|kz|com|org|net)\b", re.IGNORECASE)
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "date",
    "article.published",
    "mediator_published_time",
)
_AUTHOR_META = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "twitter:creator",
)


@dataclass(slots=True)
class Article:
    """What one article page holds."""

    url: str | None
    title: str | None
    published_at: datetime | None
    author: str | None
    text: str
    canonical_url: str | None = None
    comments: list[Comment] = field(default_factory=list)
    comments_next: str | None = None  # the next page of the comment thread, if paginated

    def as_json(self) -> dict[str, Any]:
        """The article as the `extract` command prints it (DESIGN.md contract, plus ids)."""
        return {
            "url": self.url,
            "canonical_url": self.canonical_url,
            "title": self.title,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "author": self.author,
            "text": self.text,
            "comments": [c.as_json() for c in self.comments],
        }


def _meta(tree: lxml.html.HtmlElement, names: tuple[str, ...]) -> Iterator[str]:
    wanted = {n.lower() for n in names}
    found: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key in wanted and el.get("content"):
            found.setdefault(key, []).append(el.get("content", ""))
    for name in names:
        yield from found.get(name.lower(), [])


_LD_CACHE: dict[int, tuple[Any, list[dict[str, Any]]]] = {}


def _json_ld(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page that looks like an article (graphs flattened); parsed once per tree."""
    cached = _LD_CACHE.get(id(tree))
    if cached is not None and cached[0] is tree:
        return cached[1]
    out = _parse_json_ld(tree)
    _LD_CACHE.clear()  # one page at a time: keep only the latest tree
    _LD_CACHE[id(tree)] = (tree, out)
    return out


def _parse_json_ld(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text.strip().rstrip(";"))
        except ValueError:
            continue
        except RecursionError:  # nested deeper than json reads: the rest of the page still counts
            log.debug("JSON-LD block skipped: nested too deeply")
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                if "@graph" in node:
                    stack.append(node["@graph"])
                kind = node.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                if any(
                    isinstance(k, str) and (k.endswith("Article") or k in {"BlogPosting", "Report"})
                    for k in kinds
                ):
                    out.append(node)
    return out


def _select_text(tree: lxml.html.HtmlElement, selector: str | None) -> str | None:
    if not selector:
        return None
    for el in css(selector)(tree):
        value = el.get("content") or el.get("datetime") or el.text_content()
        if clean(value):
            return clean(value)
    return None


def find_title(tree: lxml.html.HtmlElement, selector: str | None = None) -> str | None:
    """The headline: a site selector, og:title, JSON-LD headline, the first <h1>, or <title> without the site name."""
    chosen = _select_text(tree, selector)
    if chosen:
        return chosen
    h1s = [clean(h.text_content()) for h in tree.iter("h1")]
    h1s = [h for h in h1s if 3 <= len(h) <= 400]
    candidates = list(_meta(tree, ("og:title", "twitter:title")))
    # a headline that is no string (an object, a list) is a broken block, not a title to print
    candidates += [node["headline"] for node in _json_ld(tree) if isinstance(node.get("headline"), str)]
    for raw in candidates:
        title = clean(raw)
        if not title:
            continue
        # og:title sometimes carries the site name: an <h1> that begins it is the cleaner headline
        for h1 in h1s:
            if h1 != title and title.startswith(h1) and _TITLE_SEPARATORS.match(title[len(h1) :] + " "):
                return h1
        return title
    if h1s:
        return h1s[0]
    title_el = tree.find(".//title")
    if title_el is not None and clean(title_el.text_content()):
        # "Headline | Site name": sites put the headline first
        return _TITLE_SEPARATORS.split(clean(title_el.text_content()))[0]
    return None


def _author_ok(value: str) -> bool:
    return 2 <= len(value) <= 120 and not _URLISH.search(value) and not value.startswith("@")


def find_author(tree: lxml.html.HtmlElement, selector: str | None = None) -> str | None:
    """The byline: a site selector, JSON-LD author, meta author, rel/itemprop author."""
    chosen = _select_text(tree, selector)
    if chosen:
        return byline(chosen)
    # a publisher named as the author (common in JSON-LD) is no byline
    publishers = {clean(v).lower() for v in _meta(tree, ("og:site_name", "application-name"))}
    for node in _json_ld(tree):
        publisher = node.get("publisher")
        if isinstance(publisher, dict) and publisher.get("name"):
            publishers.add(clean(str(publisher["name"])).lower())
    for node in _json_ld(tree):
        authors = node.get("author")
        authors = authors if isinstance(authors, list) else [authors]
        names = [a.get("name") if isinstance(a, dict) else a for a in authors]
        names = [clean(str(n)) for n in names if n and isinstance(n, str | int)]
        names = [n for n in names if _author_ok(n) and n.lower() not in publishers]
        if names:
            return ", ".join(dict.fromkeys(names))
    for value in _meta(tree, _AUTHOR_META):
        if _author_ok(clean(value)) and clean(value).lower() not in publishers:
            return clean(value)
    for xpath in (
        '//*[@rel="author"]',
        '//*[@itemprop="author"]//*[@itemprop="name"]',
        '//*[@itemprop="author"]',
        '//*[contains(concat(" ", normalize-space(@class), " "), " author ")]',
        '//*[contains(@class, "author-name") or contains(@class, "author_name") or contains(@class, "author__name")]',
        '//*[contains(@class, "-author") or contains(@class, "_author") or contains(@id, "author")][not(self::img)]',
        '//a[contains(@href, "/author/") or contains(@href, "/auteur/") or contains(@href, "/avtor/") or contains(@href, "/autor/")]',
        '//*[contains(concat(" ", normalize-space(@class), " "), " byline ")]',
    ):
        for el in tree.xpath(xpath):
            if el.tag == "meta":
                continue
            if el.xpath('ancestor::*[contains(@class, "comment")]'):
                continue
            value = clean(el.text_content())
            value = re.sub(
                r"^(автор|автор материала|by|von|par|авторы)\s*:?\s+", "", value, flags=re.IGNORECASE
            )
            if _author_ok(value):
                return value
    return None


def find_date(
    tree: lxml.html.HtmlElement, html: str, selector: str | None = None, now: datetime | None = None
) -> datetime | None:
    """The publication time: selector, JSON-LD, meta tags, <time>, htmldate, then a date printed in the text."""
    chosen = _select_text(tree, selector)
    if chosen:
        found = parse_date(chosen, now)
        if found:
            return found
    for node in _json_ld(tree):
        for key in ("datePublished", "dateCreated"):
            if isinstance(node.get(key), str):
                found = parse_date(node[key], now)
                if found:
                    return found
    for value in _meta(tree, _DATE_META):
        found = parse_date(value, now)
        if found:
            return found
    for el in tree.xpath('//*[@itemprop="datePublished"] | //time[@pubdate] | //time[@datetime]'):
        if el.xpath('ancestor::*[contains(@class, "comment")]'):
            continue
        found = parse_date(el.get("datetime") or el.get("content") or el.text_content(), now)
        if found:
            return found
    try:
        from htmldate import find_date as htmldate_find

        found_text = htmldate_find(
            tree, original_date=True, extensive_search=True, outputformat="%Y-%m-%dT%H:%M:%S"
        )
    except Exception as exc:  # htmldate is a best-effort guesser; its failures must not stop the page
        log.debug("htmldate failed: %s", exc)
        found_text = None
    if found_text:
        found = parse_date(found_text, now)
        if found:
            return found
    return None


def _body_by_selector(tree: lxml.html.HtmlElement, selector: str, drop: str | None) -> str:
    parts: list[str] = []
    for el in css(selector)(tree):
        el = copy.deepcopy(el)  # dropping must not touch the tree; not parsed again: a deep page would be cut
        for bad in el.xpath("//script | //style | //noscript | //form"):
            bad.drop_tree()
        if drop:
            for bad in css(drop)(el):
                bad.drop_tree()
        blocks = [
            clean(b.text_content())
            for b in el.xpath(".//p | .//h2 | .//h3 | .//h4 | .//li | .//blockquote")
            if not b.xpath("ancestor::p | ancestor::li | ancestor::blockquote")
        ]
        blocks = [b for b in blocks if b]
        parts.extend(blocks or [clean(el.text_content())])
    return "\n".join(p for p in parts if p)


def find_body(
    html: str | lxml.html.HtmlElement,
    url: str | None,
    tree: lxml.html.HtmlElement,
    selectors: Mapping[str, str],
) -> tuple[str, dict[str, Any]]:
    """The body text (site selector, else trafilatura) and trafilatura's metadata guesses."""
    if selectors.get("body"):
        text = _body_by_selector(tree, selectors["body"], selectors.get("drop"))
        if text:
            return text, {}
    import trafilatura

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        include_comments=False,
        include_tables=True,
        with_metadata=False,  # our own rules find the metadata; trafilatura's would cost a third more time
        fast=sum(1 for _ in tree.iter(*_BLOCKS)) > MAX_FALLBACK_BLOCKS,
        prune_xpath=_prune_xpaths(selectors.get("drop")),
    )
    if doc is None:
        return "", {}
    data = doc if isinstance(doc, dict) else doc.as_dict()
    return _trim_head((data.get("text") or "").strip(), tree), data


def _trim_head(text: str, tree: lxml.html.HtmlElement) -> str:
    """Drop leading lines that repeat the headline or only print the date/byline (trafilatura keeps some)."""
    heads = {clean(h.text_content()) for h in tree.iter("h1")}
    lines = text.split("\n")
    while lines and len(lines) > 1:
        first = clean(lines[0])
        if first in heads or date_line(first, datetime.now(UTC)):
            lines.pop(0)
            continue
        break
    # the line that now comes first may begin with the spaces of the page's markup
    return "\n".join(lines).strip()


def _prune_xpaths(drop: str | None) -> list[str] | None:
    if not drop:
        return None
    from cssselect import GenericTranslator

    return [GenericTranslator().css_to_xpath(part.strip()) for part in drop.split(",") if part.strip()]


def canonical_url(tree: lxml.html.HtmlElement, url: str | None) -> str | None:
    """The page's rel=canonical (or og:url) on the same site, else the URL it was fetched from."""
    for el in tree.xpath('//link[@rel="canonical"]/@href | //meta[@property="og:url"]/@content'):
        try:
            href = urljoin(url or "", str(el).strip())
            same_host = url is None or urlsplit(href).netloc == urlsplit(url).netloc
        except ValueError:  # "http://[::1": no URL, and no reason to lose the article
            continue
        if same_host:
            return href
    return url


def extract_article(
    html: str,
    url: str | None = None,
    *,
    selectors: Mapping[str, str] | None = None,
    now: datetime | None = None,
    max_comments: int = MAX_COMMENTS,
) -> Article:
    """Parse one article page: metadata, body and the first page of its comments."""
    selectors = selectors or {}
    now = now or datetime.now(UTC)
    html = readable(html, url)  # checked, without NULs: trafilatura reads the page too
    tree, huge = parse_whole(html, url)
    # trafilatura would parse the text again within libxml2's usual limits, and lose the page past
    # them: a page that needed more is given the tree (trafilatura works on a copy of it)
    text, guesses = find_body(tree if huge else html, url, tree, selectors)
    text = without_counters(text)  # «Просмотров: 1 234» under a video, or under the article
    title = find_title(tree, selectors.get("title")) or clean(guesses.get("title")) or None
    author = find_author(tree, selectors.get("author"))
    if author is None and guesses.get("author") and _author_ok(byline(guesses["author"])):
        author = byline(guesses["author"])
    published = find_date(tree, html, selectors.get("date"), now)
    if published is None and guesses.get("date"):
        published = parse_date(str(guesses["date"]), now)
    if published is None or published.timetz().replace(tzinfo=None) == time(0, 0):
        # no date, or a day without a time (htmldate): a date printed near the headline may add the time
        printed = _date_in_text(tree, now)
        if printed is not None and (published is None or printed.date() == published.date()):
            published = printed
    if text and no_article_text(text, tree, title, author, now):
        text = ""
    comments, next_url = extract_comments(tree, url, selectors=selectors, now=now, limit=max_comments)
    return Article(
        url=url,
        title=title,
        published_at=published,
        author=author,
        text=text,
        canonical_url=canonical_url(tree, url),
        comments=comments,
        comments_next=next_url,
    )


def _date_in_text(tree: lxml.html.HtmlElement, now: datetime) -> datetime | None:
    """Last resort: the first absolute date printed near the headline (Russian/Kazakh forms)."""
    for el in tree.xpath(
        '//*[contains(@class, "date") or contains(@class, "time") or contains(@class, "meta")]'
    ):
        if el.xpath('ancestor-or-self::*[contains(@class, "comment")]'):
            continue
        found = parse_date(clean(el.text_content())[:80], now)
        if found:
            return found
    return None


# -- the command ---------------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``extract`` command."""
    parser = subparsers.add_parser(
        "extract",
        help="print one page's article (title, date, author, text, comments) as JSON",
        description="Extract the article from a saved HTML file or a URL and print it as one JSON object: "
        "title, published_at (ISO 8601), author, text, comments [{author, published_at, text}]. "
        "Example: python pipeline.py extract saved/page.html --url https://example.kz/news/123",
    )
    parser.add_argument("target", metavar="PATH_OR_URL", help="a saved HTML file, or an http(s) URL to fetch")
    parser.add_argument("--url", help="the page's original URL (resolves links; helps the extractor)")
    parser.set_defaults(func=run_extract)


def run_extract(args: argparse.Namespace) -> int:
    """Handler of ``extract``: read or fetch the page, print the article as JSON."""
    from collectors.http import DEFAULT_MAX_BYTES, HttpClient, decode_body

    target: str = args.target
    if re.match(r"^https?://", target, re.IGNORECASE):
        client = HttpClient(min_delay=0)
        try:
            resp = client.get(target)
        finally:
            client.close()
        # judged once decoded, as the portal collector judges a page: UTF-16 is half NULs as bytes
        html, url = resp.text, args.url or resp.url
        check_content(html, target)
    else:
        path = Path(target)
        try:
            with path.open("rb") as file:  # at most the cap: /dev/zero, or a dump of gigabytes, ends here
                content = file.read(DEFAULT_MAX_BYTES + 1)
        except OSError as exc:
            raise InputError(f"cannot read the page: {exc.strerror or exc}", path=str(path)) from None
        if len(content) > DEFAULT_MAX_BYTES:
            raise InputError(f"the page is over the {DEFAULT_MAX_BYTES:,}-byte cap", path=str(path))
        html, _ = decode_body(content, None)
        check_content(html, args.url or str(path))
        url = args.url
    article = extract_article(html, url)
    print(json.dumps(article.as_json(), ensure_ascii=False, indent=1))
    return 0
