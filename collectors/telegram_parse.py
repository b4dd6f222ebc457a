"""Pure parsers of Telegram's channel web preview (``<base_url>/s/<channel>``): messages, paging link,
channel title, and the Item of a message. The fetching is in ``collectors.telegram``.

The parser reads each message: its number (``data-post``), time (``time[datetime]``), text, views,
signature, reply, forward origin, link preview and the kinds of media it carries (media are never
downloaded). Service messages ("channel photo updated") are skipped; so is a message whose number is
not ASCII digits, as a problem of the run. A message without a usable time (none, unreadable, before
1990 or more than a day after the fetch) is stored undated.

An item's text is what a reader sees of the message (as the Facebook posts' without a message): its own
text, a poll's question and options, and, under an own text that is only links or empty, the link
preview's site name, title and description; ``raw.text_from`` then names the parts it was made of.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
from lxml.etree import ParserError

from collectors.dates import publication_time
from collectors.item import Item
from errors import ParseError

log = logging.getLogger(__name__)

_WS = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_VIEWS = re.compile(r"^\s*([\d.,]+)\s*([KkMmBb]?)\s*$")
_LINKS = re.compile(r"(?:https?://|www\.|t\.me/)\S*", re.IGNORECASE)

# media classes of the preview -> the kind we record (order: how they are reported)
_MEDIA_CLASSES = (
    ("tgme_widget_message_photo_wrap", "photo"),
    ("tgme_widget_message_video_player", "video"),
    ("tgme_widget_message_roundvideo_player", "round_video"),
    ("tgme_widget_message_voice_player", "voice"),
    ("tgme_widget_message_document_wrap", "document"),
    ("tgme_widget_message_sticker_wrap", "sticker"),
    ("tgme_widget_message_poll", "poll"),
    ("tgme_widget_message_location_wrap", "location"),
)
# parts of a message whose text or media belong to something else (quoted reply, link preview)
_FOREIGN = ("tgme_widget_message_reply", "tgme_widget_message_link_preview")


@dataclass(slots=True)
class ChannelMessage:
    """One message of a channel preview page, as the page shows it."""

    channel: str  # as in data-post
    number: int
    published_at: datetime | None
    text: str
    views: int | None = None
    views_shown: str | None = None  # "226.2K"
    signature: str | None = None  # the post author's signature (tgme_widget_message_from_author)
    owner_name: str | None = None  # the channel's title as shown above the message
    reply_to: str | None = None  # number of the message replied to (same channel), else its URL
    forwarded_from: dict[str, str | None] | None = None  # {"name", "url"}
    link_preview: dict[str, str | None] | None = None  # {"url", "site_name", "title", "description"}
    media: list[str] = field(default_factory=list)
    poll: dict[str, Any] | None = None  # {"question", "options"}
    edited: bool = False
    time_shown: str | None = None  # the time as the page wrote it (time[datetime])

    @property
    def post(self) -> str:
        """The ``channel/number`` key of the preview."""
        return f"{self.channel}/{self.number}"


def _classes(el: Any) -> set[str]:
    return set((el.get("class") or "").split())


def _xp_class(cls: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')"


class _ClassIndex:
    """The first element of each class under a message, in one walk; parsing asks for ~20 classes."""

    def __init__(self, root: Any) -> None:
        self.own: dict[str, Any] = {}  # not inside a quoted reply or a link preview
        self.any: dict[str, Any] = {}
        foreign = set(_FOREIGN)
        stack: list[tuple[Any, bool]] = [(child, False) for child in reversed(root)]
        while stack:
            node, inside = stack.pop()
            if not isinstance(node.tag, str):
                continue
            classes = _classes(node)
            for cls in classes:
                self.any.setdefault(cls, node)
                if not inside:
                    self.own.setdefault(cls, node)
            inside = inside or bool(classes & foreign)
            stack.extend((child, inside) for child in reversed(node))

    def first(self, cls: str, *, own: bool = True) -> Any | None:
        """The first element with class ``cls`` (with ``own``: not inside a reply or link preview)."""
        return (self.own if own else self.any).get(cls)


def element_text(el: Any) -> str:
    """Visible text of an element: ``<br>`` as newline, source whitespace collapsed, lines trimmed."""
    parts: list[str] = []
    # A walk with a stack of its own, not recursion: a page may nest more elements than Python recurses.
    stack: list[tuple[Any, bool]] = [(el, False)]  # (node, its children and text done)
    while stack:
        node, done = stack.pop()
        if done:
            if node.tail and node is not el:
                parts.append(_WS.sub(" ", node.tail))
            continue
        stack.append((node, True))
        if not isinstance(node.tag, str):  # comments, processing instructions: their tail only
            continue
        if node.tag == "br":
            parts.append("\n")
        elif node.tag not in {"script", "style"}:
            if node.text:
                parts.append(_WS.sub(" ", node.text))
            stack.extend((child, False) for child in reversed(node))
    lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
    return "\n".join(lines).strip()


def parse_views(shown: str | None) -> int | None:
    """``"226.2K"`` -> 226200, ``"1.1M"`` -> 1100000, ``"746"`` -> 746; None when unreadable."""
    if not shown:
        return None
    m = _VIEWS.match(shown)
    if not m:
        return None
    number = float(m.group(1).replace(",", "."))
    scale = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}[m.group(2).lower()]
    return round(number * scale)


def _is_number(value: str) -> bool:
    """ASCII digits only: str.isdigit() also takes "²" (which int() refuses) and "١٢" (read as 12)."""
    return value.isascii() and value.isdigit()


def _number_from_url(href: str | None, channel: str) -> str | None:
    """The message number of a ``…/<channel>/<number>`` link to the same channel, else the link."""
    if not href:
        return None
    path = urlsplit(href).path.strip("/").split("/")
    if len(path) >= 2 and path[-2].lower() == channel.lower() and _is_number(path[-1]):
        return path[-1]
    return href


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _parse_message(el: Any, channel: str, number: int) -> ChannelMessage:
    idx = _ClassIndex(el)
    date_link = idx.first("tgme_widget_message_date")
    time_el = None
    if date_link is not None:
        found = date_link.xpath(".//time[@datetime]")
        time_el = found[0] if found else None
    if time_el is None:
        found = el.xpath(".//time[@datetime]")
        time_el = found[0] if found else None
    text_el = idx.first("tgme_widget_message_text")
    views_el = idx.first("tgme_widget_message_views")
    views_shown = element_text(views_el) if views_el is not None else None
    sig_el = idx.first("tgme_widget_message_from_author")
    owner_el = idx.first("tgme_widget_message_owner_name")
    time_shown = time_el.get("datetime") if time_el is not None else None
    msg = ChannelMessage(
        channel=channel,
        number=number,
        published_at=_parse_time(time_shown),
        time_shown=time_shown,
        text=element_text(text_el) if text_el is not None else "",
        views=parse_views(views_shown),
        views_shown=views_shown or None,
        signature=(element_text(sig_el) or None) if sig_el is not None else None,
        owner_name=(element_text(owner_el) or None) if owner_el is not None else None,
    )
    reply = idx.first("tgme_widget_message_reply", own=False)
    if reply is not None:
        msg.reply_to = _number_from_url(reply.get("href"), channel)
    fwd = idx.first("tgme_widget_message_forwarded_from_name")
    if fwd is not None:
        msg.forwarded_from = {"name": element_text(fwd) or None, "url": fwd.get("href")}
    preview = idx.first("tgme_widget_message_link_preview", own=False)
    if preview is not None:
        parts = _ClassIndex(preview)
        msg.link_preview = {
            "url": preview.get("href"),
            **{
                key: (element_text(part) or None)
                if (part := parts.first(cls, own=False)) is not None
                else None
                for key, cls in (
                    ("site_name", "link_preview_site_name"),
                    ("title", "link_preview_title"),
                    ("description", "link_preview_description"),
                )
            },
        }
    for cls, kind in _MEDIA_CLASSES:
        found = idx.first(cls)
        if found is None:
            continue
        if kind == "video":
            video = found.xpath(".//video")
            if video and video[0].get("loop") is not None and video[0].get("autoplay") is not None:
                kind = "gif"  # animations play muted in a loop; real videos wait for a click
        if kind not in msg.media:
            msg.media.append(kind)
    poll = idx.first("tgme_widget_message_poll")
    if poll is not None:
        question = _ClassIndex(poll).first("tgme_widget_message_poll_question", own=False)
        msg.poll = {
            "question": element_text(question) if question is not None else None,
            "options": [
                element_text(o)
                for o in poll.xpath(f".//*[{_xp_class('tgme_widget_message_poll_option_text')}]")
            ],
        }
    meta = idx.first("tgme_widget_message_meta")
    if meta is not None and "edited" in (meta.text_content() or "").split():
        msg.edited = True
    return msg


def page_root(html: str | bytes | lxml.html.HtmlElement) -> Any:
    """The parsed page (a page parsed already is returned as it is); ParseError when it cannot be read."""
    if isinstance(html, lxml.html.HtmlElement):
        return html  # already parsed: the collector parses each page once
    # libxml2 stops reading at 256 elements deep (2048 in its huge mode) and keeps what came before:
    # the messages after that point would be lost without a word, run after run.
    parser = lxml.html.HTMLParser(huge_tree=True)
    try:
        root = lxml.html.fromstring(html, parser=parser)
    except (ParserError, ValueError) as exc:
        raise ParseError(f"not an HTML page ({exc})") from None
    if any("Excessive depth" in error.message for error in parser.error_log):
        raise ParseError(
            "the page nests elements more than 2048 deep: the messages after that cannot be read"
        )
    return root


def parse_channel_page(
    html: str | bytes | lxml.html.HtmlElement, report: Callable[[str], None] | None = None
) -> tuple[list[ChannelMessage], int | None]:
    """Messages of a preview page (oldest first, service messages skipped) and its ``before`` link.

    A message without a number is skipped and told to ``report`` (default: logged as a warning).
    """
    root = page_root(html)
    by_number: dict[int, ChannelMessage] = {}
    repeated: list[str] = []
    for el in root.xpath(f"//*[@data-post and {_xp_class('tgme_widget_message')}]"):
        if "service_message" in _classes(el):
            continue
        post = el.get("data-post") or ""
        channel, _, number = post.rpartition("/")
        if not channel or not _is_number(number):
            (report or log.warning)(f"message {post!r} has no message number (ASCII digits); skipped")
            continue
        msg = _parse_message(el, channel, int(number))
        kept = by_number.get(msg.number)
        if kept is not None:
            repeated.append(msg.post)
            if kept.edited or not msg.edited:
                continue  # the edited copy is the message as it reads now; else the first stays
        by_number[msg.number] = msg
    if repeated:
        log.warning("page shows message(s) %s more than once; one copy of each kept", ", ".join(repeated))
    return sorted(by_number.values(), key=lambda m: m.number), _next_before(root)


def _next_before(root: Any) -> int | None:
    for el in root.xpath("//*[@data-before]"):
        value = (el.get("data-before") or "").strip()
        if _is_number(value):
            return int(value)
    for el in root.xpath("//link[@rel='prev'][@href] | //a[@href][contains(@href, 'before=')]"):
        values = parse_qs(urlsplit(el.get("href")).query).get("before")
        if values and _is_number(values[0]):
            return int(values[0])
    return None


def channel_title(html: str | bytes | lxml.html.HtmlElement) -> str | None:
    """The channel's title from the page header, when the page has one."""
    root = page_root(html)
    found = root.xpath(f"//*[{_xp_class('tgme_channel_info_header_title')}]")
    return (element_text(found[0]) or None) if found else None


def has_preview(html: str | bytes | lxml.html.HtmlElement) -> bool:
    """Whether a page is a channel preview (a message history, even an empty one)."""
    root = page_root(html)
    return bool(
        root.xpath(
            f"//*[{_xp_class('tgme_channel_history')}] | //*[@data-post and {_xp_class('tgme_widget_message')}]"
        )
    )


def says_nothing_itself(text: str) -> bool:
    """Whether a message's own text has no words of its own: empty, or links (and emoji, signs) only."""
    return not any(c.isalnum() for c in _LINKS.sub(" ", text))


def text_is_built(msg: ChannelMessage) -> bool:
    """Whether the item's text of ``msg`` is, or may be, more than its own text: it has a poll, or its own
    text says nothing itself (a link preview then adds to it, when there is one)."""
    return msg.poll is not None or says_nothing_itself(msg.text)


def item_text(msg: ChannelMessage) -> tuple[str, list[str]]:
    """What a reader sees of ``msg``: its own text, its poll's question and options, and under an own
    text that says nothing itself the link preview's site name, title and description, a line each (a
    line said already, or a site name the link holds, is not repeated); and what the text was made of,
    in order (``message``, ``poll``, ``link_preview``), when more than the message's own text, else []."""
    lines = [msg.text] if msg.text else []
    made_of = ["message"] if msg.text else []
    added: list[tuple[str, list[str | None]]] = []
    if msg.poll is not None:
        added.append(("poll", [msg.poll.get("question"), *msg.poll.get("options", [])]))
    if msg.link_preview is not None and says_nothing_itself(msg.text):
        preview = msg.link_preview
        added.append(("link_preview", [preview.get(k) for k in ("site_name", "title", "description")]))
    for origin, values in added:
        for value in values:
            value = (value or "").strip()
            # a line said already (the own text), or a site name the link holds, is not said again
            if value and value not in lines and not (origin == "link_preview" and value in msg.text):
                lines.append(value)
                if origin not in made_of:
                    made_of.append(origin)
    return "\n".join(lines), made_of if any(part != "message" for part in made_of) else []


def to_item(
    msg: ChannelMessage,
    *,
    source: str,
    base_url: str,
    channel: str,
    title: str | None,
    now: datetime | None = None,
) -> Item:
    """The Item of one channel message; its time is checked against the fetch time ``now``."""
    published = publication_time(msg.published_at, now, msg.time_shown)
    raw: dict[str, Any] = {
        "post": msg.post,
        "views": msg.views,
        "views_shown": msg.views_shown,
        "signature": msg.signature,
        "reply_to": msg.reply_to,
        "forwarded_from": msg.forwarded_from,
        "link_preview": msg.link_preview,
        "media": msg.media,
    }
    if msg.poll:
        raw["poll"] = msg.poll
    text, made_of = item_text(msg)
    if made_of:
        raw["text_from"] = made_of  # more than the message's own text: a poll, a link preview
    if msg.edited:
        raw["edited"] = True
    if msg.time_shown and published is None:
        raw["unread_date"] = msg.time_shown  # unreadable, or not a publication time: for a person to see
    parent = msg.reply_to if msg.reply_to and _is_number(msg.reply_to) else None
    return Item(
        source=source,
        kind="post",
        external_id=str(msg.number),
        text=text,
        parent=parent,
        url=f"{base_url}/{channel}/{msg.number}",
        author=msg.signature or msg.owner_name or title or channel,
        published_at=published,
        raw=raw,
    )
