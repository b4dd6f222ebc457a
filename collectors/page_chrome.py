"""What of an article page's text is the site's and not the article's: the headline, date lines,
bylines, counters, copyright lines, and the text of its links, menus, breadcrumbs, share buttons and
footers (:func:`no_article_text`, which tells a page without an article); and the small text helpers
the extractors share (:func:`clean`, :func:`byline`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import lxml.html

from collectors.dates import is_date_word, parse_date


def clean(text: str | None) -> str:
    """``text`` with its whitespace runs made single spaces, trimmed."""
    return " ".join((text or "").split())


_BYLINE_PREFIX = re.compile(r"^(автор\w*|материал подготовил\w*|текст|by|von|par)\s*:?\s+", re.IGNORECASE)


def byline(value: str | None) -> str:
    """A byline without its "Автор:"/"By" prefix."""
    return _BYLINE_PREFIX.sub("", clean(value)).strip(" ,;")


# A site's chrome, which holds no article: menus, breadcrumbs, share buttons, footers, lists of
# related articles. Not a page header (templates put an article's lead in it), nor a "sidebar" or
# "widget" (page builders wrap the article in "elementor-widget-…" blocks).
_CHROME_NAME = re.compile(
    r"(^|[\s_-])(menu|nav|navbar|navigation|breadcrumbs?|share|sharing|social|footer|copyright|related)"
    r"([\s_-]|$)",
    re.IGNORECASE,
)
_LETTERS = re.compile(r"[^\W\d_]")
CHROME_TEXT = 300  # characters of a line past which it is no menu's, unless it is a link's text
CHROME_LINE = 120  # characters of a block named as chrome that holds no paragraph and few links
_LETTERS_WORD = re.compile(r"[^\W\d_]+")
# A copyright line: it starts with the sign or the word, or a short line ends with the formula (not
# «Зейнеткерлердің барлық құқықтары заңмен қорғалған», a sentence of news).
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|copyright\b)|^.{0,80}(?:все права защищены|барлық құқықтар қорғалған|all rights reserved)\.?$",
    re.IGNORECASE,
)
_SEPARATORS = " /»|>›·•-–—:"  # around the pieces of breadcrumbs and labels («/ Общество», «Поделиться:»)
_BYLINE = re.compile(r"(автор\w*|by)\s*:\s*\S+(\s+\S+){0,4}$", re.IGNORECASE)  # "Автор: Имя Фамилия"


def no_article_text(
    text: str, tree: lxml.html.HtmlElement, title: str | None, author: str | None, now: datetime
) -> bool:
    """Whether ``text`` holds no article: every line of it is the page's headline, a date, a byline, a
    counter or a copyright line, or is word for word the text of one of the site's links, menus, share
    buttons or footers, with fewer than two words of anything else. That is what the extractors' last
    fallback takes from a page without an article (a video, a gallery, a text its scripts bring). A
    line that only holds such words among others is the article's (a short news item keeps its text):
    when in doubt the text is kept."""
    lines = [line for raw in text.split("\n") if (line := clean(raw))]
    links = {clean(a.text_content()) for a in tree.iter("a")}
    # First a line longer than a menu's that is no link's text: the article's own, found without
    # reading the rest (most pages).
    if any(len(line) > CHROME_TEXT and line not in links for line in lines):
        return False
    heads = {clean(h.text_content()) for h in tree.iter("h1")} | {title or ""}
    title_el = tree.find(".//title")
    if title_el is not None:
        heads.add(clean(title_el.text_content()))
    chrome: set[str] | None = None
    words = 0
    for line in lines:
        if not _LETTERS.search(line) or line in heads or line in links or _furniture(line, author, now):
            continue
        if chrome is None:  # read once, and only for a line the rules above leave
            # each element's text, and each loose piece of text, that the site's chrome holds
            blocks = list(_chrome(tree))
            chrome = {clean(el.text_content()) for block in blocks for el in block.iter("*")}
            chrome |= {clean(piece).strip(_SEPARATORS) for block in blocks for piece in block.itertext()}
        if line in chrome or line.strip(_SEPARATORS) in chrome:
            continue
        words += len(_LETTERS_WORD.findall(line))
        if words >= 2:
            return False
    return True


def _furniture(line: str, author: str | None, now: datetime) -> bool:
    """A byline, a copyright line, or a date line: a date and nothing else but a word such as
    «Обновлено» (not «Сегодня в Алматы ожидается снег», which holds a date too)."""
    if _BYLINE.match(line) or byline(line) == author or _COPYRIGHT.search(line):
        return True
    if len(line) >= 60:
        return False
    other = [w for w in _LETTERS_WORD.findall(line) if not is_date_word(w)]
    return len(other) <= 1 and parse_date(line, now) is not None


def _chrome(tree: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement]:
    """The page's menus, breadcrumbs, share buttons, footers and lists of related articles. An element
    that holds the headline or the article is none of them, whatever its name (``<body
    class="has-navbar-fixed-top">``), and a block named so must also be mostly links, or one short line
    without a paragraph (breadcrumbs as text): an article's own block may be named "entry-content
    share-enabled"."""
    for el in tree.iter():
        named = not (el.tag in ("nav", "footer") or el.get("role") in ("navigation", "contentinfo"))
        if named:
            name = f"{el.get('class') or ''} {el.get('id') or ''}"
            if name == " " or not _CHROME_NAME.search(name):
                continue
        if el.tag in ("html", "body", "article", "main") or el.xpath(".//h1|.//article|.//main"):
            continue
        if named:  # a block named so must also be mostly links, or a line without a paragraph
            text = len(clean(el.text_content()))
            links = sum(len(clean(a.text_content())) for a in el.iter("a"))
            if 2 * links < text and (text > CHROME_LINE or el.find(".//p") is not None):
                continue
        yield el
