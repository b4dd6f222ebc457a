"""Kazakh typed partly without its letters (a phone corrected a word or two) is read as typed wholly
without them: it keeps the flags of the letterless text (the acceptance run's pairs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testutil import run_cli

from classify.dataset import Row, partly_letterless_copies
from classify.lang import detect_languages
from classify.model import load_model
from classify.normalise import has_kazakh_letter, normalise

# (without any Kazakh letter, the same with one or two, the label both must have)
PAIRS = [
    ("Шенеуник пара сурады, кужат бермеди", "Шенеуник пара сурады, құжат бермеди", "corruption"),
    ("Акимдик кызметкери пара сурады", "Әкимдик кызметкери пара сурады", "corruption"),
    ("Sheneunik para surady", "Sheneunik para surady, qujat bermedi", "corruption"),  # q reads as қ
    ("Акимдик кызметкери пара сурады", "Akimdik qyzmetkeri para surady", "corruption"),
    ("Акша кайда кетти? Жол али жонделмеген", "Акша қайда кетти? Жол али жонделмеген", "infrastructure"),
]
# A letter corrected by the phone changes the reading of nothing else: the two versions score alike
# (before, 0.9996 against 0.12, 1.0 against 0.035, 0.9997 against 0.027).
MARGIN = 0.05


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model()  # the shipped model


@pytest.mark.parametrize(("bare", "corrected", "label"), PAIRS)
def test_a_word_or_two_with_kazakh_letters_keep_the_flag(
    model, bare: str, corrected: str, label: str
) -> None:  # type: ignore[no-untyped-def]
    first, second = model.classify([bare, corrected])
    assert label in first["labels"], first
    assert label in second["labels"], second
    assert abs(first["scores"][label] - second["scores"][label]) <= MARGIN, (first, second)


def test_evidence_keeps_the_words_as_written(model) -> None:  # type: ignore[no-untyped-def]
    (result,) = model.classify(["Шенеуник пара сурады, құжат бермеди"])
    words = result["evidence"]["corruption"]
    assert "сурады" in words and "құжат" in words and "кужат" not in words, words
    lowered = normalise("Шенеуник пара сурады, құжат бермеди").lower()
    assert all(word in lowered for term in words for word in term.split()), words


def test_which_texts_are_partly_letterless(model) -> None:  # type: ignore[no-untyped-def]
    texts = [
        "Шенеунік пара сұрады, құжат бермеді",  # written with the letters: the Kazakh weights
        "Шенеуник пара сурады, құжат бермеди",  # one word in five: partly
        "Шенеуник пара сурады, кужат бермеди",  # none: wholly letterless, as before
        "Шенеуник пара сұрады, құжат бермеди",  # two in five: partly
        "Шенеуник пара сұрады, құжат бермеді",  # three in five: with the letters
        "Чиновник просил взятку, документ не выдал",  # Russian
    ]
    normalised = [normalise(t) for t in texts]
    langs = detect_languages(normalised)
    assert langs[:5] == ["kk"] * 5 and langs[5] == "ru"
    assert model.partly_letterless(normalised, langs) == [1, 3]
    scores = [r["scores"]["corruption"] for r in model.classify(texts)]
    assert scores[1] == scores[2] == scores[3]  # each read as the letterless text
    assert scores[0] != scores[1] and scores[4] != scores[1]


def _row(n: int, text: str, lang: str = "kk") -> Row:
    return Row(id=f"r{n}", text=text, lang=lang, file="test", labels={"corruption": 1, "infrastructure": 0})


def test_partly_letterless_copies_keep_one_or_two_words_with_letters() -> None:
    rows = [
        _row(1, "Әкімдік қызметкері жер телімі үшін пара сұрады"),
        _row(2, "Көшеде жарық жоқ"),
        _row(3, "Жол жаман"),  # no Kazakh letter: left out
        _row(4, "Ауылда су жоқ"),  # one word with a letter: it cannot be partly retyped
        _row(5, "Чиновник потребовал взятку", lang="ru"),
    ] + [_row(n, f"Әкімдік {n} қызметкері үшін пара сұрады, құжат бермеді") for n in range(10, 40)]
    copies = partly_letterless_copies(rows)
    assert [c.copy_of for c in copies] == ["r1", "r2"] + [f"r{n}" for n in range(10, 40)]
    kept = []
    for copy, row in zip(copies, [rows[0], rows[1], *rows[5:]], strict=True):
        words, originals = copy.text.split(), row.text.split()
        assert len(words) == len(originals)
        lettered = [w for w in words if has_kazakh_letter(w)]
        assert 1 <= len(lettered) <= 2 and len(lettered) < sum(has_kazakh_letter(w) for w in originals)
        for word, original in zip(words, originals, strict=True):  # kept as written, or retyped
            assert word == original or not has_kazakh_letter(word)
        assert copy.labels == row.labels and copy.labels is not row.labels
        kept.append(len(lettered))
    assert set(kept[2:]) == {1, 2}  # one or two, drawn per row
    assert [c.text for c in partly_letterless_copies(rows)] == [c.text for c in copies]  # the same every run


def test_evaluate_partly_letterless(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "text": "Әкімдік қызметкері жер телімі үшін пара сұрады", "labels": {"corruption": 1}},
        {"id": 2, "text": "Көшеде үш күннен бері жарық жоқ", "labels": {"infrastructure": 1}},
        {"id": 3, "text": "Ауылда су жоқ", "labels": {"infrastructure": 1}},  # one lettered word
        {"id": 4, "text": "Инспектор потребовал взятку", "labels": {"corruption": 1}},  # Russian
    ]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = run_cli("evaluate", "--data", str(path), "--partly-letterless", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["metrics"]
    assert report["corruption"]["kk"]["n"] == 1 and report["infrastructure"]["kk"]["n"] == 1
    assert "ru" not in report["corruption"]
    text = run_cli("evaluate", "--data", str(path), "--partly-letterless").stdout
    assert "(2 rows, Kazakh rows retyped without Kazakh letters but in one or two words)" in text
    both = run_cli("evaluate", "--data", str(path), "--partly-letterless", "--letterless")
    assert both.returncode != 0 and "not allowed with argument" in both.stderr
    short = tmp_path / "short.jsonl"
    short.write_text(json.dumps(rows[2], ensure_ascii=False) + "\n", encoding="utf-8")
    refused = run_cli("evaluate", "--data", str(short), "--partly-letterless")
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"error: {short}: no Kazakh row with two or more words with Kazakh letters to retype (--partly-letterless)"
    )
