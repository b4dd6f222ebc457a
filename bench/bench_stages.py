"""What a scheduled job costs beside its collection, as the store grows.

    .venv/bin/python bench/bench_stages.py [--items 80000 500000] [--new 40] [--runs 5]

For each store size, builds a synthetic store in a temporary folder (items of the last day, every one
clustered and scored, one in seven flagged and all of those already announced on a webhook), adds
``--new`` items that are neither, and times the queries each job runs after collecting:

* the near-duplicate pass (``batch.stages.cluster_pending``: signatures of the new items, the
  window's items that may be near them, the update), on a fresh copy each run;
* finding the items to classify (``store.classifications.pending``);
* picking the alert digest's items (``ops.alerts.pending_items``);
* the snapshot's fingerprint (``ops.scheduler.ITEMS_FINGERPRINT``);
* opening and closing the file.

Figures, not asserts: medians of ``--runs`` runs in milliseconds. The machine is shared; compare
versions in alternating runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from batch.stages import cluster_pending  # noqa: E402
from ops import alerts  # noqa: E402
from ops.scheduler import ITEMS_FINGERPRINT  # noqa: E402
from store import classifications  # noqa: E402
from store.db import writer  # noqa: E402

COMPLAINT = "Жители улицы Абая жалуются на ямы вокруг люков после ремонта, деньги списали, номер {n}"


def build_store(path: Path, items: int) -> None:
    """``items`` clustered, scored items (one in seven flagged and announced) in a new file."""
    with writer(path) as con:
        con.execute(
            """INSERT INTO items (source, external_id, kind, collected_at, updated_at, text, content_hash,
                                  simhash, cluster_id)
               SELECT 'src' || (i % 20), 'id' || i, 'post', now() - INTERVAL 1 DAY, now(),
                      repeat('Жители жалуются на ямы во дворе ', 20) || i, md5(i::VARCHAR),
                      hash(i)::UBIGINT, 'src' || (i % 20) || '|id' || i
               FROM range(?) t(i)""",
            [items],
        )
        con.execute(
            """INSERT INTO classifications
               SELECT source, external_id, 'bench-1', content_hash, 'ru', 0.1, 0.9,
                      CASE WHEN hash(external_id) % 7 = 0 THEN ['infrastructure'] ELSE [] END, NULL, now()
               FROM items"""
        )
        con.execute(
            "INSERT INTO alerts_sent SELECT 'webhook', 'item:' || source || '|' || external_id, now() FROM flagged"
        )


def add_new(path: Path, count: int, tag: str) -> None:
    """``count`` new items, neither clustered nor scored."""
    with writer(path) as con:
        for n in range(count):
            con.execute(
                "INSERT INTO items (source, external_id, kind, collected_at, updated_at, text, content_hash) "
                "VALUES ('new', ?, 'post', now(), now(), ?, ?)",
                [f"{tag}-{n}", COMPLAINT.format(n=n), f"{tag}-{n}"],
            )


def median_ms(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(folder: Path, items: int, new: int, runs: int) -> dict[str, float]:
    base = folder / f"store-{items}.duckdb"
    build_store(base, items)
    cluster_times = []
    for n in range(runs):  # each run on a copy that still has its new items unclustered
        copy = folder / "copy.duckdb"
        shutil.copy(base, copy)
        add_new(copy, new, f"r{n}")
        started = time.perf_counter()
        cluster_pending(copy)
        cluster_times.append(time.perf_counter() - started)
        copy.unlink()
    add_new(base, new, "p")

    def pending() -> object:
        with writer(base) as con:
            return classifications.pending(con)

    def digest() -> object:
        with writer(base) as con:
            return alerts.pending_items(con, "webhook", {"min_score": 0.5})

    def fingerprint() -> object:
        with writer(base) as con:
            return con.execute(ITEMS_FINGERPRINT).fetchall()

    def open_close() -> object:
        with writer(base):
            return None

    return {
        "cluster_pending": statistics.median(cluster_times) * 1000,
        "classifications.pending": median_ms(pending, runs),
        "alerts.pending_items": median_ms(digest, runs),
        "ITEMS_FINGERPRINT": median_ms(fingerprint, runs),
        "open and close": median_ms(open_close, runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, nargs="+", default=[80_000, 500_000], help="store sizes")
    parser.add_argument("--new", type=int, default=40, help="new items of the job (default 40)")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-stages-") as tmp:
        for items in args.items:
            figures = measure(Path(tmp), items, args.new, args.runs)
            shown = ", ".join(f"{name} {ms:.0f} ms" for name, ms in figures.items())
            print(f"{items:,} items, {args.new} new: {shown}", flush=True)


if __name__ == "__main__":
    main()
