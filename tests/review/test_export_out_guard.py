"""`export --out` never replaces a file of the monitor: the configuration in use, a model, a database
or its log. `export --out sources.toml` wrote the export over the config, `--out models/classifier.npz`
over the model (the next `run` then stored items unclassified, exit 0). An export written again over
its own earlier file is what exports are for, and stays allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from testutil import run_cli


def _export(db: Path, out: Path, *extra: str) -> tuple[int, str]:
    done = run_cli("export", "--db", str(db), "--format", "csv", "--out", str(out), *extra)
    return done.returncode, done.stderr.strip()


def test_the_configuration_in_use_is_refused_and_kept(review_db: Path, tmp_path: Path) -> None:
    config = tmp_path / "monitor.conf"  # named so that only its being the config in use refuses it
    config.write_text(f'[settings]\ndb = "{review_db}"\n', encoding="utf-8")
    code, err = _export(review_db, config, "--config", str(config))
    assert code == 1 and config.read_text(encoding="utf-8").startswith("[settings]")
    assert err == f"error: {config}: --out names the configuration in use; give the export a file of its own"


def test_a_model_is_refused_and_kept(
    review_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # in-process, with a models folder of the test's: a broken guard must not write over the shipped model
    import pipeline
    from classify import model

    models = tmp_path / "models"
    models.mkdir()
    card = models / "classifier.card.md"  # no .npz: only its folder refuses it
    card.write_text("model card\n", encoding="utf-8")
    monkeypatch.setattr(model, "MODELS_DIR", models)
    code = pipeline.main(["export", "--db", str(review_db), "--format", "csv", "--out", str(card)])
    assert code == 1 and card.read_text(encoding="utf-8") == "model card\n"
    err = capsys.readouterr().err.strip()
    assert err == f"error: {card}: --out names a file of the models folder; give the export a file of its own"


@pytest.mark.parametrize(("name", "kind"), [("other.toml", "configuration"), ("old.duckdb", "database")])
def test_a_monitor_file_by_its_suffix_is_refused(
    review_db: Path, tmp_path: Path, name: str, kind: str
) -> None:
    target = tmp_path / name
    target.write_bytes(b"not an export")
    code, err = _export(review_db, target)
    assert code == 1 and target.read_bytes() == b"not an export"
    assert f"--out names an existing {kind} file ({target.suffix})" in err


def test_an_earlier_export_is_written_over(review_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "flagged.csv"
    out.write_text("old export\n", encoding="utf-8")
    code, err = _export(review_db, out)
    assert code == 0, err
    assert out.read_text(encoding="utf-8-sig") != "old export\n"
