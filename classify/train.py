"""Training: hashed features, one logistic regression per label, Platt calibration, thresholds, card.

Thresholds and calibration come from 5-fold out-of-fold scores on the training split; the
development split is scored once, at the end, for the figures in the model card. The threshold rule
is in ``classify.train_thresholds``, the writing of the card in ``classify.train_card``.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classify.dataset import LABELS, Row
from classify.train_card import SHIP, SHIPPED_NAME, install
from classify.train_thresholds import TRADE_OFF, best_threshold
from errors import InputError

log = logging.getLogger(__name__)

C_BY_LABEL = {"corruption": 4.0, "infrastructure": 4.0}
POSITIVE_SHARE = 0.5  # positives weigh half as much as negatives in total, per language
FOLDS = 5
IDF_LABELS = ("infrastructure",)  # labels whose word and character columns are weighted by idf_scale
OWN_FILES = ("own", "extra")  # rows we wrote or reviewers decided, as opposed to the shared real texts


@dataclass(slots=True)
class Prepared:
    """Normalised texts, languages and the feature matrix of a list of rows."""

    rows: list[Row]
    langs: list[str]
    matrix: Any


def prepare(rows: Sequence[Row], featuriser: Any) -> Prepared:
    """Normalise, detect language and featurise rows (the same path as Model.classify)."""
    from classify.lang import detect_languages
    from classify.model import MAX_CHARS
    from classify.normalise import normalise

    texts = [normalise(r.text[:MAX_CHARS]) for r in rows]
    langs = detect_languages(texts)
    return Prepared(list(rows), langs, featuriser.transform(texts, langs).matrix)


def language_groups(rows: Sequence[Row], langs: Sequence[str]) -> Any:
    """Each row's group, "kk" (Kazakh by its label, else by its detected language) or "ru" (the rest)."""
    import numpy as np

    return np.asarray(
        [("kk" if (r.lang or lang) == "kk" else "ru") for r, lang in zip(rows, langs, strict=True)]
    )


def _weights(rows: Sequence[Row], y: Any, langs: Sequence[str]) -> Any:
    """Row weights with positives rebalanced per language, so that Kazakh is not drowned by Russian."""
    import numpy as np

    w = np.asarray([r.weight for r in rows], dtype=np.float64)
    groups = language_groups(rows, langs)
    for g in ("ru", "kk"):
        pos = (groups == g) & (y == 1)
        neg = (groups == g) & (y == 0)
        if pos.any() and neg.any():
            w[pos] *= POSITIVE_SHARE * w[neg].sum() / w[pos].sum()
    # Give the Kazakh rows, in total, at least half the weight of the Russian rows.
    kk, ru = groups == "kk", groups == "ru"
    if kk.any() and ru.any() and w[kk].sum() < 0.5 * w[ru].sum():
        w[kk] *= 0.5 * w[ru].sum() / w[kk].sum()
    return w * (len(w) / w.sum())


def _fit(matrix: Any, y: Any, w: Any, c: float, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, solver="liblinear", max_iter=200, random_state=seed)
    model.fit(matrix, y, sample_weight=w)
    return model


def idf_scale(matrix: Any, text_columns: int) -> Any:
    """Per-column weights of the word and character spaces: the smoothed inverse document frequency
    ln((1 + n) / (1 + df)) + 1 over the rows of ``matrix``, divided by its mean over the matrix's
    entries so that a text's features keep about the same length; the columns from ``text_columns``
    on (the keyword rules) keep 1.

    Training on the columns times these and then multiplying the weights by them is TF-IDF with no
    cost at scoring time: a word seen in every second text counts less than a rare one. Used for
    infrastructure (IDF_LABELS). On the development split, with the fit that never saw it, Kazakh
    infrastructure went from 0.453 to 0.480 F1 (0.430 to 0.465 typed without the Kazakh letters),
    Russian from 0.988 to 0.991, and the Kazakh reviews flagged from 1.46% to 0.71%; out of fold it
    stayed at 0.46. Corruption is left without it: over four fold splits its Kazakh development F1
    fell by about 0.05 (the thresholds chosen out of fold sat higher; its average precision did not
    fall) while out of fold it rose.
    """
    import numpy as np

    n = matrix.shape[0]
    columns = matrix.indices[matrix.indices < text_columns]
    df = np.bincount(columns, minlength=text_columns)
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    idf /= float(np.mean(idf[columns])) if len(columns) else 1.0
    scale = np.ones(matrix.shape[1], dtype=np.float64)
    scale[:text_columns] = idf
    return scale


def _folds(rows: Sequence[Row], y: Any, seed: int) -> Any:
    """Fold number of each row: stratified over the original rows; an informal copy goes into the
    fold of the row it was made from, so that no fold is scored by a model that saw its texts."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    fold_of = np.zeros(len(rows), dtype=np.int64)
    originals = np.asarray([i for i, r in enumerate(rows) if not r.copy_of], dtype=np.int64)
    splits = StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(originals, y[originals])
    for fold, (_, test) in enumerate(splits):
        fold_of[originals[test]] = fold
    position = {(rows[i].file, rows[i].id): i for i in originals}
    for i, row in enumerate(rows):
        if row.copy_of:
            fold_of[i] = fold_of[position[(row.file, row.copy_of)]]
    return fold_of


def train_label(
    label: str, prep: Prepared, seed: int, *, informal: bool = False, scale: Any = None
) -> tuple[Any, Any, dict[str, float], dict[str, Any]]:
    """(linear model, calibrator, thresholds, out-of-fold summary) for one label.

    ``informal``: the weights for Kazakh typed without Kazakh letters. ``prep`` then holds informal
    copies beside the rows; calibration and the one threshold follow the copies' out-of-fold scores
    (the texts these weights will score) instead of the rows as written. ``scale``: per-column weights
    (``idf_scale``) the model is fitted on; the returned weights have them multiplied in.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from classify.evaluate import average_precision, rates

    idx = np.asarray([i for i, r in enumerate(prep.rows) if r.labels.get(label) is not None])
    rows = [prep.rows[i] for i in idx]
    langs = [prep.langs[i] for i in idx]
    y = np.asarray([int(r.labels[label]) for r in rows])
    w = _weights(rows, y, langs)
    x = prep.matrix[idx]
    if scale is not None:
        import scipy.sparse as sp

        x = (x @ sp.diags(scale.astype(np.float32))).tocsr()
    c = C_BY_LABEL[label]
    oof = np.zeros(len(y))
    fold_of = _folds(rows, y, seed)
    for fold in range(FOLDS):
        test_idx, train_idx = np.flatnonzero(fold_of == fold), np.flatnonzero(fold_of != fold)
        oof[test_idx] = _fit(x[train_idx], y[train_idx], w[train_idx], c, seed).decision_function(x[test_idx])
    # Calibration and thresholds follow the texts the weights are for: as written, or informal copies.
    real = np.asarray([not r.weak.get(label) and bool(r.copy_of) == informal for r in rows])
    # Thresholds follow real texts: our own short examples are easier than the shared data.
    shared = real & np.asarray([r.file not in OWN_FILES for r in rows])
    calibrator = LogisticRegression(C=1e4, solver="lbfgs").fit(oof[real].reshape(-1, 1), y[real])
    probs = calibrator.predict_proba(oof.reshape(-1, 1))[:, 1]
    groups = language_groups(rows, langs)
    pick = shared if (y[shared] == 1).sum() >= 20 else real
    threshold = best_threshold(probs[pick], y[pick], groups[pick])
    thresholds = {"default": threshold}
    for g in () if informal else ("ru", "kk"):
        m = pick & (groups == g)
        if (y[m] == 1).sum() >= 10:
            thresholds[g] = best_threshold(probs[m], y[m], groups[m])
    final = _fit(x, y, w, c, seed)
    final.coef_ = (final.coef_ if scale is None else final.coef_ * scale).astype(np.float32)
    out_of_fold = {}
    for g in ("ru", "kk"):
        m = pick & (groups == g)
        if (y[m] == 1).any():
            flagged = probs[m] >= thresholds.get(g, thresholds["default"])
            positive = y[m] == 1
            out_of_fold[g] = rates(
                int(np.sum(flagged & positive)),
                int(np.sum(flagged & ~positive)),
                int(np.sum(~flagged & positive)),
                int(np.sum(~flagged & ~positive)),
            )
            out_of_fold[g]["ap"] = average_precision(y[m], probs[m])
    summary = {
        "rows": len(y),
        "positives": int(y.sum()),
        "weak_rows": sum(1 for r in rows if r.weak.get(label)),
        "informal_copies": sum(1 for r in rows if r.copy_of),
        "C": c,
        "thresholds": thresholds,
        "out_of_fold": out_of_fold,
    }
    log.info("trained %s: %s", label, summary)
    return final, calibrator, thresholds, summary


def with_kazakh_copy(prep: Prepared) -> Prepared:
    """The rows with each feature twice: as it is, and again in a block that only Kazakh rows fill.

    A linear model fitted on [X, X of the Kazakh rows] has shared weights, which every row trains, and
    Kazakh-only ones, which move a Kazakh text's score away from what the Russian rows taught the
    shared weights (feature augmentation). The Kazakh texts are then scored with the sum of the two,
    the others with the shared weights alone. Out of fold on the training split, Kazakh infrastructure
    went from 0.441 to 0.464 F1 and Russian corruption from 0.796 to 0.835; on the development split,
    Kazakh corruption from 0.800 to 0.816 and Kazakh infrastructure from 0.447 to 0.453 (average
    precision of its texts with Kazakh letters 0.413 -> 0.428).
    """
    import numpy as np
    import scipy.sparse as sp

    kazakh = sp.diags((language_groups(prep.rows, prep.langs) == "kk").astype(np.float32))
    return Prepared(prep.rows, prep.langs, sp.hstack([prep.matrix, kazakh @ prep.matrix], format="csr"))


def _halves(linear: Any, dim: int) -> tuple[Any, Any]:
    """(shared weights, Kazakh weights = shared + Kazakh-only) of a model fitted by with_kazakh_copy."""
    import copy

    shared, kazakh = copy.copy(linear), copy.copy(linear)
    shared.coef_ = linear.coef_[:, :dim]
    kazakh.coef_ = linear.coef_[:, :dim] + linear.coef_[:, dim:]
    return shared, kazakh


def _quiet(line: str) -> None:
    """Progress that no one asked to see."""


def _fit_labels(
    rows: Sequence[Row], spec: Any, seed: int, say: Callable[[str], None] | None = None, stage: str = "fit"
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """(the model file's weights and thresholds, per-label training summaries, informal copies) of a
    fit on ``rows`` plus the informal copies of their Kazakh rows; ``say`` tells its steps, each
    named with ``stage``."""
    import numpy as np

    from classify import dataset
    from classify.features import Featuriser
    from classify.model import INFORMAL, KAZAKH, weights

    say = say or _quiet
    copies = dataset.informal_copies(rows)
    say(f"{stage}: featurising {len(rows)} rows and {len(copies)} informal copies")
    # One pass over rows and copies; the main weights see the rows only, the informal ones both.
    with_copies = with_kazakh_copy(prepare(list(rows) + copies, Featuriser(spec)))
    n = len(rows)
    prep = Prepared(with_copies.rows[:n], with_copies.langs[:n], with_copies.matrix[:n])
    # Document frequencies of the rows as written; the Kazakh block's columns get the same weights.
    idf = idf_scale(prep.matrix[:, : spec.dim], spec.word_dim + spec.char_dim)
    scales = {label: np.tile(idf, 2) if label in IDF_LABELS else None for label in LABELS}
    linears, kazakh_linears, calibrators, informal_linears, informal_calibrators = [], [], [], [], []
    thresholds: dict[str, float] = {}
    lang_thresholds: dict[str, dict[str, float]] = {}
    informal_thresholds: dict[str, float] = {}
    summaries: dict[str, Any] = {}
    for label in LABELS:
        say(f"{stage}: {label}: {FOLDS} cross-validation folds and the final fit")
        linear, calibrator, label_thresholds, summary = train_label(label, prep, seed, scale=scales[label])
        shared, kazakh = _halves(linear, spec.dim)
        linears.append(shared)
        kazakh_linears.append(kazakh)
        calibrators.append(calibrator)
        thresholds[label] = label_thresholds.pop("default")
        lang_thresholds[label] = label_thresholds
        summaries[label] = summary
        if copies:
            say(f"{stage}: {label}, Kazakh typed without Kazakh letters: {FOLDS} folds and the final fit")
            linear, calibrator, label_thresholds, summary = train_label(
                label, with_copies, seed, informal=True, scale=scales[label]
            )
            # The letterless texts are Kazakh (or mixed): the shared and the Kazakh-only weights.
            informal_linears.append(_halves(linear, spec.dim)[1])
            informal_calibrators.append(calibrator)
            informal_thresholds[label] = label_thresholds["default"]
            summaries[label]["informal"] = summary
    parts: dict[str, Any] = {
        "thresholds": thresholds,
        "lang_thresholds": lang_thresholds,
        **weights(linears, calibrators),
        **weights(kazakh_linears, calibrators, KAZAKH),
    }
    if copies:
        parts["informal_thresholds"] = informal_thresholds
        parts.update(weights(informal_linears, informal_calibrators, INFORMAL))
    return parts, summaries, len(copies)


def train(
    data_dir: Path | None,
    out: Path,
    *,
    extra: Path | None = None,
    seed: int = 1,
    ship: str = "all",
    keep_dev_repeats: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train on the training split, evaluate on the dev split, write model + card; returns the card.

    ``ship``: "all" refits the same recipe on the training and the shared development rows for the
    model file (the card's development figures stay those of the fit without them); "train" ships
    the fit on the training split itself. ``extra``: more labelled rows (reviewers' decisions), all
    training rows, but those repeating a development text (``dataset.dev_repeats``) are left out
    unless ``keep_dev_repeats`` (an experiment that scores other rows; the card counts them either
    way). ``progress`` is given a line for each step (the command line prints them on stderr).
    """
    import numpy as np
    import scipy
    import sklearn

    from classify import dataset
    from classify.features import FeatureSpec, describe
    from classify.model import FORMAT, Model, check_writable, save_payload

    if ship not in SHIP:
        raise ValueError(f"ship must be one of {sorted(SHIP)}, not {ship!r}")
    say = progress or _quiet
    check_writable(out)  # before minutes of fitting, not at their end
    rows: list[Row] = []
    shared_used = bool(data_dir and data_dir.is_dir())
    if shared_used and data_dir is not None:
        rows.extend(dataset.load_shared(data_dir))
    rows.extend(dataset.load_own())
    extra_rows, extra_files = _extra_rows(extra, rows, keep_dev_repeats, say) if extra else ([], [])
    rows.extend(extra_rows)
    train_rows = [r for r in rows if r.split == "train"]
    dev_rows = [r for r in rows if r.split == "dev"]
    say(
        f"loaded {len(rows)} labelled rows (reviewer rows {len(extra_rows)}): {len(train_rows)} training, "
        f"{len(dev_rows)} development"
    )
    created = datetime.now(UTC).isoformat(timespec="seconds")
    spec = FeatureSpec()
    header: dict[str, Any] = {
        "format": FORMAT,
        "created": created,
        "sklearn_version": sklearn.__version__,
        "labels": list(LABELS),
        "features": spec.as_dict(),
    }
    shared_dev = [r for r in dev_rows if r.file not in OWN_FILES]
    refit = ship == "all" and bool(shared_dev)
    fits = 2 if refit else 1
    parts, summaries, n_copies = _fit_labels(train_rows, spec, seed, say, f"fit 1/{fits} (training split)")
    holdout = Model({**header, **parts}, "unsaved")
    dev_figures: dict[str, Any] = {}
    if dev_rows:
        say(f"scoring the {len(dev_rows)} development rows")
        dev_figures["dev"] = evaluate_rows(holdout, dev_rows)
        informal = dataset.informal_copies([r for r in dev_rows if r.file not in OWN_FILES])
        if informal:
            dev_figures["dev_informal"] = evaluate_rows(holdout, informal)["all"]
    shipped_rows = train_rows + shared_dev if refit else train_rows
    holdout_thresholds = None
    if refit:
        holdout_thresholds = {
            k: parts[k] for k in ("thresholds", "lang_thresholds", "informal_thresholds") if k in parts
        }
        parts, summaries, n_copies = _fit_labels(
            shipped_rows, spec, seed, say, f"fit 2/{fits} (training + shared development rows, shipped)"
        )
    card: dict[str, Any] = {
        "created": created,
        "seed": seed,
        "training": {
            "shared_data": str(data_dir) if shared_used else None,
            "own_examples": sum(1 for r in rows if r.file == "own"),
            "reviewer_rows": len(extra_rows),
            "extra_files": extra_files,
            "train_rows": len(train_rows),
            "dev_rows": len(dev_rows),
            "shipped_rows": len(shipped_rows),
            "ship": SHIP["all" if refit else "train"],
            "files": _file_counts(rows),
            "per_label": summaries,
            "split": "stable hash of (file, normalised text or near-duplicate cluster); dev share per file: "
            + ", ".join(f"{k} {v}%" for k, v in dataset.DEV_PERCENT.items()),
            "weak_labels": "training only: null corruption on appeals without a corruption word -> 0; "
            "unlabelled social posts and Kazakh news sentences without a keyword -> 0",
            "informal_copies": n_copies,
            "informal": "a second set of weights for Kazakh or mixed texts typed without Kazakh letters, "
            "trained on the rows plus each Kazakh training row that holds Kazakh letters again as typed on a "
            f"Russian keyboard (ә→а, ғ→г, қ→к, ң→н, ө→о, ұ→у, ү→у, һ→х, і→и) at {dataset.INFORMAL_WEIGHT} "
            "of its weight, in its row's cross-validation fold; its calibration and one threshold per label "
            "follow the copies' out-of-fold scores; the main weights never see the copies",
        },
        "features": describe(spec),
        "model": "per label: LogisticRegression (liblinear, L2) on hashed features, each feature also "
        "in a block that only Kazakh rows fill (Kazakh texts are scored with the shared plus the "
        f"Kazakh-only weights), + Platt calibration fitted on {FOLDS}-fold out-of-fold scores; "
        f"{', '.join(IDF_LABELS)}: fitted on the word and character columns times their inverse document "
        "frequency in the training rows (TF-IDF; the weights have it multiplied in)",
        "thresholds": parts["thresholds"],
        "lang_thresholds": parts["lang_thresholds"],
        "informal_thresholds": parts.get("informal_thresholds", {}),
        "holdout_thresholds": holdout_thresholds,
        "threshold_rule": TRADE_OFF,
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        **dev_figures,
    }
    payload = {**header, **parts, "trained_on_dev": refit, "card": card}
    say(f"writing {out} and its card")
    kept = install(
        out,
        lambda temp: save_payload(payload, temp),
        card,
        failure="cannot write the model file",
        keep=out.name == SHIPPED_NAME,
        say=say,
    )
    if kept:
        say(f"the model it replaces is kept as {kept} (and its cards beside it)")
    return card


def _extra_rows(
    path: Path, rows: Sequence[Row], keep_dev_repeats: bool, say: Callable[[str], None]
) -> tuple[list[Row], list[dict[str, Any]]]:
    """(the training rows of an --extra-jsonl file, its entry for the card: name, sha256, rows, and
    how many repeat a development text of ``rows``, which are left out unless ``keep_dev_repeats``)."""
    from classify import dataset

    extra = dataset.load_extra(path)
    repeats = dataset.dev_repeats(extra, [r for r in rows if r.split == "dev"])
    entry = {
        "name": path.name,
        "sha256": dataset.file_sha256(path),
        "rows": len(extra),
        "dev_repeats": len(repeats),
        "dev_repeats_used": keep_dev_repeats,
    }
    if repeats and not keep_dev_repeats:
        say(
            f"note: {len(repeats)} of the {len(extra)} rows of {path} repeat texts of the development "
            "split (the same text, or a near-duplicate of a corruption set's row); left out of training, "
            "so that the development figures stay held out"
        )
        dropped = set(repeats)
        extra = [r for i, r in enumerate(extra) if i not in dropped]
        if not extra:
            raise InputError(
                f"all {len(dropped)} rows repeat texts of the development split: nothing left to train on",
                path=str(path),
            )
    elif repeats:
        say(
            f"note: {len(repeats)} rows of {path} repeat texts of the development split and are kept: "
            "the development figures are not held out"
        )
    for note in dataset.conflict_notes(path, extra, rows):  # after the filter: of the rows trained on
        say(note)
    return extra, [entry]


def evaluate_rows(model: Any, rows: Sequence[Row]) -> dict[str, Any]:
    """Metrics per label and language, plus per file, for labelled rows (every row classified once)."""
    from classify.evaluate import fpr_on_negatives, metrics

    predictions = model.classify([r.text for r in rows])
    pairs_of: dict[str, tuple[list[Row], list[Any]]] = {}
    for r, p in zip(rows, predictions, strict=True):
        file_rows, file_predictions = pairs_of.setdefault(r.file, ([], []))
        file_rows.append(r)
        file_predictions.append(p)
    by_file = {file: metrics(*pairs_of[file]) for file in sorted(pairs_of)}
    # The headline figures are real texts only: our own examples are written to teach, not to judge.
    real = [(r, p) for r, p in zip(rows, predictions, strict=True) if r.file not in OWN_FILES]
    headline = metrics([r for r, _ in real], [p for _, p in real]) if real else metrics(rows, predictions)
    out = {"all": headline, "by_file": by_file}
    if "reviews_kk" in pairs_of:
        out["reviews_kk_fpr"] = fpr_on_negatives(*pairs_of["reviews_kk"])
    if "own" in by_file:
        out["own_holdout"] = by_file["own"]
    return out


def _file_counts(rows: Sequence[Row]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        c = out.setdefault(r.file, {"train": 0, "dev": 0})
        c[r.split] += 1
    return out
