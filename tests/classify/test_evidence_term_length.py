"""Evidence terms are words or word pairs a reviewer reads: a run of letters is never one."""

from __future__ import annotations

import pytest

from classify.features_evidence import MAX_TERM_CHARS
from classify.model import load_model


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model()


def test_a_word_longer_than_a_term_is_never_evidence(model) -> None:  # type: ignore[no-untyped-def]
    run = "взятка" + "а" * 75  # a stretched word the model scores as bribery (it was the second term)
    text = f"Чиновник акимата требовал взятку за разрешение. {run}"
    res = model.classify([text])[0]
    terms = res["evidence"]["corruption"]
    assert "corruption" in res["labels"]
    assert terms[0] == "взятку", terms
    assert all(len(term) <= MAX_TERM_CHARS for term in terms), terms
    assert run not in terms and len(terms) == 5, terms  # the others are still shown
    assert res["scores"]["corruption"] > 0.99  # evidence only: the score is the model's, as before
