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
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from classify.normalise import WITHOUT_KAZAKH_LETTERS
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


def _group_key(text: str) -> str:
    return re.sub(r"[\W\d_]+", " ", text.lower()).strip()


def _in_dev(file: str, group: str) -> bool:
    percent = DEV_PERCENT.get(file, 0)
    return zlib.crc32(f"{file}|{group}".encode()) % 100 < percent


def _near_duplicate_groups(rows: list[Row], threshold: float = 0.5) -> dict[str, str]:
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
            a, b = words[i], words[j]
            if a and b and len(a & b) / len(a | b) >= threshold:
                parent[find(i)] = find(j)
    keys = {}
    for i, row in enumerate(rows):
        root = find(i)
        keys[row.id] = _group_key(rows[root].text)
    return keys


def read_jsonl(path: Path, file: str) -> Iterator[Row]:
    """Rows of a labelled JSON-lines file (id, text, labels; lang optional)."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read labelled data: {exc.strerror}", path=str(path)) from exc
    with handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                labels = obj.get("labels") or {}
                row = Row(
                    id=str(obj.get("id") or f"{file}:{n}"),
                    text=str(obj["text"]),
                    lang=str(obj.get("lang") or ""),
                    file=file,
                    labels={
                        name: (None if labels.get(name) is None else int(labels[name])) for name in LABELS
                    },
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"bad labelled row ({exc})", path=str(path), line=n) from exc
            yield row


def _assign_splits(rows: list[Row], file: str, cluster: bool = False) -> None:
    groups = _near_duplicate_groups(rows) if cluster else {r.id: _group_key(r.text) for r in rows}
    for row in rows:
        row.split = "dev" if _in_dev(file, groups[row.id]) else "train"
        row.weight = WEIGHT.get(file, 1.0)


def dev_part(rows: list[Row], file: str) -> list[Row]:
    """The rows of one file that its split keeps out of training (``file`` as in DEV_PERCENT)."""
    _assign_splits(rows, file, cluster=file in ("corruption_dev", "kazakh_corruption_dev"))
    return [r for r in rows if r.split == "dev"]


def load_shared(data_dir: Path = SHARED_DATA) -> list[Row]:
    """All labelled shared rows with their split, plus weak-label training rows."""
    if not data_dir.is_dir():
        raise InputError("shared data directory not found", path=str(data_dir))
    out: list[Row] = []
    labelled_ids: set[str] = set()
    for name in ("appeals_kursk", "reviews_kk", "corruption_dev", "kazakh_corruption_dev", "kazakh_dev"):
        rows = list(read_jsonl(data_dir / f"{name}.jsonl", name))
        _assign_splits(rows, name, cluster=name in ("corruption_dev", "kazakh_corruption_dev"))
        labelled_ids.update(r.id for r in rows)
        out.extend(rows)
    spb = list(read_jsonl(data_dir / "appeals_spb.jsonl", "appeals_spb"))
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


def load_own(data_dir: Path = OWN_DATA) -> list[Row]:
    """Our own labelled examples (classify/data/*.jsonl), split like the shared files."""
    rows: list[Row] = []
    for path in sorted(data_dir.glob("*.jsonl")):
        rows.extend(read_jsonl(path, "own"))
    _assign_splits(rows, "own")
    return rows


def load_extra(path: Path) -> list[Row]:
    """Reviewer decisions or other labelled rows (same format); always training rows."""
    rows = list(read_jsonl(path, "extra"))
    for row in rows:
        row.weight = WEIGHT["extra"]
    return rows
