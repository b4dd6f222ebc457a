"""The names a WhatsApp chat's messages were stored under by earlier imports (``raw["chat"]``).

``raw["chat"]`` is the chat's file name inside an archive of several chats and None otherwise, so it
changes when a chat is renamed between two exports in archives of several, or exported alone one
week and with other chats the next (or the other way round). An edited or deleted message is matched
to its stored message by (chat, minute, author) (``whatsapp_entries.EditedMessages``): it needs the
name its stored message carries, which its own file does not give.

The messages of a chat that are neither edited nor deleted keep their ids across exports and
packagings (a hash of minute, author and text), and the earlier import stored them with the name it
gave the chat. :class:`ChatSample` keeps a bounded sample of each chat's ids (spread over the chat,
and the few messages around each edited or deleted one) and asks the store once which names they are
stored under. A stored name is the chat's earlier name when at least two of its sampled messages
carry it, no sampled message of another chat of the file carries it, and it is no other chat's name
in the file: a name two chats of the file may share is neither's, so a message never takes the id of
a message of another chat of the file.

Left as they were: None is also the name of every chat of the source imported alone, so a chat once
imported alone is looked up under None with the risk a lone import always took (a stored message of
another lone chat, same author and minute, that is the one stored id left). And the chats of an
archive share the occurrence count of the ids: two messages of one author forwarded in one minute to
two chats exported together, one of them then exported alone, give the lone one's copies the ids the
other's copies were stored under, so the other's name becomes the lone one's earlier name too (one
such message is not enough).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Collection, Mapping

# the runner's look-up: given external ids, the raw["chat"] each is stored under (absent: not stored)
StoredChats = Callable[[Collection[str]], Mapping[str, str | None]]

SPREAD = 16  # ids sampled evenly over each chat of the file, edited or not
AROUND = 8  # ids sampled before each edited or deleted message of a chat, and after it
MAX_AROUND = 64  # ... at most this many of them per chat
AGREE = 2  # sampled messages of a chat that must carry a stored name for it to be the chat's


class ChatSample:
    """A bounded sample of each chat's ids (at most ``SPREAD + MAX_AROUND`` a chat), noted while the
    chats are read, and what the store says of them (:meth:`earlier_names`).

    Around an edited or deleted message: the messages before it were in the earlier export that held
    its original; the ones after it were most likely first stored by the import that matched it, whose
    chat name it took with its new text (the name its next import must find it under)."""

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

    def earlier_names(self, stored_chats: StoredChats) -> dict[str | None, set[str | None]]:
        """The names other than its own that each chat's messages are stored under (one look-up)."""
        asked = {i for ids in self.ids.values() for i in ids}
        if not asked:
            return {}
        found = stored_chats(asked)
        carried = {chat: Counter(found[i] for i in ids if i in found) for chat, ids in self.ids.items()}
        names: dict[str | None, set[str | None]] = {}
        for chat, counts in carried.items():
            names[chat] = {
                name
                for name, count in counts.items()
                if count >= AGREE
                and name not in carried  # the name of a chat of this file: that chat's
                and not any(other[name] for other_chat, other in carried.items() if other_chat != chat)
            }
        return names
