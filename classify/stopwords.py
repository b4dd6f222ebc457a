"""Short Russian and Kazakh stopword lists of our own (nltk's corpus needs a download we cannot make).

Only function words: negations (не, жоқ, емес) stay out of these lists, because «света нет» and
«су жоқ» are exactly the complaints the classifier looks for.
"""

from __future__ import annotations

from classify.normalise import WITHOUT_KAZAKH_LETTERS

RUSSIAN = frozenset(
    [
        "и",
        "в",
        "во",
        "на",
        "с",
        "со",
        "по",
        "к",
        "ко",
        "у",
        "за",
        "из",
        "от",
        "о",
        "об",
        "обо",
        "для",
        "до",
        "при",
        "про",
        "под",
        "над",
        "без",
        "через",
        "между",
        "а",
        "но",
        "или",
        "либо",
        "же",
        "ли",
        "бы",
        "то",
        "это",
        "этот",
        "эта",
        "эти",
        "этого",
        "этой",
        "этом",
        "этих",
        "тот",
        "та",
        "те",
        "того",
        "той",
        "том",
        "тех",
        "так",
        "там",
        "тут",
        "здесь",
        "вот",
        "как",
        "что",
        "чтобы",
        "чем",
        "кто",
        "где",
        "когда",
        "который",
        "которая",
        "которое",
        "которые",
        "которого",
        "которой",
        "которых",
        "я",
        "ты",
        "он",
        "она",
        "оно",
        "мы",
        "вы",
        "они",
        "меня",
        "мне",
        "мной",
        "тебя",
        "тебе",
        "его",
        "ему",
        "им",
        "ими",
        "ее",
        "её",
        "ей",
        "их",
        "нас",
        "нам",
        "вас",
        "вам",
        "свой",
        "своя",
        "свои",
        "своего",
        "своей",
        "мой",
        "моя",
        "мои",
        "наш",
        "наша",
        "наши",
        "ваш",
        "ваша",
        "ваши",
        "весь",
        "вся",
        "все",
        "всё",
        "всех",
        "всем",
        "был",
        "была",
        "было",
        "были",
        "быть",
        "будет",
        "будут",
        "есть",
        "является",
        "также",
        "тоже",
        "еще",
        "ещё",
        "уже",
        "даже",
        "только",
        "очень",
        "сам",
        "сама",
        "сами",
        "самый",
        "себя",
        "себе",
        "ну",
        "да",
        "вообще",
        "просто",
    ]
)

KAZAKH = frozenset(
    [
        "және",
        "мен",
        "бен",
        "пен",
        "менен",
        "бенен",
        "пенен",
        "мен",
        "да",
        "де",
        "та",
        "те",
        "ма",
        "ме",
        "ба",
        "бе",
        "па",
        "пе",
        "ғой",
        "ғана",
        "тек",
        "әрі",
        "немесе",
        "бірақ",
        "алайда",
        "бұл",
        "осы",
        "сол",
        "ол",
        "олар",
        "оның",
        "олардың",
        "оны",
        "оған",
        "біз",
        "бізде",
        "біздің",
        "сіз",
        "сіздер",
        "сен",
        "мен",
        "менің",
        "маған",
        "үшін",
        "туралы",
        "бойынша",
        "арқылы",
        "кейін",
        "дейін",
        "сияқты",
        "секілді",
        "сайын",
        "бірге",
        "қарай",
        "шейін",
        "еді",
        "екен",
        "деп",
        "деді",
        "дейді",
        "болып",
        "болды",
        "болады",
        "бар",
        "өте",
        "тағы",
        "енді",
        "әлі",
        "да",
        "бір",
        "екі",
        "әр",
        "барлық",
        "басқа",
        "кейбір",
        "бірнеше",
    ]
)


def letterless(words: frozenset[str]) -> frozenset[str]:
    """The words as typed on a Russian keyboard, without Kazakh letters («үшін» → «ушин»)."""
    return frozenset(word.translate(WITHOUT_KAZAKH_LETTERS) for word in words)


KAZAKH_INFORMAL = letterless(KAZAKH)  # «ушин», «биздин»
ALL = RUSSIAN | KAZAKH | KAZAKH_INFORMAL

# Negations: never stopwords (Kazakh «не», "what", is spelt like Russian «не» and stays a word too);
# evidence keeps the pairs they make («не работает», «воды нет»).
NEGATIONS_BEFORE = frozenset(["не", "нет", "нету", "ни"])  # Russian: «не работает», «нет воды»
NEGATIONS_AFTER = frozenset(["нет", "нету", "жоқ", "жок", "емес"])  # «воды нет», «су жоқ»
NEGATIONS = NEGATIONS_BEFORE | NEGATIONS_AFTER
# Kazakh postpositions, linking adverbs and question words, and the number words of both languages:
# features like any word («үш күннен бері су жоқ», "no water for three days since", and «кім
# қабылдады?», "who accepted it?", are a complaint's shape), but no evidence: alone they explain nothing
# («ауылда үш» is no reason to show a reviewer).
_NOT_EVIDENCE_SPELLED = frozenset(
    ["бері", "соң", "бойы", "жөнінде", "сосын", "содан", "сонда", "онда", "кім", "неге", "қашан", "қайда"]
) | frozenset(
    # Conjunctions, pointers and "at the time" («...болса, дәл қазір...», «өйткені», «дер кезінде»): the
    # infrastructure weights' phrases showed «болса дәл», «қызметкерлері болса».
    ["болса", "өйткені", "дәл", "былай", "соның", "осындай", "сондай", "кезінде", "кезде", "дер"]
)
# Kazakh number words, shown as no evidence bare and (below) with their endings; «бір», «екі», «он»
# (stopwords already), «жүз» and «мың» only with an ending.
_KK_NUMBERS = (
    "үш",
    "төрт",
    "бес",
    "алты",
    "жеті",
    "сегіз",
    "тоғыз",
    "жиырма",
    "отыз",
    "қырық",
    "елу",
    "алпыс",
    "жетпіс",
    "сексен",
    "тоқсан",
)
_NUMBER_WORDS = frozenset(
    [
        *_KK_NUMBERS,
        "два",
        "две",
        "двух",
        "три",
        "трех",
        "трёх",
        "четыре",
        "пять",
        "пяти",
        "шесть",
        "семь",
        "восемь",
        "девять",
        "десять",
    ]
)
# Kazakh number words take case endings («сағат сегізде», "at eight o'clock"; «үш күннен»): the forms of
# each with the endings of both vowel rows, and the collective and ordinal ones («бесеу», «үшінші»).
# Over-generated forms that are no words do no harm; the real ones that are other words are function
# words anyway («бірге», "together"; «біреу», "someone").
_KK_NUMBER_ENDINGS = [
    "де",
    "да",
    "те",
    "та",
    "ге",
    "ға",
    "ке",
    "қа",
    "ден",
    "дан",
    "тен",
    "тан",
    "нен",
    "нан",
    "дің",
    "дың",
    "тің",
    "тың",
    "нің",
    "ның",
    "ді",
    "ды",
    "ті",
    "ты",
    "ні",
    "ны",
    "мен",
    "бен",
    "пен",
    "еу",
    "ау",
    "інші",
    "ыншы",
    "нші",
    "ншы",
    "дегі",
    "дағы",
    "тегі",
    "тағы",
]
_KK_NUMBER_FORMS = frozenset(
    number + ending
    for number in (*_KK_NUMBERS, "бір", "екі", "он", "жүз", "мың")
    for ending in _KK_NUMBER_ENDINGS
) - {"онда", "оны", "онта"}  # «онда» ("there") and «оны» ("him, it") are pronouns: keep them as they are
# Russian number words in their other cases («трем», «пятью», «десяти»; not «семью», also "family").
_RU_NUMBER_FORMS = frozenset(
    [
        "двум",
        "двумя",
        "тремя",
        "трем",
        "трём",
        "четырех",
        "четырёх",
        "четырем",
        "четырём",
        "четырьмя",
        "пятью",
        "шести",
        "шестью",
        "семи",
        "восьми",
        "восемью",
        "девяти",
        "девятью",
        "десяти",
        "десятью",
    ]
)
# Words of when («кеше кешкі», "yesterday evening"; «вчера вечером»): the same («кешкі сағат» was shown).
_TIME_WORDS = frozenset(
    [
        "кеше",
        "бүгін",
        "ертең",
        "кешкі",
        "кешке",
        "таңертең",
        "түнде",
        "сағат",
        "сағатта",
        "вчера",
        "сегодня",
        "завтра",
        "утром",
        "вечером",
        "ночью",
    ]
)
# How long («үш күннен бері», "for three days"; «вторую неделю»; «бес жылдан бері») and Russian ordinals
# («третий день»): a complaint's shape, kept as features, but no evidence of what is wrong. «жылы» is
# not here: it is also "warm" («батареялар жылы емес»).
_DURATION_WORDS = frozenset(
    [
        *(f"күн{ending}" for ending in ("", "і", "де", "нен", "ге", "гі", "дер", "дей")),
        *(f"апта{ending}" for ending in ("", "дан", "да", "ға", "сы", "лап", "дай")),
        *(f"ай{ending}" for ending in ("дан", "да", "ға", "лап", "дай")),
        *(f"жыл{ending}" for ending in ("", "дан", "да", "ға", "дар", "дай", "дап")),
        *(f"минут{ending}" for ending in ("", "та", "тан", "қа")),
        "день", "дня", "дней", "днем", "днями", "сутки", "суток",
        "неделя", "неделю", "недели", "недель", "неделями",
        "месяц", "месяца", "месяцев", "месяцами", "год", "года", "лет", "годами",
        "час", "часа", "часов", "минут", "минуты",
        # ordinals: «второй», «пятую», «третьего»
        *(f"{stem}ый" for stem in ("перв", "четверт", "пят", "девят", "десят")),  # «второй»: "ой" below
        *(
            f"{stem}{ending}"
            for stem in ("перв", "втор", "четверт", "пят", "шест", "седьм", "восьм", "девят", "десят")
            for ending in ("ая", "ую", "ое", "ого", "ому", "ой", "ом", "ые", "ых")
        ),
        "третий", "третья", "третью", "третье", "третьего", "третьему", "третьей", "третьем", "третьи",
        "третьих",
    ]
)  # fmt: skip
# The formulas of an appeal: greetings, thanks, "I ask", "street", "photo" («Здравствуйте, прошу убрать
# мусор на ул. Абая, фото прилагаю»). The city-portal appeals are full of them, so they weigh as
# features, but they tell a reviewer nothing about what is wrong.
_FORMULAS = frozenset(
    [
        "здравствуйте",
        "добрый",
        "прошу",
        "просим",
        "просьба",
        "пожалуйста",
        "спасибо",
        "благодарю",
        "ул",
        "фото",
        "фотофиксация",
        "фотографии",
        "прилагаю",
        "сәлеметсіз",
        "сәлеметсіздер",
        "рахмет",
        "өтінемін",
        "өтініш",
        "сурет",
        "суреттер",
    ]
)
_NOT_SHOWN = (
    _NOT_EVIDENCE_SPELLED
    | _NUMBER_WORDS
    | _KK_NUMBER_FORMS
    | _RU_NUMBER_FORMS
    | _TIME_WORDS
    | _DURATION_WORDS
    | _FORMULAS
)
NOT_EVIDENCE = _NOT_SHOWN | letterless(_NOT_SHOWN)
