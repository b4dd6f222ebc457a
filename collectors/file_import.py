"""Generic CSV and JSON Lines imports (``pipeline.py import csv|jsonl PATH --source NAME``).

Columns (CSV header, case-insensitive) or keys (JSONL objects): ``text`` (required), ``id``,
``author``, ``published_at``, ``url``, ``parent``, ``kind``, ``title``. Other columns are kept in
``raw``. ``published_at`` is ISO 8601 (``2026-11-25T14:35:00+05:00``, ``2026-11-25 14:35``) or
``25.11.2026 14:35``; a time without a zone is read in ``tz`` (default Asia/Almaty). Without an
``id``, the external id is a hash of (published_at, author, text, occurrence), stable across
re-imports. A bad row is reported with its line number and skipped; the rest is imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from collectors.base import Report
from collectors.item import KINDS, Item
from errors import ConfigError, InputError

log = logging.getLogger(__name__)

IMPORT_OPTIONS = frozenset({"tz", "kind", "delimiter", "encoding"})
FIELDS = ("id", "text", "author", "published_at", "url", "parent", "kind", "title")
DEFAULT_TZ = "Asia/Almaty"
_DATE_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y %H:%M")


class _Rows:
    """Turns rows (dicts of fields) into Items; one per file."""

    def __init__(self, source: str, options: Mapping[str, Any], shown: str) -> None:
        self.source = source
        self.shown = shown
        name = str(options.get("tz") or DEFAULT_TZ)
        try:
            self.zone: tzinfo = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"unknown time zone {name!r} (tz)", source=source) from None
        self.kind = str(options.get("kind") or "post")
        if self.kind not in KINDS:
            raise ConfigError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}", source=source)
        self.seen: Counter[tuple[str, str, str]] = Counter()

    def error(self, message: str, line: int) -> InputError:
        return InputError(message, source=self.source, path=self.shown, line=line)

    def when(self, value: Any, line: int) -> datetime | None:
        if value in (None, ""):
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), tz=self.zone)
        text = str(value).strip()
        parsed: datetime | None = None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            for fmt in _DATE_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - zone added below
                    break
                except ValueError:
                    continue
        if parsed is None:
            raise self.error(f"published_at {text!r} is not a date (ISO 8601 or dd.mm.yyyy hh:mm)", line)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=self.zone)

    def item(self, row: Mapping[str, Any], line: int) -> Item:
        """The Item of one row; InputError when the row cannot be one."""
        text = row.get("text")
        if text is None or (isinstance(text, str) and not text.strip()):
            raise self.error("the row has no text", line)
        if not isinstance(text, str):
            raise self.error(f"text must be a string, not {type(text).__name__}", line)
        published = self.when(row.get("published_at"), line)
        author = _str_or_none(row.get("author"))
        kind = _str_or_none(row.get("kind")) or self.kind
        if kind not in KINDS:
            raise self.error(f"kind {kind!r} is not one of {', '.join(KINDS)}", line)
        external_id = _str_or_none(row.get("id"))
        if external_id is None:
            key = (published.isoformat() if published else "", author or "", " ".join(text.split()))
            self.seen[key] += 1
            digest = hashlib.sha256("\x1f".join([*key, str(self.seen[key])]).encode("utf-8")).hexdigest()
            external_id = digest[:24]
        extra = {k: v for k, v in row.items() if k not in FIELDS and k is not None and v not in (None, "")}
        return Item(
            source=self.source,
            kind=kind,
            external_id=external_id,
            text=text.strip(),
            parent=_str_or_none(row.get("parent")),
            url=_str_or_none(row.get("url")),
            author=author,
            title=_str_or_none(row.get("title")),
            published_at=published,
            raw=extra,
        )


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _open_text(path: Path, encoding: str | None) -> str:
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    data = path.read_bytes()
    if encoding:
        return data.decode(encoding, "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", "replace")


def read_csv(path: Path, *, source: str, options: Mapping[str, Any], report: Report) -> Iterator[Item]:
    """Yield the rows of a CSV file with a header row as Items; report bad rows and go on."""
    path = Path(path)
    text = _open_text(path, options.get("encoding"))
    rows = _Rows(source, options, str(path))
    delimiter = options.get("delimiter")
    if not delimiter:
        first = text.split("\n", 1)[0]
        delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=str(delimiter))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError("the file is empty", source=source, path=str(path)) from None
    if "text" not in header:
        raise InputError(
            f"the header has no 'text' column (columns: {', '.join(header)})",
            source=source,
            path=str(path),
            line=1,
        )
    count = 0
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report(rows.error(f"unreadable CSV row: {exc}", line))
            continue
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            report(rows.error(f"{len(values)} fields where the header has {len(header)}", line))
            continue
        try:
            item = rows.item(dict(zip(header, values, strict=True)), line)
        except InputError as exc:
            report(exc)
            continue
        count += 1
        yield item
    log.info("%s: %d rows imported", path, count)


def read_jsonl(path: Path, *, source: str, options: Mapping[str, Any], report: Report) -> Iterator[Item]:
    """Yield the objects of a JSON Lines file as Items; report bad lines and go on."""
    path = Path(path)
    text = _open_text(path, options.get("encoding"))
    rows = _Rows(source, options, str(path))
    count = 0
    for line, raw_line in enumerate(text.split("\n"), start=1):
        if not raw_line.strip():
            continue
        try:
            obj = json.loads(raw_line)
        except json.JSONDecodeError as exc:
            report(rows.error(f"not JSON: {exc.msg} at column {exc.colno}", line))
            continue
        if not isinstance(obj, dict):
            report(rows.error(f"a line must be a JSON object, not {type(obj).__name__}", line))
            continue
        try:
            item = rows.item({str(k).lower(): v for k, v in obj.items()}, line)
        except InputError as exc:
            report(exc)
            continue
        count += 1
        yield item
    log.info("%s: %d lines imported", path, count)
