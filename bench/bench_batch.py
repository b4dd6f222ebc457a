"""A whole batch from an empty database, then a re-run over the same unchanged sources.

    .venv/bin/python bench/bench_batch.py [--items 100000] [--runs 3]

Starts bench/gen_server.py (a separate process serving ~N generated items as RSS feeds, portals with
comment threads, a Graph API page and Telegram channels), runs `pipeline.py run` (collect, store,
cluster, classify) into a fresh database and prints items per second and the run's peak memory;
then runs it again and prints the requests, bytes and seconds of the unchanged re-run and what it
wrote. With --runs N it repeats the cold batch N times and prints medians.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_server import Plan  # noqa: E402


def source_lines(base: str, plan: Plan, portal: list[str], comment_days: str) -> list[str]:
    """The ``[[sources]]`` tables of the generated server: its feeds, portals (with the ``portal``
    option lines), Graph API page (``comment_days``, a TOML value) and channels."""
    lines = []
    for k in range(plan.feeds):
        lines += ["[[sources]]", f'name = "feed-{k}"', 'kind = "rss"', f'url = "{base}/rss/{k}.xml"']
    for k in range(plan.portals):
        lines += [
            "[[sources]]",
            f'name = "portal-{k}"',
            'kind = "portal"',
            f'start_urls = ["{base}/portal{k}/news/"]',
            *portal,
            "max_age_days = 3650",
        ]
    lines += [
        "[[sources]]",
        'name = "dept-facebook"',
        'kind = "facebook"',
        'page_id = "900100"',
        f'graph_url = "{base}/graph/v25.0"',
        'token_env = "BENCH_FB_TOKEN"',
        "page_size = 100",
        "comment_page_size = 100",
        f"comment_days = {comment_days}",
    ]
    for k in range(plan.channels):
        lines += [
            "[[sources]]",
            f'name = "tg-{k}"',
            'kind = "telegram"',
            f'channel = "chan{k}"',
            f'base_url = "{base}/tg"',
            f"max_pages = {plan.messages // 20 + 2}",
        ]
    return lines


def config(base: str, plan: Plan, path: Path) -> None:
    lines = ["[settings]", "min_delay = 0.0", "retries = 1", "max_parallel_sources = 4"]
    portal = [
        f"max_pages = {plan.articles // 20 + 2}",
        f"max_articles = {plan.articles + 10}",
        f"max_requests = {plan.articles * 3 + 100}",
        f"max_rechecks = {plan.articles + 10}",
    ]
    # comment_days: the collector's default, comments of the last week's posts are re-read
    lines += source_lines(base, plan, portal, "7")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def server_base(port_file: Path) -> str:
    """The generated server's address, once it has written its port (at most a minute)."""
    for _ in range(600):
        if port_file.exists() and port_file.read_text():
            break
        time.sleep(0.1)
    return f"http://127.0.0.1:{port_file.read_text()}"


def stats(base: str) -> dict[str, int]:
    with urllib.request.urlopen(base + "/_stats") as resp:
        return json.loads(resp.read())


def run_pipeline(cfg: Path, db: Path) -> tuple[float, int, str]:
    """Seconds, peak RSS (KiB) of the child, output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "run", "--config", str(cfg), "--db", str(db)],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "BENCH_FB_TOKEN": "bench-token"},
    )
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
    return seconds, max(peak, before), proc.stdout + proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    plan = Plan(args.items)
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    port_file = tmp / "port"
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "gen_server.py"),
            "--items",
            str(args.items),
            "--port-file",
            str(port_file),
        ]
    )
    try:
        base = server_base(port_file)
        cfg = tmp / "sources.toml"
        config(base, plan, cfg)
        cold: list[float] = []
        rates: list[float] = []
        for attempt in range(args.runs):
            db = tmp / f"bench-{attempt}.duckdb"
            seconds, peak, out = run_pipeline(cfg, db)
            con = duckdb.connect(str(db), read_only=True)
            items, scored = con.execute(
                "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM classifications)"
            ).fetchone()
            by_kind = dict(con.execute("SELECT kind, count(*) FROM items GROUP BY 1").fetchall())
            con.close()
            cold.append(seconds)
            rates.append(items / seconds)
            print(
                f"cold batch {attempt + 1}: {items:,} items ({by_kind}), {scored:,} classified, "
                f"{seconds:.1f} s, {items / seconds:,.0f} items/s, peak RSS {peak / 1024:,.0f} MiB"
            )
            for line in out.splitlines():
                if "classified" in line or "failed" in line or line.startswith("collected"):
                    print("   ", line)
        print(f"median cold batch: {statistics.median(cold):.1f} s, {statistics.median(rates):,.0f} items/s")

        before = stats(base)
        db = tmp / f"bench-{args.runs - 1}.duckdb"
        con = duckdb.connect(str(db), read_only=True)
        count_before = con.execute("SELECT count(*), max(updated_at) FROM items").fetchone()
        con.close()
        seconds, _, out = run_pipeline(cfg, db)
        after = stats(base)
        con = duckdb.connect(str(db), read_only=True)
        count_after = con.execute("SELECT count(*), max(updated_at) FROM items").fetchone()
        new_runs = con.execute(
            "SELECT sum(new), sum(updated) FROM runs WHERE run_id > (SELECT max(run_id) - ? FROM runs)",
            [plan.feeds + plan.portals + 1 + plan.channels],
        ).fetchone()
        con.close()
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
        requests = sum(v for k, v in delta.items() if k.endswith(":requests"))
        sent = sum(v for k, v in delta.items() if k.endswith(":bytes"))
        not_modified = sum(v for k, v in delta.items() if k.endswith(":304"))
        print(
            f"re-run over unchanged sources: {seconds:.1f} s, {requests:,} requests ({not_modified:,} answered 304), "
            f"{sent:,} bytes served; items {count_before[0]:,} -> {count_after[0]:,}, new+updated {new_runs}"
        )
        print("   per kind:", {k: v for k, v in sorted(delta.items())})
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
