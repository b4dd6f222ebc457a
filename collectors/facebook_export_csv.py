"""The CSV files of a Facebook export, as monitoring tools write them: collectors/facebook_export.py
reads the export and hands them here; its docstring says which columns and dates they may have.

A row's id is its id column, else what its facebook.com link names (:func:`link_ids`; a comment's in
the Graph API's ``{post}_{comment}``, as the collector stores it, when the link names its post by
number), else a hash (the export's ``_Ids``). A comment whose link names it takes the link's id when
the id column is a ``Comment ID`` one: such a column naming the same comment otherwise (:func:`comment_number`) or
another one (a tool's row number) gave the comment one id per export, and its replies' parents named
none of them; a file whose Comment ID column and links name different comments is logged once (a
warning, not a problem: the file imported whole). Other id columns keep their ids. An id Excel rewrote as a number (``2.00123E+15``:
its last digits lost, the same for many comments) is no id. A comment's parent is its parent column,
else the comment a reply's link answers, else the post its link names, in the form that post's own
row gets: the parent of a comment whose post is in the store is that post's id, as the Graph
collector's are; else the ``Post ID`` column beside a ``Comment ID`` one.

The delimiter and the header's line come from collectors/csv_layout.py (the header with the columns
read here, and the majority of rows); a row with more non-empty fields than the header (than most
rows, when most are wider by the same unnamed columns) is reported by its line and left out (its
cells would be shifted), and a column name written twice or not at all costs no values
(:func:`_field_names`). The dialect is RFC 4180's with the sniffer's quote character (:func:`_dialect`).
"""

from __future__ import annotations

import base64
import binascii
import csv
import itertools
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from collectors.base import Report
from collectors.csv_layout import Layout, column_names, csv_lines, find_layout, most_rows_width
from collectors.dates import parse_relative
from collectors.facebook_export_dates import DATE_ORDERS as DATE_ORDERS
from collectors.facebook_export_dates import hash_date, parse_csv_date, slashed_order
from collectors.file_import import printable
from collectors.item import Item
from errors import InputError

log = logging.getLogger(__name__)

# (kind, published_at, author, text) -> the hash id of a row without an id of its own
MakeId = Callable[[str, datetime | None, str | None, str], str]

COLUMNS: dict[str, tuple[str, ...]] = {
    # A comment's own id before its post's: in a file with both (Export Comments writes ``Post ID``
    # beside ``Comment ID``), the post's id made every comment of the post one item, the last kept.
    "id": (
        "comment id",
        "comment_id",
        "post id",
        "post_id",
        "message id",
        "id",
        "id сообщения",
        "id поста",
        "ид",
    ),
    "text": (
        "message",
        "text",
        "comment",
        "comment text",
        "content",
        "body",
        "post text",
        "текст",
        "текст сообщения",
        "сообщение",
        "комментарий",
        "мәтін",
    ),
    "published_at": (
        "post created",
        "created_time",
        "created",
        "date",
        "date (utc)",
        "published",
        "published_at",
        "timestamp",
        "time",
        "дата",
        "дата публикации",
        "время",
        "күні",
    ),
    "author": (
        "author",
        "author name",
        "from",
        "name",
        "page name",
        "user name",
        "автор",
        "имя",
        "профиль",
        "автор сообщения",
    ),
    "url": (
        "url",
        "permalink",
        "permalink_url",
        "post url",
        "comment url",
        "ссылка",
        "ссылка на сообщение",
        "link",
    ),
    "kind": ("type", "kind", "тип", "тип сообщения"),
    "parent": ("parent id", "parent_id", "parent", "in reply to", "id родителя", "родитель"),
    "title": ("title", "заголовок"),
    "post": ("post id", "post_id", "id поста"),  # beside a comment id column: the comment's post
}
COMMENT_ID_COLUMNS = frozenset({"comment id", "comment_id"})
COMMENT_KINDS = frozenset({"comment", "reply", "комментарий", "ответ", "пікір", "жауап"})


def _bare(name: str) -> str:
    """A header name as ``COLUMNS`` holds it: without case, spaces or the quotes of a dialect the
    reader did not guess (``"Post Created"`` after ``, `` or ``'URL'``), as the sniffer read them."""
    return name.strip().strip("\"'").strip().lower()


def match_columns(header: list[str]) -> dict[str, str]:
    """Role -> column name, by the names in ``COLUMNS`` (first synonym present wins)."""
    by_name = {_bare(h): h for h in header if h}
    found: dict[str, str] = {}
    for role, names in COLUMNS.items():
        for name in names:
            if name in by_name and by_name[name] not in found.values():
                found[role] = by_name[name]
                break
    return found


def id_from_url(url: str) -> str | None:
    """A Graph-like id from a facebook.com permalink: the comment's ``{post}_{comment}`` (its bare
    number when the link names no post number), or ``{page}_{post}``; else None."""
    own, _parent = link_ids(url, "post")
    return own


def post_id_from_url(url: str) -> str | None:
    """The post a facebook.com link names, also a comment's link, in the form :func:`id_from_url`
    gives that post's own link (``{page}_{post}``); else None."""
    parts = urlsplit(url)
    return _post_of(parts, parse_qs(parts.query)) if "facebook.com" in parts.netloc else None


def post_number(post: str | None) -> str | None:
    """The number ending ``post`` (``{page}_{post}``, a post's own id): what the Graph API writes before the
    ``_`` of the post's comments' ids (``{post}_{comment}``); None when it ends in none (a ``pfbid…`` link)."""
    number = post.rsplit("_", 1)[-1] if post else ""
    return number if number.isascii() and number.isdigit() else None


def link_ids(url: str | None, kind: str) -> tuple[str | None, str | None]:
    """(own id, parent id) that a row's facebook.com link gives. A post's link names the post (or, a
    comment's link, that comment). A comment's names its own id (``reply_comment_id``, else
    ``comment_id``) and its parent as the Graph collector sets it (facebook_parse.comment_ids): the
    comment a reply answers, else the post. Comment ids are the Graph API's ``{post}_{comment}`` when
    the link names its post by number (else the link's bare number). A comment's link that names only
    its post gives no id of its own: that id is the post's. The link is parsed once: this runs for
    every row of a file."""
    parts = urlsplit(url or "")
    if "facebook.com" not in parts.netloc:
        return None, None
    query = parse_qs(parts.query)
    reply = (query.get("reply_comment_id") or [None])[0]
    comment = (query.get("comment_id") or [None])[0]
    post = _post_of(parts, query)
    number = post_number(post)
    if number:  # the Graph API's {post}_{comment}, as facebook_parse.comment_ids gives it
        reply, comment = (f"{number}_{n}" if n else None for n in (reply, comment))
    if kind != "comment":
        return reply or comment or post, None
    return reply or comment, comment if reply else post


def _post_of(parts: SplitResult, query: dict[str, list[str]]) -> str | None:
    """The post a facebook.com link's path or query names: ``{page}_{post}``, else the post's own id."""
    segments = [s for s in parts.path.split("/") if s]
    if query.get("story_fbid") and query.get("id"):
        return f"{query['id'][0]}_{query['story_fbid'][0]}"
    for marker in ("posts", "videos", "photos"):
        if marker in segments and segments.index(marker) + 1 < len(segments):
            after = segments[segments.index(marker) + 1 :]
            owner, post = segments[0], after[0]
            # ``photos/a.3612…/4412…/``: the set every photo of it names first (an album ``a.…``, a
            # page's photos ``pb.…``, the post's ``pcb.…``, a video's title), so the number after it is
            # the post (review: each photo post of an album took the album's id, the later replacing
            # the earlier; so did each photo row of one post under its ``pcb.`` post)
            if marker != "posts" and len(after) > 1 and after[1].isdigit():
                post = after[1]
            return f"{owner}_{post}" if owner.isdigit() and post.isdigit() else post
    return None


# an id a spreadsheet rewrote as a number in exponent form: its digits past the 6th or 15th are lost
_EXPONENT = re.compile(r"\d(?:[.,]\d+)?E\+\d+", re.IGNORECASE)
_GRAPH_COMMENT = re.compile(r"\d+_(\d+)")  # the Graph API's comment id: {post}_{comment}
_GRAPHQL_COMMENT = re.compile(rb"comment:\d+_(\d+)")  # what Facebook's base64 comment ids decode to


def comment_number(value: str) -> str | None:
    """The number of the comment a Facebook comment id names, in any of its spellings: the number a
    link's ``comment_id`` carries (``2001``), the Graph API's ``{post}_{comment}`` (``1001_2001``), the
    web's base64 ``Y29tbWVudDoxMDAxXzIwMDE=`` (``comment:1001_2001``); None for anything else."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        return value
    if m := _GRAPH_COMMENT.fullmatch(value):
        return m[1]
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    m = _GRAPHQL_COMMENT.fullmatch(decoded)
    return m[1].decode() if m else None


def _readable(header: Sequence[str]) -> bool:
    """Whether a header has the columns this import needs: a text column plus an id, URL or date."""
    columns = match_columns(list(header))
    return "text" in columns and bool({"id", "url", "published_at"} & set(columns))


def _dialect(text: str, layout: Layout) -> Any:
    """Plain CSV with ``layout``'s delimiter, with csv.Sniffer's quote character and space after the
    delimiter for the lines from the header on, as every import read the file before. Never the
    sniffer's other guesses: without a doubled quote in its 8 KB it says quotes are not doubled, and a
    later row with ``""`` in a text was split wrong and lost."""
    start = sum(len(line) for line in itertools.islice(csv_lines(text), layout.skip))
    sample = text[start : start + 8192]
    guessed: dict[str, Any] = {}
    try:
        sniffed: Any = csv.Sniffer().sniff(sample, delimiters=layout.delimiter)
        guessed = {"quotechar": sniffed.quotechar, "skipinitialspace": sniffed.skipinitialspace}
    except csv.Error:  # a stray delimiter in a row makes it give up
        pass
    return type("Layout", (csv.excel,), {"delimiter": layout.delimiter, "doublequote": True, **guessed})


def _text_last(header: list[str]) -> bool:
    """Whether the header's last named column is the text column."""
    named = [h for h in header if h.strip()]
    return bool(named) and match_columns(named).get("text") == named[-1]


def _field_names(
    header: list[str], width: int, *, source: str, shown: str, line: int, report: Report
) -> list[str]:
    """The header's names as row keys, each once: a name written twice keeps its last column (the one
    read before, as csv.DictReader keeps it) and the other's values go to raw as ``Name (column 2)``;
    a column without a name is ``column 3``, and so are the columns past the header that most rows
    (``width`` fields) have. Before, those values were lost without a word."""
    names = column_names(header, width)
    last = {name: n for n, name in enumerate(names)}
    renamed = [name if last[name] == n else f"{name} (column {n + 1})" for n, name in enumerate(names)]
    moved = [new for new, name in zip(renamed, names, strict=True) if new != name]
    if moved:
        twice = sorted({name for new, name in zip(renamed, names, strict=True) if new != name})
        report(
            InputError(
                f"the header names {', '.join(repr(printable(n)) for n in twice)} more than once: the last "
                f"such column is read, the others are kept in raw as {', '.join(repr(printable(n)) for n in moved)}",
                source=source,
                path=shown,
                line=line,
            )
        )
    return renamed


def read_csv(
    text: str,
    *,
    source: str,
    shown: str,
    tz: tzinfo,
    report: Report,
    ids: MakeId,
    date_order: str = "auto",
) -> Iterator[Item]:
    """Items of one monitoring-tool CSV export (columns in ``COLUMNS``); ``date_order`` (one of
    ``DATE_ORDERS``) says how its slashed dates read, ``auto`` deciding it from the file's own."""
    layout = find_layout(text, _readable)
    dialect = _dialect(text, layout)
    lines = itertools.islice(csv_lines(text), layout.skip, None)
    head = csv.reader(lines, dialect=dialect)  # on the same iterator as the rows, which follow
    header = next(head, [])
    skip = layout.skip + head.line_num  # lines up to the header's end (a quoted name may span two)
    if not layout.known or not _readable(header):  # as split by the sniffed dialect too
        shown_header = printable(", ".join(header)) or "no columns"
        raise InputError(
            f"no text column plus id/URL/date column among {shown_header}; "
            f"text columns accepted: {', '.join(COLUMNS['text'])}",
            source=source,
            path=shown,
            line=layout.skip + 1,
        )
    # Most rows wider than the header by the same fields (a column added without a name): those
    # fields are kept as ``column 4``...; a row wider still is the odd one. Not when the text is the
    # header's last column: then the extra field is likelier its tail, split by a stray delimiter
    # (review: such texts were stored cut, silently). Counted as the rows are read (the quote
    # character may be the sniffer's «'»).
    most = most_rows_width(text, skip, dialect=dialect)
    width = most if not _text_last(header) else len(header)
    names = _field_names(header, width, source=source, shown=shown, line=layout.skip + 1, report=report)
    unnamed = set(names[len(header) :])
    reader = csv.DictReader(lines, fieldnames=names, dialect=dialect)
    columns = match_columns(names)
    written = "dmy"  # the order the file's own dates show, which the ids follow whatever the option
    if "published_at" in columns:
        at = names.index(columns["published_at"])
        written, mixed = slashed_order(text, dialect, at, skip=skip, source=source, shown=shown)
        if mixed is not None and date_order == "auto":  # told the order, the file's mix is not news
            report(mixed)
    order = written if date_order == "auto" else date_order
    # a Comment ID column makes its rows comments (unless a Type column says otherwise)
    comment_rows = "id" in columns and _bare(columns["id"]) in COMMENT_ID_COLUMNS
    post_named_first = "post" in columns and _bare(columns["post"]) in ("post id", "post_id")
    differ: list[tuple[int, str, str]] = []  # (line, id column, link's id) of rows naming two comments
    mangled: list[tuple[int, str]] = []  # (line, id) of ids in exponent form
    for row in reader:
        line = skip + reader.line_num
        extra = row.pop(None, None)  # fields past the header's, as csv.DictReader keeps them
        if extra and (any(v.strip() for v in extra) or len(names) + len(extra) > most):
            # A stray delimiter in an unquoted text: which field it split is unknowable, so the row's
            # cells would be shifted (its text cut short, its author read as the date). Left out, named.
            # Empty fields past the header are a spreadsheet's padding only where most rows have them
            # (review: a text split before an empty last column was stored cut, without a word).
            message = f"{len(names) + len(extra)} fields where the header has {len(header)}"
            if len(names) > len(header):
                message += f" and most rows {len(names)}"
            message += "; skipped"
            report(InputError(message, source=source, path=shown, line=line))
            continue

        def cell(role: str, row: dict[str, Any] = row) -> str:
            value = row.get(columns[role]) if role in columns else None
            return value.strip() if isinstance(value, str) else ""

        body = cell("text")
        if not body:
            report(InputError("row without text; skipped", source=source, path=shown, line=line))
            continue
        when = None
        if cell("published_at"):
            when = parse_csv_date(cell("published_at"), tz, order)
            if when is None:
                report(
                    InputError(
                        f"date {cell('published_at')!r} is relative, and the file does not say when it "
                        "was exported; kept without one"
                        if parse_relative(cell("published_at"), datetime.now(UTC), tz) is not None
                        else f"date {cell('published_at')!r} unreadable or not a publication time "
                        "(before 1990 or more than a day ahead); kept without one",
                        source=source,
                        path=shown,
                        line=line,
                    )
                )
        url = cell("url") or None
        kind = "comment" if cell("kind").lower() in COMMENT_KINDS else "post"
        author = cell("author") or None
        if kind == "post" and url and any(k in url for k in ("comment_id=", "reply_comment_id=")):
            kind = "comment"
        elif kind == "post" and comment_rows and cell("id") and not cell("kind"):
            kind = "comment"  # Export Comments: no Type column, and stored as posts before
        linked, parent = link_ids(url, kind)
        # A post's row in a file with both columns is known by its Post ID, as before the Comment ID won;
        # only beside a Comment ID column, and only a ``Post ID`` one, which ranked above it before
        # (review: ``ID поста`` never did, and its posts were hashed)
        post = cell("post") if comment_rows else ""
        own = cell("id") or (post if kind == "post" and post_named_first else "")
        if _EXPONENT.fullmatch(own):
            # Opened and saved in Excel: the one id of many comments (each replaced the one before)
            mangled.append((line, own))
            own = ""
        if comment_rows and kind == "comment" and linked and own and own != linked:
            # The link names the comment as every export of it does, and as its replies' links name
            # it as their parent; the id column may spell it otherwise (Graph's ``1001_2001``, the
            # web's base64) or be no Facebook id at all (a tool's row number, which a later, longer
            # export gives another comment: that one then replaced this one in the store).
            if comment_number(own) != comment_number(linked):
                differ.append((line, own, linked))
            own = linked
        hashed = hash_date(cell("published_at"), tz, when, order=order, written=written)
        # A comment whose link names only its post is hashed with that post: its ids are new (it took
        # the post's id before), and must not take the occurrence numbers of the same text in rows
        # without a link (review: those rows' ids shifted), nor equal the same text under another post.
        keyed = f"{kind}\x1f{parent}" if parent and not linked else kind
        yield Item(
            source=source,
            kind=kind,
            external_id=own or linked or ids(keyed, hashed, author, body),
            text=body,
            parent=cell("parent") or parent or (post if kind == "comment" else None) or None,
            url=url,
            author=author,
            title=cell("title") or None,
            published_at=when,
            raw={k: v for k, v in row.items() if k and (v or k not in unnamed)},
        )
    if differ:
        line, own, linked = differ[0]
        message = (
            f"{len(differ)} row(s) hold in {printable(columns['id'])!r} another id than the comment their "
            f"link names (first: {printable(own)!r}, link {printable(linked)!r}): the link's id is stored, "
            "as every export with the link gives it"
        )
        # A note, not a problem: the file imported whole, and the tool that wrote it cannot be changed
        # (review: every import of an ordinary Export Comments file ended `partial`, exit status 1).
        log.warning("%s: %s: line %d: %s", source, shown, line, message)
    if mangled:
        line, own = mangled[0]
        message = (
            f"{len(mangled)} id(s) in {printable(columns['id'])!r} written as a number in exponent form "
            f"(first: {printable(own)!r}), as a spreadsheet saves a long id, its last digits lost: those "
            "rows are known by their link, else a hash; export the file again with the column as text"
        )
        report(InputError(message, source=source, path=shown, line=line))
