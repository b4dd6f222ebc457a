"""The CSV/XLSX evidence column skips the full reading of a text whose Latin letters are all inside
links, e-mail addresses and @handles (review.render.may_write_otherwise): cheaply, and only where that
reading would name every term as stored."""

from __future__ import annotations

import random

import pytest

from review.cells import evidence_text
from review.render import evidence_as_written, may_write_otherwise

EVIDENCE = {"corruption": ["пара сұрады", "взятк", "жемқорлық"], "infrastructure": ["жол", "коррупция"]}
PIECES = [
    "Әкімдіктегі", "шенеунік", "пара", "сұрады", "жол", "бұзылған", "взятку", "коррупция", "ёлка",
    "para", "sūrady", "surady", "jol", "zhol", "jemqorlyq", "vzyatku", "korrupciya", "WhatsApp",
    "https://www.zakon.kz/6412345-news.html", "https://tengrinews.kz/novosti/123", "www.jol.kz",
    "tengrinews.kz", "gov.kz/ru/news", "example.net", "jol@mail.kz", "@akimat_almaty", "@jol", "t.me/jol",
    "http://localhost/jol", "https://x.kz/жолabc", "жолabc", "пaрa", "(https://jol.kz)", "jol.kz,",
    "#Almaty", "ko'sha", "https://x.kz\x0bjol", "a\x00b", "n.b.", "e.g.", "@", ".", "...", "«jol»",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "\n", "\t", ", ", ". ", "\r\n", "", "\xa0"]


def _texts(seed: int, count: int) -> list[str]:
    rnd = random.Random(seed)
    return [
        "".join(rnd.choice(PIECES) + rnd.choice(SEPARATORS) for _ in range(rnd.randint(1, 9)))
        for _ in range(count)
    ]


def test_a_text_it_skips_has_every_term_named_as_stored() -> None:
    skipped = 0
    for text in _texts(3, 6000):
        if not may_write_otherwise(text):
            skipped += 1
            assert evidence_text(evidence_as_written(text, EVIDENCE)) == evidence_text(EVIDENCE), repr(text)
    assert skipped > 300  # the Cyrillic texts with a link, an address or a handle among them


@pytest.mark.parametrize(
    "text",
    [
        "Подробнее на сайте: https://www.zakon.kz/6412345-news.html",
        "Источник: https://tengrinews.kz/novosti/123 — жители возмущены",
        "Пишите на jol@mail.kz или @akimat_almaty",
        "Читайте tengrinews.kz и gov.kz/ru/news.",
        "Әкімдіктегі шенеунік пара сұрады\nhttps://instagram.com/p/Cx12abc",
    ],
)
def test_a_cyrillic_text_with_links_addresses_or_handles_is_skipped(text: str) -> None:
    assert not may_write_otherwise(text)


@pytest.mark.parametrize(
    "text",
    [
        "Auylda jol búzylgan, para sūrady",  # Kazakh in Latin letters
        "Chinovnik trebuet vzyatku https://x.kz",  # translit beside a link
        "пишите в WhatsApp https://t.me/almaty_news/12345",  # a Latin word outside the link
        "Шенеунік пaрa сұрады",  # a word typed in both scripts
        "https://x.kz/жолabc",  # a link with a word in both scripts: it is marked as written
        "http://localhost/jol",  # a link without a dot: left to the full reading
    ],
)
def test_a_text_that_may_write_a_term_otherwise_is_read_in_full(text: str) -> None:
    assert may_write_otherwise(text)
