"""Keyword rules, used as features next to the n-grams (the linear model weighs them).

A linear model on n-grams cannot say "a road word AND a failure word in the same text"; these
conjunctions can. Each word class is a set of word beginnings (Russian and Kazakh) matched against
single tokens, so the classes of a token are computed once and cached with its n-grams; a document's
rules are then a few boolean operations over its tokens' classes.

Some signals are two words that mean little apart: Kazakh «пара алды» (took a bribe; «пара» alone is
also Russian "pair"), «асыра пайдаланды» (abused), «тамыр-таныс» (cronies), Russian «на лапу». Each
such phrase gives its first and its second word a bit of their own; a document has the phrase when
the two bits sit on adjacent tokens, and the phrase then counts as a word of its class.
"""

from __future__ import annotations

import re

import numpy as np

from classify.normalise import WITHOUT_KAZAKH_LETTERS

CLASSES = ("topic", "problem", "bribe", "anti", "official", "money", "steal", "public")
_PATTERNS = {
    "topic": r"дорог|асфальт|ям[аыу]$|выбоин|тротуар|люк|светофор|освещени|фонар|автобус|маршрут|остановк|"
    r"вод[аыуе]$|водоснаб|водопровод|канализ|отоплени|батаре(?!йк)|газ$|газа$|газо|электр(?!он)|свет$|света$|лифт|крыш|подъезд|мусор|"
    r"свалк|жол$|жолы(?![ғқ])|жолда(?:$|ғы|р|н$)|көше|шұңқыр|ойық|аялдама|көлік|бағдаршам|шам$|шамдар|су$|суы(?![қкпт])|суға|судың|құбыр|кәріз|"
    r"жылу|жылыт|жарық|шатыр|қоқыс|үй$|үйде|үйдің|көпір|ғимарат|апатты|вокзал|трамвай|троллейбус|пәтер|мектеп|"
    r"дәретхана|тариф|құрылыс|жөнде(?!ң)|газ[ыдғбт]",  # not «жөндеңіздер»: a request, no object
    "problem": r"нет$|отключ|сломан|разбит|провал|течет|теч[ьи]|затоп|прорыв|аварийн|жалоб|переполн|холодн|опасн|"
    r"невозможн|неисправ|ржав|жоқ|жок$|болмай|істемей|бұзыл|ақау|тозған|ескір|азап|шағым|наразы|сөнді(?!р)|өшір|"
    r"үзіл|ағып|жарыл|құлап|қауіпті|нашар|жетіспей|тапшы|қиындық|жөнделмеген|суық|лас$|жеткізілмеген|тартылмаған|батпақ|"
    r"кептеліс|тарлық|ақсап|тазаланбай|жөнделмей|ауыстырылмаған|аяқталмаған|аяқтамады|созылып|қағылып|жетпей|"
    r"қымбат|тасып|тоңып|түнек|опырыл|шөгіп|сапасыз|жабылды|не\s?работа|засор|грязн|разруш|мәжбүр|кешік|проблема|"
    r"иіс|сасық|ескі|тоқта(?!л)|өшті|өшіп|жетіспе|"
    # A resident's request to the akimat implies the defect: «шұңқырды жөндеңіздер», «жөндеуді сұраймыз».
    r"жөндеңіз|тазалаңыз|шешіңіз|шешуіңізді|көмектесіңіз|орнатыңыз|ауыстырыңыз|тексеріңіз|сұраймы[зн]$|өтінемі[зн]$",
    "bribe": r"взятк|взяток|откат|лапу$|подкуп|вымога|хищени|растрат|присвоени|присвоил|коррупционер|"
    r"кумовств|побор|распил|параны|парамен|парақор|пара(?:сы|сын|ға)$|жемқор|жымқыр|крышев|крыша?у[ею]т$|отблагодар|конверт(?!ир)|"
    r"иемден|бопса|қалтасына|таныстық|коррупц|сыбайлас|асыра$|пайдасына|жегені|мансабын",
    "anti": r"противодейств|профилактик|семинар|қарсы$|алдын$|борьб|превентив|антикоррупционн|кесел|болезн|күрес",
    "official": r"чиновни|аким|депутат|полицейск|инспектор|начальник|директор|министр|прокурор|судья|госслуж|"
    r"шенеунік|әкім|лауазым|полиция|басшы|бастық|заведующ|меңгеруші|глав[аы]$|президент|премьер(?!ой|у$|ас)|мэр|губернатор|следовател(?!ьн)",
    "money": r"бюджет|госзакуп|тендер|субсиди|государствен|қаражат|қаржы|миллион|миллиард|млн|млрд|деньг|ақша|теңге|тенге|шығын|мемлекет",
    # Stealing is corruption only when it is public money or people in office: «вор вынес из квартиры»
    # is ordinary crime, «чиновники воруют», «бюджетті ұрлады» are not.
    "steal": r"украл|украд|ворова|воруют|ворует|вор$|воры|ворам|похитил|похищ|краж|ұрла|ұрлық|ұры$|ұрылар|тона(?![зх])",
    "public": r"бюджет|госзакуп|тендер|субсиди|государствен|мемлекет|казн(?:[аеуы]$|ой$|ачейств)|қазына|акимат|әкімдік|министерств|"
    r"ведомств|госорган|меморган|халық(?!аралық)|халқ",
}
_COMPILED = {name: re.compile(pattern) for name, pattern in _PATTERNS.items()}

RULES = (
    "topic_problem",
    "bribe",
    "bribe_not_anti",
    "anti",
    "official_money",
    "official_bribe",
    "steal_public",
    "steal_private",
    "topic_problem_near",
    "bribe_phrase",
)

NEAR = 5  # topic_problem_near, and the stems copied for a failure word: at most this many tokens apart

# The word classes each rule reads: when a rule pushes a label up, the words of these classes in the
# text are its evidence too («кто принимал», «крышует», «жарық ... өшіп»).
RULE_CLASSES = {
    "topic_problem": ("topic", "problem"),
    "bribe": ("bribe",),
    "bribe_not_anti": ("bribe",),
    "anti": ("anti",),
    "official_money": ("official", "money"),
    "official_bribe": ("official", "bribe"),
    "steal_public": ("steal", "official", "public"),
    "steal_private": ("steal",),
    "topic_problem_near": ("topic", "problem"),
    "bribe_phrase": ("bribe",),
}
assert tuple(RULE_CLASSES) == RULES
# The same as RULES x CLASSES weights: each rule's push shared equally among the classes it reads
# (evidence multiplies by it). «official AND money» gives half of its push to «директора» and half to
# «деньги», so a bribery word that a rule of its own made count comes before either.
RULE_CLASS_MATRIX = np.asarray(
    [[float(cls in RULE_CLASSES[rule]) / len(RULE_CLASSES[rule]) for cls in CLASSES] for rule in RULES],
    dtype=np.float32,
)

# Two-word phrases: (first word beginnings, second word beginnings, class the phrase counts as).
PHRASES = (
    (r"пара$", r"ал|бер|талап|сұра|ұсын", "bribe"),
    (r"тамыр$|талан$", r"таныс|тараж", "bribe"),  # «тамыр-таныс», «талан-тараж»
    (r"асыра$|теріс$|мақсатсыз$", r"пайдалан|жұмса", "bribe"),  # abused; spent for no purpose
    (r"қызмет$|қызметтік$", r"баб|жағдай", "bribe"),
    (r"желге$", r"ұшыр|шаш", "bribe"),
    # «ақшаны жеп қойған» (ate the money): «жеп» alone is mostly eating, in reviews of cafés
    (r"ақша|қаржы|қаражат|бюджет|миллион|миллиард", r"жеп$|жеді$|жейді$|жеген|жегені", "bribe"),
    (r"на$", r"лапу$", "bribe"),
    # «злоупотребил полномочиями» is abuse of office, «злоупотреблял алкоголем» is not
    (r"злоупотреб", r"полномоч|должност|служеб|доверием|власть|положени", "bribe"),
    (r"кто$|кім$", r"принял|принима|принят|подписа|қабылда", "bribe"),
    (r"сыр$", r"бер", "problem"),
    (r"жүре$|өте$|шыға$", r"алмай", "problem"),
)
# Phrase k uses bits PHRASE_BIT + 2k (first word) and PHRASE_BIT + 2k + 1 (second word), above the classes.
PHRASE_BIT = len(CLASSES)
_PHRASES = [(re.compile(first), re.compile(second), CLASSES.index(cls)) for first, second, cls in PHRASES]
# Does any class or phrase word match at all? (Each pattern in its own group keeps its anchors.)
_ANY = re.compile(
    "|".join(
        f"(?:{pattern})" for pattern in [*_PATTERNS.values(), *(p for f, s, _ in PHRASES for p in (f, s))]
    )
)


def _letterless(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern, also matching its Kazakh words as typed without Kazakh letters («шұңқыр», «шункыр»)."""
    bare = pattern.pattern.translate(WITHOUT_KAZAKH_LETTERS)
    return pattern if bare == pattern.pattern else re.compile(f"{pattern.pattern}|{bare}")


_BARE = {name: _letterless(pattern) for name, pattern in _COMPILED.items()}
_BARE_PHRASES = [(_letterless(first), _letterless(second), cls) for first, second, cls in _PHRASES]
_BARE_ANY = _letterless(_ANY)
LETTERLESS_SHIFT = 32  # token_classes: the classes for a text typed without Kazakh letters sit this high
# Both halves must fit a signed 64-bit mask (the featuriser's cache): the letterless half may not reach
# the sign bit, so classes and phrase words have 31 bits, not 32 (8 classes and 11 phrases use 30).
assert PHRASE_BIT + 2 * len(PHRASES) < LETTERLESS_SHIFT


def _mask(
    token: str,
    any_word: re.Pattern[str],
    classes: dict[str, re.Pattern[str]],
    phrases: list[tuple[re.Pattern[str], re.Pattern[str], int]],
) -> int:
    if not any_word.match(token):
        return 0  # most words: one look instead of one per class and phrase word
    mask = 0
    for bit, name in enumerate(CLASSES):
        if classes[name].match(token):
            mask |= 1 << bit
    for k, (first, second, _) in enumerate(phrases):
        if first.match(token):
            mask |= 1 << (PHRASE_BIT + 2 * k)
        if second.match(token):
            mask |= 1 << (PHRASE_BIT + 2 * k + 1)
    return mask


def token_classes(token: str) -> int:
    """Bit mask of the word classes (CLASSES order) and phrase words whose beginnings match one
    lower-cased token; above LETTERLESS_SHIFT, the same for a text typed without Kazakh letters, where
    «шункыр» is read as «шұңқыр» (only there: in a text with the letters, «шункыр» is another word)."""
    return _mask(token, _ANY, _COMPILED, _PHRASES) | (
        _mask(token, _BARE_ANY, _BARE, _BARE_PHRASES) << LETTERLESS_SHIFT
    )


def select(masks: np.ndarray, letterless: np.ndarray | bool) -> np.ndarray:
    """The class bits of token_classes masks, read as typed with Kazakh letters or (where
    ``letterless``) without them."""
    return np.where(letterless, masks >> LETTERLESS_SHIFT, masks & ((1 << LETTERLESS_SHIFT) - 1))


def phrase_classes(position_masks: np.ndarray, adjacent: np.ndarray) -> np.ndarray:
    """Positions x CLASSES booleans: the phrase starting at position i (with i+1) counts as that class.

    ``position_masks`` holds the token mask at each flat position; ``adjacent[i]`` says whether
    positions i and i+1 belong to the same document (its length is one less).
    """
    out = np.zeros((len(adjacent), len(CLASSES)), dtype=bool)
    if not len(adjacent):
        return out
    first, second = position_masks[:-1], position_masks[1:]
    for k, (_, _, cls) in enumerate(_PHRASES):
        bit = PHRASE_BIT + 2 * k
        out[:, cls] |= ((first >> bit) & 1 & (second >> (bit + 1))).astype(bool)
    out &= adjacent[:, None]
    return out


def with_phrase_classes(position_masks: np.ndarray, phrases: np.ndarray) -> np.ndarray:
    """Per flat position, the CLASSES bits of its token, plus the class of each phrase it is a word of
    (``phrases``: :func:`phrase_classes` of the same positions): «на лапу» is a bribery word twice."""
    out = position_masks & ((1 << len(CLASSES)) - 1)
    if len(phrases):
        bits = phrases @ (1 << np.arange(len(CLASSES)))  # distinct bits: the sum is their union
        out[:-1] |= bits
        out[1:] |= bits
    return out


def near_problem(position_classes: np.ndarray, doc_starts: np.ndarray, window: int) -> np.ndarray:
    """Per flat position: whether a failure word (class ``problem``) stands at most ``window`` tokens
    away, itself included, in the same document (``doc_starts``: each document's first flat position,
    then the end). In «Ауылда жарық жоқ, ал жаңа мектеп биыл салынды» «жарық» is near «жоқ», «мектеп»
    is not; nor is «жол» in a sentence that ends «... қуанышында шек болған жоқ» far from it."""
    problem = (position_classes >> CLASSES.index("problem")) & 1
    if not len(problem):
        return np.zeros(0, dtype=bool)
    doc_of = np.repeat(np.arange(len(doc_starts) - 1), np.diff(doc_starts))
    before = np.concatenate([[0], np.cumsum(problem)])  # failure words before each position
    at = np.arange(len(problem))
    low = np.maximum(at - window, doc_starts[doc_of])
    high = np.minimum(at + window + 1, doc_starts[doc_of + 1])
    return before[high] - before[low] > 0


def topic_near_problem(position_classes: np.ndarray, doc_starts: np.ndarray, near: np.ndarray) -> np.ndarray:
    """Per document: some infrastructure word is ``near`` (:func:`near_problem`) a failure word."""
    out = np.zeros(len(doc_starts) - 1, dtype=bool)
    topic = ((position_classes >> CLASSES.index("topic")) & 1).astype(bool)
    doc_of = np.repeat(np.arange(len(out)), np.diff(doc_starts))
    out[doc_of[topic & near]] = True
    return out


def rule_matrix(doc_classes: np.ndarray, topic_near: np.ndarray, doc_phrases: np.ndarray) -> np.ndarray:
    """Documents x RULES booleans from documents x CLASSES booleans (a class present in any token, a
    phrase's class included), each document's :func:`topic_near_problem`, and documents x CLASSES
    booleans of the classes of its phrases alone (:func:`phrase_classes`)."""
    topic, problem, bribe, anti, official, money, steal, public = (
        doc_classes[:, i] for i in range(len(CLASSES))
    )
    steal_public = steal & (official | public)
    return np.stack(
        [
            topic & problem,
            bribe,
            bribe & ~anti,
            anti,
            official & money,
            official & bribe,
            steal_public,
            steal & ~steal_public,
            topic_near,
            doc_phrases[:, CLASSES.index("bribe")],
        ],
        axis=1,
    )


def fire(text: str, *, letterless: bool = False, window: int = NEAR) -> list[str]:
    """Names of the rules that fire on one text (for tests and explanations); ``letterless``: read it as
    Kazakh typed without Kazakh letters; ``window``: as :func:`near_problem`."""
    tokens = re.findall(r"[^\W\d_]{2,}", text.lower())
    masks = select(np.asarray([token_classes(t) for t in tokens], dtype=np.int64), letterless)
    phrases = phrase_classes(masks, np.ones(max(len(masks) - 1, 0), dtype=bool))
    positions = with_phrase_classes(masks, phrases)
    present = np.asarray([[bool(np.any(positions & (1 << b))) for b in range(len(CLASSES))]], dtype=bool)
    starts = np.asarray([0, len(masks)])
    row = rule_matrix(
        present,
        topic_near_problem(positions, starts, near_problem(positions, starts, window)),
        phrases.any(axis=0, keepdims=True),
    )[0]
    return [name for name, on in zip(RULES, row, strict=True) if on]
