"""Informal copies (Kazakh typed without Kazakh letters) and the folds that keep them with their rows."""

from __future__ import annotations

import numpy as np

from classify.dataset import Row, informal_copies
from classify.train import FOLDS, _folds


def _row(n: int, text: str, lang: str = "kk", label: int = 0) -> Row:
    return Row(
        id=f"r{n}",
        text=text,
        lang=lang,
        file="test",
        labels={"corruption": label, "infrastructure": None},
        weight=2.0,
    )


def test_copies_are_kazakh_rows_retyped_without_kazakh_letters() -> None:
    rows = [
        _row(1, "Әкімдік қызметкері пара сұрады", label=1),
        _row(2, "Жол жаман"),  # no Kazakh letter: the copy would be the same text
        _row(3, "Ремонт дороги сорван", lang="ru"),
        _row(4, "ҚОҚЫС ШЫҒАРЫЛМАҒАН"),
    ]
    copies = informal_copies(rows, weight=0.5)
    assert [c.text for c in copies] == ["Акимдик кызметкери пара сурады", "КОКЫС ШЫГАРЫЛМАГАН"]
    first = copies[0]
    assert (first.id, first.copy_of, first.file, first.labels) == (
        "r1",
        "r1",
        "test",
        {"corruption": 1, "infrastructure": None},
    )
    assert first.weight == 1.0  # half of its row's 2.0
    first.labels["corruption"] = 0
    assert rows[0].labels["corruption"] == 1  # a copy's labels are its own dict


def test_a_copy_lands_in_the_fold_of_its_row() -> None:
    rows = [_row(n, f"Әкімдік {n} қызметкері", label=n % 3 == 0) for n in range(60)]
    rows += [_row(n, f"Жол {n}", label=n % 2) for n in range(60, 100)]
    copies = informal_copies(rows)
    everything = rows + copies
    y = np.asarray([r.labels["corruption"] for r in everything])
    fold_of = _folds(everything, y, seed=1)
    position = {r.id: i for i, r in enumerate(rows)}
    assert len(copies) == 60
    for i, copy in enumerate(copies, start=len(rows)):
        assert fold_of[i] == fold_of[position[copy.copy_of]]
    # The rows themselves are split as without copies: stratified, every fold used.
    assert set(fold_of[: len(rows)].tolist()) == set(range(FOLDS))
    assert np.array_equal(fold_of[: len(rows)], _folds(rows, y[: len(rows)], seed=1))
