"""How a body is read (:func:`read_body`: as it arrives, within a time limit, given up at a stop
request). What a fetched body holds: its text (:func:`decode_body`: a byte order mark, UTF-8 whatever is
declared, the header's or the document's charset, else cp1251, KOI8-R or ISO-8859-5 as its letters
tell (``charset_guess``); a UTF-8 text with a few cp1251 bytes in it), and whether an HTML page stops
before its end (:func:`cut_html`), as a page whose server declares a Content-Length shorter than the
page does: the client reads that much and no more.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable
from typing import Literal, Protocol

from collectors.charset_guess import cyrillic_codec
from errors import ParseError

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_-]+)["']""")

CHUNK = 64 * 1024  # bytes asked of the socket at a time (read1 returns what has come, up to this)
STOP_GRACE = 0.5  # seconds a body is read before a stop request gives it up: one that comes at once is whole
BodyEnd = Literal["whole", "most", "slow", "stopped"]


class Streamed(Protocol):
    """What :func:`read_body` needs of a streamed body (urllib3's ``HTTPResponse``, ``requests``'s ``raw``)."""

    def read1(self, amt: int | None = None, decode_content: bool | None = None) -> bytes: ...


def read_body(
    raw: Streamed, most: int, seconds: float, clock: Callable[[], float], stop_asked: Callable[[], bool]
) -> tuple[bytes, BodyEnd]:
    """A streamed body's bytes, read as they arrive, at most ``most`` of them, and how the reading
    ended: ``whole`` (to its end), ``most`` (``most`` bytes read; more may follow), ``slow`` (it took
    more than ``seconds`` by ``clock``), ``stopped`` (``stop_asked`` said so once it had taken
    STOP_GRACE: the request under way finishes when its body comes at once, as it did before).
    The read timeout bounds each wait for data, not the body: a server sending a byte a second would
    hold the run for as long as it likes (a robots.txt to its 500 kB cap: six days), and a stop request with
    it. read1 returns what has arrived (iter_content waits for a whole chunk), so the clock and the
    stop request are read as the body comes: a trickle is given up within a byte's wait of either."""
    chunks: list[bytes] = []
    size = 0
    started = clock()
    until = started + seconds
    while size < most:
        chunk = raw.read1(min(CHUNK, most - size), decode_content=True)
        if not chunk:
            return b"".join(chunks), "whole"
        chunks.append(chunk)
        size += len(chunk)
        if getattr(raw, "length_remaining", None) == 0:
            continue  # every byte its length names has come: the next read ends it (review: a whole page dropped at a stop)
        now = clock()
        if now > until:
            return b"".join(chunks), "slow"
        if now - started >= STOP_GRACE and stop_asked():
            return b"".join(chunks), "stopped"
    return b"".join(chunks), "most"


_UNDECLARED = "(undeclared)"  # the last candidate: a code page told by the body's letters
_ASCII = bytes(range(128))
STRAY_SHARE = 0.02  # of the non-ASCII bytes, at most this many may fail to decode for text to be UTF-8


def _as_cp1251(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1251", "replace"), error.end


codecs.register_error("monitor-cp1251", _as_cp1251)


def utf8_with_strays(content: bytes) -> str | None:
    """``content`` decoded as UTF-8 when it is UTF-8 text with a few bytes that are not (a line
    pasted from a cp1251 file, a cut character): those are read as cp1251. None when it is not UTF-8
    at all. Text in cp1251 fails on nearly every Cyrillic byte, so it never passes for UTF-8 with
    strays; decoding the whole of a mostly UTF-8 file as cp1251 made every UTF-8 line mojibake."""
    stray = content.decode("utf-8", "replace").count("\ufffd") - content.count("\ufffd".encode())
    if stray > STRAY_SHARE * len(content.translate(None, _ASCII)):
        return None
    return content.decode("utf-8", "monitor-cp1251")


def _wide(content: bytes) -> bool:
    """Whether the body's NULs make it UTF-16 (or UTF-32): one with every ASCII character, a good share
    of any HTML page, not the stray one or two a UTF-8 page may hold (the share past which
    ``html_page.check_content`` calls a page binary)."""
    head = content[:8192]
    return head.count(0) * 20 > len(head)


def decode_body(content: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a body: by its byte order mark, else as UTF-8 when it is UTF-8, else by the header's
    charset, else the document's own declaration, else the single-byte Cyrillic code page its letters
    tell (``charset_guess.cyrillic_codec``: cp1251 unless KOI8-R or ISO-8859-5 read clearly better;
    cp1251 alone was taken, and KOI8-R pages stored as mojibake). Valid UTF-8 is read so whatever is
    declared: a template copied from a cp1251 site keeps its ``<meta charset>``, and cp1251 or Latin-1
    text with letters past ASCII is next to never valid UTF-8. Not when NULs are many: UTF-16 text
    without its mark, ASCII and Cyrillic, is valid UTF-8 too, and keeps the declared reading."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # the mark wins, as in browsers
        try:
            return content.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if not _wide(content):
        try:
            return content.decode("utf-8").removeprefix("\ufeff"), "utf-8"
        except UnicodeDecodeError:
            pass
    candidates: list[str] = []
    if content_type:
        m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", content_type, re.IGNORECASE)
        if m:
            candidates.append(m.group(1))
    head = content[:4096]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        m = pattern.search(head)
        if m:
            candidates.append(m.group(1).decode("ascii", "replace"))
    if content.startswith(b"\xef\xbb\xbf"):
        candidates.insert(0, "utf-8-sig")
    candidates += ["utf-8", _UNDECLARED]
    for name in candidates:
        # nothing that holds told (or what it named failed): cp1251, KOI8-R or ISO-8859-5 by its letters
        name = cyrillic_codec(content) if name == _UNDECLARED else name.lower()
        if name in {"windows-1251", "win-1251", "x-cp1251"}:
            name = "cp1251"
        try:
            return content.decode(name), name
        except LookupError:
            continue
        except UnicodeDecodeError:
            if name.replace("_", "-") in {"utf-8", "utf8", "utf-8-sig"} and (
                text := utf8_with_strays(content)
            ):
                log.info("a few bytes of a UTF-8 body are not UTF-8; read as cp1251")
                return text.removeprefix("\ufeff"), name
            continue
    return content.decode("utf-8", "replace"), "utf-8"


# HTML documents: a page opens <html> or <body>; whole, it closes one of them, and whatever follows
# (scripts, comments, spaces, a tracker's text of any length) comes after its end. Some pages leave
# the closing tags out (HTML allows it), most ending after a tag, with a '>'; a page cut on the way
# ends anywhere, most often in its text or in a tag.
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_OPENS = re.compile(rb"<(?:html|body)[\s>]", re.IGNORECASE)
_CLOSES = re.compile(rb"</(?:html|body)\s*>", re.IGNORECASE)


def cut_html(content: bytes) -> bool:
    """Whether an HTML document's bytes stop before its end: they begin with markup, open ``<html>``
    or ``<body>``, close neither anywhere (a page that closed reached its end, however much text
    follows), and end inside a tag or in text, not after a ``>``. A page cut right after a tag passes
    for whole; a fragment (a comment thread's page that a script loads), which opens neither, and
    JSON are not judged: a whole page must never be refused, every run, as cut (the client takes a
    page that comes back with the same bytes as whole: ``HttpClient.get``)."""
    end = content.rstrip()
    if not end or end.endswith(b">") or not content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return False  # after a tag; or no markup document (JSON, text), whatever its Content-Type says
    if _OPENS.search(content) is None or _CLOSES.search(content) is not None:
        return False
    from collectors.html_page import check_content  # lxml: imported only for a page that looks cut

    try:
        check_content(content)
    except ParseError:  # binary, not HTML (an image served as text/html): the parser says so
        return False
    return True


def cut_on_the_way(content: bytes, content_type: str | None, declared: str | None, read: int) -> bool:
    """Whether the body of an HTML page (by its ``content_type``) of which the server declared a
    Content-Length (``declared``) that was ``read`` to its last byte is cut (:func:`cut_html`): the
    server's length is shorter than its page (the rest is never read), or it was cut before it."""
    html = (content_type or "text/html").split(";")[0].strip().lower() in _HTML_TYPES
    whole_length = declared is not None and declared.strip().isdigit() and int(declared) == read
    return html and whole_length and cut_html(content)
