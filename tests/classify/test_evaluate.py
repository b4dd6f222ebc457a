"""The figures of `evaluate` and the model card: counts, F1 and its bootstrap interval."""

from __future__ import annotations

import pytest

from classify.dataset import Row
from classify.evaluate import average_precision, f1_interval, format_table, metrics


def _row(n: int, corruption: int, lang: str) -> Row:
    return Row(
        id=f"t:{n}",
        text="текст",
        lang=lang,
        labels={"corruption": corruption, "infrastructure": None},
        file="test",
        split="dev",
    )


def test_interval_holds_the_estimate_and_narrows_with_more_rows() -> None:
    small = f1_interval(20, 3, 6, 300)  # F1 0.816, as Kazakh corruption on the dev split
    large = f1_interval(2000, 300, 600, 30000)  # the same rates, a hundred times the rows
    assert small[0] < 40 / 49 < small[1]
    assert large[0] < 4000 / 4900 < large[1]
    assert small[1] - small[0] > 0.15  # 26 positives: the bar 0.85 cannot be told from 0.816
    assert large[1] - large[0] < 0.03
    assert f1_interval(20, 3, 6, 300) == small  # seeded: the card does not change between runs


def test_interval_edges() -> None:
    assert f1_interval(0, 5, 0, 100) == (0.0, 0.0)  # no positive: F1 is not defined, shown as 0
    assert f1_interval(12, 0, 0, 50) == (1.0, 1.0)  # every row right: every resample is right too
    low, high = f1_interval(1, 0, 1, 10)  # one of two positives found: from nothing to all
    assert low == 0.0 and high == 1.0


def test_metrics_and_table_carry_the_interval() -> None:
    rows = [_row(n, 1, "kk") for n in range(10)] + [_row(n, 0, "kk") for n in range(10, 40)]
    # 8 of 10 positives found, 2 false alarms: precision 0.8, recall 0.8.
    flagged = set(range(8)) | {10, 11}
    predictions = [{"lang": "kk", "labels": ["corruption"] if n in flagged else []} for n in range(len(rows))]
    report = metrics(rows, predictions)
    kk = report["corruption"]["kk"]
    assert (kk["tp"], kk["fp"], kk["fn"], kk["f1"]) == (8, 2, 2, 0.8)
    low, high = kk["f1_interval"]
    assert low < 0.8 < high
    table = format_table(report)
    assert "f1 95% interval" in table.splitlines()[0]
    assert f"{low:.3f}-{high:.3f}" in table


def test_average_precision_is_scikit_learns_ties_included() -> None:
    import numpy as np
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(3)
    for _ in range(20):
        truth = rng.integers(0, 2, 60)
        truth[0] = 1
        scores = rng.integers(0, 8, 60) / 8  # few distinct values: many ties
        assert average_precision(truth, scores) == pytest.approx(
            average_precision_score(truth, scores), abs=1e-4
        )
    assert average_precision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]) == pytest.approx((1 + 2 / 3) / 2, abs=1e-4)
    assert average_precision([0, 0], [0.5, 0.1]) == 0.0


def test_metrics_give_the_average_precision_when_predictions_carry_scores() -> None:
    rows = [_row(n, 1, "kk") for n in range(4)] + [_row(n, 0, "kk") for n in range(4, 8)]
    # Ranked by score: positive, negative, positive, positive, negative, positive, negative, negative.
    scores = {0: 0.9, 4: 0.8, 1: 0.7, 2: 0.6, 5: 0.5, 3: 0.4, 6: 0.2, 7: 0.1}
    predictions = [
        {
            "lang": "kk",
            "labels": ["corruption"] if scores[n] >= 0.55 else [],
            "scores": {"corruption": scores[n]},
        }
        for n in range(len(rows))
    ]
    report = metrics(rows, predictions)
    expected = (1 + 2 / 3 + 3 / 4 + 4 / 6) / 4
    assert report["corruption"]["kk"]["ap"] == pytest.approx(expected, abs=1e-4)
    assert f"{expected:8.3f}" in format_table(report)
    # Without scores (an older predictions file) the figure is left out, not made up.
    for p in predictions:
        del p["scores"]
    assert "ap" not in metrics(rows, predictions)["corruption"]["kk"]


def test_evaluate_names_rows_whose_lang_no_group_takes(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    from classify.cli import _note_unknown_langs

    rows = [_row(1, 1, "kz"), _row(2, 0, "kz"), _row(3, 1, "kk"), _row(4, 0, "")]
    _note_unknown_langs(rows, Path("answers.jsonl"))
    err = capsys.readouterr().err
    assert '2 rows of answers.jsonl have a lang that is none of kk, ru, mixed, other: "kz" (2)' in err
    assert "'all' figures only" in err
    report = metrics(rows, [{"lang": "ru", "labels": []}] * 4)
    assert (
        "kk" in report["corruption"]
        and report["corruption"]["kk"]["tp"] + report["corruption"]["kk"]["fn"] == 1
    )
    _note_unknown_langs(rows[2:], Path("answers.jsonl"))  # known or missing langs: nothing to say
    assert capsys.readouterr().err == ""
