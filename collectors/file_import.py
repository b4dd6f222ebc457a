"""Generic CSV and JSON Lines imports (``pipeline.py import csv|jsonl PATH --source NAME``).

Columns (CSV header, case-insensitive) or keys (JSONL objects): ``text`` (required), ``id``,
``author``, ``published_at``, ``url``, ``parent``, ``kind``, ``title``. Other columns are kept in
``raw``. ``published_at`` is ISO 8601 (``2026-11-25T14:35:00+05:00``, ``2026-11-25 14:35``) or
``25.11.2026 14:35``; in a CSV, also what Excel writes, read as a Facebook export's CSV dates
(collectors.facebook_export_dates): ``25/11/2026 14:35`` or ``11/25/2026 2:35 PM`` (the order decided
per file from its own dates, or by the ``date_order`` option), ``25 ноября 2026 г. 14:35``, a zone
abbreviation (``EST``), and Excel's day numbers (``46351.607639``) when every date of the column is
one. A time without a zone is read in ``tz`` (default Asia/Almaty). Without an
``id``, the external id is a hash of (published_at, author, text, occurrence), stable across
re-imports (a slashed date in it read day/month when it can be, whatever the file's order: a longer
export, or ``date_order`` given later, keeps the ids). An Excel day number past 9999 is its row's
error. The delimiter (``,`` ``;`` or tab, unless the ``delimiter`` option names one) and the header's
line are decided from the header and most rows (collectors/csv_layout.py): a title or blank
lines above the header are skipped, and a row with a stray delimiter is that row's error only. A
column without a name keeps its values in ``raw`` as ``column 3`` (its place). Fields past the header's
that are all empty (``text,author,date,,``, as spreadsheets write) are dropped where most rows have
them; a row with data in them, or wider than most, is an error. A bad row is reported with its line number and skipped; the rest is imported. A UTF-8
or UTF-16 byte-order mark is dropped; a file that starts with control characters (a binary file) is
one error, "not a CSV text file", not a list of its bytes as columns.

The input-file helpers below are shared by every importer (WhatsApp and Facebook exports too): the
same check says a path is a directory, the same words say a .zip is cut short or damaged, and
:func:`printable` is how a message quotes text taken from the input.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import logging
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from collectors.base import ONE_CHARACTER, TEXT_ENCODING, TIME_ZONE, Expect, Report, check_options, one_of
from collectors.csv_layout import DELIMITERS, column_names, csv_lines, find_layout, most_rows_width
from collectors.dates import publication_time, time_zone
from collectors.facebook_export_dates import (
    DATE_ORDERS,
    csv_hash_date,
    date_column,
    excel_serial,
    parse_csv_date,
)
from collectors.http import utf8_with_strays
from collectors.item import KINDS, Item
from errors import InputError

log = logging.getLogger(__name__)

# ``item_kind``: the kind of the rows without a ``kind`` column (a source's own ``kind`` is csv or jsonl)
IMPORT_OPTIONS = frozenset({"tz", "item_kind", "delimiter", "encoding", "date_order"})
# What each of the keys above must be. Not `kind`: in a [[sources]] table that key is the source's
# kind ("csv", "jsonl"), which config/sources.py checks, so it never reaches the importer as an option.
VALUES: dict[str, Expect] = {
    "tz": TIME_ZONE,
    "delimiter": ONE_CHARACTER,  # csv only; without it, decided among , ; and tab (csv_layout)
    "encoding": TEXT_ENCODING,
    "item_kind": one_of(*KINDS),
    "date_order": one_of(*DATE_ORDERS),  # csv only: how slashed dates read (auto: decided per file)
}
FIELDS = ("id", "text", "author", "published_at", "url", "parent", "kind", "title")
DEFAULT_TZ = "Asia/Almaty"
_DATE_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y %H:%M")
# C0 control characters but tab and line ends, and DEL: no text file has them in its first line
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ZIP_SIGNATURE = b"PK\x03\x04"  # the local file header a .zip starts with
# what zipfile raises for a member it cannot unpack: a bad CRC or header, a broken deflate stream,
# data that ends too soon, a read error
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError)
MAX_MEMBER = 256 * 2**20  # bytes one member of an archive may unpack to
# What reading an archive member raises when it cannot be read (:func:`member_error` says which).
UNREADABLE_MEMBER = (*_DAMAGED, NotImplementedError, RuntimeError)
MAX_FIELD = 64 * 2**20  # characters of one CSV field (the csv module's own limit is 128 KiB)
# The csv module's limit is process-wide; every importer reading CSV (Facebook exports too) needs it.
csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))
_LINE_END = re.compile(r"\r\n|\r|\n")


# -- input files, shared by every importer ----------------------------------------------------


def printable(text: str, limit: int | None = 200) -> str:
    """``text`` safe to quote in a one-line message: what is not printable (ESC and other control
    characters, line breaks, direction marks) escaped as ``repr`` does, cut after ``limit`` characters."""
    cut = text if limit is None else text[:limit]
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in cut)
    return shown + "…" if len(cut) < len(text) else shown


def text_lines(text: str) -> Iterator[str]:
    """The lines of an exported file, one at a time (a file of hundreds of megabytes is not copied into
    a list of millions of strings besides its text). They end at LF, CR LF or a lone CR (old Mac tools),
    nothing else; not str.splitlines(), which also splits at U+001C or U+2028, which a message or JSON
    string may hold."""
    start = 0
    for end in _LINE_END.finditer(text):
        yield text[start : end.start()]
        start = end.end()
    yield text[start:]


def shown_path(path: Path | str) -> str:
    """A path as messages show it (a file name may hold control characters too)."""
    return printable(str(path), limit=None)


def check_input_file(path: Path) -> None:
    """InputError naming ``path`` unless it is a file: every import of one file asks this first."""
    if path.is_dir():
        raise InputError("is a directory, not a file", path=shown_path(path))
    if not path.exists():
        raise InputError("no such file", path=shown_path(path))


def read_input(path: Path) -> bytes:
    """The bytes of an input file; InputError naming it when it is missing, a directory or unreadable."""
    check_input_file(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=shown_path(path)) from None


def is_zip(path: Path) -> bool:
    """Whether ``path`` is meant as a .zip archive: by its suffix, by the signature it starts with (so a
    cut-off copy, which zipfile no longer recognises, is not read as text), or as zipfile finds it."""
    if path.suffix.lower() == ".zip":
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(len(ZIP_SIGNATURE))
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=shown_path(path)) from None
    return head == ZIP_SIGNATURE or zipfile.is_zipfile(path)


def open_zip(path: Path) -> zipfile.ZipFile:
    """The archive at ``path``; InputError when it is cut short or its directory is damaged."""
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile:  # no readable central directory: most often a download or copy cut short
        raise InputError("truncated or damaged .zip archive", path=shown_path(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=shown_path(path)) from None


def member_error(exc: BaseException, name: str, path: Path) -> InputError:
    """The error of an archive member that cannot be read: the archive damaged, or packed in a way
    that cannot be unpacked here (a compression method zipfile lacks, a password)."""
    if isinstance(exc, _DAMAGED):
        detail = str(exc) if name in str(exc) else f"{name}: {exc}"
        return InputError(f"the archive is damaged ({printable(detail)})", path=shown_path(path))
    return InputError(f"cannot unpack {printable(name)} ({printable(str(exc))})", path=shown_path(path))


def read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo | str, path: Path) -> bytes:
    """The unpacked bytes of one member of ``archive`` (read from ``path``); InputError naming the
    archive when the member is damaged or cannot be unpacked."""
    name = member.filename if isinstance(member, zipfile.ZipInfo) else member
    try:
        # Read at most MAX_MEMBER bytes: the size the directory declares may lie (a zip bomb unpacks
        # a megabyte into gigabytes), so the stream itself is cut.
        with archive.open(member) as fh:
            data = fh.read(MAX_MEMBER + 1)
    except UNREADABLE_MEMBER as exc:
        raise member_error(exc, name, path) from None
    if len(data) > MAX_MEMBER:
        message = (
            f"{printable(name)} unpacks to more than {MAX_MEMBER // 2**20} MB, more than any export holds"
        )
        raise InputError(message, path=shown_path(path))
    return data


class _Rows:
    """Turns rows (dicts of fields) into Items; one per file."""

    def __init__(self, source: str, options: Mapping[str, Any], shown: str) -> None:
        self.source = source
        self.shown = shown
        check_options(options, VALUES, source)
        self.zone: tzinfo = time_zone(str(options.get("tz") or DEFAULT_TZ))
        self.kind = str(options.get("item_kind") or "post")
        self.seen: Counter[bytes] = Counter()  # occurrences of each (published_at, author, text)
        self.ids: dict[str, int] = {}  # id -> the line that gave it
        self.now = datetime.now(UTC)
        # CSV only (read_csv sets them from the file's date column): the order of slashed dates, for the
        # forms the Facebook export's CSVs read, and whether the column is Excel's day numbers. None:
        # JSON Lines, which programs write, reads the forms above only.
        self.order: str | None = None
        self.serials = False

    def error(self, message: str, line: int) -> InputError:
        return InputError(message, source=self.source, path=self.shown, line=line)

    def when(self, value: Any, line: int) -> datetime | None:
        if value in (None, ""):
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return self.plausible(datetime.fromtimestamp(float(value), tz=self.zone), value, line)
            except (OverflowError, ValueError, OSError):  # 1e20, inf, nan: no time at all
                raise self.error(f"published_at {value!r} is not a time (seconds since 1970)", line) from None
        text = str(value).strip()
        if self.serials and (serial := excel_serial(text, self.zone)) is not None:
            return self.plausible(serial, text, line)
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
        if parsed is None and self.order is not None:
            # Excel's other forms (11/25/2026 2:35 PM, 25/11/2026 14:35, «25 ноября 2026 г. 14:35»), read
            # as a Facebook export's CSV reads them; after the forms above, so the ids they gave stay
            if (found := parse_csv_date(text, self.zone, self.order)) is not None:
                return self.plausible(found, text, line)
            raise self.error(
                f"published_at {printable(text)!r} is not a date this import reads (ISO 8601, 25.11.2026 "
                "14:35, 25/11/2026 or 11/25/2026 2:35 PM, 25 ноября 2026 14:35, Excel day numbers in a column of them only) or "
                "not a publication time (before 1990 or more than a day ahead)",
                line,
            )
        if parsed is None:
            raise self.error(f"published_at {text!r} is not a date (ISO 8601 or dd.mm.yyyy hh:mm)", line)
        return self.plausible(parsed if parsed.tzinfo else parsed.replace(tzinfo=self.zone), text, line)

    def plausible(self, when: datetime, given: Any, line: int) -> datetime:
        """``when`` if it can be a publication time (collectors.dates.publication_time), else InputError:
        a row dated year 1 or 9999 is a mistake to show, and such a date overflows in the store."""
        try:
            if publication_time(when, self.now) is not None:
                return when
        except OverflowError:  # year 1 or 9999 in a zone that moves it past the calendar
            pass
        raise self.error(
            f"published_at {printable(str(given))} is not a publication time (before 1990 or more than a day ahead)",
            line,
        )

    def field(self, row: Mapping[str, Any], name: str, line: int) -> str | None:
        """A row's value as text (None when empty), a number as Python writes it (``1``, ``1.0``: the ids
        of files imported before stay as they were); InputError for true, false, a list or an object
        (JSON Lines), which would otherwise be stored as Python's spelling of them."""
        value = row.get(name)
        if value is None:
            return None
        if isinstance(value, bool | list | dict):
            kind = {bool: "true or false", list: "a list", dict: "an object"}[type(value)]
            raise self.error(f"{name} must be text or a number, not {kind}", line)
        return str(value).strip() or None

    def item(self, row: Mapping[str, Any], line: int) -> Item:
        """The Item of one row; InputError when the row cannot be one."""
        text = row.get("text")
        if text is None or (isinstance(text, str) and not text.strip()):
            raise self.error("the row has no text", line)
        if not isinstance(text, str):
            raise self.error(f"text must be a string, not {type(text).__name__}", line)
        published = self.when(row.get("published_at"), line)
        author = self.field(row, "author", line)
        kind = self.field(row, "kind", line) or self.kind
        if kind not in KINDS:
            raise self.error(f"kind {kind!r} is not one of {', '.join(KINDS)}", line)
        external_id = self.field(row, "id", line)
        if external_id is not None:
            if external_id in self.ids:
                raise self.error(
                    f"id {printable(external_id)} was given on line {self.ids[external_id]} already; "
                    "this row is left out (one id, one item)",
                    line,
                )
            self.ids[external_id] = line
        else:
            # a slashed date as read day/month whatever the file's order (collectors.facebook_export_dates)
            hashed = csv_hash_date(str(row.get("published_at") or ""), self.zone, published, self.order)
            key = "\x1f".join((hashed.isoformat() if hashed else "", author or "", " ".join(text.split())))
            occurrence = hashlib.sha256(key.encode("utf-8")).digest()[:16]  # not the text: a long file's
            self.seen[occurrence] += 1  # texts would all be held a second time
            digest = hashlib.sha256(f"{key}\x1f{self.seen[occurrence]}".encode()).hexdigest()
            external_id = digest[:24]
        extra = {k: v for k, v in row.items() if k not in FIELDS and k is not None and v not in (None, "")}
        return Item(
            source=self.source,
            kind=kind,
            external_id=external_id,
            text=text.strip(),
            parent=self.field(row, "parent", line),
            url=self.field(row, "url", line),
            author=author,
            title=self.field(row, "title", line),
            published_at=published,
            raw=extra,
        )


def _open_text(path: Path, encoding: str | None) -> str:
    return decode_text(read_input(path), encoding)


def decode_text(data: bytes, encoding: str | None) -> str:
    """An exported file's text: in ``encoding`` when given, else UTF-16 after its mark, UTF-8 (a few
    bytes that are not read as cp1251), or cp1251 (Windows exports in Russian); bytes that do not
    decode become U+FFFD, never an error."""
    if encoding:
        text = data.decode(encoding, "replace")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        text = data.decode("utf-16", "replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Mostly UTF-8 with a few lines pasted from a cp1251 file: those lines read as cp1251, not
            # the whole file (which turned every UTF-8 line into mojibake).
            text = utf8_with_strays(data) or data.decode("cp1251", "replace")
    return text.removeprefix("\ufeff")  # the mark stays when the option names plain utf-8


def refuse_binary(text: str, what: str, path: Path, source: str) -> None:
    """InputError when the start of ``text`` shows the file is not text (control characters in its
    first line or many further on, bytes its encoding could not decode in its first line), instead of
    quoting its bytes back as column names or one error per line. A stray control character in a
    later row is that row's business, not a reason to refuse the file."""
    sample = text[:4096]
    first = next((line for line in sample.split("\n") if line.strip()), "")
    controls = len(_CONTROL.findall(sample))
    if _CONTROL.search(first) or controls > max(3, len(sample) // 100):
        reason = "control characters"
    elif "\ufffd" in first:
        reason = "its first line does not decode"
    else:
        return
    raise InputError(f"not a {what} text file ({reason})", source=source, path=shown_path(path))


def _has_text_column(header: Sequence[str]) -> bool:
    return "text" in (h.strip().lower() for h in header)


def read_csv(path: Path, *, source: str, options: Mapping[str, Any], report: Report) -> Iterator[Item]:
    """Yield the rows of a CSV file with a header row as Items; report bad rows and go on."""
    path = Path(path)
    text = _open_text(path, options.get("encoding"))
    rows = _Rows(source, options, shown_path(path))
    refuse_binary(text, "CSV", path, source)
    # The delimiter (unless the option names it) and the header's line, from the header and most rows
    given = options.get("delimiter")
    layout = find_layout(text, _has_text_column, (str(given),) if given else DELIMITERS)
    delimiter = layout.delimiter
    if layout.skip:
        log.info("%s: %d line(s) before the header skipped (a title?)", rows.shown, layout.skip)
    at = layout.skip + 1  # the header's line
    reader = csv.reader(itertools.islice(csv_lines(text), layout.skip, None), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError("the file is empty", source=source, path=rows.shown) from None
    except csv.Error as exc:
        raise InputError(f"unreadable header row: {exc}", source=source, path=rows.shown, line=at) from None
    # A column without a name keeps its values in raw under its place (two of them were one key, and
    # the first one's values were lost), under a name no other column has.
    header = column_names(header)
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise InputError(
            f"the header names {', '.join(repr(printable(h)) for h in twice)} more than once "
            "(column names are read without case): which column is meant?",
            source=source,
            path=rows.shown,
            line=at,
        )
    if "text" not in header:
        raise InputError(
            f"the header has no 'text' column (columns: {printable(', '.join(header))})",
            source=source,
            path=rows.shown,
            line=at,
        )
    if "published_at" in header:
        # A first pass over the date column: the order of its slashed dates, and whether it is all
        # Excel day numbers (collectors.facebook_export_dates)
        order = str(options.get("date_order") or "auto")
        dialect = type("Delimited", (csv.excel,), {"delimiter": delimiter})
        where = {"skip": layout.skip + reader.line_num, "source": source, "shown": rows.shown}
        written, mixed, rows.serials = date_column(text, dialect, header.index("published_at"), **where)
        if mixed is not None and order == "auto":  # told the order, the file's mix is not news
            report(mixed)
        rows.order = written if order == "auto" else order
    else:
        rows.order = "dmy"
    padded = most_rows_width(text, layout.skip + 1, delimiter=delimiter)  # as spreadsheets pad rows
    count = 0
    offset = (
        layout.skip
    )  # lines before the reader's start: past a row whose quote never closed, it starts again
    total: int | None = None  # lines in the file, counted when a row runs on to the end
    while True:
        line = offset + reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report(rows.error(f"unreadable CSV row: {exc}", line))
            continue
        if not any(v.strip() for v in values):
            continue
        if len(header) < len(values) <= padded and not any(v.strip() for v in values[len(header) :]):
            # Spreadsheets write rows as wide as their widest (``text,author,date,,``): extra fields
            # that are all empty, where most rows have them, hold nothing to shift or lose. With data in
            # them, or in a row wider than most (a stray delimiter before an empty last column: its
            # cells would be shifted), the row is an error.
            values = values[: len(header)]
        if len(values) != len(header):
            message = f"{len(values)} fields where the header has {len(header)}"
            end = offset + reader.line_num
            if end > line and total is None:
                total = sum(1 for _ in csv_lines(text))  # once: quotes may run away often
            if end > line and end == total:
                # A quote opened in a field and never closed swallows the lines after it into that field,
                # to the end of the file. Leave this row out and read the following lines again as rows.
                message += (
                    f", running on to the end of the file (line {end}): a quote in it is never closed, so "
                    "only this line is left out and the lines after it are read as rows"
                )
                rest = itertools.islice(csv_lines(text), line, None)
                reader, offset = csv.reader(rest, delimiter=delimiter), line
            report(rows.error(message, line))
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
    """Yield the objects of a JSON Lines file as Items; report bad lines and go on. The file is read in
    chunks, a line at a time (collectors/export_text.py): memory holds a line, not the file."""
    # imported here: collectors/export_text.py imports this module's input-file helpers
    from collectors.export_text import ExportText, file_chunks

    path = Path(path)
    text = ExportText(file_chunks(path), options.get("encoding"))
    rows = _Rows(source, options, shown_path(path))
    refuse_binary(text.head(), "JSON Lines", path, source)
    count = 0
    for line, raw_line in enumerate(text.lines(), start=1):
        if not raw_line.strip():
            continue
        try:
            obj = json.loads(raw_line)
        except json.JSONDecodeError as exc:
            # «Unterminated string starting at» names its column itself: not «at at column 69»
            report(rows.error(f"not JSON: {exc.msg.removesuffix(' at')} at column {exc.colno}", line))
            continue
        except ValueError:  # Python reads no integer of more than 4,300 digits
            report(rows.error("not JSON this import reads: a number of more than 4,300 digits", line))
            continue
        except RecursionError:
            report(rows.error("not JSON this import reads: nested too deeply", line))
            continue
        if not isinstance(obj, dict):
            report(rows.error(f"a line must be a JSON object, not {type(obj).__name__}", line))
            continue
        keys = [str(k).lower() for k in obj]
        if twice := sorted({k for k in keys if keys.count(k) > 1}):
            named = ", ".join(repr(printable(k)) for k in twice)
            report(rows.error(f"the object has {named} more than once (keys are read without case)", line))
            continue
        try:
            item = rows.item(dict(zip(keys, obj.values(), strict=True)), line)
        except InputError as exc:
            report(exc)
            continue
        count += 1
        yield item
    log.info("%s: %d lines imported", path, count)
