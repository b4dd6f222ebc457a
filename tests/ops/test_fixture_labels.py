"""The fixture posts and the keyword stand-in model agree, so the other tests' counts mean something."""

from __future__ import annotations

from opskit import POSTS, KeywordModel


def test_keyword_model_flags_exactly_the_labelled_posts() -> None:
    results = KeywordModel().classify([p["text"] for p in POSTS])
    assert [sorted(r["labels"]) for r in results] == [sorted(p["labels"]) for p in POSTS]
    assert sum(1 for p in POSTS if p["labels"]) == 12
