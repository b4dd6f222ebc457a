"""Labelled rows for training and evaluation: ../shared/data, our own examples, reviewer decisions.

The development split is a pure function of each row's group (its file plus its normalised text,
and for the small corruption sets a cluster of near-duplicates: two articles on one trial go to
the same side), so train, evaluate and the quality test all agree on it without storing any text.

Weak labels: some rows carry no label for one of the two labels (null). Where the source makes a
label almost certain (a housing-services appeal is not a corruption report unless a corruption
word appears in it; a random Kazakh news sentence with no keyword is neither), such rows are used
as low-weight negatives for training only, never for evaluation.
"""

from __future__ import annotations

import json
import logging
import random
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from classify.normalise import WITHOUT_KAZAKH_LETTERS, has_kazakh_letter
from errors import InputError

log = logging.getLogger(__name__)

LABELS = ("corruption", "infrastructure")
REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
OWN_DATA = Path(__file__).resolve().parent / "data"

# Share of each file's groups kept out of training (percent), and each file's training weight.
DEV_PERCENT = {
    "appeals_kursk": 20,
    "appeals_spb": 10,
    "reviews_kk": 30,
    "corruption_dev": 40,
    "kazakh_corruption_dev": 40,
    "kazakh_dev": 30,
    "own": 25,
}
WEIGHT = {
    "appeals_kursk": 1.0,
    "appeals_spb": 0.35,
    "reviews_kk": 1.0,
    "corruption_dev": 3.0,
    "kazakh_corruption_dev": 4.0,
    "kazakh_dev": 2.0,
    "own": 2.0,
    "extra": 2.0,
    "weak": 0.4,
}
# The small corruption sets, whose split keeps near-duplicates (two articles on one trial) together.
CLUSTERED = ("corruption_dev", "kazakh_corruption_dev")
NEAR_DUPLICATE = 0.5  # word overlap (Jaccard) from which two texts of CLUSTERED are one group
MAX_REPORTED = 50  # bad lines of a labelled file named one by one; a wrong file (a CSV ...) gets a count
LABEL_VALUES = "0, 1, true, false or null"
EXTRA_LANGS = ("kk", "ru", "mixed", "other")  # classify.lang.LANGS: what the store and its export hold
INFORMAL_WEIGHT = 1.0  # an informal copy's training weight, relative to its row's
SPB_TRAIN_LIMIT = 9000  # St Petersburg appeals used for training (all infrastructure = 1)

CORRUPTION_HINT = re.compile(
    r"взят|откат|корруп|хищен|растрат|мошен|злоупотреб|превышени|полномоч|тендер|госзакуп|подкуп|вымога|"
    r"чиновни|незаконн|украл|воруют|ворует|распил|кумовств|побор|на лапу|"
    r"жемқор|сыбайлас|пара|парақор|ұрла|заңсыз|жымқыр|талан|лауазым|шенеунік|тамыр-таныс|қалтасына|бопса",
    re.IGNORECASE,
)
INFRA_HINT = re.compile(
    r"жол|көше|шұңқыр|асфальт|тротуар|су\b|суы|құбыр|кәріз|канализ|жылу|жылыт|электр|жарық|газ|"
    r"көлік|автобус|аялдама|көпір|қоқыс|лифт|шатыр|үй|жөнде|апат|авария|бұзыл|тозған|тариф|"
    r"дорог|ремонт|вода|свет|отоплен|мусор|остановк|мост|труб|яма",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Row:
    """One labelled text; a label of None means unknown (the row is not used for that label)."""

    id: str
    text: str
    lang: str
    file: str
    labels: dict[str, int | None]
    split: str = "train"
    weak: dict[str, bool] = field(default_factory=dict)
    weight: float = 1.0
    copy_of: str = ""  # an informal copy (informal_copies): the id of the row it was made from
    line: int = 0  # its line in the labelled file (0: made here), for notes that name rows


def _group_key(text: str) -> str:
    return re.sub(r"[\W\d_]+", " ", text.lower()).strip()


def _in_dev(file: str, group: str) -> bool:
    percent = DEV_PERCENT.get(file, 0)
    return zlib.crc32(f"{file}|{group}".encode()) % 100 < percent


def _near_duplicates(a: set[str], b: set[str], threshold: float = NEAR_DUPLICATE) -> bool:
    """Whether two texts' word sets overlap by ``threshold`` or more (Jaccard)."""
    return bool(a and b) and len(a & b) / len(a | b) >= threshold


def _near_duplicate_groups(rows: list[Row], threshold: float = NEAR_DUPLICATE) -> dict[str, str]:
    """Map row id -> group: rows whose word sets overlap by ``threshold`` (Jaccard) share a group."""
    words = [set(_group_key(r.text).split()) for r in rows]
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            if _near_duplicates(words[i], words[j], threshold):
                parent[find(i)] = find(j)
    keys = {}
    for i, row in enumerate(rows):
        root = find(i)
        keys[row.id] = _group_key(rows[root].text)
    return keys


class BadLines(InputError):
    """A labelled file with bad lines, none of it used: ``problems`` holds one "FILE:LINE: what is
    wrong" per bad line (the first MAX_REPORTED of ``count``); the command line prints each."""

    def __init__(self, path: Path, problems: list[str], count: int) -> None:
        shown = f" (the first {len(problems)} shown)" if count > len(problems) else ""
        super().__init__(
            f"{count} bad line{'' if count == 1 else 's'}{shown}; the file was not used: "
            "fix the lines and run again",
            path=str(path),
        )
        self.problems = problems
        self.count = count


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "an array", str: "a string"}.get(type(value), "a number")


def _label_value(name: str, value: Any) -> int | None:
    """A label's value as 1, 0 or None (unknown); ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, bool):  # before int: JSON true/false are Python bools, a kind of int
        return int(value)
    if type(value) is int and value in (0, 1):
        return value
    shown = json.dumps(value, ensure_ascii=False)
    shown = shown if len(shown) <= 40 else shown[:40] + "..."
    raise ValueError(f"label {name} is {shown}; expected {LABEL_VALUES}")


def _parse_row(obj: Any, file: str, number: int) -> Row:
    """One labelled row from a parsed JSON line (``number``: its line, for a row without id);
    ValueError saying what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object with text and labels, got {_json_type(obj)}")
    text = obj.get("text")
    if not isinstance(text, str):
        raise ValueError("no text" if text is None else f"text is {_json_type(text)}, not a string")
    if not text.strip():
        raise ValueError("empty text")
    if "labels" not in obj:
        raise ValueError(f"no labels (an object of {', '.join(LABELS)}, each {LABEL_VALUES})")
    labels = obj["labels"]
    if not isinstance(labels, dict):
        raise ValueError(f"labels is {_json_type(labels)}, not an object of {', '.join(LABELS)}")
    unknown = [name for name in labels if name not in LABELS]
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        plural = "s" if len(unknown) > 1 else ""
        raise ValueError(f"unknown label{plural} {names} (the labels are {', '.join(LABELS)})")
    if not labels:
        raise ValueError(f"labels is empty (the labels are {', '.join(LABELS)})")
    lang = obj.get("lang")
    if lang is not None and not isinstance(lang, str):
        raise ValueError(f"lang is {_json_type(lang)}, not a string")
    return Row(
        id=str(obj.get("id") or f"{file}:{number}"),
        text=text,
        lang=lang or "",
        file=file,
        labels={name: _label_value(name, labels.get(name)) for name in LABELS},
        line=number,
    )


def read_jsonl(path: Path, file: str, check: Callable[[dict[str, Any]], None] | None = None) -> list[Row]:
    """Rows of a labelled JSON-lines file (id, text, labels; lang optional), all or none.

    Every line is checked before any row is used: BadLines names each bad one, so that a file is
    fixed in one pass; a file with no rows is an InputError too. A byte-order mark at the start is
    skipped (as Windows editors write one). ``check``: more rules for each line's object (ValueError).
    """
    rows: list[Row] = []
    problems: list[str] = []
    count = 0
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, 1):
                try:
                    line = raw.decode("utf-8")
                    if number == 1:
                        line = line.removeprefix("\ufeff")
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"invalid JSON ({exc.msg}, column {exc.colno})") from None
                    except RecursionError:  # thousands of nested brackets
                        raise ValueError("invalid JSON (nested too deeply)") from None
                    row = _parse_row(obj, file, number)
                    if check is not None:
                        check(obj)
                    rows.append(row)
                except ValueError as exc:  # UnicodeDecodeError is a ValueError too
                    count += 1
                    reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
                    if len(problems) < MAX_REPORTED:
                        problems.append(str(InputError(reason, path=str(path), line=number)))
    except OSError as exc:
        raise InputError(f"cannot read labelled data: {exc.strerror or exc}", path=str(path)) from exc
    if count:
        raise BadLines(path, problems, count)
    if not rows:
        raise InputError("no labelled rows: the file is empty", path=str(path))
    return rows


def require_known_label(rows: Sequence[Row], path: Path) -> None:
    """InputError unless some row has a known label (a file of nulls teaches and measures nothing)."""
    if not any(value is not None for row in rows for value in row.labels.values()):
        raise InputError(
            f"none of its {len(rows)} rows has a known label (every label is null)", path=str(path)
        )


def _assign_splits(rows: list[Row], file: str, cluster: bool = False) -> None:
    groups = _near_duplicate_groups(rows) if cluster else {r.id: _group_key(r.text) for r in rows}
    for row in rows:
        row.split = "dev" if _in_dev(file, groups[row.id]) else "train"
        row.weight = WEIGHT.get(file, 1.0)


def dev_part(rows: list[Row], file: str) -> list[Row]:
    """The rows of one file that its split keeps out of training (``file`` as in DEV_PERCENT)."""
    _assign_splits(rows, file, cluster=file in CLUSTERED)
    return [r for r in rows if r.split == "dev"]


def load_shared(data_dir: Path = SHARED_DATA) -> list[Row]:
    """All labelled shared rows with their split, plus weak-label training rows."""
    if not data_dir.is_dir():
        raise InputError("shared data directory not found", path=str(data_dir))
    out: list[Row] = []
    labelled_ids: set[str] = set()
    for name in ("appeals_kursk", "reviews_kk", "corruption_dev", "kazakh_corruption_dev", "kazakh_dev"):
        rows = read_jsonl(data_dir / f"{name}.jsonl", name)
        _assign_splits(rows, name, cluster=name in CLUSTERED)
        labelled_ids.update(r.id for r in rows)
        out.extend(rows)
    spb = read_jsonl(data_dir / "appeals_spb.jsonl", "appeals_spb")
    _assign_splits(spb, "appeals_spb")
    train_spb = [r for r in spb if r.split == "train"]
    train_spb.sort(key=lambda r: zlib.crc32(r.id.encode()))
    out.extend([r for r in spb if r.split == "dev"] + train_spb[:SPB_TRAIN_LIMIT])
    out.extend(_weak_rows(out, data_dir, labelled_ids))
    return out


def _weak_rows(rows: list[Row], data_dir: Path, labelled_ids: set[str]) -> Iterator[Row]:
    """Training-only weak labels: null corruption on appeals, unlabelled social posts and Kazakh sentences."""
    for row in rows:
        # Housing/road appeals are not corruption reports unless a corruption word appears.
        if row.split == "train" and row.labels["corruption"] is None and not CORRUPTION_HINT.search(row.text):
            row.labels["corruption"] = 0
            row.weak["corruption"] = True
    for name, file in (("ru_social_hard_negatives", "weak"), ("kazakh_sentences", "weak")):
        path = data_dir / f"{name}.jsonl"
        if not path.exists():
            continue
        for row in read_jsonl(path, file):
            if row.id in labelled_ids or row.labels["corruption"] is not None:
                continue
            row.weight = WEIGHT["weak"]
            row.labels = {
                "corruption": None if CORRUPTION_HINT.search(row.text) else 0,
                "infrastructure": None if INFRA_HINT.search(row.text) else 0,
            }
            row.weak = {k: True for k, v in row.labels.items() if v is not None}
            if any(v is not None for v in row.labels.values()):
                yield row


def informal_copies(rows: Sequence[Row], weight: float = INFORMAL_WEIGHT) -> list[Row]:
    """The Kazakh rows that hold Kazakh letters, again as typed on a Russian keyboard without them.

    Each copy keeps its row's labels, split and file, at ``weight`` times its row's weight. Informal
    Kazakh comments and messages are often typed so («жол жок», «кызмет»); without copies a model
    knows only the spelled words.
    """
    out = []
    for row in rows:
        if row.lang != "kk":
            continue
        text = row.text.translate(WITHOUT_KAZAKH_LETTERS)
        if text == row.text:
            continue
        out.append(
            Row(
                id=row.id,
                text=text,
                lang=row.lang,
                file=row.file,
                labels=dict(row.labels),
                split=row.split,
                weak=dict(row.weak),
                weight=row.weight * weight,
                copy_of=row.id,
            )
        )
    return out


def partly_letterless_copies(rows: Sequence[Row]) -> list[Row]:
    """The Kazakh rows with two or more words holding Kazakh letters, those words retyped without them
    (ә→а, қ→к ..., as ``--letterless``) but for one or two, kept as written: Kazakh typed on a Russian
    keyboard that a phone corrected in places. Which words, and how many (never all), follow from the
    row's id and text: the same every run. The copies keep their rows' labels; the other rows are left out.
    """
    out = []
    for row in rows:
        if row.lang != "kk":
            continue
        lettered = [m.span() for m in re.finditer(r"\w+", row.text) if has_kazakh_letter(m.group())]
        if len(lettered) < 2:
            continue
        draw = random.Random(zlib.crc32(f"{row.id}\x00{row.text}".encode()))
        kept = set(draw.sample(range(len(lettered)), min(draw.choice((1, 2)), len(lettered) - 1)))
        text, end = [], 0
        for i, (start, stop) in enumerate(lettered):
            word = row.text[start:stop]
            text += [row.text[end:start], word if i in kept else word.translate(WITHOUT_KAZAKH_LETTERS)]
            end = stop
        out.append(replace(row, text="".join(text) + row.text[end:], labels=dict(row.labels), copy_of=row.id))
    return out


def load_own(data_dir: Path = OWN_DATA) -> list[Row]:
    """Our own labelled examples (classify/data/*.jsonl), split like the shared files."""
    rows: list[Row] = []
    for path in sorted(data_dir.glob("*.jsonl")):
        rows.extend(read_jsonl(path, "own"))
    _assign_splits(rows, "own")
    return rows


def _check_extra(obj: dict[str, Any]) -> None:
    """The rules an --extra-jsonl line adds: a known ``lang`` (a hand-edited "kz" was read as Russian)
    and a ``copies`` (review/training.py: how many items the row stands for) that is a positive
    whole number. Training reads each row once whatever its copies; the count is checked all the same,
    since a file whose counts are wrong was edited by hand or made by something else."""
    lang = obj.get("lang")
    if lang not in (None, "", *EXTRA_LANGS):
        raise ValueError(
            f"lang is {json.dumps(lang, ensure_ascii=False)[:40]}; expected {', '.join(EXTRA_LANGS)}, "
            "or none (the language is then detected)"
        )
    copies = obj.get("copies", 1)
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
        shown = json.dumps(copies, ensure_ascii=False)[:40]
        raise ValueError(f"copies is {shown}; expected a positive whole number (items the row stands for)")


def load_extra(path: Path) -> list[Row]:
    """Reviewer decisions or other labelled rows (same format); always training rows. An InputError
    if the file is bad anywhere (BadLines: a line as ``read_jsonl`` refuses it, or an unknown lang or
    a bad copies, ``_check_extra``), empty, or has no known label."""
    rows = read_jsonl(path, "extra", _check_extra)
    require_known_label(rows, path)
    for row in rows:
        row.weight = WEIGHT["extra"]
    return rows


def dev_repeats(rows: Sequence[Row], dev: Sequence[Row]) -> list[int]:
    """Indices of the ``rows`` the split would put in one group with a row of ``dev``: the same
    normalised text (``_group_key``) or, for a row of CLUSTERED, words overlapping by NEAR_DUPLICATE
    or more. Training on them would score the development split with its own texts."""
    keys = {_group_key(r.text) for r in dev}
    clustered = [set(_group_key(r.text).split()) for r in dev if r.file in CLUSTERED]
    out = []
    for i, row in enumerate(rows):
        key = _group_key(row.text)
        words = set(key.split())
        if key in keys or any(_near_duplicates(words, other) for other in clustered):
            out.append(i)
    return out


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex (the model card names the files a model was trained on)."""
    import hashlib

    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def opposite_labels(rows: Sequence[Row]) -> list[tuple[Row, Row, str]]:
    """(earlier row, row, label) for each row that gives a text (its split group, ``_group_key``) the
    opposite value of a label that an earlier row of ``rows`` gave it: a file that says yes and no."""
    first: dict[tuple[str, str], Row] = {}
    out = []
    for row in rows:
        key = _group_key(row.text)
        for label, value in row.labels.items():
            if value is not None:
                earlier = first.setdefault((key, label), row)
                if earlier.labels[label] != value:
                    out.append((earlier, row, label))
    return out


def contradictions(rows: Sequence[Row], known: Sequence[Row]) -> list[tuple[Row, Row, str]]:
    """(row, known row, label) for each row of ``rows`` whose label is the opposite of the one a row of
    ``known`` (the shared data, our own examples) gives the same text; weak labels are not known."""
    given: dict[tuple[str, str], Row] = {}
    for row in known:
        key = _group_key(row.text)
        for label, value in row.labels.items():
            if value is not None and not row.weak.get(label):
                given.setdefault((key, label), row)
    out = []
    for row in rows:
        key = _group_key(row.text)
        for label, value in row.labels.items():
            other = given.get((key, label))
            if value is not None and other is not None and other.labels[label] != value:
                out.append((row, other, label))
    return out


SHOWN_CONFLICTS = 5  # rows named in a conflict note; the rest are counted


def conflict_notes(path: Path, rows: Sequence[Row], known: Sequence[Row]) -> list[str]:
    """Notes on an --extra-jsonl file's rows that say yes and no of one text (``opposite_labels``) or
    the opposite of the shared data or our own examples (``contradictions``): counts and the first
    lines. Such rows are still trained on (a reviewer may be right), but a file made by mistake (labels
    swapped, a column shifted) trained a much worse model without a word."""
    notes = []
    opposite = opposite_labels(rows)
    if opposite:
        texts = len({_group_key(row.text) for _, row, _ in opposite})
        shown = [f"lines {a.line} and {b.line} ({label})" for a, b, label in opposite[:SHOWN_CONFLICTS]]
        notes.append(
            f"note: {texts} text{'' if texts == 1 else 's'} of {path} {'is' if texts == 1 else 'are'} "
            "given a label and its opposite by its own rows (both are trained on): "
            + _listed(shown, len(opposite))
        )
    against = contradictions(rows, known)
    if against:
        shown = [
            f"line {row.line}: {label} {row.labels[label]}, {other.file} {other.id} says {other.labels[label]}"
            for row, other, label in against[:SHOWN_CONFLICTS]
        ]
        count = len({row.line for row, _, _ in against})
        notes.append(
            f"note: {count} row{'' if count == 1 else 's'} of {path} give{'s' if count == 1 else ''} a text "
            "the opposite label of the shared data or our own examples for the same text (trained on as "
            "given; check them): " + _listed(shown, len(against))
        )
    return notes


def _listed(shown: list[str], count: int) -> str:
    """The shown items joined, and how many more there are."""
    more = f"; and {count - len(shown)} more" if count > len(shown) else ""
    return "; ".join(shown) + more
