"""WhatsApp "Export chat" files (Android and iOS, many locales, .txt or the phone's .zip).

A message starts with a header line, Android ``25.11.2026, 14:35 - Имя: текст`` or iOS
``[25.11.26, 14:35:12] Имя: текст``; dates as d.m.y, d/m/y, m/d/y or y-m-d, clocks of 24 or 12 hours
(``PM``, ``p. m.``, ``ДП``/``ПП``). Lines without a header continue the message above. Decisions:

* Day/month order is decided per file from the values (a first field above 12 means d/m, a second
  one m/d; otherwise the order under which the dates run forward); ``date_order`` forces it.
* Times are the phone's wall clock; they are read in ``tz`` (default Asia/Almaty).
* System lines (encryption notice, joins, group changes; on iOS the notices that start with U+200E)
  are not messages and are skipped. ``Имя:.`` (no space after the colon) is a message when ``Имя``
  writes elsewhere in the file.
* Media placeholders (``<Без медиафайлов>``, ``<Media omitted>``, ``image omitted``,
  ``<attached: …>``, ``IMG-….jpg (файл добавлен)``) keep their message: ``text`` is the caption or
  empty, ``raw["media"]`` is ``"omitted"`` or ``"attached"`` (``raw["media_file"]`` the file name);
  a shared location keeps its text and ``raw["media"] = "location"``.
  Deleted-message placeholders are kept with empty text and ``raw["deleted"] = True``; an edit mark
  is removed from the text and noted as ``raw["edited"] = True``.
* ``external_id`` is a hash of (wall-clock minute, stored author, text, occurrence of that same
  triple in the file), never of a line number, so a later overlapping export adds only new messages.
* Authors that are phone numbers, and @-mentions of numbers, are hashed with a salt unless
  ``keep_phone_numbers`` is true (``collectors.whatsapp_phones`` says how).
* A header line with an impossible date or time, or a date that cannot be a message time (before
  1990 or more than a day ahead, the rule of ``dates.publication_time``), and text before the first
  header, are reported with their line number; the rest is imported.
* Lines end with LF, CR LF or a lone CR (old Mac tools), and nothing else: ``str.splitlines()`` would
  also split at U+001C or U+2028, which a message may hold. A message is cut after ``MAX_MESSAGE``
  characters (WhatsApp allows 65,536), reported with its line, ``raw["truncated"] = True``.
* The text is UTF-8 (with or without the byte-order mark Windows puts first), UTF-16 with its mark or
  without it (known by a NUL in every other byte), else cp1251 (option ``encoding`` forces one). A
  .zip that is cut short (known by its ``.zip`` suffix or the ``PK`` signature it starts with) or
  whose only chat file is damaged is one error naming the archive, never its bytes read as text.
* Every .txt of a .zip that holds message lines is a chat and is imported (a .txt without any is a
  sent document, skipped); in an archive of several, ``raw["chat"]`` names the chat's file. The chats
  share the occurrence count of ``external_id``, so one message sent to two chats in the same
  minute is stored twice, not once.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from collectors.base import FLAG, TEXT_ENCODING, TIME_ZONE, Expect, Report, check_options
from collectors.dates import EARLIEST_PUBLICATION, publication_time
from collectors.file_import import (
    check_input_file,
    decode_text,
    is_zip,
    open_zip,
    printable,
    read_input,
    read_member,
    shown_path,
    text_lines,
)
from collectors.item import Item
from collectors.whatsapp_phones import MARKS, hash_mentions, hash_phone, phone_author
from errors import ConfigError, InputError

log = logging.getLogger(__name__)

IMPORT_OPTIONS = frozenset({"keep_phone_numbers", "date_order", "tz", "encoding"})
DEFAULT_TZ = "Asia/Almaty"
DATE_ORDERS = ("dmy", "mdy", "ymd")
# characters of one message, its author's name and line breaks counted; WhatsApp stops a message at
# 65,536, so more is a file that is not a chat, and holding it all would only fill the memory
MAX_MESSAGE = 1_000_000


def _date_order(value: Any) -> bool:
    """Whether the import reads ``value`` as a date order (see :func:`_option_order`)."""
    try:
        _option_order({"date_order": value})
    except ConfigError:
        return False
    return isinstance(value, str)


# What each of the keys above must be, checked when sources.toml loads.
VALUES: dict[str, Expect] = {
    # bool() of the string "false" is true: a quoted false would keep every phone number in clear
    "keep_phone_numbers": FLAG,
    "date_order": Expect(f"one of {', '.join(DATE_ORDERS)} (or a pattern such as dd/mm/yyyy)", _date_order),
    "tz": TIME_ZONE,
    "encoding": TEXT_ENCODING,
}

# Used only when the runner passes no salt: hashes stay stable, but anyone who reads this file can
# test a guessed number against them, so the runner should always pass its own salt.
FALLBACK_SALT = "public-control-monitor:whatsapp:no-salt-configured"

_HEADER = re.compile(
    r"""^(?P<open>\[)?\s*
    (?P<a>\d{1,4})(?P<sep>[./\-])(?P<b>\d{1,2})[./\-](?P<c>\d{1,4})\.?
    ,?[\s\u00a0]+
    (?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2}))?
    (?:[\s\u00a0\u202f]*(?P<ampm>[AaPp]\.?[\s\u00a0\u202f]?[Mm]\.?|ДП|ПП|дп|пп))?
    (?(open)\s*\][\s\u00a0]?|[\s\u00a0\u202f]+[-–—][\s\u00a0]+)
    (?P<body>.*)$""",
    re.VERBOSE,
)
_EDITED = re.compile(r"\s*<[^<>]*(?:edited|изменено|изменён|өзгертілді)[^<>]*>\s*$", re.IGNORECASE)
_OMITTED_ANDROID = re.compile(r"^<[^<>]*(?:media|медиа)[^<>]*>$", re.IGNORECASE)
_OMITTED_IOS = re.compile(
    r"^(?:image|video|audio|sticker|GIF|document|Contact card|video note) omitted$"
    r"|^(?:изображение|видео|аудио|стикер|GIF|документ|карточка контакта|видеосообщение) отсутствует$",
    re.IGNORECASE,
)
_ATTACHED_IOS = re.compile(
    r"^<(?:attached|прикреплено|приложение|вложение|тіркелген):\s*(?P<file>[^<>]+)>$", re.I
)
_ATTACHED_ANDROID = re.compile(
    r"^(?P<file>\S.*?\.\w{1,5}) \((?:file attached|файл добавлен|файл прикреплён|файл прикреплен|файл тіркелді)\)$",
    re.IGNORECASE,
)
_DELETED = re.compile(
    r"^(?:This message was deleted\.?|You deleted this message\.?|Данное сообщение удалено\.?|"
    r"Это сообщение удалено\.?|Вы удалили данное сообщение\.?|Вы удалили это сообщение\.?|"
    r"Бұл хабарлама жойылды\.?|Сіз бұл хабарламаны жойдыңыз\.?)$",
    re.IGNORECASE,
)
_LOCATION = re.compile(r"^(?:Location|Местоположение|Геопозиция|Орналасқан жер): \S", re.IGNORECASE)
_QUOTES = frozenset('"«»“”„')


@dataclass(slots=True)
class _Entry:
    """A header line and the lines that continue it, before dates are resolved."""

    line: int
    a: str
    b: str
    c: str
    sep: str
    h: int
    m: int
    s: int | None
    ampm: str | None
    body: str
    more: list[str] = field(default_factory=list)
    size: int = 0  # characters of the message so far, its line breaks counted
    truncated: bool = False

    def add(self, line: str) -> None:
        """Append a continuation line; what goes past ``MAX_MESSAGE`` characters is dropped."""
        if self.truncated:
            return
        room = MAX_MESSAGE - self.size - 1
        if len(line) > room:
            self.truncated = True
            line = line[: max(room, 0)]
        self.more.append(line)
        self.size += len(line) + 1


def _option_order(options: Mapping[str, Any]) -> str | None:
    value = options.get("date_order")
    if value in (None, ""):
        return None
    order = "".join(ch for ch in str(value).lower() if ch in "dmy")
    order = "".join(dict.fromkeys(order))  # "dd/mm/yy" -> "dmy"
    if order not in DATE_ORDERS:
        raise ConfigError(f"date_order must be one of {', '.join(DATE_ORDERS)}, not {value!r}")
    return order


def _utf16_without_mark(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when ``data`` looks like UTF-16 without its byte-order mark: the
    high byte of digits, spaces and Latin letters is NUL, so every other byte is one, and none between."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    sample = data[:4096]
    pairs = len(sample) // 2
    even, odd = sample[0 : 2 * pairs : 2].count(0), sample[1::2].count(0)
    if pairs >= 8 and odd > pairs // 4 and even <= pairs // 100:
        return "utf-16-le"
    if pairs >= 8 and even > pairs // 4 and odd <= pairs // 100:
        return "utf-16-be"
    return None


def _decode(data: bytes, encoding: str | None) -> str:
    return decode_text(data, encoding or _utf16_without_mark(data))


def _chat_files(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The .txt members of an archive, chat names first (iOS ``_chat.txt``, Android "WhatsApp Chat
    with …"/"Чат WhatsApp с …"), then by name; not the ``__MACOSX/._*`` metadata a Mac adds."""
    texts = [
        i
        for i in zf.infolist()
        if i.filename.lower().endswith(".txt")
        and not i.is_dir()
        and not i.filename.startswith("__MACOSX/")
        and not Path(i.filename).name.startswith("._")
    ]
    return sorted(
        texts,
        key=lambda i: (
            Path(i.filename).name != "_chat.txt",
            "whatsapp" not in i.filename.lower(),
            i.filename,
        ),
    )


def read_texts(
    path: Path, encoding: str | None = None, report: Report | None = None
) -> Iterator[tuple[str, str, str | None]]:
    """(text, display name, chat) of each chat file of an export: the .txt itself, or each .txt inside
    the phone's .zip; ``chat`` is the file's name in an archive of several, else None. When an archive
    holds several, one that cannot be unpacked goes to ``report`` (if given) and the rest are read."""
    check_input_file(path)
    if not is_zip(path):  # also a cut-off copy, whose bytes would otherwise be read as cp1251 text
        yield _decode(read_input(path), encoding), shown_path(path), None
        return
    with open_zip(path) as zf:
        members = _chat_files(zf)
        if not members:
            raise InputError("the .zip holds no chat .txt file", path=shown_path(path))
        for member in members:
            try:
                data = read_member(zf, member, path)
            except InputError as exc:
                if len(members) == 1 or report is None:
                    raise
                report(exc)
                continue
            shown = f"{shown_path(path)}:{printable(member.filename, limit=None)}"
            yield _decode(data, encoding), shown, member.filename if len(members) > 1 else None


def _scan(text: str, shown: str, source: str, report: Report) -> list[_Entry]:
    """Split the export into header entries with their continuation lines."""
    entries: list[_Entry] = []
    for number, line in enumerate(text_lines(text), start=1):
        m = _HEADER.match(line.lstrip("\u200e\u200f\ufeff")) if line else None
        if m is None:
            if entries:
                entries[-1].add(line)
            elif line.strip():
                report(
                    InputError("text before the first message header", source=source, path=shown, line=number)
                )
            continue
        entries.append(
            _Entry(
                line=number,
                a=m["a"],
                b=m["b"],
                c=m["c"],
                sep=m["sep"],
                h=int(m["h"]),
                m=int(m["m"]),
                s=int(m["s"]) if m["s"] else None,
                ampm=m["ampm"],
                body=m["body"][:MAX_MESSAGE],
                size=min(len(m["body"]), MAX_MESSAGE),
                truncated=len(m["body"]) > MAX_MESSAGE,
            )
        )
    return entries


def _wall_time(e: _Entry, order: str) -> datetime | None:
    """The entry's naive wall-clock time under a date order; None when impossible."""
    if order == "ymd":
        y, mo, d = e.a, e.b, e.c
    elif order == "mdy":
        mo, d, y = e.a, e.b, e.c
    else:
        d, mo, y = e.a, e.b, e.c
    year = int(y) + (2000 if len(y) <= 2 else 0)
    hour = e.h
    if e.ampm:
        if hour > 12:
            return None
        pm = e.ampm[0] in "PpПп"
        hour = (hour % 12) + (12 if pm else 0)
    try:
        return datetime(year, int(mo), int(d), hour, e.m, e.s or 0)  # noqa: DTZ001 - zone added by the caller
    except ValueError:
        return None


def decide_order(entries: list[_Entry]) -> str:
    """The date order of a file: y-m-d, else d/m or m/d from values above 12, else from chronology."""
    if entries and sum(len(e.a) == 4 for e in entries) * 2 > len(entries):
        return "ymd"
    day_first = sum(int(e.a) > 12 for e in entries)
    month_first = sum(int(e.b) > 12 for e in entries)
    if day_first != month_first:
        return "dmy" if day_first > month_first else "mdy"

    def backwards(order: str) -> int:
        times = [t for e in entries if (t := _wall_time(e, order)) is not None]
        return sum(later < earlier for earlier, later in itertools.pairwise(times))

    dmy, mdy = backwards("dmy"), backwards("mdy")
    if dmy != mdy:
        return "dmy" if dmy < mdy else "mdy"
    return "dmy"  # the region's own order, and the only one of dotted dates


def message_time(wall: datetime, zone: tzinfo) -> datetime | None:
    """``wall`` in ``zone`` when it can be a message time (``dates.publication_time``: from 1990 to a
    day ahead), else None; a year outside that never reaches time-zone arithmetic, which overflows
    at year 1 or 9999."""
    if not EARLIEST_PUBLICATION.year <= wall.year < datetime.now(zone).year + 2:
        return None
    return publication_time(wall.replace(tzinfo=zone))


def _author_of(body: str) -> tuple[str, str] | None:
    """(author, text) when the body reads ``author: text`` with a plausible author name."""
    head, sep, rest = body.partition(": ")
    author = MARKS.sub("", head).strip()
    # a group subject in quotes may hold ": " too: «Жалобы: Алмалинский район»
    if sep and author and len(author) <= 100 and not (_QUOTES & set(author)):
        return author, rest
    return None


def _split_author(body: str, known: set[str]) -> tuple[str, str] | None:
    """(author, text) of a message body, or None for a system line."""
    found = _author_of(body)
    if found:
        return found
    head, sep, rest = body.partition(":")
    if sep and MARKS.sub("", head).strip() in known:
        return MARKS.sub("", head).strip(), rest  # "Имя:." - WhatsApp dropped the space
    return None


def _known_authors(entries: list[_Entry]) -> set[str]:
    return {found[0] for e in entries if (found := _author_of(e.body))}


def _content(first: str, more: list[str]) -> tuple[str, dict[str, Any]] | None:
    """Message text and raw flags; None when the text is an iOS system notice."""
    raw: dict[str, Any] = {}
    if first.startswith("\u200e") or first.startswith(" \u200e"):
        bare = MARKS.sub("", first).strip()
        content = (_OMITTED_IOS, _OMITTED_ANDROID, _ATTACHED_IOS, _ATTACHED_ANDROID, _DELETED, _LOCATION)
        if not any(pattern.match(bare) for pattern in content):
            return None  # iOS writes its notices as messages of the chat, prefixed with U+200E
    lines = [MARKS.sub("", line) for line in [first, *more]]
    text = "\n".join(lines).strip()
    edited = _EDITED.search(text)
    if edited:
        text = text[: edited.start()].rstrip()
        raw["edited"] = True
    head, _, caption = text.partition("\n")
    head = head.strip()
    if _OMITTED_ANDROID.match(head) or _OMITTED_IOS.match(head):
        raw["media"] = "omitted"
        text = caption.strip()
    elif attached := (_ATTACHED_IOS.match(head) or _ATTACHED_ANDROID.match(head)):
        raw["media"] = "attached"
        raw["media_file"] = attached["file"].strip()
        text = caption.strip()
    elif _LOCATION.match(head):
        raw["media"] = "location"
    elif _DELETED.match(text):
        raw["deleted"] = True
        text = ""
    return text, raw


def read_export(path: Path, *, source: str, options: Mapping[str, Any], report: Report) -> Iterator[Item]:
    """Yield the messages of a WhatsApp chat export; report bad lines and go on."""
    path = Path(path)
    check_options(options, VALUES, source)
    zone: tzinfo = ZoneInfo(str(options.get("tz") or DEFAULT_TZ))
    forced = _option_order(options)
    keep_phones = bool(options.get("keep_phone_numbers", False))
    salt = options.get("_salt")
    if not salt and not keep_phones:
        log.warning("no salt passed for phone-number authors; using the fixed fallback salt")
        salt = FALLBACK_SALT
    seen: Counter[tuple[str, str, str]] = Counter()  # shared by the chats of one archive: no id twice
    first_shown: str | None = None
    chats = 0
    for text, shown, chat in read_texts(path, options.get("encoding"), report):
        first_shown = first_shown or shown
        held: list[InputError] = []
        entries = _scan(text, shown, source, held.append)
        if not entries:  # in an archive: a document sent in the chat, not a chat
            log.info("%s: no message line, not a chat; skipped", shown)
            continue
        chats += 1
        for error in held:
            report(error)
        yield from _messages(
            entries,
            shown,
            chat,
            source=source,
            zone=zone,
            order=forced or decide_order(entries),
            salt=None if keep_phones else str(salt),
            seen=seen,
            report=report,
        )
    if not chats:
        raise InputError(
            "no WhatsApp message line found; is this a chat export?",
            source=source,
            path=first_shown or shown_path(path),
        )


def _messages(
    entries: list[_Entry],
    shown: str,
    chat: str | None,
    *,
    source: str,
    zone: tzinfo,
    order: str,
    salt: str | None,
    seen: Counter[tuple[str, str, str]],
    report: Report,
) -> Iterator[Item]:
    """The messages of one chat file; ``salt`` None keeps phone numbers in clear."""
    known = _known_authors(entries)
    counts = Counter[str]()
    for e in entries:
        wall = _wall_time(e, order)
        if wall is None:
            report(
                InputError(
                    f"impossible date or time in the header ({order} order)",
                    source=source,
                    path=shown,
                    line=e.line,
                )
            )
            counts["bad"] += 1
            continue
        published = message_time(wall, zone)
        if published is None:
            report(
                InputError(
                    f"date {wall.date().isoformat()} in the header ({order} order) is before 1990 "
                    "or more than a day ahead: not a message time",
                    source=source,
                    path=shown,
                    line=e.line,
                )
            )
            counts["bad"] += 1
            continue
        split = _split_author(e.body, known)
        if split is None:
            counts["system"] += 1
            continue
        author, first = split
        if salt is None:
            content = _content(first, e.more)
        else:  # before _content strips the marks: U+2069 is where an iOS mention ends
            content = _content(hash_mentions(first, salt), [hash_mentions(x, salt) for x in e.more])
        if content is None:
            counts["system"] += 1
            continue
        body, raw = content
        if salt is not None and (phone := phone_author(author)):
            number, name = phone
            author = hash_phone(number, salt)
            if name:
                raw["author_name"] = name
        if e.truncated:
            report(
                InputError(
                    f"message longer than {MAX_MESSAGE} characters (WhatsApp allows 65536); "
                    "cut at that length",
                    source=source,
                    path=shown,
                    line=e.line,
                )
            )
            raw["truncated"] = True
        if chat is not None:
            raw["chat"] = chat
        minute = wall.strftime("%Y-%m-%dT%H:%M")
        key = (minute, author, " ".join(MARKS.sub("", "\n".join([first, *e.more])).split()))
        seen[key] += 1
        digest = hashlib.sha256("\x1f".join([*key, str(seen[key])]).encode("utf-8")).hexdigest()[:24]
        raw["wall_time"] = wall.isoformat()
        counts["messages"] += 1
        yield Item(
            source=source,
            kind="message",
            external_id=digest,
            text=body,
            author=author,
            published_at=published,
            raw=raw,
        )
    log.info(
        "%s: %d messages, %d system lines skipped, %d bad headers (date order %s)",
        shown,
        counts["messages"],
        counts["system"],
        counts["bad"],
        order,
    )
