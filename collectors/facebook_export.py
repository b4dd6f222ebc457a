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
  (read by the facebook collector's parsers, ids and parents kept; a comment without ``id`` keeps the
  bare number its permalink names, as the collector keeps it).

Facebook writes these exports with UTF-8 bytes escaped as Latin-1 characters (``\\u00d0\\u009f`` for
"П"); texts are repaired. DYI items have no ids: the external id is ``fbx-`` plus a hash of
(kind, timestamp, author, text, occurrence), stable across re-imports.

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

import csv
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from collectors import facebook_parse
from collectors.base import TIME_ZONE, Expect, Report, check_options, one_of
from collectors.dates import ALMATY, time_zone
from collectors.facebook_export_csv import DATE_ORDERS, post_id_from_url, read_csv
from collectors.facebook_export_dates import stamp
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
                    post_id = str(obj.get("post_id") or post_id_from_url(link) or "unknown")
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
