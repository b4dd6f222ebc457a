"""The model card: <name>.card.json and the markdown card written beside a trained model file.

``classify.train`` builds the card's dictionary; this module holds the wording of what was shipped
(``SHIP``) and turns the dictionary into the two files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SHIP = {
    "all": "the shipped weights and thresholds are the same recipe fitted again on every labelled row: the "
    "training split plus the shared development split (our own held-out examples stay out); the "
    "development figures below come from the fit on the training split alone",
    "train": "the shipped weights are the fit on the training split; the development split never trained them",
}


def write_card(card: dict[str, Any], model_path: Path) -> None:
    """<name>.card.json and a markdown card beside the model file: CARD.md for the shipped
    classifier.npz, <name>.CARD.md for any other name (a candidate does not overwrite the shipped card)."""
    import json

    from classify.evaluate import RESAMPLES, format_table

    json_path = model_path.with_suffix(".card.json")
    json_path.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    dev = card.get("dev", {})
    lines = [
        "# Classifier model card",
        "",
        f"- Version: `{card.get('version')}`; created {card['created']}; seed {card['seed']}.",
        f"- Artifact: `{model_path.name}`, {card.get('artifact_bytes', 0) / 1e6:.1f} MB (NumPy .npz of plain arrays, no pickle).",
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
    markdown = "CARD.md" if model_path.name == "classifier.npz" else f"{model_path.stem}.CARD.md"
    model_path.with_name(markdown).write_text("\n".join(lines) + "\n", encoding="utf-8")


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


def card_files(model_path: Path) -> list[Path]:
    """The model file and its two cards (as ``write_card`` names them)."""
    markdown = "CARD.md" if model_path.name == SHIPPED_NAME else f"{model_path.stem}.CARD.md"
    return [model_path, model_path.with_suffix(".card.json"), model_path.with_name(markdown)]


def read_card(model_path: Path) -> dict[str, Any] | None:
    """The card of a model file: its <name>.card.json, else the copy inside the file; None without one
    (no model there yet, or a file that is not a model)."""
    import json

    json_path = model_path.with_suffix(".card.json")
    try:
        card = json.loads(json_path.read_text(encoding="utf-8")) if json_path.is_file() else None
    except (OSError, ValueError):
        card = None
    card = card if isinstance(card, dict) else _meta(model_path).get("card")
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


def comparison(before: dict[str, Any], after: dict[str, Any], name: str) -> tuple[list[str], list[str]]:
    """(lines, warnings): the development figures per label and language group of the new model
    (``after``) beside those of ``before`` (the card of the model named ``name``), and a warning for
    each Kazakh or Russian F1 that fell by more than F1_MARGIN and for a Kazakh reviews' FPR that rose
    by more than FPR_MARGIN."""
    old, new = (card.get("dev") or {} for card in (before, after))
    if not old.get("all") or not new.get("all"):
        return [f"no development figures to compare with {name} (trained without the shared data)"], []
    lines = [f"development split, model {before.get('version', '?')} ({name}) -> this one:"]
    if (before.get("training") or {}).get("dev_rows") != (after.get("training") or {}).get("dev_rows"):
        lines.append(
            "(the two were scored on different development rows, "
            f"{before['training'].get('dev_rows')} and {after['training'].get('dev_rows')}: not the same texts)"
        )
    warnings = []
    for label, groups in new["all"].items():
        for lang, language in (("ru", "Russian"), ("kk", "Kazakh")):
            a, b = (old["all"].get(label) or {}).get(lang), groups.get(lang)
            if not a or not b:
                continue
            change = b["f1"] - a["f1"]
            lines.append(
                f"{label:15}{lang:4} precision {a['precision']:.3f} -> {b['precision']:.3f}, recall "
                f"{a['recall']:.3f} -> {b['recall']:.3f}, F1 {a['f1']:.3f} -> {b['f1']:.3f} ({change:+.3f})"
            )
            if change < -F1_MARGIN:
                warnings.append(
                    f"WARNING: {language} {label} F1 fell from {a['f1']:.3f} to {b['f1']:.3f} on the "
                    f"development split (more than {F1_MARGIN}); check the --extra-jsonl rows before taking it"
                )
    a, b = old.get("reviews_kk_fpr"), new.get("reviews_kk_fpr")
    if a and b:
        lines.append(f"Kazakh reviews' negatives flagged: {a['fpr']:.4f} -> {b['fpr']:.4f}")
        if b["fpr"] - a["fpr"] > FPR_MARGIN:
            warnings.append(
                f"WARNING: Kazakh reviews' negatives flagged rose from {a['fpr']:.2%} to {b['fpr']:.2%} "
                f"(more than {FPR_MARGIN:.1%}); check the --extra-jsonl rows before taking it"
            )
    return lines, warnings


def keep_previous(shipped: Path) -> Path | None:
    """Copy the shipped model and its cards to previous/<version>.npz, .card.json, .CARD.md beside it
    before they are replaced (the way back: ``train --take previous/<version>.npz``), keeping the
    KEEP_PREVIOUS latest; returns the copy of the model file (None: no model there)."""
    import shutil

    from classify.model import _file_version

    if not shipped.is_file():
        return None
    version = _file_version(shipped, str(_meta(shipped).get("created", "")))
    folder = shipped.parent / PREVIOUS
    folder.mkdir(exist_ok=True)
    copy = folder / f"{version}.npz"
    for source, target in zip(card_files(shipped), card_files(copy), strict=True):
        if source.is_file():
            shutil.copyfile(source, target)  # a new time: the folder's order is the order of replacing
    kept = sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP_PREVIOUS:]:
        for path in card_files(old):
            path.unlink(missing_ok=True)
    return copy


def take(candidate: Path, shipped: Path) -> Path | None:
    """Put a trained model file and its cards in place of the shipped ones, keeping those in
    previous/ (``keep_previous``); returns the kept copy. The candidate's files stay where they are."""
    import shutil

    from classify.model import load_model
    from errors import ModelError

    load_model(candidate)  # a file that is no model, or of another scikit-learn, is refused first
    card = read_card(candidate)
    if card is None:
        raise ModelError("no card beside this model file (<name>.card.json)", path=str(candidate))
    if candidate.resolve() == shipped.resolve():
        raise ModelError("is the shipped model already", path=str(candidate))
    try:
        kept = keep_previous(shipped)
        shutil.copyfile(candidate, shipped)
        write_card(card, shipped)
    except OSError as exc:
        raise ModelError(f"cannot put the model in place: {exc.strerror or exc}", path=str(shipped)) from exc
    return kept
