"""Soak: many batches in one scheduler process, watching its memory, descriptors, threads and database.

    .venv/bin/python bench/bench_soak.py [--batches 300] [--every 25] [--items 2000] [--grow 40] \
        [--workers 1] [--no-snapshot] [--no-alerts] [--trace] [--objects] [--malloc-trim] [--json out.json]

`pipeline.py schedule` runs for months in one process, so whatever a batch leaves behind (memory,
open files, threads, a cursor that only grows) adds up. This starts bench/gen_server.py with
``--grow`` (a separate process whose sources publish about N new items and edit about N/10 old ones
at each GET /_advance), builds the scheduler of ops/scheduler.py in this process as `schedule` does
(logging to a rotating file, its lock file, `check_database`, the Parquet snapshot and a webhook alert
channel pointing at the server), and calls every source's job directly, without cron, ``--batches``
times, advancing the server between batches. With ``--workers N`` the jobs of a batch go through one
long-lived pool of N threads, as APScheduler's pool runs them; by default one after another
(`run_once`).

Every ``--every`` batches it prints one line: resident memory (VmRSS, and VmHWM, the peak), open file
descriptors, threads (Python's, and the process's with native ones), the database file
(+ its .wal), the snapshot folder, the items stored, the collectors' cursors (source_state) and the
seconds per batch. At the end: resident memory growth per 100 batches over the second half (after the
warm-up), descriptor and thread growth, database bytes per stored item and median batch seconds.
``--trace`` adds tracemalloc's biggest growths between checkpoints (about twice as slow), ``--objects``
the Python object types whose count grew, ``--malloc-trim`` the resident memory left once glibc has
returned its free pages (what is really in use). Figures, not asserts.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import gc
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_batch import server_base, source_lines  # noqa: E402
from bench.gen_server import Plan  # noqa: E402

MiB = 1024 * 1024


def config(base: str, plan: Plan, path: Path, *, alerts: bool, comment_days: float) -> None:
    """The sources of the generated server, as `schedule` would be given them."""
    lines = [
        "[settings]",
        "min_delay = 0.0",
        "retries = 1",
        f"max_parallel_sources = {plan.feeds + plan.portals + 1 + plan.channels}",
    ]
    portal = [
        "max_pages = 3",  # the newest listing pages: where new articles appear
        "max_articles = 40",
        "max_requests = 200",
        "max_rechecks = 10",
        # The soak's minutes stand for days: articles of the last quarter hour (the ones that get
        # new comments and edits) are rechecked at every batch, older ones never.
        "recheck = [[0.25, 0.0]]",
    ]
    # The same compression for comment_days: comments of the last minute and a half's posts are
    # re-read at every batch (7 days would re-read every post the soak publishes, a cost that grows
    # with the soak).
    lines += source_lines(base, plan, portal, str(comment_days))
    if alerts:
        lines += ["[alerts]", f'webhook_url = "{base}/_alerts"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def proc_status() -> dict[str, int]:
    """VmRSS and VmHWM (KiB) and Threads of this process, from /proc/self/status."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "Threads"):
            out[key] = int(value.split()[0])
    return out


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url) as resp:
        return json.loads(resp.read())


def slope_per_100(points: list[tuple[int, float]]) -> float:
    """Least-squares growth of ``value`` per 100 batches (0 with fewer than two points)."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return 100 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


class Probe:
    """What one checkpoint reads, and the optional tracemalloc and object-count diffs."""

    def __init__(self, db: Path, snapshot: Path | None, *, trace: bool, objects: bool, trim: bool) -> None:
        self.db = db
        self.trim = trim
        self.snapshot = snapshot
        self.trace = trace
        self.objects = objects
        self.last_trace: tracemalloc.Snapshot | None = None
        self.last_objects: collections.Counter[str] = collections.Counter()
        self.last_threads: collections.Counter[str] = collections.Counter()

    def read(self) -> dict[str, Any]:
        from store.db import reader

        status = proc_status()
        with reader(self.db) as con:
            items, versions, classified, runs = con.execute(
                "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM item_versions), "
                "(SELECT count(*) FROM classifications), (SELECT count(*) FROM runs)"
            ).fetchone()
            state_bytes, biggest, biggest_source = con.execute(
                "SELECT sum(length(state::VARCHAR)), max(length(state::VARCHAR)), "
                "arg_max(source, length(state::VARCHAR)) FROM source_state"
            ).fetchone()
        wal = self.db.with_name(self.db.name + ".wal")
        return {
            "rss": status["VmRSS"] / 1024,
            "peak": status["VmHWM"] / 1024,
            "fds": len(os.listdir("/proc/self/fd")),
            "py_threads": threading.active_count(),
            "os_threads": status["Threads"],
            "db": self.db.stat().st_size,
            "wal": wal.stat().st_size if wal.exists() else 0,
            "snapshot": folder_bytes(self.snapshot) if self.snapshot else 0,
            "items": items,
            "versions": versions,
            "classified": classified,
            "runs": runs,
            "state": state_bytes or 0,
            "state_max": biggest or 0,
            "state_max_source": biggest_source,
            "traced": tracemalloc.get_traced_memory()[0] / MiB if self.trace else None,
            "trimmed": self._rss_after_trim() if self.trim else None,
        }

    @staticmethod
    def _rss_after_trim() -> float:
        """VmRSS (MiB) once glibc has handed its free heap pages back: what is left is in use, not
        merely kept by the allocator. (It changes what follows: a diagnostic, not the default.)"""
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
        return proc_status()["VmRSS"] / 1024

    def diffs(self) -> list[str]:
        """Lines naming what grew since the previous checkpoint (threads always; allocations, objects if asked)."""
        lines = []
        threads = collections.Counter(
            t.name.rstrip("0123456789_-").rstrip() or t.name for t in threading.enumerate()
        )
        grown = {k: threads[k] - self.last_threads[k] for k in threads if threads[k] > self.last_threads[k]}
        if self.last_threads and grown:
            lines.append(f"    threads grown: {grown} (now {dict(threads)})")
        self.last_threads = threads
        if self.trace:
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen*>")]
            )
            if self.last_trace is not None:
                for stat in snap.compare_to(self.last_trace, "lineno")[:8]:
                    if stat.size_diff > 64 * 1024:
                        lines.append(
                            f"    +{stat.size_diff / 1024:,.0f} KiB in {stat.count_diff:+,} blocks: {stat.traceback}"
                        )
            self.last_trace = snap
        if self.objects:
            gc.collect()
            counts = collections.Counter(type(o).__name__ for o in gc.get_objects())
            if self.last_objects:
                grown_types = [(k, counts[k] - self.last_objects[k]) for k in counts]
                top = sorted((g for g in grown_types if g[1] > 0), key=lambda g: -g[1])[:8]
                if top:
                    lines.append("    objects grown: " + ", ".join(f"{k} +{n:,}" for k, n in top))
            self.last_objects = counts
        return lines


class Phases(logging.Handler):
    """Seconds the scheduler's own log lines report: each source run's collection, each snapshot."""

    def __init__(self, kinds: dict[str, str]) -> None:
        super().__init__(logging.INFO)
        self.kinds = kinds
        self.collect: dict[str, list[float]] = collections.defaultdict(list)  # kind -> seconds
        self.snapshot: dict[str, list[float]] = collections.defaultdict(list)  # "all" or "runs" -> seconds

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        if event == "run_finished":
            self.collect[self.kinds.get(record.source, "?")].append(record.seconds)  # type: ignore[attr-defined]
        elif event == "snapshot":
            tables = record.tables  # type: ignore[attr-defined]
            self.snapshot["all" if "items" in tables else "runs"].append(record.seconds)  # type: ignore[attr-defined]

    def medians(self, last: int, per_kind: collections.Counter[str]) -> dict[str, float]:
        """Median collection seconds per kind over about the last ``last`` batches, and of the snapshots."""
        out = {
            f"collect {kind}": statistics.median(took[-last * per_kind[kind] :])
            for kind, took in self.collect.items()
        }
        out |= {
            f"snapshot {what}": statistics.median(took[-last * sum(per_kind.values()) :])
            for what, took in self.snapshot.items()
        }
        return {k: round(v, 3) for k, v in out.items()}


def line(batch: int, row: dict[str, Any], seconds: list[float], every: int) -> str:
    recent = seconds[-every:]
    traced = f", traced {row['traced']:.1f} MiB" if row["traced"] is not None else ""
    traced += f", {row['trimmed']:.1f} MiB after malloc_trim" if row["trimmed"] is not None else ""
    return (
        f"batch {batch:4d}: RSS {row['rss']:6.1f} MiB (peak {row['peak']:6.1f}){traced}, "
        f"fds {row['fds']:3d}, threads {row['py_threads']}/{row['os_threads']}, "
        f"db {row['db'] / MiB:5.1f} MB + wal {row['wal'] / MiB:4.1f}, snapshot {row['snapshot'] / MiB:4.1f} MB, "
        f"items {row['items']:,} ({row['versions']:,} earlier versions, {row['classified']:,} classified), "
        f"cursors {row['state'] / 1024:,.0f} kB (largest {row['state_max'] / 1024:,.0f} kB, {row['state_max_source']}), "
        f"{statistics.median(recent):.2f} s/batch (median of the last {len(recent)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=300, help="batches (every source once) to run")
    parser.add_argument("--every", type=int, default=25, help="print a checkpoint every this many batches")
    parser.add_argument("--items", type=int, default=2000, help="items the sources hold at the start")
    parser.add_argument("--grow", type=int, default=40, help="new items the sources publish per batch")
    parser.add_argument("--feeds", type=int, default=4)
    parser.add_argument("--portals", type=int, default=2)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument(
        "--comment-days",
        type=float,
        default=0.001,
        help="the Graph API source's comment_days (default 0.001: 86 s, a few dozen batches)",
    )
    parser.add_argument("--workers", type=int, default=1, help="threads running a batch's jobs (1: run_once)")
    parser.add_argument("--no-snapshot", action="store_true", help="no Parquet snapshot folder")
    parser.add_argument("--no-alerts", action="store_true", help="no webhook alert channel")
    parser.add_argument("--trace", action="store_true", help="tracemalloc diffs between checkpoints (slower)")
    parser.add_argument("--objects", action="store_true", help="object counts by type between checkpoints")
    parser.add_argument(
        "--malloc-trim",
        action="store_true",
        help="at each checkpoint, RSS again after glibc's malloc_trim(0)",
    )
    parser.add_argument("--json", type=Path, help="write the checkpoints and the summary here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, log)")
    args = parser.parse_args()
    if args.trace:
        tracemalloc.start(8)

    from config.sources import load_config
    from ops.cli import one_scheduler
    from ops.logs import setup_logging
    from ops.scheduler import Scheduler

    plan = Plan(args.items, feeds=args.feeds, portals=args.portals, channels=args.channels)
    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    port_file = tmp / "port"
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "gen_server.py"),
            *("--items", str(args.items), "--grow", str(args.grow), "--port-file", str(port_file)),
            *("--feeds", str(args.feeds), "--portals", str(args.portals), "--channels", str(args.channels)),
        ]
    )
    try:
        base = server_base(port_file)
        cfg = tmp / "sources.toml"
        config(base, plan, cfg, alerts=not args.no_alerts, comment_days=args.comment_days)
        os.environ.update({"BENCH_FB_TOKEN": "bench-token"})
        # As `schedule` logs: a rotating file, and stderr from WARNING (INFO would be a line per job).
        setup_logging(log_file=tmp / "logs" / "monitor.log", stderr_level=logging.WARNING)
        db = tmp / "soak.duckdb"
        snapshot = None if args.no_snapshot else tmp / "snapshot"
        scheduler = Scheduler(load_config(cfg), db, snapshot_dir=snapshot)
        probe = Probe(db, snapshot, trace=args.trace, objects=args.objects, trim=args.malloc_trim)
        names = [s.name for s in scheduler.sources]
        print(
            f"{len(names)} sources ({plan.feeds} feeds, {plan.portals} portals, 1 Graph API page, "
            f"{plan.channels} channels), {args.items:,} items at the start, about {args.grow} new per batch; "
            f"snapshot {'on' if snapshot else 'off'}, alerts {'off' if args.no_alerts else 'on'}, "
            f"workers {args.workers}; folder {tmp}",
            flush=True,
        )
        pool = ThreadPoolExecutor(max_workers=args.workers) if args.workers > 1 else None
        job_seconds: dict[str, list[float]] = collections.defaultdict(list)  # kind -> seconds of each job
        kinds = {s.name: s.kind for s in scheduler.sources}
        per_kind = collections.Counter(kinds.values())
        phases = Phases(kinds)
        logging.getLogger("ops.scheduler").addHandler(phases)

        def job(name: str) -> Any:
            t0 = time.perf_counter()
            try:
                return scheduler.run_job(name)
            finally:
                job_seconds[kinds[name]].append(time.perf_counter() - t0)

        seconds: list[float] = []
        rows: list[dict[str, Any]] = []
        outcomes_seen: collections.Counter[str] = collections.Counter()
        new = updated = 0
        started = time.perf_counter()
        with one_scheduler(db):
            scheduler.check_database()
            scheduler._load_model()  # as serve() does before the first slot
            rows.append({"batch": 0, **probe.read()})
            probe.diffs()
            print(line(0, rows[-1], [0.0], 1).split(", items")[0], "(before the first batch)", flush=True)
            for batch in range(1, args.batches + 1):
                if batch > 1:
                    get_json(base + "/_advance")
                t0 = time.perf_counter()
                # run_once() is this loop (each source's run_job in turn); timed per job here
                outcomes = [job(name) for name in names] if pool is None else list(pool.map(job, names))
                seconds.append(time.perf_counter() - t0)
                for outcome in outcomes:
                    outcomes_seen[
                        "error" if outcome.error else "skipped" if outcome.skipped else str(outcome.status)
                    ] += 1
                    if outcome.error:
                        print(f"    batch {batch}: {outcome.source}: {outcome.error}", flush=True)
                    new += outcome.new
                    updated += outcome.updated
                if batch % args.every == 0 or batch in (1, args.batches):
                    jobs = {
                        kind: round(statistics.median(took[-args.every * per_kind[kind] :]), 3)
                        for kind, took in job_seconds.items()
                    }
                    rows.append(
                        {
                            "batch": batch,
                            "seconds": statistics.median(seconds[-args.every :]),
                            "jobs": jobs,
                            "phases": phases.medians(args.every, per_kind),
                            **probe.read(),
                        }
                    )
                    print(line(batch, rows[-1], seconds, args.every), flush=True)
                    print(
                        "    median seconds: jobs",
                        ", ".join(f"{k} {v:.3f}" for k, v in jobs.items()),
                        "| of which",
                        ", ".join(f"{k} {v:.3f}" for k, v in rows[-1]["phases"].items()),
                        flush=True,
                    )
                    for diff in probe.diffs():
                        print(diff, flush=True)
        if pool is not None:
            pool.shutdown()
        total = time.perf_counter() - started
        summary = summarise(rows, seconds, args.batches)
        half = args.batches // 2
        summary["job_s_first_second_half"] = {
            kind: (
                round(statistics.median(took[per_kind[kind] : half * per_kind[kind]] or took), 3),
                round(statistics.median(took[half * per_kind[kind] :]), 3),
            )
            for kind, took in job_seconds.items()
        }
        summary.update(
            {"new": new, "updated": updated, "outcomes": dict(outcomes_seen), "wall_seconds": round(total, 1)}
        )
        served = get_json(base + "/_stats")
        summary["alerts_posted"] = served.get("alerts:requests", 0)
        print_summary(summary)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {"args": vars(args) | {"json": str(args.json)}, "checkpoints": rows, "summary": summary},
                    indent=1,
                    default=str,
                )
            )
    finally:
        server.terminate()
        server.wait()
        if not args.keep:
            import shutil

            with contextlib.suppress(OSError):
                shutil.rmtree(tmp)


def summarise(rows: list[dict[str, Any]], seconds: list[float], batches: int) -> dict[str, Any]:
    """The end figures: growth over the second half (after warm-up), sizes, batch times."""
    half = batches // 2
    second = [r for r in rows if r["batch"] >= half and r["batch"] > 0]
    first_of_second, last = second[0], rows[-1]
    span = max(1, last["batch"] - first_of_second["batch"])
    stored = max(1, last["items"])
    return {
        "batches": batches,
        "rss_start_mib": round(rows[0]["rss"], 1),
        "rss_after_first_batch_mib": round(rows[1]["rss"], 1),
        "rss_half_mib": round(first_of_second["rss"], 1),
        "rss_end_mib": round(last["rss"], 1),
        "peak_mib": round(last["peak"], 1),
        "rss_mib_per_100_batches": round(slope_per_100([(r["batch"], r["rss"]) for r in second]), 2),
        "trimmed_mib_per_100_batches": round(slope_per_100([(r["batch"], r["trimmed"]) for r in second]), 2)
        if last["trimmed"] is not None
        else None,
        "traced_mib_per_100_batches": round(slope_per_100([(r["batch"], r["traced"]) for r in second]), 2)
        if last["traced"] is not None
        else None,
        "fds_half_end": (first_of_second["fds"], last["fds"]),
        "fds_per_100_batches": round(100 * (last["fds"] - first_of_second["fds"]) / span, 2),
        "threads_half_end": (
            f"{first_of_second['py_threads']}/{first_of_second['os_threads']}",
            f"{last['py_threads']}/{last['os_threads']}",
        ),
        "threads_per_100_batches": round(
            100 * (last["os_threads"] - first_of_second["os_threads"]) / span, 2
        ),
        "items_end": last["items"],
        "versions_end": last["versions"],
        "db_bytes": last["db"] + last["wal"],
        "db_bytes_per_item": round((last["db"] + last["wal"]) / stored),
        "db_bytes_per_item_incl_versions": round((last["db"] + last["wal"]) / (stored + last["versions"])),
        "snapshot_bytes": last["snapshot"],
        "cursor_bytes_half_end": (first_of_second["state"], last["state"]),
        "cursor_bytes_per_100_batches": round(100 * (last["state"] - first_of_second["state"]) / span),
        "largest_cursor": (last["state_max_source"], last["state_max"]),
        "median_batch_s": round(statistics.median(seconds), 3),
        "median_batch_s_first_batch_excluded_first_half": round(
            statistics.median(seconds[1:half] or seconds), 3
        ),
        "median_batch_s_second_half": round(statistics.median(seconds[half:]), 3),
        "first_batch_s": round(seconds[0], 2),
    }


def print_summary(s: dict[str, Any]) -> None:
    print(
        f"\nsummary of {s['batches']} batches ({s['wall_seconds']:.0f} s; outcomes {s['outcomes']}; "
        f"{s['new']:,} new, {s['updated']:,} updated; {s['alerts_posted']} alert digests posted)"
    )
    traced = (
        f"; Python allocations {s['traced_mib_per_100_batches']:+.2f} MiB per 100 batches"
        if s["traced_mib_per_100_batches"] is not None
        else ""
    )
    if s["trimmed_mib_per_100_batches"] is not None:
        traced += f"; after malloc_trim {s['trimmed_mib_per_100_batches']:+.2f} MiB per 100 batches"
    print(
        f"  RSS: {s['rss_start_mib']} MiB at the start, {s['rss_after_first_batch_mib']} after the first batch, "
        f"{s['rss_half_mib']} at half-time, {s['rss_end_mib']} at the end (peak {s['peak_mib']}); "
        f"second half {s['rss_mib_per_100_batches']:+.2f} MiB per 100 batches{traced}"
    )
    print(
        f"  fds {s['fds_half_end'][0]} -> {s['fds_half_end'][1]} over the second half ({s['fds_per_100_batches']:+.2f} per 100 batches); "
        f"threads (Python/process) {s['threads_half_end'][0]} -> {s['threads_half_end'][1]} "
        f"({s['threads_per_100_batches']:+.2f} per 100 batches)"
    )
    print(
        f"  database {s['db_bytes'] / MiB:.1f} MB for {s['items_end']:,} items and {s['versions_end']:,} earlier versions: "
        f"{s['db_bytes_per_item']:,} bytes per item ({s['db_bytes_per_item_incl_versions']:,} per row of items + item_versions); "
        f"snapshot {s['snapshot_bytes'] / MiB:.1f} MB"
    )
    print(
        f"  cursors (source_state) {s['cursor_bytes_half_end'][0]:,} -> {s['cursor_bytes_half_end'][1]:,} bytes over the second half "
        f"({s['cursor_bytes_per_100_batches']:+,} per 100 batches), largest {s['largest_cursor'][0]} {s['largest_cursor'][1]:,} bytes"
    )
    print(
        f"  batch seconds: first (cold) {s['first_batch_s']}, median {s['median_batch_s']} "
        f"(first half without the cold one {s['median_batch_s_first_batch_excluded_first_half']}, second half {s['median_batch_s_second_half']})"
    )
    print(
        "  median job seconds by kind, first half (cold batch excluded) -> second half: "
        + ", ".join(f"{k} {a:.3f} -> {b:.3f}" for k, (a, b) in s["job_s_first_second_half"].items())
    )


if __name__ == "__main__":
    main()
