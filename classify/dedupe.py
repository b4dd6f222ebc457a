"""Near-duplicate texts: a 64-bit SimHash signature and clustering by Hamming distance.

The same agency story republished by several portals differs in its dateline, credits and
"subscribe to our channel" footer; a SimHash over the whole text would move by many bits for a
10 % difference. So the signature is taken over the story's *core*: its longest sentences (a fixed
number of them, in text order), after dropping short boilerplate sentences. Headers and footers
are short; body sentences are long and the same in every copy, so copies land a few bits apart
(usually none) while different stories land about 32 bits apart.

Normalisation: lower case, ё → е, punctuation removed, whitespace collapsed; features are 3-word
shingles: each word hashed once with BLAKE2b (stable across runs and machines, unlike ``hash()``),
the three word hashes of a shingle mixed with NumPy, for many texts at once (:func:`signatures`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable, Sequence
from typing import TypeVar

import numpy as np

Key = TypeVar("Key", bound=Hashable)

SHINGLE = 3
CORE_SENTENCES = 8  # the longest sentences that make up a text's core
MIN_CORE_WORDS = 8  # shorter sentences are left out of the core (datelines, credits, footers)
BANDS = 4  # index bands of 16 bits: two signatures within 3 bits share at least one band exactly
_BOILERPLATE_WORDS = (
    r"подписывайтесь|подпишитесь|читайте также|читайте нас|источник|фото:|видео:|"
    r"жазылыңыз|оқыңыз|дереккөз|telegram|instagram|facebook|https?://|www\."
)
_BOILERPLATE = re.compile(_BOILERPLATE_WORDS, re.IGNORECASE)
# The same words searched in lower-cased text, about ten times faster than IGNORECASE. The answers
# are the same except for text holding one of these characters, which IGNORECASE matches to a letter
# of the words although str.lower() does not turn them into it (dotted and dotless i, long s, old
# Cyrillic letter forms): such a sentence is searched with IGNORECASE (tests check the list).
_BOILERPLATE_LOWER = re.compile(_BOILERPLATE_WORDS)
CASE_ODD = frozenset("\u0130\u0131\u017f\u1c80\u1c81\u1c82\u1c83\u1c84\u1c85")
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


def is_boilerplate(sentence: str) -> bool:
    """True when a sentence names a source, a photo credit, a subscription or a link."""
    if CASE_ODD.isdisjoint(sentence):
        return _BOILERPLATE_LOWER.search(sentence.lower()) is not None
    return _BOILERPLATE.search(sentence) is not None


def core(text: str) -> list[str]:
    """The words of the text's core: its longest non-boilerplate sentences, in text order."""
    sentences = [s for s in _SENTENCE_END.split(text or "") if s.strip()]
    scored = []
    for position, sentence in enumerate(sentences):
        words = normalise(sentence)
        if len(words) < MIN_CORE_WORDS:
            continue
        if len(words) < 20 and is_boilerplate(sentence):
            continue
        scored.append((len(words), position, words))
    if len(scored) < 2:  # a short text (a comment, a complaint): all of it is the core
        return normalise(text or "")
    chosen = sorted(scored, key=lambda s: (-s[0], s[1]))[:CORE_SENTENCES]
    return [w for _, _, words in sorted(chosen, key=lambda s: s[1]) for w in words]


_WORD_HASHES: dict[str, int] = {}  # words repeat across texts: each is hashed with BLAKE2b once
# A scheduler process signs every batch's texts for months: the cache starts again past this many
# words (about 30 MiB; at a million it held about 165 MiB before it was cleared).
WORD_HASH_CACHE = 200_000
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))
_BIT_VALUES = np.uint64(1) << _BIT_POSITIONS
SHINGLES_PER_PASS = 50_000  # bounds the shingles x 64 vote matrix of one pass (about 25 MB)


def _word_hash(word: str) -> int:
    value = _WORD_HASHES.get(word)
    if value is None:
        value = _WORD_HASHES[word] = int.from_bytes(
            hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "big"
        )
    return value


def _avalanche(x: np.ndarray) -> np.ndarray:
    # splitmix64's finaliser: every input bit moves about half of the output bits
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def signature(text: str) -> int:
    """64-bit SimHash of the text's core (an unsigned int; 0 for a text without words)."""
    return signatures([text])[0]


def signatures(texts: Sequence[str]) -> list[int]:
    """:func:`signature` of each text, computed for many texts at once.

    Each shingle of three consecutive core words gets a 64-bit hash (the three word hashes mixed,
    then avalanched); bit b of every shingle hash votes +1 (set) or -1 (clear), and the signature
    keeps the bits that win. A core of one or two words is one shingle of all its words. The hashes
    and votes of all texts are computed together in NumPy, a pass of about 50,000 shingles at a time.
    """
    out: list[int] = []
    cores: list[list[str]] = []
    size = 0
    for text in texts:
        words = core(text)
        cores.append(words)
        size += max(len(words) - SHINGLE + 1, 1)
        if size >= SHINGLES_PER_PASS:
            out.extend(_sign(cores))
            cores, size = [], 0
    out.extend(_sign(cores))
    return out


def _sign(cores: list[list[str]]) -> list[int]:
    """Signatures of word lists (see :func:`signatures`)."""
    if len(_WORD_HASHES) > WORD_HASH_CACHE:  # checked once a pass: a pass adds at most its shingles' words
        _WORD_HASHES.clear()
    lengths = np.fromiter(map(len, cores), dtype=np.int64, count=len(cores))
    flat = [word for words in cores for word in words]
    h = np.fromiter(map(_word_hash, flat), dtype=np.uint64, count=len(flat))
    starts = np.cumsum(lengths) - lengths
    sigs = np.zeros(len(cores), dtype=np.uint64)
    with np.errstate(over="ignore"):
        short = (lengths > 0) & (lengths < SHINGLE)
        if short.any():  # one shingle: the XOR of its mixed words; one vote per bit is the hash itself
            owner = np.repeat(np.arange(len(cores)), lengths)
            words_of_short = short[owner]
            xor = np.zeros(len(cores), dtype=np.uint64)
            np.bitwise_xor.at(xor, owner[words_of_short], h[words_of_short] * _MIX[0])
            sigs[short] = _avalanche(xor[short])
        long = np.flatnonzero(lengths >= SHINGLE)
        if len(long):
            counts = lengths[long] - SHINGLE + 1
            first = np.repeat(starts[long] - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
            hashes = _avalanche(h[first] * _MIX[0] ^ h[first + 1] * _MIX[1] ^ h[first + 2] * _MIX[2])
            bits = ((hashes[:, None] >> _BIT_POSITIONS) & np.uint64(1)).astype(np.int32)
            set_counts = np.add.reduceat(bits, np.cumsum(counts) - counts, axis=0)
            wins = 2 * set_counts.astype(np.int64) - counts[:, None] > 0
            sigs[long] = (wins * _BIT_VALUES).sum(axis=1, dtype=np.uint64)
    return sigs.tolist()


def signed(sig: int) -> int:
    """The signature as a signed 64-bit int (DuckDB BIGINT); :func:`unsigned` reverses it."""
    return sig - (1 << 64) if sig >= 1 << 63 else sig


def unsigned(sig: int) -> int:
    """A signed 64-bit signature back to 0..2**64-1."""
    return sig + (1 << 64) if sig < 0 else sig


def distance(a: int, b: int) -> int:
    """Hamming distance between two signatures (signed or unsigned)."""
    return (unsigned(a) ^ unsigned(b)).bit_count()


def bands(sig: int) -> list[tuple[int, int]]:
    """(band number, its 16-bit value) of a signature: two within 3 bits share one of them."""
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
    # Per band value, each signature once, with the first cluster that had it: a flood of copies of one
    # text (a forwarded message, a spam comment) kept every copy in its buckets, and each new copy was
    # compared with all of them (500,000 copies of 18 texts ran for hours).
    index: dict[tuple[int, int], dict[int, str]] = {}
    exact: dict[int, str] = {}

    def remember(sig: int, cluster: str) -> None:
        if sig in exact:
            return
        exact[sig] = cluster
        for band in bands(sig):
            index.setdefault(band, {})[sig] = cluster

    for _key, sig, cluster in existing:
        if sig:
            remember(sig, cluster)
    result: dict[Key, str] = {}
    for key, sig in new:
        best: tuple[int, str] | None = (0, exact[sig]) if sig in exact else None
        if sig and best is None:
            for band in bands(sig):
                for other, cluster in index.get(band, {}).items():
                    d = distance(sig, other)
                    if d <= max_distance and (best is None or d < best[0]):
                        best = (d, cluster)
        cluster = best[1] if best else str(key)
        result[key] = cluster
        if sig:
            remember(sig, cluster)
    return result
