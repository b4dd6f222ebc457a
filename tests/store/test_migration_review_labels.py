"""Decisions made before store migration 0006 keep what they judged once the store is upgraded.

Their labels, model and content were not kept then; read as "the current ones", a reclassify after
the upgrade changed what an old rejection or confirmation said (migration 0008 fills them once).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from collectors.item import Item
from review.quality import against_reviewers, quality_lines
from review.queries import record_decision
from review.training import decision_rows
from store import classifications, migrations
from store import db as store_db
from store.db import reader, writer
from store.items import upsert_items
from store.migrations import MIGRATIONS

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SOURCE = "portal"
TEXTS = {
    "a": "Третий месяц нет воды в домах на улице Абая, трубы прорвало",
    "b": "Чиновник отчитался о благоустройстве парка, все работы приняты",
    "c": "Ямы на дороге у школы никто не засыпает, машины ломают подвеску",
    "d": "Жители собрались на субботник во дворе",
    "e": "Аким обещал отремонтировать мост к весне",
}


def _upto(name: str) -> list[tuple[str, str]]:
    return MIGRATIONS[: [n for n, _ in MIGRATIONS].index(name) + 1]


def _items(texts: dict[str, str]) -> list[Item]:
    return [Item(source=SOURCE, kind="article", external_id=key, text=text) for key, text in texts.items()]


def _score(con: duckdb.DuckDBPyConnection, flags: dict[str, list[str]], model: str, now: datetime) -> None:
    """A model's scores of the items' current texts (what `reclassify` writes)."""
    hashes = dict(
        con.execute(
            "SELECT external_id, content_hash FROM items WHERE external_id IN ?", [list(flags)]
        ).fetchall()
    )
    keys = [(SOURCE, key, hashes[key]) for key in flags]
    preds = [
        {
            "lang": "ru",
            "scores": {label: 0.9 if label in labels else 0.1 for label in ("corruption", "infrastructure")},
            "labels": labels,
        }
        for labels in flags.values()
    ]
    classifications.save(con, keys, preds, model_version=model, now=now)


def _upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    """This version's code, in a new process."""
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    monkeypatch.setattr(store_db, "_migrated", set())
    monkeypatch.setattr(store_db, "_checked", set())


@pytest.fixture
def old_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store as the code before 0006 left it: decisions and a second-look answer without what they
    judged, and an item edited after it was decided on."""
    db = tmp_path / "old.duckdb"
    monkeypatch.setattr(migrations, "MIGRATIONS", _upto("0005_label_decisions"))
    with writer(db) as con:
        upsert_items(con, _items(TEXTS), now=T0)
        flags = {"a": ["infrastructure"], "b": ["corruption"], "c": ["infrastructure"], "e": []}
        _score(con, flags, "m1", T0)  # d was never scored
        decided = T0 + timedelta(hours=1)
        for key, status in [("a", "confirmed"), ("b", "rejected"), ("c", "confirmed"), ("d", "rejected")]:
            con.execute(
                "INSERT INTO reviews (source, external_id, status, reviewer, created_at) VALUES (?, ?, ?, ?, ?)",
                [SOURCE, key, status, "aigerim", decided],
            )
        con.execute(
            """INSERT INTO label_decisions (source, external_id, label, value, score, model_version, reviewer,
                                            created_at)
               VALUES (?, 'e', 'infrastructure', true, 0.1, 'm1', 'aigerim', ?)""",
            [SOURCE, decided],
        )
        # c and e edited at the source after the decisions, before the upgrade
        edited = {"c": TEXTS["c"] + " (обновлено)", "e": TEXTS["e"] + " (обновлено)"}
        upsert_items(con, _items(edited), now=T0 + timedelta(hours=2))
        assert con.execute("SELECT count(*) FROM item_versions").fetchone()[0] == 2
    return db


def test_old_decisions_keep_what_they_judged_after_a_reclassify(
    old_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with reader(old_store) as con:
        old_hashes = dict(con.execute("SELECT external_id, content_hash FROM item_versions").fetchall())
    _upgrade(monkeypatch)
    before = decision_rows(old_store)  # the first read applies this version's migrations
    with reader(old_store) as con:
        kept = {
            key: (labels, model, judged)
            for key, labels, model, judged in con.execute(
                "SELECT external_id, labels, model_version, content_hash FROM reviews ORDER BY 1"
            ).fetchall()
        }
        current = dict(con.execute("SELECT external_id, content_hash FROM items").fetchall())
        answer = con.execute("SELECT content_hash FROM label_decisions").fetchone()[0]
    assert kept == {
        "a": (["infrastructure"], "m1", current["a"]),
        "b": (["corruption"], "m1", current["b"]),
        # edited after the decision: the text the reviewer saw, not today's
        "c": (["infrastructure"], "m1", old_hashes["c"]),
        # never scored: judged no label
        "d": ([], None, current["d"]),
    }
    assert answer == old_hashes["e"]

    # A new model: a's infrastructure and b's corruption no longer flagged, a and d flagged for
    # corruption; c and e scored on their edited texts.
    with writer(old_store) as con:
        flags = {"a": ["corruption"], "b": [], "c": ["corruption"], "d": ["corruption"], "e": ["corruption"]}
        _score(con, flags, "m2", T0 + timedelta(hours=3))
    after = decision_rows(old_store)
    assert after == before
    rows = {r["id"].split("@")[0]: r for r in after}
    assert {key: row["labels"] for key, row in rows.items()} == {
        "review:portal:a": {"corruption": None, "infrastructure": 1},
        "review:portal:b": {"corruption": 0, "infrastructure": None},
        "review:portal:c": {"corruption": None, "infrastructure": 1},
        "review:portal:e": {"corruption": None, "infrastructure": 1},
    }
    assert rows["review:portal:c"]["text"] == TEXTS["c"]
    assert rows["review:portal:e"]["text"] == TEXTS["e"]

    with reader(old_store) as con:
        # status: m2's flags against what reviewers judged (a's corruption flag was never judged; c
        # and e were judged on texts m2 did not score)
        tallies = {key: vars(t) for key, t in against_reviewers(con).items()}
        lines = quality_lines(con)
        # the confirmed label stays on the list when the new model drops it
        flagged = con.execute(
            "SELECT external_id, labels, reviewer_labels FROM flagged WHERE external_id IN ('a', 'b') ORDER BY 1"
        ).fetchall()
    assert tallies == {
        ("corruption", "ru"): {"right": 0, "wrong": 0, "missed": 0, "cleared": 1},
        ("infrastructure", "ru"): {"right": 0, "wrong": 0, "missed": 1, "cleared": 0},
    }
    assert lines[1:] == [
        "  corruption ru: no flag judged; 0 of 1 unflagged items judged report it",
        "  infrastructure ru: no flag judged; 1 of 1 unflagged items judged report it",
    ]
    assert flagged == [("a", ["corruption", "infrastructure"], ["infrastructure"])]


def test_decisions_that_kept_what_they_judged_are_left_as_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "s.duckdb"
    monkeypatch.setattr(migrations, "MIGRATIONS", _upto("0007_flagged_without_lateral"))
    with writer(db) as con:
        upsert_items(con, _items(TEXTS), now=T0)
        _score(con, {"a": ["infrastructure"], "b": ["corruption"]}, "m1", T0)
    record_decision(db, SOURCE, "a", status="confirmed", reviewer="aigerim", now=T0 + timedelta(hours=1))
    record_decision(db, SOURCE, "b", status="rejected", reviewer="aigerim", now=T0 + timedelta(hours=1))
    record_decision(db, SOURCE, "d", status="rejected", reviewer="aigerim", now=T0 + timedelta(hours=1))
    with writer(db) as con:
        _score(con, {"a": ["corruption"], "b": [], "d": ["corruption"]}, "m2", T0 + timedelta(hours=2))
        kept = con.execute("SELECT * FROM reviews ORDER BY review_id").fetchall()
    _upgrade(monkeypatch)
    with writer(db) as con:
        assert con.execute("SELECT max(name) FROM schema_migrations").fetchone()[0] == MIGRATIONS[-1][0]
        assert con.execute("SELECT * FROM reviews ORDER BY review_id").fetchall() == kept
    assert [(r[2], r[8], r[9]) for r in kept] == [
        ("a", ["infrastructure"], "m1"),
        ("b", ["corruption"], "m1"),
        ("d", [], None),
    ]


def _old_decision(con, key, status, when):
    con.execute(
        "INSERT INTO reviews (source, external_id, status, reviewer, created_at) VALUES (?, ?, ?, ?, ?)",
        [SOURCE, key, status, "aigerim", when],
    )


def test_an_item_edited_and_rescored_since_gives_its_old_text_no_guessed_label(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Confirmed for infrastructure, then edited and scored again (what `run` does): the new text's
    labels are not the old text's (review: the training file said corruption 1 for a pothole text)."""
    db = tmp_path / "old.duckdb"
    monkeypatch.setattr(migrations, "MIGRATIONS", _upto("0004_alerts"))
    with writer(db) as con:
        upsert_items(con, _items({"c": TEXTS["c"]}), now=T0)
        _score(con, {"c": ["infrastructure"]}, "m1", T0)
        _old_decision(con, "c", "confirmed", T0 + timedelta(hours=1))
        upsert_items(
            con, _items({"c": TEXTS["c"] + " Акимат украл деньги на ремонт."}), now=T0 + timedelta(hours=2)
        )
        _score(con, {"c": ["corruption", "infrastructure"]}, "m1", T0 + timedelta(hours=2))  # what `run` does
    _upgrade(monkeypatch)
    rows = {r["text"]: r["labels"] for r in decision_rows(db)}
    # the text the reviewer saw mentions no corruption and nobody judged corruption on it
    assert rows.get(TEXTS["c"], {}).get("corruption") is None, rows


def test_a_rejection_after_a_second_look_yes_takes_the_yes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 0005 store: a yes on a label the model missed flagged the item with it, then it was rejected
    (review: the rejection took nothing back)."""
    db = tmp_path / "old.duckdb"
    monkeypatch.setattr(migrations, "MIGRATIONS", _upto("0005_label_decisions"))
    with writer(db) as con:
        upsert_items(con, _items({"b": TEXTS["b"]}), now=T0)
        _score(con, {"b": []}, "m1", T0)
    with writer(db) as con:  # what 0005's record_label_decision wrote
        con.execute(
            """INSERT INTO label_decisions (source, external_id, label, value, score, model_version, reviewer,
                                            created_at) VALUES (?, 'b', 'corruption', true, 0.4, 'm1', 'aigerim', ?)""",
            [SOURCE, T0 + timedelta(hours=1)],
        )
    with reader(db) as con:
        assert con.execute("SELECT labels FROM flagged").fetchall() == [(["corruption"],)]  # what was shown
    with writer(db) as con:
        _old_decision(con, "b", "rejected", T0 + timedelta(hours=2))
    _upgrade(monkeypatch)
    rows = decision_rows(db)
    # HEAD's record_decision keeps flagged.labels (['corruption']): the rejection takes the yes back
    assert [r["labels"]["corruption"] for r in rows] == [0], rows
