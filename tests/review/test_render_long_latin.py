"""A long text in Latin letters: its words are mapped as the classifier reads them once per item page,
not once for the marking and again for the evidence line."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from review import render
from tests.review.test_evidence_written import INFORMAL, KK_LATIN, KK_LATIN_EVIDENCE, _add, _marked

LONG = " ".join([KK_LATIN, INFORMAL] * 400)  # about 55,000 characters


def test_the_item_page_of_a_long_latin_text_maps_its_words_once(
    review_db: Path, logged_in: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(review_db, "tg-news", "kk-long", LONG, KK_LATIN_EVIDENCE, "kk")
    readings: list[int] = []
    reading_of = render._latin_reading_of
    monkeypatch.setattr(
        render, "_latin_reading_of", lambda text: readings.append(len(text)) or reading_of(text)
    )
    page = logged_in.get("/item?source=tg-news&id=kk-long").get_data(as_text=True)
    assert readings == [len(LONG)]  # once, for the marking and the evidence line
    body = page.split('<div class="body"')[1].split("</div>")[0]
    assert _marked(body) == ["para sūrady", "sybailas jemqorlyq"] * 400
    assert "para sūrady (пара сұрады)" in page


def test_what_is_kept_of_a_long_text_is_its_own_for_each_evidence() -> None:
    assert _marked(str(render.highlight(LONG, KK_LATIN_EVIDENCE))).count("para sūrady") == 400
    other = {"infrastructure": ["жол", "су жоқ"]}
    assert set(_marked(str(render.highlight(LONG, other)))) == {"zhol", "su zhok"}
    assert render.evidence_as_written(LONG, other) == {"infrastructure": ["zhol (жол)", "su zhok (су жоқ)"]}
    assert _marked(str(render.highlight(LONG, KK_LATIN_EVIDENCE))).count("para sūrady") == 400
