"""Reviewers' decisions as labelled rows for training."""

from __future__ import annotations

import json
from pathlib import Path

from testutil import run_cli

from review.queries import record_decision
from review.training import decision_rows


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
