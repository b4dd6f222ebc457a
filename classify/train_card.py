"""The model card: <name>.card.json and the markdown card written beside a trained model file.

``classify.train`` builds the card's dictionary; this module holds the wording of what was shipped
(``SHIP``), turns the dictionary into the two files, and puts a model and its cards in place
(``install``: train and take), keeping the one it replaces in previous/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from errors import ModelError

SHIP = {
    "all": "the shipped weights and thresholds are the same recipe fitted again on every labelled row: the "
    "training split plus the shared development split (our own held-out examples stay out); the "
    "development figures below come from the fit on the training split alone",
    "train": "the shipped weights are the fit on the training split; the development split never trained them",
}


def card_texts(card: dict[str, Any], model_name: str) -> tuple[str, str]:
    """The two cards of a model file named ``model_name``: (<name>.card.json, the markdown card).
    KeyError or TypeError for a card dictionary that lacks what the markdown card shows."""
    import json

    from classify.evaluate import RESAMPLES, format_table

    dev = card.get("dev", {})
    lines = [
        "# Classifier model card",
        "",
        f"- Version: `{card.get('version')}`; created {card['created']}; seed {card['seed']}.",
        f"- Artifact: `{model_name}`, {card.get('artifact_bytes', 0) / 1e6:.1f} MB (NumPy .npz of plain arrays, no pickle).",
        f"- Model: {card['model']}.",
        f"- Features: {card['features']['word']}; {card['features']['char']}; hashed (no vocabulary, no text stored).",
        f"- Thresholds: {card['thresholds']}; by language group {card['lang_thresholds']} ({card['threshold_rule']}); "
        f"Kazakh typed without Kazakh letters {card.get('informal_thresholds') or 'none'}.",
        f"- Training rows: {card['training']['train_rows']} (own examples {card['training']['own_examples']}, "
        f"reviewer decisions {card['training']['reviewer_rows']}); dev rows {card['training']['dev_rows']}.",
        *(_extra_file_line(f) for f in card["training"].get("extra_files") or []),
        f"- Shipped weights ({card['training'].get('shipped_rows', card['training']['train_rows'])} rows): "
        f"{card['training'].get('ship', SHIP['train'])}"
        + (
            f"; the fit on the training split alone had thresholds {card['holdout_thresholds']}."
            if card.get("holdout_thresholds")
            else "."
        ),
        f"- Split: {card['training']['split']}.",
        f"- Weak labels: {card['training']['weak_labels']}.",
        f"- Informal copies ({card['training'].get('informal_copies', 0)}): {card['training'].get('informal', 'none')}.",
        f"- Library versions: {card['versions']}.",
        "",
        "## Development split of the shared data (scored by the fit that did not see it)",
        "",
        "```",
        format_table(dev["all"]) if dev.get("all") else "(no dev rows: shared data absent)",
        "```",
        "",
        f"The F1 interval is a 95% percentile bootstrap over the rows ({RESAMPLES} resamples): with few "
        "positives (Kazakh corruption) it is wide, and a bar inside it is neither clearly met nor clearly missed.",
    ]
    if "reviews_kk_fpr" in dev:
        r = dev["reviews_kk_fpr"]
        lines += [
            "",
            f"False-positive rate on the held-out Kazakh reviews' negatives: {r['fpr']:.4f} ({r['flagged']}/{r['negatives']}).",
        ]
    if card.get("dev_informal"):
        lines += [
            "",
            "## The Kazakh texts of the development split typed without Kazakh letters",
            "",
            "The same rows with ә→а, ғ→г, қ→к, ң→н, ө→о, ұ→у, ү→у, һ→х, і→и, as on a Russian keyboard.",
            "",
            "```",
            format_table(card["dev_informal"]),
            "```",
        ]
    lines += ["", "## Out-of-fold figures of the shipped fit", "", _out_of_fold_table(card), ""]
    for file, report in dev.get("by_file", {}).items():
        lines += ["", f"### {file}", "", "```", format_table(report), "```"]
    return json.dumps(card, ensure_ascii=False, indent=2) + "\n", "\n".join(lines) + "\n"


def _extra_file_line(entry: dict[str, Any]) -> str:
    """The card's line on one --extra-jsonl file: what it was, and what became of its repeats."""
    repeats = entry["dev_repeats"]
    fate = "kept, so the development figures are not held out" if entry["dev_repeats_used"] else "left out"
    return (
        f"- Extra rows: `{entry['name']}` (sha256 `{entry['sha256']}`), {entry['rows']} rows; "
        f"{repeats} repeat texts of the development split" + (f" ({fate})." if repeats else ".")
    )


def _out_of_fold_table(card: dict[str, Any]) -> str:
    """The shipped fit's own cross-validated figures: each shared training row scored by the fold
    model that did not see it, at the shipped thresholds (informal: the Kazakh rows retyped)."""
    lines = [
        "Each shared row of the shipped fit scored by the fold model that did not see it, at the shipped "
        "thresholds (thresholds and calibration were chosen on these same scores, so they flatter a little).",
        "",
        "```",
        f"{'label':14} {'lang':12} {'rows':>6} {'pos':>5} {'prec':>7} {'rec':>7} {'f1':>7} {'ap':>7}",
    ]
    for label, summary in card["training"]["per_label"].items():
        for name, part in (("", summary), (" informal", summary.get("informal") or {})):
            for lang, c in (part.get("out_of_fold") or {}).items():
                ap = f" {c['ap']:>7.3f}" if "ap" in c else ""  # cards before session 8 lack it
                lines.append(
                    f"{label:14} {lang + name:12} {c['n']:>6} {c['positives']:>5} {c['precision']:>7.3f} "
                    f"{c['recall']:>7.3f} {c['f1']:>7.3f}{ap}"
                )
    return "\n".join([*lines, "```"])


SHIPPED_NAME = "classifier.npz"
PREVIOUS = "previous"  # the folder beside the shipped model that keeps the models it replaced
KEEP_PREVIOUS = 3  # replaced models kept there (5.5 MB each); older ones are removed
F1_MARGIN = 0.03  # a fall of more F1 than this on the development split is warned of (one of 26 ...
FPR_MARGIN = 0.005  # ... Kazakh corruption positives is about 0.025), and a rise of the reviews' FPR
MISSING = "not in the card"  # a figure the compared card lacks (an older or hand-edited card)


def card_files(model_path: Path) -> list[Path]:
    """The model file and its two cards (as ``card_texts`` are written beside it)."""
    markdown = "CARD.md" if model_path.name == SHIPPED_NAME else f"{model_path.stem}.CARD.md"
    return [model_path, model_path.with_suffix(".card.json"), model_path.with_name(markdown)]


def read_card(model_path: Path) -> dict[str, Any] | None:
    """The card of a model file: its <name>.card.json, else the copy inside the file; None without one
    (no model there yet, or a file that is not a model). A <name>.card.json path is read as itself."""
    import json

    own = model_path.name.endswith(".card.json")
    json_path = model_path if own else model_path.with_suffix(".card.json")
    try:
        card = json.loads(json_path.read_text(encoding="utf-8")) if json_path.is_file() else None
    except (OSError, ValueError):
        card = None
    if not isinstance(card, dict) and not own:
        card = _meta(model_path).get("card")
    return card if isinstance(card, dict) else None


def _meta(model_path: Path) -> dict[str, Any]:
    """The plain values of a model file (its arrays left unread); {} for a file that is not one."""
    import json
    import zipfile

    import numpy as np

    try:
        with np.load(model_path, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"][()]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # missing, not a model
        return {}
    return meta if isinstance(meta, dict) else {}


def _part(parent: Any, key: str) -> dict[str, Any]:
    """``parent[key]`` if both are dictionaries, else {}: a card read from disk may lack anything."""
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


def _figure(part: dict[str, Any], key: str) -> float | None:
    value = part.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _shown(value: float | None, spec: str = ".3f") -> str:
    return MISSING if value is None else format(value, spec)


def comparison(before: dict[str, Any], after: dict[str, Any], name: str) -> tuple[list[str], list[str]]:
    """(lines, warnings): the development figures per label and language group of the new model
    (``after``) beside those of ``before`` (the card of the model named ``name``), and a warning for
    each Kazakh or Russian F1 that fell by more than F1_MARGIN and for a Kazakh reviews' FPR that rose
    by more than FPR_MARGIN. A figure a card lacks is shown as MISSING (and warns of nothing): the
    comparison comes after minutes of training, and an old card must not end them in a traceback."""
    old, new = _part(before, "dev"), _part(after, "dev")
    if not _part(old, "all") or not _part(new, "all"):
        return [f"no development figures to compare with {name} (trained without the shared data)"], []
    lines = [f"development split, model {before.get('version') or '(no version)'} ({name}) -> this one:"]
    rows = [_part(card, "training").get("dev_rows") for card in (before, after)]
    if rows[0] != rows[1]:
        shown = [MISSING if count is None else count for count in rows]
        lines.append(
            f"(the two were scored on different development rows, {shown[0]} and {shown[1]}: not the same texts)"
        )
    warnings = []
    for label in _part(new, "all"):
        for lang, language in (("ru", "Russian"), ("kk", "Kazakh")):
            a, b = (_part(_part(side, "all").get(label), lang) for side in (old, new))
            if not a and not b:
                continue
            f1_a, f1_b = _figure(a, "f1"), _figure(b, "f1")
            change = f" ({f1_b - f1_a:+.3f})" if f1_a is not None and f1_b is not None else ""
            lines.append(
                f"{label:15}{lang:4} "
                + ", ".join(
                    f"{what} {_shown(_figure(a, key))} -> {_shown(_figure(b, key))}"
                    for what, key in (("precision", "precision"), ("recall", "recall"), ("F1", "f1"))
                )
                + change
            )
            if f1_a is not None and f1_b is not None and f1_b - f1_a < -F1_MARGIN:
                warnings.append(
                    f"WARNING: {language} {label} F1 fell from {f1_a:.3f} to {f1_b:.3f} on the "
                    f"development split (more than {F1_MARGIN}); check the --extra-jsonl rows before taking it"
                )
    a, b = _part(old, "reviews_kk_fpr"), _part(new, "reviews_kk_fpr")
    if a or b:
        fpr_a, fpr_b = _figure(a, "fpr"), _figure(b, "fpr")
        lines.append(f"Kazakh reviews' negatives flagged: {_shown(fpr_a, '.4f')} -> {_shown(fpr_b, '.4f')}")
        if fpr_a is not None and fpr_b is not None and fpr_b - fpr_a > FPR_MARGIN:
            warnings.append(
                f"WARNING: Kazakh reviews' negatives flagged rose from {fpr_a:.2%} to {fpr_b:.2%} "
                f"(more than {FPR_MARGIN:.1%}); check the --extra-jsonl rows before taking it"
            )
    return lines, warnings


def _quiet(line: str) -> None:
    pass


def _temp_beside(target: Path) -> Path:
    """A new empty file in ``target``'s folder to write it in before ``os.replace``: the same file
    system (a rename, never a copy), a hidden name no glob of *.npz or *.card.json matches, and the
    target's permissions if it exists (else the umask's, as the file had when first written)."""
    import os
    import secrets
    import shutil

    temp = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
    temp.touch(exist_ok=False)
    if target.is_file():
        shutil.copymode(target, temp)
    return temp


def _synced(temp: Path) -> None:
    """The file's bytes on disk before it is renamed over another: a power cut after the rename
    must not leave a name that points at unwritten blocks."""
    import os

    with temp.open("rb") as handle:
        os.fsync(handle.fileno())


def _replace_all(pairs: list[tuple[Path, Path]]) -> int:
    """os.replace each (temporary file, target) in order; returns how many were done (all, or the
    OSError is raised with the count in ``done``)."""
    import os

    for done, (temp, target) in enumerate(pairs):
        try:
            os.replace(temp, target)
        except OSError as exc:
            exc.done = done  # type: ignore[attr-defined]
            raise
    return len(pairs)


def keep_previous(shipped: Path, say: Callable[[str], None] = _quiet) -> Path | None:
    """Copy the model file ``shipped`` and its cards to previous/<version>.npz, .card.json, .CARD.md
    beside it before they are replaced (the way back: ``train --take previous/<version>.npz``);
    returns the copy of the model file, or None: no file there, or one that is not a readable model
    (cut short by a failed write before: a copy of it would be no way back, and it would push a good
    one out), which is said. The copy is read back whole before it is kept, and the files arrive by
    rename (cards first, as ``install``), so previous/ never holds part of a file. A card that is
    another model's is not kept (``take`` would refuse it; the copy's own card inside it serves)."""
    import shutil

    from classify.model import _file_version, _read

    if not shipped.is_file():
        return None
    folder = shipped.parent / PREVIOUS
    folder.mkdir(exist_ok=True)
    temps = [_temp_beside(folder / SHIPPED_NAME)]
    try:
        shutil.copyfile(shipped, temps[0])
        try:
            meta = _read(temps[0])
        except ModelError as exc:
            say(f"note: {shipped} is not a readable model file ({exc.message}); not kept in {folder}")
            return None
        version = _file_version(temps[0], str(meta.get("created", "")))
        copy = folder / f"{version}.npz"
        card = read_card(shipped)
        pairs = []
        if card is not None and card.get("version") in (None, version):
            for source, target in zip(card_files(shipped)[1:], card_files(copy)[1:], strict=True):
                if source.is_file():
                    temps.append(_temp_beside(target))
                    shutil.copyfile(source, temps[-1])
                    pairs.append((temps[-1], target))
        elif card is not None:
            say(f"note: the card beside {shipped} is of model {card.get('version')}, not {version}; not kept")
        for temp in temps:
            _synced(temp)
        _replace_all([*pairs, (temps[0], copy)])
        return copy
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def prune_previous(folder: Path, spare: Path | None = None, say: Callable[[str], None] = _quiet) -> None:
    """Remove all but the KEEP_PREVIOUS latest models of previous/ (by the time they were kept) with
    their cards, never ``spare`` (the file just taken: it is counted out, so three other models stay
    to go back to)."""
    if not folder.is_dir():
        return
    spared = spare.resolve() if spare is not None else None
    models = [path for path in folder.glob("*.npz") if path.resolve() != spared]
    models.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    for old in models[KEEP_PREVIOUS:]:
        for path in card_files(old):
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                say(f"note: cannot remove {path}: {exc.strerror or exc}")


def install(
    out: Path,
    write_model: Callable[[Path], str],
    card: dict[str, Any],
    *,
    failure: str,
    keep: bool,
    spare: Path | None = None,
    say: Callable[[str], None] = _quiet,
) -> Path | None:
    """Put a model file and its two cards at ``out`` as one step (train and take); returns the copy
    of the model it replaced kept in previous/ (``keep``), or None.

    1. ``write_model(temporary file)`` writes the model and returns its version; the card gets that
       version and the file's size, and both cards are written to temporary files too, all in
       ``out``'s folder. 2. The model in place is kept (``keep_previous``). 3. The cards are renamed
       over theirs (os.replace), then the model. 4. previous/ is pruned (``prune_previous``), never
       ``spare``. A failure in 1 or 2 removes the temporary files: the files in place are as they
       were, and the ModelError (``failure``: the reason) says so. The model is renamed last because
       it is what the service loads and what ``take`` compares versions by: until that rename the old
       model is in place, and a run cut short between the renames is done in full by running it again
       (the new card beside the old model meanwhile); a reader sees the old file or the new one,
       never part of one. Pruning comes after: a failed write costs no kept model.
    """
    existed = out.is_file()
    targets = card_files(out)
    temps: list[Path] = []
    done = 0
    try:
        temps.append(_temp_beside(targets[0]))
        card["version"] = write_model(temps[0])
        card["artifact_bytes"] = temps[0].stat().st_size
        try:
            texts = card_texts(card, out.name)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelError(
                f"{failure}: its card lacks {exc} ({exc.__class__.__name__}){_left(existed, 0)}",
                path=str(out),
            ) from exc
        for target, text in zip(targets[1:], texts, strict=True):
            temps.append(_temp_beside(target))
            temps[-1].write_text(text, encoding="utf-8")
        for temp in temps:
            _synced(temp)
        try:
            kept = keep_previous(out, say) if keep else None
        except OSError as exc:
            reason = f"cannot keep the model in place in {PREVIOUS}/ ({exc.strerror or exc})"
            raise ModelError(f"{failure}: {reason}{_left(existed, 0)}", path=str(out)) from exc
        done = _replace_all([*zip(temps[1:], targets[1:], strict=True), (temps[0], targets[0])])
    except OSError as exc:
        done = getattr(exc, "done", done)
        raise ModelError(f"{failure}: {exc.strerror or exc}{_left(existed, done)}", path=str(out)) from exc
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    prune_previous(out.parent / PREVIOUS, spare, say)
    return kept


def _left(existed: bool, replaced: int) -> str:
    """What a failed ``install`` left at its target, after ``replaced`` of the cards were renamed."""
    if replaced:
        return f"; {replaced} of its 2 cards replaced, the model in place not: run it again to finish"
    return "; the model in place and its cards are as they were" if existed else ""


class Taken(NamedTuple):
    """What ``take`` did: the model's version, whether it was put in place (False: it was already
    there), and the kept copy of the model it replaced (None: none)."""

    version: str
    replaced: bool
    kept: Path | None


def _version_of(path: Path) -> str | None:
    """The version of the model file at ``path`` (None: no file there)."""
    from classify.model import _file_version

    return _file_version(path, str(_meta(path).get("created", ""))) if path.is_file() else None


def take(candidate: Path, shipped: Path, say: Callable[[str], None] = _quiet) -> Taken:
    """Put a trained model file and its cards in place of the shipped ones (``install``), keeping
    those in previous/. The candidate's files stay where they are. A model already in place (the
    same version: the same bytes) is left alone: nothing is kept or pruned."""
    import shutil

    from classify.model import _file_version, load_model

    model = load_model(candidate)  # a file that is no model, or of another scikit-learn, is refused first
    if _version_of(shipped) == model.version:
        return Taken(model.version, False, None)
    card = read_card(candidate)
    if card is None:
        raise ModelError("no card beside this model file (<name>.card.json)", path=str(candidate))
    if card.get("version") not in (None, model.version):
        raise ModelError(
            f"{candidate.with_suffix('.card.json').name} is the card of model {card['version']}, this file "
            f"is model {model.version}; put its own card beside it, or remove that one (the card inside "
            "the file is then used)",
            path=str(candidate),
        )
    created = str(model.payload.get("created", ""))

    def copy(temp: Path) -> str:
        shutil.copyfile(candidate, temp)
        return _file_version(temp, created)

    kept = install(
        shipped,
        copy,
        dict(card),
        failure="cannot put the model in place",
        keep=True,
        spare=candidate,
        say=say,
    )
    return Taken(model.version, True, kept)
