"""Peak memory and time of `pipeline.py import` for generated files of a given size.

Generates a JSON Lines, CSV or WhatsApp (Android .txt) file of ``--size-mb`` megabytes of Russian
messages, imports it ``--runs`` times into a fresh database each time (``--no-classify``), each run in
its own process, and prints each run's peak RSS (the child's ru_maxrss) and seconds, then the medians.

    .venv/bin/python bench/bench_import.py --kind jsonl --size-mb 1000 [--runs 3] [--no-ids] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = [
    "в",
    "районе",
    "снова",
    "нет",
    "воды",
    "третий",
    "день",
    "аким",
    "обещал",
    "починить",
    "трубу",
    "но",
    "ничего",
    "не",
    "сделано",
    "жители",
    "жалуются",
    "на",
    "ямы",
    "на",
    "дороге",
    "и",
    "на",
    "свет",
    "который",
    "отключают",
    "каждый",
    "вечер",
    "подрядчик",
    "получил",
    "деньги",
    "а",
    "работы",
    "не",
    "выполнены",
    "просим",
    "разобраться",
    "прокуратуру",
]
NAMES = ("Асель", "Бауыржан", "Ирина Петрова", "Марат", "Гульнара", "Сергей")


def _text(rnd: random.Random) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 60)))


def generate(kind: str, size: int, path: Path, *, ids: bool) -> int:
    """Write ``size`` bytes (about) of ``kind`` to ``path``; the number of items."""
    rnd = random.Random(7)
    when = datetime(2024, 1, 1, 8, 0)  # noqa: DTZ001 - a wall clock, as exports write it
    count = written = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        if kind == "csv":
            written += fh.write("id,text,author,published_at\n")
        elif kind == "whatsapp":
            written += fh.write("01.01.2024, 08:00 - Сообщения и звонки защищены сквозным шифрованием.\n")
        while written < size:
            when += timedelta(seconds=rnd.randint(5, 400))
            count += 1
            text = _text(rnd)
            if kind == "jsonl":
                obj = {"text": text, "author": rnd.choice(NAMES), "published_at": when.isoformat() + "+05:00"}
                if ids:
                    obj = {"id": f"m{count}", **obj}
                line = json.dumps(obj, ensure_ascii=False) + "\n"
            elif kind == "csv":
                line = (
                    f'{"m" + str(count) if ids else ""},"{text}",{rnd.choice(NAMES)},{when:%d.%m.%Y %H:%M}\n'
                )
            else:
                line = f"{when:%d.%m.%Y, %H:%M} - {rnd.choice(NAMES)}: {text}\n"
                if rnd.random() < 0.1:
                    line += _text(rnd) + "\n"
            fh.write(line)
            written += len(line.encode("utf-8"))
    return count


def run_once(kind: str, path: Path, work: Path) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one import into a fresh database."""
    work = Path(tempfile.mkdtemp(prefix="run_", dir=work))  # a fresh database each run
    db = work / "bench.duckdb"
    config = work / "sources.toml"
    config.write_text("[settings]\n", encoding="utf-8")
    command = [sys.executable, str(ROOT / "pipeline.py"), "import", kind, str(path), "--source", "bench"]
    command += ["--no-classify", "--config", str(config), "--db", str(db)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MONITOR_SALT": "bench-salt"}
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if status:
        print(f"import failed ({status}): {err[-2000:]}", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    return usage.ru_maxrss / 1024, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("jsonl", "csv", "whatsapp"), default="jsonl")
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-ids", action="store_true", help="rows without an id column (ids hashed)")
    parser.add_argument("--keep", type=Path, help="a folder to generate into and keep (reused when there)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        suffix = {"jsonl": "jsonl", "csv": "csv", "whatsapp": "txt"}[args.kind]
        ids = "noids" if args.no_ids else "ids"
        path = work / f"{args.kind}-{args.size_mb:g}mb-{ids}.{suffix}"
        if not path.exists():
            count = generate(args.kind, int(args.size_mb * 2**20), path, ids=not args.no_ids)
            print(f"generated {path.name}: {path.stat().st_size / 2**20:.0f} MB, {count} items")
        peaks, times = [], []
        for run in range(args.runs):
            peak, seconds = run_once(args.kind, path, work)
            peaks.append(peak)
            times.append(seconds)
            print(f"run {run + 1}: peak RSS {peak:.0f} MB, {seconds:.1f} s", flush=True)
        print(f"median: peak RSS {statistics.median(peaks):.0f} MB, {statistics.median(times):.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
