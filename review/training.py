"""Reviewers' decisions as labelled training rows, in the format of ../shared/data.

A confirmed item says its flagged labels are right (1); a rejected one says they are wrong (0).
Labels the classifier did not flag are not judged by the decision, so they stay null (unknown).
A reviewer's yes or no on one label (the second look at items the model did not flag, or the
label buttons of an item) sets that label too. Per label only the latest decision counts; items
still new or forwarded, with no label judged, give no row.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from review.queries import LABELS
from store.db import reader

_DECISIONS = """
SELECT r.source, r.external_id, r.status, r.reviewer, r.created_at, coalesce(c.labels, []) AS labels
FROM current_reviews r
LEFT JOIN classifications c USING (source, external_id)
WHERE r.status IN ('confirmed', 'rejected')
"""

_ANSWERS = "SELECT source, external_id, label, value, reviewer, created_at FROM current_label_decisions"

_TEXTS = """
SELECT k.source, k.external_id, i.title, i.text, coalesce(c.lang, i.lang) AS lang
FROM (SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS external_id) k
JOIN items i USING (source, external_id)
LEFT JOIN classifications c USING (source, external_id)
"""


def _model_text(title: str | None, text: str | None) -> str:
    # The same text the batch stage gives the classifier: the title first unless the text repeats it.
    return f"{title}\n{text}" if title and title not in (text or "") else (text or "")


def decision_rows(db_path: str | Path) -> list[dict[str, Any]]:
    """Judged items as rows {id, text, lang, labels, source, review_status, reviewer, decided_at}.

    Per label, the later of the item's status decision and a yes or no on that label counts.
    """
    # key -> label -> (value, reviewer, when); key -> status
    judged: dict[tuple[str, str], dict[str, tuple[int, str | None, datetime]]] = {}
    statuses: dict[tuple[str, str], str] = {}
    with reader(db_path) as con:
        for source, external_id, status, reviewer, when, flagged in con.execute(_DECISIONS).fetchall():
            statuses[(source, external_id)] = status
            value = 1 if status == "confirmed" else 0
            judged[(source, external_id)] = {
                label: (value, reviewer, when) for label in LABELS if label in flagged
            }
        for source, external_id, label, value, reviewer, when in con.execute(_ANSWERS).fetchall():
            answers = judged.setdefault((source, external_id), {})
            if label not in answers or when >= answers[label][2]:
                answers[label] = (int(value), reviewer, when)
        keys = [key for key, answers in judged.items() if answers]
        texts = {
            (source, external_id): (title, text, lang)
            for source, external_id, title, text, lang in con.execute(
                _TEXTS, [[k[0] for k in keys], [k[1] for k in keys]]
            ).fetchall()
        }
    rows = []
    for key in sorted(keys, key=lambda k: (max(a[2] for a in judged[k].values()), k)):
        if key not in texts:
            continue  # the item is gone from the store
        title, text, lang = texts[key]
        text = _model_text(title, text)
        if not text.strip():
            continue  # nothing a model can learn from
        answers = judged[key]
        _value, reviewer, when = max(answers.values(), key=lambda a: a[2])
        rows.append(
            {
                "id": f"review:{key[0]}:{key[1]}",
                "text": text,
                "lang": lang,
                "labels": {label: (answers[label][0] if label in answers else None) for label in LABELS},
                "source": "review",
                "review_status": statuses.get(key, "new"),
                "reviewer": reviewer,
                "decided_at": when.isoformat(timespec="seconds"),
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
