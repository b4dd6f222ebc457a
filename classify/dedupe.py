"""Near-duplicate texts: a 64-bit SimHash signature and clustering by Hamming distance.

The same agency story republished by several portals differs in its dateline, credits and
"subscribe to our channel" footer; a SimHash over the whole text would move by many bits for a
10 % difference. So the signature is taken over the story's *core*: its longest sentences (a fixed
number of them, in text order), after dropping short boilerplate sentences. Headers and footers
are short; body sentences are long and the same in every copy, so copies land a few bits apart
(usually none) while different stories land about 32 bits apart.

Normalisation: lower case, ё → е, punctuation removed, whitespace collapsed; features are 3-word
shingles hashed with BLAKE2b (stable across runs and machines, unlike ``hash()``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable, Iterable
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)

SHINGLE = 3
CORE_SENTENCES = 8  # the longest sentences that make up a text's core
MIN_CORE_WORDS = 8  # shorter sentences are left out of the core (datelines, credits, footers)
BANDS = 4  # index bands of 16 bits: two signatures within 3 bits share at least one band exactly
_BOILERPLATE = re.compile(
    r"подписывайтесь|подпишитесь|читайте также|читайте нас|источник|фото:|видео:|"
    r"жазылыңыз|оқыңыз|дереккөз|telegram|instagram|facebook|https?://|www\.",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(
    r"(?<=[.!?…])\s+|\n+"
    # a lower-case word followed by a capitalised one: a proper noun, or a headline glued to the text
    # with a space (the batch signs "title text"); splitting there is the same in every copy
    r"|(?<=[а-яёәіңғүұқөһa-z0-9»\"”)])\s+(?=[А-ЯЁӘІҢҒҮҰҚӨҺ])"
)
_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise(text: str) -> list[str]:
    """Words of ``text``: lower case, ё → е, punctuation and underscores removed."""
    text = text.lower().replace("ё", "е").replace("_", " ")
    return _NOT_WORD.sub(" ", text).split()


def core(text: str) -> list[str]:
    """The words of the text's core: its longest non-boilerplate sentences, in text order."""
    sentences = [s for s in _SENTENCE_END.split(text or "") if s.strip()]
    scored = []
    for position, sentence in enumerate(sentences):
        words = normalise(sentence)
        if len(words) < MIN_CORE_WORDS:
            continue
        if len(words) < 20 and _BOILERPLATE.search(sentence):
            continue
        scored.append((len(words), position, words))
    if len(scored) < 2:  # a short text (a comment, a complaint): all of it is the core
        return normalise(text or "")
    chosen = sorted(scored, key=lambda s: (-s[0], s[1]))[:CORE_SENTENCES]
    return [w for _, _, words in sorted(chosen, key=lambda s: s[1]) for w in words]


def _features(words: list[str]) -> Iterable[bytes]:
    if len(words) < SHINGLE:
        yield " ".join(words).encode("utf-8")
        return
    for i in range(len(words) - SHINGLE + 1):
        yield " ".join(words[i : i + SHINGLE]).encode("utf-8")


def signature(text: str) -> int:
    """64-bit SimHash of the text's core (an unsigned int; 0 for a text without words)."""
    words = core(text)
    if not words:
        return 0
    counts = [0] * 64
    for feature in _features(words):
        value = int.from_bytes(hashlib.blake2b(feature, digest_size=8).digest(), "big")
        for bit in range(64):
            counts[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if counts[bit] > 0)


def signed(sig: int) -> int:
    """The signature as a signed 64-bit int (DuckDB BIGINT); :func:`unsigned` reverses it."""
    return sig - (1 << 64) if sig >= 1 << 63 else sig


def unsigned(sig: int) -> int:
    """A signed 64-bit signature back to 0..2**64-1."""
    return sig + (1 << 64) if sig < 0 else sig


def distance(a: int, b: int) -> int:
    """Hamming distance between two signatures (signed or unsigned)."""
    return (unsigned(a) ^ unsigned(b)).bit_count()


def _bands(sig: int) -> list[tuple[int, int]]:
    sig = unsigned(sig)
    width = 64 // BANDS
    return [(i, sig >> (i * width) & ((1 << width) - 1)) for i in range(BANDS)]


def assign_clusters(
    new: list[tuple[Key, int]],
    existing: list[tuple[Key, int, str]],
    max_distance: int = 3,
) -> dict[Key, str]:
    """A cluster id for every new item: the cluster of the nearest known signature within
    ``max_distance`` bits, else a new cluster named after the item's own key. New items join
    clusters formed earlier in the same list; a zero signature (no words) always stands alone."""
    if max_distance >= BANDS:
        raise ValueError(f"max_distance must be below {BANDS} for the band index to find every match")
    index: dict[tuple[int, int], list[tuple[int, str]]] = {}

    def remember(sig: int, cluster: str) -> None:
        for band in _bands(sig):
            index.setdefault(band, []).append((sig, cluster))

    for _key, sig, cluster in existing:
        if sig:
            remember(sig, cluster)
    result: dict[Key, str] = {}
    for key, sig in new:
        best: tuple[int, str] | None = None
        if sig:
            for band in _bands(sig):
                for other, cluster in index.get(band, ()):
                    d = distance(sig, other)
                    if d <= max_distance and (best is None or d < best[0]):
                        best = (d, cluster)
        cluster = best[1] if best else str(key)
        result[key] = cluster
        if sig:
            remember(sig, cluster)
    return result
