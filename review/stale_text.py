"""What a decision's page showed of the items it judges (each one's text, by its content hash, and its
labels), carried in the form, and the refusal when the store holds something else by the time the
button is pressed.

A decision keeps the labels and the text the reviewer saw (review/training.py): an item edited at the
source, or scored again, between the page and the button would otherwise be saved with a text and
labels nobody read. "The same for its near-duplicates" decides the near-duplicates the page listed,
checked by a fingerprint; one listed now that the page did not list (joined since) refuses it. Forms
without these fields (a page opened before the upgrade) are not checked.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from errors import InputError
from review.filters import LABELS
from review.render import shown, stale_answer_text, stale_decision_text

# The hidden fields: the item's content hash and labels; its near-duplicates listed on the page as a
# fingerprint (``shown_cluster``, for "the same for its near-duplicates") and one short token each
# (``shown_members``: which ones were listed, to decide those and name what changed). A list of the
# members themselves was 57 KB for 101 items with 292-character URL ids: past the 64 KB a request may
# carry with a long note; these are 64 characters and 22 per member.
SHOWN_FIELDS = ("shown_hash", "shown_labels", "shown_cluster", "shown_members")

Key = tuple[str, str]
# What a page showed of an item: its content hash, and its labels (None: not compared, as for a yes or
# no, which judges the text whatever the model said).
Seen = tuple[str | None, tuple[str, ...] | None]
_TOKEN = re.compile(r"[0-9a-f]{21}")


@dataclass(frozen=True)
class Shown:
    """What a decision form says its page showed: the item's hash and labels (``item``), and of the
    near-duplicates it listed their fingerprint (``cluster``; None: a page older than it, whose
    near-duplicates are not checked) and each one's token by its key's (``members``)."""

    key: Key
    item: Seen
    cluster: str | None = None
    members: Mapping[str, str] = field(default_factory=dict)


class StaleText(InputError):
    """The text (or labels) of an item judged changed after the reviewer's page was shown.

    ``changes``: one dict per item that changed (source, external_id, text: whether the text did,
    labels_shown, labels_now; ``joined``: a near-duplicate the page did not list, ``left``: how many it
    listed are no longer near-duplicates, ``members``: the near-duplicates changed, which unknown);
    ``latest``: a newer decision or answer, when one came as well.
    """

    def __init__(self, changes: list[dict[str, Any]], latest: dict[str, Any] | None = None) -> None:
        first = changes[0]
        what = "the text" if first.get("text") else "the labels"
        if first.get("source") is None:
            what, first = "the near-duplicates", {"source": "", "external_id": ""}
        elif first.get("joined"):
            what = "the near-duplicates"
        super().__init__(
            f"{what} of {first['source']}/{first['external_id']} changed after the page was shown"
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


def fingerprint(state: Mapping[Key, Seen]) -> str:
    """SHA-256 over the sorted (source, id, content hash, labels) of near-duplicates."""
    rows = sorted([s, e, digest, sorted(labels or ())] for (s, e), (digest, labels) in state.items())
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def _key_token(key: Key) -> str:
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode()).hexdigest()[:12]


def _token(key: Key, seen: Seen) -> str:
    """12 hex digits of the key's hash, 8 of the content hash's, 1 for the labels among LABELS (bits)."""
    digest, labels = seen
    text = hashlib.sha256((digest or "").encode()).hexdigest()[:8]
    mask = sum(1 << i for i, label in enumerate(LABELS) if label in (labels or ()))
    return f"{_key_token(key)}{text}{mask:x}"


def decision_fields(state: Mapping[Key, Seen], key: Key, duplicates: Iterable[Key]) -> dict[str, str]:
    """The hidden fields of an item page's decision form: what it shows of the item and its near-duplicates."""
    digest, labels = state.get(key, (None, None))
    listed = {k: state[k] for k in duplicates if k in state}
    return {
        "shown_hash": digest or "",
        "shown_labels": ",".join(labels or ()),
        "shown_cluster": fingerprint(listed),
        "shown_members": " ".join(sorted(_token(k, seen) for k, seen in listed.items())),
    }


def from_form(form: Mapping[str, str], key: Key) -> Shown | None:
    """What a submitted decision form says its page showed; None for a form without it (an older page:
    not checked). A fingerprint that is not one is kept as sent: it matches nothing, so the decision
    on the near-duplicates is refused and the page shown again; what is no token is skipped."""
    if "shown_hash" not in form:
        return None
    labels = form.get("shown_labels")
    item = (form["shown_hash"] or None, None if labels is None else _labels(labels.split(",")))
    if "shown_cluster" not in form:  # a page from before the fingerprint: its near-duplicates unchecked
        return Shown(key, item)
    tokens = _TOKEN.findall(form.get("shown_members", ""))
    return Shown(key, item, form["shown_cluster"][:64], {t[:12]: t[12:] for t in tokens})


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
            found.append(_change(key, text_changed, labels, current_labels))
    return found


def _change(
    key: Key, text: bool, shown_labels: Iterable[str] | None, now: Iterable[str] | None
) -> dict[str, Any]:
    return {
        "source": key[0],
        "external_id": key[1],
        "text": text,
        "labels_shown": None if shown_labels is None else tuple(sorted(shown_labels)),
        "labels_now": tuple(sorted(now or ())),
    }


def listed_members(
    con: duckdb.DuckDBPyConnection, shown: Shown, item: dict[str, Any], members: list[Key]
) -> tuple[list[Key], list[dict[str, Any]]]:
    """Which of the item's near-duplicates (``members``, all of them now) a decision with "the same
    for its near-duplicates" applies to: those its page listed (at most get_thread's 100; the others
    are left to be decided from a page that lists them), and what changed since (texts or labels,
    one listed now that the page did not list: joined, or listed ones gone). Read in the write
    transaction; ``item``: the item's source, external_id, cluster_id."""
    # Here, not at the top: review.item_page imports review.queries, which imports this module.
    from review.item_page import get_thread

    if shown.cluster is None:  # a page older than the fingerprint: as before, all of them unchecked
        return members, []
    by_token = {_key_token(k): k for k in members}
    picked = [k for t, k in by_token.items() if t in shown.members]
    now = current_state(con, picked)
    found = []
    for key in sorted(picked):
        state = now.get(key, (None, ()))
        token = shown.members[_key_token(key)]
        if token != _token(key, state)[12:]:
            labels = tuple(label for i, label in enumerate(LABELS) if int(token[8], 16) >> i & 1)
            text = token[:8] != _token(key, state)[12:20]
            found.append(_change(key, text, labels, [la for la in state[1] or () if la in LABELS]))
    # Listed now, not then: joined since (or moved into the 100 listed); shown again, it is read.
    listing = get_thread(con, {**item, "parent": None})["duplicates"]
    for d in listing:
        if _key_token((d["source"], d["external_id"])) not in shown.members:
            found.append({"source": d["source"], "external_id": d["external_id"], "joined": True})
    if gone := sum(1 for t in shown.members if t not in by_token):
        found.append({"source": None, "external_id": None, "left": gone})
    if not found and fingerprint(now) != shown.cluster:  # a token agrees where the hash does not
        found.append({"source": None, "external_id": None, "members": True})
    return picked, found


_NAMED = 5  # changes named one by one; more are counted


def _what_changed(exc: StaleText, key: Key) -> str:
    parts = []
    for change in exc.changes:
        if change.get("left"):
            n = change["left"]
            parts.append(
                f"{n} of the near-duplicates you saw {'is' if n == 1 else 'are'} no longer among them"
            )
            continue
        if change.get("members"):
            parts.append("its near-duplicates changed since you opened it: read them again")
            continue
        who = f"{shown(change['source'])} {shown(change['external_id'])}"
        if change.get("joined"):
            parts.append(f"{who} became one of its near-duplicates since you opened it: read it")
            continue
        on = "" if (change["source"], change["external_id"]) == key else f" of its near-duplicate {who}"
        if change["text"]:
            parts.append(f"the text{on} changed since you opened it (edited at the source): read it again")
        if change["labels_shown"] is not None and change["labels_shown"] != change["labels_now"]:
            before = ", ".join(change["labels_shown"]) or "none"
            after = ", ".join(change["labels_now"]) or "none (no longer flagged)"
            parts.append(f"the labels{on} changed since you opened it ({before} then, {after} now)")
    if len(parts) > _NAMED + 1:
        parts = [*parts[:_NAMED], f"and {len(parts) - _NAMED} more changes"]
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
