"""How far a second reader agrees with the Kazakh development labels, beside the model on the same rows.

The Kazakh development rows of ../shared/data (kazakh_dev, kazakh_corruption_dev and the Kazakh rows
of corruption_dev that our split keeps out of training: 795 rows) were read again, blind, by two
readers (helper sessions given the labelling guideline of ../shared/data/README.md and the texts in
random order, never the labels). Their labels are kept by row id in ``bench/second_reading_kk.tsv``;
no text is. This script joins them with the data's labels and prints, per label and file group, the
F1 of each reader against the data, of one reader against the other, and, with ``--model``, of a
model on the same rows. Use the fit that never saw the development split
(``pipeline.py train --ship train --out PATH``); the shipped model has seen these rows.

    .venv/bin/python bench/reader_agreement.py [--model PATH]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classify.dataset import LABELS, read_jsonl  # noqa: E402
from classify.evaluate import rates  # noqa: E402

SHARED_DATA = ROOT.parent / "shared" / "data"
READINGS = Path(__file__).resolve().parent / "second_reading_kk.tsv"
FILES = ("kazakh_dev", "kazakh_corruption_dev", "corruption_dev")
READERS = ("reader_a", "reader_b")


def read_readings(path: Path = READINGS) -> dict[str, dict[str, dict[str, int]]]:
    """{row id: {reader: {label: 0 or 1}}} from the readings file."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for line, rec in enumerate(csv.DictReader(f, delimiter="\t"), start=2):
            if rec["id"] in out:
                raise ValueError(f"{path.name} line {line}: row id {rec['id']} given twice")
            out[rec["id"]] = {
                reader: {label: int(rec[f"{reader}_{label}"]) for label in LABELS} for reader in READERS
            }
    return out


def agreement(truth: list[int], other: list[int]) -> dict[str, float]:
    """Precision, recall and F1 of ``other`` judged against ``truth`` (with its 95% interval)."""
    tp = sum(1 for t, o in zip(truth, other, strict=True) if t and o)
    fp = sum(1 for t, o in zip(truth, other, strict=True) if not t and o)
    fn = sum(1 for t, o in zip(truth, other, strict=True) if t and not o)
    return rates(tp, fp, fn, len(truth) - tp - fp - fn)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model file to score the same rows with (a held-out fit)")
    parser.add_argument("--data", default=str(SHARED_DATA), help="the shared data folder")
    args = parser.parse_args(argv)
    data = Path(args.data)
    if not data.is_dir():
        print(f"error: {data} is absent: the readings are compared with its labels", file=sys.stderr)
        return 1
    readings = read_readings()
    rows = [row for file in FILES for row in read_jsonl(data / f"{file}.jsonl", file) if row.id in readings]
    missing = set(readings) - {row.id for row in rows}
    if missing:
        print(
            f"error: {len(missing)} read rows are not in {data}, e.g. {sorted(missing)[0]}", file=sys.stderr
        )
        return 1
    judges = {reader: [readings[row.id][reader] for row in rows] for reader in READERS}
    if args.model:
        from classify.model import load_model

        predictions = load_model(args.model).classify([row.text for row in rows])
        judges["model"] = [{label: int(label in p["labels"]) for label in LABELS} for p in predictions]
    groups = {
        "all": lambda row: True,
        "kazakh_dev": lambda row: row.file == "kazakh_dev",
        "other": lambda row: row.file != "kazakh_dev",
    }
    print(f"{len(rows)} rows; F1 [95% interval] (precision / recall) against the first column")
    print(f"{'label':15}{'rows':12}{'judged':10}{'against':9}{'positives':>10}  F1")
    for label in LABELS:
        for name, keep in groups.items():
            chosen = [i for i, row in enumerate(rows) if keep(row)]
            truth = [int(rows[i].labels[label]) for i in chosen]
            pairs = [("data", judge) for judge in judges] + [("reader_a", "reader_b")]
            for against, judge in pairs:
                base = truth if against == "data" else [judges[against][i][label] for i in chosen]
                r = agreement(base, [judges[judge][i][label] for i in chosen])
                if not r["positives"]:
                    continue  # no positive to agree on (no Kazakh corruption in kazakh_dev)
                low, high = r["f1_interval"]
                print(
                    f"{label:15}{name:12}{judge:10}{against:9}{r['positives']:>10}  {r['f1']:.3f} "
                    f"[{low:.2f}-{high:.2f}] ({r['precision']:.2f} / {r['recall']:.2f})"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
