"""The current model's flags against reviewers' decisions, per label and language.

The development figures of the model card say how the model did on the shared texts; this says how
it does on the store's own items, as reviewers judged them: of its flags they judged, how many were
right (precision), and how many items it did not flag they said report the label (misses, found by
the second look). Reviewers judge what they are shown, mostly the flags, so the misses are a floor,
not a recall.

Judgements are read as for the training export (``review.training.judgements``) and count only
where they judged the content the current scores are of: an item edited and scored again since is
left out until judged again. A model trained on these decisions (``train --extra-jsonl``) is
scored on its own training rows here, which flatters it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb

from review.queries import LABELS
from review.training import judgements

_SCORED = """
WITH k AS (
    SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS external_id, unnest(?::VARCHAR[]) AS judged
)
SELECT k.source, k.external_id, k.judged, coalesce(c.lang, 'other'), c.labels, c.model_version
FROM k JOIN classifications c
  ON c.source = k.source AND c.external_id = k.external_id AND c.content_hash = k.judged
"""


@dataclass
class Tally:
    """Judged items of one label and language."""

    right: int = 0  # flagged, and reviewers say the item reports the label
    wrong: int = 0  # flagged, and reviewers say it does not
    missed: int = 0  # not flagged, and reviewers say it does
    cleared: int = 0  # not flagged, and reviewers say it does not

    @property
    def flags(self) -> int:
        return self.right + self.wrong

    @property
    def unflagged(self) -> int:
        return self.missed + self.cleared

    @property
    def precision(self) -> float | None:
        return self.right / self.flags if self.flags else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.right, self.flags)


def wilson(hits: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default); (0, 1) when nothing was counted."""
    if total == 0:
        return 0.0, 1.0
    p = hits / total
    centre = p + z * z / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    scale = 1 + z * z / total
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def against_reviewers(
    con: duckdb.DuckDBPyConnection, versions: set[str] | None = None
) -> dict[tuple[str, str], Tally]:
    """(label, language) -> the judged items of that label, by the current scores' flags; in the
    order to show them (labels, then Russian, Kazakh, mixed and the rest). ``versions``, when given,
    gets the model versions those scores came from."""
    kept = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'reviews' AND column_name = 'labels'"
    ).fetchall()[0][0]
    if not kept:
        return {}  # the database predates the decisions' judged labels (the next write adds them)
    judged, _ = judgements(con)
    keys = list(judged)
    tallies: dict[tuple[str, str], Tally] = {}
    rows = con.execute(_SCORED, [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]]).fetchall()
    for source, external_id, content, lang, flags, version in rows:
        if versions is not None:
            versions.add(version)
        for label, (value, _reviewer, _when) in judged[(source, external_id, content)].items():
            tally = tallies.setdefault((label, lang), Tally())
            if label in flags:
                tally.right += value
                tally.wrong += 1 - value
            else:
                tally.missed += value
                tally.cleared += 1 - value
    order = {"ru": 0, "kk": 1, "mixed": 2}
    return {
        k: tallies[k] for k in sorted(tallies, key=lambda k: (LABELS.index(k[0]), order.get(k[1], 3), k[1]))
    }


def quality_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Lines for `status`: per label and language, the flags reviewers judged right and the misses
    they found; none when nothing judged matches the current scores."""
    versions: set[str] = set()
    tallies = against_reviewers(con, versions)
    if not tallies:
        return []
    # the scores' model, named: after a model change and before `reclassify`, they are the old model's
    # (review: status credited the old model's flags to the new one)
    of = ", ".join(sorted(versions))
    lines = [f"the stored scores (model {of}) against reviewers' decisions (95% intervals):"]
    for (label, lang), t in tallies.items():
        parts = []
        if t.flags:
            low, high = t.interval
            parts.append(f"{t.right} of {t.flags} flags right ({t.precision:.0%}; {low:.0%}-{high:.0%})")
        else:
            parts.append("no flag judged")
        if t.unflagged:
            parts.append(f"{t.missed} of {t.unflagged} unflagged items judged report it")
        lines.append(f"  {label} {lang}: {'; '.join(parts)}")
    return lines
