"""How fast the review page and the exports are on a database of realistic size.

Builds a temporary DuckDB file with the real store code (N items, about a third flagged, threads
of comments under articles, some near-duplicate clusters), then prints: the list page and the
item page through Flask's test client (median of repeated requests), one decision, and each export
format over all flagged items, both as `pipeline.py export` writes it and as the page's download
serves it.

    .venv/bin/python bench/bench_review.py [--items 60000]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collectors.item import Item  # noqa: E402
from review.app import create_app  # noqa: E402
from review.auth import add_user, export_token  # noqa: E402
from review.export_stream import export_store  # noqa: E402
from review.queries import Filters  # noqa: E402
from review.second_look import count_unsure  # noqa: E402
from store import classifications  # noqa: E402
from store.db import reader, writer  # noqa: E402
from store.items import upsert_items  # noqa: E402

PHRASES = [
    ("Чиновник акимата требовал взятку за разрешение на строительство", "corruption"),
    ("Әкімдіктегі шенеунік жер телімі үшін пара сұрады", "corruption"),
    ("На улице Абая после ремонта остались ямы вокруг люков", "infrastructure"),
    ("Аялдамада автобус үш күн бойы келмеді, жол бұзылған", "infrastructure"),
    ("Сегодня в парке прошёл праздник для детей", None),
    ("Қалада жаңа кітапхана ашылды", None),
]


def build(path: Path, n: int, seed: int = 7) -> None:
    """Fill ``path`` with ``n`` items and their scores."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    items: list[Item] = []
    preds: list[dict] = []
    for i in range(n):
        text, label = rng.choice(PHRASES)
        is_comment = i % 10 != 0
        parent = f"a{(i // 10) * 10}" if is_comment else None
        items.append(
            Item(
                source=f"src-{i % 5}",
                kind="comment" if is_comment else "article",
                external_id=f"c{i}" if is_comment else f"a{i}",
                parent=parent,
                url=f"https://portal.example.kz/n/{i}",
                author=f"Автор {i % 300}",
                title=None if is_comment else f"Новость {i}",
                text=f"{text} (№{i}, дом {rng.randint(1, 200)})",
                published_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 60)),
            )
        )
        score = rng.uniform(0.6, 0.99)
        # Unflagged scores spread over 0-0.35, so that many items wait for a second look (0.2 and up).
        low = {"corruption": rng.uniform(0.0, 0.35), "infrastructure": rng.uniform(0.0, 0.35)}
        preds.append(
            {
                "lang": "kk" if "ә" in text or "ү" in text else "ru",
                "scores": {"corruption": score if label == "corruption" else low["corruption"],
                           "infrastructure": score if label == "infrastructure" else low["infrastructure"]},
                "labels": [label] if label else [],
                "evidence": {label: text.split()[:2]} if label else {},
            }
        )  # fmt: skip
    with writer(path) as con:
        upsert_items(con, items, now=now)
        keys = [(it.source, it.external_id, it.content_hash) for it in items]
        classifications.save(con, keys, preds, model_version="bench", now=now)
        # Every 50th item starts a cluster of itself and the next two.
        con.execute(
            """UPDATE items SET cluster_id = 'src-0|c' || (CAST(substr(external_id, 2) AS INTEGER) // 50 * 50 + 1)
               WHERE CAST(substr(external_id, 2) AS INTEGER) % 50 IN (1, 2, 3)"""
        )
    add_user(path, "bench", "bench-password")


def median_ms(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Median wall time of ``fn()`` in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=60000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        start = time.perf_counter()
        build(db, args.items)
        print(f"built {args.items} items in {time.perf_counter() - start:.1f} s")
        with reader(db) as con:
            flagged = con.execute("SELECT count(*) FROM flagged").fetchone()[0]
        print(f"flagged items: {flagged}")
        app = create_app(db, secret_key="bench-" + "k" * 40, testing=True)
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"username": "bench", "password": "bench-password", "csrf_token": token})
        for name, url in (
            ("list page, no filter", "/"),
            ("list page, corruption, last 7 days", "/?label=corruption&period=7"),
            ("list page, text search", "/?q=%D0%BB%D1%8E%D0%BA%D0%BE%D0%B2"),
            ("list page, page 20", "/?page=20"),
            ("item page (comment with 9 siblings)", "/item?source=src-1&id=c11"),
            ("second look, corruption", "/second-look?label=corruption"),
            ("second look, infrastructure, kk", "/second-look?label=infrastructure&lang=kk"),
        ):
            assert client.get(url).status_code == 200, url
            print(f"{name}: {median_ms(lambda u=url: client.get(u), args.repeat):.1f} ms median")
        token = (
            client.get("/item?source=src-1&id=c11")
            .get_data(as_text=True)
            .split('name="csrf_token" value="')[1]
        )
        token = token.split('"')[0]
        ms = median_ms(
            lambda: client.post(
                "/item/decide",
                data={"csrf_token": token, "source": "src-1", "id": "c11", "status": "confirmed"},
            ),
            args.repeat,
        )
        print(f"one decision (POST and redirect): {ms:.1f} ms median")
        with reader(db) as con:
            waiting = [count_unsure(con, label)[0] for label in ("corruption", "infrastructure")]
        print(f"waiting for a second look: corruption {waiting[0]}, infrastructure {waiting[1]}")
        ms = median_ms(
            lambda: client.post(
                "/judge",
                data={
                    "csrf_token": token,
                    "source": "src-1",
                    "id": "c11",
                    "label": "corruption",
                    "answer": "no",
                },
            ),
            args.repeat,
        )
        print(f"one answer on the second look (POST and redirect): {ms:.1f} ms median")
        for fmt in ("csv", "xlsx", "json", "parquet"):
            # What `pipeline.py export` does: copy what it reads, let the store go, write a piece at a time.
            timings = []
            for _ in range(3):
                buffer = io.BytesIO()
                start = time.perf_counter()
                rows = export_store(db, Filters(), fmt, buffer)
                timings.append(time.perf_counter() - start)
            seconds = statistics.median(timings)
            with client.session_transaction() as sess:  # the list page's links carry the form token
                token = export_token(sess["csrf"])
            page = median_ms(lambda f=fmt, t=token: client.get(f"/export?format={f}&token={t}"), 3) / 1000
            print(
                f"export {fmt}, {rows} rows after collapsing clusters: command {seconds:.2f} s "
                f"({rows / seconds:,.0f} rows/s, {len(buffer.getvalue()) / 1e6:.1f} MB); "
                f"page download {page:.2f} s (medians of 3)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
