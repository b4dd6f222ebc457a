"""Hashed word and character n-gram features, built token by token with a cache.

Word space: stems (Russian Snowball stems; Kazakh words cut to a prefix, since Kazakh piles suffixes
on a stable root), stem bigrams and one language feature. Character space: 3- to 5-grams of each
token padded with spaces (they carry Kazakh morphology and informal spellings). Both spaces are
hashed with CRC-32, so no vocabulary, and so no training text, is stored with a model. Counts are
damped (1 + log) and each space is L2-normalised per document.

Every token is hashed once and cached, which makes featurising a batch a handful of NumPy/SciPy
operations plus one dictionary look-up per token.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from classify.rules import CLASSES, RULES, phrase_classes, rule_matrix, token_classes
from classify.stopwords import ALL as EVIDENCE_STOPWORDS
from classify.stopwords import ALL as STOPWORDS

# Lower-case Latin, Russian and Kazakh letters (an explicit class is faster than [^\W\d_]).
TOKEN = re.compile(r"[a-zа-яәғқңөұүһіїєґўàáâäçèéêëíîïñóôöúûüğışūǵńý]{2,}|\[(?:url|email|user|phone)\]")
_KK_LETTERS = re.compile(r"[әғқңөұүһі]")
_CYRILLIC = re.compile(r"[а-я]")
MAX_TOKENS = 3000  # per document: a long article is judged on its first few pages
KK_PREFIX = 6
_BIGRAM_MULT = np.uint64(1_000_003)
RULE_VALUE = 0.5
_PROBLEM = CLASSES.index("problem")
_COPY_SALT = np.uint64(0x9E3779B9)


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """The shape of the feature space; stored with the model so that both sides agree."""

    word_bits: int = 18
    char_bits: int = 19
    char_min: int = 3
    char_max: int = 5
    problem_copies: int = 1  # 1: stems are repeated in separate columns when a failure word is present

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
        }


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


class _Stemmer:
    """Russian Snowball for Cyrillic words without Kazakh letters; a prefix for Kazakh words."""

    def __init__(self) -> None:
        import snowballstemmer

        self._ru = snowballstemmer.stemmer("russian")

    def __call__(self, token: str) -> str:
        if _KK_LETTERS.search(token):
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


class Featuriser:
    """Turns normalised texts (and their languages) into a sparse float32 matrix."""

    def __init__(self, spec: FeatureSpec | None = None, cache_size: int = 400_000) -> None:
        self.spec = spec or FeatureSpec()
        self._stem = _Stemmer()
        self._cache: dict[str, tuple[int, int, np.ndarray, int]] = {}
        self._cache_size = cache_size

    def _token(self, token: str) -> tuple[int, int, np.ndarray, int]:
        """(word column or -1 for a stopword, 32-bit stem hash, char columns, rule classes) of one token."""
        found = self._cache.get(token)
        if found is not None:
            return found
        spec = self.spec
        stem = self._stem(token)
        stem_hash = _crc("w:" + stem)
        word_col = -1 if token in STOPWORDS else stem_hash % spec.word_dim
        padded = f" {token[:40]} "
        grams = {
            padded[i : i + n]
            for n in range(spec.char_min, spec.char_max + 1)
            for i in range(len(padded) - n + 1)
        }
        chars = np.fromiter((_crc(g) % spec.char_dim for g in grams), dtype=np.int32, count=len(grams))
        chars.sort()
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        entry = (word_col, stem_hash, chars, token_classes(token))
        self._cache[token] = entry
        return entry

    def transform(self, texts: Sequence[str], langs: Sequence[str]) -> Batch:
        """Features of normalised texts; ``langs`` adds one language column per document."""
        spec = self.spec
        # A missing token gets the next id: vocab[token] does the look-up and the insert in C.
        vocab: defaultdict[str, int] = defaultdict()
        vocab.default_factory = vocab.__len__
        lookup = vocab.__getitem__
        flat: list[int] = []
        indptr = [0]
        for text in texts:
            tokens = TOKEN.findall(text.lower())
            if len(tokens) > MAX_TOKENS:
                tokens = tokens[:MAX_TOKENS]
            flat.extend(map(lookup, tokens))
            indptr.append(len(flat))
        n_docs = len(texts)
        uniq = list(vocab)
        cache = self._cache
        infos = [cache.get(t) or self._token(t) for t in uniq]  # the cache hit without a method call
        words_of, hashes_of, chars_of, masks_of = zip(*infos, strict=True) if infos else ((), (), (), ())
        ids = np.asarray(flat, dtype=np.int64)
        ptr = np.asarray(indptr, dtype=np.int64)
        token_word = np.fromiter(words_of, dtype=np.int64, count=len(infos))
        token_hash = np.fromiter(hashes_of, dtype=np.uint64, count=len(infos))
        lengths = np.fromiter(map(len, chars_of), dtype=np.int64, count=len(infos))
        char_cols = np.concatenate(chars_of) if infos else np.zeros(0, dtype=np.int32)
        token_chars = sp.csr_matrix(
            (np.ones(len(char_cols), dtype=np.float32), char_cols, np.concatenate([[0], np.cumsum(lengths)])),
            shape=(len(uniq), spec.char_dim),
        )
        doc_tokens = sp.csr_matrix((np.ones(len(ids), dtype=np.float32), ids, ptr), shape=(n_docs, len(uniq)))
        doc_tokens.sum_duplicates()  # repeated words: one row entry with a count, less work below
        chars = (doc_tokens @ token_chars).tocsr()

        masks = np.fromiter(masks_of, dtype=np.int64, count=len(infos))
        bits = ((masks[:, None] >> np.arange(len(CLASSES))) & 1).astype(np.float32)
        doc_classes = (
            np.asarray(doc_tokens @ bits) > 0 if len(infos) else np.zeros((n_docs, len(CLASSES)), bool)
        )
        rows = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(ptr))
        uni_cols = token_word[ids] if len(ids) else np.zeros(0, dtype=np.int64)
        keep = uni_cols >= 0
        if len(ids) > 1:
            h = token_hash[ids]
            bigram_cols = ((h[:-1] * _BIGRAM_MULT + h[1:]) % np.uint64(spec.word_dim)).astype(np.int64)
            bigram_ok = rows[:-1] == rows[1:]
            # Two-word phrases («пара алды», «на лапу») count as words of their class.
            phrases = phrase_classes(masks[ids], bigram_ok)
            hit_rows, hit_classes = np.nonzero(phrases)
            doc_classes[rows[:-1][hit_rows], hit_classes] = True
        else:
            bigram_cols = np.zeros(0, dtype=np.int64)
            bigram_ok = np.zeros(0, dtype=bool)
        lang_cols = np.asarray([_crc("lang:" + lang) % spec.word_dim for lang in langs], dtype=np.int64)
        # Stems again, in their own columns, for documents that also say something is wrong: a linear
        # model then learns "road + failure" apart from "road" (news of a new road is not a complaint).
        copy = (
            keep & doc_classes[rows, _PROBLEM]
            if spec.problem_copies and len(ids)
            else np.zeros(len(ids), bool)
        )
        copy_cols = (((token_hash[ids][copy] ^ _COPY_SALT) * _BIGRAM_MULT) % np.uint64(spec.word_dim)).astype(
            np.int64
        )
        word_rows = np.concatenate(
            [rows[keep], rows[:-1][bigram_ok] if len(ids) > 1 else rows[:0], np.arange(n_docs), rows[copy]]
        )
        word_cols = np.concatenate([uni_cols[keep], bigram_cols[bigram_ok], lang_cols, copy_cols])
        words = sp.csr_matrix(
            (np.ones(len(word_cols), dtype=np.float32), (word_rows, word_cols)), shape=(n_docs, spec.word_dim)
        )
        words.sum_duplicates()
        rules = sp.csr_matrix(rule_matrix(doc_classes).astype(np.float32) * RULE_VALUE)
        matrix = sp.hstack(
            [_damp_and_normalise(words), _damp_and_normalise(chars), rules], format="csr", dtype=np.float32
        )
        return Batch(matrix, uniq, ids, ptr, token_word, token_chars, bigram_cols, bigram_ok)


def _damp_and_normalise(block: sp.csr_matrix) -> sp.csr_matrix:
    """1 + log(count), then unit L2 norm per row (rows without features stay zero)."""
    block = block.astype(np.float32)
    block.data = 1.0 + np.log(block.data)
    lengths = np.diff(block.indptr)
    squares = np.add.reduceat(block.data**2, block.indptr[:-1][lengths > 0]) if block.nnz else np.zeros(0)
    norms = np.ones(block.shape[0], dtype=np.float32)
    norms[lengths > 0] = np.sqrt(squares)
    block.data /= np.repeat(norms, lengths)
    return block


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


def evidence_batch(
    batch: Batch, docs: Sequence[int], word_weights: np.ndarray, token_scores: np.ndarray, limit: int = 6
) -> dict[int, list[str]]:
    """For each document in ``docs``: its terms and two-word phrases that pushed a label up, strongest first."""
    n_docs = len(batch.indptr) - 1
    ptr = batch.indptr
    doc_of = np.repeat(np.arange(n_docs), np.diff(ptr))
    values = token_scores[batch.ids]
    order = _order_within_documents(values, doc_of)  # grouped by document, strongest token first
    if len(batch.ids) > 1:
        bigram = word_weights[batch.bigram_cols].astype(np.float32)
        bigram[~batch.bigram_ok] = -np.inf
        bigram_order = _order_within_documents(bigram, doc_of[:-1])
    out: dict[int, list[str]] = {}
    if not len(docs):
        return out
    tokens, ids = batch.tokens, batch.ids
    window = 8 * limit  # a word repeated in a document sits several times among its strongest positions
    head = 2 * limit  # most documents are decided within these; the rest read on up to ``window``
    # The strongest positions of every wanted document, gathered at once; -inf pads short documents.
    wanted = np.asarray(docs, dtype=np.int64)
    starts, ends = ptr[wanted], ptr[wanted + 1]
    at = starts[:, None] + np.arange(head)
    top = order[np.minimum(at, max(len(order) - 1, 0))] if len(order) else np.zeros(at.shape, np.int64)
    top_ids = ids[top].tolist() if len(order) else [[]] * len(wanted)
    top_values = np.where(at < ends[:, None], values[top] if len(order) else 0.0, -np.inf).tolist()
    n_bigrams = len(batch.ids) - 1
    if n_bigrams > 0:
        at = starts[:, None] + np.arange(3)
        usable = (at < np.minimum(ends, n_bigrams)[:, None]) & ((ends - starts) > 1)[:, None]
        pos = bigram_order[np.minimum(at, n_bigrams - 1)]
        pair_weights = np.where(usable, bigram[pos], -np.inf).tolist()
        firsts, seconds = ids[pos].tolist(), ids[pos + 1].tolist()
    for n, d in enumerate(docs):
        scored: dict[str, float] = {}
        for tok, value in zip(top_ids[n], top_values[n], strict=True):
            if value <= 0 or len(scored) >= limit:
                break
            if tokens[tok] not in EVIDENCE_STOPWORDS:  # «на» explains nothing to a reviewer
                scored.setdefault(tokens[tok], value)
        else:
            start, end = int(starts[n]), int(ends[n])
            rest = order[start + head : min(end, start + window)]
            for tok, value in zip(ids[rest].tolist(), values[rest].tolist(), strict=True):
                if value <= 0 or len(scored) >= limit:
                    break
                if tokens[tok] not in EVIDENCE_STOPWORDS:
                    scored.setdefault(tokens[tok], value)
        if n_bigrams > 0:
            for first, second, weight in zip(firsts[n], seconds[n], pair_weights[n], strict=True):
                if weight <= 0:
                    break
                a, b = tokens[first], tokens[second]
                scored[f"{a} {b}"] = weight + max(scored.get(a, 0.0), scored.get(b, 0.0))
        out[d] = [term for term, _ in sorted(scored.items(), key=lambda kv: -kv[1])[:limit]]
    return out


def token_scores(batch: Batch, word_weights: np.ndarray, char_weights: np.ndarray) -> np.ndarray:
    # char_weights may run on into the rule columns; only the character space is used here.
    """How much each unique token of the batch pushes a label (its stem weight plus its n-gram weights)."""
    stem_part = np.where(batch.token_word >= 0, word_weights[np.maximum(batch.token_word, 0)], 0.0)
    lengths = np.diff(batch.token_chars.indptr).astype(np.float32)
    lengths[lengths == 0] = 1.0
    char_part = (batch.token_chars @ char_weights[: batch.token_chars.shape[1]]) / np.sqrt(lengths)
    return np.asarray(stem_part + char_part, dtype=np.float32)


def describe(spec: FeatureSpec) -> dict[str, Any]:
    """What the model card says about the features."""
    return {
        **spec.as_dict(),
        "hashing": "crc32",
        "word": "Russian Snowball stems, Kazakh prefixes of 6 letters, stem bigrams, language",
        "char": f"{spec.char_min}-{spec.char_max}-grams of space-padded tokens",
        "weighting": "1+log(count), L2 per space",
    }
