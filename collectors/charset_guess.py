"""Which single-byte Cyrillic code page a body is in when nothing says so (no charset in the header or
the document) and it is not UTF-8: cp1251, KOI8-R or ISO-8859-5 (:func:`cyrillic_codec`).

cp1251 was taken for every such body, and a page a regional site or an old forum serves in KOI8-R
without a charset was stored as mojibake: KOI8-R puts its lowercase letters where cp1251 has its
uppercase ones, and orders them by their Latin sound, so «Привет» reads «рПХБЕР». The rule: read the
words that hold bytes past ASCII in each code page and score each reading by how Russian its letters
are, the way a reader spots mojibake: (1) how common each letter is in Russian text (an «о» or «е»
scores high, «ъ», «щ» or a Serbian «Ћ» low; ``_FREQUENCY``), (2) letter case (a capital after a
small letter inside a word is next to never written; capitals cost a little, since text is mostly
small letters), (3) spelling: «ь» first or after a vowel, «й» after a consonant, four consonants
in a row, a word with no vowel, (4) signs no text is written with (box drawing: what «» and — of
cp1251 become in KOI8-R; a sign inside a word). cp1251 is kept unless another reading scores clearly
higher (``MARGIN``): a short or odd cp1251 page (Kazakh typed with Serbian or Ukrainian letters in
place of its own, a few accented Latin words, a UTF-8 page with some cp1251 lines) stays what it
was. ``bench/score_charset.py`` measures it (all right choices of 3,499 texts of 20-5000 characters;
charset-normalizer: 77%).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import islice

# Tried in this order; the first is the reading kept unless another beats it by MARGIN.
CANDIDATES = ("cp1251", "koi8-r", "iso-8859-5")
MARGIN = 4.0  # in the score's units (nats): about two words' worth of clearly better letters
SAMPLE_WORDS = 1000  # words with bytes past ASCII scored at most: a big page is judged by its start
SCAN_BYTES = 2 * 1024 * 1024  # and only its first 2 MB are searched for them (a 10 MB page of markup)

# Letter frequencies of Russian text (per cent; the usual table over a large corpus). A letter of
# another Cyrillic alphabet scores as a rare one: Kazakh typed in cp1251 puts «і» and Serbian or
# Ukrainian letters for its own, and those pages must stay cp1251.
_RUSSIAN = {
    "о": 10.97,
    "е": 8.45,
    "а": 8.01,
    "и": 7.35,
    "н": 6.70,
    "т": 6.26,
    "с": 5.47,
    "р": 4.73,
    "в": 4.54,
    "л": 4.40,
    "к": 3.49,
    "м": 3.21,
    "д": 2.98,
    "п": 2.81,
    "у": 2.62,
    "я": 2.01,
    "ы": 1.90,
    "ь": 1.74,
    "г": 1.70,
    "з": 1.65,
    "б": 1.59,
    "ч": 1.44,
    "й": 1.21,
    "х": 0.97,
    "ж": 0.94,
    "ш": 0.73,
    "ю": 0.64,
    "ц": 0.48,
    "щ": 0.36,
    "э": 0.32,
    "ф": 0.26,
    "ъ": 0.04,
    "ё": 0.04,
}
_OTHER_CYRILLIC = 0.05  # per cent: «і» (Kazakh in cp1251), «ў», «ї», «ј», «љ»…
_SHARE = 100 / len(_RUSSIAN)  # an even share: a letter more common than this scores above zero
_FREQUENCY = {letter: math.log(share / _SHARE) for letter, share in _RUSSIAN.items()}
_RARE = math.log(_OTHER_CYRILLIC / _SHARE)
_CAPITAL = -0.1  # a capital letter: text is mostly small letters
_CAPITAL_INSIDE = -3.0  # a capital after a small letter in one word («рПХБЕР»)
_ODD_SIGN = -4.0  # box drawing, control characters, a sign inside a word
_BAD_SPELLING = -2.0  # a word spelled as no Russian word is (:func:`_spelling`)
_VOWELS = frozenset("аеёиоуыэюяіәөүұ")
_CONSONANTS = frozenset("бвгджзклмнпрстфхцчшщғқңһ")
# Signs text is written with besides letters: quotes, dashes, №, the ellipsis, a no-break space…
_TEXT_SIGNS = frozenset("«»„“”‘’‚–—…№•·°±§©®™€\u00a0\u00ad")

_ASCII = bytes(range(128))
# A word holding a byte past ASCII; it starts where no Latin letter stands before it and takes its
# Latin letters at once, so a long run of them (a base64 blob) is scanned once, not from each letter.
_WORD = re.compile(rb"(?<![A-Za-z])[A-Za-z]*+[\x80-\xff][A-Za-z\x80-\xff]*")
WORD_BYTES = 64  # of a longer word only its start is scored (and cached)


def cyrillic_codec(content: bytes) -> str:
    """The code page (of ``CANDIDATES``) whose reading of ``content`` scores highest by how Russian its
    letters are, cp1251 unless another scores ``MARGIN`` more; ``content`` is no UTF-8 (the caller
    has tried it)."""
    sample = b" ".join(
        m[0][:WORD_BYTES] for m in islice(_WORD.finditer(content, 0, SCAN_BYTES), SAMPLE_WORDS)
    )
    if not sample or _mostly_utf8(sample):
        return CANDIDATES[0]
    scores = {codec: score_text(sample.decode(codec, "replace")) for codec in CANDIDATES}
    best = max(scores, key=lambda codec: scores[codec])
    return best if scores[best] >= scores[CANDIDATES[0]] + MARGIN else CANDIDATES[0]


def _mostly_utf8(sample: bytes) -> bool:
    """Whether most bytes past ASCII of ``sample`` read as UTF-8: a UTF-8 page with more than a few
    bytes that are not (``http_body.utf8_with_strays``) keeps the cp1251 reading it had; this rule is
    for pages in one single-byte code page, where next to no byte past ASCII reads as UTF-8."""
    high = len(sample.translate(None, _ASCII))
    return sample.decode("utf-8", "replace").count("\ufffd") * 2 < high


def score_text(text: str) -> float:
    """How Russian the letters past ASCII in ``text`` look: the sum of each letter's score (its
    frequency, its case beside the letter before it), of each sign's (``_ODD_SIGN`` for one no text
    is written with) and of each word's spelling (:func:`_spelling`)."""
    return sum(_score_word(word) for word in text.split())


@lru_cache(maxsize=8192)
def _score_word(text: str) -> float:
    """:func:`score_text` of a text without spaces (cached: a page repeats its words)."""
    total = 0.0
    before = " "
    word: list[str] = []
    for i, char in enumerate(text):
        if char < "\x80":
            if word:
                total += _spelling(word)
                word = []
            before = char
            continue
        if char.isalpha():
            low = char.lower()
            word.append(low)
            total += _FREQUENCY.get(low, _RARE)
            if char != low:
                total += _CAPITAL_INSIDE if before.isalpha() and before.islower() else _CAPITAL
        else:
            if word:
                total += _spelling(word)
                word = []
            if char not in _TEXT_SIGNS or (
                before.isalpha() and i + 1 < len(text) and text[i + 1].isalpha() and char not in "’·\u00ad"
            ):
                total += _ODD_SIGN
        before = char
    return total + (_spelling(word) if word else 0.0)


def _spelling(word: list[str]) -> float:
    """What a word's run of letters past ASCII costs for being spelled as no Russian word is: «ь» or
    «ъ» first or after a vowel, «й» after a consonant, a fourth consonant in a row, no vowel in three
    letters or more (an abbreviation, «ЖКХ», costs a little, as it should)."""
    cost = 0.0
    consonants = 0
    vowel_seen = False
    previous = ""
    for letter in word:
        if letter in _VOWELS:
            vowel_seen = True
            consonants = 0
        elif letter in _CONSONANTS:
            consonants += 1
            if consonants > 3:
                cost += _BAD_SPELLING
        soft_after_vowel = letter in "ьъ" and (not previous or previous in _VOWELS)
        if soft_after_vowel or (letter == "й" and previous in _CONSONANTS):
            cost += _BAD_SPELLING
        previous = letter
    if not vowel_seen and len(word) >= 3:
        cost += _BAD_SPELLING
    return cost
