"""Pages per second of our article extraction against trafilatura.extract alone, on the same pages.

Pages: ../shared/corpora/pages (if present), our fixtures (tests/fixtures/portal) and the demo
portal (demo/site/portal). Each extractor runs over every page ``--rounds`` times after one warm-up
round; the figure printed last is the ratio (ours / trafilatura alone; 1.0 = as fast).

    .venv/bin/python bench/bench_extract.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collectors.extract import extract_article  # noqa: E402
from collectors.http import decode_body  # noqa: E402


def load_pages() -> list[tuple[str, str]]:
    """(html, url) of every bench page."""
    folders = [
        ROOT.parent / "shared" / "corpora" / "pages",
        ROOT / "tests" / "fixtures" / "portal",
        ROOT / "demo" / "site" / "portal",
    ]
    pages = []
    for folder in folders:
        for path in sorted(folder.rglob("*.html")):
            html, _ = decode_body(path.read_bytes(), None)
            pages.append((html, f"https://bench.example/{path.name}"))
    return pages


def rate(pages: list[tuple[str, str]], func: Callable[[str, str], object], rounds: int) -> float:
    """Pages per second of ``func`` over ``pages``, ``rounds`` times after a warm-up round."""
    for html, url in pages:
        func(html, url)
    start = time.perf_counter()
    for _ in range(rounds):
        for html, url in pages:
            func(html, url)
    return rounds * len(pages) / (time.perf_counter() - start)


def main() -> int:
    """Print both rates and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import trafilatura

    pages = load_pages()
    now = datetime.now(UTC)
    ours = rate(pages, lambda h, u: extract_article(h, u, now=now), args.rounds)
    alone = rate(
        pages,
        lambda h, u: trafilatura.extract(h, url=u, include_comments=False, with_metadata=True),
        args.rounds,
    )
    print(f"pages: {len(pages)} x {args.rounds} rounds")
    print(f"ours (metadata rules + trafilatura body + comments): {ours:8.1f} pages/s")
    print(f"trafilatura.extract alone (with metadata):           {alone:8.1f} pages/s")
    print(f"ratio ours/trafilatura: {ours / alone:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
