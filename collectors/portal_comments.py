"""Reader comments under an article: per-site CSS selectors, generic defaults, and a structural guess.

Three ways, tried in order: the site's ``selectors.comments`` from its config; generic selectors
that match the markup of common engines (WordPress, Drupal, schema.org ``Comment``, BEM-style
``comment__*``); and, when neither finds anything, the repeated blocks inside a container whose
id or class names comments. A comment's own parts (author, date, text) are looked up only in its
own subtree, never in its nested replies; the nearest enclosing comment is what it replies to.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml.cssselect import CSSSelector

from collectors.dates import parse_absolute, parse_date

log = logging.getLogger(__name__)

# Each list is in order of preference: the first selector that finds something in a comment wins
# (one group selector would return its matches in page order, and the outer «.comment-author» block,
# with its «says:», would come before the name in «.fn»). The comments themselves are one group.
DEFAULT_SELECTORS: dict[str, list[str]] = {
    "comments": [
        "li.comment",
        "article.comment",
        "div.comment",
        "li[id^='comment-']",
        "article[id^='comment-']",
        "div[id^='comment-']",
        "[itemtype*='schema.org/Comment']",
        "[typeof*='Comment']",
        "[data-comment-id]",
        ".comment-item",
        ".comments__item",
        ".comment__item",
        ".comments-item",
    ],
    "comment_author": [
        "[itemprop='author'] [itemprop='name']",
        "[itemprop='author']",
        ".comment-author .fn",
        ".comment-author",
        ".comment__author",
        ".comment-item__author",
        ".comments__author",
        ".author",
        ".autor",
        ".username",
        ".user-name",
        ".name",
        ".fn",
        "cite",
    ],
    "comment_text": [
        "[itemprop='text']",
        "[itemprop='commentText']",
        ".comment-content",
        ".comment-text",
        ".comment__text",
        ".comment-item__text",
        ".comments__text",
        ".comment-body .text",
        ".content",
        ".text",
    ],
    "comment_date": [
        "time[datetime]",
        "[itemprop='dateCreated']",
        "[itemprop='datePublished']",
        ".comment-date",
        ".comment__date",
        ".comment-metadata",
        ".comment-meta",
        ".comment-item__date",
        ".comments__date",
        ".date",
        ".metas",
        ".meta",
        "[class*='meta']",
        "[class*='date']",
        "[class*='time']",
    ],
    "comment_next": [
        ".comment-navigation a.next",
        ".comments-pagination a.next",
        ".comments-pagination a[rel='next']",
        "a.comments-next",
        "a.comment-next",
        "[class*='comments'] a[rel='next']",
    ],
}
_CONTAINER_XPATH = (
    '//*[contains(translate(@id, "COMENT", "coment"), "comment") or '
    'contains(translate(@class, "COMENT", "coment"), "comment") or '
    'contains(@id, "leserpost") or contains(@id, "leserbrief") or contains(@id, "disqus")]'
)
_ID_DIGITS = re.compile(r"(\d{2,})")
_NOISE = ("ответить", "reply", "жауап беру", "пожаловаться", "antworten", "répondre")
# The engine's word after a commenter's name: WordPress «<cite class="fn">Асель</cite> <span
# class="says">говорит:</span>», where only the outer block is marked.
_SAYS = re.compile(
    r"\s+(?:says|said|wrote|говорит|пишет|написал|написала|дейді|деді|жазады|жазды|sagt|schreibt|dit|écrit)\s*:?\s*$",
    re.IGNORECASE,
)
# A list of the site's latest comments, in a sidebar or footer: its entries link to comments on
# other pages and belong to none of them.
# Whole class or id names only: «has-sidebar» or «page-with-widgets» on a page's wrapper say nothing.
_ELSEWHERE = re.compile(
    r"(?:recent|latest|popular|last)[-_]?comments?(?:[-_].*)?|widget(?:[-_].*)?|sidebar(?:[-_].*)?",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Comment:
    """One reader comment."""

    comment_id: str
    author: str | None
    published_at: datetime | None
    text: str
    reply_to: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The comment as the `extract` command prints it."""
        return {
            "id": self.comment_id,
            "author": self.author,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "text": self.text,
            "reply_to": self.reply_to,
        }


@functools.lru_cache(maxsize=256)
def css(selector: str) -> CSSSelector:
    """A compiled CSS selector (compiling costs far more than matching; threads reuse them)."""
    return CSSSelector(selector, translator="html")


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _owner(el: lxml.html.HtmlElement, members: set[lxml.html.HtmlElement], stop: Any = None) -> Any:
    """The nearest ancestor of ``el`` (itself excluded) that is a comment."""
    node = el.getparent()
    while node is not None and node is not stop:
        if node in members:
            return node
        node = node.getparent()
    return None


def _own(comment: Any, selector: str, members: set[Any]) -> list[Any]:
    """Elements matching ``selector`` inside ``comment`` but not inside one of its nested replies."""
    if not selector:
        return []
    found = []
    for el in css(selector)(comment):
        if el in members:
            continue
        owner = _owner(el, members)
        if owner is comment:
            found.append(el)
    return found


def _own_text(comment: Any, members: set[Any], skip: set[Any]) -> str:
    """The comment's own text: its subtree without nested comments and without ``skip`` elements."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.text and node not in skip:
            parts.append(node.text)
        for child in node:
            if (
                child in members
                or child in skip
                or not isinstance(child.tag, str)
                # a form's labels («Оставьте ваш комментарий») are the page's words, not a reader's
                or child.tag in {"script", "style", "form", "button", "noscript", "textarea", "label"}
            ):
                pass
            else:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(comment)
    return "\n".join(p.strip() for p in "".join(parts).split("\n") if p.strip())


def _comment_id(el: Any) -> str | None:
    """The site's id of a comment: from its attributes, the first anchor with an id inside it, or a
    parent whose id names comments. (The anchor may be a nested reply's, and the parent the list all
    comments sit in: those comments then share an id, and ``extract_comments`` keeps the later ones
    under their hash. Left so: a stricter rule would change the ids of comments stored already.)"""
    for attr in ("data-comment-id", "data-id", "id", "about"):
        value = el.get(attr)
        if value:
            m = _ID_DIGITS.search(value)
            if m:
                return m.group(1)
    anchor = el.find(".//a[@id]")
    if anchor is not None:
        m = _ID_DIGITS.search(anchor.get("id", ""))
        if m:
            return m.group(1)
    parent = el.getparent()
    if parent is not None and parent.get("id") and "comment" in parent.get("id", ""):
        m = _ID_DIGITS.search(parent.get("id", ""))
        if m:
            return m.group(1)
    return None


def _first_text(elements: list[Any]) -> str | None:
    for el in elements:
        value = _clean(el.text_content())
        if value:
            return value
    return None


def _lists_comments_elsewhere(container: Any) -> bool:
    """Is ``container`` (or a block around it) a widget of the site's latest comments?"""
    node = container
    while node is not None and node.tag not in {"body", "html"}:
        names = f"{node.get('id', '')} {node.get('class', '')}".split()
        if any(_ELSEWHERE.fullmatch(name) for name in names):
            return True
        node = node.getparent()
    return False


def _structural_candidates(tree: Any) -> list[Any]:
    """Repeated sibling blocks (same tag and class, at least two) inside a comments container."""
    best: list[Any] = []
    for container in tree.xpath(_CONTAINER_XPATH):
        if container.tag in {"a", "span", "textarea", "input", "form", "button", "p", "img", "script"}:
            continue
        if _lists_comments_elsewhere(container):
            continue
        groups: Counter[tuple[str, str]] = Counter(
            (child.tag, child.get("class", "")) for child in container if isinstance(child.tag, str)
        )
        for (tag, cls), count in groups.most_common(3):
            if count < 2 or tag in {"script", "style", "form", "br", "a", "span"}:
                continue
            blocks = [c for c in container if c.tag == tag and c.get("class", "") == cls]
            if sum(len(_clean(b.text_content())) for b in blocks) / count < 20:
                continue
            if len(blocks) > len(best):
                best = blocks
            break
    return best


def extract_comments(
    tree: Any,
    url: str | None,
    *,
    selectors: Mapping[str, str] | None = None,
    now: datetime | None = None,
    limit: int = 2000,
) -> tuple[list[Comment], str | None]:
    """The comments on this page (at most ``limit``) and the URL of the thread's next page, if any."""
    selectors = selectors or {}

    def pick(key: str) -> list[str]:
        """The selectors of one part, in order of preference: the site's own, else the defaults."""
        own = selectors.get(key)
        return [own] if own else DEFAULT_SELECTORS.get(key, [])

    def own(el: Any, key: str) -> list[Any]:
        """The comment's own elements of one part, those of the preferred selectors first."""
        return [found for selector in pick(key) for found in _own(el, selector, members)]

    if isinstance(tree, str | bytes):
        tree = lxml.html.document_fromstring(tree)
    candidates = css(selectors["comments"])(tree) if selectors.get("comments") else []
    if not candidates:
        candidates = css(", ".join(DEFAULT_SELECTORS["comments"]))(tree)
        # the wrapper of a WordPress comment is "comment-123"; its body "div-comment-123" is not
        candidates = [c for c in candidates if c.tag not in {"form", "textarea", "input", "a", "span"}]
    if not candidates:
        candidates = _structural_candidates(tree)
    members = set(candidates)
    comments: list[Comment] = []
    seen: dict[str, str] = {}  # comment id -> its text
    ids: dict[Any, str] = {}
    for el in candidates:
        if len(comments) >= limit:
            log.warning("%s: comment thread cut at %d comments", url or "page", limit)
            break
        author_els = own(el, "comment_author")
        date_els = own(el, "comment_date")
        text_els = own(el, "comment_text")
        author = _first_text(author_els)
        if author:
            author = _SAYS.sub("", author) or author
        published = None
        for d in date_els:
            published = parse_date(d.get("datetime") or d.get("content") or _clean(d.text_content()), now)
            if published:
                break
        if published is None:
            # no date element: an absolute date at the head of the block ("Асель / 24.11.2026")
            published = parse_absolute(_clean(el.text_content())[:80])
        if text_els:
            text = "\n".join(_own_text(t, members, set()) for t in text_els[:1])
        else:
            skip = set(author_els) | set(date_els)
            text = _own_text(el, members, skip)
        text = "\n".join(line for line in text.split("\n") if line.strip().lower() not in _NOISE).strip()
        if not text:
            continue
        comment_id = None
        if selectors.get("comment_id"):
            id_els = _own(el, selectors["comment_id"], members)
            if id_els:
                comment_id = (
                    id_els[0].get("data-id") or id_els[0].get("id") or _clean(id_els[0].text_content())
                )
        comment_id = comment_id or _comment_id(el)
        digest = "h" + hashlib.sha1(f"{author}\x1f{text}".encode(), usedforsecurity=False).hexdigest()[:12]
        if comment_id in seen and seen[comment_id] != text:
            # the site gave two comments one id: the second is kept under its hash, not dropped
            log.info("%s: comment id %s given to two comments", url or "page", comment_id)
            comment_id = digest
        comment_id = comment_id or digest
        if comment_id in seen:  # the same comment again (shown twice, or a pinned copy)
            continue
        seen[comment_id] = text
        ids[el] = comment_id
        reply_to = el.get("data-parent-id") or el.get("data-reply-to") or el.get("data-parent")
        if not reply_to:
            owner = _owner(el, members)
            reply_to = ids.get(owner) if owner is not None else None
        if reply_to == comment_id:  # a comment "in reply to" itself: a thread walked up would never end
            reply_to = None
        comments.append(Comment(comment_id, author, published, text, reply_to or None))
    next_url = None
    for a in css(", ".join(pick("comment_next")))(tree):
        try:
            next_url = urljoin(url or "", a.get("href")) if a.get("href") else None
        except ValueError:  # "http://[::1": no URL; the comments on this page still count
            continue
        if next_url:
            break
    return comments, next_url
