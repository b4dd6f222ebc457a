"""The Graph API's posts and comments as Items: pure parsers of its JSON, no fetching.

A bad entry of a page (not an object, no id) goes to the caller's ``report`` in words, and the rest of
the page is read; without a ``report`` it is a ParseError. A created_time that is no publication time
(``collectors.dates``: before 1990, more than a day ahead) is no date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from collectors.dates import publication_time
from collectors.facebook_graph import next_url
from collectors.item import Item
from errors import ParseError

Report = Callable[[str], None]  # takes one bad entry of a page, in words; the rest of the page is read


def parse_time(value: Any) -> datetime | None:
    """A Graph timestamp (``2021-07-04T19:50:58+0000``) as an aware datetime; None when absent."""
    if not value or not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def created_time_of(value: Any, now: datetime | None) -> datetime | None:
    """A created_time as a publication time: year 1 or 9999 is no date (and must never enter the cursor).
    Unix seconds are read too: Graph answers so when asked ``date_format=U``, and a tool's saved
    answers (``import facebook-export``) may have been."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return publication_time(datetime.fromtimestamp(value, UTC), now)
        except (OverflowError, ValueError, OSError):  # 1e20, nan, inf: no time at all
            return None
    return publication_time(parse_time(value), now)


def _attachment_texts(post: Mapping[str, Any]) -> list[str]:
    attachments = post.get("attachments")
    data = attachments.get("data", []) if isinstance(attachments, Mapping) else attachments or []
    texts: list[str] = []
    for att in data if isinstance(data, list) else []:
        if not isinstance(att, Mapping):
            continue
        for key in ("title", "description"):
            value = att.get(key)
            if isinstance(value, str) and value.strip() and value.strip() not in texts:
                texts.append(value.strip())
    return texts


def post_text(post: Mapping[str, Any]) -> str:
    """What a reader sees: the message; without one, the story line, then attachment titles/descriptions."""
    message = post.get("message")
    if isinstance(message, str) and message.strip():
        return message
    parts = []
    story = post.get("story")
    if isinstance(story, str) and story.strip():
        parts.append(story.strip())
    parts.extend(_attachment_texts(post))
    return "\n".join(parts)


def strip_paging(value: Any) -> Any:
    """A copy of a Graph object without any ``paging`` block (paging URLs may carry the token)."""
    if isinstance(value, Mapping):
        return {k: strip_paging(v) for k, v in value.items() if k != "paging"}
    if isinstance(value, list):
        return [strip_paging(v) for v in value]
    return value


def _author(obj: Mapping[str, Any]) -> str | None:
    sender = obj.get("from")
    if isinstance(sender, Mapping) and isinstance(sender.get("name"), str):
        return sender["name"]
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _id(value: Any) -> str | None:
    """A Graph id (a string or a whole number) as a string; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value) or None


def _raw(obj: Mapping[str, Any], what: str, source: str) -> dict[str, Any]:
    try:
        return strip_paging(dict(obj))
    except RecursionError:  # JSON nested hundreds deep: no Graph object is
        raise ParseError(f"{what} is nested too deeply to store", source=source) from None


def parse_post(post: Mapping[str, Any], *, source: str, now: datetime | None = None) -> Item:
    """One post of a feed page as an Item (raises ParseError without an id). A created_time that is no
    publication time (before 1990, more than a day after ``now``) leaves published_at empty."""
    post_id = _id(post.get("id"))
    if not post_id:
        raise ParseError("a post without an id", source=source)
    return Item(
        source=source,
        kind="post",
        external_id=post_id,
        text=post_text(post),
        url=_text(post.get("permalink_url")),
        author=_author(post),
        published_at=created_time_of(post.get("created_time"), now),
        raw=_raw(post, f"post {post_id}", source),
    )


def comment_ids(comment: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(id, replied comment id) of a comment: ``id``/``parent.id``, else from its permalink_url.

    An answer without ``id`` (the corpus's API version) gives the permalink's bare numbers
    (``comment_id``, a reply's ``reply_comment_id``), as its ground truth names them. An answer with
    ``id`` is in Graph's form ``{object}_{comment}``: a reply of it without ``parent`` takes the replied
    comment in that form too (the reply's own object: a reply and the comment it answers share it), so
    that it meets its parent's id. (One source fed answers of both shapes still holds a comment under each id:
    docs/SOURCES.md.)"""
    permalink = comment.get("permalink_url")
    query = parse_qs(urlsplit(permalink).query) if isinstance(permalink, str) else {}
    from_link_comment = (query.get("comment_id") or [None])[0]
    from_link_reply = (query.get("reply_comment_id") or [None])[0]
    parent = comment.get("parent")
    parent_id = _id(parent.get("id")) if isinstance(parent, Mapping) else None
    own = _id(comment.get("id"))
    if own and not parent_id and from_link_reply and from_link_comment and "_" in str(own):
        # a reply and the comment it answers share the object before the "_" (a photo's, a post's)
        parent_id = f"{str(own).rsplit('_', 1)[0]}_{from_link_comment}"
    own = own or from_link_reply or from_link_comment
    if not parent_id and from_link_reply:
        parent_id = from_link_comment  # a reply's permalink names the comment it answers
    return (str(own) if own else None), (str(parent_id) if parent_id else None)


def parse_comment(
    comment: Mapping[str, Any], *, post_id: str, source: str, now: datetime | None = None
) -> Item:
    """One comment or reply as an Item: parent is the post (top level) or the replied comment."""
    own, replied = comment_ids(comment)
    if not own:
        raise ParseError(f"a comment of post {post_id} without an id or permalink", source=source)
    raw = _raw(comment, f"comment {own}", source)
    raw["post_id"] = post_id
    return Item(
        source=source,
        kind="comment",
        external_id=own,
        text=_text(comment.get("message")) or "",
        parent=replied or post_id,
        url=_text(comment.get("permalink_url")),
        author=_author(comment),
        published_at=created_time_of(comment.get("created_time"), now),
        raw=raw,
    )


def _kind(value: Any) -> str:
    """What a JSON value is, in words (never the value: it may be long, or carry anything)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _refuse(report: Report | None, message: str, source: str) -> None:
    """One bad entry: to ``report`` when there is one (the rest is read), else a ParseError."""
    if report is None:
        raise ParseError(message, source=source)
    report(message)


def _entries(
    body: Mapping[str, Any], what: str, where: str, source: str, report: Report | None
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The objects of a Graph list's ``data`` and their places (from 1); anything else is refused."""
    data = body.get("data", [])
    if not isinstance(data, list):
        _refuse(
            report,
            f"the data of {where} is {_kind(data)}, not a list of {what}s; none of it was read",
            source,
        )
        return
    for n, entry in enumerate(data, 1):
        if isinstance(entry, Mapping):
            yield n, entry
        else:
            _refuse(report, f"{what} {n} of {where} is {_kind(entry)}, not an object", source)


def _parse_comments(
    body: Mapping[str, Any],
    post_id: str,
    where: str,
    source: str,
    now: datetime | None,
    report: Report | None,
) -> list[Item]:
    items: list[Item] = []
    for n, comment in _entries(body, "comment", where, source, report):
        try:
            items.append(parse_comment(comment, post_id=post_id, source=source, now=now))
        except ParseError as exc:
            _refuse(report, f"comment {n} of {where}: {exc.message}", source)
    return items


def parse_feed_page(
    body: Mapping[str, Any], *, source: str, now: datetime | None = None, report: Report | None = None
) -> tuple[list[Item], str | None]:
    """A feed page: its posts (plus comments embedded under ``comments``) and ``paging.next``. A bad
    entry (not an object, no id) goes to ``report`` and the others are read; without one it raises."""
    items: list[Item] = []
    for n, post in _entries(body, "post", "the page", source, report):
        try:
            item = parse_post(post, source=source, now=now)
        except ParseError as exc:
            _refuse(report, f"post {n} of the page: {exc.message}", source)
            continue
        items.append(item)
        embedded = post.get("comments")
        if isinstance(embedded, Mapping):
            where = f"the comments embedded in post {item.external_id}"
            items += _parse_comments(embedded, item.external_id, where, source, now, report)
    return items, next_url(body)


def parse_comments_page(
    body: Mapping[str, Any],
    *,
    post_id: str,
    source: str,
    now: datetime | None = None,
    report: Report | None = None,
) -> tuple[list[Item], str | None]:
    """A comments page of a post (or of a comment): its comments and ``paging.next``; a bad entry as
    in :func:`parse_feed_page`."""
    return _parse_comments(body, post_id, "the page", source, now, report), next_url(body)
