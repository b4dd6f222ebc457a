"""What a text search of the review page (and `export --search`) looks for: the words as typed, and
for a word of three letters or more every spelling the classifier reads as the same word (Kazakh
Cyrillic, the 2021 alphabet, informal phone Latin, Russian translit), from a word's start; as one
RE2 expression, matched case-insensitively per column (review/queries.py)."""

from __future__ import annotations

import re
from collections import defaultdict

from classify.normalise import latin_to_cyrillic
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
    reads as it (:func:`spelled`: «жол» also as jol, zhol; «жоқ» as joq, zhok), from a word start.

    i also matches the 2021 alphabet's capital İ, which (?i) does not fold (lower() did).
    """
    terms = search_terms(query)
    literal = "|".join(_re2_literal(term) for term in terms)
    # A Latin query may be Kazakh or Russian translit («shkola»: шқола or школа): both forms spelled.
    forms = [terms[-1], russian_from_translit(terms[0])] if len(terms) > 1 else terms
    wide = [
        spelled(form) for form in dict.fromkeys(form.lower() for form in forms) if _WIDE_WORD.search(form)
    ]
    if not wide:
        return f"(?i){literal}"  # «ne», «а»: in every other Russian text (review)
    return f"(?i){literal}|(?:^|[^\\pL\\pM])(?:{'|'.join(wide)})"


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
    for latin, cyrillic in pairs:
        if cyrillic and latin != "'":  # Kazakh drops an apostrophe; translit's ь for it is too loose
            found[cyrillic].add(latin)
    found["е"].add("ё")
    return {cyr: sorted(spellings, key=lambda s: (-len(s), s)) for cyr, spellings in found.items()}


_SPELLINGS = _spellings()
_PAIRS = frozenset(cyrillic for cyrillic in _SPELLINGS if len(cyrillic) == 2)


def spelled(text: str) -> str:
    """An RE2 expression matching ``text`` (lower-case Cyrillic) in Cyrillic and every Latin spelling
    of each letter (``_SPELLINGS``); other characters literally."""
    text = text.lower().replace("ё", "е")  # е stands for ё, as the classifier reads both
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in _PAIRS:  # «кс» as x, «ые» as ye; or letter by letter
            out.append(f"(?:{'|'.join(_SPELLINGS[pair])}|{_letter(pair[0])}{_letter(pair[1])})")
            i += 2
        else:
            out.append(_letter(text[i]))
            i += 1
    return "".join(out)


def _letter(ch: str) -> str:
    spellings = _SPELLINGS.get(ch)
    return (
        "(?:" + "|".join(_re2_literal(s) for s in [*spellings, ch]) + ")" if spellings else _re2_literal(ch)
    )
