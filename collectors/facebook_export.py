"""``pipeline.py import facebook-export PATH --source NAME``: Facebook exports, for analysts without API access.

PATH is a file, a folder (the unpacked export: every ``*.json`` and ``*.csv`` in it) or the ``.zip``.
A .zip cut short (known by its suffix or the ``PK`` signature it starts with) is one error; a damaged
or unreadable file inside the .zip or folder is reported and the other files are read.

JSON, told apart by shape:

* "Download your information" posts: a list of ``{"timestamp", "data": [{"post": ...}], "title",
  "attachments"}`` (``your_posts_1.json``, ``profile_posts_1.json``), or that list under
  ``status_updates_v2`` / ``posts_v2``. Text: the ``post``; without one, the title, then attachment
  descriptions.
* "Download your information" comments: ``{"comments_v2": [{"timestamp", "data": [{"comment":
  {"comment", "author", "timestamp"}}], "title"}]}`` (older exports: ``comments``).
* Saved Graph API answers: ``{"data": [...]}`` of posts (``created_time``, ``message``) or comments
  (read by the facebook collector's parsers, ids and parents kept).

Facebook writes these exports with UTF-8 bytes escaped as Latin-1 characters (``\\u00d0\\u009f`` for
"П"); texts are repaired. DYI items have no ids: the external id is ``fbx-`` plus a hash of
(kind, timestamp, author, text, occurrence), stable across re-imports.

CSV from monitoring tools (delimiter sniffed among ``,`` ``;`` tab; UTF-8 or cp1251): the columns
are matched by name, case-insensitive (see ``COLUMNS``): a text column is required, plus an id, URL
or date column. CrowdTangle (``Message``, ``Post Created``, ``URL``, ``Page Name``), Export Comments
style (``Comment``, ``Date``, ``Name``, ``Comment ID``) and Russian-language tools (``Текст``,
``Дата``, ``Автор``, ``Ссылка``, ``Тип``) fit. The id is the id column, else derived from a
facebook.com URL (``{page}_{post}``, or the comment id), else the hash above. ``Тип``/``Type``
values naming a comment or reply make comments. Dates: ISO 8601, ``25.11.2026 14:35``, Unix
seconds, ``2021-03-01 12:34:56 EST``, slashed ``03/04/2026``; a date without a zone is read in
Asia/Almaty (option ``tz``). Whether a file's slashed dates are day/month or month/day is decided
from its own values by a first pass over its date column (``collectors.facebook_export_dates``): a
second field above 12 in any row makes them all month/day (CrowdTangle, Export Comments); a file
that writes both is one error and is read day/month.
A row without text is reported with its line number and skipped; a bad date is reported and the
row kept without one, and so is a relative one (``вчера``, ``2 часа назад``): the file does not say
when it was exported, and counted from the import it would be days off (and its id change each day).
Saved Graph answers may give ``created_time`` in Unix seconds (``date_format=U``); a JSON file may be
UTF-16 or cp1251 as well as UTF-8.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfoNotFoundError

from collectors import facebook_parse
from collectors.base import TIME_ZONE, Expect, Report
from collectors.dates import ALMATY, parse_relative, time_zone
from collectors.facebook_export_dates import parse_csv_date, slashed_order, stamp
from collectors.file_import import (
    csv_lines,
    decode_text,
    is_zip,
    open_zip,
    printable,
    read_input,
    read_member,
    shown_path,
)
from collectors.item import Item
from errors import InputError, MonitorError

log = logging.getLogger(__name__)

IMPORT_OPTIONS = frozenset({"tz"})  # the zone of CSV dates written without one (default Asia/Almaty)
VALUES: dict[str, Expect] = {"tz": TIME_ZONE}  # what each of these keys must be

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": (
        "post id",
        "post_id",
        "comment id",
        "comment_id",
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
}
COMMENT_KINDS = frozenset({"comment", "reply", "комментарий", "ответ", "пікір", "жауап"})


def fix_mojibake(text: str) -> str:
    """Undo Facebook's export encoding (UTF-8 bytes written as Latin-1 characters); other text unchanged."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _fixed(value: Any) -> Any:
    if isinstance(value, str):
        return fix_mojibake(value)
    if isinstance(value, list):
        return [_fixed(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _fixed(v) for k, v in value.items()}
    return value


class _Ids:
    """Stable hash ids for records without one: identical records get an occurrence number."""

    def __init__(self) -> None:
        self.seen: Counter[bytes] = Counter()

    def __call__(self, kind: str, when: datetime | None, author: str | None, text: str) -> str:
        key = "\x1f".join((kind, when.isoformat() if when else "", author or "", text))
        occurrence = hashlib.sha256(key.encode()).digest()[:16]  # not the key: it holds the whole text
        self.seen[occurrence] += 1
        digest = hashlib.sha256(f"{key}\x1f{self.seen[occurrence]}".encode()).hexdigest()[:20]
        return f"fbx-{digest}"


# -- JSON ------------------------------------------------------------------------------------


def _dyi_post(entry: Mapping[str, Any], source: str, ids: _Ids) -> Item | None:
    texts = [
        d["post"]
        for d in entry.get("data") or []
        if isinstance(d, Mapping) and isinstance(d.get("post"), str)
    ]
    text = "\n".join(t for t in texts if t.strip())
    if not text:
        extra = [entry.get("title")] if isinstance(entry.get("title"), str) else []
        for att in entry.get("attachments") or []:
            for data in att.get("data") or [] if isinstance(att, Mapping) else []:
                for value in data.values() if isinstance(data, Mapping) else []:
                    desc = value.get("description") if isinstance(value, Mapping) else None
                    if isinstance(desc, str):
                        extra.append(desc)
        text = "\n".join(t for t in extra if t and t.strip())
    if not text:
        return None
    when = stamp(entry.get("timestamp"))
    return Item(
        source=source,
        kind="post",
        external_id=ids("post", when, None, text),
        text=text,
        published_at=when,
        raw=dict(entry),
    )


def _dyi_comment(entry: Mapping[str, Any], source: str, ids: _Ids) -> Item | None:
    for data in entry.get("data") or []:
        comment = data.get("comment") if isinstance(data, Mapping) else None
        if isinstance(comment, Mapping) and isinstance(comment.get("comment"), str):
            when = stamp(comment.get("timestamp")) or stamp(entry.get("timestamp"))
            author = comment.get("author") if isinstance(comment.get("author"), str) else None
            text = comment["comment"]
            return Item(
                source=source,
                kind="comment",
                external_id=ids("comment", when, author, text),
                text=text,
                author=author,
                published_at=when,
                raw=dict(entry),
            )
    return None


def read_json(data: Any, *, source: str, shown: str, report: Report, ids: _Ids) -> Iterator[Item]:
    """Items of one export JSON document (shapes in the module docstring)."""
    data = _fixed(data)
    if isinstance(data, Mapping) and isinstance(data.get("data"), list):  # saved Graph API answer
        for n, obj in enumerate(data["data"], 1):
            try:
                if "created_time" in obj and (
                    "parent" in obj or "like_count" in obj or "comment_count" in obj
                ):
                    link = str(obj.get("permalink_url") or "")
                    post_id = str(obj.get("post_id") or id_from_url(link.split("?")[0]) or "unknown")
                    yield facebook_parse.parse_comment(obj, post_id=post_id, source=source)
                else:
                    yield facebook_parse.parse_post(obj, source=source)
            except (MonitorError, ValueError, AttributeError, TypeError) as exc:
                report(InputError(f"entry {n} of data: {printable(str(exc))}", source=source, path=shown))
        return
    if isinstance(data, Mapping):
        for key in ("comments_v2", "comments"):
            if isinstance(data.get(key), list):
                yield from _entries(data[key], _dyi_comment, key, source, shown, report, ids)
                return
        for key in ("status_updates_v2", "posts_v2", "posts", "page_posts_v2"):
            if isinstance(data.get(key), list):
                yield from _entries(data[key], _dyi_post, key, source, shown, report, ids)
                return
        log.info("%s: no posts or comments in this JSON file; skipped", shown)
        return
    if isinstance(data, list) and any(isinstance(e, Mapping) and "timestamp" in e for e in data):
        yield from _entries(data, _dyi_post, "the list", source, shown, report, ids)
        return
    log.info("%s: neither a Facebook export of posts/comments nor a Graph API answer; skipped", shown)


def _entries(
    entries: list[Any], parse: Any, where: str, source: str, shown: str, report: Report, ids: _Ids
) -> Iterator[Item]:
    empty = 0
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, Mapping):
            report(InputError(f"entry {n} of {where} is not an object; skipped", source=source, path=shown))
            continue
        try:
            item = parse(entry, source, ids)
        except (TypeError, AttributeError, ValueError) as exc:  # a field of another shape ("data": 5)
            message = f"entry {n} of {where} is not a post or comment this import reads ({printable(str(exc))}); skipped"
            report(InputError(message, source=source, path=shown))
            continue
        if item is None:
            empty += 1  # a photo or check-in without words: nothing to classify, not an error
            continue
        yield item
    if empty:
        log.info("%s: %d entries without text skipped", shown, empty)


# -- CSV -------------------------------------------------------------------------------------


def match_columns(header: list[str]) -> dict[str, str]:
    """Role -> column name, by the names in ``COLUMNS`` (first synonym present wins)."""
    by_name = {h.strip().lower(): h for h in header if h}
    found: dict[str, str] = {}
    for role, names in COLUMNS.items():
        for name in names:
            if name in by_name and by_name[name] not in found.values():
                found[role] = by_name[name]
                break
    return found


def id_from_url(url: str) -> str | None:
    """A Graph-like id from a facebook.com permalink: the comment id, or ``{page}_{post}``; else None."""
    parts = urlsplit(url)
    if "facebook.com" not in parts.netloc:
        return None
    query = parse_qs(parts.query)
    for key in ("reply_comment_id", "comment_id"):
        if query.get(key):
            return query[key][0]
    segments = [s for s in parts.path.split("/") if s]
    if query.get("story_fbid") and query.get("id"):
        return f"{query['id'][0]}_{query['story_fbid'][0]}"
    for marker in ("posts", "videos", "photos"):
        if marker in segments and segments.index(marker) + 1 < len(segments):
            owner, post = segments[0], segments[segments.index(marker) + 1]
            return f"{owner}_{post}" if owner.isdigit() and post.isdigit() else post
    return None


def read_csv(
    content: bytes, *, source: str, shown: str, tz: tzinfo, report: Report, ids: _Ids
) -> Iterator[Item]:
    """Items of one monitoring-tool CSV export (columns in ``COLUMNS``)."""
    text = decode_text(content, None)  # as every importer reads a file's bytes
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(csv_lines(text), dialect=dialect)
    columns = match_columns(list(reader.fieldnames or []))
    if "text" not in columns or not ({"id", "url", "published_at"} & set(columns)):
        header = printable(", ".join(reader.fieldnames or [])) or "no columns"
        raise InputError(
            f"no text column plus id/URL/date column among {header}; "
            f"text columns accepted: {', '.join(COLUMNS['text'])}",
            source=source,
            path=shown,
            line=1,
        )
    order = "dmy"
    if "published_at" in columns:
        order, mixed = slashed_order(text, dialect, columns["published_at"], source=source, shown=shown)
        if mixed is not None:
            report(mixed)
    for row in reader:
        line = reader.line_num

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
        # The hash reads the date day/month, as every import did before the file's order was decided:
        # a row keeps one id whichever order its file (or an overlapping export of it) is found to write.
        # A date only month/day can be (11/25) is hashed as read: without it, one author's «Спасибо» of
        # the 25th and of the 26th would be one id (rows imported before this are stored once more).
        hashed = when if order == "dmy" else (parse_csv_date(cell("published_at"), tz) or when)
        external_id = cell("id") or (id_from_url(url) if url else None) or ids(kind, hashed, author, body)
        yield Item(
            source=source,
            kind=kind,
            external_id=external_id,
            text=body,
            parent=cell("parent") or None,
            url=url,
            author=author,
            title=cell("title") or None,
            published_at=when,
            raw={k: v for k, v in row.items() if k},
        )


# -- entry point -----------------------------------------------------------------------------


def _files(path: Path, report: Report) -> Iterator[tuple[str, bytes]]:
    """(shown name, bytes) of each .json and .csv file of the export; one that cannot be read (a
    damaged member of the .zip, an unreadable file of the folder) is reported and the others go on."""
    if path.is_dir():
        for file in sorted(path.rglob("*")):
            if file.suffix.lower() in (".json", ".csv") and file.is_file():
                try:
                    yield shown_path(file), read_input(file)
                except InputError as exc:
                    report(exc)
    elif is_zip(path):  # also a cut-off copy without the .zip suffix, which zipfile no longer knows
        with open_zip(path) as archive:
            for name in sorted(archive.namelist()):
                if name.lower().endswith((".json", ".csv")):
                    try:
                        content = read_member(archive, name, path)
                    except InputError as exc:
                        report(exc)
                        continue
                    yield f"{shown_path(path)}!{printable(name, limit=None)}", content
    else:
        yield shown_path(path), read_input(path)


def read_export(path: Path, *, source: str, options: Mapping[str, Any], report: Report) -> Iterator[Item]:
    """Items of a Facebook export (file, folder or zip); bad entries go to ``report``."""
    try:
        tz: tzinfo = time_zone(str(options["tz"])) if options.get("tz") else ALMATY
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Asia" is a folder of zones
        raise InputError(
            f"unknown time zone {options.get('tz')!r}", source=source, path=shown_path(path)
        ) from None
    ids = _Ids()
    found = False
    unreadable = 0
    got = 0  # items yielded

    def skip(error: InputError) -> None:
        nonlocal unreadable
        unreadable += 1
        error.source = error.source or source
        report(error)

    single_file = not Path(path).is_dir() and not is_zip(Path(path))
    for shown, content in _files(Path(path), skip):
        try:
            if shown.lower().endswith(".csv"):
                found = True
                for item in read_csv(content, source=source, shown=shown, tz=tz, report=report, ids=ids):
                    got += 1
                    yield item
                continue
            try:
                data = json.loads(decode_text(content, None))  # UTF-16 or cp1251 too, as every import
            except (ValueError, RecursionError) as exc:
                reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                if single_file:
                    raise InputError(f"not JSON: {reason}", source=source, path=shown) from None
                report(InputError(f"not JSON ({reason}); skipped", source=source, path=shown))
                continue
            found = True
            for item in read_json(data, source=source, shown=shown, report=report, ids=ids):
                got += 1
                yield item
        except (csv.Error, RecursionError) as exc:
            # One file of the export this import cannot read to its end: what it gave is kept, the
            # other files go on.
            error = InputError(
                f"read only in part: {printable(str(exc)) or 'nested too deeply'}", source=source, path=shown
            )
            if single_file:
                raise error from None
            report(error)
    if single_file and found and not got:
        # One file given, and nothing in it this import could take: "ok, 0 items" would hide that.
        raise InputError(
            "no post or comment with text in this file",
            source=source,
            path=shown_path(path),
        )
    if not found:
        what = "no readable .json or .csv file" if unreadable else "no .json or .csv file"
        raise InputError(f"{what} in this export", source=source, path=shown_path(path))
