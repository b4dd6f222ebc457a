"""Clustering and classification after collection, in one process or two."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

import batch.stages as stages
from collectors.item import Item
from store.db import reader, writer
from store.items import upsert_items

STORY = (
    "Акимат объявил тендер на ремонт уличного освещения в трёх микрорайонах города. "
    "Победителем стала компания, зарегистрированная за месяц до конкурса, сумма договора превышает миллиард тенге. "
    "Жители спрашивают, почему цена фонаря оказалась вдвое выше рыночной."
)


def items() -> list[Item]:
    when = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    out = [
        Item(source="portal-a", kind="article", external_id="a1", text=STORY, published_at=when),
        Item(
            source="portal-b",
            kind="article",
            external_id="b1",
            text="Усть-Каменогорск. " + STORY + " Подписывайтесь на наш канал.",
            published_at=when,
        ),
        Item(
            source="portal-a",
            kind="comment",
            external_id="a1#c1",
            parent="a1",
            text="Кто принял эту работу? Фонари не горят.",
            published_at=when,
        ),
    ]
    out += [
        Item(
            source="chat",
            kind="message",
            external_id=f"m{i}",
            text=f"Сообщение номер {i}: на улице {i} нет света уже {i} дней",
            published_at=when,
        )
        for i in range(12)
    ]
    return out


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with writer(path) as con:
        upsert_items(con, items())
    return path


def clusters(path: Path) -> dict[str, str]:
    with reader(path) as con:
        return dict(con.execute("SELECT source || '|' || external_id, cluster_id FROM items").fetchall())


def test_two_processes_give_what_one_gives(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    monkeypatch.setattr(stages, "PARALLEL_SIGNATURES", 1)  # force the worker process
    clustered, result = stages.analyse_pending(db)
    assert clustered == 15 and result.scored == 15 and result.model_version
    assert stages.cluster_pending(copy) == 15
    assert clusters(db) == clusters(copy)
    got = clusters(db)
    assert got["portal-b|b1"] == got["portal-a|a1"]  # the republished story joins the original
    assert got["portal-a|a1#c1"] != got["portal-a|a1"]
    assert stages.analyse_pending(db)[0] == 0  # nothing left to sign
