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
