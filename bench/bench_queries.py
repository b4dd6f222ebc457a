"""Analysts' queries on a 1,000,000-item database: seconds each (median of several runs).

    .venv/bin/python bench/bench_queries.py [--items 1000000] [--runs 5] [--db /tmp/bench-1m.duckdb]
        [--formats xlsx csv parquet json]

Builds the database once (generated Russian/Kazakh texts, 8% flagged), then times: flagged items per
day and label; a text search for a street name; the export of 10,000 flagged items to XLSX, CSV and
Parquet (and JSON when asked) through the same code as `pipeline.py export`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from store.db import connect  # noqa: E402

STREETS = ["Абая", "Толе би", "Сейфуллина", "Жарокова", "Назарбаева", "Әуезов", "Байтұрсынұлы", "Гагарина"]
PHRASES = [
    "На улице {s} третий день нет горячей воды, батареи холодные.",
    "{s} көшесінде жол шұңқырға толы, жөндеу сапасыз жүргізілді.",
    "Вокруг люков на {s} ямы после ремонта, кто принял эту работу?",
    "Аким района обещал отремонтировать двор на {s}, но ничего не сделано.",
    "{s} көшесіндегі аялдамада жарық жоқ, кешке қауіпті.",
    "В школе на {s} собирают деньги на ремонт, а отчёта нет.",
    "Сегодня на {s} прошёл городской праздник, было много людей.",
    "Жаңа саябақ {s} көшесінде ашылды, балалар қуанышты.",
]


def build(db: Path, n: int, seed: int = 1) -> None:
    """Write n generated items (and scores for every one) straight from Arrow tables."""
    rng = np.random.default_rng(seed)
    con = connect(db)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    chunk = 200_000
    for offset in range(0, n, chunk):
        size = min(chunk, n - offset)
        phrase = rng.integers(0, len(PHRASES), size)
        street = rng.integers(0, len(STREETS), size)
        texts = [
            PHRASES[p].format(s=STREETS[s]) + f" #{offset + i}"
            for i, (p, s) in enumerate(zip(phrase, street, strict=True))
        ]
        published = [start + timedelta(minutes=int(m)) for m in rng.integers(0, 330 * 24 * 60, size)]
        ids = [f"id-{offset + i}" for i in range(size)]
        sources = [f"source-{k}" for k in rng.integers(0, 40, size)]
        items = pa.table(
            {
                "source": sources,
                "external_id": ids,
                "kind": ["comment"] * size,
                "published_at": pa.array(published, pa.timestamp("us", tz="UTC")),
                "text": texts,
                "content_hash": [f"h{offset + i}" for i in range(size)],
                "lang": ["kk" if p in (1, 4, 7) else "ru" for p in phrase],
            }
        )
        corr = rng.random(size) ** 6
        infra = rng.random(size) ** 6
        scores = pa.table(
            {
                "source": sources,
                "external_id": ids,
                "content_hash": items["content_hash"],
                "corruption": corr,
                "infrastructure": infra,
                "labels": [
                    [lbl for lbl, v in (("corruption", c), ("infrastructure", f)) if v > 0.6]
                    for c, f in zip(corr, infra, strict=True)
                ],
            }
        )
        con.register("gen_items", items)
        con.register("gen_scores", scores)
        con.execute(
            "INSERT INTO items (source, external_id, kind, published_at, collected_at, updated_at, text, content_hash, lang) "
            "SELECT source, external_id, kind, published_at, published_at, published_at, text, content_hash, lang FROM gen_items"
        )
        con.execute(
            "INSERT INTO classifications SELECT source, external_id, 'bench', content_hash, NULL, corruption, "
            "infrastructure, labels, '{}'::JSON, now() FROM gen_scores"
        )
        con.unregister("gen_items")
        con.unregister("gen_scores")
    con.close()


def timed(fn, runs: int, spread: list[float] | None = None) -> tuple[float, object]:
    """Median seconds of ``runs`` calls and the last result; ``spread`` receives every run's seconds."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    if spread is not None:
        spread[:] = times
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "bench-1m.duckdb")
    parser.add_argument(
        "--formats", nargs="+", default=["xlsx", "csv", "parquet"], choices=["xlsx", "csv", "parquet", "json"]
    )
    args = parser.parse_args()
    if not args.db.exists():
        t0 = time.perf_counter()
        build(args.db, args.items)
        print(f"built {args.items:,} items in {time.perf_counter() - t0:.1f} s at {args.db}")
    con = connect(args.db, read_only=True)
    total, flagged = con.execute(
        "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM flagged)"
    ).fetchone()
    print(f"database: {total:,} items, {flagged:,} flagged")

    per_day, rows = timed(
        lambda: con.execute(
            "SELECT day, label, count(*) FROM (SELECT date_trunc('day', published_at) AS day, "
            "unnest(labels) AS label FROM flagged) GROUP BY ALL ORDER BY day"
        ).fetchall(),
        args.runs,
    )
    print(f"flagged per day per label: {per_day:.3f} s median ({len(rows)} rows)")
    search, rows = timed(
        lambda: con.execute(
            "SELECT source, external_id, published_at, text FROM items WHERE text ILIKE ? ORDER BY published_at DESC LIMIT 100",
            ["%Толе би%"],
        ).fetchall(),
        args.runs,
    )
    print(f"text search for a street (ILIKE, newest 100): {search:.3f} s median ({len(rows)} rows)")
    con.close()

    from datetime import date

    from review.export import export_to_file
    from review.queries import Filters

    out_dir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    # About 10,000 flagged items: three weeks of the generated year.
    window = Filters(since=date(2026, 3, 1), until=date(2026, 3, 21))
    # The machine is shared: the load average and each run's time say how much to trust a median.
    print(f"load average before the exports: {os.getloadavg()[0]:.2f}")
    for fmt in args.formats:
        runs: list[float] = []
        seconds, rows = timed(
            lambda fmt=fmt: export_to_file(args.db, window, fmt, out_dir / f"flagged.{fmt}"), args.runs, runs
        )
        each = ", ".join(f"{t:.2f}" for t in runs)
        print(
            f"export of {rows:,} flagged items to {fmt} (pipeline.py export): {seconds:.3f} s median ({each})"
        )


if __name__ == "__main__":
    main()
