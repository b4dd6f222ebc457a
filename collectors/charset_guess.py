"""Which single-byte Cyrillic code page a body is in when nothing says so (no charset in the header or
the document) and it is not UTF-8: cp1251, KOI8-R or ISO-8859-5 (:func:`cyrillic_codec`).

cp1251 was taken for every such body, and a page a regional site or an old forum serves in KOI8-R
without a charset was stored as mojibake: KOI8-R puts its lowercase letters where cp1251 has its
uppercase ones, and orders them by their Latin sound, so «Привет» reads «рПХБЕР». The rule: read the
words that hold bytes past ASCII in each code page and score each reading by how Russian its letters
are, the way a reader spots mojibake: (1) how common each letter is in Russian text (an «о» or «е»
scores high, «ъ», «щ» or a Serbian «Ћ» low; ``_FREQUENCY``), (2) letter case (a capital after a
small letter inside a word is next to never written; a word in capitals costs no more than one in
small letters, since KOI8-R swaps the two), (3) spelling: «ь» first or after a vowel, «й» after a
consonant, four consonants in a row, a word with no vowel, (4) signs no text is written with (box
drawing: what «» and — of cp1251 become in KOI8-R; a sign inside a word). One letter against a
digit or a Latin letter is a sign («+25°», «35 µg», «4й»: ISO-8859-5 reads «°» and «µ» as «А», «Е»).
cp1251 is kept unless another reading is better by evidence in proportion to the text
(:func:`weigh`, :func:`needed_margin`): each different word adds at most ``WORD_EVIDENCE``, under
``MIN_WORDS`` different words there is no switch at all and below ``FULL_WORDS`` the margin grows,
so a word or two of cp1251 («ПОДЪЕЗД», «ПВХ», Kazakh «Білі») is never read as another code page,
nor a page of symbols; a short or odd cp1251 page (Kazakh typed with Serbian or Ukrainian letters in
place of its own, a few accented Latin words, a UTF-8 page with some cp1251 lines) stays what it
was. ``bench/score_charset.py`` measures it (3,499 texts of 20-5000 characters: all right from 100
characters on, 92-98% of those under 100, which a body of two or three words misses; no cp1251 text
read wrong; charset-normalizer: 77%).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import islice

# Tried in this order; the first is the reading kept unless another beats it (:func:`needed_margin`).
CANDIDATES = ("cp1251", "koi8-r", "iso-8859-5")
MARGIN = 4.0  # in the score's units (nats): about two words' worth of clearly better letters
WORD_EVIDENCE = 6.0  # what one word may add to a code page's lead at most
MIN_WORDS = 3  # different words of 2 letters or more: under this no switch from cp1251 at all
FULL_WORDS = 6  # and under this the margin grows by SHORT_MARGIN a missing word
SHORT_MARGIN = 3.0
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
    "і": 1.0,  # Kazakh typed in cp1251 writes its «і» with it (Russian never does): a common letter
}
_OTHER_CYRILLIC = 0.05  # per cent: «ў», «ї», «ј», «љ» (what Kazakh in KZ-1048 shows in cp1251)…
_SHARE = 100 / len(_RUSSIAN)  # an even share: a letter more common than this scores above zero
_FLOOR = 0.25  # per cent: one rare letter («ъ» of «подъезд») weighs no more than a letter this rare,
# or one word of a short text would outweigh the rest of it
_FREQUENCY = {letter: math.log(max(share, _FLOOR) / _SHARE) for letter, share in _RUSSIAN.items()}
_RARE = math.log(_OTHER_CYRILLIC / _SHARE)
_CAPITAL_INSIDE = -3.0  # a capital after a small letter in one word («рПХБЕР»)
_ODD_SIGN = -4.0  # box drawing, control characters, a sign inside a word
_BAD_SPELLING = -2.0  # a word spelled as no Russian word is (:func:`_spelling`)
_VOWELS = frozenset("аеёиоуыэюяіәөүұ")
_CONSONANTS = frozenset("бвгджзклмнпрстфхцчшщғқңһ")
# Signs text is written with besides letters: quotes, dashes, №, the ellipsis, a no-break space…
_TEXT_SIGNS = frozenset("«»„“”‘’‚–—…№•·°±µ§©®™€\u00a0\u00ad")
_LETTERS = re.compile(r"[\u0400-\u04ff]+")  # Cyrillic: every letter past ASCII of the three code pages

_ASCII = bytes(range(128))
# A word holding a byte past ASCII; it starts where no Latin letter stands before it and takes its
# Latin letters at once, so a long run of them (a base64 blob) is scanned once, not from each letter.
_WORD = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]*+-?[\x80-\xff][A-Za-z0-9\x80-\xff]*")
WORD_BYTES = 64  # of a longer word only its start is scored (and cached)


def cyrillic_codec(content: bytes) -> str:
    """The code page (of ``CANDIDATES``) whose reading of ``content`` looks most Russian, cp1251
    unless another reads better by the margin its number of words asks (:func:`needed_margin`);
    ``content`` is no UTF-8 (the caller has tried it)."""
    words, evidence = weigh(content)
    best = max(evidence, key=lambda codec: evidence[codec], default=CANDIDATES[0])
    return best if evidence.get(best, 0.0) >= needed_margin(words) else CANDIDATES[0]


def weigh(content: bytes) -> tuple[int, dict[str, float]]:
    """How many different words of two bytes past ASCII or more ``content`` holds, and by how much
    each other code page of ``CANDIDATES`` reads them better than cp1251: the sum over the different
    words (a word a page repeats, a menu or «+25°» in each row, is one piece of evidence) of how much
    better each reads, at most ``WORD_EVIDENCE`` a word either way, so one odd word weighs little."""
    found = {m[0][:WORD_BYTES] for m in islice(_WORD.finditer(content, 0, SCAN_BYTES), SAMPLE_WORDS)}
    if not found or _mostly_utf8(b" ".join(found)):
        return 0, {}
    words = sum(len(word.translate(None, _ASCII)) >= 2 for word in found)
    evidence = dict.fromkeys(CANDIDATES[1:], 0.0)
    for word in found:
        first = _score_word(word.decode(CANDIDATES[0], "replace"))
        for codec in evidence:
            better = _score_word(word.decode(codec, "replace")) - first
            evidence[codec] += max(-WORD_EVIDENCE, min(WORD_EVIDENCE, better))
    return words, evidence


def needed_margin(words: int) -> float:
    """How much better another code page must read ``words`` different words than cp1251 does: no
    switch under ``MIN_WORDS``, ``MARGIN`` from ``FULL_WORDS`` on, and in between a margin that
    grows as the text gets shorter (a wrong switch is worse than a missed one: cp1251 is what such
    pages nearly always are)."""
    if words < MIN_WORDS:
        return math.inf
    return MARGIN + SHORT_MARGIN * max(0, FULL_WORDS - words)


def _mostly_utf8(sample: bytes) -> bool:
    """Whether most bytes past ASCII of ``sample`` read as UTF-8: a UTF-8 page with more than a few
    bytes that are not (``http_body.utf8_with_strays``) keeps the cp1251 reading it had; this rule is
    for pages in one single-byte code page, where next to no byte past ASCII reads as UTF-8."""
    high = len(sample.translate(None, _ASCII))
    return sample.decode("utf-8", "replace").count("\ufffd") * 2 < high


@lru_cache(maxsize=8192)
def _score_word(text: str) -> float:
    """How Russian the letters past ASCII of a word look: the sum of each run of letters' score
    (:func:`_letters`) and of each sign's (:func:`_signs`); cached, as a page repeats its words."""
    total = 0.0
    end = 0
    for run in _LETTERS.finditer(text):
        total += _signs(text, end, run.start())
        end = run.end()
        start = run.start()
        after_number = text[start - 2 : start - 1].isdigit() and text[start - 1 : start] == "-"
        if len(run[0]) == 1 and (_is_alnum(text, start - 1) or _is_alnum(text, end) or after_number):
            # one letter against a digit or a Latin letter is a sign, not a word: cp1251's «°» and
            # «µ» read as ISO-8859-5 are «А» and «Е» ("+25°", "35 µg"), «4й» reads «4И» in KOI8-R
            continue
        total += _letters(run[0], text[run.start() - 1] if run.start() else " ")
    return total + _signs(text, end, len(text))


def _is_alnum(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i] < "\x80" and text[i].isalnum()


def _letters(run: str, before: str) -> float:
    """The score of a run of letters: each letter's frequency, a capital after a small letter
    (``_CAPITAL_INSIDE``), and the spelling of the run. A word in capitals costs nothing more than one
    in small letters: cp1251 small letters read as KOI8-R are capitals and the other way round, so
    case tells the code pages apart only where it changes inside a word («рПХБЕР»)."""
    total = _spelling(run.lower())
    for char in run:
        low = char.lower()
        total += _FREQUENCY.get(low, _RARE)
        if char != low and before.isalpha() and before.islower():
            total += _CAPITAL_INSIDE
        before = char
    return total


def _signs(text: str, start: int, stop: int) -> float:
    """What the signs past ASCII in ``text[start:stop]`` cost: ``_ODD_SIGN`` for one no text is
    written with, or for a sign inside a word."""
    total = 0.0
    for i in range(start, stop):
        char = text[i]
        if char < "\x80":
            continue
        inside = 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha()
        if inside and char not in "’·\u00ad":
            # cp1251's Kazakh letters read as KOI8-R («Бұл» reads «а╒К»): twice as odd as a lone sign
            total += _ODD_SIGN * (1 if char in _TEXT_SIGNS else 2)
        elif char not in _TEXT_SIGNS:
            total += _ODD_SIGN
    return total


def _spelling(word: str) -> float:
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
        elif letter in _CONSONANTS and letter != previous:  # «ккккак»: a letter held, not a cluster
            consonants += 1
            if consonants > 3:
                cost += _BAD_SPELLING
        soft_after_vowel = letter in "ьъ" and (not previous or previous in _VOWELS)
        if soft_after_vowel or (letter == "й" and previous in _CONSONANTS):
            cost += _BAD_SPELLING
        previous = letter
    if not vowel_seen and len(word) >= 3:
        cost += _BAD_SPELLING
    return max(cost, 2 * _BAD_SPELLING)  # a word of nonsense («бйбй») is no more telling than two slips
