"""The facebook collector against our Graph API emulator on 127.0.0.1, and the export importer.

    .venv/bin/python bench/bench_facebook.py [--posts 300] [--comments 20] [--replies 5] [--csv-rows 50000]

Prints: requests, items and seconds of a first run and of a second (incremental) run over an
emulated page with posts spread over 60 days; parser throughput on the same Graph pages; and rows/s
of `import facebook-export` on a generated monitoring CSV. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collectors import facebook, facebook_parse  # noqa: E402
from collectors.base import CollectContext, SourceConfig  # noqa: E402
from collectors.facebook_export import read_export  # noqa: E402
from collectors.http import HttpClient  # noqa: E402
from demo.graph_emulator import GraphEmulator, serve  # noqa: E402

PAGE = "100200300400"
TEXTS = [
    "На улице Абая {n} третий день нет горячей воды, в акимате не отвечают.",
    "Жол жөндеуі сапасыз жүргізілді, {n} шұңқыр қайта пайда болды.",
    "Подрядчик получил аванс, а работы на объекте {n} так и не начались.",
    "Рахмет, {n}-мектеп жанындағы жарық жөнделді.",
]


def build(posts: int, comments: int, replies: int, now: datetime) -> GraphEmulator:
    """An emulated page: ``posts`` posts over 60 days, each with comments and replies."""
    emu = GraphEmulator(token="bench-token")  # noqa: S106 (a fake token for a local emulator)
    emu.add_page(PAGE, "Демо департамент")
    for p in range(posts):
        created = now - timedelta(hours=p * 60 * 24 / posts)
        post = emu.add_post(PAGE, TEXTS[p % 4].format(n=p), created)
        for c in range(comments):
            top = emu.add_comment(post, TEXTS[(p + c) % 4].format(n=c), created + timedelta(minutes=c + 1))
            if c < replies:
                emu.add_comment(
                    post, "Ответ: " + TEXTS[c % 4].format(n=c), created + timedelta(minutes=c + 2), parent=top
                )
    return emu


def run_once(base: str, state: dict, now: datetime) -> tuple[int, int, float]:
    """One collect() run: (requests, items, seconds)."""
    source = SourceConfig(
        name="bench-fb",
        kind="facebook",
        options={
            "page_id": PAGE,
            "graph_url": base + "/v25.0",
            "token_env": "FB_BENCH_TOKEN",
            "page_size": 100,
        },
    )
    http = HttpClient(min_delay=0, source="bench-fb")
    ctx = CollectContext(source=source, http=http, state=state, last_success=None, now=now)
    start = time.perf_counter()
    items = sum(1 for _ in facebook.collect(ctx))
    return http.stats.requests, items, time.perf_counter() - start


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument("--replies", type=int, default=5)
    parser.add_argument("--csv-rows", type=int, default=50_000)
    args = parser.parse_args()
    os.environ["FB_BENCH_TOKEN"] = "bench-token"  # noqa: S105 (the emulator's fake token)
    now = datetime.now(UTC).replace(microsecond=0)
    emu = build(args.posts, args.comments, args.replies, now)
    total = len(emu.posts) + len(emu.comments)
    print(f"emulated page: {len(emu.posts)} posts, {len(emu.comments)} comments and replies ({total} items)")
    state: dict = {}
    with serve(emu) as base:
        for label in ("first run", "second run (7-day comment window)"):
            requests, items, seconds = run_once(base, state, now + timedelta(minutes=5))
            print(
                f"{label}: {requests} requests, {items} items, {seconds:.2f} s, {items / seconds:,.0f} items/s"
            )
    query = {"limit": ["100"], "fields": [facebook.POST_FIELDS]}
    answer = emu.handle(f"/v25.0/{PAGE}/feed", query, {"Authorization": "Bearer bench-token"}, "http://x")
    body = json.loads(answer[2])
    start = time.perf_counter()
    rounds = 200
    for _ in range(rounds):
        facebook_parse.parse_feed_page(body, source="bench")
    per_second = rounds * len(body["data"]) / (time.perf_counter() - start)
    print(f"parse_feed_page: {per_second:,.0f} posts/s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        lines = ["Дата;Автор;Текст;Ссылка;Тип"]
        for n in range(args.csv_rows):
            when = (now - timedelta(minutes=n)).strftime("%d.%m.%Y %H:%M")
            link = f"https://www.facebook.com/{PAGE}/posts/{n // 10}/?comment_id={n}"
            lines.append(f"{when};Автор {n % 97};{TEXTS[n % 4].format(n=n)};{link};Комментарий")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        start = time.perf_counter()
        count = sum(1 for _ in read_export(path, source="bench", options={}, report=lambda e: None))
        seconds = time.perf_counter() - start
        print(f"import facebook-export (CSV): {count} rows in {seconds:.2f} s, {count / seconds:,.0f} rows/s")


if __name__ == "__main__":
    main()
