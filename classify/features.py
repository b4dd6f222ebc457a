"""Hashed word and character n-gram features, built token by token with a cache.

Word space: stems (Russian Snowball stems; Kazakh words cut to a prefix, since Kazakh piles suffixes
on a stable root), stem bigrams and one language feature, hashed with CRC-32. Character space: 3- to
5-grams of each token padded with spaces (they carry Kazakh morphology and informal spellings),
hashed with 64-bit FNV-1a on code points. No vocabulary, and so no training text, is stored with a
model. Counts are damped (1 + log) and each space is L2-normalised per document.

Every token is hashed once and cached (the character n-grams of a batch's new words all at once, in
NumPy), which makes featurising a batch a handful of NumPy/SciPy operations plus one dictionary
look-up per token.

The evidence shown to reviewers (the words of a text that pushed a label up) is chosen in
``classify.features_evidence`` from a :class:`Batch`; its public names are re-exported here.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import scipy.sparse as sp

from classify.features_evidence import evidence_batch as evidence_batch
from classify.features_evidence import in_one_sentence as in_one_sentence
from classify.features_evidence import token_scores as token_scores
from classify.normalise import has_kazakh_letter
from classify.rules import (
    CLASSES,
    NEAR,
    RULES,
    near_problem,
    phrase_classes,
    rule_matrix,
    select,
    token_classes,
    topic_near_problem,
    with_phrase_classes,
)
from classify.stopwords import ALL as STOPWORDS
from classify.stopwords import NEGATIONS_AFTER, NEGATIONS_BEFORE, NOT_EVIDENCE

# Lower-case Latin, Russian and Kazakh letters (an explicit class is faster than [^\W\d_]).
TOKEN = re.compile(r"[a-zа-яәғқңөұүһіїєґўàáâäçèéêëíîïñóôöúûüğışūǵńý]{2,}|\[(?:url|email|user|phone)\]")
# TOKEN, plus the separator that joins the texts of a batch (so that one findall reads them all).
_SEP = "\x00"
_TOKEN_OR_SEP = re.compile(TOKEN.pattern + "|" + _SEP)
_CYRILLIC = re.compile(r"[а-я]")
LETTERLESS_LANGS = frozenset({"kk", "mixed"})  # languages whose texts may be letterless Kazakh
MAX_TOKENS = 3000  # per document: a long article is judged on its first few pages
KK_PREFIX = 6
_BIGRAM_MULT = np.uint64(1_000_003)
RULE_VALUE = 0.5
_COPY_SALT = np.uint64(0x9E3779B9)
_FNV_BASIS = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """The shape of the feature space; stored with the model so that both sides agree."""

    word_bits: int = 18
    char_bits: int = 19
    char_min: int = 3
    char_max: int = 5
    problem_copies: int = 1  # 1: stems are repeated in separate columns when a failure word is near
    near: int = NEAR  # tokens: how near (rules.near_problem)

    @property
    def word_dim(self) -> int:
        """Number of columns of the word space."""
        return 1 << self.word_bits

    @property
    def char_dim(self) -> int:
        """Number of columns of the character space."""
        return 1 << self.char_bits

    @property
    def dim(self) -> int:
        """Total number of columns (word space, character space, then one column per keyword rule)."""
        return self.word_dim + self.char_dim + len(RULES)

    def as_dict(self) -> dict[str, int]:
        """Plain values for the model file."""
        return {
            "word_bits": self.word_bits,
            "char_bits": self.char_bits,
            "char_min": self.char_min,
            "char_max": self.char_max,
            "problem_copies": self.problem_copies,
            "near": self.near,
        }


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


class _Stemmer:
    """Russian Snowball for Cyrillic words without Kazakh letters; a prefix for Kazakh words."""

    def __init__(self) -> None:
        import snowballstemmer

        self._ru = snowballstemmer.stemmer("russian")

    def __call__(self, token: str) -> str:
        if has_kazakh_letter(token):
            return token[:KK_PREFIX]
        if _CYRILLIC.search(token):
            return self._ru.stemWord(token)
        return token


@dataclass(slots=True)
class Batch:
    """Features of a batch plus what evidence needs: the tokens of each document."""

    matrix: sp.csr_matrix  # documents x spec.dim, float32
    tokens: list[str]  # unique tokens of the batch (local ids index this list)
    ids: np.ndarray  # flat local token ids of all documents
    indptr: np.ndarray  # document d owns ids[indptr[d]:indptr[d+1]]
    token_word: np.ndarray  # word-space column of each unique token (-1 for stopwords)
    token_chars: sp.csr_matrix  # unique tokens x char space
    bigram_cols: np.ndarray  # word-space column of the bigram starting at each flat position
    bigram_ok: np.ndarray  # True where position i and i+1 belong to the same document
    phrase: np.ndarray  # True where positions i and i+1 make a rule phrase («на лапу», «пара алды»)
    # Per flat position, the rule word classes of its token as read in its document (CLASSES bits), with
    # a phrase's class on both of its words: what evidence_batch boosts when a rule pushed the label.
    position_classes: np.ndarray
    # Per unique token, bits: 1 a negation that opens a pair («не»), 2 one that ends it («жоқ»), 4 a word
    # that is never evidence (stopwords.NOT_EVIDENCE: «бері»); 0 for any other word.
    token_neg: np.ndarray
    letterless: np.ndarray  # per document: Kazakh or mixed typed without Kazakh letters (letterless_docs)
    lowered: list[str]  # the normalised texts in lower case, as tokenised (in_one_sentence reads them)
    # Per document, the L2 norm of its damped word counts: a word column holds count / norm, so a word
    # moves the score by its weight / norm (evidence_batch compares the rules' push with that).
    word_norms: np.ndarray


class Featuriser:
    """Turns normalised texts (and their languages) into a sparse float32 matrix."""

    def __init__(self, spec: FeatureSpec | None = None, cache_size: int = 400_000) -> None:
        self.spec = spec or FeatureSpec()
        self._stem = _Stemmer()
        self._cache_size = cache_size
        self._clear_cache()

    def _clear_cache(self) -> None:
        """Empty the token cache: a row per token in flat arrays, the char columns as one CSR store.

        The arrays have spare room (doubled when full), so that adding a batch's new tokens does
        not copy the whole cache.
        """
        self._slot: dict[str, int] = {}  # token -> its row in the arrays below
        self._words = np.zeros(1024, dtype=np.int64)
        self._hashes = np.zeros(1024, dtype=np.uint64)
        self._masks = np.zeros(1024, dtype=np.int64)
        self._neg = np.zeros(
            1024, dtype=np.int8
        )  # NEGATIONS_BEFORE: bit 1, NEGATIONS_AFTER: 2, NOT_EVIDENCE: 4
        self._char_ptr = np.zeros(1025, dtype=np.int64)  # row r owns _char_cols[_char_ptr[r]:_char_ptr[r+1]]
        self._char_cols = np.zeros(32768, dtype=np.int32)

    def _add_tokens(self, tokens: list[str]) -> None:
        """Compute and append the cache rows of tokens not cached yet."""
        words_of, hashes_of, masks_of = zip(*map(self._token, tokens), strict=True)
        lengths, new_cols = char_columns(tokens, self.spec)
        first, count = len(self._slot), len(tokens)
        end = first + count
        if end > len(self._words):
            size = max(end, 2 * len(self._words))
            self._words, self._hashes, self._masks, self._neg = (
                _grown(self._words, size),
                _grown(self._hashes, size),
                _grown(self._masks, size),
                _grown(self._neg, size),
            )
            self._char_ptr = _grown(self._char_ptr, size + 1)
        self._words[first:end] = np.fromiter(words_of, dtype=np.int64, count=count)
        self._hashes[first:end] = np.fromiter(hashes_of, dtype=np.uint64, count=count)
        self._masks[first:end] = np.fromiter(masks_of, dtype=np.int64, count=count)
        self._neg[first:end] = (
            _is_in(tokens, NEGATIONS_BEFORE)
            + 2 * _is_in(tokens, NEGATIONS_AFTER)
            + 4 * _is_in(tokens, NOT_EVIDENCE)
        )
        self._char_ptr[first + 1 : end + 1] = self._char_ptr[first] + np.cumsum(lengths)
        used, needed = self._char_ptr[first], self._char_ptr[end]
        if needed > len(self._char_cols):
            self._char_cols = _grown(self._char_cols, max(needed, 2 * len(self._char_cols)))
        self._char_cols[used:needed] = new_cols
        self._slot.update(zip(tokens, range(first, end), strict=True))

    def _token(self, token: str) -> tuple[int, int, int]:
        """(word column or -1 for a stopword, 32-bit stem hash, rule classes) of one token."""
        stem_hash = _crc("w:" + self._stem(token))
        word_col = -1 if token in STOPWORDS else stem_hash % self.spec.word_dim
        return (word_col, stem_hash, token_classes(token))

    def _tokenise(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
        """(unique tokens in order of first appearance, flat local token ids, indptr, lower-case texts).

        One findall over the batch joined by a separator that no token holds; the ids, and so the
        order of everything built from them, are those of tokenising text by text.
        """
        # A missing token gets the next id: vocab[token] does the look-up and the insert in C.
        vocab: defaultdict[str, int] = defaultdict()
        vocab.default_factory = vocab.__len__
        lookup = vocab.__getitem__
        if len(texts) > 1 and not any(_SEP in text for text in texts):
            lookup(_SEP)  # id 0: the tokens are numbered from 1, one above their local ids
            joined = _SEP.join(texts).lower()
            found = _TOKEN_OR_SEP.findall(joined)
            flat = np.fromiter(map(lookup, found), dtype=np.int64, count=len(found))
            is_token = flat != 0
            counts = np.diff(np.flatnonzero(~is_token), prepend=-1, append=len(flat)) - 1
            if counts.max(initial=0) <= MAX_TOKENS:
                vocab.default_factory = None  # vocab -> its own __len__ is a cycle: break it, free it now
                indptr = np.concatenate([[0], np.cumsum(counts)])
                return list(vocab)[1:], flat[is_token] - 1, indptr, joined.split(_SEP)
            vocab.clear()  # a text over MAX_TOKENS: its cut tail must not number the vocabulary
        flat_ids: list[int] = []
        offsets = [0]
        lowered = [text.lower() for text in texts]
        for text in lowered:
            tokens = TOKEN.findall(text)
            if len(tokens) > MAX_TOKENS:
                tokens = tokens[:MAX_TOKENS]
            flat_ids.extend(map(lookup, tokens))
            offsets.append(len(flat_ids))
        vocab.default_factory = None
        return list(vocab), np.asarray(flat_ids, dtype=np.int64), np.asarray(offsets, dtype=np.int64), lowered

    def transform(self, texts: Sequence[str], langs: Sequence[str]) -> Batch:
        """Features of normalised texts; ``langs`` adds one language column per document."""
        spec = self.spec
        uniq, ids, ptr, lowered = self._tokenise(texts)
        n_docs = len(texts)
        slot_of = self._slot
        slots = np.fromiter(map(slot_of.get, uniq, repeat(-1)), dtype=np.int64, count=len(uniq))
        if (slots < 0).any():
            missing = np.flatnonzero(slots < 0)
            if len(slot_of) + len(missing) > self._cache_size:
                self._clear_cache()
                missing = np.arange(len(uniq))
            self._add_tokens([uniq[n] for n in missing])
            slots = np.fromiter(map(self._slot.__getitem__, uniq), dtype=np.int64, count=len(uniq))
        token_word = self._words[slots]
        token_hash = self._hashes[slots]
        masks = self._masks[slots]
        token_neg = self._neg[slots]
        # The char columns of each unique token, gathered from the cache's store in one go.
        starts = self._char_ptr[slots]
        lengths = self._char_ptr[slots + 1] - starts
        char_ptr = np.concatenate([[0], np.cumsum(lengths)])
        char_cols = self._char_cols[np.repeat(starts - char_ptr[:-1], lengths) + np.arange(char_ptr[-1])]
        token_chars = sp.csr_matrix(
            (np.ones(len(char_cols), dtype=np.float32), char_cols, char_ptr), shape=(len(uniq), spec.char_dim)
        )
        rows = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(ptr))
        # Repeated words: one row entry with a count, less work below.
        doc_tokens = _counts_matrix(rows, ids, n_docs, len(uniq))
        chars = (doc_tokens @ token_chars).tocsr()

        # Kazakh typed without Kazakh letters reads the rule words without them too («шункыр»).
        letterless = letterless_docs(texts, langs)
        doc_classes = np.zeros((n_docs, len(CLASSES)), bool)
        doc_phrases = np.zeros((n_docs, len(CLASSES)), bool)  # the classes of the phrases in each document
        for bare, docs in ((False, ~letterless), (True, letterless)):
            if len(uniq) and docs.any():
                bits = ((select(masks, bare)[:, None] >> np.arange(len(CLASSES))) & 1).astype(np.float32)
                doc_classes[docs] = np.asarray(doc_tokens[docs] @ bits) > 0
        uni_cols = token_word[ids] if len(ids) else np.zeros(0, dtype=np.int64)
        keep = uni_cols >= 0
        position_masks = select(masks[ids], letterless[rows]) if len(ids) else np.zeros(0, dtype=np.int64)
        if len(ids) > 1:
            h = token_hash[ids]
            bigram_cols = ((h[:-1] * _BIGRAM_MULT + h[1:]) % np.uint64(spec.word_dim)).astype(np.int64)
            bigram_ok = rows[:-1] == rows[1:]
            # Two-word phrases («пара алды», «на лапу») count as words of their class.
            phrases = phrase_classes(position_masks, bigram_ok)
            hit_rows, hit_classes = np.nonzero(phrases)
            doc_phrases[rows[:-1][hit_rows], hit_classes] = True
            doc_classes |= doc_phrases
            phrase = phrases.any(axis=1)
        else:
            bigram_cols = np.zeros(0, dtype=np.int64)
            bigram_ok = np.zeros(0, dtype=bool)
            phrases = np.zeros((0, len(CLASSES)), dtype=bool)
            phrase = np.zeros(0, dtype=bool)
        position_classes = with_phrase_classes(position_masks, phrases)
        lang_cols = np.asarray([_crc("lang:" + lang) % spec.word_dim for lang in langs], dtype=np.int64)
        # Stems again, in their own columns, where a failure word is near: a linear model then learns
        # "road + failure" apart from "road" (news of a new road is not a complaint). Near, not anywhere
        # in the text: «... үйіне су кіргізілгенде ... қуанышында шек болған жоқ» says nothing wrong of «су».
        doc_starts = np.asarray(ptr, dtype=np.int64)
        near = near_problem(position_classes, doc_starts, spec.near)
        copy = keep & near if spec.problem_copies else np.zeros(len(ids), bool)
        copy_cols = (((token_hash[ids][copy] ^ _COPY_SALT) * _BIGRAM_MULT) % np.uint64(spec.word_dim)).astype(
            np.int64
        )
        word_rows = np.concatenate(
            [rows[keep], rows[:-1][bigram_ok] if len(ids) > 1 else rows[:0], np.arange(n_docs), rows[copy]]
        )
        word_cols = np.concatenate([uni_cols[keep], bigram_cols[bigram_ok], lang_cols, copy_cols])
        words = _counts_matrix(word_rows, word_cols, n_docs, spec.word_dim)
        topic_near = topic_near_problem(position_classes, doc_starts, near)
        rules = sp.csr_matrix(
            rule_matrix(doc_classes, topic_near, doc_phrases).astype(np.float32) * RULE_VALUE
        )
        words, word_norms = _damp_and_normalise(words)
        chars, _ = _damp_and_normalise(chars)
        matrix = sp.hstack([words, chars, rules], format="csr", dtype=np.float32)
        return Batch(
            matrix,
            uniq,
            ids,
            ptr,
            token_word,
            token_chars,
            bigram_cols,
            bigram_ok,
            phrase,
            position_classes,
            token_neg,
            letterless,
            lowered,
            word_norms,
        )


def letterless_docs(texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """Which texts are Kazakh or mixed typed without any of the nine Kazakh letters (as on a Russian
    keyboard): the informal weights score them, and their rule words are read without the letters."""
    return np.fromiter(
        (
            lang in LETTERLESS_LANGS and not has_kazakh_letter(text)
            for text, lang in zip(texts, langs, strict=True)
        ),
        dtype=bool,
        count=len(texts),
    )


def char_columns(tokens: Sequence[str], spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """(number of columns per token, their char-space columns, sorted and unique within each token).

    The n-grams (``spec.char_min`` to ``spec.char_max`` characters) of each token padded with one
    space on each side (at most 40 letters of it) are hashed on their code points with 64-bit FNV-1a,
    all tokens of a batch at once: a new word costs a few array operations, not a hash call per gram.
    """
    padded = [f" {token[:40]} " for token in tokens]
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    starts = np.cumsum(lengths) - lengths
    keys = []
    for n in range(spec.char_min, spec.char_max + 1):
        counts = np.maximum(lengths - n + 1, 0)
        total = int(counts.sum())
        owner = np.repeat(np.arange(len(padded), dtype=np.uint64), counts)
        offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        at = np.repeat(starts, counts) + offset
        h = np.full(total, _FNV_BASIS, dtype=np.uint64)
        for k in range(n):
            h ^= codes[at + k]
            h *= _FNV_PRIME
        h ^= h >> np.uint64(29)
        keys.append((owner << np.uint64(32)) | (h % np.uint64(spec.char_dim)))
    merged = np.sort(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.uint64)
    merged = merged[np.concatenate([[True], merged[1:] != merged[:-1]])] if len(merged) else merged
    per_token = np.bincount((merged >> np.uint64(32)).astype(np.int64), minlength=len(padded))
    return per_token.astype(np.int64), (merged & np.uint64(0xFFFFFFFF)).astype(np.int32)


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    """A copy of ``array`` with room for ``size`` entries (zeros after the old ones)."""
    bigger = np.zeros(size, dtype=array.dtype)
    bigger[: len(array)] = array
    return bigger


def _counts_matrix(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """CSR float32 counts of (row, col) pairs, columns sorted in each row: what a COO matrix of ones
    gives after ``sum_duplicates``, from one sort of 64-bit keys instead of a sort per row."""
    keys = rows.astype(np.int64) * n_cols + cols
    keys.sort()
    first = np.empty(len(keys), dtype=bool)
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(starts, append=len(keys)).astype(np.float32)
    unique = keys[starts]
    indptr = np.zeros(n_rows + 1, dtype=np.int32)
    np.cumsum(np.bincount(unique // n_cols, minlength=n_rows), out=indptr[1:])
    return sp.csr_matrix((counts, (unique % n_cols).astype(np.int32), indptr), shape=(n_rows, n_cols))


def _damp_and_normalise(block: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """1 + log(count), then unit L2 norm per row (rows without features stay zero); and each row's norm
    before (1 for an empty row)."""
    block = block.astype(np.float32, copy=False)  # the blocks are built as float32 and used only here
    block.data = 1.0 + np.log(block.data)
    lengths = np.diff(block.indptr)
    squares = np.add.reduceat(block.data**2, block.indptr[:-1][lengths > 0]) if block.nnz else np.zeros(0)
    norms = np.ones(block.shape[0], dtype=np.float32)
    norms[lengths > 0] = np.sqrt(squares)
    block.data /= np.repeat(norms, lengths)
    return block, norms


def _is_in(tokens: Sequence[str], words: frozenset[str]) -> np.ndarray:
    """True for each token that is one of ``words``."""
    return np.fromiter(map(words.__contains__, tokens), dtype=bool, count=len(tokens))


def describe(spec: FeatureSpec) -> dict[str, Any]:
    """What the model card says about the features."""
    return {
        **spec.as_dict(),
        "hashing": "CRC-32 (word space), 64-bit FNV-1a on code points (character space)",
        "word": "Russian Snowball stems, Kazakh prefixes of 6 letters, stem bigrams, language",
        "char": f"{spec.char_min}-{spec.char_max}-grams of space-padded tokens",
        "weighting": "1+log(count), L2 per space",
    }
