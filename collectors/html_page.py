"""An HTML page as the extractors read it: refused when empty or binary (an image or archive served as
text/html), without its stray NUL characters, parsed whole by lxml however deep it nests (up to
MAX_DEPTH), or one ParseError naming the page.
"""

from __future__ import annotations

import re
from typing import AnyStr

import lxml.html
from lxml import etree

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
