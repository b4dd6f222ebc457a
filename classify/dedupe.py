"""Near-duplicate texts: a 64-bit SimHash signature and clustering by Hamming distance.

The same agency story republished by several portals differs in its dateline, credits and
"subscribe to our channel" footer; a SimHash over the whole text would move by many bits for a
10 % difference. So the signature is taken over the story's *core*: its longest sentences (a fixed
number of them, in text order), after dropping short boilerplate sentences. Headers and footers
are short; body sentences are long and the same in every copy, so copies land a few bits apart
(usually none) while different stories land about 32 bits apart.

Normalisation: lower case, ё → е, punctuation removed, whitespace collapsed; features are 3-word
shingles: each word hashed once with BLAKE2b (stable across runs and machines, unlike ``hash()``),
the three word hashes of a shingle mixed with numpy (whole text at once).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable
from typing import TypeVar

import numpy as np

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
_BIT_POSITIONS = np.arange(64, dtype=np.uint64)


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


_WORD_HASHES: dict[str, int] = {}  # words repeat across texts: each is hashed with BLAKE2b once
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def _word_hashes(words: list[str]) -> np.ndarray:
    if len(_WORD_HASHES) > 1_000_000:
        _WORD_HASHES.clear()
    out = np.empty(len(words), dtype=np.uint64)
    for i, word in enumerate(words):
        value = _WORD_HASHES.get(word)
        if value is None:
            value = _WORD_HASHES[word] = int.from_bytes(
                hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "big"
            )
        out[i] = value
    return out


def _shingle_hashes(words: list[str]) -> np.ndarray:
    """One 64-bit hash per 3-word shingle (per text when shorter), stable across runs and machines."""
    h = _word_hashes(words)
    if len(h) < SHINGLE:
        h = np.array([np.bitwise_xor.reduce(h * _MIX[0])], dtype=np.uint64)
        return _avalanche(h)
    mixed = h[:-2] * _MIX[0] ^ np.roll(h, -1)[:-2] * _MIX[1] ^ np.roll(h, -2)[:-2] * _MIX[2]
    return _avalanche(mixed)


def _avalanche(x: np.ndarray) -> np.ndarray:
    # splitmix64's finaliser: every input bit moves about half of the output bits
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def signature(text: str) -> int:
    """64-bit SimHash of the text's core (an unsigned int; 0 for a text without words)."""
    words = core(text)
    if not words:
        return 0
    with np.errstate(over="ignore"):
        hashes = _shingle_hashes(words)
    # Bit b of every shingle hash votes +1 (set) or -1 (clear); the signature keeps the bits that win.
    bits = (hashes[:, None] >> _BIT_POSITIONS) & np.uint64(1)
    votes = 2 * bits.sum(axis=0, dtype=np.int64) - len(hashes)
    return int(sum(1 << int(bit) for bit in np.flatnonzero(votes > 0)))


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
