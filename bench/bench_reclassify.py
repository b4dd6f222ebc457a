"""What `reclassify` costs on a big store, and whether other processes can open the file meanwhile.

    .venv/bin/python bench/bench_reclassify.py STORE [--code DIR] [--read-only] [--every 0.5]
    .venv/bin/python bench/bench_reclassify.py STORE --pending [--new 100000 50]

STORE is a scored store (a copy is used: the file given is never written). The first form marks every
score as another model's (a model change), runs ``pipeline.py reclassify`` of the checkout ``--code``
(default this one) on the copy, and meanwhile, from this process, opens the file every ``--every``
seconds (for writing, as a scheduler job would, or ``--read-only``, as an analyst), each open a single
try as ``probe_lock`` of the acceptance run did. It prints the command's time, the opens that
succeeded and were refused, and the longest stretch of refusals (from the first refused try to the
next open that succeeded).

``--pending`` instead adds ``--new`` items (texts of the store's own items under new keys, so nothing
is scored yet) to copies of STORE and times ``batch.stages.analyse_pending`` of ``--code`` on them
with cProfile, printing the time and the calls and cumulative time of the search for pending items.

Figures, not asserts; the machine is shared: compare versions in alternating runs (``--code``).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent


def probe(path: Path, proc: subprocess.Popen, every: float, read_only: bool) -> dict[str, float]:
    """Open ``path`` every ``every`` s (one try each) until ``proc`` ends: counts and the longest refusal."""
    opened = refused = 0
    longest = 0.0
    refused_since: float | None = None
    while proc.poll() is None:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            con.execute("SELECT count(*) FROM runs").fetchall()
            con.close()
            opened += 1
            if refused_since is not None:
                longest = max(longest, time.monotonic() - refused_since)
                refused_since = None
        except duckdb.IOException:
            refused += 1
            if refused_since is None:
                refused_since = time.monotonic()
        time.sleep(every)
    if refused_since is not None:
        longest = max(longest, time.monotonic() - refused_since)
    return {"opened": opened, "refused": refused, "longest": longest}


def reclassify(store: Path, folder: Path, code: Path, every: float, read_only: bool) -> None:
    copy = folder / "reclassify.duckdb"
    shutil.copyfile(store, copy)
    con = duckdb.connect(str(copy))
    con.execute("UPDATE classifications SET model_version = 'bench-old-model'")
    con.close()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "pipeline.py", "reclassify", "--db", str(copy)],
        cwd=code,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(2)  # the model's import and load, before which the file is not open
    seen = probe(copy, proc, every, read_only)
    out = proc.communicate()[0]
    seconds = time.monotonic() - started
    print(out.strip().splitlines()[-1] if out.strip() else "(no output)")
    print(
        f"reclassify ({code}): exit {proc.returncode}, {seconds:.1f} s; "
        f"{'read-only' if read_only else 'write'} opens every {every} s: {seen['opened']} opened, "
        f"{seen['refused']} refused, longest refused stretch {seen['longest']:.1f} s"
    )


def add_new(copy: Path, new: int) -> None:
    """``new`` unscored, unclustered items: the store's own texts under new keys."""
    con = duckdb.connect(str(copy))
    con.execute(  # a sample's size must be a constant
        f"""INSERT INTO items (source, external_id, kind, collected_at, updated_at, title, text, content_hash)
            SELECT source, 'bench-new-' || external_id, kind, now(), now(), title, text,
                   md5(content_hash || 'bench-new')
            FROM items USING SAMPLE reservoir({int(new)} ROWS) REPEATABLE (7)"""
    )
    con.close()


def pending(store: Path, folder: Path, news: list[int], code: Path) -> None:
    sys.path.insert(0, str(code))
    from batch.stages import analyse_pending

    for new in news:
        copy = folder / f"pending{new}.duckdb"
        shutil.copyfile(store, copy)
        add_new(copy, new)
        profile = cProfile.Profile()
        started = time.monotonic()
        profile.enable()
        clustered, result = analyse_pending(copy)
        profile.disable()
        seconds = time.monotonic() - started
        stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
        search = [
            (calls, cumulative)
            for (file, _line, name), (_cc, calls, _tt, cumulative, _callers) in stats.items()
            if file.endswith("classifications.py") and name in ("pending", "pending_keys", "rows_of")
        ]
        said = ", ".join(f"{c} calls {t:.2f} s" for c, t in search) or "none"
        print(
            f"{new} new items in the store: analyse_pending {seconds:.1f} s (scored {result.scored}, "
            f"clustered {clustered}); search for pending items: {said}"
        )
        copy.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path, help="a scored store (copied; never written)")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose code runs")
    parser.add_argument("--read-only", action="store_true", help="probe with read-only opens")
    parser.add_argument("--every", type=float, default=0.5, help="seconds between opens (default 0.5)")
    parser.add_argument("--pending", action="store_true", help="time analyse_pending instead")
    parser.add_argument("--new", type=int, nargs="+", default=[100_000, 50], help="new items (--pending)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.pending:
            pending(args.store, Path(folder), args.new, args.code.resolve())
        else:
            reclassify(args.store, Path(folder), args.code.resolve(), args.every, args.read_only)


if __name__ == "__main__":
    main()
