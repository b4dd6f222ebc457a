"""What a text search of the review page (and `export --search`) looks for: the words as typed, and
for a word of three letters or more every spelling the classifier reads as the same word (Kazakh
Cyrillic, the 2021 and 2018 alphabets, informal phone Latin, Russian translit), from a word's start; as one
RE2 expression, matched case-insensitively per column (review/queries.py)."""

from __future__ import annotations

import re
from collections import defaultdict

from classify.kazakh_latin_words import KK_LATIN_LETTERS
from classify.normalise import latin_reading, latin_to_cyrillic
from classify.translit import russian_from_translit

# A search typed in Latin letters: a word of three of them or more («jol», «su joq»); not «ne» or «a»,
# whose Cyrillic forms («не», «а») are in every other Russian text (review).
_LATIN_WORD = re.compile("[A-Za-z\u00c0-\u024f\u0259']{3,}")


def search_terms(query: str) -> list[str]:
    """What a text search looks for as typed: the query, and for one with Latin letters its Kazakh Cyrillic form.

    Reviewers type Kazakh in Latin letters (the 2021 alphabet, or "zhol", "su joq" on a phone) for
    texts written «жол», «су жоқ»: the classifier's mapping gives the Cyrillic, matched as well.
    """
    query = query.replace("İ", "i").replace("\u0307", "")  # the 2021 alphabet's İ: see search_pattern
    cyrillic = latin_to_cyrillic(query) if _LATIN_WORD.search(query) else query
    return [query] if cyrillic.lower() == query.lower() else [query, cyrillic]


def search_pattern(query: str) -> str:
    """The RE2 expression of a text search: :func:`search_terms` as literal text, any case, and for a
    query with a word of three letters or more, its Cyrillic form in every spelling the classifier
    reads as it (:func:`spelled`: «жол» also as jol, zhol; «жоқ» as joq, zhok), as a word of its own
    (:func:`_as_word`: not inside a link, a domain or an address).

    i also matches the 2021 alphabet's capital İ, which (?i) does not fold (lower() did). A query too
    long for RE2 in every spelling (a pasted page) is looked for as typed only.
    """
    terms = search_terms(query)
    literal = "|".join(_re2_literal(term) for term in terms)
    forms = [terms[-1]]
    # A Latin query may also be Russian translit («shkola»: школа), unless it reads as Kazakh: then
    # its translit form is another word («joldar»: «елдар», a name).
    if len(terms) > 1 and not _reads_kazakh(terms[0]):
        forms.append(russian_from_translit(terms[0]))
    wide = [
        _as_word(form) for form in dict.fromkeys(form.lower() for form in forms) if _WIDE_WORD.search(form)
    ]
    if not wide or sum(map(len, wide)) > MAX_SPELLED:
        return f"(?i){literal}"  # «ne», «а»: in every other Russian text (review)
    return f"(?i){literal}|{'|'.join(wide)}"


# Characters of the other spellings' expression at most: RE2 refuses a program much larger (a query
# of about 31,000 characters failed with "pattern too large"); the literal one stays far smaller.
MAX_SPELLED = 200_000


def _reads_kazakh(query: str) -> bool:
    """True when the classifier reads a Latin query as Kazakh (a letter only Kazakh uses, a Kazakh word)."""
    return not KK_LATIN_LETTERS.isdisjoint(query) or latin_reading(query) == "kk"


# Before a word's other spellings: the text's start or a character that neither continues a word nor
# joins a link, a domain, an e-mail address or a @handle (zakon.kz/…, example.net, @almaty, a_b).
_BEFORE = "(?:^|[^\\pL\\pM\\pN/.@_\\-])"
# The rest of the word (an inflection: «joldar», «школы»), then the end, or anything but the start of
# a domain or an address («zakon.kz», «novosti@mail»); a full stop before a space ends a sentence.
_REST = "[\\pL\\pM\\pN_]*"
_END = "(?:$|[^\\pL\\pM\\pN_.@]|\\.(?:$|[^\\pL\\pN]))"
# How the letters after a short word (three letters or fewer) may go on: a Cyrillic letter, or Latin
# ones as a Kazakh ending («joldar», «jolga», «jerdi», 2021 «jolǵa») or a Russian one («doma»,
# «domom»), not as an English or Spanish word (Jersey, Barcelona).
_SHORT_ENDINGS = (
    "lar|ler|dar|der|tar|ter|ny|ni|nı|dy|di|dı|ty|ti|tı|ga|ge|ka|ke|qa|ğa|ǵa|na|ne|da|de|ta|te|nd|"
    "men|ben|pen|sy|si|sı|ly|li|lı|sh|y|i|ı|a|e|u|o|m"
)
_SHORT_REST = f"(?:(?:[\\x{{400}}-\\x{{4ff}}]|{_SHORT_ENDINGS}){_REST})?"


def _as_word(form: str) -> str:
    """``spelled(form)`` as a word of its own: from a word start, to the end of its word; a last word
    of three letters or fewer goes on in Latin letters only as an ending (``_SHORT_ENDINGS``)."""
    last = _CYRILLIC_WORD.findall(form)[-1]
    rest = _SHORT_REST if len(last) <= 3 else _REST
    return f"{_BEFORE}(?:{spelled(form)}){rest}{_END}"


_CYRILLIC_WORD = re.compile("[\u0400-\u04ff]+")
_WIDE_WORD = re.compile("[\u0400-\u04ff]{3,}")  # a Cyrillic word of three letters or more
_RE2_SPECIAL = frozenset("\\.+*?()|[]{}^$")


def _re2_literal(text: str) -> str:
    """``text`` as an RE2 expression that matches it literally; i as [iİ]."""
    return "".join("\\" + ch if ch in _RE2_SPECIAL else "[iİ]" if ch in "iI" else ch for ch in text)


def _spellings() -> dict[str, list[str]]:
    """Each Cyrillic letter (or pair) and the Latin spellings the classifier maps to it, Kazakh
    (normalise) and Russian translit (translit), longest first: «ж» j, zh; «қ» q, k; «кс» x."""
    from classify import normalise, translit

    found: defaultdict[str, set[str]] = defaultdict(set)
    pairs = [*normalise._LATIN_SINGLE.items(), *normalise._LATIN_DIGRAPHS.items()]
    pairs += [*translit._GROUPS, *translit._SINGLE.items()]
    # Chosen by the word's vowels or the letter's place: k, g as қ, ғ; i as і, й; translit y as й, ye as е, ые.
    pairs += [("k", "қ"), ("g", "ғ"), ("i", "і"), ("i", "й"), ("y", "й"), ("ye", "е"), ("ye", "ые")]
    # The 2018 alphabet (normalise.kazakh_alphabet): ı as и, й after a vowel; ıa, ıý as я, ю; u as ұ.
    pairs += [("ı", "и"), ("ı", "й"), ("ıa", "я"), ("ıý", "ю"), ("u", "ұ")]
    for latin, cyrillic in pairs:
        if cyrillic and latin != "'":  # Kazakh drops an apostrophe; translit's ь for it is too loose
            found[cyrillic].add(latin)
    found["е"].add("ё")
    return {cyr: sorted(spellings, key=lambda s: (-len(s), s)) for cyr, spellings in found.items()}


_SPELLINGS = _spellings()
_PAIRS = frozenset(cyrillic for cyrillic in _SPELLINGS if len(cyrillic) == 2)


def spelled(text: str) -> str:
    """An RE2 expression matching ``text`` (lower-case Cyrillic) in Cyrillic and every Latin spelling
    of each letter (``_SPELLINGS``) that the classifier reads as that letter where it stands
    (``_read_here``); other characters literally."""
    text = text.lower().replace("ё", "е")  # е stands for ё, as the classifier reads both
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        before, after = text[i - 1 : i], text[i + 1 : i + 2]
        if pair in _PAIRS:  # «кс» as x, «ые» as ye; or letter by letter
            out.append(f"(?:{'|'.join(_SPELLINGS[pair])}|{_letter(pair[0], before, after)}")
            out.append(f"{_letter(pair[1], pair[0], text[i + 2 : i + 3])})")
            i += 2
        else:
            out.append(_letter(text[i], before, after))
            i += 1
    return "".join(out)


_VOWELS = frozenset("аеиоуыэюяәөұүі")
_AFTER_Y = frozenset("аоуе")  # translit reads y, j before a, o, u, e as one letter: ya я, jo ё, ye е


def _read_here(ch: str, latin: str, before: str, after: str) -> bool:
    """Whether a reader takes ``latin`` for ``ch`` between the letters ``before`` and ``after`` ("" at
    a word's edge). Translit reads y as й only after a vowel, j as й except in ja, ju, jo, and ye as е
    only where a word starts or after a vowel («Yerlan» is Ерлан, not Йерлан); the 2021 alphabet
    writes й as i after a vowel, not before one."""
    if ch == "й":
        if latin == "y":
            return before in _VOWELS and after not in _AFTER_Y
        if latin == "j":
            return after not in _AFTER_Y - {"е"}
        if latin == "i":
            return before in _VOWELS and after not in _VOWELS
        if latin == "ı":
            return before in _VOWELS
    if ch == "е" and latin == "ye":
        return not before.isalpha() or before in _VOWELS
    return True


def _letter(ch: str, before: str = "", after: str = "") -> str:
    spellings = [s for s in _SPELLINGS.get(ch, ()) if _read_here(ch, s, before, after)]
    return (
        "(?:" + "|".join(_re2_literal(s) for s in [*spellings, ch]) + ")" if spellings else _re2_literal(ch)
    )
