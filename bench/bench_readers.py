"""Analysts reading while `schedule` writes: how often each way of reading succeeds, and what it costs.

Runs `pipeline.py schedule` (the keyword stand-in classifier, local growing feeds, second-level cron,
Parquet snapshot on) over a database preloaded with N items, twice: alone, then with three analysts,
each in its own process so that DuckDB's per-process instance cache does not share a lock between them:

* ``ro-retry``  opens the file read-only for each query, retrying lock conflicts up to 10 s;
* ``ro-once``   opens it read-only without retrying (how often the file is free at a random moment);
* ``snapshot``  queries the Parquet snapshot in an in-memory DuckDB.

Prints, per analyst, queries tried, the share answered and the wait (open + query) percentiles; and,
per scheduler phase, runs, run duration and how late runs started after their slot.

    .venv/bin/python bench/bench_readers.py [--seconds 30] [--items 20000] [--sources 3] [--every 2] [--pause 0.3]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "ops")]

QUERIES = (
    "SELECT source, count(*), max(published_at) FROM {items} GROUP BY source",
    "SELECT count(*) FROM {flagged}",
)


def analyst(mode: str, db: str, snapshot: str, seconds: float, pause: float, out: Any) -> None:
    """One analyst's loop; puts (tried, answered, waits) on ``out``."""
    import duckdb

    from store.db import reader

    tried, waits, errors = 0, [], 0
    deadline = time.monotonic() + seconds
    memory = duckdb.connect() if mode == "snapshot" else None
    while time.monotonic() < deadline:
        started = time.monotonic()
        tried += 1
        try:
            if mode == "snapshot":
                if not Path(snapshot, "flagged.parquet").exists():  # the first snapshot is not written yet
                    tried -= 1
                    time.sleep(pause)
                    continue
                items, flagged = f"'{snapshot}/items.parquet'", f"'{snapshot}/flagged.parquet'"
                for sql in QUERIES:
                    memory.execute(sql.format(items=items, flagged=flagged)).fetchall()
            else:
                with reader(db, wait=10.0 if mode == "ro-retry" else 0.0) as con:
                    for sql in QUERIES:
                        con.execute(sql.format(items="items", flagged="flagged")).fetchall()
            waits.append(time.monotonic() - started)
        except Exception:  # a failed query: counted, the loop goes on
            errors += 1
        time.sleep(pause)
    out.put((mode, tried, waits))


def preload(db: Path, count: int) -> None:
    """Fill the database with ``count`` items of an earlier source, so that reads do real work."""
    from opskit import big_posts

    from collectors.item import Item
    from store.db import writer
    from store.items import upsert_items

    posts = big_posts(count)
    items = [
        Item(
            source="archive",
            kind="entry",
            external_id=p["id"],
            text=p["text"],
            published_at=datetime.now(UTC),
        )
        for p in posts
    ]
    with writer(db) as con:
        upsert_items(con, items)
    # As `import` would: cluster and classify, so the scheduler starts from a steady state.
    from opskit import KeywordModel

    from batch.stages import classify_pending, cluster_pending

    cluster_pending(db)
    classify_pending(db, model=KeywordModel())


def scheduler_phase(
    workdir: Path,
    name: str,
    seconds: float,
    sources: int,
    items: int,
    analysts: list[str],
    pause: float,
    every: int = 2,
) -> dict[str, Any]:
    """One run of `schedule` with the given analysts alongside; returns the figures."""
    from opskit import FeedServer

    from batch.demo import write_sources_toml
    from store.db import reader

    db, snapshot = workdir / f"{name}.duckdb", workdir / f"{name}-snapshot"
    preload(db, items)
    with FeedServer(step=2) as server:
        config = workdir / f"{name}.toml"
        write_sources_toml(
            config,
            {"min_delay": 0.0, "retries": 0, "respect_robots": False},
            [
                {
                    "name": f"s{n}",
                    "kind": "rss",
                    "url": f"{server.base}/feed/s{n}.xml",
                    "schedule": f"*/{every} * * * * *",
                }
                for n in range(sources)
            ],
        )
        proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "ops" / "keyword_pipeline.py"),
                "schedule",
                "--config",
                str(config),
                "--db",
                str(db),
                "--snapshot-dir",
                str(snapshot),
                "--log-file",
                str(workdir / f"{name}.log"),
            ],
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)  # start-up, first slot
        queue: Any = mp.get_context("spawn").Queue()
        workers = [
            mp.get_context("spawn").Process(
                target=analyst, args=(mode, str(db), str(snapshot), seconds, pause, queue)
            )
            for mode in analysts
        ]
        for w in workers:
            w.start()
        if not workers:
            time.sleep(seconds)
        results = [queue.get(timeout=seconds + 60) for _ in workers]
        for w in workers:
            w.join()
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    with reader(db) as con:
        runs = con.execute(
            "SELECT status, started_at, finished_at FROM runs WHERE finished_at IS NOT NULL"
        ).fetchall()
    failed = [r for r in runs if r[0] != "ok"]
    durations = [(f - s).total_seconds() for _, s, f in runs]
    late = [s.timestamp() - every * int(s.timestamp() // every) for _, s, _ in runs]
    log_lines = (workdir / f"{name}.log").read_text(encoding="utf-8").splitlines()
    return {
        "runs": len(runs),
        "failed_runs": len(failed),
        "batch_failed_lines": sum("batch failed" in line for line in log_lines),
        "run_s_median": statistics.median(durations) if durations else 0.0,
        "late_s_median": statistics.median(late) if late else 0.0,
        "late_s_max": max(late) if late else 0.0,
        "analysts": results,
    }


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    """Run both phases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--sources", type=int, default=3)
    parser.add_argument(
        "--every", type=int, default=2, help="seconds between two runs of a source (cron */N)"
    )
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between two queries of an analyst")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-readers-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        alone = scheduler_phase(
            work, "alone", args.seconds, args.sources, args.items, [], args.pause, args.every
        )
        shared = scheduler_phase(
            work,
            "shared",
            args.seconds,
            args.sources,
            args.items,
            ["ro-retry", "ro-once", "snapshot"],
            args.pause,
            args.every,
        )
    print(
        f"schedule: {args.sources} sources every {args.every} s, {args.items} items preloaded, {args.seconds:.0f} s per phase, "
        f"analysts pause {args.pause} s between queries"
    )
    for label, phase in (("scheduler alone", alone), ("scheduler + 3 analysts", shared)):
        print(
            f"{label:<24} runs {phase['runs']:>3}  failed {phase['failed_runs']}  batch errors "
            f"{phase['batch_failed_lines']}  run median {phase['run_s_median']:.2f} s  "
            f"start after slot: median {phase['late_s_median']:.2f} s, max {phase['late_s_max']:.2f} s"
        )
    for mode, tried, waits in sorted(shared["analysts"]):
        print(
            f"analyst {mode:<9} queries {tried:>4}  answered {len(waits) / max(tried, 1):>6.1%}  "
            f"wait p50 {pct(waits, 0.5) * 1000:>6.0f} ms  p95 {pct(waits, 0.95) * 1000:>6.0f} ms  "
            f"max {max(waits, default=float('nan')) * 1000:>6.0f} ms"
        )
    if args.json:
        print(json.dumps({"alone": alone, "shared": shared}, default=str))


if __name__ == "__main__":
    main()
