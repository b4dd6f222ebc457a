"""A text search finds a word in every spelling the classifier reads as it: Cyrillic, the 2021 Latin
alphabet, informal phone Latin and Russian translit (review/search.py ``search_pattern``)."""

from __future__ import annotations

import random

import duckdb
import pytest

from review.search import search_pattern, search_terms

# The search as it was before the spellings: the query and, for a Latin one, its Cyrillic form, as
# literal text, any case, i also as İ. Every item it finds must still be found.
_LITERAL_SEARCH = (
    "regexp_matches(t, '(?i)' || array_to_string(list_transform(?::VARCHAR[], "
    "lambda t: replace(replace(regexp_escape(t), 'i', '[iİ]'), 'I', '[iİ]')), '|'))"
)
WORDS = [
    "жол", "jol", "zhol", "Jol", "ЖОЛ", "жолдар", "joldar", "su", "су", "жоқ", "joq", "zhok", "jok",
    "бұзылған", "buzylgan", "búzylgan", "ішкі", "işki", "ishki", "İşki", "взятка", "vzyatka", "vzjatka",
    "коррупция", "korrupciya", "korruptsiya", "пара", "para", "сұрады", "sūrady", "surady", "не", "ne",
    "а", "a", "ёлка", "yolka", "люков", "lyukov", "ljukov", "taksi", "такси", "qarajat", "қаражат",
    "karazhat", "frijol", "joke", "a.b", "(жол)", "20 000", "нет", "net", "shkola", "школа", "şkola",
]  # fmt: skip


def _texts(seed: int, count: int) -> list[str]:
    rnd = random.Random(seed)
    seps = [" ", " ", ", ", ". ", "\n", "-", ""]
    return [
        "".join(rnd.choice(WORDS) + rnd.choice(seps) for _ in range(rnd.randint(1, 8))) for _ in range(count)
    ]


def _found(con: duckdb.DuckDBPyConnection, condition: str, param: object) -> set[int]:
    rows = con.execute(f"SELECT id FROM texts WHERE {condition}", [param]).fetchall()
    return {row[0] for row in rows}


@pytest.fixture(scope="module")
def texts() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE texts (id INTEGER, t VARCHAR)")
    con.executemany("INSERT INTO texts VALUES (?, ?)", list(enumerate(_texts(7, 3000))))
    return con


def test_a_search_finds_every_item_the_literal_search_found(texts: duckdb.DuckDBPyConnection) -> None:
    rnd = random.Random(11)
    queries = [*WORDS, "su joq", "су жоқ", "jol jöndelgen", ".*", "[а-я]+", "жол|x", "\\E", "İŞKİ", "IŞKI"]
    queries += [rnd.choice(WORDS)[: rnd.randint(1, 6)] for _ in range(40)]  # beginnings of words, as typed
    widened = 0
    for query in queries:
        before = _found(texts, _LITERAL_SEARCH, search_terms(query))
        after = _found(texts, "regexp_matches(t, ?)", search_pattern(query))
        assert before <= after, query
        widened += after > before
    assert widened > 10  # the spellings find more for many of them


def _finds(query: str, text: str) -> bool:
    return duckdb.execute("SELECT regexp_matches(?, ?)", [text, search_pattern(query)]).fetchone()[0]


@pytest.mark.parametrize(
    "query, text",
    [
        ("jol", "Auylda zhol buzylgan"),  # informal Latin (it found «жол» and «jol» only)
        ("zhol", "Auylda jol búzylgan"),
        ("zhol", "Ауылда жол бұзылған"),
        ("жол", "Auylda jol búzylgan"),  # a Cyrillic query finds Latin posts (it found none)
        ("жол", "Auylda zhol buzylgan"),
        ("ЖОЛ", "JOLDAR jaman"),
        ("жоқ", "su zhok"),
        ("su joq", "Auylda su zhok"),
        ("су жоқ", "Auylda su joq"),
        ("ішкі", "İşki jol"),
        ("ishki", "işki jol"),
        ("люков", "net lyukov"),  # Russian translit
        ("взятка", "trebuyut vzyatka"),
        ("shkola", "Школа закрыта"),  # a Latin query read as translit too
        ("ёлка", "novaya yolka"),
        ("такси", "vyzval taxi"),
        ("қайда", "Aqsha qaıda ketti? Jol áli jóndelmegen."),  # the 2018 alphabet: ı as й, и; ıa as я
        ("полиция", "Polıtsııa qyzmetkeri qujattardy qaıtarý úshin aqsha surady."),
        ("ұтып", "Tenderdi ákimniń týysy utyp aldy."),
    ],
)
def test_a_word_is_found_in_its_other_spellings(query: str, text: str) -> None:
    assert _finds(query, text)


@pytest.mark.parametrize(
    "query, text",
    [
        ("ne", "Он не пришёл"),  # «ne», «a»: not widened (they are in every other Russian text)
        ("не", "ne pas"),
        ("а", "a road"),
        ("жол", "frijol con arroz"),  # the Latin spellings from a word start only
        ("жол", "ajol"),
        ("жоқ", "jolq"),
        ("su joq", "su-joq"),  # the words of a phrase as typed: one space
    ],
)
def test_a_word_is_not_found_inside_unrelated_words(query: str, text: str) -> None:
    assert not _finds(query, text)


def test_the_query_stays_text_not_a_pattern() -> None:
    for query in (".*", "[а-я]+", "жол|x", "(?i)ЖОЛ", "\\E", "a{2}", "^жол$"):
        assert not _finds(query, "жол jol ЖОЛ x aa"), query
    assert _finds("(жол)", "a (jol) b") and _finds("a.b*c", "x a.b*c y")


@pytest.mark.parametrize(
    "query, text",
    [
        ("joldar", "Аким Елдар Ахметов открыл школу"),  # «roads» read as translit was «елдар», a name
        ("joldar", "Eldar Ahmetov"),
        ("jer", "Yerlan Ahmetov ashyq hat jazdy"),  # translit reads Yer as Ер, never as Йер
        ("jer", "Yermek"),
    ],
)
def test_a_kazakh_latin_query_is_not_also_read_as_translit_names(query: str, text: str) -> None:
    assert not _finds(query, text)


@pytest.mark.parametrize(
    "query, text",
    [
        ("закон", "Подробнее на сайте: https://www.zakon.kz/6412345-news.html"),  # a link's Latin part
        ("новости", "Источник: https://tengrinews.kz/novosti/123 — жители возмущены"),
        ("нет", "пишите на example.net"),
        ("закон", "zakon.kz пишет"),  # a bare domain
        ("жол", "пишите jol@mail.kz"),  # an e-mail address
        ("жол", "канал @jol_news"),  # a handle
        ("жол", "канал t.me/jol"),
        ("бар", "Barcelona won"),  # a short word going on as an English or Spanish one
        ("жер", "Jersey City"),
        ("мен", "Menschen"),
    ],
)
def test_a_word_is_not_found_inside_links_addresses_or_other_languages(query: str, text: str) -> None:
    assert not _finds(query, text)


@pytest.mark.parametrize(
    "query, text",
    [
        ("жол", "Auylda jol búzylgan"),
        ("жол", "joldar jaman"),  # Kazakh endings after a short word
        ("жол", "jolga shyqty"),
        ("жол", "jolǵa shyqty"),
        ("жер", "jerdi satty"),
        ("дом", "u doma net"),  # a Russian one
        ("закон", "zakonodatelstvo menyaetsya"),  # a longer word goes on as it likes
        ("закон", "po zakonu. Dalee"),
        ("закон", "eto zakon."),  # a full stop at the end of a sentence is no domain
        ("жол", "(jol) jaman"),
        ("shkola", "Школа закрыта"),  # a query not read as Kazakh is still read as translit too
        ("jer", "Jer satyldy"),
        ("на ели", "na yeli"),  # ye opens the second word of a phrase too
    ],
)
def test_a_word_is_still_found_with_its_endings_and_beside_punctuation(query: str, text: str) -> None:
    assert _finds(query, text)


def test_a_query_too_long_for_every_spelling_is_looked_for_as_typed() -> None:
    # A pasted page, 43,500 characters: in every spelling, RE2 said "pattern too large" (a traceback).
    query = "Auylda jol buzylgan, su joq. " * 1500
    assert _finds(query, f"начало {query} конец")
    assert not _finds(query, query[:-100])
