"""The committed classifier: loading, scoring and evidence.

The model file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays, never pickle): ``meta`` holds
the labels, thresholds, feature settings and model card as one JSON string; ``coef``, ``intercept``
and ``calibration`` hold the numbers of one logistic regression per label on the hashed features and
of the one-feature logistic regression that calibrates its score (Platt scaling). Optional
``informal_coef``, ``informal_intercept`` and ``informal_calibration`` (with ``informal_thresholds`` in
the meta) are a second set for Kazakh typed without Kazakh letters («жол жок», as on a Russian
keyboard): a Kazakh or mixed text with none of the nine letters is scored with it, and so is one typed
partly so (at most two words in five hold a letter: a phone corrected a word or two), read as if typed
wholly without them (``partly_letterless``). Optional
``kazakh_coef``, ``kazakh_intercept`` and ``kazakh_calibration`` score the other Kazakh texts: the shared
weights plus the Kazakh-only ones that were fitted beside them (see ``classify/train.py``). It is read with
``allow_pickle=False``, so a file can hold only plain arrays and loading runs no code from it. Scoring
needs NumPy and SciPy only: scikit-learn is imported for training, not for loading. A file written
with another scikit-learn version is still refused, with a message saying which version made it.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from errors import ModelError

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
SHIPPED_MODEL = MODELS_DIR / "classifier.npz"  # in git: the model the code ships with
# Not in git (.gitignore): the model this checkout took (`train --take`), which an upgrade (git pull)
# leaves alone; it is used in place of the shipped one while it is there.
LOCAL_MODEL = MODELS_DIR / "local" / "classifier.npz"


def default_model() -> Path:
    """The model used when none is named ([settings] model): models/local/classifier.npz once one was
    taken here, else the shipped models/classifier.npz."""
    return LOCAL_MODEL if LOCAL_MODEL.is_file() else SHIPPED_MODEL


DEFAULT_MODEL = default_model()  # as a process loads its model once: restart it after a take
FORMAT = "monitor-classifier/2"
LABELS = ("corruption", "infrastructure")
MAX_CHARS = 100_000  # longer texts are cut before scoring (the CLI refuses them outright)
ARRAYS = ("coef", "intercept", "calibration")
# What partly_letterless counts, in lower case: Cyrillic words (as features.TOKEN reads them), and those
# holding a Kazakh letter (the match starts at the word's first letter: the earlier start is tried first).
_CYRILLIC_WORD = re.compile("[а-яәғқңөұүһі]{2,}")
_LETTERED_WORD = re.compile("[а-я]*[әғқңөұүһі][а-яәғқңөұүһі]*")
INFORMAL = "informal_"  # prefix of the optional set of ARRAYS for Kazakh typed without Kazakh letters
KAZAKH = "kazakh_"  # prefix of the optional set for the other Kazakh texts
# With "meta", everything a file may hold.
OPTIONAL_ARRAYS = tuple(prefix + name for prefix in (INFORMAL, KAZAKH) for name in ARRAYS)
BATCH = 4000
# A Kazakh text in which at most this share of the words holds a Kazakh letter was typed without them and
# corrected in places (by a phone, by hand): it is read as typed wholly without them. Kazakh news has
# letters in two words of three (the median), 40% or fewer in 7% of its texts (docs/CLASSIFIER.md).
LETTERED_SHARE = 0.4


class Weights:
    """One set of per-label weights: the linear scores and their calibration."""

    def __init__(self, coef: Any, intercept: Any, calibration: Any, labels: int) -> None:
        import numpy as np

        self.coef = np.asarray(coef, dtype=np.float32).reshape(labels, -1)  # labels x dim
        # dim x labels, C-contiguous: scipy's sparse @ dense ravels the dense side, which copied the
        # transposed view (6 MB) for every batch; the values, and so the sums, are the same.
        self.coef_t = np.ascontiguousarray(self.coef.T)
        self.intercept = np.asarray(intercept, dtype=np.float32).reshape(labels)
        calibration = np.asarray(calibration, dtype=np.float64).reshape(labels, 2)
        self.cal_a = np.ascontiguousarray(calibration[:, 0])
        self.cal_b = np.ascontiguousarray(calibration[:, 1])

    def raw(self, matrix: Any) -> Any:
        """Raw linear scores (labels x docs) of a feature matrix."""
        return (matrix @ self.coef_t).T + self.intercept[:, None]

    def calibrate(self, raw: Any) -> Any:
        """Probabilities from raw linear scores (labels x docs)."""
        import numpy as np

        z = raw * self.cal_a[:, None] + self.cal_b[:, None]
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


class Model:
    """A loaded classifier: ``classify`` scores batches of raw texts."""

    def __init__(self, payload: dict[str, Any], version: str, path: Path | None = None) -> None:
        from classify.features import FeatureSpec, Featuriser

        self.path = path
        self.version = version
        self.payload = payload
        self.labels: tuple[str, ...] = tuple(payload["labels"])
        self.thresholds: dict[str, float] = {k: float(v) for k, v in payload["thresholds"].items()}
        # Optional per-language-group thresholds: "kk" for Kazakh, "ru" for everything else.
        self.lang_thresholds: dict[str, dict[str, float]] = {
            label: {g: float(t) for g, t in by_group.items()}
            for label, by_group in (payload.get("lang_thresholds") or {}).items()
        }
        self.spec = FeatureSpec(**payload["features"])
        self.featuriser = Featuriser(self.spec)
        n = len(self.labels)
        self.weights = Weights(payload["coef"], payload["intercept"], payload["calibration"], n)
        # Kazakh typed without Kazakh letters: its own weights and thresholds, when the file has them.
        self.informal: Weights | None = None
        self.informal_thresholds: dict[str, float] = {}
        if INFORMAL + "coef" in payload:
            self.informal = Weights(*(payload[INFORMAL + name] for name in ARRAYS), n)
            self.informal_thresholds = {k: float(v) for k, v in payload["informal_thresholds"].items()}
        # Texts detected as Kazakh (with Kazakh letters): their own weights, when the file has them.
        self.kazakh: Weights | None = None
        if KAZAKH + "coef" in payload:
            self.kazakh = Weights(*(payload[KAZAKH + name] for name in ARRAYS), n)
        for weights in (self.weights, self.informal, self.kazakh):
            if weights is not None and weights.coef.shape[1] != self.spec.dim:
                raise ModelError(
                    f"model weights have {weights.coef.shape[1]} columns but this version of the code makes "
                    f"{self.spec.dim} features (another set of keyword rules): retrain with `pipeline.py train`"
                )

    def threshold(self, label: str, lang: str) -> float:
        """The flagging threshold of a label for a text in ``lang``."""
        group = "kk" if lang == "kk" else "ru"
        return self.lang_thresholds.get(label, {}).get(group, self.thresholds[label])

    @property
    def card(self) -> dict[str, Any]:
        """Metadata stored inside the model file (training data, metrics, versions)."""
        return dict(self.payload.get("card") or {})

    def decision(self, normalised: Sequence[str], langs: Sequence[str]) -> tuple[Any, Any]:
        """(featurised batch, raw linear scores labels x docs) of normalised texts (main weights)."""
        batch = self.featuriser.transform(normalised, langs)
        return batch, self.weights.raw(batch.matrix)

    def partly_letterless(self, normalised: Sequence[str], langs: Sequence[str]) -> list[int]:
        """Positions of the Kazakh texts typed partly without Kazakh letters: some word holds one,
        but at most a LETTERED_SHARE of them do («Шенеуник пара сурады, құжат бермеди»), when the
        model has informal weights (else none). They are scored as typed wholly without the letters."""
        if self.informal is None:
            return []
        from classify.normalise import has_kazakh_letter

        out = []
        for d, (text, lang) in enumerate(zip(normalised, langs, strict=True)):
            # Kazakh only: in a mixed text the Russian words, which have no letter to lose, would count.
            if lang == "kk" and has_kazakh_letter(text):
                lower = text.lower()
                if len(_LETTERED_WORD.findall(lower)) <= LETTERED_SHARE * len(_CYRILLIC_WORD.findall(lower)):
                    out.append(d)
        return out

    def informal_docs(self, batch: Any) -> list[int]:
        """Positions of the Kazakh or mixed texts of a featurised batch typed without any Kazakh letter
        (the partly letterless ones among them once retyped), when the model has informal weights (else
        none)."""
        if self.informal is None:
            return []
        import numpy as np

        return np.flatnonzero(batch.letterless).tolist()

    def weight_sets(self, batch: Any, langs: Sequence[str]) -> list[tuple[Weights, list[int]]]:
        """(weights, document positions) pairs that cover a featurised batch once: the informal weights
        for letterless Kazakh, the Kazakh weights for the other texts detected as Kazakh, the main
        weights for the rest (each set the file lacks falls back to the main weights)."""
        informal = set(self.informal_docs(batch))
        kazakh = set() if self.kazakh is None else {d for d, lang in enumerate(langs) if lang == "kk"}
        kazakh -= informal
        sets = [
            (self.weights, [d for d in range(len(langs)) if d not in informal and d not in kazakh]),
            (self.kazakh, sorted(kazakh)),
            (self.informal, sorted(informal)),
        ]
        return [(weights, docs) for weights, docs in sets if weights is not None and docs]

    def classify(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """Language, calibrated scores, flagged labels and evidence terms for each raw text."""
        out: list[dict[str, Any]] = []
        # A batch makes tens of thousands of small lists and dicts but no reference cycles: the cyclic
        # collector's passes that those allocations trigger cost about 7% of the time and free nothing.
        # It is paused while scoring (reference counting still frees everything) and resumed after.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for start in range(0, len(texts), BATCH):
                out.extend(self._classify_batch(texts[start : start + BATCH]))
        finally:
            if collecting:
                gc.enable()
                gc.collect(0)  # the batch's young objects only (about a millisecond): frees any cycle at once
        return out

    def _classify_batch(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        import numpy as np

        from classify.features import RULE_VALUE, evidence_batch, token_scores
        from classify.lang import detect_languages
        from classify.normalise import WITHOUT_KAZAKH_LETTERS, normalise
        from classify.rules import RULE_CLASS_MATRIX

        normalised = [normalise(t[:MAX_CHARS] if t else "") for t in texts]
        langs = detect_languages(normalised)
        # Kazakh typed partly without its letters is read wholly without them: as the informal weights
        # were trained (a word or two with letters sent it to the Kazakh weights, which do not know
        # «сурады»: corruption 0.9996 without «құжат», 0.12 with it).
        retyped = self.partly_letterless(normalised, langs)
        read = list(normalised)
        for d in retyped:
            read[d] = normalised[d].translate(WITHOUT_KAZAKH_LETTERS)
        batch, raw = self.decision(read, langs)
        probs = self.weights.calibrate(raw)
        sets = self.weight_sets(batch, langs)
        for weights, docs in sets:
            if weights is not self.weights:
                probs[:, docs] = weights.calibrate(weights.raw(batch.matrix[docs]))
        # The letterless Kazakh texts are those the informal weights scored (none when the file has none).
        informal = next((docs for weights, docs in sets if weights is self.informal), [])
        word_dim = self.spec.word_dim
        rows = probs.tolist()  # labels x docs as Python floats: no NumPy scalar per look-up
        # Each document's threshold group: "kk", "ru" (everything else) or "informal".
        group = ["kk" if lang == "kk" else "ru" for lang in langs]
        for d in informal:
            group[d] = "informal"
        cut = {(name, g): self.threshold(name, g) for name in self.labels for g in ("kk", "ru")}
        cut.update({(name, "informal"): self.informal_thresholds.get(name, 1.0) for name in self.labels})
        flagged = [
            [name for i, name in enumerate(self.labels) if rows[i][d] >= cut[name, group[d]]]
            for d in range(len(texts))
        ]
        evidence: dict[str, dict[int, list[str]]] = {}
        # The rule columns follow the word and character spaces; a rule that fired and weighs for a label
        # makes the words of its classes evidence (rules.RULE_CLASSES).
        rule_columns = slice(word_dim + self.spec.char_dim, self.spec.dim)
        fired = batch.matrix[:, rule_columns].toarray() > 0
        for i, name in enumerate(self.labels):
            evidence[name] = {}
            for weights, docs in sets:
                subset = [d for d in docs if name in flagged[d]]
                if subset:
                    coef = weights.coef[i]
                    scores = token_scores(batch, coef[:word_dim], coef[word_dim:])
                    pushed = np.maximum(coef[rule_columns], 0.0) * RULE_VALUE
                    boost = (fired * pushed) @ RULE_CLASS_MATRIX  # documents x classes
                    evidence[name].update(
                        evidence_batch(batch, subset, coef[:word_dim], scores, class_boost=boost)
                    )
        for d in retyped:  # the words as the text has them («құжат», not «кужат»)
            _words_as_written(evidence, d, normalised[d], read[d])
        labels = self.labels
        rounded = zip(*[[round(p, 4) for p in row] for row in rows], strict=True)  # docs x labels
        return [
            {
                "lang": lang,
                "scores": dict(zip(labels, values, strict=True)),
                "labels": names,
                "evidence": {name: evidence[name][d] if name in names else [] for name in labels},
            }
            for d, (lang, values, names) in enumerate(zip(langs, rounded, flagged, strict=True))
        ]


def _words_as_written(evidence: dict[str, dict[int, list[str]]], d: int, text: str, retyped: str) -> None:
    """Document ``d``'s evidence terms, found in ``retyped`` (``text`` without Kazakh letters), in the
    spelling of ``text``: the two tokenise alike, word for word."""
    from classify.features import TOKEN

    terms = [terms for by_doc in evidence.values() if (terms := by_doc.get(d))]
    if not terms:
        return
    spelling: dict[str, str] = {}
    for bare, written in zip(TOKEN.findall(retyped.lower()), TOKEN.findall(text.lower()), strict=False):
        spelling.setdefault(bare, written)
    for listed in terms:
        listed[:] = [" ".join(spelling.get(word, word) for word in term.split(" ")) for term in listed]


def _file_version(path: Path, created: str, data: bytes | None = None) -> str:
    """The model's version: its date and a hash of the file (of ``data``, the file's bytes once read)."""
    digest = hashlib.sha256(path.read_bytes() if data is None else data).hexdigest()[:10]
    return f"{created[:10].replace('-', '')}-{digest}"


def weights(linear: Sequence[Any], calibrators: Sequence[Any], prefix: str = "") -> dict[str, Any]:
    """The arrays of a model file from fitted per-label scikit-learn models (in label order);
    ``prefix`` INFORMAL names the second set."""
    import numpy as np

    return {
        # Half precision on disk: the file is 45% smaller (every retrain commits one) and scores move by
        # at most 0.0004 (no flag changed on 10,298 shared texts); scoring reads them as float32.
        prefix + "coef": np.vstack([m.coef_.ravel() for m in linear]).astype(np.float16),
        prefix + "intercept": np.asarray([float(m.intercept_[0]) for m in linear], dtype=np.float32),
        prefix + "calibration": np.asarray(
            [[float(c.coef_.ravel()[0]), float(c.intercept_[0])] for c in calibrators], dtype=np.float64
        ),
    }


def _sklearn_version() -> str:
    """The installed scikit-learn's version, from its package metadata (importing it takes a second)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scikit-learn")
    except PackageNotFoundError:
        return "none"


def _read(file: Path, data: bytes | None = None) -> dict[str, Any]:
    """The meta dict and arrays of a model file (of ``data``, its bytes once read, when given); ModelError
    for anything but plain arrays."""
    import numpy as np

    source: Any = file if data is None else io.BytesIO(data)
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(
            f"not a readable model file, or one cut short ({exc.__class__.__name__}: {exc})", path=str(file)
        ) from exc
    if "schema.json" in names:
        raise ModelError(
            "this is a model file in the old skops format; retrain with `pipeline.py train` "
            "(it writes models/classifier.npz)",
            path=str(file),
        )
    unknown = sorted(names - {f"{name}.npy" for name in ("meta", *ARRAYS, *OPTIONAL_ARRAYS)})
    if unknown or "meta.npy" not in names:
        found = ", ".join(unknown) if unknown else "no meta.npy"
        raise ModelError(f"not a {FORMAT} model file ({found})", path=str(file))
    try:
        if data is not None:
            source.seek(0)
        with np.load(source, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        meta = json.loads(str(arrays.pop("meta")[()]))
    except Exception as exc:  # object arrays (pickle) land here too: NumPy refuses them
        raise ModelError(f"cannot read model file ({exc.__class__.__name__}: {exc})", path=str(file)) from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"not a {FORMAT} model file", path=str(file))
    return {**meta, **arrays}


def load_model(path: str | Path | None = None) -> Model:
    """Load a model file (default: ``default_model()``); ModelError says what is wrong."""
    file = Path(path) if path else default_model()
    if file.is_dir():
        raise ModelError(
            "is a folder; give the model file's name, such as models/classifier.npz", path=str(file)
        )
    if not file.is_file():
        raise ModelError("model file not found; train one with `pipeline.py train`", path=str(file))
    # Read once: a model put in place meanwhile (train --take renames it over this one) would otherwise
    # give the arrays of one file and the version of the other (review).
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model file ({exc.__class__.__name__}: {exc})", path=str(file)) from exc
    payload = _read(file, data)
    made_with, installed = payload.get("sklearn_version"), _sklearn_version()
    if not made_with:
        raise ModelError(
            "model file does not say which scikit-learn version made it; retrain with `pipeline.py train`",
            path=str(file),
        )
    if made_with != installed:
        raise ModelError(
            f"model was made with scikit-learn {made_with}, this environment has {installed}; "
            f"install scikit-learn=={made_with} or retrain with `pipeline.py train`",
            path=str(file),
        )
    try:
        return Model(payload, _file_version(file, str(payload.get("created", "")), data), file)
    except ModelError as exc:  # Model does not know the file's name
        exc.path = exc.path or str(file)
        raise
    except (KeyError, AttributeError, ValueError, TypeError) as exc:
        raise ModelError(
            f"model file is incomplete ({exc.__class__.__name__}: {exc})", path=str(file)
        ) from exc


def check_writable(path: Path) -> None:
    """ModelError unless a model file can be written at ``path``: not a folder, in a folder that
    exists (or can be made) and takes new files. Training checks this first: it takes minutes."""
    import tempfile

    if path.is_dir():
        raise ModelError(
            "is a folder; give the model file's name, such as models/candidate.npz", path=str(path)
        )
    existing = next(p for p in (path.parent, *path.parent.parents) if p.exists())
    if not existing.is_dir():
        raise ModelError(f"cannot write the model file: {existing} is a file, not a folder", path=str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):  # the one sure test (root, read-only mounts)
            pass
        if path.exists():
            with path.open("ab"):  # opened to append, not truncated: the old model stays until the end
                pass
    except OSError as exc:
        raise ModelError(f"cannot write the model file: {exc.strerror or exc}", path=str(path)) from exc


def save_payload(payload: dict[str, Any], path: Path) -> str:
    """Write a model dict (plain values plus ``ARRAYS``) as a compressed .npz; returns its version id."""
    import numpy as np

    meta = {key: value for key, value in payload.items() if key not in ARRAYS + OPTIONAL_ARRAYS}
    arrays = {name: np.asarray(payload[name]) for name in ARRAYS + OPTIONAL_ARRAYS if name in payload}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:  # a file object: np.savez would add ".npz" to a path without it
        np.savez_compressed(out, meta=np.asarray(json.dumps(meta, ensure_ascii=False)), **arrays)
    return _file_version(path, str(payload.get("created", "")))
