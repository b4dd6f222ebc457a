"""The lines of a WhatsApp chat export as header entries (a header line and the lines that continue it,
before dates are resolved), read one at a time, and the first pass over them that learns the file's
date order, the names that write and the minutes of edited messages (:class:`Survey`);
:class:`EditedMessages`, which gives an edited message the id its earlier text was stored under.
collectors/whatsapp.py turns the entries into messages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from collectors.file_import import text_lines
from collectors.item import Item
from collectors.whatsapp_phones import MARKS
from errors import InputError

# characters of one message, its author's name and line breaks counted; WhatsApp stops a message at
# 65,536, so more is a file that is not a chat, and holding it all would only fill the memory
MAX_MESSAGE = 1_000_000

# the mark WhatsApp appends to an edited message ("<Это сообщение изменено>", "<This message was edited>")
EDIT_MARK = re.compile(r"\s*<[^<>]*(?:edited|изменено|изменён|өзгертілді)[^<>]*>\s*$", re.IGNORECASE)
# the placeholder a message deleted for everyone leaves, in the phone's language
DELETED = re.compile(
    r"^(?:This message was deleted\.?|You deleted this message\.?|Данное сообщение удалено\.?|"
    r"Это сообщение удалено\.?|Вы удалили данное сообщение\.?|Вы удалили это сообщение\.?|"
    r"Бұл хабарлама жойылды\.?|Сіз бұл хабарламаны жойдыңыз\.?)$",
    re.IGNORECASE,
)
# media placeholders, in the phone's language (collectors/whatsapp.py keeps their messages)
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
# iOS writes a poll as "\u200ePOLL:", then its question and "\u200eOPTION: … (2 votes)" lines
_POLL = re.compile(r"^(?:POLL|ОПРОС|САУАЛНАМА):", re.IGNORECASE)
LOCATION = re.compile(r"^(?:Location|Местоположение|Геопозиция|Орналасқан жер): \S", re.IGNORECASE)
OMITTED = (_OMITTED_ANDROID, _OMITTED_IOS)
ATTACHED = (_ATTACHED_IOS, _ATTACHED_ANDROID)  # each with the file's name as ``file``
# what iOS writes after a U+200E that is a message's content, not a notice of the chat
AFTER_MARK = (*OMITTED, *ATTACHED, DELETED, LOCATION, _POLL)

_HEADER = re.compile(
    r"""^(?P<open>\[)?\s*
    (?P<a>\d{1,4})(?P<sep>[./\-])(?P<b>\d{1,2})[./\-](?P<c>\d{1,4})\.?
    ,?[\s\u00a0]+
    (?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2}))?
    (?:[\s\u00a0\u202f]*(?P<ampm>[AaPp]\.?[\s\u00a0\u202f]?[Mm]\.?|ДП|ПП|дп|пп|ТД|ТК|тд|тк
        |(?i:(?:до|после|түске|түстен)[\s\u00a0\u202f](?:полудня|дейін|кейін))))?
    (?(open)\s*\][\s\u00a0]?|[\s\u00a0\u202f]+[-–—][\s\u00a0]+)
    (?P<body>.*)$""",
    re.VERBOSE,
)
# how a 12-hour clock says "after noon": PM, p. m., ПП or «после полудня» (Russian), ТК or «түстен
# кейін» (Kazakh); its morning words are AM, a. m., ДП or «до полудня», ТД or «түске дейін»
_PM_WORDS = ("p", "п", "тк", "түстен")
# how a warning names a date order
ORDER_NAMES = {"dmy": "day/month", "mdy": "month/day", "ymd": "year-month-day"}
# A file of slash dates that cannot tell d/m from m/d is read in the order under which its messages lie
# closer together in time only when they fall on at least NEAR_DAYS dates and lie NEAR_RATIO times
# closer: read the wrong way, a day later is a month later (about 30 times as far). Two dates cannot
# tell: 5 Mar and 5 Apr read month first are 3 and 4 May, a day apart, as the US 3/5 and 3/8 are
# read day first months apart. In 540 generated exports of 18 phone formats that cannot tell, 88 of
# the 100 US files of three dates or more lay 24 to 40 times closer read m/d (the others under 1.5
# times, or closer read d/m), and no d/m file more than 3.5 times closer read m/d; a d/m chat all of
# whose messages fall on one day of the month would.
NEAR_DAYS = 3
NEAR_RATIO = 10


@dataclass(slots=True)
class Entry:
    """A header line and the lines that continue it, before dates are resolved."""

    line: int
    stamp: str  # the date and clock as the header writes them ("31.02.2026, 14:35"), for a person
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
    bracketed: bool = False  # an iOS header, ``[25.11.26, 14:35:12] ``

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


def header_lines(text: str | Iterable[str]) -> Iterator[tuple[int, str, re.Match[str] | None]]:
    """(line number, line, its header match or None) of each line of an export, one at a time:
    ``text`` is the export's text, or its lines (``ExportText.lines``: the file read in chunks)."""
    for number, line in enumerate(text_lines(text) if isinstance(text, str) else text, start=1):
        yield number, line, _HEADER.match(line.lstrip("\u200e\u200f\ufeff")) if line else None


def _entry_of(number: int, m: re.Match[str]) -> Entry:
    clock_end = max(m.end(group) for group in ("m", "s", "ampm") if m[group] is not None)
    return Entry(
        line=number,
        stamp=m.string[m.start("a") : clock_end],
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
        bracketed=m["open"] is not None,
    )


def scan(text: str | Iterable[str]) -> Iterator[Entry]:
    """The header entries of an export with their continuation lines, one at a time: an export of
    hundreds of megabytes is never held as a list of its lines or messages. Text before the first
    header belongs to no entry (:class:`Survey` reports it)."""
    entry: Entry | None = None
    for number, line, m in header_lines(text):
        if m is None:
            if entry is not None:
                entry.add(line)
            continue
        if entry is not None:
            yield entry
        entry = _entry_of(number, m)
    if entry is not None:
        yield entry


class Survey:
    """What a first pass over an export's header lines learns: whether it holds any, its date order
    (:meth:`ordered`), the names that write messages (for ``Имя:.``) and the iOS names that hold ": "
    (``joined``, :func:`split_author`), the minutes of the messages that end with an edit mark
    (:meth:`edited_minutes`), and the text before the first header, as errors. It keeps counts, not
    the headers (only the clocks of the edited ones)."""

    def __init__(self, text: str | Iterable[str], shown: str, source: str) -> None:
        self.headers = 0
        self.four_digit_first = 0  # headers whose first field is a year (y-m-d)
        self.day_first = 0  # first field above 12
        self.month_first = 0  # second field above 12
        self.backwards = {"dmy": 0, "mdy": 0}  # times earlier than the one before, under each order
        self.distance = {"dmy": 0.0, "mdy": 0.0}  # seconds between consecutive slash headers, each order
        self.slashed = 0  # headers whose date is written with slashes (11/2/26), not dots or dashes
        # Android headers whose 12-hour clock says AM or PM (US English; en-GB/en-IN Android write am);
        # not iOS ones: iOS in en-GB and en-IN writes [05/03/2026, 9:15:00 AM], day first
        self.english_clock = 0  # of the slash headers
        self.dates: set[tuple[str, str, str]] = set()  # the first NEAR_DAYS slash dates as written
        self.known: set[str] = set()
        self.joined: set[str] = set()
        marked: dict[str, str] = {}  # the names of iOS lines split at ": U+200E" (_marked_name): first part
        sure: set[str] = set()  # that of the encryption notice that opens an iOS group's export
        notices: Counter[str] = Counter()  # lines of each such name that read as a group's notices
        self.errors: list[InputError] = []
        # the headers of messages that end with an edit mark or are a deletion placeholder, body left out
        self.edited: list[Entry] = []
        last: dict[str, datetime] = {}
        last_slashed: dict[str, datetime] = {}
        stray: list[int] = []  # numbers of the first and the last line of text before the first header
        e: Entry | None = None
        tail = ""  # the last line of the entry that holds more than spaces: where an edit mark stands
        for number, line, m in header_lines(text):
            if m is None:
                if not self.headers and line.strip():
                    stray = [stray[0] if stray else number, number]
                elif line and not line.isspace():
                    tail = line
                continue
            self._note_edit(e, tail)
            e = _entry_of(number, m)
            tail = e.body
            self.headers += 1
            self.four_digit_first += len(e.a) == 4
            self.day_first += int(e.a) > 12
            self.month_first += int(e.b) > 12
            slashed = e.sep == "/"
            self.slashed += slashed
            # a chat whose phone changed language holds dotted dates too: they tell nothing of slash ones
            self.english_clock += slashed and e.ampm in ("AM", "PM") and m["open"] is None
            if slashed and len(self.dates) < NEAR_DAYS:
                self.dates.add((e.a, e.b, e.c))
            for order in ("dmy", "mdy"):
                if (t := wall_time(e, order)) is not None:
                    if order in last:
                        self.backwards[order] += t < last[order]
                    last[order] = t
                    if slashed:
                        if order in last_slashed:
                            self.distance[order] += abs((t - last_slashed[order]).total_seconds())
                        last_slashed[order] = t
            found = author_of(e.body)
            if m["open"] is not None and (name := _marked_name(e.body)):
                marked[name[0]] = found[0] if found else ""
                bare = MARKS.sub("", name[1]).strip()
                if self.headers == 1 and ENCRYPTED.match(bare):
                    sure.add(name[0])
                elif GROUP_NOTICE.search(bare):
                    notices[name[0]] += 1
                found = name
            elif found:
                self.known.add(found[0])  # a name that writes lines of its own, split at the first ": "
            # a placeholder is short: the pattern runs on few bodies, not on every message
            if found and len(found[1]) < 64 and DELETED.match(MARKS.sub("", found[1]).strip()):
                self.edited.append(replace(e, body="", more=[]))
                e = None  # noted; a line after it makes it no placeholder, but no edit mark either
        self._note_edit(e, tail)
        # a name holding ": " is a group's, «Жалобы: Медеу», only when its first line opens the file with
        # the encryption notice an iOS group export starts with, and its first part writes no line of its
        # own; any other line is split at its first ": " as before (review: a typed mark after a colon,
        # «Асель: Номер: U+200E+7…», on the first line or twice, lost the message as a notice)
        # (or two lines or more that read as a group's notices, the export cut before its opening one)
        self.joined = {
            name
            for name, first in marked.items()
            if first not in self.known and (name in sure or notices[name] >= 2)
        }
        self.known |= self.joined | {
            first for name, first in marked.items() if first and name not in self.joined
        }
        if stray:
            # one error, not one per line: a long file that is not a chat may have one header at its end
            first, end = stray
            lines = "" if first == end else f" (lines {first} to {end})"
            self.errors.append(
                InputError(
                    f"text before the first message header{lines}",
                    source=source,
                    path=shown,
                    line=first,
                )
            )

    def _note_edit(self, e: Entry | None, tail: str) -> None:
        # ">" first: the mark's test runs on the few lines that can hold one, not on every message
        if e is not None and ">" in tail and EDIT_MARK.search(MARKS.sub("", tail)):
            self.edited.append(replace(e, body="", more=[]))

    def edited_minutes(self, order: str, *, slash_only: bool = False) -> set[str]:
        """The wall-clock minutes (:func:`wall_minute`) of the messages that end with an edit mark or
        are a deletion placeholder (``slash_only``: see :func:`header_order`)."""
        return {wall_minute(e, header_order(e, order, slash_only=slash_only)) for e in self.edited}

    def ordered(self) -> tuple[str, str | None]:
        """The date order of the file, and None or, when its dates cannot tell d/m from m/d, what the
        order was taken from (for a warning). y-m-d when most first fields are years; else d/m or m/d
        from the fields above 12, else the order under which fewer dates run backwards. Then dotted and
        dashed dates are d/m (no locale writes them month first); slash dates on ``NEAR_DAYS`` dates or
        more are read in the order under which consecutive messages lie ``NEAR_RATIO`` times closer in
        time (slash headers only), else m/d when most slash headers' Android clock says AM/PM in
        capitals (US English writes ``11/2/26, 9:15 AM - ``; British, Indian and Australian English
        write d/m with a 24-hour clock or a lower-case ``am``; iOS in en-GB and en-IN writes
        ``[05/03/2026, 9:15:00 AM]``), else d/m. An order so assumed reads slash headers only
        (:func:`header_order`)."""
        if self.headers and self.four_digit_first * 2 > self.headers:
            return "ymd", None
        if self.day_first != self.month_first:
            return ("dmy" if self.day_first > self.month_first else "mdy"), None
        dmy, mdy = self.backwards["dmy"], self.backwards["mdy"]
        if dmy != mdy:
            return ("dmy" if dmy < mdy else "mdy"), None
        if self.slashed * 2 <= self.headers:
            return "dmy", None  # the region's own order, and the only one of dotted dates
        near, far = sorted(("dmy", "mdy"), key=self.distance.__getitem__)
        if len(self.dates) >= NEAR_DAYS and self.distance[near] * NEAR_RATIO < self.distance[far]:
            return near, f"its messages lie closer together in time read {ORDER_NAMES[near]}"
        if self.english_clock * 2 > self.slashed:
            return "mdy", "slash dates with an AM/PM clock, as US-English Android phones write them"
        return "dmy", "as phones outside the US, and iPhones in British or Indian English, write slash dates"


def header_order(e: Entry, order: str, *, slash_only: bool) -> str:
    """The date order of one header: ``order``, unless it was taken from slash dates alone
    (``slash_only``, when :meth:`Survey.ordered` assumed it) and the header is dotted or dashed, which
    is d/m: a chat whose phone changed from Russian to US English writes ``01.03.2026`` and ``4/1/26``."""
    return order if not slash_only or e.sep == "/" else "dmy"


def _fields(e: Entry, order: str) -> tuple[int, int, int, int]:
    """(year, month, day, hour of 24) of the entry under a date order, not checked: 31.02 stays 31.02,
    and a 12-hour clock past 12 keeps its hour."""
    if order == "ymd":
        y, mo, d = e.a, e.b, e.c
    elif order == "mdy":
        mo, d, y = e.a, e.b, e.c
    else:
        d, mo, y = e.a, e.b, e.c
    hour = e.h
    if e.ampm and hour <= 12:
        pm = e.ampm.lower().startswith(_PM_WORDS)
        hour = (hour % 12) + (12 if pm else 0)
    return int(y) + (2000 if len(y) <= 2 else 0), int(mo), int(d), hour


def wall_time(e: Entry, order: str) -> datetime | None:
    """The entry's naive wall-clock time under a date order; None when impossible."""
    if e.ampm and e.h > 12:
        return None
    year, month, day, hour = _fields(e, order)
    try:
        return datetime(year, month, day, hour, e.m, e.s or 0)  # noqa: DTZ001 - zone added by the caller
    except ValueError:
        return None


def wall_minute(e: Entry, order: str) -> str:
    """The entry's wall-clock minute as ``YYYY-MM-DDTHH:MM``, what the message id hashes: for a
    possible date from the year 1000 on, ``wall_time(e, order).strftime("%Y-%m-%dT%H:%M")`` (what
    the ids of messages imported before hashed), and written the same way for an impossible one
    (``2026-02-31T14:35``), so that message keeps one id across imports too."""
    year, month, day, hour = _fields(e, order)
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{e.m:02d}"


def author_of(body: str) -> tuple[str, str] | None:
    """(author, text) when the body reads ``author: text`` with a plausible author name."""
    head, sep, rest = body.partition(": ")
    author = MARKS.sub("", head).strip()
    # A group subject in quotes may hold ": " too («Асель изменил(-а) тему на «Жалобы: Медеу»»): what
    # stands before it then opens a quote it does not close. A name may hold a quote, closed: business
    # accounts are «ТОО «Алматы Су»», «ИП "Иванов"».
    if sep and author and len(author) <= 100 and not _open_quote(author):
        return author, rest
    return None


# The encryption notice an iOS group export opens with, in the phone's language («Messages and calls are
# end-to-end encrypted…», «Сообщения и звонки защищены сквозным шифрованием…», Kazakh «…шифрлау…»)
ENCRYPTED = re.compile(
    r"messages and calls are end-to-end encrypted|сообщения и звонки защищены|хабар\w*[^\n]{0,80}шифрла",
    re.IGNORECASE,
)
# What a group's other notices say (someone added, removed, left or joined; the subject, icon or
# description changed; the group created), in the phone's language: an iOS group export that does not
# open with its encryption notice (a long chat's, cut to its last messages) still names its group so
GROUP_NOTICE = re.compile(
    r"\b(?:added|removed|left|joined|changed (?:the|this) group|changed the subject|created group)\b"
    r"|(?:добавил|удалил|вышел|присоединил|изменил|создал)\w*\(?"
    r"|(?:қосты|шығарды|шықты|қосылды|өзгертті|құрды)",
    re.IGNORECASE,
)


def is_content(text: str) -> bool:
    """Whether a text after U+200E is a message's content (media, a deletion, a location, a poll),
    not a notice."""
    bare = MARKS.sub("", text).strip()
    return any(pattern.match(bare) for pattern in AFTER_MARK)


def _marked_name(body: str) -> tuple[str, str] | None:
    """(name, text) of an iOS line whose ``: U+200E`` (iOS writes it before a notice or a media line)
    comes after another ": ", so the name may hold ": " (a group «Жалобы: Медеу»); None for any other
    line, and for an edit mark after the colon (``Асель: Список такой: U+200E<This message was
    edited>`` is Асель's message «Список такой:»)."""
    cut = body.find(": \u200e")
    if cut <= 0 or body.find(": ") == cut:
        return None
    name = MARKS.sub("", body[:cut]).strip()
    rest = body[cut + 2 :]
    if not name or len(name) > 100 or _open_quote(name) or EDIT_MARK.match(MARKS.sub("", rest)):
        return None
    return name, rest


def split_author(body: str, known: set[str], joined: Collection[str] = ()) -> tuple[str, str] | None:
    """(author, text) of a message body, or None for a system line; ``joined``: the iOS names that
    hold ": " (:attr:`Survey.joined`), the authors of the lines that start with them."""
    found = author_of(body)
    if found and joined:
        longest = None
        cut = body.find(": ")
        while 0 <= cut <= 200:  # a name is at most 100 characters, its invisible marks aside
            if MARKS.sub("", body[:cut]).strip() in joined:
                longest = cut
            cut = body.find(": ", cut + 2)
        if longest is not None:
            return MARKS.sub("", body[:longest]).strip(), body[longest + 2 :]
    if found:
        return found
    head, sep, rest = body.partition(":")
    if sep and MARKS.sub("", head).strip() in known:
        return MARKS.sub("", head).strip(), rest  # "Имя:." - WhatsApp dropped the space
    return None


def _open_quote(text: str) -> bool:
    """Whether ``text`` opens a quotation it does not close."""
    return (
        text.count('"') % 2 == 1
        or text.count("«") != text.count("»")
        or (text.count("“") + text.count("”") + text.count("„")) % 2 == 1
    )


# (chat, wall-clock minute, stored author): the messages among which an edited one is looked for
EditKey = tuple[str | None, str, str]
# the runner's look-up: given keys, the external ids stored under each (same source, author, minute, chat)
StoredIds = Callable[[Collection[EditKey]], Mapping[EditKey, Collection[str]]]


class EditedMessages:
    """Gives an edited or deleted message the id its earlier text was stored under, when only one
    stored message can be that one; else the message keeps its own id (a hash of its new text, or of
    the deletion placeholder).

    The messages of an import that carry an edit mark or are a deletion placeholder are held back,
    and the ids of every message of the minutes :class:`Survey` found them in are noted (ids only,
    not the messages). At the end, :meth:`resolve` asks the store once for the ids stored under the
    held messages' keys, and yields the held messages: one whose own id is stored keeps it (a
    re-import); then, in the order of the chat, one takes the stored id of its key that neither the
    file's other messages of that key nor another held message yield, when exactly one is left. A
    key that holds both a deleted and an edited message is left alone: the stored one left may be
    either's original. A deleted message that finds its stored message is not yielded: the stored
    text and its flags stay as they are, as a portal's taken-down article's do (an empty version would
    drop the complaint from the reviewers' lists); one that finds none is stored, empty, as before.
    """

    def __init__(self, minutes: set[str]) -> None:
        self.minutes = minutes  # of the chat being read; set by the reader before each chat
        self.held: list[tuple[EditKey, Item]] = []
        self.yielded: dict[EditKey, set[str]] = {}
        self.deleted: set[EditKey] = set()  # keys with a deleted message: its stored text may be one left

    def hold(self, key: EditKey, item: Item, *, edited: bool, deleted: bool = False) -> bool:
        """Note the id of a message of an edited minute; True when ``item`` is held back (edited or
        deleted)."""
        if key[1] not in self.minutes:
            return False
        self.yielded.setdefault(key, set()).add(item.external_id)
        if deleted:
            self.deleted.add(key)
        if edited or deleted:
            self.held.append((key, item))
        return edited or deleted

    def resolve(self, stored_ids: StoredIds) -> Iterator[Item]:
        """The held messages, in the order they came, each with its id (one look-up for them all)."""
        if not self.held:
            return
        stored = stored_ids({key for key, _ in self.held})
        taken: dict[EditKey, set[str]] = {}
        gone: set[int] = set()  # deleted messages that found their stored text: it stays as it is
        waiting: dict[EditKey, list[Item]] = {}
        for key, item in self.held:
            if item.external_id in stored.get(key, ()):
                taken.setdefault(key, set()).add(item.external_id)  # stored already: a re-import
            else:
                waiting.setdefault(key, []).append(item)
        for key, items in waiting.items():
            if key in self.deleted and any(not item.raw.get("deleted") for item in items):
                continue  # the stored message left may be the deleted one, not the edited one's original
            left = set(stored.get(key, ())) - self.yielded[key] - taken.get(key, set())
            for item in items:  # in the order of the chat: the earliest is the likeliest to be stored
                if len(left) != 1:
                    break  # none, or two or more to choose from: the message keeps its own id
                item.external_id = left.pop()
                if item.raw.get("deleted"):
                    gone.add(id(item))
        held, self.held, self.yielded, self.deleted = self.held, [], {}, set()
        for _, item in held:
            if id(item) not in gone:
                yield item
