"""What a decision's page showed of the items it judges (each one's text, by its content hash, and its
labels), carried in the form, and the refusal when the store holds something else by the time the
button is pressed.

A decision keeps the labels and the text the reviewer saw (review/training.py): an item edited at the
source, or scored again, between the page and the button would otherwise be saved with a text and
labels nobody read. Forms without these fields (a page opened before the upgrade) are not checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import duckdb

from errors import InputError
from review.render import shown, stale_answer_text, stale_decision_text

# The hidden fields: the item's content hash and labels, and its near-duplicates' ([source, id,
# hash, labels] each; for "the same for its near-duplicates").
SHOWN_FIELDS = ("shown_hash", "shown_labels", "shown_duplicates")

Key = tuple[str, str]
# What a page showed of an item: its content hash, and its labels (None: not compared, as for a yes or
# no, which judges the text whatever the model said).
Seen = tuple[str | None, tuple[str, ...] | None]


class StaleText(InputError):
    """The text (or labels) of an item judged changed after the reviewer's page was shown.

    ``changes``: one dict per item that changed (source, external_id, text: whether the text did,
    labels_shown, labels_now); ``latest``: a newer decision or answer, when one came as well.
    """

    def __init__(self, changes: list[dict[str, Any]], latest: dict[str, Any] | None = None) -> None:
        first = changes[0]
        super().__init__(
            f"{'the text' if first['text'] else 'the labels'} of {first['source']}/{first['external_id']} "
            "changed after the page was shown"
        )
        self.changes = changes
        self.latest = latest


# By source and id each in a list (the pairs are picked out after): a filter the view's scans take,
# where a join on the pairs read all of ``flagged`` (56 ms against 5 for an item and 2 near-duplicates
# among 60,000 items).
_STATE = """
SELECT i.source, i.external_id, i.content_hash, coalesce(f.labels, []::VARCHAR[]) AS labels
FROM items i
LEFT JOIN (
    SELECT source, external_id, labels FROM flagged
    WHERE source IN (SELECT unnest(?::VARCHAR[])) AND external_id IN (SELECT unnest(?::VARCHAR[]))
) f USING (source, external_id)
WHERE i.source IN (SELECT unnest(?::VARCHAR[])) AND i.external_id IN (SELECT unnest(?::VARCHAR[]))
"""


def current_state(con: duckdb.DuckDBPyConnection, keys: Iterable[Key]) -> dict[Key, Seen]:
    """Each item's content hash and labels as a decision saved now would keep them (the ``flagged`` view's)."""
    wanted = set(keys)
    if not wanted:
        return {}
    sources, ids = sorted({k[0] for k in wanted}), sorted({k[1] for k in wanted})
    rows = con.execute(_STATE, [sources, ids, sources, ids]).fetchall()
    return {
        (source, external_id): (digest, tuple(labels))
        for source, external_id, digest, labels in rows
        if (source, external_id) in wanted
    }


def decision_fields(state: Mapping[Key, Seen], key: Key, duplicates: Iterable[Key]) -> dict[str, str]:
    """The hidden fields of an item page's decision form: what it shows of the item and its near-duplicates."""
    digest, labels = state.get(key, (None, None))
    dups = [[s, e, *_pair(state.get((s, e)))] for s, e in duplicates if (s, e) in state]
    return {
        "shown_hash": digest or "",
        "shown_labels": ",".join(labels or ()),
        "shown_duplicates": json.dumps(dups, ensure_ascii=False) if dups else "",
    }


def _pair(seen: Seen | None) -> list[Any]:
    digest, labels = seen or (None, None)
    return [digest, list(labels or ())]


def from_form(form: Mapping[str, str], key: Key) -> dict[Key, Seen] | None:
    """What a submitted decision form says its page showed, by item; None for a form without it (an
    older page: not checked). A garbled near-duplicate list is ignored, the item's own hash still counts."""
    if "shown_hash" not in form:
        return None
    labels = form.get("shown_labels")
    result: dict[Key, Seen] = {
        key: (form["shown_hash"] or None, None if labels is None else _labels(labels.split(",")))
    }
    try:
        dups = json.loads(form.get("shown_duplicates") or "[]")
    except ValueError:
        dups = []
    for entry in dups if isinstance(dups, list) else []:
        if (
            isinstance(entry, list)
            and len(entry) == 4
            and all(isinstance(v, str) for v in entry[:2])
            and isinstance(entry[3], list)
        ):
            digest = entry[2] if isinstance(entry[2], str) else None
            result[(entry[0], entry[1])] = (digest, _labels(str(v) for v in entry[3]))
    return result


def _labels(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({v.strip() for v in values if v.strip()}))


def changes(
    con: duckdb.DuckDBPyConnection, seen: Mapping[Key, Seen], keys: Iterable[Key]
) -> list[dict[str, Any]]:
    """The items among ``keys`` whose text or labels differ from what the page showed (``seen``); items
    the page did not list are not compared. Read in the decision's write transaction."""
    wanted = [k for k in keys if k in seen]
    now = current_state(con, wanted)
    found = []
    for key in wanted:
        digest, labels = seen[key]
        current_digest, current_labels = now.get(key, (None, ()))
        text_changed = digest is not None and digest != current_digest
        labels_changed = labels is not None and labels != tuple(sorted(current_labels or ()))
        if text_changed or labels_changed:
            found.append(
                {
                    "source": key[0],
                    "external_id": key[1],
                    "text": text_changed,
                    "labels_shown": labels,
                    "labels_now": tuple(sorted(current_labels or ())),
                }
            )
    return found


def _what_changed(exc: StaleText, key: Key) -> str:
    parts = []
    for change in exc.changes:
        on = (
            ""
            if (change["source"], change["external_id"]) == key
            else (f" of its near-duplicate {shown(change['source'])} {shown(change['external_id'])}")
        )
        if change["text"]:
            parts.append(f"the text{on} changed since you opened it (edited at the source): read it again")
        if change["labels_shown"] is not None and change["labels_shown"] != change["labels_now"]:
            before = ", ".join(change["labels_shown"]) or "none"
            after = ", ".join(change["labels_now"]) or "none (no longer flagged)"
            parts.append(f"the labels{on} changed since you opened it ({before} then, {after} now)")
    return "; ".join(parts)


def decision_text(exc: StaleText, key: Key, user: str) -> str:
    """Why a decision sent from a page older than the item's text (or labels) was not saved."""
    said = f"Not saved: {_what_changed(exc, key)}; the page below shows it as it is now."
    if exc.latest is not None:  # a newer decision as well: both are said
        return f"{said} Also: {stale_decision_text(exc.latest, user).removeprefix('Not saved: ')}"
    return f"{said} Your decision is kept in the form: press its button again to save it for this text."


def answer_text(exc: StaleText, key: Key, user: str) -> str:
    """Why a yes or no sent from a page older than the item's text was not saved."""
    said = f"Not saved: {_what_changed(exc, key)}; the page below shows it as it is now."
    if exc.latest is not None:
        return f"{said} Also: {stale_answer_text(exc.latest, user).removeprefix('Not saved: ')}"
    return f"{said} Your answer is marked: press it again to save it for this text."
