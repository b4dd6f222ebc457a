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
* A group's posts and comments, in those shapes under ``group_posts_v2``
  (``groups/group_posts_and_comments.json``) and ``group_comments_v2``
  (``groups/your_comments_in_groups.json``): posts and comments as above, hashed apart from them.
* Any other JSON file is skipped: with a warning when its name or a key of it says posts or
  comments (a shape Facebook changed), else with an info line, shown with ``--debug`` (likes, settings).
* Saved Graph API answers: ``{"data": [...]}`` of posts (``created_time``, ``message``) or comments
  (read by the facebook collector's parsers, ids and parents kept; a comment without ``id`` keeps the
  bare number its permalink names, as the collector keeps it); comments a post holds inside it
  (``comments: {"data": [...]}``, replies inside those) are read with it.

Facebook writes these exports with UTF-8 bytes escaped as Latin-1 characters (``\\u00d0\\u009f`` for
"П"); DYI texts are repaired, also one with a few bytes that are not UTF-8 when they are an emoji cut
short at its end (U+FFFD) or written as two CESU-8 halves (joined; a half alone is U+FFFD) and the
sequences that decode are at least three times as many (a text really in Latin-1, «Gruß», is left).
Saved Graph answers are not repaired: the API writes real Unicode. DYI items have no ids: the
external id is ``fbx-`` plus a hash of (kind, timestamp, author, text as repaired before such texts
were, occurrence), stable across re-imports.

CSV from monitoring tools (``,`` ``;`` or tab, the one that gives the earliest header this module
knows, then the one most rows follow, ``collectors.csv_layout``; a title or blank lines above the
header skipped, and Excel's first line ``sep=;``, whose delimiter is taken if it splits the header; a column
added without a name kept in ``raw``; UTF-8 or cp1251; a zone abbreviation after any date,
``04/25/2026 10:00 EST``): the columns
are matched by name, case-insensitive (see ``COLUMNS``): a text column is required, plus an id, URL
or date column. CrowdTangle (``Message``, ``Post Created``, ``URL``, ``Page Name``), Export Comments
style (``Comment``, ``Date``, ``Name``, ``Comment ID``) and Russian-language tools (``Текст``,
``Дата``, ``Автор``, ``Ссылка``, ``Тип``) fit (``collectors.facebook_export_csv`` reads them). The id
is the id column, else derived from a facebook.com URL (``{page}_{post}``, or the comment's
``{post}_{comment}`` as the Graph API gives it; a comment's link naming only its post gives none), else
the hash above; a comment whose link names it is stored under the link's id whatever its ``Comment
ID`` column says (it may spell it ``2001`` or in base64, or be the tool's row number, another comment's in a later export; other id columns keep
their ids). A ``Comment ID``
column is the id beside a ``Post ID`` one, which is then the comments' parent, and makes its rows
comments. ``Тип``/``Type`` values naming a comment or reply make comments; a comment's parent is the
parent column, else what its link names (the comment a reply answers, else the post, as that post's
own row is known), else the ``Post ID``. Dates: ISO 8601,
``25.11.2026 14:35``, ``25 ноября в 14:30`` (the import's year, or the one before if that is after
the import's day, as collectors.dates reads it), Unix seconds, ``2021-03-01 12:34:56 EST``, slashed
``03/04/2026``; a date without a zone is read in Asia/Almaty (option ``tz``). Whether a file's
slashed dates are day/month or month/day is decided from its own values by a first pass over its date column
(``collectors.facebook_export_dates``): a second field above 12 in any row makes them all month/day
(CrowdTangle, Export Comments); a file that writes both is one error and is read day/month. Option
``date_order`` (``dmy``, ``mdy``; default ``auto``, the above) says it for a file whose dates do not
(``03/04/2026`` only); hash ids stay as they were whatever it says.
A file that is not text (a photo, a .zip renamed .csv) is one error, ``not a CSV text file``; in a
folder or .zip, that file is reported and the others read, as is a CSV without the columns above.
A row without text is reported with its line number and skipped (two rows giving one id are both
read, the later a new version of the earlier: a photo album's link, a reply's link naming only its
comment, a ``Post ID`` on every comment row give one id to rows that are not one item); a bad date
is reported and the row kept without one, and so is a relative one (``вчера``,
``2 часа назад``): the file does not say when it was exported, and counted from the import it would be days off (and its id change each day).
Saved Graph answers may give ``created_time`` in Unix seconds (``date_format=U``); a JSON file may be
UTF-16 or cp1251 as well as UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from collectors import facebook_parse
from collectors.base import TIME_ZONE, Expect, Report, check_options, one_of
from collectors.dates import ALMATY, time_zone
from collectors.facebook_export_csv import post_id_from_url, read_csv
from collectors.facebook_export_dates import DATE_ORDERS, stamp
from collectors.file_import import (
    decode_text,
    is_zip,
    open_zip,
    printable,
    read_input,
    read_member,
    refuse_binary,
    shown_path,
)
from collectors.item import Item
from errors import InputError, MonitorError

log = logging.getLogger(__name__)

# tz: the zone of CSV dates written without one (default Asia/Almaty); date_order: how slashed CSV
# dates read, "auto" (the default: decided per file), "dmy" or "mdy"
IMPORT_OPTIONS = frozenset({"tz", "date_order"})
VALUES: dict[str, Expect] = {"tz": TIME_ZONE, "date_order": one_of(*DATE_ORDERS)}  # what each key must be


# An emoji as old exports wrote it: the UTF-8 of each of its two UTF-16 halves (CESU-8), not of itself
_CESU8_PAIR = re.compile(rb"\xed([\xa0-\xaf])([\x80-\xbf])\xed([\xb0-\xbf])([\x80-\xbf])")


def _joined_pair(m: re.Match[bytes]) -> bytes:
    high = 0xD000 | (m[1][0] & 0x3F) << 6 | m[2][0] & 0x3F
    low = 0xD000 | (m[3][0] & 0x3F) << 6 | m[4][0] & 0x3F
    return chr(0x10000 + (high - 0xD800 << 10) + (low - 0xDC00)).encode()


def fix_mojibake(text: str) -> str:
    """Undo Facebook's export encoding (UTF-8 bytes written as Latin-1 characters); other text unchanged.
    A text with a few bytes that are not UTF-8 is repaired all the same when they are only an emoji cut
    short at its end or written as two CESU-8 halves: the halves joined, the rest made U+FFFD."""
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:  # a character past Latin-1: real text, not Facebook's escaping
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Before, such a text was left whole as mojibake (review: «Ð¡Ó\x99Ð»ÐµÐ¼…» stored for one cut emoji).
    # A text really written in Latin-1 is not repaired (review: «Gruß» became «\ufffdGru\u07fb»): any
    # other byte that does not decode leaves it alone, and so do fewer than three sequences that decode
    # for each that does not («FIERTÉ\xa0! BEAUTÉ\xa0! la fierté»: two pairs and an «é» at the end).
    data = _CESU8_PAIR.sub(_joined_pair, data)
    decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")  # a lone half: one surrogate
    try:
        whole = decoder.decode(data, final=False)  # a sequence cut short at the end is held back
    except UnicodeDecodeError:
        return text
    halves = sum(1 for ch in whole if "\ud800" <= ch <= "\udfff")
    decoded = sum(1 for ch in whole if ch > "\x7f") - halves  # multi-byte sequences
    undecoded = halves + bool(decoder.getstate()[0])
    return data.decode("utf-8", "replace") if decoded >= 3 * undecoded else text


def _whole_or_nothing(text: str) -> str:
    """``text`` as fix_mojibake repaired it before it repaired a text in part: the hash ids hold it."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _fixed(value: Any, fix: Callable[[str], str] = fix_mojibake) -> Any:
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, list):
        return [_fixed(v, fix) for v in value]
    if isinstance(value, Mapping):
        return {k: _fixed(v, fix) for k, v in value.items()}
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


def _post_text(entry: Mapping[str, Any]) -> str:
    """A DYI post's text: its ``post``, else its title and attachment descriptions."""
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
    return text


def _dyi_post(
    entry: Mapping[str, Any], before: Mapping[str, Any], id_kind: str, source: str, ids: _Ids
) -> Item | None:
    text = _post_text(entry)
    if not text:
        return None
    when = stamp(entry.get("timestamp"))
    return Item(
        source=source,
        kind="post",
        external_id=ids(id_kind, when, None, _post_text(before)),
        text=text,
        published_at=when,
        raw=dict(entry),
    )


def _comment_of(entry: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first ``{"comment", "author", "timestamp"}`` of a DYI comment entry with a text."""
    for data in entry.get("data") or []:
        comment = data.get("comment") if isinstance(data, Mapping) else None
        if isinstance(comment, Mapping) and isinstance(comment.get("comment"), str):
            return comment
    return None


def _dyi_comment(
    entry: Mapping[str, Any], before: Mapping[str, Any], id_kind: str, source: str, ids: _Ids
) -> Item | None:
    comment, as_before = _comment_of(entry), _comment_of(before)
    if comment is None or as_before is None:
        return None
    when = stamp(comment.get("timestamp")) or stamp(entry.get("timestamp"))
    author = comment.get("author") if isinstance(comment.get("author"), str) else None
    author_before = as_before.get("author") if isinstance(as_before.get("author"), str) else None
    return Item(
        source=source,
        kind="comment",
        external_id=ids(id_kind, when, author_before, as_before["comment"]),
        text=comment["comment"],
        author=author,
        published_at=when,
        raw=dict(entry),
    )


# key of a DYI JSON file -> (parser, kind in the hash id); the first key present is read. Group posts
# and comments hash under kinds of their own: the same words posted at the same second on the
# timeline and in a group are two items, and the timeline's ids keep their occurrence numbers.
_DYI_KEYS: dict[str, tuple[Callable[..., Item | None], str]] = {
    "comments_v2": (_dyi_comment, "comment"),
    "comments": (_dyi_comment, "comment"),
    "group_comments_v2": (_dyi_comment, "group comment"),
    "status_updates_v2": (_dyi_post, "post"),
    "posts_v2": (_dyi_post, "post"),
    "posts": (_dyi_post, "post"),
    "page_posts_v2": (_dyi_post, "post"),
    "group_posts_v2": (_dyi_post, "group post"),
}
# A file so named, or holding such a key, is meant to hold posts or comments: one this import does
# not read is a warning (a shape Facebook changed), not the debug note of the many other files of an
# export (likes, group memberships, settings)
_NAMES_POSTS = re.compile(r"post|comment", re.IGNORECASE)
_WORDS = frozenset({"post", "comment", "text"})  # a key of a DYI entry's data item holding its words


def _embedded_comments(
    obj: Mapping[str, Any],
    post_id: str,
    parent: str | None,
    where: str,
    source: str,
    shown: str,
    report: Report,
) -> Iterator[Item]:
    """The comments a saved Graph answer holds inside a post (``fields=comments{...}``), and their
    replies inside them, parented as the collector parents them (they were dropped without a word)."""
    block = obj.get("comments")
    if not isinstance(block, Mapping) or not isinstance(block.get("data"), list):
        return
    for m, comment in enumerate(block["data"], 1):
        place = f"comment {m} of {where}"
        try:
            item = facebook_parse.parse_comment(comment, post_id=post_id, source=source)
        except (MonitorError, ValueError, AttributeError, TypeError) as exc:
            report(InputError(f"{place}: {printable(str(exc))}", source=source, path=shown))
            continue
        if parent is not None and item.parent == post_id:  # a reply, its parent not written in it
            item.parent = parent
        yield item
        if parent is None:  # replies: one level, as Facebook nests them
            yield from _embedded_comments(comment, post_id, item.external_id, place, source, shown, report)


def read_json(data: Any, *, source: str, shown: str, report: Report, ids: _Ids) -> Iterator[Item]:
    """Items of one export JSON document (shapes in the module docstring)."""
    if isinstance(data, Mapping) and isinstance(data.get("data"), list):  # saved Graph API answer
        # Not repaired: the API writes real Unicode, stored as the facebook collector stores it (review:
        # a real Latin-1 «QUELLE FIERTÉ\xa0!» taken for mojibake became «QUELLE FIERTɠ!»)
        for n, obj in enumerate(data["data"], 1):
            try:
                if "created_time" in obj and (
                    "parent" in obj or "like_count" in obj or "comment_count" in obj
                ):
                    link = str(obj.get("permalink_url") or "")
                    post_id = str(obj.get("post_id") or post_id_from_url(link) or "unknown")
                    yield facebook_parse.parse_comment(obj, post_id=post_id, source=source)
                else:
                    post = facebook_parse.parse_post(obj, source=source)
                    yield post
                    yield from _embedded_comments(
                        obj, post.external_id, None, f"entry {n}", source, shown, report
                    )
            except (MonitorError, ValueError, AttributeError, TypeError) as exc:
                report(InputError(f"entry {n} of data: {printable(str(exc))}", source=source, path=shown))
        return
    original, data = data, _fixed(data)
    if isinstance(data, Mapping):
        for key, (parse, id_kind) in _DYI_KEYS.items():
            if isinstance(data.get(key), list):
                yield from _entries(data[key], original[key], parse, id_kind, key, source, shown, report, ids)
                return
        keys = ", ".join(printable(str(k), limit=40) for k in list(data)[:5])
        _skipped(shown, f"no posts or comments in this JSON file (keys: {keys or 'none'})", keys, data)
        return
    if isinstance(data, list) and any(isinstance(e, Mapping) and "timestamp" in e for e in data):
        yield from _entries(data, original, _dyi_post, "post", "the list", source, shown, report, ids)
        return
    _skipped(shown, "neither a Facebook export of posts/comments nor a Graph API answer", "", data)


def _skipped(shown: str, why: str, keys: str, data: Any) -> None:
    """Log a JSON file read for nothing: a warning, once, when its name or keys say it holds posts or
    comments and its entries look like them (review: a group's posts were skipped with a debug line
    only), else a note (the likes and the edits of posts: their files are so named too)."""
    name = shown.rsplit("!", 1)[-1].replace("\\", "/").rsplit("/", 1)[-1]
    if (_NAMES_POSTS.search(name) or _NAMES_POSTS.search(keys)) and _holds_content(data):
        log.warning(
            "%s: %s; skipped: its posts or comments are in a shape this import does not read", shown, why
        )
    else:
        log.info("%s: %s; skipped", shown, why)


def _holds_content(data: Any) -> bool:
    """Whether a list of ``data`` (itself or one under a key) holds what a post or comment looks like
    in each shape of one so far: an object with a ``timestamp`` and its words, as ``text`` or in a
    ``data`` item (``post``, ``comment``, ``text``); not a reaction's ``data`` nor an edit's title."""
    lists = [data] if isinstance(data, list) else []
    if isinstance(data, Mapping):
        lists = [value for value in data.values() if isinstance(value, list)]
    return any(
        isinstance(entry, Mapping)
        and "timestamp" in entry
        and (
            isinstance(entry.get("text"), str)
            or any(
                isinstance(item, Mapping) and not _WORDS.isdisjoint(item)
                for item in (entry["data"] if isinstance(entry.get("data"), list) else ())
            )
        )
        for entries in lists
        for entry in entries
    )


def _entries(
    entries: list[Any],
    originals: list[Any],
    parse: Callable[..., Item | None],
    id_kind: str,
    where: str,
    source: str,
    shown: str,
    report: Report,
    ids: _Ids,
) -> Iterator[Item]:
    """The items of a DYI list; ``originals``: its entries before fix_mojibake, whose text as repaired
    before (_whole_or_nothing) the hash ids hold, so that an item repaired now in part keeps its id."""
    empty = 0
    for n, (entry, original) in enumerate(zip(entries, originals, strict=True), 1):
        if not isinstance(entry, Mapping):
            report(InputError(f"entry {n} of {where} is not an object; skipped", source=source, path=shown))
            continue
        try:
            item = parse(entry, _fixed(original, _whole_or_nothing), id_kind, source, ids)
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
    check_options(options, {"date_order": VALUES["date_order"]}, source)  # tz: the InputError below
    date_order = str(options.get("date_order") or "auto")
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
        text = decode_text(content, None)  # UTF-16 or cp1251 too, as every import
        is_csv = shown.lower().endswith(".csv")
        try:
            # a photo or a .zip named .csv: one line naming it, not its bytes quoted as column names
            refuse_binary(text, "CSV" if is_csv else "JSON", Path(shown), source)
        except InputError as exc:
            if single_file:
                raise
            skip(exc)
            continue
        try:
            if is_csv:
                found = True
                rows = read_csv(
                    text, source=source, shown=shown, tz=tz, report=report, ids=ids, date_order=date_order
                )
                for item in rows:
                    got += 1
                    yield item
                continue
            try:
                data = json.loads(text)
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
        except InputError as exc:  # a CSV without the columns this import reads: the other files go on
            if single_file:
                raise
            report(exc)
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
