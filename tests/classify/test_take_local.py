"""`train --take` puts the model in models/local/, which git ignores: the shipped files git tracks stay as
they are, so an upgrade (git pull) neither refuses to run nor puts the shipped model back; the loader
uses the taken model while it is there, and taking the shipped model is the way back."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from classify import cli as cli_module
from classify import model as model_module
from classify.cli import _cmd_train
from classify.model import load_model, save_payload
from errors import InputError

REPO = Path(__file__).resolve().parents[2]


def _variant(folder: Path, day: int) -> tuple[Path, str]:
    """The committed model saved again with another creation date, with a card of its own beside it."""
    shipped = load_model(model_module.SHIPPED_MODEL)
    card = json.loads((REPO / "models" / "classifier.card.json").read_text(encoding="utf-8"))
    created = f"2026-11-2{day}T10:00:00+00:00"
    path = folder / f"candidate{day}.npz"
    version = save_payload({**shipped.payload, "created": created}, path)
    own = {**card, "created": created, "version": version, "artifact_bytes": path.stat().st_size}
    path.with_suffix(".card.json").write_text(json.dumps(own), encoding="utf-8")
    return path, version


def _train_args(*argv: str) -> object:
    from pipeline import build_parser

    return build_parser().parse_args(["train", *argv])


def test_take_leaves_the_tracked_model_files_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for name in ("classifier.npz", "classifier.card.json", "CARD.md"):
        shutil.copyfile(REPO / "models" / name, models / name)
    tracked = {p.name: p.read_bytes() for p in models.iterdir()}
    local = models / "local" / "classifier.npz"
    monkeypatch.setattr(model_module, "SHIPPED_MODEL", models / "classifier.npz")
    monkeypatch.setattr(cli_module, "SHIPPED_MODEL", models / "classifier.npz")  # never the checkout's
    monkeypatch.setattr(model_module, "LOCAL_MODEL", local)
    shipped_version = load_model(models / "classifier.npz").version
    assert model_module.default_model() == models / "classifier.npz"  # nothing taken: the shipped one

    candidate, version = _variant(tmp_path, 1)
    assert _cmd_train(_train_args("--take", str(candidate))) == 0
    assert f"is now {local}" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in models.iterdir() if p.is_file()} == tracked
    assert local.read_bytes() == candidate.read_bytes()
    assert json.loads(local.with_suffix(".card.json").read_text(encoding="utf-8"))["version"] == version
    assert (local.parent / "CARD.md").is_file()
    assert model_module.default_model() == local
    assert load_model().version == version  # what run, schedule and status load when no model is named

    # Training over the shipped file now would make a model the loader never uses (review RV4)
    with pytest.raises(InputError, match="a model taken here is in use"):
        _cmd_train(_train_args())
    assert {p.name: p.read_bytes() for p in models.iterdir() if p.is_file()} == tracked

    # The way back to the shipped model: take it; the taken one is kept beside the local one.
    assert _cmd_train(_train_args("--take", str(models / "classifier.npz"))) == 0
    assert load_model().version == shipped_version
    assert (local.parent / "previous" / f"{version}.npz").is_file()
    assert {p.name: p.read_bytes() for p in models.iterdir() if p.is_file()} == tracked


def test_the_local_model_folder_is_ignored_by_git() -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    local = model_module.LOCAL_MODEL.relative_to(REPO)
    for path in (local, local.parent / "CARD.md", local.parent / "previous" / "x.npz"):
        ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=REPO, check=False)
        assert ignored.returncode == 0, f"{path} is not ignored by .gitignore"
