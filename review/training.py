"""Reviewers' decisions as labelled training rows, in the format of ../shared/data.

A confirmed item says its flagged labels are right (1); a rejected one says they are wrong (0).
Labels the classifier did not flag are not judged by the decision, so they stay null (unknown).
Only the latest decision on an item counts; items still new or forwarded give no row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from review.queries import LABELS
from store.db import reader

_SQL = """
SELECT r.source, r.external_id, r.status, r.reviewer, r.created_at,
       i.title, i.text, coalesce(c.lang, i.lang) AS lang, coalesce(c.labels, []) AS labels
FROM current_reviews r
JOIN items i USING (source, external_id)
LEFT JOIN classifications c USING (source, external_id)
WHERE r.status IN ('confirmed', 'rejected')
ORDER BY r.created_at, r.source, r.external_id
"""


def _model_text(title: str | None, text: str | None) -> str:
    # The same text the batch stage gives the classifier: the title first unless the text repeats it.
    return f"{title}\n{text}" if title and title not in (text or "") else (text or "")


def decision_rows(db_path: str | Path) -> list[dict[str, Any]]:
    """Confirmed and rejected items as rows {id, text, lang, labels, source, review_status, reviewer}."""
    with reader(db_path) as con:
        fetched = con.execute(_SQL).fetchall()
    rows = []
    for source, external_id, status, reviewer, decided_at, title, text, lang, flagged in fetched:
        value = 1 if status == "confirmed" else 0
        labels: dict[str, int | None] = {label: (value if label in flagged else None) for label in LABELS}
        text = _model_text(title, text)
        if not text.strip() or all(v is None for v in labels.values()):
            continue  # nothing a model can learn from
        rows.append(
            {
                "id": f"review:{source}:{external_id}",
                "text": text,
                "lang": lang,
                "labels": labels,
                "source": "review",
                "review_status": status,
                "reviewer": reviewer,
                "decided_at": decided_at.isoformat(timespec="seconds"),
            }
        )
    return rows


def write_jsonl(rows: list[dict[str, Any]], out_path: Path) -> int:
    """Write rows as JSON lines (UTF-8); returns how many."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)
