"""Score `pipeline.py extract` against the saved pages with ground truth in ../shared/corpora/pages.

Runs the command on every page listed in ground-truth.json (with the page's original URL) and
prints, per page and overall: body shingle-F1 (as the Zyte article-extraction benchmark computes
it), title and date correctness, author, comment-snippet recall and with/without snippets.

    .venv/bin/python bench/score_extraction.py [--pages DIR] [--in-process] [--json]

The pages are read where they are; nothing is copied into the repository.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAGES = ROOT.parent / "shared" / "corpora" / "pages"
GOALS = {"body_f1": 0.95, "title": 0.90, "date": 0.90, "comments": 0.80}


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """4-token shingles of ``\\w+`` tokens, as a multiset."""
    tokens = re.findall(r"\w+", text or "", flags=re.UNICODE)
    return Counter(tuple(tokens[i : i + n]) for i in range(max(len(tokens) - n + 1, 0)))


def shingle_prf(truth: str, found: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the found text against the truth, per shingle, normalised per page."""
    t, f = shingles(truth), shingles(found)
    if not t and not f:
        return 1.0, 1.0, 1.0
    tp = sum((t & f).values())
    fp = sum((f - t).values())
    fn = sum((t - f).values())
    total = tp + fp + fn
    tp, fp, fn = tp / total, fp / total, fn / total
    precision = tp / (tp + fp) if tp + fp > 0 else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn > 0 else (1.0 if fp == 0 else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def norm_title(text: str | None) -> str:
    """Entity-decoded, NFKC, quotes and dashes unified, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", html.unescape(text or ""))
    text = re.sub(r"[«»“”„]", '"', text)
    text = re.sub(r"[–—]", "-", text)
    return " ".join(text.split())


def norm_snippet(text: str | None) -> str:
    """Whitespace and quotes normalised, lower case (for with/without/comment snippets)."""
    text = unicodedata.normalize("NFKC", html.unescape(text or ""))
    text = re.sub(r"[«»“”„\"'‘’‚]", "'", text)
    return " ".join(text.split()).lower()


def date_matches(published_at: str | None, truth: str) -> bool:
    """Same calendar day, as written or as its UTC instant."""
    if not published_at:
        return False
    if published_at[:10] == truth:
        return True
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(published_at)
    except ValueError:
        return False
    return moment.tzinfo is not None and moment.astimezone(UTC).date().isoformat() == truth


def run_extract(page: Path, url: str, in_process: bool) -> dict[str, Any]:
    """The JSON the extract command prints for one page."""
    if in_process:
        sys.path.insert(0, str(ROOT))
        from collectors.extract import extract_article
        from collectors.http import decode_body

        text, _ = decode_body(page.read_bytes(), None)
        return extract_article(text, url).as_json()
    out = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "extract", str(page), "--url", url],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip()}
    return json.loads(out.stdout)


def score(pages: Path, in_process: bool = False) -> dict[str, Any]:
    """Score every page; return per-page rows and the overall figures."""
    truth = json.loads((pages / "ground-truth.json").read_text(encoding="utf-8"))
    rows: list[dict[str, Any]] = []
    for rec in truth:
        got = run_extract(pages / rec["file"], rec["url"], in_process)
        row: dict[str, Any] = {"id": rec["id"], "error": got.get("error")}
        text = got.get("text") or ""
        if rec.get("body"):
            row["body_f1"] = max(shingle_prf(b, text)[2] for b in rec["body"])
        if rec.get("title"):
            row["title"] = norm_title(got.get("title")) == norm_title(rec["title"])
            row["title_got"] = got.get("title")
        if rec.get("date"):
            row["date"] = date_matches(got.get("published_at"), rec["date"])
            row["date_got"] = got.get("published_at")
        if rec.get("authors"):
            author = (got.get("author") or "").lower()
            row["author"] = all(a.lower() in author for a in rec["authors"])
            row["author_got"] = got.get("author")
        if rec.get("comments"):
            blob = norm_snippet(" ".join(c.get("text") or "" for c in got.get("comments") or []))
            hits = [norm_snippet(s) in blob for s in rec["comments"]]
            row["comments"] = sum(hits) / len(hits)
            row["n_comments"] = len(got.get("comments") or [])
        body = norm_snippet(text)
        if rec.get("with"):
            row["with"] = sum(norm_snippet(s) in body for s in rec["with"]) / len(rec["with"])
        if rec.get("without"):
            row["without"] = sum(norm_snippet(s) not in body for s in rec["without"]) / len(rec["without"])
        rows.append(row)

    def mean(key: str) -> tuple[float | None, int]:
        values = [float(r[key]) for r in rows if key in r]
        return (sum(values) / len(values) if values else None), len(values)

    summary = {
        key: mean(key) for key in ("body_f1", "title", "date", "author", "comments", "with", "without")
    }
    return {"pages": rows, "summary": summary}


def main() -> int:
    """Print the per-page table and the overall figures against the goals."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES, help="folder with ground-truth.json")
    parser.add_argument("--in-process", action="store_true", help="call the extractor directly (faster)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    if not (args.pages / "ground-truth.json").is_file():
        print(f"no ground truth at {args.pages}", file=sys.stderr)
        return 2
    result = score(args.pages, args.in_process)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    for row in result["pages"]:
        shown = {
            k: (round(v, 3) if isinstance(v, float) else v)
            for k, v in row.items()
            if k != "id" and v is not None
        }
        print(f"{row['id']:<40} {json.dumps(shown, ensure_ascii=False)}")
    print()
    ok = True
    for key, (value, count) in result["summary"].items():
        if value is None:
            continue
        goal = GOALS.get(key)
        verdict = "" if goal is None else ("  ok" if value >= goal else f"  BELOW the goal {goal}")
        ok = ok and (goal is None or value >= goal)
        print(f"{key:<10} {value:.3f} over {count} pages{verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
