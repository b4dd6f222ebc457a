"""Per-label, per-language precision, recall, F1 and false-positive rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from classify.dataset import LABELS, Row

LANG_GROUPS = ("ru", "kk", "mixed", "all")


def _counts(pairs: list[tuple[int, int]]) -> dict[str, Any]:
    tp = sum(1 for y, p in pairs if y and p)
    fp = sum(1 for y, p in pairs if not y and p)
    fn = sum(1 for y, p in pairs if y and not p)
    tn = sum(1 for y, p in pairs if not y and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": len(pairs),
        "positives": tp + fn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "fpr": round(fp / (fp + tn), 4) if fp + tn else 0.0,
    }


def metrics(
    rows: Sequence[Row], predictions: Sequence[dict[str, Any]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """{label: {lang group: counts and rates}} over rows whose label is known (weak labels excluded)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for label in LABELS:
        groups: dict[str, list[tuple[int, int]]] = {g: [] for g in LANG_GROUPS}
        for row, pred in zip(rows, predictions, strict=True):
            truth = row.labels.get(label)
            if truth is None or row.weak.get(label):
                continue
            pair = (int(truth), int(label in pred["labels"]))
            lang = row.lang or pred["lang"]
            if lang in groups:
                groups[lang].append(pair)
            groups["all"].append(pair)
        out[label] = {g: _counts(pairs) for g, pairs in groups.items() if pairs}
    return out


def fpr_on_negatives(rows: Sequence[Row], predictions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Share of rows negative for both labels that got any flag (the reviewers' noise)."""
    negatives = [
        (row, pred)
        for row, pred in zip(rows, predictions, strict=True)
        if all(row.labels.get(label) == 0 for label in LABELS)
    ]
    flagged = sum(1 for _, pred in negatives if pred["labels"])
    return {
        "negatives": len(negatives),
        "flagged": flagged,
        "fpr": round(flagged / len(negatives), 4) if negatives else 0.0,
    }


def format_table(report: dict[str, dict[str, dict[str, Any]]]) -> str:
    """A fixed-width table: label, language, n, positives, precision, recall, F1, FPR."""
    lines = [f"{'label':<15}{'lang':<7}{'n':>7}{'pos':>6}{'prec':>8}{'rec':>8}{'f1':>8}{'fpr':>8}"]
    for label, groups in report.items():
        for lang, c in groups.items():
            lines.append(
                f"{label:<15}{lang:<7}{c['n']:>7}{c['positives']:>6}{c['precision']:>8.3f}{c['recall']:>8.3f}"
                f"{c['f1']:>8.3f}{c['fpr']:>8.3f}"
            )
    return "\n".join(lines)
