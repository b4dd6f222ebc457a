"""What a reviewer is shown: the words and two-word phrases of a text that pushed a label up.

The per-token scores (:func:`token_scores`) and the choice of evidence (:func:`evidence_batch`) read a
:class:`classify.features.Batch` that the featuriser built; the words are chosen for all documents of
a batch at once in NumPy. ``classify.features`` re-exports these names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # features imports this module to re-export its names: no import back at run time
    from classify.features import Batch


# The end of a sentence: ?, !, …, ;, a line break, or a full stop before a space («3.5» is none).
_SENTENCE_END = re.compile(r"[!?…;\n]|\.(?=\s|$)")
PAIRS = 3  # two-word phrases of a document's evidence, at most
# A term longer than this (a word, or two words and their space) is no word a reviewer reads: a run
# of one letter, a hash, a URL fragment. It is never shown (the next strongest is); scores unchanged.
MAX_TERM_CHARS = 60


def _order_within_documents(values: np.ndarray, doc_of: np.ndarray) -> np.ndarray:
    """Positions grouped by document, largest value first, ties in position order.

    The same order as ``np.lexsort((-values, doc_of))``, from one stable sort of 64-bit keys (the
    document above, the float32 value's bits mapped to an order-preserving unsigned integer below),
    which is several times faster.
    """
    bits = (-values.astype(np.float32) + np.float32(0.0)).view(np.uint32)  # + 0.0 turns -0.0 into 0.0
    ordered = np.where(bits >> np.uint32(31), ~bits, bits | np.uint32(0x80000000)).astype(np.uint64)
    keys = (doc_of.astype(np.uint64) << np.uint64(32)) | ordered
    return np.argsort(keys, kind="stable")


def in_one_sentence(text: str, first: str, second: str) -> bool:
    """Whether ``text`` (lower case) has ``first`` and then ``second`` with no sentence end between.

    Between them only characters that are not letters, and one-letter words, which are no tokens
    («ямы в асфальте»); none of ?, !, …, ;, a line break, or a full stop before a space: «…өшіп
    қалды. Трансформатор…» does not give «қалды трансформатор».
    """
    if f"{first} {second}" in text:  # the common case, in one look
        return True
    at, size = text.find(first), len(text)
    while at >= 0:
        start = end = at + len(first)
        while (
            end < size
            and text[end] != "["
            and (not text[end].isalpha() or not text[end + 1 : end + 2].isalpha())
        ):
            end += 1  # «[» opens a masked token: «[url]»
        if text.startswith(second, end) and not _SENTENCE_END.search(text, start, end + 1):
            return True
        at = text.find(first, at + 1)
    return False


def evidence_batch(
    batch: Batch,
    docs: Sequence[int],
    word_weights: np.ndarray,
    token_scores: np.ndarray,
    limit: int = 6,
    class_boost: np.ndarray | None = None,
) -> dict[int, list[str]]:
    """For each document in ``docs``: its terms and two-word phrases that pushed a label up, strongest first.

    A document's terms are its ``limit`` strongest distinct words with a positive score (ties in order
    of first appearance), function words left out; its ``PAIRS`` strongest positive stem bigrams join
    them, each scored as its weight plus the larger of its two words' scores (a bigram with a
    function word at either end only when that word is a negation or the pair a rule phrase; never
    across a sentence end: :func:`in_one_sentence`); a term of more than ``MAX_TERM_CHARS``
    characters is left out. ``class_boost`` (documents x rule word classes)
    adds to each word of a class what the rules that read it pushed the label in its document, and to
    a rule phrase the larger of its two words' boosts, so that «кто принимал» or «крышует» is shown
    when a rule made the flag. The words are chosen for all documents at once in NumPy; Python only
    assembles the short lists.
    """
    out: dict[int, list[str]] = {}
    if not len(docs):
        return out
    n_docs = len(batch.indptr) - 1
    tokens, ids = batch.tokens, batch.ids
    doc_of = np.repeat(np.arange(n_docs), np.diff(batch.indptr))
    wanted = np.asarray(docs, dtype=np.int64)
    is_wanted = np.zeros(n_docs, dtype=bool)
    is_wanted[wanted] = True
    # Function words (the stopwords, «на», «по») have no word column and explain nothing to a reviewer;
    # nor does a negation on its own.
    content = (batch.token_word >= 0) & (batch.token_neg == 0)
    token_len = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    content &= token_len <= MAX_TERM_CHARS
    candidates = np.flatnonzero(is_wanted[doc_of])  # the positions of the wanted documents
    if class_boost is not None:
        # A rule's push is what it adds to the score; a word's score here is its weight, which adds
        # weight / norm. In the words' units the push is push x norm: in a long article the bribery rule
        # outweighs «деньги», as it does in the score.
        class_boost = class_boost * batch.word_norms[:, None]
    boost = _position_boost(batch, candidates, doc_of, class_boost)
    score = token_scores[ids[candidates]] + boost[candidates]
    at = candidates[(score > 0) & content[ids[candidates]]]  # positions that can become evidence
    position_score = np.zeros(len(ids), dtype=np.float32)
    position_score[candidates] = score
    # Each word once per document, at its first position (np.unique's index sort is stable).
    _, first = np.unique(doc_of[at] * len(tokens) + ids[at], return_index=True)
    at = at[np.sort(first)]
    at = _strongest(at, position_score[at], doc_of[at], limit)
    counts = np.bincount(doc_of[at], minlength=n_docs)[wanted].tolist()
    words = [tokens[t] for t in ids[at].tolist()]
    scores = position_score[at].tolist()
    # A batch of one token (a one-word text: «Взятка!») has no pairs.
    pair_counts, pair_words, pair_weights = [0] * len(docs), [], []
    if len(ids) > 1:
        bigram = word_weights[batch.bigram_cols].astype(np.float32)
        bigram += np.where(batch.phrase, np.maximum(boost[:-1], boost[1:]), 0.0).astype(np.float32)
        # A pair with a function word at either end («дороги на», «что асфальт») explains nothing
        # either, unless the function word is a negation («не работает») or the pair a rule phrase.
        first_ok = content | (batch.token_neg & 1 > 0)  # «не работает»; not «жоқ тұрғындар»
        second_ok = content | (batch.token_neg & 2 > 0)  # «воды нет», «су жоқ»; not «лифт не»
        bigram[~batch.bigram_ok | ~((first_ok[ids[:-1]] & second_ok[ids[1:]]) | batch.phrase)] = -np.inf
        bigram[token_len[ids[:-1]] + 1 + token_len[ids[1:]] > MAX_TERM_CHARS] = -np.inf
        pairs = np.flatnonzero(~(bigram <= 0) & is_wanted[doc_of[:-1]])
        # A few spare candidates, for the pairs that in_one_sentence turns down.
        pairs = _strongest(pairs, bigram[pairs], doc_of[pairs], PAIRS + 2)
        pair_counts = np.bincount(doc_of[pairs], minlength=n_docs)[wanted].tolist()
        pair_words = [
            (tokens[a], tokens[b]) for a, b in zip(ids[pairs].tolist(), ids[pairs + 1].tolist(), strict=True)
        ]
        pair_weights = bigram[pairs].tolist()
    taken = paired = 0
    for d, count, pair_count in zip(docs, counts, pair_counts, strict=True):
        scored = dict(zip(words[taken : taken + count], scores[taken : taken + count], strict=True))
        taken += count
        kept = 0
        for (a, b), weight in zip(
            pair_words[paired : paired + pair_count], pair_weights[paired : paired + pair_count], strict=True
        ):
            if kept == PAIRS or not in_one_sentence(batch.lowered[d], a, b):
                continue
            scored[f"{a} {b}"] = weight + max(scored.get(a, 0.0), scored.get(b, 0.0))
            kept += 1
        paired += pair_count
        # Strongest first, ties in insertion order (reverse=True keeps sort stability).
        out[d] = sorted(scored, key=scored.__getitem__, reverse=True)[:limit]
    return out


def _position_boost(
    batch: Batch, positions: np.ndarray, doc_of: np.ndarray, class_boost: np.ndarray | None
) -> np.ndarray:
    """Per flat position of the batch: the largest ``class_boost`` of its document over the rule word
    classes of its token (zero outside ``positions`` and without a boost)."""
    boost = np.zeros(len(batch.ids), dtype=np.float32)
    if class_boost is None or not len(positions):
        return boost
    classes = batch.position_classes[positions]
    docs = doc_of[positions]
    for k in np.flatnonzero(class_boost.any(axis=0)).tolist():
        has = ((classes >> k) & 1).astype(bool)
        boost[positions[has]] = np.maximum(boost[positions[has]], class_boost[docs[has], k])
    return boost


def _strongest(positions: np.ndarray, values: np.ndarray, doc_of: np.ndarray, keep: int) -> np.ndarray:
    """The ``keep`` positions of each document with the largest values (``values`` and ``doc_of``
    belong to ``positions``), grouped by document, strongest first, ties in position order."""
    ordered = _order_within_documents(values, doc_of)
    positions, doc_of = positions[ordered], doc_of[ordered]
    rank = np.arange(len(doc_of)) - np.searchsorted(doc_of, doc_of)  # place within its document
    return positions[rank < keep]


def token_scores(batch: Batch, word_weights: np.ndarray, char_weights: np.ndarray) -> np.ndarray:
    """How much each unique token of the batch pushes a label (its stem weight plus its n-gram weights)."""
    # char_weights may run on into the rule columns; only the character space is used here.
    stem_part = np.where(batch.token_word >= 0, word_weights[np.maximum(batch.token_word, 0)], 0.0)
    lengths = np.diff(batch.token_chars.indptr).astype(np.float32)
    lengths[lengths == 0] = 1.0
    char_part = (batch.token_chars @ char_weights[: batch.token_chars.shape[1]]) / np.sqrt(lengths)
    return np.asarray(stem_part + char_part, dtype=np.float32)
