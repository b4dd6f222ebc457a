"""What one round of the review page's second look would teach the model, simulated on the shared data.

The Kazakh development rows of ../shared/data (the rows our split keeps out of training, detected
as Kazakh) are split in two halves by a hash of the text. One half plays the store: the fit that
never saw the development split (``train --ship train``) scores it, and the labels of its rows play
the reviewers' answers. The other half is scored by models trained with those answers added
(``--extra-jsonl``); then the halves swap. Arms, per label:

* ``flagged``: the rows the model flagged, confirmed or rejected (what reviewers do today);
* ``flagged + second look``: plus the unflagged rows scoring at least the floor (0.2), answered;
* ``flagged + random``: plus as many unflagged rows picked at random, answered.

It prints the average precision and F1 of each arm on the other half, per label, for Kazakh. About
seven trainings of 4-5 minutes each (two at a time with ``--jobs 2``).

    .venv/bin/python bench/second_look_sim.py [--seed 1] [--floor 0.2] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classify.dataset import LABELS, load_shared  # noqa: E402
from classify.evaluate import average_precision  # noqa: E402

SHARED_DATA = ROOT.parent / "shared" / "data"
ARMS = ("flagged", "flagged + second look", "flagged + random")


def _train(data: Path, out: Path, extra: Path | None, seed: int) -> str:
    from classify.train import train

    # The answers are development rows on purpose (one half plays the store, the other is scored):
    # kept, where `train` leaves out extra rows that repeat development texts.
    train(data, out, extra=extra, seed=seed, ship="train", keep_dev_repeats=True)
    return str(out)


def _scored(model_path: Path, texts: list[str]) -> list[dict[str, Any]]:
    from classify.model import load_model

    return load_model(model_path).classify(texts)


def _answers(rows: list[dict[str, Any]], label: str, tag: str) -> list[dict[str, Any]]:
    out = []
    for n, row in enumerate(rows):
        labels: dict[str, int | None] = dict.fromkeys(LABELS)
        labels[label] = row["truth"][label]
        out.append({"id": f"sim:{tag}:{label}:{n}", "text": row["text"], "lang": "kk", "labels": labels})
    return out


def arms_for(pool: list[dict[str, Any]], floor: float, seed: int) -> dict[str, list[dict[str, Any]]]:
    """The answers each arm adds, from the pool's rows (with truth, scores and flags of the base model)."""
    rng = random.Random(seed)
    arms: dict[str, list[dict[str, Any]]] = {arm: [] for arm in ARMS}
    for label in LABELS:
        judged = [r for r in pool if r["truth"][label] is not None]
        flagged = [r for r in judged if label in r["flags"]]
        unflagged = [r for r in judged if label not in r["flags"]]
        band = [r for r in unflagged if r["scores"][label] >= floor]
        picked = rng.sample(unflagged, min(len(band), len(unflagged)))
        arms["flagged"] += _answers(flagged, label, "flagged")
        arms["flagged + second look"] += _answers(flagged, label, "flagged") + _answers(band, label, "band")
        arms["flagged + random"] += _answers(flagged, label, "flagged") + _answers(picked, label, "random")
        print(
            f"  {label}: flagged {len(flagged)} ({sum(r['truth'][label] for r in flagged)} positive), "
            f"second look {len(band)} ({sum(r['truth'][label] for r in band)} positive), "
            f"random {len(picked)} ({sum(r['truth'][label] for r in picked)} positive)"
        )
    return arms


def figures(rows: list[dict[str, Any]], predictions: list[dict[str, Any]], label: str) -> str:
    """AP and F1 at the model's threshold of ``label`` on ``rows``."""
    pairs = [
        (r["truth"][label], p)
        for r, p in zip(rows, predictions, strict=True)
        if r["truth"][label] is not None
    ]
    truth = [t for t, _ in pairs]
    tp = sum(1 for t, p in pairs if t == 1 and label in p["labels"])
    fp = sum(1 for t, p in pairs if t == 0 and label in p["labels"])
    fn = sum(1 for t, p in pairs if t == 1 and label not in p["labels"])
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    ap = average_precision(truth, [p["scores"][label] for _, p in pairs])
    return f"AP {ap:.3f}  F1 {f1:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--floor", type=float, default=0.2)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"{args.data} not found: this simulation needs the shared labelled data", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print("training the base fit (never saw the development split) ...")
        base = Path(_train(args.data, tmp / "base.npz", None, args.seed))
        dev = [r for r in load_shared(args.data) if r.split == "dev"]
        predictions = _scored(base, [r.text for r in dev])
        kazakh = [
            {"text": r.text, "truth": dict(r.labels), "scores": p["scores"], "flags": p["labels"]}
            for r, p in zip(dev, predictions, strict=True)
            if p["lang"] == "kk"
        ]
        halves = [[r for r in kazakh if zlib.crc32(r["text"].encode()) % 2 == h] for h in (0, 1)]
        jobs: dict[tuple[int, str], Any] = {}
        # spawn: a forked child of this process (numpy's threads started) can hang on a lock
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=spawn) as pool:
            for h, store in enumerate(halves):
                print(f"half {h + 1} as the store ({len(store)} rows):")
                for n, (arm, answers) in enumerate(arms_for(store, args.floor, args.seed + h).items()):
                    extra = tmp / f"answers-{h}-{n}.jsonl"
                    extra.write_text(
                        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers), "utf-8"
                    )
                    jobs[(h, arm)] = pool.submit(
                        _train, args.data, tmp / f"model-{h}-{n}.npz", extra, args.seed
                    )
            results = {key: Path(job.result()) for key, job in jobs.items()}
        for label in LABELS:
            print(f"\nKazakh {label}, scored on the half that was not the store:")
            for h in (0, 1):
                other = halves[1 - h]
                positives = sum(r["truth"][label] == 1 for r in other)
                print(f"  half {2 - h} ({positives} positives):")
                print(f"    {'none':<24}{figures(other, _scored(base, [r['text'] for r in other]), label)}")
                for arm in ARMS:
                    scored = _scored(results[(h, arm)], [r["text"] for r in other])
                    print(f"    {arm:<24}{figures(other, scored, label)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
