"""Texts in a neighbouring Cyrillic language (Ukrainian, Kyrgyz, Uzbek), which the monitor calls other.

Their texts hold Kazakh letters too (Ukrainian і; Kyrgyz ң, ө, ү; Uzbek қ, ғ), which classify/lang.py
counts as Kazakh cues. A neighbour's word holds one of its own letters (Ukrainian ї, є; Uzbek ў, ҳ),
is one of its frequent words, or has its shape (Kyrgyz «көчөдө»). When all the Kazakh letters of a
text are letters of one neighbour that has a word of its own there, they are that neighbour's letters
and no Kazakh cue.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from classify.normalise import KAZAKH_LETTERS


class Neighbour(NamedTuple):
    """The cues of one neighbouring language."""

    shared: frozenset[str]  # the Kazakh letters it writes too
    letters: str  # its letters that neither Russian nor Kazakh writes
    shape: re.Pattern[str] | None  # read only in a text whose Kazakh letters are all its shared ones
    words: frozenset[str]  # frequent words of its own, in none of the 42,000 shared texts
    common: frozenset[str]  # Russian and Kazakh cue words that are its words too: no cue in its texts
    strong: re.Pattern[str] | None = None  # a shape that counts as one of its words («бүгүн», «көлдө»)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ґ is not among Ukrainian's letters: Kazakh is typed with it for ғ («толыґымен», a shared review).
# ў is Belarusian too, which writes і. The shape: «років», «питання», «його», «вулиці», «дають».
UKRAINIAN = Neighbour(
    shared=frozenset("і"),
    letters="їєў",
    shape=re.compile(r"ів\b|ння|ьо|ці\b|ють\b"),
    words=_words(
        """
        що щоб ще це цей ця цього цю як якщо який яка які від вже дуже його також тільки лише всюди
        знову ніхто нічого ніколи чому потрібно будь ласка дякую була був були вулиця вулиці вулицю
        вулицях світла світло місто міста місті селі хабарі хабарів хабарем просимо тиждень тижня досі
        довго зробіть зробити ремонтувати відремонтувати треба
        """
    ),
    common=_words(
        "в не на по а у за о об до при без над через так же там нам нас вам вас дом дома ремонт де"
    ),
)
# Kyrgyz rounds the vowels of its suffixes after ө and ү («көчөдө», «күндөн», «бөлүнгөн»), where Kazakh
# writes е and і, and writes long vowels double («суу», «жооп», «ичүүчү»; a stretched «өөөөте» is not).
KYRGYZ = Neighbour(
    shared=frozenset("ңөү"),
    letters="",
    shape=re.compile(r"[өү][бвгджзйклмнңпрстфхцчшщъь]+[өү]|(?<![оуөүэ])(?:оо|уу|өө|үү|ээ)(?![оуөүэ])"),
    words=_words(
        """
        үчүн учүн суу сууну суусу суудан сууга эмес эле эч өтө абдан эмне эмнеге качан силер ушул
        айыл айылда айылы айылга шаар шаарда шаардын көчө көчөдө көчөнү көчөлөр акча акчаны жооп
        жатат жатабыз жатышат чуңкур чункур оңдоп оңдошпойт кайрылдык жокпу
        """
    ),
    common=_words("жок бар бул жол ким кандай кайда керек биз сиз мен биздин менин жарык деп деген жаман аз"),
    # A word whose last vowel is a rounded ө or ү after another («бүгүн», «көлдө», «үйлөрдө», «сүйлөшүү»):
    # Kazakh writes е or і there. Not a rounded root before a Kazakh ending («Көктөбеде», «Төлөбаева»).
    strong=re.compile(
        r"[өү][бвгджзйклмнңпрстфхцчшщъь]+[өү][бвгджзйклмнңпрстфхцчшщъь]*$|[өү](?:өө|үү)$|[^өү](?:өө|үү)$"
    ),
)
# Uzbek writes ъ after a vowel («таъмир») and its present tense in -яп- («қилмаяпти», «кутяпмиз»).
UZBEK = Neighbour(
    shared=frozenset("қғ"),
    letters="ўҳ",
    shape=re.compile(r"[аеиоу]ъ|яп(?:ти|миз|ман|сиз)\b"),
    words=_words(
        """
        ва билан учун жуда эмас керак лекин чунки сув суви сувга сувни нарса тоза жавоб мактаб
        мактабга вилоят ариза емон ердам илтимос качон каерда таъмир таъмирлаш
        """
    ),
    common=_words("мен биз сиз бир кейин ким"),
)
# Letters of other neighbours (Tajik ҷ ӣ ӯ, Tatar җ, Bashkir ҡ ҙ ҫ): their words count, no letter is theirs.
OTHERS = Neighbour(frozenset(), "ҷӣӯҗҡҙҫ", None, frozenset(), frozenset())
NEIGHBOURS = (UKRAINIAN, KYRGYZ, UZBEK, OTHERS)
NEIGHBOUR_WORDS = frozenset().union(*(n.words for n in NEIGHBOURS))
_OWN_LETTERS = tuple("".join(n.letters for n in NEIGHBOURS))
_LETTERS = tuple(re.compile(f"[{n.letters}]") if n.letters else None for n in NEIGHBOURS)
# Where each neighbour's shared letters stand in KAZAKH_LETTERS (the order of the counts).
_SHARED_AT = tuple(
    (n, tuple(KAZAKH_LETTERS.index(letter) for letter in n.shared)) for n in NEIGHBOURS if n.shared
)


def has_neighbour_letter(text: str) -> bool:
    """True when the text holds a letter of a neighbour that neither Russian nor Kazakh writes."""
    return any(map(text.__contains__, _OWN_LETTERS))  # faster than a regex over the text


def neighbour_of(counts: list[int], letters: int) -> Neighbour | None:
    """The neighbour that writes all the Kazakh letters of a text, from the count of each (in the order
    of KAZAKH_LETTERS) and their sum, or None."""
    if letters:
        for neighbour, at in _SHARED_AT:
            if letters == sum(map(counts.__getitem__, at)):
                return neighbour
    return None


def neighbour_cues(words: list[str], group: Neighbour | None) -> tuple[int, bool, bool, frozenset[str]]:
    """(words of a neighbour, whether the Kazakh letters are a neighbour's, whether one word has the
    shape of ``group``'s, common words).

    ``group`` is the neighbour that writes all the Kazakh letters of the text (neighbour_of). They are
    its letters when it has a word of its own in the text (one of its words or letters; by its shape
    alone, two words): a Kazakh place name or loanword of that shape («Көктөбе», «Үштөбе»,
    «павильон») is one word, and leaves the text Kazakh (review: such complaints came out other). The
    common words are those of the neighbours with a word there.
    """
    own = 0
    group_word = group_shape = False
    common: frozenset[str] = frozenset()
    for word in words:
        hit = False
        for neighbour, letters in zip(NEIGHBOURS, _LETTERS, strict=True):
            if (
                word in neighbour.words
                or (letters is not None and letters.search(word))
                or (neighbour.strong is not None and neighbour.strong.search(word))
            ):
                group_word = group_word or neighbour is group
            elif neighbour is group and neighbour.shape is not None and neighbour.shape.search(word):
                group_shape = True
            else:
                continue
            hit = True
            common |= neighbour.common
        own += hit
    return own, group_word or (group_shape and own >= 2), group_shape, common
