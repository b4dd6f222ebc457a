"""Evidence in a text written in the 2018 Kazakh alphabet is marked where it is written.

The page mapped each Latin word alone, in the word's own alphabet: «qyzmetkeri» came out «қызметкери»,
while the classifier read the whole text in the 2018 one («қызметкері»), so its evidence was not found.
"""

from __future__ import annotations

from review.render import evidence_as_written, highlight

TEXT = "Ákimdik qyzmetkeri para surady, qujat bermedi, kezekte turdyq"
EVIDENCE = {"corruption": ["қызметкері", "пара"]}


def test_a_2018_word_is_marked_as_the_classifier_read_it() -> None:
    assert "qyzmetkeri</mark>" in str(highlight(TEXT, EVIDENCE))
    assert "qyzmetkeri (қызметкері)" in evidence_as_written(TEXT, EVIDENCE)["corruption"]


def test_the_same_word_in_an_informal_text_is_read_as_there() -> None:
    # No 2018 letter: the informal reading, where «qyzmetkeri» is «қызметкери»; «қызметкері» is not there.
    text = "Akimdik qyzmetkeri para surady"
    assert "qyzmetkeri</mark>" not in str(highlight(text, EVIDENCE))
