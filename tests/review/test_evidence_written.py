"""Evidence terms are stored as the classifier reads a text (Cyrillic, ё as е, Kazakh Latin and Russian
translit mapped to Cyrillic); the review page marks and names them as the text writes them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient

from collectors.item import Item
from review.render import evidence_as_written, highlight
from store import classifications
from store.db import writer
from store.items import upsert_items

KK_LATIN = "Äkımdıktegı şeneunık jer telımı üşın para sūrady, bul sybailas jemqorlyq"
KK_LATIN_EVIDENCE = {"corruption": ["пара сұрады", "сыбайлас жемқорлық", "жемқорлық"], "infrastructure": []}
INFORMAL = "Auylda zhol buzylgan, su zhok, akimdik eshteme istemeidi"
TRANSLIT = "Chinovnik akimata treboval vzyatku za razreshenie na stroitelstvo, eto korrupciya"


def _marked(html: str) -> list[str]:
    return re.findall(r'<mark class="ev ev-[a-z]+" title="[a-z]+">([^<]*)</mark>', html)


def test_kazakh_latin_words_are_marked_as_written() -> None:
    out = str(highlight(KK_LATIN, KK_LATIN_EVIDENCE))
    assert _marked(out) == ["para sūrady", "sybailas jemqorlyq"]  # the longest at a place wins
    assert out.startswith("Äkımdıktegı şeneunık jer telımı üşın <mark")


def test_informal_latin_kazakh_and_russian_translit_are_marked() -> None:
    informal = str(highlight(INFORMAL, {"infrastructure": ["су жоқ", "жол", "бузылған"]}))
    assert _marked(informal) == ["zhol", "buzylgan", "su zhok"]
    translit = str(highlight(TRANSLIT, {"corruption": ["взятку", "коррупция"]}))
    assert _marked(translit) == ["vzyatku", "korrupciya"]
    # A stem, as older evidence held them, matches a word starting with it, as in Cyrillic.
    assert _marked(str(highlight(TRANSLIT, {"corruption": ["взятк"]}))) == ["vzyatku"]


def test_a_latin_i_typed_in_a_cyrillic_word_is_marked_whole() -> None:
    text = "Акимдiктегi шенеунiк жер телiмi ушiн пара сурады"  # Latin i for і in the first four words
    out = str(highlight(text, {"corruption": ["шенеунік", "акимдіктегі", "телімі", "пара сурады"]}))
    assert _marked(out) == ["Акимдiктегi", "шенеунiк", "телiмi", "пара сурады"]


def test_latin_words_the_classifier_kept_latin_are_not_marked_by_a_cyrillic_term() -> None:
    # English words are not rewritten: «para» here is no «пара».
    assert (
        _marked(str(highlight("The para was good and the su was fine", {"corruption": ["пара", "су"]}))) == []
    )


def test_the_evidence_line_names_the_words_as_written_where_they_map() -> None:
    written = evidence_as_written(KK_LATIN, KK_LATIN_EVIDENCE)
    assert written == {
        "corruption": [
            "para sūrady (пара сұрады)",
            "sybailas jemqorlyq (сыбайлас жемқорлық)",
            "jemqorlyq (жемқорлық)",
        ],
        "infrastructure": [],
    }
    # A Cyrillic text keeps the terms as they are.
    cyrillic = {"corruption": ["пара сұрады", "взятк"]}
    assert evidence_as_written("Әкімдіктегі шенеунік пара сұрады", cyrillic) == cyrillic


def test_the_classifiers_own_evidence_for_a_latin_text_is_all_marked() -> None:
    from classify.model import load_model

    for text in (KK_LATIN, INFORMAL, TRANSLIT):
        result = load_model().classify([text])[0]
        terms = [t for terms in result["evidence"].values() for t in terms]
        assert terms, text
        written = [t for terms in evidence_as_written(text, result["evidence"]).values() for t in terms]
        assert all(w.endswith(f" ({t})") for w, t in zip(written, terms, strict=True)), written
        assert _marked(str(highlight(text, result["evidence"])))


def _add(
    db: Path, source: str, external_id: str, text: str, evidence: dict[str, list[str]], lang: str
) -> None:
    now = datetime.now().astimezone()
    item = Item(
        source=source,
        kind="comment",
        external_id=external_id,
        text=text,
        published_at=now - timedelta(hours=1),
    )
    labels = [label for label, terms in evidence.items() if terms]
    pred = {
        "lang": lang,
        "scores": {"corruption": 0.9 if "corruption" in labels else 0.1, "infrastructure": 0.1},
        "labels": labels,
        "evidence": evidence,
    }
    with writer(db) as con:
        upsert_items(con, [item], now=now)
        classifications.save(
            con, [(source, external_id, item.content_hash)], [pred], model_version="test-1", now=now
        )


def test_the_item_page_of_a_latin_kazakh_item_marks_the_latin_words(
    review_db: Path, logged_in: FlaskClient
) -> None:
    _add(review_db, "tg-news", "kk-latin-1", KK_LATIN, KK_LATIN_EVIDENCE, "kk")
    page = logged_in.get("/item?source=tg-news&id=kk-latin-1").get_data(as_text=True)
    body = page.split('<div class="body"')[1].split("</div>")[0]
    assert _marked(body) == ["para sūrady", "sybailas jemqorlyq"]
    evidence = " ".join(page.split('<p class="evidence">')[1].split("</p>")[0].split())
    assert (
        "para sūrady (пара сұрады), sybailas jemqorlyq (сыбайлас жемқорлық), jemqorlyq (жемқорлық)"
        in evidence
    )
    # and the list's snippet
    listing = logged_in.get("/").get_data(as_text=True)
    row = listing.split("id=kk-latin-1")[1].split("</tr>")[0]
    assert _marked(row) == ["para sūrady", "sybailas jemqorlyq"]


def test_the_item_page_of_a_cyrillic_item_is_unchanged(review_db: Path, logged_in: FlaskClient) -> None:
    text = "Әкімдіктегі шенеунік жер телімі үшін пара сұрады"
    _add(review_db, "tg-news", "kk-cyr-1", text, {"corruption": ["пара сұрады", "шенеунік"]}, "kk")
    page = logged_in.get("/item?source=tg-news&id=kk-cyr-1").get_data(as_text=True)
    body = page.split('<div class="body"')[1].split("</div>")[0]
    assert _marked(body) == ["шенеунік", "пара сұрады"]
    evidence = " ".join(page.split('<p class="evidence">')[1].split("</p>")[0].split())
    assert evidence.endswith("corruption</span> пара сұрады, шенеунік")


def test_the_evidence_line_has_no_trailing_semicolon_when_only_the_first_label_has_terms(
    review_db: Path, logged_in: FlaskClient
) -> None:
    _add(
        review_db,
        "tg-news",
        "first-only",
        "Чиновник требовал взятку",
        {"corruption": ["взятку"], "infrastructure": []},
        "ru",
    )
    page = logged_in.get("/item?source=tg-news&id=first-only").get_data(as_text=True)
    evidence = " ".join(page.split('<p class="evidence">')[1].split("</p>")[0].split())
    assert evidence == 'Evidence: <span class="tag tag-corruption">corruption</span> взятку'


def test_an_empty_term_is_left_out_of_the_line_not_a_crash() -> None:
    # review: a None term (a row an analyst edited by hand) made the item page a 500
    from review.render import evidence_as_written

    assert evidence_as_written("Жол жоқ", {"corruption": [None, " "], "infrastructure": ["жол"]}) == {
        "corruption": [],
        "infrastructure": ["жол"],
    }
