"""Safeguards of training with reviewers' answers (--extra-jsonl) and the way back to the model it replaced."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from testutil import run_cli

from classify import dataset
from classify import train as train_module
from classify.dataset import BadLines, Row, load_extra
from classify.train_card import KEEP_PREVIOUS, comparison, keep_previous, prune_previous, read_card
from errors import InputError

REPO = Path(__file__).resolve().parents[2]


def _line(text: str, **fields: object) -> str:
    return json.dumps({"text": text, "labels": {"infrastructure": 1}, **fields}, ensure_ascii=False) + "\n"


def test_an_unknown_language_or_a_bad_copies_refuses_the_file_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_text(
        _line("жол бұзылған", lang="kk", copies=2)
        + _line("жол бұзылған екен", lang="kz")  # hand-edited: was read as Russian
        + _line("нет света", lang="xx")
        + _line("нет воды", lang="ru", copies=-5)
        + _line("нет газа", copies="lots")
        + _line("яма на дороге", copies=True)
        + _line("яма во дворе", copies=0)
        + _line("свет погас", lang=None)
        + _line("свет погас опять", lang="mixed", copies=1000),
        encoding="utf-8",
    )
    with pytest.raises(BadLines) as caught:
        load_extra(path)
    assert caught.value.count == 6
    allowed = "expected kk, ru, mixed, other, or none (the language is then detected)"
    copies = "expected a positive whole number (items the row stands for)"
    assert caught.value.problems == [
        f'{path}:2: lang is "kz"; {allowed}',
        f'{path}:3: lang is "xx"; {allowed}',
        f"{path}:4: copies is -5; {copies}",
        f'{path}:5: copies is "lots"; {copies}',
        f"{path}:6: copies is true; {copies}",
        f"{path}:7: copies is 0; {copies}",
    ]
    # The same lines without the bad ones are read; their line numbers are kept for notes.
    good = tmp_path / "good.jsonl"
    good.write_text(_line("нет газа", lang="other") + _line("свет погас", lang=""), encoding="utf-8")
    assert [(r.lang, r.line) for r in load_extra(good)] == [("other", 1), ("", 2)]


def test_the_command_line_names_each_bad_line_before_training(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_text(_line("жол бұзылған", lang="kk") + _line("жол жоқ", lang="kz"), encoding="utf-8")
    result = run_cli("train", "--own-only", "--extra-jsonl", str(path), "--out", str(tmp_path / "m.npz"))
    assert result.returncode != 0
    assert f'error: {path}:2: lang is "kz"' in result.stderr
    assert not (tmp_path / "m.npz").exists()


def _row(text: str, line: int, file: str = "extra", **labels: int | None) -> Row:
    full: dict[str, int | None] = {"corruption": None, "infrastructure": None, **labels}
    return Row(id=f"{file}-{line}", text=text, lang="kk", file=file, labels=full, line=line)


def test_opposite_labels_and_contradictions_of_the_shared_data_are_noted_with_their_lines(
    tmp_path: Path, write_labelled: Callable[..., Path]
) -> None:
    shared = [
        _row(f"пікір нөмір {word} өте жақсы қызмет", n, "reviews_kk", corruption=0, infrastructure=0)
        for n, word in enumerate(["бір", "екі", "үш", "төрт", "бес", "алты", "жеті"], 1)
    ]
    weak = _row("жол туралы жаңалық", 99, "weak", infrastructure=0)
    weak.weak = {"infrastructure": True}  # a weak label is a guess, not the shared data's word
    extra = [
        *(_row(r.text.upper() + "!", 0, corruption=1, infrastructure=1) for r in shared),  # 7 contradict
        _row("көшеде жарық жоқ", 0, infrastructure=1),
        _row("Көшеде жарық жоқ.", 0, infrastructure=0),  # the same text, the opposite label
        _row("жол туралы жаңалық", 0, infrastructure=1),
        _row("аялдама жөнделді", 0, infrastructure=1),
    ]
    path = write_labelled(tmp_path / "x.jsonl", extra)
    lines: list[str] = []
    rows, _ = train_module._extra_rows(path, [*shared, weak], False, lines.append)

    assert len(rows) == len(extra)  # noted, still trained on: a reviewer may be right
    assert lines == [
        f"note: 1 text of {path} is given a label and its opposite by its own rows (both are trained on): "
        "lines 8 and 9 (infrastructure)",
        f"note: 7 rows of {path} give a text the opposite label of the shared data or our own examples for "
        "the same text (trained on as given; check them): "
        + "; ".join(
            f"line {n}: {label} 1, reviews_kk reviews_kk-{n} says 0"
            for n, label in [
                (1, "corruption"),
                (1, "infrastructure"),
                (2, "corruption"),
                (2, "infrastructure"),
                (3, "corruption"),
            ]
        )
        + "; and 9 more",
    ]
    # A file that agrees with itself and with the shared data gets no note.
    quiet: list[str] = []
    train_module._extra_rows(write_labelled(tmp_path / "ok.jsonl", extra[-2:]), shared, False, quiet.append)
    assert quiet == []


def _shipped_card() -> dict:
    return json.loads((REPO / "models" / "classifier.card.json").read_text(encoding="utf-8"))


def _card_with_figures() -> dict:
    """The shipped model's card with the development figures the comparisons below start from set
    (so that the tests hold whatever a retrained model's own figures are)."""
    card = _shipped_card()
    card["dev"]["all"]["corruption"]["kk"].update(precision=0.870, recall=0.769, f1=0.816)
    card["dev"]["all"]["infrastructure"]["kk"]["f1"] = 0.513
    card["dev"]["reviews_kk_fpr"] = {"negatives": 2405, "flagged": 15, "fpr": 0.0062}
    return card


def test_the_comparison_warns_when_a_kazakh_or_russian_figure_falls_beyond_the_margin() -> None:
    before = _card_with_figures()
    after = copy.deepcopy(before)
    after["version"] = "new"
    kk = after["dev"]["all"]["corruption"]["kk"]
    kk.update(precision=1.0, recall=0.423, f1=0.595)  # the acceptance run's bad reviewers' file
    after["dev"]["all"]["infrastructure"]["ru"]["f1"] -= 0.02  # within the margin: no warning
    after["dev"]["reviews_kk_fpr"] = {"negatives": 2405, "flagged": 55, "fpr": 0.0229}
    lines, warnings = comparison(before, after, "models/classifier.npz")

    assert lines[0] == f"development split, model {before['version']} (models/classifier.npz) -> this one:"
    assert (
        "corruption     kk   precision 0.870 -> 1.000, recall 0.769 -> 0.423, F1 0.816 -> 0.595 (-0.221)"
        in lines
    )
    assert len([line for line in lines if " -> " in line and "F1" in line]) == 4  # 2 labels x ru, kk
    assert lines[-1] == "Kazakh reviews' negatives flagged: 0.0062 -> 0.0229"
    assert warnings == [
        "WARNING: Kazakh corruption F1 fell from 0.816 to 0.595 on the development split (more than 0.03); "
        "check the --extra-jsonl rows before taking it",
        "WARNING: Kazakh reviews' negatives flagged rose from 0.62% to 2.29% (more than 0.5%); check the "
        "--extra-jsonl rows before taking it",
    ]
    assert comparison(before, before, "x")[1] == []


def _fake_model(path: Path, created: str) -> None:
    """A model file with the meta a card reader needs (keep_previous reads it and names the copy by it)."""
    import numpy as np

    from classify.model import FORMAT

    meta = {"format": FORMAT, "created": created, "card": {"created": created}}
    with path.open("wb") as out:
        np.savez_compressed(out, meta=np.asarray(json.dumps(meta)))
    path.with_suffix(".card.json").write_text(json.dumps({"created": created}), encoding="utf-8")
    path.with_name("CARD.md" if path.name == "classifier.npz" else f"{path.stem}.CARD.md").write_text(
        f"# card {created}\n", encoding="utf-8"
    )


def test_replaced_models_are_kept_by_version_and_only_the_latest(tmp_path: Path) -> None:
    import os

    from classify.model import _file_version

    shipped = tmp_path / "models" / "classifier.npz"
    shipped.parent.mkdir()
    assert keep_previous(shipped) is None  # nothing there yet
    versions = []
    for n in range(KEEP_PREVIOUS + 2):
        _fake_model(shipped, f"2026-11-2{n}T10:00:00+00:00")
        kept = keep_previous(shipped)
        assert kept is not None
        prune_previous(kept.parent)
        versions.append(_file_version(shipped, f"2026-11-2{n}T10:00:00+00:00"))
        assert kept == shipped.parent / "previous" / f"{versions[-1]}.npz"
        assert kept.read_bytes() == shipped.read_bytes()
        os.utime(kept, (1_000_000 + n, 1_000_000 + n))  # the order of replacing, whatever the clock
    names = sorted(p.name for p in (shipped.parent / "previous").iterdir())
    assert names == sorted(
        f"{v}{suffix}" for v in versions[-KEEP_PREVIOUS:] for suffix in (".npz", ".card.json", ".CARD.md")
    )


def test_training_over_the_shipped_model_keeps_it_and_take_puts_it_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shutil

    from tests.classify.test_train import _rows

    own = _rows("own", "train", 60, 3) + _rows("own", "dev", 20, 4)
    monkeypatch.setattr(dataset, "load_own", lambda: [*own])
    shipped = tmp_path / "models" / "classifier.npz"
    shipped.parent.mkdir()
    for name in ("classifier.npz", "classifier.card.json", "CARD.md"):  # the shipped model, as it is
        shutil.copyfile(REPO / "models" / name, shipped.parent / name)
    first_bytes = shipped.read_bytes()
    first = _shipped_card()["version"]
    lines: list[str] = []
    second = train_module.train(None, shipped, progress=lines.append)
    kept = shipped.parent / "previous" / f"{first}.npz"
    assert f"the model it replaces is kept as {kept} (and its cards beside it)" in lines
    assert kept.read_bytes() == first_bytes
    assert (kept.parent / f"{first}.CARD.md").read_bytes() == (REPO / "models" / "CARD.md").read_bytes()
    assert read_card(kept) == _shipped_card()
    assert shipped.read_bytes() != first_bytes

    # The way back: the kept model in place again, the one it replaced kept in its turn.
    result = run_cli("train", "--take", str(kept), "--out", str(shipped))
    assert result.returncode == 0, result.stderr
    assert shipped.read_bytes() == first_bytes
    assert read_card(shipped) == _shipped_card()
    assert f"Version: `{first}`" in (shipped.parent / "CARD.md").read_text(encoding="utf-8")
    assert (shipped.parent / "previous" / f"{second['version']}.npz").is_file()
    assert "reclassify" in result.stdout
    # A file that is no model is refused, and the shipped one stays.
    bad = tmp_path / "bad.npz"
    bad.write_text("not a model", encoding="utf-8")
    refused = run_cli("train", "--take", str(bad), "--out", str(shipped))
    assert refused.returncode != 0 and "not a readable model file" in refused.stderr
    assert shipped.read_bytes() == first_bytes


def test_train_prints_the_comparison_and_warns_on_stderr_with_exit_status_0(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from classify import cli

    worse = _card_with_figures()
    worse["version"] = "candidate"
    worse["artifact_bytes"] = 5_500_000
    worse["dev"]["all"]["infrastructure"]["kk"]["f1"] = 0.404

    def fake_train(data: object, out: Path, **kwargs: object) -> dict:
        out.with_suffix(".card.json").write_text("{}", encoding="utf-8")  # replaces what it compares with
        return worse

    monkeypatch.setattr(train_module, "train", fake_train)
    shipped = tmp_path / "classifier.npz"
    shipped.with_suffix(".card.json").write_text(json.dumps(_card_with_figures()), encoding="utf-8")
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["train", "--own-only", "--out", str(shipped), "--compare-with", str(shipped)])
    assert args.func(args) == 0
    out, err = capsys.readouterr()
    assert f"development split, model {_shipped_card()['version']} ({shipped}) -> this one:" in out
    assert "F1 0.513 -> 0.404 (-0.109)" in out
    assert err.splitlines()[-1] == (
        "WARNING: Kazakh infrastructure F1 fell from 0.513 to 0.404 on the development split (more than "
        "0.03); check the --extra-jsonl rows before taking it"
    )
    # A --compare-with without a card is refused before any training.
    monkeypatch.setattr(train_module, "train", _no_training)
    args = parser.parse_args(["train", "--own-only", "--compare-with", str(tmp_path / "none.npz")])
    with pytest.raises(InputError, match="no model card to compare with"):
        args.func(args)


def _no_training(*args: object, **kwargs: object) -> None:
    raise AssertionError("training began")
