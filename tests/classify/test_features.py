"""Hashed features: the character space computed for a batch of new words at once."""

from __future__ import annotations

import numpy as np

from classify.features import FeatureSpec, Featuriser, char_columns


def test_char_columns_are_unique_sorted_and_per_token() -> None:
    spec = FeatureSpec()
    lengths, cols = char_columns(["жол", "дорога", "жол"], spec)
    # " жол ": 3 three-grams, 2 four-grams, 1 five-gram; a column repeats only by a hash collision.
    assert lengths[0] == lengths[2] <= 6 and lengths[0] >= 5
    first, third = cols[: lengths[0]], cols[lengths[0] + lengths[1] :]
    assert np.array_equal(first, third)  # same word, same columns
    for start, n in zip(np.cumsum(lengths) - lengths, lengths, strict=True):
        part = cols[start : start + n]
        assert np.all(np.diff(part) > 0)  # sorted, no duplicates within a token
        assert part.min() >= 0 and part.max() < spec.char_dim


def test_char_columns_do_not_depend_on_the_batch() -> None:
    spec = FeatureSpec()
    alone_len, alone = char_columns(["шұңқыр"], spec)
    lengths, cols = char_columns(["асфальт", "шұңқыр", "a" * 60], spec)
    start = lengths[0]
    assert np.array_equal(cols[start : start + lengths[1]], alone)
    assert lengths[1] == alone_len[0]
    # A long word is cut to 40 letters: " " + 40 a's + " " has 9 distinct 3- to 5-grams.
    assert np.array_equal(cols[start + lengths[1] :], char_columns(["a" * 40], spec)[1])
    assert lengths[2] <= 9
    assert char_columns([], spec)[1].size == 0


def test_cached_and_fresh_featurisers_agree() -> None:
    texts = ["Көшеде жарық жоқ, жол бұзылған", "Во дворе нет горячей воды третий день", "Жол жөнделді"]
    langs = ["kk", "ru", "kk"]
    warm = Featuriser()
    warm.transform(texts[::-1], langs[::-1])  # fills the cache in another order
    a = warm.transform(texts, langs).matrix
    b = Featuriser().transform(texts, langs).matrix
    assert (a != b).nnz == 0


def test_rule_words_without_kazakh_letters_count_in_letterless_kazakh_only() -> None:
    from classify.rules import RULES

    featuriser = Featuriser(FeatureSpec())
    spec = featuriser.spec
    column = spec.word_dim + spec.char_dim + RULES.index("topic_problem")
    texts = ["кошеде шункыр коп жарык жок", "кошеде шункыр коп жарык жок", "көшеде шұңқыр көп жарық жоқ"]
    matrix = featuriser.transform(texts, ["kk", "ru", "kk"]).matrix
    # Read as Kazakh typed on a Russian keyboard, as Russian, and as Kazakh written with its letters.
    assert [matrix[d, column] > 0 for d in range(3)] == [True, False, True]


def test_in_one_sentence_needs_the_two_words_with_no_sentence_end_between() -> None:
    from classify.features import in_one_sentence

    text = "вода есть. трубы текут, рост на 3.5 тенге; потом\nснова. воды нет"
    assert in_one_sentence(text, "трубы", "текут")
    assert in_one_sentence(text, "текут", "рост")  # a comma is no sentence end
    assert in_one_sentence(text, "на", "тенге")  # nor a number between, nor the point inside it
    assert not in_one_sentence(text, "есть", "трубы")  # full stop
    assert not in_one_sentence(text, "тенге", "потом")  # semicolon
    assert not in_one_sentence(text, "потом", "снова")  # line break
    assert not in_one_sentence(text, "вода", "трубы")  # not next to each other
    assert in_one_sentence("ямы в асфальте", "ямы", "асфальте")  # a one-letter word is no token
    assert not in_one_sentence("ямы в. асфальте", "ямы", "асфальте")
    assert in_one_sentence("хабарлайды: [url]", "хабарлайды", "[url]")  # a masked link is a token
    assert not in_one_sentence("жарық жоқ. [url]", "жоқ", "[url]")
    assert in_one_sentence(text, "воды", "нет")  # a later occurrence: «вода есть» does not hide it
    assert not in_one_sentence("свет погас!опять", "погас", "опять")  # «!» ends one with or without a space
    assert in_one_sentence("свет погас.опять", "погас", "опять")  # a point before a letter does not


def test_stems_are_copied_only_near_a_failure_word() -> None:
    def copies(text: str) -> set[int]:
        """Word columns that the failure-word copies add to a Kazakh text."""
        with_copies = Featuriser(FeatureSpec()).transform([text], ["kk"]).matrix
        without = Featuriser(FeatureSpec(problem_copies=0)).transform([text], ["kk"]).matrix
        word_dim = FeatureSpec().word_dim
        return {int(c) for c in with_copies[0].indices if c < word_dim} - set(without[0].indices.tolist())

    light = copies("жарық жоқ") - copies("жоқ")  # the column of «жарық» next to a failure word
    assert len(light) == 1
    assert light <= copies("Ауылда кеше жарық болмады, бүгін де жоқ")  # 4 tokens apart
    # Seven tokens apart, the «жоқ» says nothing of the light: no copy of «жарық».
    assert not light & copies("Жарық біздің ауылға алғаш рет келгенде анамның қуанышында шек болған жоқ")
