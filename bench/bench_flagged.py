"""How fast the `flagged` view answers the review list's queries, under each of its definitions.

Builds a DuckDB file with the store's own code (N items, about 8% flagged by the model, reviews on
part of them with their history, second-look answers on some items, confirmed labels a later model
no longer gives, items never scored), then times (median of several runs) what the list page runs
against `flagged` (review/queries.py: counts with filters, a page of 50, a text search, the chart's
counts per day) and `SELECT count(*) FROM flagged`, once with the view as migration 0006 defined it
and once as the latest migration defines it, and checks that both give the same rows.

    PYTHONPATH=. .venv/bin/python bench/bench_flagged.py [--items 200000] [--runs 7] [--db F] [--post-chars N]

With --db, a file built by an earlier run is used again (it is built there when missing). The texts
are short (about 60 characters) unless --post-chars gives posts about N characters and comments a
tenth of that (portal articles run to a few thousand): what the list carries grows with them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collectors.item import Item  # noqa: E402
from review import queries  # noqa: E402
from review.queries import Filters  # noqa: E402
from store import classifications  # noqa: E402
from store.db import writer  # noqa: E402
from store.items import upsert_items  # noqa: E402
from store.migrations import MIGRATIONS, flagged_definition  # noqa: E402

PHRASES = [
    ("Чиновник акимата требовал взятку за разрешение на строительство", ["corruption"]),
    ("Әкімдіктегі шенеунік жер телімі үшін пара сұрады", ["corruption"]),
    ("На улице Абая после ремонта остались ямы вокруг люков", ["infrastructure"]),
    ("Аялдамада автобус үш күн бойы келмеді, жол бұзылған", ["infrastructure"]),
    ("Подрядчик получил деньги за ремонт дороги, а ямы остались", ["corruption", "infrastructure"]),
    ("Сегодня в парке прошёл праздник для детей", []),
    ("Қалада жаңа кітапхана ашылды", []),
    ("В субботу в театре премьера, билеты ещё есть", []),
]
FLAGGED_SHARE = 0.08
STATUSES = ["new", "confirmed", "rejected", "forwarded"]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


FILLER = " Жол жөндеу жұмыстары жүргізілуде, тұрғындар наразы."  # 52 characters


def build(path: Path, n: int, seed: int = 7, post_chars: int = 0) -> None:
    """Fill ``path`` with ``n`` items, their scores, reviews and second-look answers."""
    rng = random.Random(seed)
    flagged_phrases = [p for p in PHRASES if p[1]]
    plain_phrases = [p for p in PHRASES if not p[1]]
    items: list[Item] = []
    labels_of: list[list[str]] = []
    for i in range(n):
        text, labels = rng.choice(flagged_phrases if rng.random() < FLAGGED_SHARE else plain_phrases)
        is_comment = i % 8 != 0
        items.append(
            Item(
                source=f"src-{i % 10}",
                kind="comment" if is_comment else "post",
                external_id=f"c{i}" if is_comment else f"p{i}",
                parent=f"p{i // 8 * 8}" if is_comment else None,
                url=f"https://portal.example.kz/n/{i}",
                author=f"Автор {i % 500}",
                title=None if is_comment else f"Новость {i}",
                text=f"{text} (№{i}, дом {rng.randint(1, 200)})"
                + FILLER * ((post_chars // 10 if is_comment else post_chars) // len(FILLER)),
                # one in a hundred undated: the list falls back to collected_at
                published_at=None
                if i % 100 == 99
                else NOW - timedelta(minutes=rng.randint(0, 180 * 24 * 60)),
            )
        )
        labels_of.append(labels)
    keys, preds = [], []
    for it, labels in zip(items, labels_of, strict=True):
        if rng.random() < 0.03:
            continue  # not scored yet
        scores = {
            label: rng.uniform(0.6, 0.99) if label in labels else rng.uniform(0.0, 0.45)
            for label in ("corruption", "infrastructure")
        }
        keys.append((it.source, it.external_id, it.content_hash))
        preds.append(
            {
                "lang": "kk" if "ә" in it.text or "ү" in it.text else "ru",
                "scores": scores,
                "labels": labels,
                "evidence": {label: it.text.split()[:2] for label in labels},
            }
        )
    reviews: dict[str, list[Any]] = {
        k: []
        for k in (
            "source",
            "external_id",
            "status",
            "forwarded_to",
            "reviewer",
            "note",
            "created_at",
            "labels",
            "model_version",
            "content_hash",
        )
    }
    answers: dict[str, list[Any]] = {
        k: []
        for k in (
            "source",
            "external_id",
            "label",
            "value",
            "score",
            "model_version",
            "reviewer",
            "created_at",
            "content_hash",
        )
    }
    for it, labels in zip(items, labels_of, strict=True):
        # Reviews: 40% of the flagged, one to three decisions each (the latest counts); 0.5% of the
        # others, confirmed with a label an earlier model gave (the model no longer flags them).
        decided = rng.random() < 0.4 if labels else rng.random() < 0.005
        for k in range(rng.randint(1, 3) if decided else 0):
            status = rng.choice(STATUSES) if labels else rng.choice(["confirmed", "forwarded", "new"])
            reviews["source"].append(it.source)
            reviews["external_id"].append(it.external_id)
            reviews["status"].append(status)
            reviews["forwarded_to"].append("прокуратура" if status == "forwarded" else None)
            reviews["reviewer"].append(f"reviewer{rng.randint(1, 5)}")
            reviews["note"].append(None if rng.random() < 0.7 else "проверить")
            reviews["created_at"].append(NOW - timedelta(days=10 - k, minutes=rng.randint(0, 600)))
            reviews["labels"].append(labels or [rng.choice(["corruption", "infrastructure"])])
            reviews["model_version"].append("bench")
            reviews["content_hash"].append(it.content_hash)
        # Second look: 4% of items get one to three answers on a label, yes or no.
        for k in range(rng.randint(1, 3) if rng.random() < 0.04 else 0):
            answers["source"].append(it.source)
            answers["external_id"].append(it.external_id)
            answers["label"].append(rng.choice(["corruption", "infrastructure"]))
            answers["value"].append(rng.random() < 0.4)
            answers["score"].append(rng.uniform(0.2, 0.6))
            answers["model_version"].append("bench")
            answers["reviewer"].append(f"reviewer{rng.randint(1, 5)}")
            answers["created_at"].append(NOW - timedelta(days=5 - k, minutes=rng.randint(0, 600)))
            answers["content_hash"].append(it.content_hash)
    with writer(path) as con:
        upsert_items(con, items, now=NOW)
        classifications.save(con, keys, preds, model_version="bench", now=NOW)
        # Every 40th item starts a near-duplicate cluster of itself and the next two.
        con.execute(
            """UPDATE items SET cluster_id = source || '|' || external_id
               WHERE CAST(substr(external_id, 2) AS INTEGER) % 40 IN (1, 2, 3)"""
        )
        for table, columns in (("reviews", reviews), ("label_decisions", answers)):
            con.register("incoming", pa.table(columns))
            con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM incoming")
            con.unregister("incoming")


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    """Median wall time of ``fn()`` in milliseconds (after one unmeasured run)."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def list_queries(con: duckdb.DuckDBPyConnection) -> list[tuple[str, Callable[[], Any]]]:
    """The review list's queries on `flagged`, as review/queries.py runs them."""
    today = NOW.date()
    month = Filters(since=today - timedelta(days=29), until=today)
    chosen = Filters(label="corruption", min_score=0.7, since=date(2026, 10, 1), status="new")
    search = Filters(query="люков")
    one_item = "SELECT labels FROM flagged WHERE source = ? AND external_id = ?"
    return [
        ("count(*) FROM flagged", lambda: con.execute("SELECT count(*) FROM flagged").fetchall()),
        ("list count, no filter", lambda: queries.count_flagged(con, Filters())),
        ("list page 1 (50), no filter", lambda: queries.select_page(con, Filters(), limit=50)),
        ("list page 20 (50), no filter", lambda: queries.select_page(con, Filters(), limit=50, offset=950)),
        ("list page 200 (50), no filter", lambda: queries.select_page(con, Filters(), limit=50, offset=9950)),
        ("chart per day, last 30 days", lambda: queries.per_day(con, month)),
        ("list count, label+score+date+status", lambda: queries.count_flagged(con, chosen)),
        ("list page, label+score+date+status", lambda: queries.select_page(con, chosen, limit=50)),
        ("list count, text search", lambda: queries.count_flagged(con, search)),
        ("list page, text search", lambda: queries.select_page(con, search, limit=50)),
        # what a decision reads of its item (review.queries.record_decision)
        ("one item by key", lambda: con.execute(one_item, ["src-3", "c1003"]).fetchall()),
    ]


def all_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Every row of the view, in key order (to compare the definitions)."""
    return con.execute("SELECT * FROM flagged ORDER BY source, external_id").fetchall()


def main() -> int:
    """Build, measure under each definition, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--db", type=Path, help="build here (or reuse what is here) instead of a temporary file"
    )
    parser.add_argument(
        "--post-chars", type=int, default=0, metavar="N", help="posts of about N characters (comments N/10)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.duckdb"
        if not db.exists():
            start = time.perf_counter()
            build(db, args.items, post_chars=args.post_chars)
            print(f"built {args.items:,} items in {time.perf_counter() - start:.1f} s: {db}")
        definitions = [("0006_judged_content", flagged_definition("0006_judged_content"))]
        latest = MIGRATIONS[-1][0]
        if latest != definitions[0][0]:
            definitions.append((latest, flagged_definition(latest)))
        with writer(db) as con:
            counts = con.execute(
                """SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM classifications),
                          (SELECT count(*) FROM reviews), (SELECT count(*) FROM label_decisions)"""
            ).fetchone()
            print("items {:,}, scored {:,}, reviews {:,}, second-look answers {:,}".format(*counts))
            results: dict[str, dict[str, float]] = {}
            rows: dict[str, list[tuple[Any, ...]]] = {}
            try:
                for name, select in definitions:
                    con.execute(f"CREATE OR REPLACE VIEW flagged AS {select}")
                    rows[name] = all_rows(con)
                    results[name] = {label: median_ms(fn, args.runs) for label, fn in list_queries(con)}
            finally:
                con.execute(f"CREATE OR REPLACE VIEW flagged AS {definitions[-1][1]}")
        names = [name for name, _ in definitions]
        print(f"flagged rows: {len(rows[names[0]]):,}; medians of {args.runs} runs, ms")
        print(f"{'query':40}" + "".join(f"{name[:4]:>10}" for name in names))
        for label in results[names[0]]:
            print(f"{label:40}" + "".join(f"{results[name][label]:10.1f}" for name in names))
        if len(names) > 1:
            same = rows[names[0]] == rows[names[-1]]
            print(f"rows of {names[0]} and {names[-1]}: {'the same' if same else 'DIFFERENT'}")
            if not same:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
