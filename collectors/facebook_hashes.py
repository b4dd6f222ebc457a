"""What the ``facebook`` collector read last, so that it hands over only what is new or changed.

Graph gives comments no update time, so every run reads again the comments of the posts in its feed
window and of the older posts due by ``comment_recheck``: on a quiet page hundreds of comments a run,
all unchanged. The cursor's ``hashes`` keeps, per post, a fingerprint of the post and of each comment
and reply as the last run that read them found them: 16 hex characters of the SHA-256 of the item's
id and its content hash. An item read again whose fingerprint is there is not handed over (nor counted
in the run's ``fetched``): the store would have found it unchanged anyway.

A post's fingerprints are replaced by what a run reads of it, so an edit that is undone is a change
again. The runner drops ``hashes`` when a run fails after handing items over (``STORE_MIRRORS`` in
batch/runner.py): what the store holds may then differ from what they say.

Bound: ``MAX_HASHES`` fingerprints (about 20 bytes each in the saved JSON), those of the newest posts
that later runs read again. Past it, the comments of older posts are handed over once more each time
they are read (counted in ``fetched``; the store finds them unchanged): never lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from collectors.item import Item

HASH_CHARS = 16
# A page that posts ten times a day, 100 comments each, re-reads 7,000 comments a run in the default
# 7-day window and about 3,000 under its 30 rechecked older posts: 10,000 keeps both, about 200 KB.
MAX_HASHES = 10_000


def fingerprint(item: Item) -> str:
    """The item's id and what a reader sees of it, as 16 hex characters."""
    key = f"{item.external_id}\x1f{item.content_hash}".encode()
    return hashlib.sha256(key).hexdigest()[:HASH_CHARS]


def _saved(value: Any) -> dict[str, frozenset[str]]:
    """The cursor's ``hashes`` as sets; anything else (an older cursor without it, a bad value) is none."""
    if not isinstance(value, Mapping):
        return {}
    return {
        str(post): frozenset(fp for fp in fps if isinstance(fp, str))
        for post, fps in value.items()
        if isinstance(fps, list)
    }


class ReadHashes:
    """The fingerprints the last runs kept, and those of what this run reads."""

    def __init__(self, saved: Any) -> None:
        self.before = _saved(saved)
        self.read: dict[str, dict[str, str]] = {}  # post id -> item id -> fingerprint, this run
        self.unchanged = 0  # items read again as they were: not handed over

    def fresh(self, item: Item, post_id: str) -> bool:
        """Whether to hand ``item`` (of post ``post_id``) over: it was not read in this run with this
        text already, nor found with it by the last run that read the post."""
        digest = fingerprint(item)
        read = self.read.setdefault(post_id, {})
        earlier, read[item.external_id] = read.get(item.external_id), digest
        if earlier == digest:
            return False  # read twice in this run (embedded in the feed, then read with the comments)
        if earlier is not None:
            return True  # this run handed another text over: the store holds that one now (review)
        if digest in self.before.get(post_id, ()):
            self.unchanged += 1
            return False
        return True

    def kept(self, watched: Mapping[str, datetime | None]) -> dict[str, list[str]]:
        """The cursor's ``hashes``: the posts later runs read again (``watched``: post id -> created
        time, None when unknown), newest first, whole, as long as ``MAX_HASHES`` allows (a post that
        does not fit is left out and the next ones are tried)."""

        def newest_first(post_id: str) -> tuple[bool, float]:
            created = watched[post_id]
            return created is not None, -created.timestamp() if created is not None else 0.0

        kept: dict[str, list[str]] = {}
        room = MAX_HASHES
        for post_id in sorted(watched, key=newest_first):
            if post_id in self.read:
                fps = sorted(set(self.read[post_id].values()))
            else:
                fps = sorted(self.before.get(post_id, ()))
            if fps and len(fps) <= room:
                kept[post_id] = fps
                room -= len(fps)
        return kept
