"""Keyword rules, used as features next to the n-grams (the linear model weighs them).

A linear model on n-grams cannot say "a road word AND a failure word in the same text"; these
conjunctions can. Each word class is a set of word beginnings (Russian and Kazakh) matched against
single tokens, so the classes of a token are computed once and cached with its n-grams; a document's
rules are then a few boolean operations over its tokens' classes.
"""

from __future__ import annotations

import re

import numpy as np

CLASSES = ("topic", "problem", "bribe", "anti", "official", "money")
_PATTERNS = {
    "topic": r"дорог|асфальт|ям[аыу]$|выбоин|тротуар|люк|светофор|освещени|фонар|автобус|маршрут|остановк|"
    r"вод[аыуе]$|водоснаб|водопровод|канализ|отоплени|батаре|газ$|газа$|газо|электр|свет$|света$|лифт|крыш|подъезд|мусор|"
    r"свалк|жол$|жолы|жолда|жолдар|көше|шұңқыр|ойық|аялдама|көлік|бағдаршам|шам$|шамдар|су$|суы|суға|судың|құбыр|кәріз|"
    r"жылу|жылыт|жарық|шатыр|қоқыс|үй$|үйде|үйдің|көпір|ғимарат|апатты|вокзал|трамвай|троллейбус",
    "problem": r"нет$|отключ|сломан|разбит|провал|течет|теч[ьи]|затоп|прорыв|аварийн|жалоб|переполн|холодн|опасн|"
    r"невозможн|неисправ|ржав|жоқ|жок$|болмай|істемей|бұзыл|ақау|тозған|ескір|азап|шағым|наразы|сөнді|өшір|"
    r"үзіл|ағып|жарыл|құлап|қауіпті|нашар|жетіспей|тапшы|қиындық|жөнделмеген|суық|лас$|жеткізілмеген|тартылмаған|батпақ",
    "bribe": r"взятк|взяток|откат|лапу$|подкуп|вымога|хищени|растрат|присвоени|присвоил|коррупционер|злоупотребл|"
    r"кумовств|побор|распил|украл|воруют|ворует|параны|парамен|парақор|пара[сғ]|жемқор|ұрла|ұрлық|жымқыр|"
    r"талан|иемден|бопса|қалтасына|таныстық|коррупц|сыбайлас|асыра|пайдасына|жегені|жеп\b|мансабын",
    "anti": r"противодейств|профилактик|семинар|қарсы|алдын|борьб|превентив|антикоррупционн|кесел|болезн|күрес",
    "official": r"чиновни|аким|депутат|полицейск|инспектор|начальник|директор|министр|прокурор|судья|госслуж|"
    r"шенеунік|әкім|лауазым|полиция|басшы|бастық|заведующ|меңгеруші|глав[аы]$",
    "money": r"бюджет|госзакуп|тендер|субсиди|государствен|мемлекеттік|қаражат|қаржы|миллион|миллиард|млн|млрд|деньг|ақша|теңге|тенге|шығын|мемлекет",
}
_COMPILED = {name: re.compile(pattern) for name, pattern in _PATTERNS.items()}

RULES = ("topic_problem", "bribe", "bribe_not_anti", "anti", "official_money", "official_bribe")


def token_classes(token: str) -> int:
    """Bit mask of the word classes (CLASSES order) whose beginnings match one lower-cased token."""
    mask = 0
    for bit, name in enumerate(CLASSES):
        if _COMPILED[name].match(token):
            mask |= 1 << bit
    return mask


def rule_matrix(doc_classes: np.ndarray) -> np.ndarray:
    """Documents x RULES booleans from documents x CLASSES booleans (a class present in any token)."""
    topic, problem, bribe, anti, official, money = (doc_classes[:, i] for i in range(len(CLASSES)))
    return np.stack([topic & problem, bribe, bribe & ~anti, anti, official & money, official & bribe], axis=1)


def fire(text: str) -> list[str]:
    """Names of the rules that fire on one text (for tests and explanations)."""
    masks = [token_classes(t) for t in re.findall(r"[^\W\d_]{2,}", text.lower())]
    present = np.asarray([[any(m & (1 << b) for m in masks) for b in range(len(CLASSES))]], dtype=bool)
    row = rule_matrix(present)[0]
    return [name for name, on in zip(RULES, row, strict=True) if on]
