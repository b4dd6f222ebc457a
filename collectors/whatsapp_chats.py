"""The name a WhatsApp chat's messages were stored under by earlier imports (``raw["chat"]``).

``raw["chat"]`` is the chat's file name inside an archive of several chats and None otherwise, so it
changes when a chat is renamed between two exports in archives of several, or exported with other
chats one week and alone the next. An edited or deleted message is matched to its stored message by
(chat, minute, author) (``whatsapp_entries.EditedMessages``): it needs the name its stored message
carries, which its own file does not give.

The messages of a chat that are neither edited nor deleted keep their ids across exports and
packagings (a hash of minute, author and text), and the earlier import stored them with the name it
gave the chat. :class:`ChatSample` keeps a bounded sample of each chat's ids (spread over the chat,
and the few messages around each edited or deleted one) and asks the store once which names they are
stored under. A chat has at most one earlier name: the name that at least ``AGREE`` of its sampled
messages carry and that carries at least ``MAJORITY`` of those of its sampled messages that are
stored at all (a real rename: nearly all of them), that no sampled message of another chat of the
file carries, that is no other chat's name in the file, and that is no name many chats get by
construction (:func:`shared_name`: None, the name of every chat imported alone; a bare ``_chat.txt``,
the name of every iOS chat in an archive that also holds a sent .txt document; WhatsApp's file names
without the chat's name). ``EditedMessages`` looks there only when the chat's own name gives no
candidate. The worst this module can do is give one person's message another's text; a message left
unmatched is only a second item, so each doubt leaves it unmatched.

Not matched, then (each edit a second item, each deletion an empty one): a chat imported alone and
then in an archive of several (its stored name is None), or stored as a bare ``_chat.txt`` and then
named otherwise; a chat whose stored sampled messages are split between names (imported under two
names before: renamed twice, or alone for some weeks and in an archive for others) or that has fewer
than ``AGREE`` of them under its earlier name; and one whose earlier name a sampled message of another
chat of the file carries. Left as it was: a chat whose name now is None (or a bare ``_chat.txt``) is
looked up under it as every import always did, so a stored message of another chat of that same
name, same author and minute, that is the one stored id left is taken for the edited one's original;
and two chats whose files bear one name (two groups called «Дом 12» in one source) are taken for one.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Collection, Mapping

# the runner's look-up: given external ids, the raw["chat"] each is stored under (absent: not stored)
StoredChats = Callable[[Collection[str]], Mapping[str, str | None]]

SPREAD = 16  # ids sampled evenly over each chat of the file, edited or not
AROUND = 8  # ids sampled before each edited or deleted message of a chat, and after it
MAX_AROUND = 64  # ... at most this many of them per chat
AGREE = 3  # sampled messages of a chat that must carry a stored name for it to be the chat's
MAJORITY = 0.75  # ... and the share of the chat's stored sampled messages that must carry it

# WhatsApp's names of a chat's file that do not hold the chat's name: iOS's "_chat.txt", Android's
# "WhatsApp Chat.txt" / "Чат WhatsApp.txt" (also "with"/"с" and nothing after it), with a number a
# download may add ("_chat (1).txt")
_GENERIC = re.compile(
    r"^(?:_chat|chat|чат|whatsapp(?:[\s_-]+(?:chat|чат|чаты))?(?:[\s_-]+(?:with|с))?"
    r"|(?:chat|чат)[\s_-]+whatsapp(?:[\s_-]+(?:with|с))?)"
    r"[\s_-]*(?:\(\d{1,3}\)|\d{1,3})?\.txt$",
    re.IGNORECASE,
)


def shared_name(chat: str | None) -> bool:
    """Whether many chats get ``chat`` as their ``raw["chat"]`` by construction: None (every chat
    imported alone), and a file name of WhatsApp's own that names no chat, outside a folder."""
    return chat is None or ("/" not in chat and _GENERIC.match(chat.strip()) is not None)


class ChatSample:
    """A bounded sample of each chat's ids (at most ``SPREAD + MAX_AROUND`` a chat), noted while the
    chats are read, and what the store says of them (:meth:`earlier_names`).

    Around an edited or deleted message: the messages before it were in the earlier export that held
    its original, and so were the ones after it when that export went on past it (else a later import
    stored them, under the name the chat had then). A message matched to its stored one keeps that
    one's chat name (``whatsapp_entries._keep_chat``), not the chat's name in its own file."""

    def __init__(self) -> None:
        self.ids: dict[str | None, dict[str, None]] = {}  # per chat, in the order noted
        self._chat: str | None = None
        self._stride = 1
        self._seen = 0
        self._before: deque[str] = deque(maxlen=AROUND)
        self._after = 0  # messages still to sample after a held one
        self._around = 0  # sampled around held ones in this chat

    def start(self, chat: str | None, headers: int) -> None:
        """A chat of the file begins; ``headers``: its header lines (the first pass counted them)."""
        self._chat, self._stride, self._seen = chat, max(1, headers // SPREAD), 0
        self._before.clear()
        self._after = self._around = 0
        self.ids.setdefault(chat, {})

    def note(self, external_id: str, *, held: bool) -> None:
        """Note one dated message of the chat begun last; a held one (edited or deleted: its id is a
        hash of its new text) is not sampled, but the messages around it are."""
        if held:
            for before in self._before:
                self._add_around(before)
            self._before.clear()
            self._after = AROUND
            return
        if self._after:
            self._after -= 1
            self._add_around(external_id)
        elif self._seen % self._stride == 0:
            self.ids[self._chat][external_id] = None
        self._seen += 1
        self._before.append(external_id)

    def _add_around(self, external_id: str) -> None:
        ids = self.ids[self._chat]
        if self._around < MAX_AROUND and external_id not in ids:
            ids[external_id] = None
            self._around += 1

    def earlier_names(self, stored_chats: StoredChats) -> dict[str | None, str]:
        """The one name other than its own that each chat's messages are stored under, for the chats
        that have one (see the module's docstring; one look-up for all)."""
        asked = {i for ids in self.ids.values() for i in ids}
        if not asked:
            return {}
        found = stored_chats(asked)
        carried = {chat: Counter(found[i] for i in ids if i in found) for chat, ids in self.ids.items()}
        names: dict[str | None, str] = {}
        for chat, counts in carried.items():
            others = [(count, name) for name, count in counts.items() if name != chat]
            if not others:
                continue
            count, name = max(others, key=lambda pair: pair[0])
            if (
                name is not None  # (shared_name says so too; for the type checker)
                and not shared_name(name)
                and count >= AGREE
                and count >= MAJORITY * counts.total()
                and name not in carried  # the name of a chat of this file: that chat's
                and not any(other[name] for other_chat, other in carried.items() if other_chat != chat)
            ):
                names[chat] = name
        return names
