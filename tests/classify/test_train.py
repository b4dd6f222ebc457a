"""Training end to end on a small labelled set we write here: what is measured and what is shipped."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from testutil import run_cli

from classify import dataset, train_thresholds
from classify import train as train_module
from classify.dataset import Row
from classify.features import FeatureSpec, Featuriser
from classify.model import load_model
from classify.train import C_BY_LABEL, _fit, _weights, idf_scale, prepare, train, train_label
from errors import InputError, ModelError

_RU_PLACES = ["на улице Абая", "во дворе дома 5", "у школы", "на Ленина", "в микрорайоне Восток"]
_KK_PLACES = ["Абай көшесінде", "бес үйдің ауласында", "мектеп маңында", "Ленин көшесінде", "Шығыс ауданында"]
_TEMPLATES = {
    # (language, infrastructure, corruption): sentence templates
    ("ru", 1, 0): ["{p} нет света третий день", "{p} огромная яма на дороге", "{p} прорвало трубу, нет воды"],
    ("ru", 0, 1): ["{p} чиновник требовал взятку", "начальник {p} взял откат за тендер"],
    ("ru", 0, 0): ["{p} прошёл праздничный концерт", "{p} открыли выставку картин", "{p} выступил хор"],
    ("kk", 1, 0): [
        "{p} үш күннен бері жарық жоқ",
        "{p} жол бұзылған, шұңқыр көп",
        "{p} құбыр жарылып, су жоқ",
    ],
    ("kk", 0, 1): ["{p} әкімдік қызметкері пара алды", "{p} шенеунік бюджет қаражатын жымқырды"],
    ("kk", 0, 0): ["{p} мерекелік концерт өтті", "{p} кітап көрмесі ашылды", "{p} хор өнер көрсетті"],
}


def _rows(file: str, split: str, count: int, seed: int) -> list[Row]:
    rng = random.Random(seed)
    out = []
    keys = sorted(_TEMPLATES)
    for n in range(count):
        lang, infra, corr = keys[n % len(keys)]
        places = _RU_PLACES if lang == "ru" else _KK_PLACES
        text = rng.choice(_TEMPLATES[lang, infra, corr]).format(p=rng.choice(places)) + f" ({seed}-{n})"
        labels: dict[str, int | None] = {"corruption": corr, "infrastructure": infra}
        out.append(Row(id=f"{file}:{seed}-{n}", text=text, lang=lang, file=file, labels=labels, split=split))
    return out


@pytest.fixture()
def small_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, int]:
    shared = _rows("kazakh_dev", "train", 180, 1) + _rows("kazakh_dev", "dev", 60, 2)
    own = _rows("own", "train", 60, 3) + _rows("own", "dev", 30, 4)
    monkeypatch.setattr(dataset, "load_shared", lambda data_dir: [*shared])
    monkeypatch.setattr(dataset, "load_own", lambda: [*own])
    (tmp_path / "shared").mkdir()
    return {"train": 180 + 60, "shared_dev": 60}


def test_the_shipped_fit_adds_the_shared_development_rows_and_the_figures_stay_held_out(
    small_data: dict[str, int], tmp_path: Path
) -> None:
    held_out = train(tmp_path / "shared", tmp_path / "train.npz", ship="train")
    shipped = train(tmp_path / "shared", tmp_path / "all.npz", ship="all")

    assert held_out["training"]["shipped_rows"] == small_data["train"]
    # Our own held-out examples stay out of both fits: the quality test scores them with the shipped model.
    assert shipped["training"]["shipped_rows"] == small_data["train"] + small_data["shared_dev"]
    assert load_model(tmp_path / "train.npz").payload["trained_on_dev"] is False
    assert load_model(tmp_path / "all.npz").payload["trained_on_dev"] is True
    # The development figures are those of the fit that did not see the development rows, either way.
    assert shipped["dev"] == held_out["dev"]
    assert shipped["holdout_thresholds"]["thresholds"] == held_out["thresholds"]
    assert held_out["holdout_thresholds"] is None
    # The shipped weights are another fit.
    a, b = load_model(tmp_path / "train.npz"), load_model(tmp_path / "all.npz")
    assert not np.array_equal(a.weights.coef, b.weights.coef)
    assert not (tmp_path / "CARD.md").exists()  # the shipped model's card is written by its own training only
    card = (tmp_path / "all.CARD.md").read_text(encoding="utf-8")
    assert f"Shipped weights ({small_data['train'] + small_data['shared_dev']} rows)" in card
    # The out-of-fold figures carry the average precision, which needs no threshold.
    out_of_fold = shipped["training"]["per_label"]["infrastructure"]["out_of_fold"]["kk"]
    assert 0.5 < out_of_fold["ap"] <= 1.0
    table = card.split("## Out-of-fold figures of the shipped fit")[1]
    assert f"{out_of_fold['f1']:>7.3f} {out_of_fold['ap']:>7.3f}" in table


def test_ship_must_be_known(small_data: dict[str, int], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ship must be one of"):
        train(tmp_path / "shared", tmp_path / "m.npz", ship="everything")


def test_kazakh_texts_get_weights_of_their_own_beside_the_shared_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Two words with opposite meanings in the two languages (as «свет» in Russian complaints and «жарық
    # көрді», "was published", in Kazakh news): no single set of weights can rank both languages, even
    # with a language feature; the Kazakh-only weights can.
    rng = random.Random(5)
    rows = []
    for n in range(240):
        ru = n % 2 == 0
        places = _RU_PLACES if ru else _KK_PLACES
        word = "zavod" if n % 4 < 2 else "kirpich"
        text = f"{word} qwerty {rng.choice(places)}"  # a filler parts the word from the place: no pair
        infra = int((word == "zavod") == ru)
        labels: dict[str, int | None] = {"corruption": 0, "infrastructure": infra}
        lang = "ru" if ru else "kk"
        rows.append(
            Row(id=f"kazakh_dev:{n}", text=text, lang=lang, file="kazakh_dev", labels=labels, split="train")
        )
    rows += [r for r in _rows("kazakh_dev", "train", 240, 6) if r.labels["corruption"]]  # both labels learn
    monkeypatch.setattr(dataset, "load_shared", lambda data_dir: [*rows])
    monkeypatch.setattr(dataset, "load_own", lambda: [])
    (tmp_path / "shared").mkdir()
    train(tmp_path / "shared", tmp_path / "m.npz", ship="train")
    model = load_model(tmp_path / "m.npz")
    assert model.kazakh is not None
    texts = [
        "zavod qwerty у школы",
        "zavod qwerty мектеп маңында",
        "kirpich qwerty у школы",
        "kirpich qwerty мектеп маңында",
    ]
    results = model.classify(texts)
    assert [r["lang"] for r in results] == ["ru", "kk", "ru", "kk"]
    assert [r["labels"] for r in results] == [["infrastructure"], [], [], ["infrastructure"]], results


def test_idf_scale_weighs_rare_columns_up_and_keeps_the_rule_columns() -> None:
    # Four texts; text columns 0 (in every text), 1 (in one), 2 (in none); column 3 is a keyword rule.
    matrix = sp.csr_matrix(
        np.array([[1, 1, 0, 1], [1, 0, 0, 0], [1, 0, 0, 1], [1, 0, 0, 0]], dtype=np.float32)
    )
    scale = idf_scale(matrix, 3)
    idf = np.log(5 / np.array([5, 2, 1])) + 1  # ln((1 + n) / (1 + df)) + 1
    # Divided by its mean over the five text entries (four of column 0, one of column 1).
    assert scale[:3] == pytest.approx(idf / np.mean(idf[[0, 0, 0, 0, 1]]))
    assert scale[0] < scale[1] < scale[2]
    assert scale[3] == 1.0


def test_weights_fitted_on_idf_columns_score_plain_features_as_the_fit_on_scaled_ones() -> None:
    rows = _rows("kazakh_dev", "train", 120, 7)
    prep = prepare(rows, Featuriser(FeatureSpec()))
    spec = FeatureSpec()
    scale = idf_scale(prep.matrix, spec.word_dim + spec.char_dim)
    plain, _, _, _ = train_label("infrastructure", prep, 1)
    weighted, _, _, _ = train_label("infrastructure", prep, 1, scale=scale)
    # The model file holds weights for the features as the featuriser makes them: the scale is in them.
    scaled = prep.matrix @ sp.diags(scale.astype(np.float32))
    y = np.asarray([r.labels["infrastructure"] for r in rows])
    direct = _fit(scaled, y, _weights(rows, y, prep.langs), C_BY_LABEL["infrastructure"], 1)
    assert weighted.decision_function(prep.matrix) == pytest.approx(
        direct.decision_function(scaled), abs=1e-4
    )
    assert not np.allclose(weighted.coef_, plain.coef_)


def test_only_the_idf_labels_are_fitted_on_idf_columns(
    small_data: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train(tmp_path / "shared", tmp_path / "idf.npz", ship="train")
    monkeypatch.setattr(train_module, "IDF_LABELS", ())
    train(tmp_path / "shared", tmp_path / "plain.npz", ship="train")
    with_idf, plain = load_model(tmp_path / "idf.npz"), load_model(tmp_path / "plain.npz")
    corruption, infrastructure = with_idf.labels.index("corruption"), with_idf.labels.index("infrastructure")
    for name in ("weights", "kazakh", "informal"):
        a, b = getattr(with_idf, name), getattr(plain, name)
        assert np.array_equal(a.coef[corruption], b.coef[corruption]), name
        assert not np.allclose(a.coef[infrastructure], b.coef[infrastructure]), name


def test_the_false_positive_cap_holds_only_where_negatives_far_outnumber_positives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 56 positives, 80 chosen hard negatives: the best F1 (0.957, up to 0.42) flags 5 negatives (6%);
    # keeping to 5% means going above 0.45 (F1 0.943), which costs less than FPR_PRICE.
    probs = np.array([0.9] * 50 + [0.42] * 6 + [0.45] * 5 + [0.05] * 75)
    y = np.array([1] * 56 + [0] * 80)
    groups = np.array(["ru"] * len(y))
    assert train_thresholds.best_threshold(probs, y, groups) == 0.39  # two negatives per positive: no cap
    monkeypatch.setattr(train_thresholds, "STREAM_RATIO", 1)
    assert train_thresholds.best_threshold(probs, y, groups) == 0.9  # read as a stream: the cap holds


def test_extra_rows_repeating_development_texts_are_left_out_and_the_card_names_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, write_labelled: Callable[..., Path]
) -> None:
    shared = _rows("kazakh_dev", "train", 180, 1) + _rows("kazakh_dev", "dev", 60, 2)
    monkeypatch.setattr(dataset, "load_shared", lambda data_dir: [*shared])
    monkeypatch.setattr(dataset, "load_own", lambda: [])
    (tmp_path / "shared").mkdir()
    # A reviewer's file: 12 development texts again (one in other case and punctuation), 30 new rows.
    repeats = [
        Row(id=f"r{n}", text=r.text, lang=r.lang, file="x", labels=r.labels)
        for n, r in enumerate(shared[180:192])
    ]
    repeats[0].text = repeats[0].text.upper().replace("(", "[ ")
    new = _rows("x", "train", 30, 8)
    for r in new:  # a word of its own: the templates' texts differ only in digits, which the split ignores
        r.text += " отзыв" + "".join("абвгдежзик"[int(d)] for d in r.id.split("-")[1])
    extra = write_labelled(tmp_path / "decisions.jsonl", repeats + new)
    lines: list[str] = []
    card = train(tmp_path / "shared", tmp_path / "m.npz", extra=extra, ship="train", progress=lines.append)

    assert card["training"]["reviewer_rows"] == 30
    assert card["training"]["extra_files"] == [
        {
            "name": "decisions.jsonl",
            "sha256": hashlib.sha256(extra.read_bytes()).hexdigest(),
            "rows": 42,
            "dev_repeats": 12,
            "dev_repeats_used": False,
        }
    ]
    assert card["training"]["files"]["extra"] == {"train": 30, "dev": 0}
    assert (
        f"note: 12 of the 42 rows of {extra} repeat texts of the development split (the same text, or a "
        "near-duplicate of a corruption set's row); left out of training, so that the development figures "
        "stay held out"
    ) in lines
    markdown = (tmp_path / "m.CARD.md").read_text(encoding="utf-8")
    assert "- Extra rows: `decisions.jsonl` (sha256 `" in markdown
    assert "42 rows; 12 repeat texts of the development split (left out)." in markdown
    # A few lines tell the steps of a training that takes minutes, not one per row.
    assert lines[1] == "loaded 270 labelled rows (reviewer rows 30): 210 training, 60 development"
    assert "fit 1/1 (training split): corruption: 5 cross-validation folds and the final fit" in lines
    assert lines[-1] == f"writing {tmp_path / 'm.npz'} and its card"
    assert len(lines) < 15

    # Evaluating the model on the file it was trained on says so; on another file it does not.
    noted = run_cli("evaluate", "--data", str(extra), "--model", str(tmp_path / "m.npz"))
    assert noted.returncode == 0, noted.stderr
    assert noted.stderr.strip() == (
        f"note: model {card['version']} was trained on this file (--extra-jsonl decisions.jsonl), so these "
        "figures are not a test of it"
    )
    other = write_labelled(tmp_path / "other.jsonl", new[:12])
    assert run_cli("evaluate", "--data", str(other), "--model", str(tmp_path / "m.npz")).stderr == ""


def test_a_file_of_development_texts_only_is_refused_before_fitting(
    small_data: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    write_labelled: Callable[..., Path],
) -> None:
    dev = [r for r in dataset.load_shared(tmp_path / "shared") if r.split == "dev"]
    extra = write_labelled(tmp_path / "dev.jsonl", dev[:5])
    monkeypatch.setattr(train_module, "_fit_labels", _no_fitting)
    with pytest.raises(InputError, match="all 5 rows repeat texts of the development split"):
        train(tmp_path / "shared", tmp_path / "m.npz", extra=extra)
    # An experiment that means to train on them (and scores other rows) keeps them; the card says so.
    rows, (entry,) = train_module._extra_rows(extra, dev, True, lambda line: None)
    assert len(rows) == 5 and entry["dev_repeats"] == 5 and entry["dev_repeats_used"] is True


def _no_fitting(*args: object, **kwargs: object) -> None:
    raise AssertionError("fitting began")


def test_the_output_path_is_checked_before_any_data_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_reading() -> list[Row]:
        raise AssertionError("data read before the output path was checked")

    monkeypatch.setattr(dataset, "load_own", no_reading)
    with pytest.raises(ModelError, match="is a folder; give the model file's name"):
        train(None, tmp_path)
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(ModelError, match=f"cannot write the model file: {tmp_path / 'file'} is a file"):
        train(None, tmp_path / "file" / "sub" / "m.npz")
    # A folder that does not exist yet is made.
    with pytest.raises(AssertionError, match="data read before"):
        train(None, tmp_path / "new" / "m.npz")
    assert (tmp_path / "new").is_dir()


def test_a_failed_final_write_is_one_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from classify import model as model_module

    own = _rows("own", "train", 60, 3)
    monkeypatch.setattr(dataset, "load_own", lambda: [*own])

    def full_disk(payload: object, path: Path) -> str:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(model_module, "save_payload", full_disk)
    with pytest.raises(ModelError) as caught:
        train(None, tmp_path / "m.npz")
    assert str(caught.value) == f"{tmp_path / 'm.npz'}: cannot write the model file: No space left on device"
