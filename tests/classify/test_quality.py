"""Quality gate: the committed model must stay above the floors in floors.json.

Shared development split (rows kept out of training by classify.dataset): skipped when ../shared is
absent. Our own held-out examples (classify/data, the dev share of them): always run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classify.dataset import SHARED_DATA, informal_copies, load_own, load_shared
from classify.evaluate import fpr_on_negatives, metrics
from classify.model import load_model
from classify.normalise import has_kazakh_letter

FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model()


def _check(report: dict, floors: dict) -> list[str]:  # type: ignore[type-arg]
    failures = []
    for label, by_lang in floors.items():
        for lang, floor in by_lang.items():
            got = report[label][lang]["f1"]
            if got < floor:
                failures.append(f"{label}/{lang}: F1 {got:.3f} < floor {floor:.3f}")
    return failures


@pytest.mark.shared
def test_shared_dev_split_above_floors(model) -> None:  # type: ignore[no-untyped-def]
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    rows = [r for r in load_shared(SHARED_DATA) if r.split == "dev"]
    predictions = model.classify([r.text for r in rows])
    report = metrics(rows, predictions)
    failures = _check(report, FLOORS["shared_dev"]["f1"])
    reviews = [(r, p) for r, p in zip(rows, predictions, strict=True) if r.file == "reviews_kk"]
    fpr = fpr_on_negatives([r for r, _ in reviews], [p for _, p in reviews])["fpr"]
    if fpr > FLOORS["shared_dev"]["reviews_kk_fpr_max"]:
        failures.append(f"reviews_kk FPR {fpr:.4f} > {FLOORS['shared_dev']['reviews_kk_fpr_max']}")
    assert not failures, "; ".join(failures)


@pytest.mark.shared
def test_shared_dev_split_typed_without_kazakh_letters_above_floors(model) -> None:  # type: ignore[no-untyped-def]
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    rows = informal_copies([r for r in load_shared(SHARED_DATA) if r.split == "dev"])
    assert len(rows) > 1000 and not any(has_kazakh_letter(r.text) for r in rows)
    report = metrics(rows, model.classify([r.text for r in rows]))
    failures = _check(report, FLOORS["shared_dev_informal"]["f1"])
    assert not failures, "; ".join(failures)


def test_own_held_out_examples_above_floors(model) -> None:  # type: ignore[no-untyped-def]
    rows = [r for r in load_own() if r.split == "dev"]
    assert len(rows) >= 25
    report = metrics(rows, model.classify([r.text for r in rows]))
    failures = _check(report, FLOORS["own_holdout"]["f1"])
    assert not failures, "; ".join(failures)
