"""WhatsApp "Export chat" files (Android and iOS, many locales, .txt or the phone's .zip).

A message starts with a header line, Android ``25.11.2026, 14:35 - Имя: текст`` or iOS
``[25.11.26, 14:35:12] Имя: текст``; dates as d.m.y, d/m/y, m/d/y or y-m-d, clocks of 24 or 12 hours
(``PM``, ``p. m.``, ``ДП``/``ПП``, ``до полудня``/``после полудня``, ``түске дейін``/``түстен
кейін``, ``ТД``/``ТК``). Lines without a header continue the message above. Decisions:

* Day/month order is decided per file from the values (a first field above 12 means d/m, a second
  one m/d; otherwise the order under which fewer dates run backwards); ``date_order`` forces it.
  Dates that still cannot tell are d/m when dotted or dashed (also in a chat of slash dates too, whose
  phone changed language: :func:`header_order`); slash dates on three dates or more take
  the order under which the messages lie ten times closer in time, else m/d with an Android capital
  AM/PM clock (US English), else d/m, and a warning names the file, the order taken and
  ``date_order`` (:meth:`Survey.ordered`).
* Times are the phone's wall clock; they are read in ``tz`` (default Asia/Almaty, by
  ``dates.time_zone``: right even where the tz database predates 2024). A wall time the clocks show
  twice (DST ending, Almaty's 2024-03-01 change) is told by the order of the chat
  (:func:`message_time`).
* System lines (encryption notice, joins, group changes; on iOS the notices that start with U+200E,
  but not a poll; an Android text may start with a typed one) are not messages and are skipped. An iOS line splits at a ``: U+200E`` that follows
  another ``: `` (a group «Жалобы: Медеу» is the author of its notices) when the name before the first
  ``: `` writes no line of its own, no edit mark follows, and the name's line opens the file with the
  encryption notice (``Асель: Номер: U+200E+7…`` is Асель's wherever it stands, as is ``Асель: Список
  такой: U+200E<edited>``; :attr:`Survey.joined`); an Android line never does. A name may hold quotes when it
  closes them (``ТОО «Алматы Су»: …``); a subject change's ``«Жалобы: Медеу»`` opens one before its
  ``: ``.
  ``Имя:.`` (no space after the colon) is a message when ``Имя`` writes elsewhere in the file.
* Media placeholders (``<Без медиафайлов>``, ``<Media omitted>``, ``image omitted``,
  ``<attached: …>``, ``IMG-….jpg (файл добавлен)``) keep their message: ``text`` is the caption or
  empty, ``raw["media"]`` is ``"omitted"`` or ``"attached"`` (``raw["media_file"]`` the file name);
  a shared location keeps its text and ``raw["media"] = "location"``.
  Deleted-message placeholders are kept with empty text and ``raw["deleted"] = True``; an edit mark
  is removed from the text and noted as ``raw["edited"] = True``.
* ``external_id`` is a hash of (wall-clock minute, stored author, text, occurrence of that same
  triple in the file), never of a line number, so a later overlapping export adds only new messages.
* A message edited between two exports keeps the id it was stored under, so the store keeps its
  earlier text as a version instead of a second item. Its id hashes its new text, so the runner passes
  a look-up of the stored ids (option ``_stored_ids``, asked once per import, and only when the file
  holds edited messages): a message with an edit mark takes the stored id of the same chat, minute
  and author that none of the file's other messages of that minute and author yields, when exactly
  one is left (taken in the order of the chat, so of two edited messages the earlier takes it); an
  edited message whose own id is stored keeps it (a re-import adds nothing). Else it keeps its own id:
  the first import of a message already edited has nothing to match, nor has an undated one; two
  edited messages of one author in one minute with two stored ones to choose from (or a deleted one
  among them) cannot be told apart. The edited messages are held back and yielded last (the first
  pass notes their minutes, the second the ids of those minutes' messages); an import of an older
  export after a newer one brings the older text back as the newest version. Ids of messages
  without an edit mark never change.
* A message deleted between two exports (its placeholder, «Данное сообщение удалено», "This message
  was deleted", in any of the languages ``DELETED`` knows) is matched the same way; one that finds
  its stored message is left out, so the stored text and its flags stay (as a portal's taken-down
  article's do), where it was a second, empty item before. A minute of an author with both a deleted
  message and an edited one not yet stored under its own id lends neither a stored id; a message sent
  and deleted between two exports, in a minute whose one stored message of its author a shorter later
  export no longer holds, is taken for that message (only its empty placeholder is lost).
* Not matched (each then a second item): a chat whose stored messages carry another ``raw["chat"]``
  (renamed between two exports inside archives of several chats, or imported alone one week and in
  an archive of several the next: the key's chat differs; telling it soundly needs a look-up of the
  chat that the file's other messages are stored under, which ``_stored_ids`` does not give); two
  edited messages of one author in one minute exported again on a phone of another language (the
  id hashes the edit mark as written, so neither finds its own, and two stored ids are left); and
  an older export imported after the edited one (its unedited copy has no mark, and only edited
  minutes are looked up).
* Authors that are phone numbers, and @-mentions of numbers, are hashed with a salt unless
  ``keep_phone_numbers`` is true (``collectors.whatsapp_phones`` says how).
* A header line with an impossible date or time (``31.02.2026``, ``25:70``), or a date that cannot be
  a message time (before 1990 or more than a day ahead, the rule of ``dates.publication_time``), is
  reported with its line number, and its message is kept without a date (``published_at`` None, as
  Telegram keeps one): ``raw["unread_date"]`` holds the date and clock as the header writes them. Such
  a line is still a header (its shape is WhatsApp's own, and taking it for the continuation of the
  message above would give that author words that are not theirs); its id hashes the wall-clock
  minute as the header writes it (``2026-02-31T14:35``), so a re-import adds nothing, and it does not
  count in telling the hour the clocks show twice. The text before the first header is reported too
  (one error for all its lines); the rest is imported.
* A chat is read in passes over its file, never held whole (collectors/export_text.py): one over its
  bytes decides the encoding, one over its lines learns the date order, the names and the edited
  minutes (:class:`Survey`), and one yields its messages, one at a time. Memory holds a chunk of the
  file and a message, and the 16-byte digest of each message's id key (its occurrence count).
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
import logging
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from collectors.base import FLAG, TEXT_ENCODING, TIME_ZONE, Expect, Report, check_options
from collectors.dates import EARLIEST_PUBLICATION, publication_time, time_zone
from collectors.export_text import Chunks, ExportText, file_chunks, member_chunks
from collectors.file_import import (
    MAX_MEMBER,
    check_input_file,
    is_zip,
    open_zip,
    printable,
    shown_path,
)
from collectors.item import Item
from collectors.whatsapp_entries import (
    ATTACHED,
    DELETED,
    EDIT_MARK,
    LOCATION,
    MAX_MESSAGE,
    OMITTED,
    ORDER_NAMES,
    EditedMessages,
    Entry,
    Survey,
    header_order,
    is_content,
    scan,
    split_author,
    wall_minute,
    wall_time,
)
from collectors.whatsapp_phones import MARKS, hash_mentions, hash_phone, phone_author
from errors import ConfigError, InputError, MonitorError

log = logging.getLogger(__name__)

IMPORT_OPTIONS = frozenset({"keep_phone_numbers", "date_order", "tz", "encoding"})
DEFAULT_TZ = "Asia/Almaty"
DATE_ORDERS = ("dmy", "mdy", "ymd")


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


def _text(chunks: Chunks, encoding: str | None) -> ExportText:
    """A chat file's text, read in chunks: the encoding decided as ``file_import.decode_text`` decides
    it for the whole bytes, after the UTF-16 a NUL in every other byte of its start tells."""
    return ExportText(chunks, encoding, guess=_utf16_without_mark)


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
) -> Iterator[tuple[ExportText, str, str | None]]:
    """(text, display name, chat) of each chat file of an export: the .txt itself, or each .txt inside
    the phone's .zip; ``chat`` is the file's name in an archive of several, else None. When an archive
    holds several, one that cannot be unpacked goes to ``report`` (if given) and the rest are read.
    The text is read in chunks, each time its lines are asked (collectors/export_text.py)."""
    check_input_file(path)
    if not is_zip(path):  # also a cut-off copy, whose bytes would otherwise be read as cp1251 text
        # the cap of a chat unpacked from a .zip: a file beyond it is no chat (read in chunks, it no
        # longer fills the memory, but three passes over gigabytes would only show it late)
        if path.stat().st_size > MAX_MEMBER:
            raise InputError(
                f"{path.stat().st_size // 2**20} MB, more than the {MAX_MEMBER // 2**20} MB any chat export "
                "holds; is this a chat export?",
                path=shown_path(path),
            )
        yield _text(file_chunks(path), encoding), shown_path(path), None
        return
    with open_zip(path) as zf:
        members = _chat_files(zf)
        if not members:
            raise InputError("the .zip holds no chat .txt file", path=shown_path(path))
        for member in members:
            try:
                text = _text(member_chunks(zf, member, path), encoding)  # unpacked once to decide
            except InputError as exc:
                if len(members) == 1 or report is None:
                    raise
                report(exc)
                continue
            shown = f"{shown_path(path)}:{printable(member.filename, limit=None)}"
            yield text, shown, member.filename if len(members) > 1 else None
            del text


def message_time(wall: datetime, zone: tzinfo, after: datetime | None = None) -> datetime | None:
    """``wall`` in ``zone`` when it can be a message time (``dates.publication_time``: from 1990 to a
    day ahead), else None; a year outside that never reaches time-zone arithmetic, which overflows
    at year 1 or 9999.

    A wall time the clocks show twice (the hour after a change back: DST ending, or Almaty's
    2024-03-01 move from UTC+6 to UTC+5) is its first pass, unless the first pass is earlier than the
    message before it (``after``) and the second is not: an export runs forward in time, so 02:10 after
    02:50 on the night DST ends is the second 02:10."""
    if not EARLIEST_PUBLICATION.year <= wall.year < datetime.now(zone).year + 2:
        return None
    when = wall.replace(tzinfo=zone)
    # compared in UTC: aware datetimes of one tzinfo compare by their wall clocks, fold ignored
    if after is not None and when.astimezone(UTC) < after.astimezone(UTC):
        second = wall.replace(tzinfo=zone, fold=1)
        if second.utcoffset() != when.utcoffset() and second.astimezone(UTC) >= after.astimezone(UTC):
            when = second
    return publication_time(when)


def _content(first: str, more: list[str], *, ios: bool) -> tuple[str, dict[str, Any]] | None:
    """Message text and raw flags; None when the text is an iOS system notice (``ios``: the header is
    iOS's bracketed one; an Android message may start with a typed or pasted U+200E)."""
    raw: dict[str, Any] = {}
    if ios and first.startswith(("\u200e", " \u200e")) and not is_content(first):
        return None  # iOS writes its notices as messages of the chat, prefixed with U+200E
    lines = [MARKS.sub("", line) for line in [first, *more]]
    text = "\n".join(lines).strip()
    edited = EDIT_MARK.search(text)
    if edited:
        text = text[: edited.start()].rstrip()
        raw["edited"] = True
    head, _, caption = text.partition("\n")
    head = head.strip()
    if any(pattern.match(head) for pattern in OMITTED):
        raw["media"] = "omitted"
        text = caption.strip()
    elif attached := next(filter(None, (pattern.match(head) for pattern in ATTACHED)), None):
        raw["media"] = "attached"
        raw["media_file"] = attached["file"].strip()
        text = caption.strip()
    elif LOCATION.match(head):
        raw["media"] = "location"
    elif DELETED.match(text):
        raw["deleted"] = True
        text = ""
    return text, raw


def read_export(path: Path, *, source: str, options: Mapping[str, Any], report: Report) -> Iterator[Item]:
    """Yield the messages of a WhatsApp chat export; report bad lines and go on."""
    path = Path(path)
    check_options(options, VALUES, source)
    zone = time_zone(str(options.get("tz") or DEFAULT_TZ))
    forced = _option_order(options)
    keep_phones = bool(options.get("keep_phone_numbers", False))
    salt = options.get("_salt")
    if not salt and not keep_phones:
        log.warning("no salt passed for phone-number authors; using the fixed fallback salt")
        salt = FALLBACK_SALT
    # occurrences of each (minute, author, text), keyed by its digest: shared by the chats of one
    # archive (no id twice); a digest, not the text itself, so the texts of a long chat are not held
    seen: Counter[bytes] = Counter()
    stored_ids = options.get("_stored_ids")  # the runner's look-up in the store (see EditedMessages)
    edits = EditedMessages(set()) if stored_ids is not None else None
    first_shown: str | None = None
    chats = 0
    for text, shown, chat in read_texts(path, options.get("encoding"), report):
        first_shown = first_shown or shown
        survey = Survey(text.lines(), shown, source)
        if not survey.headers:  # in an archive: a document sent in the chat, not a chat
            log.info("%s: no message line, not a chat; skipped", shown)
            continue
        chats += 1
        for error in survey.errors:
            report(error)
        order, assumed = (forced, None) if forced else survey.ordered()
        # an order assumed from slash dates reads those only: dotted and dashed dates stay d/m
        slash_only = assumed is not None
        if assumed:
            log.warning(
                "%s: its dates do not tell day/month from month/day; read as %s (%s); "
                'if wrong, set date_order = "%s" for source %s in sources.toml',
                shown,
                ORDER_NAMES[order],
                assumed,
                "dmy" if order == "mdy" else "mdy",
                source,
            )
        if edits is not None:
            edits.minutes = survey.edited_minutes(order, slash_only=slash_only)
        yield from _messages(
            scan(text.lines()),
            shown,
            chat,
            source=source,
            zone=zone,
            order=order,
            slash_only=slash_only,
            known=survey.known,
            salt=None if keep_phones else str(salt),
            seen=seen,
            edits=edits,
            report=report,
        )
        del text, survey
    if not chats:
        raise InputError(
            "no WhatsApp message line found; is this a chat export?",
            source=source,
            path=first_shown or shown_path(path),
        )
    if edits is not None:
        # The store busy or failing (MonitorError): the messages of the edited minutes are left out
        # and said so, the rest of the import stored; imported again, they become versions. (Stored
        # under their own ids instead, they stayed second items for good: a re-import finds them
        # stored. The whole import failed before.)
        held = len(edits.held)
        try:
            yield from edits.resolve(stored_ids)
        except MonitorError as exc:
            report(
                InputError(
                    f"could not look up the stored messages that edited ones replace ({exc}); "
                    f"{held} message(s) of the edited minutes left out: import the file again",
                    source=source,
                    path=first_shown or shown_path(path),
                )
            )


def _no_time(
    e: Entry, wall: datetime | None, order: str, *, kept: bool, source: str, shown: str
) -> InputError:
    """The error of a header whose date is impossible or no message time."""
    if wall is None:
        why = f"impossible date or time {e.stamp!r} in the header ({order} order)"
    else:
        why = (
            f"date {wall.date().isoformat()} in the header ({order} order) is before 1990 "
            "or more than a day ahead: not a message time"
        )
    what = "the message kept without a date" if kept else "not a message (a system line), skipped"
    return InputError(f"{why}; {what}", source=source, path=shown, line=e.line)


def _messages(
    entries: Iterable[Entry],
    shown: str,
    chat: str | None,
    *,
    source: str,
    zone: tzinfo,
    order: str,
    slash_only: bool,
    known: set[str],
    salt: str | None,
    seen: Counter[bytes],
    edits: EditedMessages | None,
    report: Report,
) -> Iterator[Item]:
    """The messages of one chat file; ``known``: the names that write in it; ``salt`` None keeps phone
    numbers in clear; ``slash_only``: ``order`` reads slash dates only (:func:`header_order`); ``edits`` (if given) holds back the edited messages, yielded by its ``resolve``."""
    counts = Counter[str]()
    previous: datetime | None = None  # the time of the header before, system lines too
    joined = {name for name in known if ": " in name}
    for e in entries:
        e_order = header_order(e, order, slash_only=slash_only)
        wall = wall_time(e, e_order)
        published = None if wall is None else message_time(wall, zone, after=previous)
        if published is not None:
            previous = published  # never None: the order of the chat is told by real times only
        split = split_author(e.body, known, joined)
        content: tuple[str, dict[str, Any]] | None = None
        if split is not None:
            author, first = split
            if salt is None:
                content = _content(first, e.more, ios=e.bracketed)
            else:  # before _content strips the marks: U+2069 is where an iOS mention ends
                content = _content(
                    hash_mentions(first, salt), [hash_mentions(x, salt) for x in e.more], ios=e.bracketed
                )
        if published is None:
            # reported; a message is kept undated (as Telegram keeps one): its text is what matters
            report(_no_time(e, wall, e_order, kept=content is not None, source=source, shown=shown))
            counts["undated"] += 1
        if split is None or content is None:  # a system line, or an iOS notice
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
        minute = wall_minute(e, e_order)
        key = "\x1f".join((minute, author, " ".join(MARKS.sub("", "\n".join([first, *e.more])).split())))
        occurrence = hashlib.sha256(key.encode("utf-8")).digest()[:16]
        seen[occurrence] += 1
        digest = hashlib.sha256(f"{key}\x1f{seen[occurrence]}".encode()).hexdigest()[:24]
        if wall is not None:
            raw["wall_time"] = wall.isoformat()
        if published is None:
            raw["unread_date"] = e.stamp  # as written, for a person to see (as telegram.py keeps it)
        counts["messages"] += 1
        item = Item(
            source=source,
            kind="message",
            external_id=digest,
            text=body,
            author=author,
            published_at=published,
            raw=raw,
        )
        # an undated message's minute is no stored wall_time: it keeps its own id
        if (
            edits is None
            or wall is None
            or not edits.hold((chat, minute, author), item, edited="edited" in raw, deleted="deleted" in raw)
        ):
            yield item
    log.info(
        "%s: %d messages, %d system lines skipped, %d headers without a usable date (date order %s)",
        shown,
        counts["messages"],
        counts["system"],
        counts["undated"],
        order,
    )
