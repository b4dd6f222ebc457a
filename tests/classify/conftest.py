"""Fixtures of the classifier's tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from classify.dataset import Row


def _write_labelled(path: Path, rows: Iterable[Row]) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": r.id, "text": r.text, "lang": r.lang, "labels": r.labels}, ensure_ascii=False)
            + "\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def write_labelled() -> Callable[[Path, Iterable[Row]], Path]:
    """Writes rows to a file as labelled JSON lines (what `train --extra-jsonl` and `evaluate --data` read)."""
    return _write_labelled
