"""Putting a model and its cards in place (train over the shipped model, train --take): whole files by
rename, a failed write that changes nothing, the way back to any kept model, and the comparison."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from testutil import run_cli

from classify import dataset
from classify import train as train_module
from classify.dataset import Row
from classify.model import load_model, save_payload
from classify.train_card import KEEP_PREVIOUS, comparison, keep_previous, read_card, take
from errors import ModelError

REPO = Path(__file__).resolve().parents[2]
DAYS = 6


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """The committed model saved again with DAYS other creation dates: loadable models of distinct
    versions (file, version), each with a card of its own beside it."""
    folder = tmp_path_factory.mktemp("variants")
    model = load_model()
    card = json.loads((REPO / "models" / "classifier.card.json").read_text(encoding="utf-8"))
    out = []
    for day in range(DAYS):
        created = f"2026-11-2{day}T10:00:00+00:00"
        path = folder / f"day{day}.npz"
        version = save_payload({**model.payload, "created": created}, path)
        own = {**card, "created": created, "version": version, "artifact_bytes": path.stat().st_size}
        path.with_suffix(".card.json").write_text(json.dumps(own), encoding="utf-8")
        out.append((path, version))
    return out


def _place(source: Path, model_path: Path) -> None:
    """``source`` and its cards copied to ``model_path`` (the markdown card named as write does it)."""
    shutil.copyfile(source, model_path)
    shutil.copyfile(source.with_suffix(".card.json"), model_path.with_suffix(".card.json"))
    markdown = "CARD.md" if model_path.name == "classifier.npz" else f"{model_path.stem}.CARD.md"
    model_path.with_name(markdown).write_text(f"# card of {source.name}\n", encoding="utf-8")


def _folder(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}


def _shipped_with_three_kept(tmp_path: Path, variants: list[tuple[Path, str]]) -> Path:
    """models/classifier.npz of day 3, and days 0, 1, 2 kept in previous/ in that order."""
    shipped = tmp_path / "models" / "classifier.npz"
    shipped.parent.mkdir()
    for day in range(KEEP_PREVIOUS + 1):
        _place(variants[day][0], shipped)
        if day < KEEP_PREVIOUS:
            kept = keep_previous(shipped)
            assert kept is not None
            os.utime(kept, (1_000_000 + day, 1_000_000 + day))  # the order of replacing
    return shipped


def test_taking_the_oldest_kept_model_puts_it_in_place_and_keeps_it(
    tmp_path: Path, variants: list[tuple[Path, str]]
) -> None:
    shipped = _shipped_with_three_kept(tmp_path, variants)
    previous = shipped.parent / "previous"
    oldest = previous / f"{variants[0][1]}.npz"
    oldest_bytes = oldest.read_bytes()
    result = run_cli("train", "--take", str(oldest), "--out", str(shipped))
    assert result.returncode == 0, result.stderr
    assert shipped.read_bytes() == oldest_bytes
    assert load_model(shipped).version == variants[0][1]
    # The model taken stays (it is never pruned); the three others remain to go back to.
    assert sorted(p.name for p in previous.glob("*.npz")) == sorted(f"{v}.npz" for _, v in variants[:4])
    assert oldest.read_bytes() == oldest_bytes


def test_a_full_disk_during_take_leaves_the_files_in_place_as_they_were(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variants: list[tuple[Path, str]]
) -> None:
    shipped = _shipped_with_three_kept(tmp_path, variants)
    candidate = variants[4][0]
    before = _folder(shipped.parent)
    previous_before = _folder(shipped.parent / "previous")
    real = shutil.copyfile

    def disk_full(source: Path, target: Path) -> Path:
        if Path(target).parent == shipped.parent and Path(source) == candidate:
            Path(target).write_bytes(candidate.read_bytes()[:100_000])  # half a model, then no room
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(source, target)

    monkeypatch.setattr(shutil, "copyfile", disk_full)
    with pytest.raises(ModelError) as caught:
        take(candidate, shipped)
    assert str(caught.value) == (
        f"{shipped}: cannot put the model in place: No space left on device; the model in place and its "
        "cards are as they were"
    )
    assert _folder(shipped.parent) == before  # no cut model, no stray temporary file
    assert _folder(shipped.parent / "previous") == previous_before
    # Room again: taking it again keeps the real model it replaces, not a cut one.
    monkeypatch.setattr(shutil, "copyfile", real)
    taken = take(candidate, shipped)
    assert taken.replaced and taken.kept == shipped.parent / "previous" / f"{variants[3][1]}.npz"
    assert load_model(taken.kept).version == variants[3][1]
    assert load_model(shipped).version == variants[4][1]


def test_a_cut_model_in_place_is_not_kept(tmp_path: Path, variants: list[tuple[Path, str]]) -> None:
    shipped = _shipped_with_three_kept(tmp_path, variants)
    shipped.write_bytes(shipped.read_bytes()[:50_000])  # as a write cut short by the old code left it
    previous_before = _folder(shipped.parent / "previous")
    notes: list[str] = []
    taken = take(variants[4][0], shipped, say=notes.append)
    assert taken.replaced and taken.kept is None
    assert _folder(shipped.parent / "previous") == previous_before  # no good model pushed out
    assert len(notes) == 1 and notes[0].startswith(f"note: {shipped} is not a readable model file (")
    assert notes[0].endswith(f"; not kept in {shipped.parent / 'previous'}")


def test_a_full_disk_when_training_over_the_shipped_model_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.classify.test_train import _rows

    own = _rows("own", "train", 60, 3) + _rows("own", "dev", 20, 4)
    monkeypatch.setattr(dataset, "load_own", lambda: [*own])
    shipped = tmp_path / "models" / "classifier.npz"
    shipped.parent.mkdir()
    for name in ("classifier.npz", "classifier.card.json", "CARD.md"):
        shutil.copyfile(REPO / "models" / name, shipped.parent / name)
    before = _folder(shipped.parent)

    def full(out: object, **arrays: object) -> None:
        out.write(b"PK\x03\x04" + b"\0" * 1000)  # type: ignore[attr-defined]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", full)
    with pytest.raises(ModelError) as caught:
        train_module.train(None, shipped)
    assert str(caught.value) == (
        f"{shipped}: cannot write the model file: No space left on device; the model in place and its "
        "cards are as they were"
    )
    assert _folder(shipped.parent) == before
    assert not (shipped.parent / "previous").exists()  # nothing kept: nothing was replaced


def test_readers_of_the_model_never_see_part_of_a_file_while_it_is_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variants: list[tuple[Path, str]]
) -> None:
    shipped = tmp_path / "models" / "classifier.npz"
    shipped.parent.mkdir()
    _place(variants[0][0], shipped)
    seen: list[str] = []
    real = shutil.copyfile

    def halves(source: Path, target: Path) -> Path:
        """The candidate copied in two writes, and a reader (a batch run starting) loading the model
        in place between them."""
        if Path(source).parent == shipped.parent:
            return real(source, target)  # keeping the model it replaces
        data = Path(source).read_bytes()
        with Path(target).open("wb") as out:
            out.write(data[: len(data) // 2])
            out.flush()
            try:
                seen.append(load_model(shipped).version)
            except ModelError as exc:
                seen.append(exc.message)
            out.write(data[len(data) // 2 :])
        return Path(target)

    monkeypatch.setattr(shutil, "copyfile", halves)
    take(variants[1][0], shipped)
    take(variants[2][0], shipped)
    assert seen == [variants[0][1], variants[1][1]]  # the model in place, whole, until the rename
    assert load_model(shipped).version == variants[2][1]


def test_taking_the_model_in_place_again_keeps_and_removes_nothing(
    tmp_path: Path, variants: list[tuple[Path, str]]
) -> None:
    shipped = _shipped_with_three_kept(tmp_path, variants)
    candidate = variants[4][0]
    assert take(candidate, shipped).replaced
    previous = shipped.parent / "previous"
    kept = {p.name: p.stat().st_mtime_ns for p in previous.iterdir()}
    result = run_cli("train", "--take", str(candidate), "--out", str(shipped))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"model {variants[4][1]} is already in place as {shipped}: nothing replaced, kept or removed"
    ]
    assert {p.name: p.stat().st_mtime_ns for p in previous.iterdir()} == kept
    assert run_cli("train", "--take", str(shipped), "--out", str(shipped)).returncode == 0  # itself


def test_take_refuses_training_options_it_would_ignore(
    tmp_path: Path, variants: list[tuple[Path, str]]
) -> None:
    shipped = _shipped_with_three_kept(tmp_path, variants)
    before = shipped.read_bytes()
    extra = tmp_path / "answers.jsonl"
    extra.write_text('{"text": "жол жоқ", "labels": {"infrastructure": 1}}\n', encoding="utf-8")
    given = ("--extra-jsonl", str(extra), "--seed", "3", "--ship", "train")
    result = run_cli("train", "--take", str(variants[4][0]), "--out", str(shipped), *given)
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "--take trains nothing, so --extra-jsonl, --seed, --ship would do nothing with it: drop them"
    )
    assert shipped.read_bytes() == before  # nothing taken


def test_a_model_without_its_card_file_gets_its_version_and_another_models_card_is_refused(
    tmp_path: Path, variants: list[tuple[Path, str]]
) -> None:
    shipped = tmp_path / "models" / "classifier.npz"
    shipped.parent.mkdir()
    _place(variants[0][0], shipped)
    bare = tmp_path / "bare.npz"  # the card inside the file only: written before its version was known
    shutil.copyfile(variants[1][0], bare)
    assert read_card(bare) is not None and read_card(bare).get("version") is None  # type: ignore[union-attr]
    taken = take(bare, shipped)
    card = json.loads(shipped.with_suffix(".card.json").read_text(encoding="utf-8"))
    assert taken.version == card["version"] == variants[1][1]
    assert card["artifact_bytes"] == bare.stat().st_size
    assert f"- Version: `{variants[1][1]}`" in (shipped.parent / "CARD.md").read_text(encoding="utf-8")

    wrong = tmp_path / "wrong.npz"
    shutil.copyfile(variants[2][0], wrong)
    shutil.copyfile(variants[3][0].with_suffix(".card.json"), wrong.with_suffix(".card.json"))
    before = _folder(shipped.parent)
    with pytest.raises(
        ModelError, match=f"wrong.card.json is the card of model {variants[3][1]}, this file is"
    ):
        take(wrong, shipped)
    assert _folder(shipped.parent) == before


def test_the_comparison_shows_a_figure_a_card_lacks_and_does_not_fail() -> None:
    card = json.loads((REPO / "models" / "classifier.card.json").read_text(encoding="utf-8"))
    old = json.loads(json.dumps(card))
    old["training"] = None
    del old["dev"]["all"]["corruption"]["kk"]["precision"]
    old["dev"]["all"]["infrastructure"]["ru"] = "?"
    del old["dev"]["reviews_kk_fpr"]["fpr"]
    new = json.loads(json.dumps(card))
    new["dev"]["all"]["corruption"]["kk"]["f1"] -= 0.2
    lines, warnings = comparison(old, new, "old.npz")
    assert (
        f"(the two were scored on different development rows, not in the card and {card['training']['dev_rows']}: not the same texts)"
        in lines
    )
    kk = card["dev"]["all"]["corruption"]["kk"]
    assert (
        f"corruption     kk   precision not in the card -> {kk['precision']:.3f}, recall {kk['recall']:.3f} -> "
        f"{kk['recall']:.3f}, F1 {kk['f1']:.3f} -> {kk['f1'] - 0.2:.3f} (-0.200)"
    ) in lines
    assert any(line.startswith("infrastructure ru   precision not in the card -> ") for line in lines)
    assert (
        lines[-1]
        == f"Kazakh reviews' negatives flagged: not in the card -> {card['dev']['reviews_kk_fpr']['fpr']:.4f}"
    )
    assert len(warnings) == 1 and warnings[0].startswith("WARNING: Kazakh corruption F1 fell")


def test_compare_with_a_card_file_is_read_as_the_card(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from classify import cli

    card = json.loads((REPO / "models" / "classifier.card.json").read_text(encoding="utf-8"))
    path = tmp_path / "old.card.json"
    path.write_text(json.dumps(card), encoding="utf-8")
    assert read_card(path) == card
    monkeypatch.setattr(train_module, "train", lambda *args, **kwargs: card)
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(
        ["train", "--own-only", "--out", str(tmp_path / "m.npz"), "--compare-with", str(path)]
    )
    assert args.func(args) == 0
    assert f"development split, model {card['version']} ({path}) -> this one:" in capsys.readouterr().out


def test_conflict_notes_name_only_rows_that_are_trained_on(tmp_path: Path) -> None:
    dev = Row(
        id="reviews_kk-1",
        text="пікір өте жақсы қызмет екен",
        lang="kk",
        file="reviews_kk",
        labels={"corruption": 0, "infrastructure": 0},
        split="dev",
    )
    shared = Row(
        id="reviews_kk-2",
        text="жол жақсы жөнделген",
        lang="kk",
        file="reviews_kk",
        labels={"corruption": 0, "infrastructure": 0},
    )
    path = tmp_path / "x.jsonl"
    path.write_text(
        "".join(
            json.dumps({"text": text, "labels": {"corruption": 1}}, ensure_ascii=False) + "\n"
            for text in (dev.text, shared.text)
        ),
        encoding="utf-8",
    )
    lines: list[str] = []
    rows, _ = train_module._extra_rows(path, [dev, shared], False, lines.append)
    assert [r.line for r in rows] == [2]
    assert lines[0].startswith(f"note: 1 of the 2 rows of {path} repeat texts of the development split")
    assert lines[1:] == [
        f"note: 1 row of {path} gives a text the opposite label of the shared data or our own examples for "
        "the same text (trained on as given; check them): line 2: corruption 1, reviews_kk reviews_kk-2 says 0"
    ]
