"""Language of one text: ru, kk, mixed or other.

Script cues decide most texts without a model: the Kazakh letters әғқңөұүһі and common Kazakh words
(also as typed without Kazakh letters: жок, керек, ушин) against common Russian function words.
Texts in a neighbouring Cyrillic language (Ukrainian, Kyrgyz, Uzbek) are other: their own letters and
words outweigh the Kazakh letters they share. Only texts with no cue at all (or mostly Latin letters)
go to lingua, restricted to a few languages; lingua ships its own models, nothing is downloaded. The
word lists are in classify/lang_words.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat
from typing import Any

from classify.lang_neighbours import (
    KYRGYZ,
    NEIGHBOUR_WORDS,
    UKRAINIAN,
    has_neighbour_letter,
    neighbour_cues,
    neighbour_of,
)
from classify.lang_words import KK_ENDINGS, KK_PLAIN_WORDS, KK_WORDS, RU_WORDS
from classify.normalise import (
    KAZAKH_LETTERS,
    WITHOUT_KAZAKH_LETTERS,
    has_kazakh_letter,
    without_placeholders,
)

log = logging.getLogger(__name__)

LANGS = ("ru", "kk", "mixed", "other")

# Lower-case letters of the region (the Cyrillic ones of Russian, Kazakh and their neighbours).
_WORD = re.compile(r"[a-zа-яәғқңөұүһіїєґўҳҷӣӯҗҡҙҫàáâäçèéêëíîïñóôöúûüğışūǵńý]+")

_WARNED: list[bool] = []
SAMPLE_CHARS = 800  # the opening of a text is enough to tell its language
_KK_PLAIN = frozenset(w for w in KK_WORDS | KK_PLAIN_WORDS if not has_kazakh_letter(w) and w not in RU_WORDS)
_KK_LETTER_LIST = tuple(KAZAKH_LETTERS)  # the Kazakh letters, counted one by one with str.count
# Kazakh words typed without the Kazakh letters that are also Russian words or names («аким» is
# Russian in Kazakhstan, «бар», «осы», «де», «Ким»): they count as Kazakh cues, but one of them alone
# does not make a text Kazakh.
_KK_PLAIN_SHARED = frozenset(
    ["аким", "де", "бар", "па", "ма", "али", "бен", "пен", "ким", "осы", "коп", "кала", "бала", "аса", "кана"]
)
# One look-up per word for the word lists (they are disjoint): a Kazakh cue counts 1 (and 1 << 16 more
# when it is also Russian), a Russian cue 1 << 32, a word of a neighbouring language 1 << 48. At most
# 800 words: each count stays below 1 << 16.
_SHARED_UNIT = 1 << 16
_RU_UNIT = 1 << 32
_NEIGHBOUR_UNIT = 1 << 48
_COUNT = _SHARED_UNIT - 1
_CUES = {
    **dict.fromkeys(_KK_PLAIN, 1),
    **dict.fromkeys(_KK_PLAIN & _KK_PLAIN_SHARED, 1 + _SHARED_UNIT),
    **dict.fromkeys(RU_WORDS, _RU_UNIT),
    **dict.fromkeys(NEIGHBOUR_WORDS, _NEIGHBOUR_UNIT),
}


# Kazakh's own letters ғ қ ұ (positions in KAZAKH_LETTERS), and і. Tatar writes ә ң ө ү һ and Kyrgyz
# ң ө ү, but neither ғ, қ, ұ nor і; Ukrainian and Belarusian write і alone.
_OWN_AT = tuple(KAZAKH_LETTERS.index(letter) for letter in "ғқұ")
_I_AT = KAZAKH_LETTERS.index("і")
# Frequent Tatar words that Kazakh and Russian spell otherwise, in none of the shared texts («юк» for
# жоқ, «өчен» for үшін, «ришвәт» for пара); not «бер», «һәм», «түгел», which Kazakh writes too.
_TATAR = """
юк юкка белән өчен иде бирле дип инде гына генә кебек хәзер кайчан ничек нигә бик өч шулай монда
кешеләр рәхмәт эшләми килми килде булды булган юл юлы юллар юлда ришвәт нәрсә
"""
_TATAR_WORDS = frozenset(_TATAR.split())
# Tatar suffixes hold ә, Kazakh ones е: «мәктәпкә», «эшләнгән», «көннән».
_TATAR_SUFFIX = re.compile(r"[аеиоуыэюяәөүё][^аеиоуыэюяәөүё]*(?:ләр|нәр|дә|тә|гә|кә|дән|тән|нән|гән|кән)$")
_KK_LETTER_WORDS = frozenset(w for w in KK_WORDS if has_kazakh_letter(w))
# Belarusian «вывозяць», «дзень», «дзе»; Ukrainian writes no ы, э or ъ, which nearly every Kazakh text has.
_BELARUSIAN = re.compile(r"(?:ць|дзь)$|дз[еяію]")
_NOT_UKRAINIAN = re.compile("[ыэъ]")
# Ukrainian evidence beyond one word with і (a Kazakh name in a Russian text: «Жетісу», «Тілендиева»):
# its function words (not «для», «та», Russian too), its shapes («питання», «сміття», «років»,
# «міської»), or two words that hold і beside а, о, я or ю, which Kazakh vowel harmony never does.
_UKRAINIAN_WORDS = frozenset(["і", "що", "це", "як", "але", "від", "після", "немає", "вже"])
_UKRAINIAN_SHAPE = re.compile(r"([бвджзклмнпрстцчш])\1я$|ів$|ськ")
_I_BACK = re.compile("і.*[аояю]|[аояю].*і")


def _tatar_or_kyrgyz(words: list[str], ru: float) -> bool:
    """True when a text with Kazakh letters but none of ғ қ ұ і is Tatar or Kyrgyz: their words (Tatar
    «юк», «ришвәт», suffixes with ә; Kyrgyz words and shapes, ``KYRGYZ``) outnumber its Kazakh words that
    hold a letter («көп», «үйде») and its Russian cues. Kazakh typed without its letters («бир», «алып»,
    «жасалган») is how Tatar and Kyrgyz spell those words: no cue here. One such word decides only
    when nothing else does."""
    tatar = sum(1 for word in words if word in _TATAR_WORDS or _TATAR_SUFFIX.search(word))
    own, explained, _, _ = neighbour_cues(words, KYRGYZ)
    foreign = max(tatar, own if explained else 0)
    kazakh = sum(1 for word in words if word in _KK_LETTER_WORDS)
    return foreign > kazakh and foreign > ru and (foreign >= 2 or not kazakh + ru)


def _east_slavic(sample: str, words: list[str], ru: float) -> bool:
    """True when a text whose only Kazakh letter is і is Belarusian (a word in -ць, -дзь or with дзе,
    дзя) or Ukrainian (three words or more, one of them a function word it shares with Russian, «не»,
    «на», no ы, э or ъ, and Ukrainian evidence: ``_UKRAINIAN_WORDS``, ``_UKRAINIAN_SHAPE``, ``_I_BACK``),
    and has no Kazakh word («бір», «бері»; not «не», «де», which they write
    too) nor a word with a Kazakh ending («істемейді»). Short Kazakh texts often lack ы («Ер есімі – ел
    есінде»), never with a Russian word and no Kazakh one."""
    for word in words:
        if (word in KK_WORDS and word not in UKRAINIAN.common) or (
            len(word) >= 5 and word[-3:].translate(WITHOUT_KAZAKH_LETTERS) in KK_ENDINGS
        ):
            return False
    if any(_BELARUSIAN.search(word) for word in words):
        return True
    if not ru or len(words) < 3 or _NOT_UKRAINIAN.search(sample) is not None:
        return False
    back = sum(1 for word in words if _I_BACK.search(word))
    return back >= 2 or any(word in _UKRAINIAN_WORDS or _UKRAINIAN_SHAPE.search(word) for word in words)


@lru_cache(maxsize=1)
def _cyrillic_detector() -> Any:
    """Russian against Kazakh only: for Cyrillic texts without a cue either way."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.RUSSIAN, Language.KAZAKH).build()


@lru_cache(maxsize=1)
def _detector() -> Any:
    """The lingua detector, built once, restricted to the languages this region writes in."""
    from lingua import Language, LanguageDetectorBuilder

    languages = (
        Language.RUSSIAN,
        Language.KAZAKH,
        Language.ENGLISH,
        Language.UKRAINIAN,
        Language.TURKISH,
        Language.BELARUSIAN,
        Language.MONGOLIAN,
        Language.GERMAN,
    )
    return LanguageDetectorBuilder.from_languages(*languages).build()


def lingua_unused() -> bool:
    """True until this process has built a lingua detector (its Rust thread pool starts with the first
    batch detected; forking is safe only before)."""
    return _cyrillic_detector.cache_info().currsize == 0 and _detector.cache_info().currsize == 0


def _lingua(texts: list[str], *, cyrillic: bool) -> list[str]:
    """Ask lingua about several texts at once (in parallel); anything but ru or kk is ``other``."""
    try:
        detector = _cyrillic_detector() if cyrillic else _detector()
        found = (
            detector.detect_languages_in_parallel_of(texts)
            if len(texts) > 1
            else [detector.detect_language_of(texts[0])]
        )
    except Exception as exc:  # lingua missing or broken: a language id is not worth failing a batch
        if len(texts) > 1 and (_cyrillic_detector if cyrillic else _detector).cache_info().currsize:
            # The detector works but refused the batch: one text it cannot read fails them all, so
            # each is asked alone and only such a text is called other.
            return [lang for text in texts for lang in _lingua([text], cyrillic=cyrillic)]
        if not _WARNED:
            log.warning("lingua could not classify texts (%s); calling them other", exc)
            _WARNED.append(True)
        return ["other"] * len(texts)
    names = [lang.name if lang is not None else "" for lang in found]
    return ["ru" if n == "RUSSIAN" else "kk" if n == "KAZAKH" else "other" for n in names]


def _by_cues(text: str) -> tuple[str, str | None]:
    """(language, None) when script cues decide; else ("", detector) naming which lingua detector to ask."""
    sample = text[:SAMPLE_CHARS].lower()
    if "[" in sample:
        sample = without_placeholders(sample)
    words = _WORD.findall(sample)
    if not words:
        return "other", None
    counts = list(map(sample.count, _KK_LETTER_LIST))
    letters = sum(counts)  # each Kazakh letter counts as one Kazakh cue
    latin = sum(map(str.isascii, words))
    cyrillic = len(words) - latin
    cues = sum(map(_CUES.get, words, repeat(0)))
    kk = letters + (cues & _COUNT)
    shared = (cues // _SHARED_UNIT) & _COUNT  # Kazakh cues that are also Russian words
    ru = float((cues // _RU_UNIT) & _COUNT)
    if latin > cyrillic:
        return ("", "all") if latin >= 2 else ("other", None)
    if letters and not any(map(counts.__getitem__, _OWN_AT)):
        # None of ғ қ ұ: Tatar, Kyrgyz, Ukrainian or Belarusian? Their words or shapes decide.
        if counts[_I_AT] == letters:
            if not cues & _COUNT and _east_slavic(sample, words, ru):
                return "other", None
        elif not counts[_I_AT] and _tatar_or_kyrgyz(words, ru):
            return "other", None
    group = neighbour_of(counts, letters)  # None for most Kazakh texts: letters beyond one neighbour's
    if (
        cues >= _NEIGHBOUR_UNIT
        or (group is not None and group.shape is not None and group.shape.search(sample))
        or ((group is not None or not letters) and has_neighbour_letter(sample))
    ):
        # Ukrainian, Kyrgyz or Uzbek? Their words against the Kazakh and the Russian cues. Once a neighbour
        # shows (its letters explain the Kazakh ones, or two of its words), the cue words it shares
        # («на», «де», «жок») count for neither; one word of its own (a name: «Євген», «Лише») among
        # Russian or Kazakh cues does not decide.
        foreign, explained, shaped, common = neighbour_cues(words, group)
        # A word of a neighbour's shape alone explains the letters in a Russian text (a name:
        # «Айгүл Төлөбаева пожаловалась...»), not among Kazakh words («Көктөбеде жарык жок»).
        if explained or (shaped and ru > kk - letters):
            kk -= letters
            letters = 0
        kk_left, ru_left = kk, ru
        if explained or foreign >= 2:
            for word in words:
                if word in common:
                    kk_left -= _CUES.get(word, 0) & _COUNT
                    ru_left -= (_CUES.get(word, 0) // _RU_UNIT) & _COUNT
        if foreign > kk_left and foreign > ru_left and (foreign >= 2 or not kk_left + ru_left):
            return "other", None
    if not letters and ru <= kk + 1:  # maybe Kazakh without its letters: read the endings too
        kk += sum(1 for word in words if len(word) >= 5 and word[-3:] in KK_ENDINGS)
    # No cue, or one Kazakh word typed without Kazakh letters that is also a Russian word or name; one
    # Kazakh word that is not («бугин», «жаксы», «мумкин») and no Russian one decides.
    if ru == 0 and not letters and kk - shared < 1 and kk < 2:
        return "", "cyrillic"
    if kk and ru:
        share = kk / (kk + ru)
        if min(kk, ru) >= 2 and 0.2 <= share <= 0.8:
            return "mixed", None
        return ("kk" if share > 0.5 else "ru"), None
    return ("kk" if kk else "ru"), None


def detect_languages(texts: Sequence[str]) -> list[str]:
    """ru, kk, mixed or other for each (normalised) text; lingua runs once per batch for the undecided."""
    result: list[str] = []
    ask: dict[str, list[int]] = {"all": [], "cyrillic": []}
    for n, text in enumerate(texts):
        lang, detector = _by_cues(text)
        result.append(lang)
        if detector:
            ask[detector].append(n)
    for detector, positions in ask.items():
        if positions:
            samples = [without_placeholders(texts[n][:1000]).lower() for n in positions]
            for n, lang in zip(positions, _lingua(samples, cyrillic=detector == "cyrillic"), strict=True):
                result[n] = lang
    return result


def detect_language(text: str) -> str:
    """ru, kk, mixed or other for one (normalised) text: script cues first, lingua when they are silent."""
    return detect_languages([text])[0]
