"""A lone surrogate (a JSON "\\ud800" escape without its pair) in one text: it costs that text only."""

from __future__ import annotations

from classify.lang import detect_languages
from classify.normalise import normalise


def test_normalise_makes_a_lone_surrogate_a_replacement_character() -> None:
    cleaned = normalise("Аким  требовал \ud800 взятку \udfff")
    assert cleaned == "Аким требовал \ufffd взятку \ufffd"
    cleaned.encode("utf-8")  # what lingua and the output need


def test_a_text_lingua_cannot_read_does_not_make_its_whole_batch_other() -> None:
    # No cue decides these (one Kazakh word that is also Russian): lingua is asked for all of them at once.
    texts = [f"аким требовал взятку {n}" for n in range(5)]
    assert detect_languages(texts) == ["ru"] * 5
    assert detect_languages([*texts, "аким требовал \ud800 взятку"]) == ["ru"] * 5 + ["other"]
