"""Reviewers' decisions as labelled rows for training."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from testutil import run_cli

from collectors.item import Item
from review.queries import record_decision
from review.second_look import record_label_decision
from review.training import decision_rows
from store import classifications
from store.db import writer
from store.items import upsert_items


def test_decisions_become_labels_of_the_flagged_labels_only(review_db: Path) -> None:
    assert decision_rows(review_db) == []
    record_decision(review_db, "city-portal", "a-100-c1", status="confirmed", reviewer="aigerim")
    record_decision(review_db, "dept-facebook", "fb-7", status="rejected", reviewer="aigerim")
    record_decision(
        review_db, "city-portal", "a-100", status="forwarded", reviewer="aigerim", forwarded_to="акимат"
    )
    record_decision(review_db, "tg-city", "480", status="confirmed", reviewer="aigerim")
    record_decision(
        review_db, "tg-city", "480", status="rejected", reviewer="nurlan", note="не подтвердилось"
    )
    rows = {r["id"]: r for r in decision_rows(review_db)}
    assert set(rows) == {"review:city-portal:a-100-c1", "review:dept-facebook:fb-7", "review:tg-city:480"}
    assert rows["review:city-portal:a-100-c1"]["labels"] == {"corruption": 1, "infrastructure": 1}
    assert rows["review:dept-facebook:fb-7"]["labels"] == {"corruption": 0, "infrastructure": None}
    assert rows["review:dept-facebook:fb-7"]["lang"] == "kk"
    assert rows["review:dept-facebook:fb-7"]["text"].startswith("Әкімдіктегі шенеунік")
    latest = rows["review:tg-city:480"]  # only the latest decision counts
    assert latest["labels"] == {"corruption": 0, "infrastructure": 0}
    assert latest["reviewer"] == "nurlan"


def test_articles_give_title_and_text_like_the_classifier_sees_them(review_db: Path) -> None:
    record_decision(review_db, "city-portal", "a-100", status="confirmed", reviewer="aigerim")
    (row,) = decision_rows(review_db)
    assert row["text"].startswith(
        "Ямы вокруг люков после ремонта на улице Абая\nВ управление поступила жалоба"
    )
    assert row["labels"] == {"corruption": None, "infrastructure": 1}


def test_cli_training_jsonl(review_db: Path, tmp_path: Path) -> None:
    record_decision(review_db, "dept-whatsapp", "wa-3", status="confirmed", reviewer="aigerim")
    out = tmp_path / "decisions.jsonl"
    done = run_cli("export", "--db", str(review_db), "--format", "training-jsonl", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote 1 reviewer-labelled rows to {out}"
    (line,) = out.read_text(encoding="utf-8").splitlines()
    row = json.loads(line)
    assert row["labels"] == {"corruption": None, "infrastructure": 1}
    assert "аялдамада адамдар тұр" in row["text"]
    assert row["lang"] == "mixed"
    # Export's filters would be ignored: they are refused, and nothing is written.
    out.unlink()
    done = run_cli(
        "export", "--db", str(review_db), "--format", "training-jsonl", "--out", str(out),
        "--label", "corruption", "--lang", "kk",
    )  # fmt: skip
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == "error: training-jsonl writes every reviewer decision; it takes no --label, --lang"
    )
    assert not out.exists()


def _rescore(
    db: Path, source: str, external_id: str, labels: list[str], model_version: str = "test-2"
) -> None:
    """A later model's scores for one item (what `reclassify` writes)."""
    with writer(db) as con:
        content_hash, lang = con.execute(
            "SELECT content_hash, lang FROM items WHERE source = ? AND external_id = ?", [source, external_id]
        ).fetchall()[0]
        scores = {label: (0.9 if label in labels else 0.1) for label in ("corruption", "infrastructure")}
        prediction = {"lang": lang, "scores": scores, "labels": labels}
        classifications.save(
            con, [(source, external_id, content_hash)], [prediction], model_version=model_version
        )


def _edit(db: Path, source: str, external_id: str, text: str) -> None:
    """The source publishes a new text under the same id (the store keeps the old one as a version)."""
    with writer(db) as con:
        kind, parent, url = con.execute(
            "SELECT kind, parent, url FROM items WHERE source = ? AND external_id = ?", [source, external_id]
        ).fetchall()[0]
        upsert_items(
            con, [Item(source=source, kind=kind, external_id=external_id, text=text, parent=parent, url=url)]
        )


def test_a_later_model_does_not_change_what_reviewers_judged(review_db: Path) -> None:
    record_decision(review_db, "dept-facebook", "fb-7", status="rejected", reviewer="aigerim")
    record_decision(review_db, "city-portal", "a-100-c1", status="confirmed", reviewer="aigerim")
    before = decision_rows(review_db)
    # The next model no longer flags the rejected false alarm, and flags other labels on the other.
    _rescore(review_db, "dept-facebook", "fb-7", [])
    _rescore(review_db, "city-portal", "a-100-c1", ["infrastructure"])
    assert decision_rows(review_db) == before
    rows = {r["id"]: r["labels"] for r in before}
    assert rows["review:dept-facebook:fb-7"] == {"corruption": 0, "infrastructure": None}
    assert rows["review:city-portal:a-100-c1"] == {"corruption": 1, "infrastructure": 1}


def test_rejecting_a_label_a_reviewer_added_takes_it_back(review_db: Path) -> None:
    record_label_decision(
        review_db, "dept-whatsapp", "wa-3", label="corruption", value=True, reviewer="aigerim"
    )
    record_decision(review_db, "dept-whatsapp", "wa-3", status="rejected", reviewer="nurlan")
    (row,) = decision_rows(review_db)
    assert row["labels"] == {"corruption": 0, "infrastructure": 0}
    assert row["review_status"] == "rejected"


def test_a_decision_stays_with_the_text_the_reviewer_saw(review_db: Path) -> None:
    record_decision(review_db, "dept-facebook", "fb-7", status="confirmed", reviewer="aigerim")
    _edit(review_db, "dept-facebook", "fb-7", "Түзету: ақпарат расталмады, шенеунік ешкімнен ақша алмаған.")
    (row,) = decision_rows(review_db)
    assert row["text"].startswith("Әкімдіктегі шенеунік жер телімін беру үшін пара сұрады.")
    assert row["labels"] == {"corruption": 1, "infrastructure": None}
    assert row["id"].startswith("review:dept-facebook:fb-7@")
    # Judged again after the edit: a row for each text, each with its own decision.
    _rescore(review_db, "dept-facebook", "fb-7", ["corruption"])
    record_decision(review_db, "dept-facebook", "fb-7", status="rejected", reviewer="nurlan")
    rows = {r["id"]: r for r in decision_rows(review_db)}
    assert rows.pop("review:dept-facebook:fb-7")["text"].startswith("Түзету: ақпарат расталмады")
    (old,) = rows.values()
    assert old["text"].startswith("Әкімдіктегі") and old["labels"]["corruption"] == 1


def test_personal_details_are_masked_as_the_classifier_masks_them(review_db: Path) -> None:
    text = "Яма у дома, звоните 8 701 123 45 67 или пишите ivan.petrov@mail.kz, фото https://x.kz/p/1 @ivan"
    _edit(review_db, "dept-whatsapp", "wa-3", text)
    _rescore(review_db, "dept-whatsapp", "wa-3", ["infrastructure"])
    record_decision(review_db, "dept-whatsapp", "wa-3", status="confirmed", reviewer="aigerim")
    (row,) = decision_rows(review_db)
    assert row["text"] == "Яма у дома, звоните [phone] или пишите [email], фото [url] [user]"


def test_near_duplicates_judged_alike_give_one_row(review_db: Path) -> None:
    # Confirming the channel's post with its copy on the news channel (one cluster; the item page's
    # "the same for its near-duplicates"): one story is one training row, not one per copy.
    record_decision(review_db, "tg-city", "501", status="confirmed", reviewer="aigerim", with_duplicates=True)
    (row,) = decision_rows(review_db)
    assert row["labels"] == {"corruption": 1, "infrastructure": None}
    assert row["copies"] == 2
    assert "родителей заставляют сдавать" in row["text"]
    # a copy judged otherwise is a row of its own; the other copy still stands for itself only
    record_decision(review_db, "tg-news", "77", status="rejected", reviewer="nurlan", with_duplicates=False)
    rows = {r["id"]: r for r in decision_rows(review_db)}
    assert rows.keys() == {"review:tg-city:501", "review:tg-news:77"}
    assert rows["review:tg-news:77"]["labels"] == {"corruption": 0, "infrastructure": None}
    assert [r["copies"] for r in rows.values()] == [1, 1]


def test_the_same_text_judged_alike_in_two_places_gives_one_row(review_db: Path, now: datetime) -> None:
    comment = "Опять нет света во всём микрорайоне, третий день сидим в темноте."
    items = [
        Item(
            source="tg-city",
            kind="comment",
            external_id=f"c{n}",
            text=comment,
            parent="480",
            published_at=now,
        )
        for n in (1, 2)
    ]
    pred = {
        "lang": "ru",
        "scores": {"corruption": 0.05, "infrastructure": 0.93},
        "labels": ["infrastructure"],
    }
    with writer(review_db) as con:
        upsert_items(con, items, now=now)
        keys = [(i.source, i.external_id, i.content_hash) for i in items]
        classifications.save(con, keys, [pred, pred], model_version="test-1", now=now)
    for n in (1, 2):
        record_decision(review_db, "tg-city", f"c{n}", status="confirmed", reviewer="aigerim")
    rows = [r for r in decision_rows(review_db) if r["text"] == comment]
    assert len(rows) == 1 and rows[0]["copies"] == 2
