"""Model files that are damaged, cut short, in a folder's place or without what they must say."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from classify.model import DEFAULT_MODEL, load_model, save_payload
from errors import ModelError


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load_model()


def test_a_folder_given_as_the_model_is_called_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "classifier.npz"
    folder.mkdir()
    with pytest.raises(ModelError, match="is a folder; give the model file's name") as caught:
        load_model(folder)
    assert caught.value.path == str(folder)


def test_a_model_cut_short_or_with_damaged_bytes_is_refused_with_its_name(tmp_path: Path) -> None:
    data = DEFAULT_MODEL.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=r"not a readable model file, or one cut short") as caught:
        load_model(cut)
    assert caught.value.path == str(cut)
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0x01
    flipped = tmp_path / "flipped.npz"
    flipped.write_bytes(bytes(damaged))
    with pytest.raises(ModelError, match=r"cannot read model file \(BadZipFile: Bad CRC-32"):
        load_model(flipped)


def test_a_model_that_does_not_name_its_scikit_learn_version_says_so(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    payload = {k: v for k, v in model.payload.items() if k != "sklearn_version"}
    path = tmp_path / "unnamed.npz"
    save_payload(payload, path)
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert "does not say which scikit-learn version made it" in str(caught.value)
    assert "None" not in str(caught.value)


def test_a_model_for_other_keyword_rules_names_its_file(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    payload = dict(model.payload)
    payload["coef"] = payload["coef"][:, :-1]
    path = tmp_path / "older.npz"
    save_payload(payload, path)
    with pytest.raises(ModelError, match="another set of keyword rules") as caught:
        load_model(path)
    assert caught.value.path == str(path)


def test_a_model_file_alone_in_its_folder_loads_without_its_card(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    """The card files beside the model are for people: everything scoring needs is in the file."""
    alone = tmp_path / "classifier.npz"
    shutil.copyfile(DEFAULT_MODEL, alone)
    copy = load_model(alone)
    text = ["Инспектор потребовал взятку"]
    assert copy.classify(text) == model.classify(text) and copy.version == model.version
