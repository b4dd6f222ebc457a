"""Wall time and peak memory of `pipeline.py export` in each format on a store of N items.

Builds a DuckDB file with the real store code (``upsert_items``, ``classifications.save``; same
seed, same times, so two builds of the same size hold the same data): N items, nine comments under
each article, every 50th item starting a near-duplicate cluster of three, two thirds flagged, some
long texts, 2% reviewed. Then runs the export command in a subprocess per format and run, and prints
for each format the median wall time and the median peak resident memory of the process (its own
``ru_maxrss``, read with ``os.wait4`` by a small launcher process), how long the store was held
(another process could not open it for writing, as the scheduler would: a thread of this process
tries every 0.1 s), the most disk the export used beside the file it wrote (its spill and copy
files), the file's size and the start of its SHA-256 (the same figure before and after a change of
the export code says the file is byte for byte the same; XLSX says when it was written, so its
figure changes every run).

    .venv/bin/python bench/bench_export.py [--rows 500000] [--runs 3] [--db /tmp/bench-export.duckdb]
        [--formats csv excel-csv json parquet xlsx] [--all-duplicates] [--links]

``--links`` builds texts that end with a link (``https://tengrinews.kz/…``, as news posts carry one):
the CSV and XLSX evidence column then looks past the link's Latin letters (a different store: give
it its own ``--db``).

With ``--db`` the store is kept and reused when it exists (build it once, measure the code before and
after a change on the same file); without, it is built in a temporary folder and removed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collectors.item import Item  # noqa: E402
from store import classifications  # noqa: E402
from store.db import reader, writer  # noqa: E402
from store.items import upsert_items  # noqa: E402

FORMATS = ("csv", "excel-csv", "json", "parquet", "xlsx")
BUILD_BATCH = 100_000  # items stored per transaction while building
START = datetime(2026, 1, 1, tzinfo=UTC)  # fixed: two builds of the same size are the same data
PHRASES = [
    ("Чиновник акимата требовал взятку за разрешение на строительство", "corruption"),
    ("Әкімдіктегі шенеунік жер телімі үшін пара сұрады", "corruption"),
    ("На улице Абая после ремонта остались ямы вокруг люков", "infrastructure"),
    ("Аялдамада автобус үш күн бойы келмеді, жол бұзылған", "infrastructure"),
    ("Вокруг люков ямы, а подрядчик получил деньги: кто принял этот ремонт?", "both"),
    ("Сегодня в парке прошёл праздник для детей", None),
]
LONG = " Жители жалуются уже третий месяц, ответа из акимата нет."  # repeated into long texts


LINK = " Подробнее: https://tengrinews.kz/kazakhstan_news/{}-zhiteli"  # --links: at the end of every text


def _batches(n: int, seed: int, links: bool = False) -> Iterator[tuple[list[Item], list[dict]]]:
    rng = random.Random(seed)
    items: list[Item] = []
    preds: list[dict] = []
    for i in range(n):
        text, label = rng.choice(PHRASES)
        if i % 5 == 4:
            label = None  # about one in five items (and the plain phrase) is not flagged
        is_comment = i % 10 != 0
        text = f"{text} (№{i}, дом {rng.randint(1, 200)})"
        if i % 97 == 0:
            text += LONG * rng.randint(10, 80)  # a long complaint now and then (600 to 4,700 characters)
        if i % 211 == 0:
            text = "=" + text  # what a spreadsheet would take for a formula
        if links:
            text += LINK.format(i)
        items.append(
            Item(
                source=f"src-{i % 5}",
                kind="comment" if is_comment else "article",
                external_id=f"c{i}" if is_comment else f"a{i}",
                parent=f"a{(i // 10) * 10}" if is_comment else None,
                url=f"https://portal.example.kz/n/{i}",
                author=f"Автор {i % 300}",
                title=None if is_comment else f"Новость {i}: ремонт на улице Абая",
                text=text,
                published_at=START + timedelta(seconds=rng.randint(0, 300 * 86400)),
            )
        )
        labels = ["corruption", "infrastructure"] if label == "both" else [label] if label else []
        scores = {name: rng.uniform(0.6, 0.99) if name in labels else rng.uniform(0.0, 0.35)
                  for name in ("corruption", "infrastructure")}  # fmt: skip
        preds.append(
            {
                "lang": "kk" if "ә" in text or "ү" in text else "ru",
                "scores": scores,
                "labels": labels,
                "evidence": {name: text.split()[:2] for name in labels},
            }
        )
        if len(items) == BUILD_BATCH:
            yield items, preds
            items, preds = [], []
    if items:
        yield items, preds


def build(path: Path, n: int, seed: int = 7, links: bool = False) -> None:
    """Fill ``path`` with ``n`` items, their scores, near-duplicate clusters and some decisions
    (with ``links``, every text ending with a link)."""
    now = START + timedelta(days=301)
    for items, preds in _batches(n, seed, links):
        with writer(path) as con:
            upsert_items(con, items, now=now)
            keys = [(it.source, it.external_id, it.content_hash) for it in items]
            classifications.save(con, keys, preds, model_version="bench", now=now)
    with writer(path) as con:
        # Every 50th item starts a cluster of itself and the next two (as bench_review.py has them).
        con.execute(
            """UPDATE items SET cluster_id = 'src-0|c' || (CAST(substr(external_id, 2) AS INTEGER) // 50 * 50 + 1)
               WHERE CAST(substr(external_id, 2) AS INTEGER) % 50 IN (1, 2, 3)"""
        )
        # 2% of the items reviewed, the way record_decision writes a decision (in bulk here).
        con.execute(
            """INSERT INTO reviews (source, external_id, status, forwarded_to, reviewer, note, created_at,
                                    labels, model_version, content_hash)
               SELECT i.source, i.external_id,
                      CASE WHEN n % 3 = 0 THEN 'confirmed' WHEN n % 3 = 1 THEN 'rejected' ELSE 'forwarded' END,
                      CASE WHEN n % 3 = 2 THEN 'прокуратура' END, 'aigerim',
                      CASE WHEN n % 2 = 0 THEN 'проверить; ' || i.external_id END,
                      ?::TIMESTAMPTZ + INTERVAL (n % 1000) MINUTE, c.labels, c.model_version, i.content_hash
               FROM (SELECT *, CAST(substr(external_id, 2) AS INTEGER) AS n FROM items) i
               JOIN classifications c USING (source, external_id)
               WHERE n % 50 = 7""",
            [now],
        )


# Runs the command in a process of its own and writes that process's peak RSS (KiB) to a file. Linux
# carries a process's peak over fork and exec, so a command started from this process (which built the
# store, gigabytes) would report at least this process's peak; started from this small launcher, its own.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


class Watch:
    """While an export runs: how long the store is locked against a writer, and the most disk used
    beside the file written (whatever is in its folder but the file and its ``.part``)."""

    def __init__(self, db: Path, out: Path) -> None:
        self.db, self.out = db, out
        self.locked_at: float | None = None  # the first time a write open failed on the lock
        self.released_at: float | None = None  # the first time one succeeded after that
        self.extra = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.stop.wait(0.1):
            self.extra = max(self.extra, self._beside())
            if self.released_at is not None:
                continue  # the export does not open the store again
            try:
                duckdb.connect(str(self.db)).close()  # what the scheduler's write would open
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise
                if self.locked_at is None:
                    self.locked_at = time.perf_counter()
            else:
                if self.locked_at is not None:
                    self.released_at = time.perf_counter()

    def _beside(self) -> int:
        total = 0
        for folder, _, files in os.walk(self.out.parent):
            for name in files:
                if name == self.out.name or name.startswith(f".{self.out.name}."):
                    continue  # the export itself, and its part written so far
                with contextlib.suppress(OSError):  # removed meanwhile
                    total += (Path(folder) / name).stat().st_size
        return total

    def held(self, ended: float) -> float:
        """Seconds the store was locked against writers (until ``ended`` when never seen released)."""
        self.stop.set()
        self.thread.join()
        if self.locked_at is None:
            return 0.0
        return (self.released_at or ended) - self.locked_at


def run_export(db: Path, fmt: str, out: Path, extra: list[str]) -> tuple[float, int, str, bool, float, int]:
    """One `pipeline.py export` in a subprocess: (wall seconds, peak RSS in bytes, the line it printed,
    whether it succeeded, seconds the store was locked against a writer, most bytes of disk used
    beside the file)."""
    command = [sys.executable, str(ROOT / "pipeline.py"), "export", "--db", str(db), "--format", fmt]
    peak = out.with_name(out.name + ".maxrss")
    watch = Watch(db, out)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(peak), *command, "--out", str(out), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    ended = time.perf_counter()
    held = watch.held(ended)
    ok = done.returncode == 0
    line = done.stdout.strip() if ok else f"failed ({done.returncode}): {done.stderr.strip()}"
    kib = int(peak.read_text())
    peak.unlink()
    return ended - start, kib * 1024, line, ok, held, watch.extra  # ru_maxrss is in KiB on Linux


def sha256(path: Path) -> str:
    """The file's SHA-256, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def main() -> int:
    """Build (or reuse) the store, run the exports, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000, help="items in the store (default 500,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per format (default 3)")
    parser.add_argument("--db", type=Path, help="store to keep and reuse (built when missing)")
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument(
        "--all-duplicates", action="store_true", help="one row per item, clusters not collapsed"
    )
    parser.add_argument("--links", action="store_true", help="build texts that end with a link")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        db = args.db or Path(tmp) / "bench.duckdb"
        if not db.exists():
            start = time.perf_counter()
            build(db, args.rows, links=args.links)
            print(
                f"built {args.rows:,} items{' with links' if args.links else ''} in {time.perf_counter() - start:.1f} s at {db}"
            )
        with reader(db) as con:
            items, flagged = con.execute(
                "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM flagged)"
            ).fetchone()
        print(f"store: {items:,} items, {flagged:,} flagged; load average {os.getloadavg()[0]:.2f}")
        extra = ["--all-duplicates"] if args.all_duplicates else []
        (Path(tmp) / "out").mkdir()  # a folder of its own: what else is in it is the export's
        for fmt in args.formats:
            out = Path(tmp) / "out" / f"flagged.{fmt}"
            runs = [run_export(db, fmt, out, extra) for _ in range(args.runs)]
            if not runs[-1][3]:  # more rows than an XLSX sheet holds, say
                print(f"{fmt:>9}: {runs[-1][2]}")
                continue
            seconds = statistics.median(r[0] for r in runs)
            peak = statistics.median(r[1] for r in runs)
            held = statistics.median(r[4] for r in runs)
            beside = max(r[5] for r in runs)
            each = ", ".join(f"{r[0]:.1f} s/{r[1] / 2**20:,.0f} MiB/held {r[4]:.1f} s" for r in runs)
            print(
                f"{fmt:>9}: {seconds:6.1f} s, peak RSS {peak / 2**20:7,.0f} MiB, store held {held:5.1f} s, "
                f"disk beside {beside / 2**20:,.0f} MiB (medians of {args.runs}: {each}); "
                f"{runs[-1][2]}; {out.stat().st_size / 1e6:,.1f} MB, sha256 {sha256(out)[:16]}"
            )
            out.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
