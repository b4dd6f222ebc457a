"""The "N flagged" of a classification pass counts the rows it stored: a row that `save` leaves out (its
item edited while the page was scored, the new text scored by another process) flags nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import batch.stages as stages
from batch.cli import _classify
from collectors.item import Item
from config.sources import Config
from store import classifications
from store.db import reader, writer
from store.items import upsert_items

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
FLAG = {"lang": "ru", "scores": {"corruption": 0.9, "infrastructure": 0.1}, "labels": ["corruption"]}
CALM = {"lang": "ru", "scores": {"corruption": 0.1, "infrastructure": 0.1}, "labels": []}


def _item(external_id: str, text: str) -> Item:
    return Item(source="chat", kind="message", external_id=external_id, text=text, published_at=WHEN)


class _EditedMeanwhile:
    """Flags every text; while it scores, another process edits m1 and stores a score of the new text."""

    version = "v2"

    def __init__(self, db: Path) -> None:
        self.db = db

    def classify(self, texts: list[str]) -> list[dict[str, Any]]:
        with writer(self.db) as con:
            upsert_items(con, [_item("m1", "Исправлено: двор убран")])
            ((new_hash,),) = con.execute("SELECT content_hash FROM items WHERE external_id = 'm1'").fetchall()
            classifications.save(con, [("chat", "m1", new_hash)], [CALM], model_version="v2")
        return [FLAG for _ in texts]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with writer(path) as con:
        upsert_items(con, [_item(f"m{i}", f"Взятка за ремонт двора {i}") for i in range(3)])
    return path


def test_a_row_left_out_as_stale_is_not_counted_flagged(db: Path) -> None:
    result = stages.classify_pending(db, model=_EditedMeanwhile(db))
    assert (result.scored, result.stale, result.flagged) == (2, 1, 2)  # it said 3 flagged
    with reader(db) as con:
        stored = con.execute("SELECT count(*) FROM flagged").fetchone()[0]
    assert stored == result.flagged


def test_the_summary_line_says_the_rows_left_out(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _classify(db, Config(path=None), _EditedMeanwhile(db))
    out = capsys.readouterr().out
    assert "classified 2 items (3 distinct texts) with model v2; 2 flagged;" in out, out
    assert out.rstrip().endswith(
        "; 1 not stored (edited meanwhile, the new text scored by another process)"
    ), out


def test_a_pass_without_stale_rows_counts_every_flag(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    class _Flags:
        version = "v2"

        def classify(self, texts: list[str]) -> list[dict[str, Any]]:
            return [FLAG for _ in texts]

    _classify(db, Config(path=None), _Flags())
    out = capsys.readouterr().out
    assert "classified 3 items (3 distinct texts) with model v2; 3 flagged;" in out
    assert "not stored" not in out
