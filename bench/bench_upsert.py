"""Time of one upsert batch (store/items.py) into a store that already holds items.

    .venv/bin/python bench/bench_upsert.py [--stored 40000] [--batch 2000] [--rounds 15]

Fills a fresh database with ``--stored`` items, then, each round, upserts four batches of
``--batch`` items: new keys; the same items again (unchanged); the same with one in ten edited; and
the same with one in ten edited plus one in fifty keys given a second time with another text (a post
seen twice in one run, kept as a version). Prints the median milliseconds and rows per second of
each kind over the rounds, and how many versions the last kind wrote.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collectors.item import Item  # noqa: E402
from store.db import writer  # noqa: E402
from store.items import upsert_items  # noqa: E402

T0 = datetime(2026, 11, 25, tzinfo=UTC)
KINDS = ("new keys", "unchanged", "1 in 10 edited", "repeated keys")


def batch(start: int, size: int, tag: str = "", repeat: bool = False) -> list[Item]:
    """``size`` items from key ``start``; ``tag`` edits one in ten, ``repeat`` adds a second copy of
    one key in fifty with another text."""
    items = [
        Item(
            source="bench",
            kind="post",
            external_id=str(n),
            text=f"Жалоба {n}: во дворе яма, вода стоит третий день {tag if n % 10 == 0 else ''}",
            published_at=T0 + timedelta(seconds=n),
            author="a",
            url=f"https://example.org/{n}",
            raw={"n": n},
        )
        for n in range(start, start + size)
    ]
    if repeat:
        items += [
            Item(source="bench", kind="post", external_id=str(n), text=f"Правка {n} {tag}", published_at=T0)
            for n in range(start, start + size, 50)
        ]
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=40_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        with writer(path) as con:
            for start in range(0, args.stored, args.batch):
                upsert_items(con, batch(start, args.batch))
        for r in range(args.rounds):
            start = args.stored + r * args.batch
            batches = (
                batch(start, args.batch),
                batch(start, args.batch),
                batch(start, args.batch, f"e{r}"),
                batch(start, args.batch, f"f{r}", repeat=True),
            )
            with writer(path) as con:
                for kind, items in zip(KINDS, batches, strict=True):
                    began = time.perf_counter()
                    upsert_items(con, items)
                    times[kind].append(time.perf_counter() - began)
        with writer(path) as con:
            versions = con.execute("SELECT count(*) FROM item_versions").fetchone()[0]
    print(f"store of {args.stored:,} items, batches of {args.batch:,}, medians of {args.rounds} rounds")
    for kind in KINDS:
        seconds = statistics.median(times[kind])
        print(f"{kind:>16}: {seconds * 1000:7.1f} ms  {args.batch / seconds:10,.0f} rows/s")
    print(f"versions written in all: {versions:,}")


if __name__ == "__main__":
    main()
