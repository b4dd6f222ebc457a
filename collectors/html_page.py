"""An HTML page as the extractors read it: refused when empty or binary (an image or archive served as
text/html), without its stray NUL characters, parsed whole by lxml however deep it nests (up to
MAX_DEPTH), or one ParseError naming the page; and its lead boxes, which the body extractor is shown
as paragraphs (:func:`lead_boxes`).
"""

from __future__ import annotations

import copy
import re
from typing import AnyStr

import lxml.html
from lxml import etree

from collectors.page_chrome import clean
from errors import ParseError

# Elements deep a page is read to, as browsers do (Blink nests no deeper); a deeper page is refused:
# the comments of a thread nested that deep take time by the square of their number to tell apart.
MAX_DEPTH = 512

_SIGNATURES = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b")
_TEXT_SIGNATURES = ("%PDF", "GIF8", "PK\x03\x04")  # those that a decoding leaves as they are
# Control characters (NUL among them; not the whitespace ones, tab to carriage return) past this
# share of a page's first 8 KB make it binary. Compressed data has about one in ten; a page, a stray
# NUL or two.
CONTROL_SHARE = 1 / 20
_CONTROLS = bytes([*range(9), *range(14, 32)])
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f]")


def check_content(content: bytes | str, url: str | None = None) -> None:
    """Raise ParseError when a body is empty or binary (an image or archive served as text/html)."""
    head = content[:8192]
    if not head.strip():
        raise ParseError("empty page", url=url)
    if isinstance(head, bytes):
        binary = head.startswith(_SIGNATURES)
        controls = len(head) - len(head.translate(None, _CONTROLS))
    else:
        binary = head.startswith(_TEXT_SIGNATURES)
        controls = len(_CONTROL_CHARS.findall(head))
    if binary or controls > CONTROL_SHARE * len(head):
        raise ParseError("binary content, not an HTML page", url=url)


def readable(content: AnyStr, url: str | None) -> AnyStr:
    """The page to parse: ParseError when it is empty or binary (:func:`check_content`), else the page
    without its NUL characters, which HTML parsers drop as browsers do: a stray one is no reason to
    lose the page."""
    check_content(content, url)
    if isinstance(content, bytes):
        return content.replace(b"\x00", b"")
    return content.replace("\x00", "")


def parse_tree(html: str | bytes, url: str | None = None) -> lxml.html.HtmlElement:
    """Parse (possibly broken) HTML into an lxml tree; ParseError when nothing usable comes out, or
    not all of it (nested more than ``MAX_DEPTH`` elements deep)."""
    return parse_whole(readable(html, url), url)[0]


def parse_whole(html: str | bytes, url: str | None) -> tuple[lxml.html.HtmlElement, bool]:
    """The page's tree, and whether reading it whole took libxml2's huge mode; ``html`` as
    :func:`readable` gives it (checked, without NULs)."""
    if isinstance(html, str):
        # lxml refuses str with an XML encoding declaration
        html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html, count=1)
    for huge in (False, True):
        parser = lxml.html.HTMLParser(huge_tree=huge)
        try:
            tree = lxml.html.document_fromstring(html, parser=parser)
        except (etree.ParserError, ValueError) as exc:
            raise ParseError(f"unreadable HTML: {exc}", url=url) from None
        # Past its limits (256 elements deep, unclosed tags are enough; a text of 10 MB) libxml2 drops
        # the rest of the page and raises nothing: the article would be stored cut, as if whole.
        cut = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)
        if not cut:
            break
    if cut or (huge and _depth(tree) > MAX_DEPTH):
        raise ParseError(
            f"HTML nested more than {MAX_DEPTH} elements deep: the rest of the page cannot be read", url=url
        )
    if tree is None or not len(tree):
        raise ParseError("unreadable HTML: no elements", url=url)
    return tree, huge


def _depth(tree: lxml.html.HtmlElement) -> int:
    """How many elements deep the tree goes."""
    depth = deepest = 0
    for event, _el in etree.iterwalk(tree, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


# Block elements: a <div> that holds none of them, only text and inline markup, is a paragraph to a reader.
_BLOCK_TAGS = (
    *("p", "div", "ul", "ol", "li", "dl", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"),
    *("section", "article", "aside", "header", "footer", "nav", "figure", "form"),
)
LEAD_TEXT = 80  # characters of text a lead box holds at least (a sentence, not a label or a price)


def lead_boxes(tree: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The <div>s of bare text before an article's paragraphs (a later sibling is a <p> or holds one),
    as a lead box (``div.article_faits``) between the headline and the text: trafilatura reads a
    div's text only where a page has few paragraphs, and left the lead out. One after them is left to
    trafilatura: a box there is the site's (a call to subscribe, an author's note) as often as the
    article's. Each element is looked at a bounded number of times (a page of thousands of blocks)."""
    boxes = []
    for parent in tree.iter():
        paragraphs_after = False
        for child in reversed(parent):
            if child.tag == "div" and paragraphs_after and _lead_box(child):
                boxes.append(child)
            if child.tag == "p" or child.find("p") is not None:
                paragraphs_after = True
    return boxes


def _lead_box(div: lxml.html.HtmlElement) -> bool:
    """Whether ``div`` holds text and inline markup only, a sentence's worth, not mostly links."""
    if next(div.iterdescendants(*_BLOCK_TAGS), None) is not None:
        return False
    text = len(clean(div.text_content()))
    links = sum(len(clean(a.text_content())) for a in div.iter("a"))
    return text >= LEAD_TEXT and 2 * links < text


def with_paragraphs(tree: lxml.html.HtmlElement, boxes: list[lxml.html.HtmlElement]) -> lxml.html.HtmlElement:
    """A copy of the page whose ``boxes`` are paragraphs, without its HTML comments (as trafilatura's
    own parser reads a page)."""
    for box in boxes:
        box.tag = "p"
    try:
        page = copy.deepcopy(tree)
    finally:
        for box in boxes:
            box.tag = "div"
    etree.strip_tags(page, etree.Comment)
    return page
