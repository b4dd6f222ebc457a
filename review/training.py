"""Reviewers' decisions as labelled training rows, in the format of ../shared/data.

A confirmed item says its flagged labels are right (1); a rejected one says they are wrong (0).
Labels the classifier did not flag are not judged by the decision, so they stay null (unknown).
A reviewer's yes or no on one label (the second look at items the model did not flag, or the
label buttons of an item) sets that label too. Per label only the latest decision counts; items
still new or forwarded, with no label judged, give no row.

A decision keeps what it judged (the item's labels as the reviewer saw them, and the content
shown): a later model, or the source editing the text, does not change it.

Near-duplicates judged alike (the same story on three portals, decided at once with the item
page's "the same for its near-duplicates", or one comment posted twice) give one row, not one per
copy, or the model would learn that story as if it were several. Copies judged differently keep a
row each; ``copies`` says how many items a row stands for.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from classify.normalise import mask
from review.export import whole_file
from review.queries import LABELS
from store.db import reader

# Per item and content judged, the latest decision. Decisions keep the labels they judged and the
# content shown (store migration 0006); those made before it were given, once, what the store held of
# them (0008), so NULL is left only in a file that could not be brought up to date (read-only): there
# the current labels and text are the best guess, as they were when those decisions were made.
_DECISIONS = """
SELECT r.source, r.external_id, r.status, r.reviewer, r.created_at,
       coalesce(r.labels, c.labels, []) AS labels, coalesce(r.content_hash, i.content_hash) AS judged
FROM reviews r
JOIN items i USING (source, external_id)
LEFT JOIN classifications c USING (source, external_id)
QUALIFY row_number() OVER (
    PARTITION BY r.source, r.external_id, coalesce(r.content_hash, i.content_hash)
    ORDER BY r.created_at DESC, r.review_id DESC) = 1
"""

_ANSWERS = """
SELECT d.source, d.external_id, d.label, d.value, d.reviewer, d.created_at,
       coalesce(d.content_hash, i.content_hash) AS judged
FROM label_decisions d
JOIN items i USING (source, external_id)
QUALIFY row_number() OVER (
    PARTITION BY d.source, d.external_id, d.label, coalesce(d.content_hash, i.content_hash)
    ORDER BY d.created_at DESC, d.decision_id DESC) = 1
"""

# The text each judged content had: the item's current one, else the earlier version with that hash.
_TEXTS = """
WITH k AS (
    SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS external_id, unnest(?::VARCHAR[]) AS judged
)
SELECT k.source, k.external_id, k.judged, coalesce(i.title, v.title), coalesce(i.text, v.text),
       coalesce(c.lang, it.lang), i.content_hash IS NOT NULL AS current, it.cluster_id
FROM k
JOIN items it ON it.source = k.source AND it.external_id = k.external_id
LEFT JOIN items i ON i.source = k.source AND i.external_id = k.external_id AND i.content_hash = k.judged
LEFT JOIN item_versions v ON v.source = k.source AND v.external_id = k.external_id AND v.content_hash = k.judged
LEFT JOIN classifications c ON c.source = k.source AND c.external_id = k.external_id
WHERE i.content_hash IS NOT NULL OR v.content_hash IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY k.source, k.external_id, k.judged ORDER BY v.version DESC) = 1
"""

Key = tuple[str, str, str]  # source, external_id, hash of the content judged


def _model_text(title: str | None, text: str | None) -> str:
    # The same text the batch stage gives the classifier: the title first unless the text repeats it.
    return f"{title}\n{text}" if title and title not in (text or "") else (text or "")


Judged = dict[Key, dict[str, tuple[int, str | None, datetime]]]  # key -> label -> (value, reviewer, when)


def judgements(con: duckdb.DuckDBPyConnection) -> tuple[Judged, dict[Key, str]]:
    """What reviewers said of each item and content judged, per label (the later of the item's
    status decision and a yes or no on that label counts), and the status decisions behind them.
    Confirmed says the labels it judged are right (1), rejected that they are wrong (0); new and
    forwarded judge no label."""
    judged: Judged = {}
    statuses: dict[Key, str] = {}
    for source, external_id, status, reviewer, when, labels, content in con.execute(_DECISIONS).fetchall():
        if status not in ("confirmed", "rejected"):
            continue  # new or forwarded: no label judged
        key = (source, external_id, content)
        statuses[key] = status
        value = 1 if status == "confirmed" else 0
        judged[key] = {label: (value, reviewer, when) for label in LABELS if label in labels}
    for source, external_id, label, value, reviewer, when, content in con.execute(_ANSWERS).fetchall():
        answers = judged.setdefault((source, external_id, content), {})
        if label not in answers or when >= answers[label][2]:
            answers[label] = (int(value), reviewer, when)
    return {key: answers for key, answers in judged.items() if answers}, statuses


def decision_rows(db_path: str | Path) -> list[dict[str, Any]]:
    """Judged items as rows {id, text, lang, labels, source, review_status, reviewer, reviewers,
    decided_at, copies} (review/README.md says what each holds).

    Per label, the later of the item's status decision and a yes or no on that label counts. A
    decision is about the text the reviewer saw: an item edited since gives its earlier text, and one
    judged both before and after an edit gives a row for each text.
    """
    with reader(db_path) as con:
        judged, statuses = judgements(con)
        keys = list(judged)
        texts = {
            (source, external_id, content): (title, text, lang, current, cluster)
            for source, external_id, content, title, text, lang, current, cluster in con.execute(
                _TEXTS, [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]]
            ).fetchall()
        }
    rows: list[dict[str, Any]] = []
    kept: dict[tuple[str, str], dict[str, Any]] = {}  # (cluster or text, labels) -> its row
    # Newest decision last, so that of near-duplicates judged alike the newest one's row stands.
    for key in sorted(keys, key=lambda k: (max(a[2] for a in judged[k].values()), k), reverse=True):
        if key not in texts:
            continue  # the item, or the version judged, is gone from the store
        title, text, lang, current, cluster = texts[key]
        # Phone numbers, e-mail addresses, links and mentions masked as the classifier masks them: the
        # model learns the same from the file, which then carries fewer personal details.
        text = mask(_model_text(title, text))
        if not text.strip():
            continue  # nothing a model can learn from
        answers = judged[key]
        labels = {label: (answers[label][0] if label in answers else None) for label in LABELS}
        said = json.dumps(labels, sort_keys=True)
        # Copies: one cluster, or (a cluster edited apart, items never clustered) the same text.
        copy_of = kept.get((f"cluster:{cluster}", said)) if cluster else None
        copy_of = copy_of or kept.get((f"text:{text}", said))
        if copy_of is not None:
            copy_of["copies"] += 1
            continue
        _value, reviewer, when = max(answers.values(), key=lambda a: a[2])
        row = {
            "id": f"review:{key[0]}:{key[1]}" + ("" if current else f"@{key[2][:12]}"),
            "text": text,
            "lang": lang,
            "labels": labels,
            "source": "review",
            "review_status": statuses.get(key, "new"),
            "reviewer": reviewer,  # the latest decision's, as before; each label's own in reviewers
            # A label's value may come from a yes or no of one reviewer and the status from another's.
            "reviewers": {label: (answers[label][1] if label in answers else None) for label in LABELS},
            "decided_at": when.isoformat(timespec="seconds"),
            "copies": 1,
        }
        if cluster:
            kept[(f"cluster:{cluster}", said)] = row
        kept[(f"text:{text}", said)] = row
        rows.append(row)
    return rows[::-1]  # oldest decision first


def write_jsonl(rows: list[dict[str, Any]], out_path: Path) -> int:
    """Write rows as JSON lines (UTF-8); returns how many. A write that fails (a full disk) leaves an
    earlier file as it was, never a cut one that `train` would take for fewer decisions."""
    with whole_file(out_path, "the training file") as fh:
        for row in rows:
            fh.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    return len(rows)
