"""A classification pass searches the whole store for the items to score once, not once per page of
5,000 (and once more for the empty page that ended it): 22 searches of 0.7 s for 100,000 new items in a
store of a million, 3 for a daily run of 50. What it did besides stays: key order, items stored or
edited during the pass scored (by the next pass), items scored meanwhile not scored twice, scores of
another model version redone by `reclassify`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import batch.stages as stages
from collectors.item import Item
from store import classifications
from store.db import reader, writer
from store.items import upsert_items

WHEN = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PREDICTION = {"lang": "ru", "scores": {"corruption": 0.1, "infrastructure": 0.2}, "labels": []}


def item(n: int, text: str | None = None) -> Item:
    return Item(
        source="chat",
        kind="message",
        external_id=f"m{n:03d}",
        text=text or f"Сообщение {n}: во дворе яма",
        published_at=WHEN,
    )


class Model:
    """Stands in for the classifier; ``on_page(n)`` runs before it scores its n-th page (from 1)."""

    def __init__(self, version: str, on_page: Callable[[int], None] | None = None) -> None:
        self.version = version
        self.pages: list[list[str]] = []
        self.on_page = on_page

    def classify(self, texts: list[str]) -> list[dict[str, Any]]:
        self.pages.append(list(texts))
        if self.on_page is not None:
            self.on_page(len(self.pages))
        return [PREDICTION for _ in texts]


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The searches of the whole store for pending items the code makes (whichever function makes them)."""
    made: list[str] = []
    for name in ("pending", "pending_keys"):
        original = getattr(classifications, name, None)
        if original is None:
            continue

        def spy(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            made.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(classifications, name, spy)
    return made


def scored_store(path: Path, scored: int, new: int) -> None:
    with writer(path) as con:
        upsert_items(con, [item(n) for n in range(scored)])
    stages.classify_pending(path, model=Model("m1"))
    with writer(path) as con:
        upsert_items(con, [item(n) for n in range(scored, scored + new)])


def scores(path: Path) -> dict[str, tuple[str, bool]]:
    """external_id: (model_version, whether the score is of the item's current content)."""
    with reader(path) as con:
        rows = con.execute(
            "SELECT c.external_id, c.model_version, c.content_hash = i.content_hash "
            "FROM classifications c JOIN items i USING (source, external_id)"
        ).fetchall()
    return {ext: (version, current) for ext, version, current in rows}


def test_a_daily_pass_searches_the_store_once(tmp_path: Path, searches: list[str]) -> None:
    db = tmp_path / "d.duckdb"
    scored_store(db, 200, 50)
    searches.clear()
    result = stages.classify_pending(db)  # the shipped model, loaded as a batch does
    assert result.scored == 50
    assert len(searches) == 1  # it was 3: one to see whether to load the model, one page, one empty page
    searches.clear()
    assert stages.classify_pending(db).scored == 0 and len(searches) == 1  # nothing new: one search, no model


def test_a_backlog_is_read_a_page_at_a_time_in_key_order_after_one_search(
    tmp_path: Path, searches: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stages, "PAGE", 4)
    db = tmp_path / "b.duckdb"
    scored_store(db, 5, 13)
    searches.clear()
    model = Model("m1")
    assert stages.classify_pending(db, model=model).scored == 13
    assert len(searches) == 1  # it searched for each of the 4 pages and for a fifth, empty one
    assert [len(page) for page in model.pages] == [4, 4, 4, 1]
    assert [text for page in model.pages for text in page] == [item(n).text for n in range(5, 18)]


def test_items_stored_or_edited_during_a_pass_are_scored_and_none_twice(
    tmp_path: Path, searches: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stages, "PAGE", 4)
    db = tmp_path / "e.duckdb"
    scored_store(db, 0, 12)  # m000..m011 new, three pages

    def meanwhile(page: int) -> None:
        if page != 1:
            return
        with writer(db) as con:  # another process's batch, while page 1 (m000..m003) is scored
            upsert_items(con, [item(1, "m001 исправлено"), item(9, "m009 исправлено"), item(50)])
            row = con.execute(
                "SELECT source, external_id, content_hash FROM items WHERE external_id = 'm010'"
            )
            classifications.save(con, row.fetchall(), [PREDICTION], model_version="m1")

    first = Model("m1", on_page=meanwhile)
    searches.clear()
    result = stages.classify_pending(db, model=first)
    assert len(searches) == 1
    seen = [text for page in first.pages for text in page]
    assert "m009 исправлено" in seen  # edited before its page was read: read as it is now
    assert item(10).text not in seen  # scored meanwhile (by another process): not scored again
    assert result.scored == 11  # m000..m011 but m010; m001 scored as it was read, before the edit
    after = scores(db)
    assert after["m001"] == ("m1", False) and "m050" not in after  # both wait for the next pass
    second = Model("m1")
    searches.clear()
    assert stages.classify_pending(db, model=second).scored == 2 and len(searches) == 1
    assert [text for page in second.pages for text in page] == ["m001 исправлено", item(50).text]
    assert all(current for _, current in scores(db).values()) and len(scores(db)) == 13


def test_reclassify_redoes_the_scores_of_another_model_version_after_one_search(
    tmp_path: Path, searches: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stages, "PAGE", 4)
    db = tmp_path / "v.duckdb"
    scored_store(db, 10, 0)
    with writer(db) as con:
        con.execute("UPDATE classifications SET model_version = 'm2' WHERE external_id IN ('m003', 'm007')")
    searches.clear()
    model = Model("m2")
    assert stages.classify_pending(db, model=model, rescore_all=True).scored == 8
    assert len(searches) == 1
    assert {version for version, _ in scores(db).values()} == {"m2"}
    assert item(3).text not in [text for page in model.pages for text in page]


def test_a_pass_never_writes_an_old_text_s_scores_over_the_score_of_its_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # While `reclassify` scores a page with the file closed, a batch stores an edit of an item of that
    # page and scores the new text: the pass wrote the old text's scores over it, and `flagged` showed
    # the new text with the old labels until a later pass.
    monkeypatch.setattr(stages, "PAGE", 4)
    db = tmp_path / "s.duckdb"
    scored_store(db, 8, 0)
    flag = {"lang": "ru", "scores": {"corruption": 0.9, "infrastructure": 0.0}, "labels": ["corruption"]}
    settled = {"lang": "ru", "scores": {"corruption": 0.01, "infrastructure": 0.0}, "labels": []}

    def meanwhile(page: int) -> None:
        if page != 1:
            return
        with writer(db) as con:  # another process's batch, while page 1 (m000..m003) is scored
            upsert_items(con, [item(2, "Яму во дворе засыпали, спасибо"), item(3, "m003 исправлено")])
            row = con.execute(
                "SELECT source, external_id, content_hash FROM items WHERE external_id = 'm002'"
            )
            assert classifications.save(con, row.fetchall(), [settled], model_version="m2") == 1

    class Flagging(Model):
        def classify(self, texts: list[str]) -> list[dict[str, Any]]:
            super().classify(texts)
            return [flag for _ in texts]

    result = stages.classify_pending(db, model=Flagging("m2", on_page=meanwhile), rescore_all=True)
    assert result.scored == 7  # m002's old text was scored, not saved
    after = scores(db)
    assert after["m002"] == ("m2", True)  # the score of its new text stays
    assert after["m003"] == ("m2", False)  # edited, not scored meanwhile: scored as read, pending again
    with reader(db) as con:
        assert con.execute("SELECT labels FROM flagged WHERE external_id = 'm002'").fetchall() == []
        assert [r[1] for r in classifications.pending(con)] == ["m003"]
