"""The words dates are printed with, for ``collectors.dates``: month names (Russian; Kazakh in Cyrillic,
typed without Kazakh letters and in Latin script; English), the words of relative dates («вчера», «3 сағат
бұрын», «yesterday»), and the words a printed date line is made of (:func:`is_date_word`)."""

from __future__ import annotations

import re
from functools import lru_cache

# Russian month names as stems; a month word is a stem in one of its case forms («марта», «январе»)
# or a stem's beginning of three letters or more, an abbreviation («ноя», «сент.», «нояб.»). Not any
# word that begins like one: «12 маршрутов», «5 сенаторов», «7 октябрят» are no dates.
RU_MONTHS = {
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
_RU_ENDINGS = frozenset({"ь", "я", "е", "ю", "ем", "ём", "а", "у", "ом"})
KK_MONTHS = {
    "қаңтар": 1,
    "ақпан": 2,
    "наурыз": 3,
    "сәуір": 4,
    "мамыр": 5,
    "маусым": 6,
    "шілде": 7,
    "тамыз": 8,
    "қыркүйек": 9,
    "қазан": 10,
    "қараша": 11,
    "желтоқсан": 12,
}
# RFC 822 dates in feeds and English pages; read only with a year next to them ("may" alone is a word,
# not a month).
EN_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
EN_MONTH_WORDS = {
    **{name: number for number, name in enumerate(EN_MONTHS, 1)},
    **{name[:3]: number for number, name in enumerate(EN_MONTHS, 1)},
    "sept": 9,
}

RU_UNITS = {
    "секунд": "seconds",
    "сек": "seconds",
    "минут": "minutes",
    "мин": "minutes",
    "час": "hours",
    "ч": "hours",
    "дн": "days",
    "ден": "days",
    "день": "days",
    "сут": "days",
    "недел": "weeks",
    "нед": "weeks",
    "месяц": "months",
    "мес": "months",
    "год": "years",
    "лет": "years",
    "г": "years",
}
# Kazakh units, also typed without Kazakh letters («сагат», «кун») and abbreviated («2 сағ. бұрын»).
KK_UNITS = {
    "секунд": "seconds",
    "сек": "seconds",
    "минут": "minutes",
    "мин": "minutes",
    "сағат": "hours",
    "сагат": "hours",
    "сағ": "hours",
    "саг": "hours",
    "күн": "days",
    "кун": "days",
    "апта": "weeks",
    "ай": "months",
    "жыл": "years",
}
# Stems that are a unit only as the whole word, not as a word's beginning («сағыныш бұрын» is no hour).
WHOLE_WORD_UNITS = frozenset({"ч", "г", "сағ", "саг"})
# Russian abbreviations of a unit: with no number before them one unit, as a singular form is («час
# назад»); any other form needs its number («три часа назад»), and without one is no date.
RU_ABBREVIATIONS = frozenset({"сек", "мин", "ч", "дн", "сут", "нед", "мес", "г"})
# Russian abbreviations a dot may end before «назад» («2 ч. назад», «3 час. назад»); after another word
# a dot ends a sentence («Прошло 3 года. Назад дороги нет»: no date).
RU_DOTTED = tuple(sorted(RU_ABBREVIATIONS | {"час"}))
# Kazakh abbreviations a dot may end before «бұрын» («2 сағ. бұрын»); after another word a dot ends a
# sentence, and «Бұрын» starts the next («Кезек 40 минут. Бұрын…»: earlier, not 40 minutes ago).
KK_ABBREVIATIONS = ("сағ", "саг", "мин", "сек")
WORD_ONE = {
    "сутки": ("days", 1),
    "минуту": ("minutes", 1),
    "час": ("hours", 1),
    "неделю": ("weeks", 1),
    "месяц": ("months", 1),
    "год": ("years", 1),
    "день": ("days", 1),
    "секунду": ("seconds", 1),
}
# Numbers written as words before a unit («три часа назад», «двадцать пять минут назад», «үш сағат бұрын»,
# «жиырма бес минут бұрын»). Russian in the forms a count takes before a unit (nominative or
# accusative: «одну минуту», «две минуты»), and genitive after «около», «более», «свыше»… («около двух
# часов назад», «более трёх дней назад», «двух недель назад»); «полтора часа» (genitive «полутора»)
# is one and a half. Kazakh as ``kk_number_key`` spells it, so «уш», «торт», «тогыз», «кырык» typed
# without Kazakh letters are read too;
# Kazakh says 15 as «он бес», ten and five, and a half as «жарты» (half an hour) or «жарым» after a number.
RU_ONES = {
    **dict.fromkeys(("один", "одна", "одну", "одно"), 1),
    **dict.fromkeys(("два", "две"), 2),
    "три": 3,
    "четыре": 4,
    "пять": 5,
    "шесть": 6,
    "семь": 7,
    "восемь": 8,
    "девять": 9,
    # collective numbers, said with «сутки»: «двое суток назад»
    "двое": 2,
    "трое": 3,
    "четверо": 4,
    "пятеро": 5,
    "шестеро": 6,
    "семеро": 7,
    # genitive («около двух часов назад»; «трёх» is looked up as «трех», ё read as е)
    **dict.fromkeys(("одного", "одной"), 1),
    "двух": 2,
    "трех": 3,
    "четырех": 4,
    "пяти": 5,
    "шести": 6,
    "семи": 7,
    "восьми": 8,
    "девяти": 9,
}
_RU_TEENS_NOMINATIVE = {
    "десять": 10,
    "одиннадцать": 11,
    "двенадцать": 12,
    "тринадцать": 13,
    "четырнадцать": 14,
    "пятнадцать": 15,
    "шестнадцать": 16,
    "семнадцать": 17,
    "восемнадцать": 18,
    "девятнадцать": 19,
}
RU_TEENS = {
    **_RU_TEENS_NOMINATIVE,
    **{word[:-1] + "и": number for word, number in _RU_TEENS_NOMINATIVE.items()},  # genitive: «десяти»
}
RU_TENS = {
    "двадцать": 20,
    "тридцать": 30,
    "сорок": 40,
    "пятьдесят": 50,
    "шестьдесят": 60,
    "семьдесят": 70,
    "восемьдесят": 80,
    "девяносто": 90,
    # genitive («около двадцати пяти минут назад»)
    "двадцати": 20,
    "тридцати": 30,
    "сорока": 40,
    "пятидесяти": 50,
    "шестидесяти": 60,
    "семидесяти": 70,
    "восьмидесяти": 80,
    "девяноста": 90,
}
RU_ONE_AND_A_HALF = frozenset({"полтора", "полторы", "полутора"})
KK_ONES = {"бир": 1, "еки": 2, "уш": 3, "торт": 4, "бес": 5, "алты": 6, "жети": 7, "сегиз": 8, "тогыз": 9}
KK_TENS = {
    "он": 10,
    "жиырма": 20,
    "отыз": 30,
    "кырык": 40,
    "елу": 50,
    "алпыс": 60,
    "жетпис": 70,
    "сексен": 80,
    "токсан": 90,
}
KK_HALF = "жарты"  # «жарты сағат бұрын»: half an hour ago
KK_AND_A_HALF = "жарым"  # «бір жарым сағат бұрын»: an hour and a half ago
# Counts that are no number («несколько часов назад», «бірнеше сағат бұрын»): the date is not read,
# rather than read as one unit back.
VAGUE_COUNTS = frozenset(
    {"несколько", "нескольких", "много", "немного", "сколько", "столько", "бирнеше", "коп", "бираз", "бирер"}
)
# Hundreds and thousands are not read: «сто пять лет назад» is no 5 years back, «екі мың жыл бұрын» no
# one year (Kazakh as ``kk_number_key`` spells it: «жүз», «мың» typed with or without Kazakh letters).
RU_LARGE = frozenset(
    {"сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот"}
    | {"ста", "двухсот", "трехсот", "четырехсот", "пятисот", "шестисот", "семисот", "восьмисот", "девятисот"}
    | {"тысяча", "тысячи", "тысяч", "тысячу", "миллион", "миллиона", "миллионов", "миллиард"}
)
KK_LARGE = frozenset({"жуз", "мын", "миллион", "миллиард"})
# Words that put a unit without its number («около часа назад», «более суток назад»): one unit; «меньше
# минуты» (date-fns) and a vague count of seconds («несколько секунд», moment.js) are about now.
RU_APPROXIMATE = frozenset({"около", "более", "больше", "менее", "меньше", "почти", "примерно", "свыше"})
RU_LESS_THAN = frozenset({"менее", "меньше"})


def kk_number_key(word: str) -> str:
    """A Kazakh number word as ``KK_ONES`` and ``KK_TENS`` spell it: «үш», «уш» and «Үш» give «уш»."""
    return _bare(word.lower())


DAY_WORDS = {
    "сегодня": 0,
    "бүгін": 0,
    "бугин": 0,
    "bugin": 0,
    "búgin": 0,
    "вчера": 1,
    "кеше": 1,
    "keshe": 1,
    "позавчера": 2,
    "алдыңғы күні": 2,
}
JUST_NOW = ("только что", "жаңа ғана", "жана гана")  # as words, anywhere in a date element's text
NOW_ALONE = ("сейчас",)  # only as the whole text: «Сейчас во дворе нет воды» is a sentence, not a date
# English relative dates («3 hours ago», «an hour ago», «yesterday at 10:30»): the unit words, in the
# singular (a plural adds its «s») and as abbreviated («5 mins ago», «2 hrs ago»).
EN_UNITS = {
    "second": "seconds",
    "sec": "seconds",
    "minute": "minutes",
    "min": "minutes",
    "hour": "hours",
    "hr": "hours",
    "day": "days",
    "week": "weeks",
    "month": "months",
    "year": "years",
    "yr": "years",
}
EN_DAY_WORDS = {"day before yesterday": 2, "yesterday": 1, "today": 0}


def _bare(word: str) -> str:
    """A Kazakh word as typed without Kazakh letters: "қараша", "караша" and "qarasha" give "караша"."""
    # classify.normalise holds the project's one Latin->Cyrillic and Kazakh->Russian letter mapping;
    # it imports only the standard library, and is imported here, late, to keep `--help` fast.
    from classify.normalise import WITHOUT_KAZAKH_LETTERS, latin_to_cyrillic

    if re.search(r"[a-z\u00c0-\u024f]", word):
        word = latin_to_cyrillic(word)
    # й and и both stand for the Latin "i" ("qyrkúiek" -> "қыркүиек", the month is "қыркүйек")
    return word.translate(WITHOUT_KAZAKH_LETTERS).replace("й", "и")


_LOCATIVE = frozenset({"", "да", "де", "та", "те"})
# The case endings a Kazakh month name takes in a date («қазанда», «тамыздың», «наурызға»,
# «қазандағы»); not a word built on it: «5 қазандық» is five boiler houses, not 5 October.
_KK_CASES = frozenset(
    "| ның нің дың дің тың тің ға ге қа ке на не а е да де та те нда нде дан ден тан тен нан нен "
    "ды ді ты ті ны ні мен бен пен дағы дегі тағы тегі ндағы ндегі".replace("|", "").split()
) | {""}


@lru_cache(maxsize=1)
def _bare_kk_cases() -> frozenset[str]:
    """The case endings of ``_KK_CASES`` as typed without Kazakh letters."""
    return frozenset(_bare(ending) for ending in _KK_CASES)


@lru_cache(maxsize=1)
def _bare_kk_months() -> tuple[dict[str, int], dict[str, int]]:
    """Kazakh month names and their abbreviations (the first three letters), as ``_bare`` spells them."""
    names = {_bare(name): number for name, number in KK_MONTHS.items()}
    return names, {stem[:3]: number for stem, number in names.items()}


@lru_cache(maxsize=512)
def month_number(word: str, with_year: bool = True) -> int | None:
    """The month a word names; abbreviations that are also words ("мам", "там", "may") need a year."""
    word = word.lower().rstrip(".")
    for stem, number in KK_MONTHS.items():
        if word.startswith(stem) and word[len(stem) :] in _KK_CASES:
            return number
    if word in {"май", "мая", "мае"}:
        return 5
    for stem, number in RU_MONTHS.items():
        if (len(word) >= 3 and stem.startswith(word)) or (
            word.startswith(stem) and word[len(stem) :] in _RU_ENDINGS
        ):
            return number
    if with_year and word in EN_MONTH_WORDS:
        return EN_MONTH_WORDS[word]
    names, abbreviations = _bare_kk_months()
    bare = _bare(word)
    for stem, number in names.items():
        # without a year, the name or its locative ("карашада") only: "5 казанских" is not October
        if bare.startswith(stem) and bare[len(stem) :] in (_bare_kk_cases() if with_year else _LOCATIVE):
            return number
    return abbreviations.get(bare) if with_year else None


# Words a printed date line is made of besides its digits and month (``Обновлено: 25.11.2026 в 14:35``).
_DATE_LINE_WORDS = frozenset(
    {
        "г",
        "года",
        "год",
        "гг",
        "в",
        "от",
        "ж",
        "жыл",
        "жылы",
        "жылғы",
        "сағат",
        "обновлено",
        "опубликовано",
        "дата",
        "публикации",
        "жарияланған",
        "жарияланды",
        "уақыты",
        "published",
        "updated",
        "on",
        "at",
        "am",
        "pm",
        "дп",
        "пп",
        "мск",
        "utc",
        "gmt",
        "just",
        "now",
        "before",
    }
)


def is_date_word(word: str) -> bool:
    """Whether ``word`` is one a printed date is made of: a month's name (any case, script or
    abbreviation ``dates`` reads), today or yesterday, a year's or a time's word, a "published"."""
    low = word.lower().rstrip(".:")
    if low in _DATE_LINE_WORDS or low in DAY_WORDS or low in EN_DAY_WORDS:
        return True
    return month_number(low) is not None
