"""Item text on the page: control characters shown as visible ones, Kazakh searched in Latin letters."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from flask.testing import FlaskClient
from testutil import with_token

from collectors.item import Item
from review.search import search_terms
from store import classifications
from store.db import writer
from store.items import upsert_items

# Not allowed in HTML text: C0 controls but tab, newline and carriage return; DEL; C1 controls.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _total(page: str) -> int:
    return int(re.search(r'<span id="total">(\d+)</span>', page).group(1))


def test_control_characters_in_names_titles_and_text_are_shown_not_sent(
    logged_in: FlaskClient, review_db: Path
) -> None:
    author, title = "Ай\x01гүл\x7f", "Жол\x1b[31m жөнделмеді\x85"
    text = "Біздің\x02 аулада\x0bда сол жағдай, жол жөнделген жоқ.\x9f\r\nЕкінші жол\tбар."
    with writer(review_db) as con:
        con.execute(
            "UPDATE items SET author = ?, title = ?, text = ? WHERE external_id IN ('a-100-c2', 'fb-7')",
            [author, title, text],
        )
    pages = {
        "list": logged_in.get("/").get_data(as_text=True),
        "item": logged_in.get("/item?source=dept-facebook&id=fb-7").get_data(as_text=True),
        # a-100-c2 is not flagged, but close enough for infrastructure to wait for a second look
        "second look": logged_in.get("/second-look?label=infrastructure").get_data(as_text=True),
    }
    for name, page in pages.items():
        assert CONTROL.findall(page) == [], name
        assert "Ай␁гүл␡" in page, name  # the author, its control characters as their pictures
        assert "Жол␛[31m жөнделмеді" in page, name  # (the lists' excerpts drop U+0085, a line break)
        assert "Біздің␂ аулада" in page, name
    item = pages["item"]
    assert "Жол␛[31m жөнделмеді\ufffd</h3>" in item
    assert "Біздің␂ аулада␋да сол жағдай, жол жөнделген жоқ.\ufffd\r\nЕкінші жол\tбар." in item  # lines kept
    assert 'name="id" value="fb-7"' in item
    with duckdb.connect(str(review_db), read_only=True) as con:  # the store keeps what the source sent
        stored = con.execute("SELECT author, title, text FROM items WHERE external_id = 'fb-7'").fetchall()
    assert stored == [(author, title, text)]


@pytest.fixture
def kazakh_road(review_db: Path, now: datetime) -> Path:
    """The fixture database plus a flagged Kazakh complaint about a road, in Cyrillic."""
    item = Item(
        source="tg-city",
        kind="post",
        external_id="700",
        text="Ауылдағы жол жөнделген жоқ, көктемде су жоқ.",
        author="Жолаушы",
        published_at=now - timedelta(hours=3),
    )
    prediction = {
        "lang": "kk",
        "scores": {"corruption": 0.05, "infrastructure": 0.91},
        "labels": ["infrastructure"],
        "evidence": {"infrastructure": ["жол"]},
    }
    with writer(review_db) as con:
        upsert_items(con, [item], now=now)
        classifications.save(
            con, [("tg-city", "700", item.content_hash)], [prediction], model_version="test-1"
        )
    return review_db


@pytest.mark.parametrize("query", ["jol", "zhol", "JOL", "su joq", "jol jöndelgen", "Жол"])
def test_kazakh_typed_in_latin_letters_finds_it_in_cyrillic(
    logged_in: FlaskClient, kazakh_road: Path, query: str
) -> None:
    page = logged_in.get("/", query_string={"q": query}).get_data(as_text=True)
    assert _total(page) == 1
    assert 'href="/item?source=tg-city&amp;id=700"' in page
    export = logged_in.get(
        "/export", query_string=with_token(logged_in, {"q": query, "format": "csv"})
    ).get_data(as_text=True)
    assert "Ауылдағы жол жөнделген жоқ" in export  # the download holds what the list shows


def test_a_latin_search_still_finds_latin_text_and_special_characters_stay_text(
    logged_in: FlaskClient, kazakh_road: Path
) -> None:
    # a-100 says "через WhatsApp"; nothing says "bolmaidy" in either script
    assert _total(logged_in.get("/?q=whatsapp").get_data(as_text=True)) == 1
    assert _total(logged_in.get("/?q=bolmaidy").get_data(as_text=True)) == 0
    for query in (".*", "[а-я]+", "жол|x", "(?i)ЖОЛ", "\\E"):  # not patterns: no text holds them
        assert _total(logged_in.get("/", query_string={"q": query}).get_data(as_text=True)) == 0, query
    assert _total(logged_in.get("/", query_string={"q": "20 000"}).get_data(as_text=True)) == 2


def test_search_terms_add_the_cyrillic_form_of_latin_letters_only() -> None:
    assert search_terms("jol") == ["jol", "жол"]
    assert search_terms("ne") == ["ne"]  # «не» would find every other Russian text (review)
    assert search_terms("a") == ["a"]
    assert search_terms("su joq") == ["su joq", "су жоқ"]
    assert search_terms("жол") == ["жол"]
    assert search_terms("20 000") == ["20 000"]


@pytest.fixture
def dotted_i(kazakh_road: Path, now: datetime) -> Path:
    """Beside the Cyrillic complaint, two in the 2021 Latin alphabet, one with its capital İ."""
    items = [
        Item(source="tg-city", kind="post", external_id="701", text="İşki jol búzylgan", published_at=now),
        Item(source="tg-city", kind="post", external_id="702", text="ishki jolda su joq", published_at=now),
        Item(source="tg-city", kind="post", external_id="703", text="Ішкі жол бұзылған", published_at=now),
    ]
    prediction = {
        "lang": "kk",
        "scores": {"infrastructure": 0.9},
        "labels": ["infrastructure"],
        "evidence": {},
    }
    with writer(kazakh_road) as con:
        upsert_items(con, items, now=now)
        keys = [("tg-city", i.external_id, i.content_hash) for i in items]
        classifications.save(con, keys, [prediction] * 3, model_version="test-1")
    return kazakh_road


@pytest.mark.parametrize(
    "query, found",
    [
        # Every spelling of «ішкі» finds the three: ş and sh both spell ш.
        ("işki", {"701", "702", "703"}),  # the capital İ in the text ((?i) does not fold it; lower() did)
        ("İşki", {"701", "702", "703"}),  # and in the query, whose Cyrillic form was «і̇шкі» with a stray dot
        ("İŞKİ", {"701", "702", "703"}),
        ("IŞKI", {"701", "702", "703"}),  # a plain capital I finds the dotted one too (review)
        ("Işki", {"701", "702", "703"}),
        ("ishki", {"701", "702", "703"}),
        ("ішкі", {"701", "702", "703"}),  # and the Cyrillic, the Latin ones (it found only 703)
    ],
)
def test_the_capital_dotted_i_of_the_latin_alphabet_is_found_whatever_the_case(
    logged_in: FlaskClient, dotted_i: Path, query: str, found: set[str]
) -> None:
    page = logged_in.get("/", query_string={"q": query}).get_data(as_text=True)
    assert set(re.findall(r'href="/item\?source=tg-city&amp;id=(70\d)"', page)) == found


def test_control_characters_of_a_parent_evidence_and_a_saved_answer_are_shown_not_sent(
    logged_in: FlaskClient, kazakh_road: Path
) -> None:
    with writer(kazakh_road) as con:
        con.execute("UPDATE items SET parent = 'p\x02x' WHERE external_id = '700'")
        con.execute(
            """UPDATE classifications SET evidence = '{"infrastructure": ["жол\\u0001"]}' WHERE external_id = '700'"""
        )
    page = logged_in.get("/item?source=tg-city&id=700").get_data(as_text=True)
    assert CONTROL.findall(page) == []
    assert "Replies to p␂x" in page and "жол␁" in page


def test_a_note_or_forward_target_with_a_control_character_is_refused(kazakh_road: Path) -> None:
    from errors import InputError
    from review.queries import record_decision

    for note, target in (("плохо\x07", None), ("ok\n\tnext line", "akimat\x1b")):
        with pytest.raises(InputError, match="control character"):
            record_decision(
                kazakh_road,
                "tg-city",
                "700",
                status="forwarded",
                reviewer="aigerim",
                note=note,
                forwarded_to=target or "akimat",
            )
    assert (
        record_decision(
            kazakh_road, "tg-city", "700", status="confirmed", reviewer="aigerim", note="строка\n\tвторая"
        )
        == 1
    )
