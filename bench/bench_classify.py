"""Benchmark of `classify`: documents per second on 20,000 generated texts of mixed length, peak memory.

Prints figures; it is not a timed test. Texts are generated from Russian and Kazakh phrases written
for this benchmark (no shared data needed): 60% short comments (up to 200 characters), 30% posts
(200-1,000), 10% articles (1,000-5,000). Each run classifies all texts in batches of 2,000, like
the runner, including normalisation and language identification.

    .venv/bin/python bench/bench_classify.py [--texts 20000] [--runs 3] [--model F] [--stages]
    .venv/bin/python bench/bench_classify.py --cli auto [--runs 3]

``--stages`` also prints where one process spends its CPU time (median over the runs): normalisation,
language cues, features with the linear scores, and the rest (calibration, flags, evidence, results).

``--cli WORKERS`` times the command instead, end to end: ``pipeline.py classify --workers WORKERS``
reading the texts as JSON lines from a file and writing its JSON lines to another, start-up, model
loading and cold caches included, as a user runs it (``auto`` is the command's default).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHRASES = [
    "На улице Абая огромная яма, машины бьют колеса",
    "В подъезде не работает лифт уже месяц",
    "Горячей воды нет третью неделю, КСК молчит",
    "Инспектор потребовал деньги, чтобы не составлять протокол",
    "Тендер на ремонт школы выиграла фирма родственника акима",
    "В парке прошел концерт, жители довольны",
    "Автобус номер 12 не приходит по сорок минут",
    "Акимат обещает отремонтировать дорогу до конца лета",
    "Көшеде жарық жоқ, балалар қараңғыда жүреді",
    "Жол полициясы пара сұрады, бұл жемқорлық",
    "Ауылға ауыз су әлі жеткізілмеген",
    "Қала орталығында жаңа саябақ ашылды",
    "Қоқысты екі аптадан бері шығармайды",
    "Мектеп директоры ата-аналардан ақша жинайды",
    "Неше күн су жоқ, воды нет, акимат не реагирует",
    "Bizdiñ köşede jaryq joq, äkımdık nege jöndemeidı",
    "Сегодня прошло заседание маслихата, обсудили бюджет",
    "Подробнее по ссылке https://example.kz/news/1 или пишите @city_news, тел. +7 701 123 45 67",
    "<p>Жители жалуются на <b>холодные батареи</b> &amp; сырость</p>",
]


SYLLABLES = [
    "ка",
    "ра",
    "су",
    "жол",
    "ба",
    "те",
    "мир",
    "ан",
    "ов",
    "ев",
    "ул",
    "да",
    "ли",
    "на",
    "ко",
    "ше",
    "ай",
    "гүл",
    "нұр",
    "қа",
    "ма",
    "ер",
    "бек",
    "тай",
    "ин",
    "ск",
    "ий",
    "ва",
]


def _name(rng: random.Random) -> str:
    """A made-up word (street, person, place), so that texts keep bringing unseen tokens."""
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
    return word.capitalize()


def make_texts(count: int, seed: int = 7) -> list[str]:
    """Texts of mixed length built from the phrases above, each phrase with a made-up name and number."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        roll = rng.random()
        target = (
            rng.randint(20, 200)
            if roll < 0.6
            else rng.randint(200, 1000)
            if roll < 0.9
            else rng.randint(1000, 5000)
        )
        parts: list[str] = []
        size = 0
        while size < target:
            phrase = f"{rng.choice(PHRASES)} ({_name(rng)}, {rng.randint(1, 300)})"
            parts.append(phrase)
            size += len(phrase) + 2
        texts.append(". ".join(parts)[: max(target, 20)])
    return texts


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_times(model: Any, texts: list[str], batch: int, runs: int) -> str:
    """Median CPU seconds per stage over ``runs`` passes, each stage timed on its own."""
    import gc

    from classify.lang import detect_languages
    from classify.normalise import normalise

    spent: dict[str, list[float]] = {"normalise": [], "language": [], "features+scores": [], "rest": []}
    for _ in range(runs):
        parts = dict.fromkeys(spent, 0.0)
        total = 0.0
        for start in range(0, len(texts), batch):
            chunk = texts[start : start + batch]
            started = time.process_time()
            model.classify(chunk)
            total += time.process_time() - started
            gc.disable()  # as classify does
            started = time.process_time()
            normalised = [normalise(t) for t in chunk]
            parts["normalise"] += time.process_time() - started
            started = time.process_time()
            langs = detect_languages(normalised)
            parts["language"] += time.process_time() - started
            started = time.process_time()
            model.decision(normalised, langs)
            parts["features+scores"] += time.process_time() - started
            gc.enable()
        parts["rest"] = total - parts["normalise"] - parts["language"] - parts["features+scores"]
        for name, seconds in parts.items():
            spent[name].append(seconds)
    return "CPU seconds per stage (median): " + ", ".join(
        f"{name} {statistics.median(values):.2f}" for name, values in spent.items()
    )


def run_cli(texts: list[str], workers: str, runs: int, model: Path | None) -> int:
    """Time ``pipeline.py classify`` on the texts as a user runs it; prints figures."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with source.open("w", encoding="utf-8") as out:
            for n, text in enumerate(texts):
                out.write(json.dumps({"id": n, "text": text}, ensure_ascii=False) + "\n")
        command = [sys.executable, str(ROOT / "pipeline.py"), "classify", "--workers", workers]
        if model is not None:
            command += ["--model", str(model)]
        seconds = []
        for _ in range(runs):
            with source.open("rb") as stdin, target.open("wb") as stdout:
                started = time.perf_counter()
                done = subprocess.run(
                    command, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, check=False
                )
                seconds.append(time.perf_counter() - started)
            if done.returncode != 0:
                print(done.stderr.decode("utf-8", "replace"), file=sys.stderr)
                return 1
            with target.open("rb") as written:
                lines = sum(1 for _ in written)
            if lines != len(texts):
                print(f"expected {len(texts)} output lines, got {lines}", file=sys.stderr)
                return 1
    print(f"command: pipeline.py classify --workers {workers} < {len(texts)} JSON lines > file")
    print("runs (s): " + ", ".join(f"{s:.2f}" for s in seconds))
    median = statistics.median(seconds)
    print(
        f"median: {median:.2f} s = {len(texts) / median:,.0f} docs/s end to end (start-up and model loading included)"
    )
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS of the largest process: {largest:.0f} MB")
    return 0


def main() -> int:
    """Run the benchmark and print figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (classify --workers)")
    parser.add_argument("--stages", action="store_true", help="CPU seconds per stage (one process)")
    parser.add_argument(
        "--cli", metavar="WORKERS", help="time `pipeline.py classify --workers WORKERS` instead"
    )
    args = parser.parse_args()
    if args.cli:
        return run_cli(make_texts(args.texts), args.cli, args.runs, args.model)

    from classify.model import load_model
    from classify.parallel import ParallelScorer, chunks

    texts = make_texts(args.texts)
    started = time.perf_counter()
    model = load_model(args.model)
    scorer = ParallelScorer(args.model, args.workers) if args.workers > 1 else None
    if scorer is not None:
        list(scorer.map([texts[:10]] * args.workers))  # workers load the model before the clock starts
    load_seconds = time.perf_counter() - started
    rates, cpu_rates = [], []
    for _ in range(args.runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        if scorer is not None:
            for _ in scorer.map(chunks(texts, args.batch)):
                pass
        else:
            for start in range(0, len(texts), args.batch):
                model.classify(texts[start : start + args.batch])
        rates.append(len(texts) / (time.perf_counter() - started))
        cpu_rates.append(len(texts) / (time.process_time() - cpu_started))
    chars = sum(len(t) for t in texts)
    print(f"model {model.version}: loaded in {load_seconds:.2f} s")
    print(f"texts: {len(texts)}, mean length {chars / len(texts):.0f} characters, batches of {args.batch}")
    print("runs (docs/s): " + ", ".join(f"{r:,.0f}" for r in rates))
    print(f"first run (cold caches): {rates[0]:,.0f} docs/s")
    print(f"median: {statistics.median(rates):,.0f} docs/s (wall clock)")
    if scorer is None:
        print(f"median per CPU second: {statistics.median(cpu_rates):,.0f} docs/s (other processes excluded)")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.stages:
        print(stage_times(model, texts, args.batch, args.runs))
    if scorer is not None:
        scorer.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"workers: {args.workers}")
    print(
        f"peak RSS: {peak_rss_mb():.0f} MB"
        + (f" (largest worker {children:.0f} MB)" if scorer is not None else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
