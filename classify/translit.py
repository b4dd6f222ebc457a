"""Russian typed in Latin letters ("translit": «na nashei ulitse net sveta») back to Cyrillic.

People without a Cyrillic keyboard write Russian this way in chats and comments. Such a text is
recognised by common Russian words spelled in Latin letters that outnumber English, German and
French function words; its Latin words are then mapped letter by letter (zh → ж, shch → щ, ya → я,
y → ы or й ...). Kazakh typed in Latin letters is recognised first, by ``normalise``.
"""

from __future__ import annotations

import re
from functools import lru_cache

# The commonest Russian words as typed in Latin letters: ``normalise`` counts them against a text
# being Kazakh Latin, and they are Russian cues here.
RU_FUNCTION_WORDS = frozenset(
    """na ya ty vy ona oni eto chto kak vse uzhe ochen net po za iz no dlya pri tak tozhe esli kogda
    gde nas vas nam nikto nichego mozhno nuzhno budet byl bylo byli est sredi odin odna""".split()  # noqa: SIM905 (reads better as text)
)
# Common Russian words as typed in Latin letters. Two of them (distinct) mark a text as Russian
# translit when English, German and French function words do not outnumber them.
RU_TRANSLIT_WORDS = RU_FUNCTION_WORDS | frozenset(
    """ne vsyo nado byla my mne menya tebe vam ego ee ikh ih pochemu zachem kto chtoby tolko seychas
    sejchas segodnya vchera zavtra eshe eshche yeshche davno opyat snova privet spasibo pozhaluysta
    pozhalujsta bez posle cherez mezhdu vsegda nikogda vsem vsekh etot eta eti etu etom etoy tam
    tut zdes kotoryy kotoraya kotorye kotorykh ulitse ulitsa ulice ulica doma dom dvore vody voda
    sveta svet dorogi doroga dorogu remont remonta zhiteli zhiteley akimat akimata dnya dney
    nedelyu mesyats tri dva dve pyat deneg dengi vzyatku vzyatki trebuyut trebuet tebya sebya
    dolzhen dolzhny mozhet byt budu khochu hochu znayu znaet delat sdelat ili nu vot potomu chem
    chego kakoy kakaya kakie takoy takaya takie svoy nash nasha nashi nashey nashei vash voobshe
    voobshche prosto pravda khorosho horosho plokho ploho mnogo malo vsego""".split()  # noqa: SIM905
)
LATIN_WORDS_JUDGED = 200  # the opening of a text is enough to tell its Latin words' language
# A Russian word counts as Russian translit only outside these, which English, German and French
# spell the same way.
_AMBIGUOUS = frozenset(["no", "est", "tam", "my", "dom", "pri"])
_CUES = RU_TRANSLIT_WORDS - _AMBIGUOUS
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
# Letter groups first (longest first), then single letters.
_GROUPS = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("ts", "ц"),
    ("yu", "ю"),
    ("ya", "я"),
    ("yo", "е"),
    ("ju", "ю"),
    ("ja", "я"),
    ("jo", "е"),
)
_SINGLE = {
    "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "z": "з", "i": "и", "j": "й",
    "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т",
    "u": "у", "f": "ф", "h": "х", "c": "ц", "q": "к", "w": "в", "x": "кс", "'": "ь",
}  # fmt: skip
_VOWELS = frozenset("аеиоуыэюя")
_I_AT_END = frozenset(["moi", "tvoi", "svoi", "geroi"])
_WORD_OR_PLACEHOLDER = re.compile(r"\[(?:url|email|user|phone)\]|[A-Za-z][A-Za-z']*")


def looks_russian_translit(text: str, other_words: frozenset[str]) -> bool:
    """True when the Latin words of ``text`` read as Russian: two distinct common Russian words
    (``RU_TRANSLIT_WORDS``) that ``other_words`` (English, German, French function words) do not
    outnumber."""
    russian: set[str] = set()
    other = 0
    for count, match in enumerate(_LATIN_WORD.finditer(text), 1):
        if count > LATIN_WORDS_JUDGED:
            break
        low = match.group(0).lower()
        if low in _CUES:
            russian.add(low)
        elif low in other_words:
            other += 1
    return len(russian) >= 2 and len(russian) > other


@lru_cache(maxsize=50_000)
def _map_word(word: str) -> str:
    low = word.lower()
    out: list[str] = []
    i = 0
    while i < len(low):
        for group, cyrillic in _GROUPS:
            if low.startswith(group, i):
                out.append(cyrillic)
                i += len(group)
                break
        else:
            ch = low[i]
            if ch == "y":
                after_vowel = bool(out) and out[-1][-1] in _VOWELS
                if low.startswith("ye", i):  # «ye» opens a word or follows a vowel as е; «novye» is новые
                    out.append("е" if not out or after_vowel else "ые")
                    i += 2
                    continue
                out.append("й" if after_vowel else "ы")
            else:
                out.append(_SINGLE.get(ch, ch))
            i += 1
    # A final «i» after a vowel is й («nashei», «kakoi», «dai»), except in мои, твои, свои.
    if len(out) > 1 and out[-1] == "и" and out[-2][-1] in _VOWELS and low not in _I_AT_END:
        out[-1] = "й"
    result = "".join(out)
    if word[:1].isupper():
        result = result[:1].upper() + result[1:]
    return result


def russian_from_translit(text: str) -> str:
    """Every Latin word of the text mapped to Cyrillic; placeholders ([url] ...) stay as they are."""
    return _WORD_OR_PLACEHOLDER.sub(_replace, text)


def _replace(match: re.Match[str]) -> str:
    word = match.group(0)
    return word if word.startswith("[") else _map_word(word)
