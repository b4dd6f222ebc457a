"""Training end to end on a small labelled set we write here: what is measured and what is shipped."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from classify import dataset
from classify import train as train_module
from classify.dataset import Row
from classify.features import FeatureSpec, Featuriser
from classify.model import load_model
from classify.train import C_BY_LABEL, _fit, _weights, idf_scale, prepare, train, train_label

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
    assert train_module._best_threshold(probs, y, groups) == 0.39  # two negatives per positive: no cap
    monkeypatch.setattr(train_module, "STREAM_RATIO", 1)
    assert train_module._best_threshold(probs, y, groups) == 0.9  # read as a stream: the cap holds
