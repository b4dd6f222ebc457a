"""The one record every collector yields: a post, comment, article or message."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KINDS = ("article", "post", "comment", "message", "entry")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_TEXT_FIELDS = ("source", "external_id", "text", "parent", "url", "author", "title")


def without_surrogates(text: str) -> str:
    """``text`` with each lone UTF-16 surrogate (a JSON ``"\\ud800"`` escape decodes to one) made U+FFFD:
    nothing that holds one can be written as UTF-8, so one such character would fail a whole batch."""
    if not _SURROGATE.search(text):
        return text
    # Through UTF-16, pairs become the characters they stand for and lone halves U+FFFD.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@dataclass(slots=True)
class Item:
    """One collected unit of text. ``(source, external_id)`` is its natural key."""

    source: str
    kind: str
    external_id: str
    text: str
    parent: str | None = None  # external_id of the post/article this replies to, same source
    url: str | None = None
    author: str | None = None
    title: str | None = None
    published_at: datetime | None = None  # timezone-aware, always
    raw: dict[str, Any] = field(default_factory=dict)  # what the source gave, JSON-serialisable
    lang: str | None = None  # filled by the classifier

    def __post_init__(self) -> None:
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str) and _SURROGATE.search(value):
                setattr(self, name, without_surrogates(value))
        if self.kind not in KINDS:
            raise ValueError(f"unknown item kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if not self.external_id:
            raise ValueError("an item needs an external_id")
        if self.published_at is not None and self.published_at.tzinfo is None:
            raise ValueError(
                f"published_at of {self.source}/{self.external_id} is naive; give it a time zone"
            )

    @property
    def content_hash(self) -> str:
        """Hash of what a reader sees (title and text); a change means the item was edited."""
        return content_hash(self.title, self.text)

    def raw_json(self) -> str:
        """The raw payload as compact JSON (non-JSON values become strings)."""
        return without_surrogates(
            json.dumps(self.raw, ensure_ascii=False, default=str, separators=(",", ":"))
        )


def content_hash(title: str | None, text: str | None) -> str:
    """SHA-256 (hex, first 32 chars) over title and text, whitespace-normalised."""
    norm = " ".join((title or "").split()) + "\x1f" + " ".join((text or "").split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32]
