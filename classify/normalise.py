"""Text normalisation before language identification and features.

HTML tags and entities are removed, Unicode is composed (NFC), ё becomes е, Kazakh typed in Latin
script (the 2021 alphabet, the 2018 acute alphabet and informal phone spellings) and Russian typed in
Latin letters (``classify.translit``) are mapped to Cyrillic, and URLs, e-mail addresses, @mentions and phone numbers are replaced by placeholders
(``[url]``, ``[email]``, ``[user]``, ``[phone]``) so that they neither leak nor become features.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from classify.kazakh_latin_words import (
    EUROPEAN_WORDS,
    KK_LATIN_ENDINGS,
    KK_LATIN_LETTERS,
    KK_LATIN_WORDS,
)
from classify.latin_neighbours import NEIGHBOUR_LATIN_WORDS, has_neighbour_shape, with_apostrophes
from classify.phones import PHONE_MASK, mask_phones
from classify.translit import (
    LATIN_WORDS_JUDGED,
    RU_FUNCTION_WORDS,
    looks_russian_translit,
    russian_from_translit,
)
from collectors.item import without_surrogates

URL_MASK = "[url]"
EMAIL_MASK = "[email]"
USER_MASK = "[user]"

_SCRIPT_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BLOCK_TAG = re.compile(
    r"<\s*/?\s*(?:br|p|div|li|ul|ol|tr|td|h[1-6]|blockquote|section|article)\b[^>]*>", re.I
)
_TAG = re.compile(r"<\s*/?\s*[A-Za-z][A-Za-z0-9:-]*\b[^<>]*>|<!--.*?-->", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"'«»]*[^\s<>\"'«».,;:!?)]", re.I)
# Bare domains ("tengrinews.kz", "gov.kz/ru/news") are found from their top-level domain, then
# widened to the whole word: scanning for a leading dot is much faster than trying every word start.
_TLD = re.compile(r"\.(?:kz|ru|com|org|net|рф|қаз)\b(?:/[^\s<>\"'«»]*[^\s<>\"'«».,;:!?)])?", re.I)
_DOMAIN_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_абвгдежзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_MENTION = re.compile(r"(?<![\w@])@(?:phone:[0-9a-f]{16}(?![0-9a-z])|[A-Za-z0-9_][A-Za-z0-9_.]{1,63})")
# Only runs of two or more, or odd spaces: a single plain space needs no rewriting.
_SPACES = re.compile(
    r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]{2,}|[\t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]"
)
# The characters _SPACES rewrites even alone (a single plain space is left as it is).
_ODD_SPACE = re.compile(r"[\t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]")
# "[x][x]*" rather than "[x]+": a pattern opening with a character class lets the regex engine skip
# ahead to the next candidate character in one tight loop (about twice as fast over Cyrillic text).
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿĀ-ɏə'’][A-Za-zÀ-ÿĀ-ɏə'’]*")
_LATIN_WORD_SPLIT = re.compile(r"([A-Za-zÀ-ÿĀ-ɏə'’][A-Za-zÀ-ÿĀ-ɏə'’]*)")
_LATIN_CHAR = re.compile(r"[A-Za-zÀ-ÿĀ-ɏə'’]")  # a text holds a Latin word when it holds one of these
_PLACEHOLDER_SPLIT = re.compile(r"(\[(?:url|email|user|phone)\])")
_PLACEHOLDERS = (URL_MASK, EMAIL_MASK, USER_MASK, PHONE_MASK)

# Words of Latin text that is not Kazakh (nor, but for the Russian ones, Russian translit): English,
# German, French, Russian translit, Uzbek, Turkish and Azerbaijani.
_NOT_RUSSIAN_WORDS = EUROPEAN_WORDS | NEIGHBOUR_LATIN_WORDS
_OTHER_LATIN_WORDS = _NOT_RUSSIAN_WORDS | RU_FUNCTION_WORDS
# The first five letters of the common words of five letters or more, for their inflected forms;
# not those that begin English words ("Kazakh", "Salem", "degenerate", "parakeet").
_KK_LATIN_STEMS = frozenset(w[:5] for w in KK_LATIN_WORDS if len(w) >= 5) - {
    "kazak",
    "salem",
    "degen",
    "parak",
}

# 2021 alphabet (І=ı, Ы=y, И/Й=i, У=u, Ұ=ū, Ү=ü) and 2018 acute letters, lower case.
_LATIN_SINGLE = {
    "a": "а", "ä": "ә", "á": "ә", "ə": "ә", "ë": "е", "b": "б", "c": "ц", "ç": "ч", "d": "д", "e": "е", "f": "ф", "g": "г",
    "ğ": "ғ", "ǵ": "ғ", "h": "х", "ı": "і", "i": "и", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н",
    "ñ": "ң", "ń": "ң", "o": "о", "ö": "ө", "ó": "ө", "p": "п", "q": "қ", "r": "р", "s": "с", "ş": "ш",
    "t": "т", "u": "у", "ū": "ұ", "ú": "ү", "ü": "ү", "v": "в", "w": "у", "x": "х", "y": "ы", "ý": "у",
    "z": "з", "'": "", "’": "",
}  # fmt: skip
_LATIN_DIGRAPHS = {
    "sh": "ш",
    "ch": "ч",
    "zh": "ж",
    "kh": "х",
    "gh": "ғ",
    "ts": "ц",
    "ya": "я",
    "yu": "ю",
    "ng": "ң",
}
# The nine letters of Kazakh Cyrillic that Russian lacks, and the Russian letters nearest to them
# (how Kazakh is typed on a Russian keyboard).
KAZAKH_LETTERS = "әғқңөұүһі"
_NEAREST_RUSSIAN = "агкноуухи"
_KAZAKH_BOTH_CASES = KAZAKH_LETTERS + KAZAKH_LETTERS.upper()
_CYR = "А-Яа-я" + _KAZAKH_BOTH_CASES  # Cyrillic letters of both languages (ё is made е first)
_CYR_LETTERS = frozenset(map(chr, range(ord("А"), ord("я") + 1))) | frozenset(_KAZAKH_BOTH_CASES)
_ANY_CYRILLIC = re.compile(f"[{_CYR}]")
# A word with a Latin letter right next to a Cyrillic one: "Бiздiң" typed with a Latin i for і,
# "acфальт" with a Latin a and c, "дəмді" with the Latin schwa (U+0259, which keyboards without
# Kazakh Cyrillic offer for ә), "ëлка" with a Latin e-diaeresis. Its Latin letters are mapped to
# the Cyrillic ones they look like, when all of them have one (not "iPhoneға").
_LOOKALIKE_LATIN = "A-Za-zəƏëË"
_LATIN_RUN = re.compile(f"[{_LOOKALIKE_LATIN}]+")
_MIXED_WORD = re.compile(rf"[^\W\d_]*(?:[{_LOOKALIKE_LATIN}][{_CYR}]|[{_CYR}][{_LOOKALIKE_LATIN}])[^\W\d_]*")
_LOOKALIKES = str.maketrans("aceiopxykmhABCEHIKMOPTXYəƏëË", "асеіорхукмһАВСЕНІКМОРТХУәӘеЕ")
_LATIN_LEFT = re.compile(f"[{_LOOKALIKE_LATIN}]")
_Q_NOT_U = re.compile(r"q(?!u)", re.I)
_BACK_VOWELS = frozenset("aouyū")
_FRONT_VOWELS = frozenset("äáəeöóüúıi")


def _has_markup(text: str) -> bool:
    return "<" in text or "&" in text


def strip_html(text: str) -> str:
    """Remove tags, scripts and comments; decode entities (&amp;, &nbsp;, &#1179;...)."""
    if "<" in text:
        text = _SCRIPT_STYLE.sub(" ", text)
        text = _BLOCK_TAG.sub("\n", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def mask(text: str) -> str:
    """Replace URLs, e-mail addresses, @mentions and phone numbers with placeholders."""
    if "@" in text:
        text = _rewrite_words(text, ("@",), _mask_at_word)
    if "://" in text or "www." in text or "WWW." in text:
        # Only the words holding a scheme or www. are looked at: a URL never contains a space.
        text = _rewrite_words(text, ("://", "www.", "WWW."), _mask_url_word)
    if _TLD.search(text):
        text = _mask_domains(text)
    return mask_phones(text)  # classify.phones


def _rewrite_words(text: str, markers: tuple[str, ...], rewrite: Callable[[str], str]) -> str:
    """Apply ``rewrite`` to each space-separated word holding one of ``markers``; the rest is kept."""
    # The next position of each marker still present; a marker is looked for again only once the
    # rewritten words have passed it (looking for every marker after every word rescans the text).
    ahead = {marker: found for marker in markers if (found := text.find(marker)) >= 0}
    if not ahead:
        return text
    parts: list[str] = []
    last = 0
    size = len(text)
    while ahead:
        hit = min(ahead.values())
        start = text.rfind(" ", last, hit) + 1 or last
        end = text.find(" ", hit)
        if end < 0:
            end = size
        parts.append(text[last:start])
        parts.append(rewrite(text[start:end]))
        last = end
        for marker, found in list(ahead.items()):
            if found < last:
                found = text.find(marker, last)
                if found < 0:
                    del ahead[marker]
                else:
                    ahead[marker] = found
    parts.append(text[last:])
    return "".join(parts)


def _mask_url_word(word: str) -> str:
    """URLs inside one word."""
    return _URL.sub(URL_MASK, word)


def _mask_at_word(word: str) -> str:
    """E-mail addresses and @mentions inside one word."""
    word = _EMAIL.sub(EMAIL_MASK, word)
    return _MENTION.sub(USER_MASK, word) if "@" in word else word


def _mask_domains(text: str) -> str:
    """Replace bare domains (with an optional path) by the URL placeholder."""
    parts: list[str] = []
    last = 0
    for match in _TLD.finditer(text):
        start = match.start()
        while start > last and text[start - 1] in _DOMAIN_CHARS:
            start -= 1
        if start == match.start():
            continue  # ".kz" after a space or at the start: not a domain
        parts.append(text[last:start])
        parts.append(URL_MASK)
        last = match.end()
    parts.append(text[last:])
    return "".join(parts)


def latin_reading(text: str) -> str:
    """How ``normalise`` reads the Latin words of a text (placeholders taken out): "kk" for Kazakh in
    Latin letters, "ru" for Russian translit, both then mapped to Cyrillic; "" when they stay."""
    first_latin = _LATIN_CHAR.search(text)
    return "" if first_latin is None else _latin_reading(text, first_latin.start())


def _latin_reading(text: str, start: int) -> str:
    if "‘" in text or "ʻ" in text or "`" in text:
        text = with_apostrophes(text)  # «ko‘cha» one word, as «ko'cha» is (same length: start holds)
    if _looks_kazakh_latin(text, start):
        return "kk"
    return "ru" if looks_russian_translit(text, _NOT_RUSSIAN_WORDS) else ""


def looks_kazakh_latin(text: str) -> bool:
    """True when the Latin words of a text read as Kazakh (special letters, common words, endings)."""
    return _looks_kazakh_latin(text, 0)


def _looks_kazakh_latin(text: str, start: int) -> bool:
    """``looks_kazakh_latin`` for a text whose first Latin letter is at or after ``start``.

    Kazakh cues: a word with a letter only Kazakh spellings use or a "q" not followed by "u"; a common
    Kazakh word (once however often it comes), else a Kazakh inflection ending
    (``KK_LATIN_ENDINGS``). Function words of English, German, French and Russian translit count
    against: two cues make a text Kazakh when they outnumber those words. One cue is enough only for
    a short, purely Latin text with no such word ("Jaqsy", "Su joq"). Uzbek, Turkish and Azerbaijani
    words and shapes count against too (``classify.latin_neighbours``), and so does a word with a
    plain c or x beside a special letter or a "q" («çocuk», «yaxşı», «xalq»). The first
    ``LATIN_WORDS_JUDGED`` Latin words decide, or fewer: reading stops once the Kazakh cues reach
    three more than twice the other words.
    """
    cues = 0
    known: set[str] = set()
    other = 0
    count = 0
    for match in _LATIN_WORD.finditer(text, start):
        w = match.group(0)
        if len(w) < 2:
            continue
        count += 1
        if count > LATIN_WORDS_JUDGED:
            break
        low = w.lower()
        if (
            low in _OTHER_LATIN_WORDS
            or "ß" in low
            or (("'" in low or "’" in low or "yap" in low or "yor" in low) and _neighbour_shaped(low))
        ):
            other += 1
            continue
        # "q" not followed by "u": every "qu" taken out, a "q" is left only if one was not.
        special = not KK_LATIN_LETTERS.isdisjoint(w) or (
            len(w) >= 3 and "q" in low and "q" in low.replace("qu", "")
        )
        if special and ("c" in low or "x" in low):
            other += 1  # c, x beside ş, ç, ğ, ı, ö, ü, ə or q: Turkish, Azerbaijani, Uzbek («çocuk», «xalq»)
            continue
        cues += special
        if low in KK_LATIN_WORDS:
            known.add(low)
        elif len(low) > 5 and low[:5] in _KK_LATIN_STEMS:
            known.add(low[:5])  # an inflected common word: «auyldan», «koshede»
        elif len(low) >= 4 and low.endswith(KK_LATIN_ENDINGS):
            cues += 1
        elif not special:
            continue
        if cues + len(known) >= 3 + 2 * other:
            return True  # a lead that the rest of a real text does not overturn: stop reading
    kazakh = cues + len(known)
    if kazakh >= 2:
        return kazakh > other
    return kazakh == 1 and other == 0 and count <= 3 and not _ANY_CYRILLIC.search(text)


def _neighbour_shaped(low: str) -> bool:
    """True when a Latin word with an apostrophe, "yap" or "yor" is Uzbek or Turkish: one of their words
    once the signs are taken out («yo'q», «ta’mir»), or of their shape (o‘, g‘, -yap-, -yor), unless
    it then reads as a common Kazakh word (Kazakh typed with o' for ө: «O'te jaman»)."""
    bare = low.replace("'", "").replace("’", "")
    if bare in NEIGHBOUR_LATIN_WORDS:
        return True
    return has_neighbour_shape(low) and bare not in KK_LATIN_WORDS


# The 2018 alphabet: ı is й after a vowel, else и (ıa, ıý there and first in a word я, ю); i is і, u ұ.
ACUTE = 1  # a text in the 2018 letters that never writes ý (its u may be у: «Kóshede su joq»)
ACUTE_U = 2  # a 2018 text that writes ý: its u is ұ
_ACUTE_ONLY = tuple("áǵńóúýÁǴŃÓÚÝ")  # letters of the 2018 alphabet that the 2021 one lacks
_NEW_ONLY = tuple("äğñöüūşçÄĞÑÖÜŪŞÇ")  # and of the 2021 alphabet that the 2018 one lacks
_VOWELS = frozenset("aeiouyäöüáóúūıəý")
# 2018 «qaıda», «ıa», «tıisti» (тиісті: 2021 writes «tiısti»); 2021 і never touches a vowel
_Y_AS_I = re.compile("[aeouyáóúý]ı|ı[aeiouyáóúý]")


def kazakh_alphabet(text: str) -> int:
    """``ACUTE`` or ``ACUTE_U`` for a text with more letters of the 2018 alphabet (á ǵ ń ó ú ý) than of
    the 2021 one (ä ğ ñ ö ü ū ş ç), else 0 (2021 and informal: ı is і, i is и or й); one such letter
    not when the text writes ı, none beside a vowel (``_Y_AS_I``): 2021 «bızdıŋ» with a name «Tońyp».
    The whole text decides: «qaıda», «bermeıdi» hold no 2018 letter. Spanish or Portuguese á, ó never
    come here: only texts read as Kazakh are mapped."""
    acute = sum(map(text.count, _ACUTE_ONLY))
    if not acute or acute <= sum(map(text.count, _NEW_ONLY)):
        return 0
    if acute == 1 and "ı" in text and not _Y_AS_I.search(text):
        return 0
    return ACUTE_U if "ý" in text or "Ý" in text else ACUTE


@lru_cache(maxsize=50_000)
def _map_word(word: str, alphabet: int = 0) -> str:
    """Map one Latin word to Kazakh Cyrillic, using vowel harmony to choose к/қ, г/ғ and і/ы; in the
    2018 alphabet (``alphabet``: ``kazakh_alphabet``) ı and i are и/й and і, and u is ұ with ACUTE_U."""
    low = word.lower()
    back = any(ch in _BACK_VOWELS for ch in low)
    out: list[str] = []
    i = 0
    while i < len(low):
        pair = low[i : i + 2]
        if pair in _LATIN_DIGRAPHS and not (pair == "ng" and i + 2 < len(low) and low[i + 2] in "aeiouyäöüə"):
            out.append(_LATIN_DIGRAPHS[pair])
            i += 2
            continue
        ch = low[i]
        if alphabet and ch == "ı" and low[i + 1 : i + 2] in ("a", "ý") and (i == 0 or low[i - 1] in _VOWELS):
            out.append("я" if low[i + 1] == "a" else "ю")  # «aıaldama», «ıaǵnı», «polıtsııa»: я, ю
            i += 2
            continue
        mapped = _LATIN_SINGLE.get(ch, ch)
        # Informal spellings drop the Kazakh letters: restore them from the word's vowels.
        if ch in "kg":
            nxt = next((c for c in low[i + 1 :] if c in _BACK_VOWELS or c in _FRONT_VOWELS), None)
            prev = next((c for c in reversed(low[:i]) if c in _BACK_VOWELS or c in _FRONT_VOWELS), None)
            near = nxt or prev
            if near is not None and near in _BACK_VOWELS:
                mapped = "қ" if ch == "k" else "ғ"
        elif alphabet and ch in "ıiu":
            if ch == "ı":
                mapped = "й" if i > 0 and low[i - 1] in _VOWELS else "и"
            elif ch == "i":  # і never follows a vowel: й typed as i («jóndelmeidi», «Qaida»)
                # not after ý: 2018 writes «уі» as «ýi» («kelýi», «sáýir»), its «уй» as «ýı»
                mapped = "й" if i > 0 and low[i - 1] in _VOWELS and low[i - 1] not in "iıý" else "і"
            elif alphabet == ACUTE_U:
                mapped = "ұ"
        elif (
            ch == "i"
            and i > 0
            and low[i - 1] in "aeouyäöüáóúūıə"
            and (i + 1 == len(low) or low[i + 1] not in "aeouyäöüáóúūıə")
        ):
            mapped = "й"  # ai, ei, oi: the 2021 alphabet writes й as i
        elif ch == "i" and not back:
            mapped = "і"  # informal spellings write і as i; front words keep it
        out.append(mapped)
        i += 1
    result = "".join(out)
    if word[:1].isupper():
        result = result[:1].upper() + result[1:]
    return result


def _map_latin_words(text: str, alphabet: int) -> str:
    """Every Latin word of ``text`` mapped; split with a capturing group puts the words at odd indices."""
    pieces = _LATIN_WORD_SPLIT.split(text)
    if len(pieces) == 1:
        return text
    pieces[1::2] = (
        [_map_word(w, alphabet) for w in pieces[1::2]] if alphabet else map(_map_word, pieces[1::2])
    )
    return "".join(pieces)


def latin_to_cyrillic(text: str, alphabet: int | None = None) -> str:
    """Map every Latin word of a Kazakh-Latin text to Cyrillic; placeholders stay as they are. ``alphabet``
    (``kazakh_alphabet``) is the text's own unless given: one word of a longer text takes the text's."""
    if alphabet is None:
        alphabet = kazakh_alphabet(text)
    if "[" not in text:
        return _map_latin_words(text, alphabet)
    parts = _PLACEHOLDER_SPLIT.split(text)
    parts[::2] = [_map_latin_words(part, alphabet) for part in parts[::2]]
    return "".join(parts)


def _has_mixed_word(text: str) -> bool:
    """True when a run of Latin letters touches a Cyrillic letter (a word typed in both scripts)."""
    size = len(text)
    for run in _LATIN_RUN.finditer(text):
        start, end = run.span()
        if (start and text[start - 1] in _CYR_LETTERS) or (end < size and text[end] in _CYR_LETTERS):
            return True
    return False


def _cyrillic_lookalikes(match: re.Match[str]) -> str:
    """A word mixing the two scripts, its Latin letters made Cyrillic if every one has a lookalike."""
    word = match.group(0)
    mapped = word.translate(_LOOKALIKES)
    return word if _LATIN_LEFT.search(mapped) else mapped


_ANY_KAZAKH_LETTER = re.compile(f"[{_KAZAKH_BOTH_CASES}]")
# Kazakh typed on a Russian keyboard: each Kazakh letter written as the Russian one nearest to it.
WITHOUT_KAZAKH_LETTERS = str.maketrans(_KAZAKH_BOTH_CASES, _NEAREST_RUSSIAN + _NEAREST_RUSSIAN.upper())


def has_kazakh_letter(text: str) -> bool:
    """True when the text holds one of the nine letters of Kazakh Cyrillic that Russian lacks."""
    return _ANY_KAZAKH_LETTER.search(text) is not None


def without_placeholders(text: str) -> str:
    """The text with each placeholder ([url], [email], [user], [phone]) replaced by a space.

    What ``_PLACEHOLDER_SPLIT.sub(" ", text)`` gives: placeholders never overlap, so plain replaces
    do the same without a regex.
    """
    for placeholder in _PLACEHOLDERS:
        if placeholder in text:
            text = text.replace(placeholder, " ")
    return text


def normalise(text: str) -> str:
    """Clean one text: HTML and entities out, NFC, ё→е, Kazakh Latin→Cyrillic, masks, collapsed spaces."""
    if not text:
        return ""
    if _has_markup(text):
        text = strip_html(text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    printable = text.isprintable()
    if not printable:
        # A lone surrogate is not printable either; UTF-8 (so lingua and any output) cannot encode it.
        text = without_surrogates(_CONTROL.sub(" ", text))
    text = text.replace("ё", "е").replace("Ё", "Е")
    text = mask(text)
    plain = without_placeholders(text) if "[" in text else text  # "[url]" holds no Latin word to judge
    first_latin = _LATIN_CHAR.search(plain)
    if first_latin is not None and not text.isascii() and _has_mixed_word(text):
        text = _MIXED_WORD.sub(_cyrillic_lookalikes, text)  # slow (it tries every position): rare texts only
        plain = without_placeholders(text) if "[" in text else text
        first_latin = _LATIN_CHAR.search(plain)
    if first_latin is not None:
        reading = _latin_reading(plain, first_latin.start())
        if reading == "kk":
            text = latin_to_cyrillic(text)
        elif reading == "ru":
            text = russian_from_translit(text)
    # Every odd space is non-printable, and so are newlines: a printable text has none of them (masks
    # and the Latin mapping add none), so the regex only runs on texts that may hold one.
    if not printable and not text.replace("\n", "").isprintable() and _ODD_SPACE.search(text):
        text = _SPACES.sub(" ", text)
    # Runs of plain spaces become one; a leading or trailing space goes with the strip below.
    while "  " in text:
        text = text.replace("  ", " ")
    if "\n" in text:
        # Each line stripped, empty lines dropped: what replacing every r"\s*\n\s*" by one newline
        # gives once the text is stripped, without a regex trying every position.
        lines = [line.strip() for line in text.split("\n")]
        return "\n".join([line for line in lines if line])
    return text.strip()
