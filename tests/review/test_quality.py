"""The current model's flags against reviewers' decisions, per label and language."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from batch.status import print_status
from collectors.item import Item
from config.sources import Config
from review.app import create_app
from review.quality import Tally, against_reviewers, quality_lines, wilson
from review.queries import record_decision
from review.second_look import record_label_decision
from store import classifications
from store.db import reader, writer
from store.items import upsert_items

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _tallies(db: Path) -> dict[tuple[str, str], Tally]:
    with reader(db) as con:
        return against_reviewers(con)


def test_flags_judged_and_misses_found_are_counted_per_label_and_language(
    review_db: Path, now: datetime
) -> None:
    assert _tallies(review_db) == {}
    earlier = now - timedelta(minutes=5)
    # ru, flagged for both labels: right for both
    record_decision(review_db, "city-portal", "a-100-c1", status="confirmed", reviewer="aigerim")
    # kk, flagged for corruption: a false alarm
    record_decision(review_db, "dept-facebook", "fb-7", status="rejected", reviewer="aigerim")
    # forwarded judges no label
    record_decision(
        review_db, "city-portal", "a-100", status="forwarded", reviewer="aigerim", forwarded_to="акимат"
    )
    # only the latest decision counts: confirmed, then rejected
    record_decision(review_db, "tg-city", "480", status="confirmed", reviewer="aigerim", now=earlier)
    record_decision(review_db, "tg-city", "480", status="rejected", reviewer="nurlan")
    # confirmed, then a later "no" on the label: the answer counts
    record_decision(review_db, "tg-city", "501", status="confirmed", reviewer="aigerim", now=earlier)
    record_label_decision(review_db, "tg-city", "501", label="corruption", value=False, reviewer="nurlan")
    # the second look: kk unflagged, yes (a miss); ru unflagged, no
    record_label_decision(
        review_db, "city-portal", "a-100-c2", label="infrastructure", value=True, reviewer="a"
    )
    record_label_decision(review_db, "tg-city", "505", label="corruption", value=False, reviewer="a")
    assert _tallies(review_db) == {
        ("corruption", "ru"): Tally(right=1, wrong=2, cleared=1),
        ("infrastructure", "ru"): Tally(right=1, wrong=1),
        ("corruption", "kk"): Tally(wrong=1),
        ("infrastructure", "kk"): Tally(missed=1),
    }
    with reader(review_db) as con:
        lines = quality_lines(con)
    assert lines == [
        "the stored scores (model test-1) against reviewers' decisions (95% intervals):",
        "  corruption ru: 1 of 3 flags right (33%; 6%-79%); 0 of 1 unflagged items judged report it",
        "  corruption kk: 0 of 1 flags right (0%; 0%-79%)",
        "  infrastructure ru: 1 of 2 flags right (50%; 9%-91%)",
        "  infrastructure kk: no flag judged; 1 of 1 unflagged items judged report it",
    ]


def test_a_judgement_of_text_edited_and_scored_again_since_is_left_out(
    review_db: Path, now: datetime
) -> None:
    record_decision(review_db, "dept-facebook", "fb-8", status="confirmed", reviewer="aigerim")
    assert _tallies(review_db) == {("corruption", "ru"): Tally(right=1)}
    edited = Item(
        source="dept-facebook", kind="post", external_id="fb-8", text="Текст исправлен: это была шутка."
    )
    with writer(review_db) as con:
        upsert_items(con, [edited], now=now)
        # The scores are still of the judged text.
        assert against_reviewers(con) == {("corruption", "ru"): Tally(right=1)}
        classifications.save(
            con,
            [(edited.source, edited.external_id, edited.content_hash)],
            [{"lang": "ru", "scores": {"corruption": 0.1, "infrastructure": 0.0}, "labels": []}],
            model_version="test-2",
            now=now,
        )
        assert against_reviewers(con) == {}


def test_status_prints_the_figures_once_something_is_judged(
    review_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Config(path=None, settings={}, sources=[])
    print_status(config, review_db)
    assert "against reviewers" not in capsys.readouterr().out
    record_decision(review_db, "dept-facebook", "fb-7", status="confirmed", reviewer="aigerim")
    print_status(config, review_db)
    out = capsys.readouterr().out
    assert "the stored scores (model test-1) against reviewers' decisions (95% intervals):\n" in out
    assert "  corruption kk: 1 of 1 flags right (100%; 21%-100%)\n" in out


def test_the_figures_name_the_model_whose_scores_they_are(review_db: Path, now: datetime) -> None:
    """After a model change and before `reclassify`, the stored scores are the old model's: status
    credited them to the new one (acceptance run of an upgrade)."""
    record_decision(review_db, "dept-facebook", "fb-7", status="confirmed", reviewer="aigerim")
    with writer(review_db) as con:
        key = con.execute(
            "SELECT source, external_id, content_hash FROM items WHERE external_id = 'fb-8'"
        ).fetchall()[0]
        classifications.save(
            con,
            [key],
            [{"lang": "ru", "scores": {"corruption": 0.9, "infrastructure": 0.0}, "labels": ["corruption"]}],
            model_version="test-2",
            now=now,
        )
    record_decision(review_db, "dept-facebook", "fb-8", status="confirmed", reviewer="aigerim")
    with reader(review_db) as con:
        assert quality_lines(con)[0] == (
            "the stored scores (model test-1, test-2) against reviewers' decisions (95% intervals):"
        )


@pytest.mark.parametrize(
    ("hits", "total", "low", "high"),
    # Wilson score intervals at z = 1.96, as tabulated (Newcombe 1998, method 3)
    [
        (0, 0, 0.0, 1.0),
        (5, 10, 0.2366, 0.7634),
        (81, 263, 0.2553, 0.3662),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_interval(hits: int, total: int, low: float, high: float) -> None:
    assert wilson(hits, total) == pytest.approx((low, high), abs=5e-4)


def test_the_page_shows_the_figures_after_decisions_made_on_the_pages(review_db: Path, password: str) -> None:
    client = create_app(review_db, secret_key="test-secret-" + "q" * 32, testing=True).test_client()
    assert client.get("/quality").status_code == 302  # to the login page
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "aigerim", "password": password, "csrf_token": token})
    page = client.get("/quality").get_data(as_text=True)
    assert 'id="nothing"' in page and 'id="quality"' not in page
    token = TOKEN_RE.search(page).group(1)  # the session's, after the login
    decide = {"csrf_token": token, "source": "dept-facebook", "id": "fb-7", "status": "rejected"}
    assert client.post("/item/decide", data=decide).status_code == 302
    answer = {"csrf_token": token, "source": "city-portal", "id": "a-100-c2", "label": "infrastructure"}
    assert client.post("/judge", data={**answer, "answer": "yes"}).status_code == 302
    page = client.get("/quality").get_data(as_text=True)
    rows = re.findall(r'<tr data-label="(\w+)" data-lang="(\w+)">(.*?)</tr>', page, re.S)
    cells = {(label, lang): re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2:] for label, lang, row in rows}
    assert cells == {
        ("corruption", "kk"): ["1", "0", "0% (0–79%)", "0", "0"],
        ("infrastructure", "kk"): ["0", "0", "–", "1", "1"],
    }
    assert '<p class="meta" id="versions">Scores of model test-1.</p>' in page  # the model they are of


def test_a_database_from_before_judged_labels_were_kept_gives_no_figures(review_db: Path) -> None:
    record_decision(review_db, "dept-facebook", "fb-7", status="confirmed", reviewer="aigerim")
    with writer(review_db) as con:
        con.execute("ALTER TABLE reviews DROP COLUMN labels")  # as before store migration 0006
        assert against_reviewers(con) == {}
        assert quality_lines(con) == []
