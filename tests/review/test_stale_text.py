"""A decision or a yes / no sent from a page opened before the item's text (or labels) changed is
refused with the text as it is now; pressed again after reading, it is saved."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from collectors.item import Item
from errors import StoreLocked
from review import queries
from review.auth import add_user
from review.queries import record_decision
from review.second_look import record_label_decision
from review.training import decision_rows
from store import classifications
from store.db import reader, writer
from store.items import upsert_items

ITEM = "/item?source=dept-facebook&id=fb-7"
SEEN_TEXT = "Әкімдіктегі шенеунік жер телімін беру үшін пара сұрады."
BRIDGE = "Ауылдағы жалғыз көпір құлап қалды, балалар мектепке бара алмай отыр."


def _hidden(page: str, marker: str) -> dict[str, str]:
    """The hidden fields of the form with ``marker`` in its tag, as a browser sends them."""
    form = page.split(marker)[1].split("</form>")[0]
    return {k: unescape(v) for k, v in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form)}


def _edit(db: Path, source: str, external_id: str, text: str, labels: list[str] | None = None) -> None:
    """The source publishes a new text under the same id; the batch scores it (``labels``) and, for a
    near-duplicate, clusters it again with its copies."""
    with writer(db) as con:
        kind, cluster = con.execute(
            "SELECT kind, cluster_id FROM items WHERE source = ? AND external_id = ?", [source, external_id]
        ).fetchall()[0]
        upsert_items(con, [Item(source=source, kind=kind, external_id=external_id, text=text)])
        con.execute(
            "UPDATE items SET cluster_id = ? WHERE source = ? AND external_id = ?",
            [cluster, source, external_id],
        )
    if labels is not None:
        _rescore(db, source, external_id, labels)


def _rescore(db: Path, source: str, external_id: str, labels: list[str]) -> None:
    """A model's scores for the item's current text (what the batch or `reclassify` writes)."""
    with writer(db) as con:
        content_hash = con.execute(
            "SELECT content_hash FROM items WHERE source = ? AND external_id = ?", [source, external_id]
        ).fetchall()[0][0]
        scores = {label: (0.9 if label in labels else 0.1) for label in ("corruption", "infrastructure")}
        prediction = {"lang": "kk", "scores": scores, "labels": labels}
        classifications.save(con, [(source, external_id, content_hash)], [prediction], model_version="test-2")


def _reviews(db: Path) -> list[tuple]:
    with reader(db) as con:
        return con.execute(
            """SELECT r.external_id, r.reviewer, r.status, r.labels, r.content_hash = i.content_hash
               FROM reviews r JOIN items i USING (source, external_id) ORDER BY r.review_id"""
        ).fetchall()


def test_a_decision_from_a_page_opened_before_an_edit_is_refused_with_the_new_text(
    logged_in: FlaskClient, review_db: Path
) -> None:
    form = _hidden(logged_in.get(ITEM).get_data(as_text=True), 'id="decision"')  # the bribe text, corruption
    _edit(review_db, "dept-facebook", "fb-7", BRIDGE, ["infrastructure"])  # an import of a newer export
    resp = logged_in.post("/item/decide", data={**form, "status": "confirmed", "note": "расталды"})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    refused = page.split('id="decision-refused">')[1].split("</p>")[0]
    assert refused.startswith(
        "Not saved: the text changed since you opened it (edited at the source): read it again"
    )
    assert "the labels changed since you opened it (corruption then, infrastructure now)" in refused
    assert BRIDGE in page and SEEN_TEXT not in page  # the text as it is now, to read
    assert "расталды</textarea>" in page  # what was typed is kept
    assert re.search(r'value="confirmed" id="confirm" class="ok chosen"', page)
    assert _reviews(review_db) == []
    # Having read the new text, the reviewer presses the button again: saved for the text she read.
    again = logged_in.post("/item/decide", data={**_hidden(page, 'id="decision"'), "status": "confirmed"})
    assert again.status_code == 302
    assert _reviews(review_db) == [("fb-7", "aigerim", "confirmed", ["infrastructure"], True)]


def test_a_decision_after_the_item_was_scored_unflagged_is_refused(
    logged_in: FlaskClient, review_db: Path
) -> None:
    form = _hidden(logged_in.get(ITEM).get_data(as_text=True), 'id="decision"')
    _rescore(review_db, "dept-facebook", "fb-7", [])  # same text, a model that no longer flags it
    resp = logged_in.post("/item/decide", data={**form, "status": "confirmed"})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "the labels changed since you opened it (corruption then, none (no longer flagged) now)" in page
    assert "the text changed" not in page
    assert "Item (not flagged)" in page
    assert _reviews(review_db) == []


def test_a_page_opened_before_the_upgrade_is_saved_as_before(logged_in: FlaskClient, review_db: Path) -> None:
    form = _hidden(logged_in.get(ITEM).get_data(as_text=True), 'id="decision"')
    old = {k: v for k, v in form.items() if not k.startswith("shown_")}
    _edit(review_db, "dept-facebook", "fb-7", BRIDGE, ["infrastructure"])
    assert logged_in.post("/item/decide", data={**old, "status": "rejected"}).status_code == 302
    assert _reviews(review_db) == [("fb-7", "aigerim", "rejected", ["infrastructure"], True)]
    # a garbled list of near-duplicates is no error: the item's own text is still compared
    form = _hidden(logged_in.get(ITEM).get_data(as_text=True), 'id="decision"')
    _edit(review_db, "dept-facebook", "fb-7", SEEN_TEXT, ["corruption"])
    garbled = {**form, "shown_duplicates": "[[1, {", "status": "confirmed"}
    assert logged_in.post("/item/decide", data=garbled).status_code == 409


def test_the_same_for_near_duplicates_is_refused_when_a_duplicates_text_changed(
    logged_in: FlaskClient, review_db: Path
) -> None:
    form = _hidden(logged_in.get("/item?source=tg-city&id=501").get_data(as_text=True), 'id="decision"')
    _edit(
        review_db,
        "tg-news",
        "77",
        "В школе №12 родителей больше не заставляют сдавать деньги.",
        ["corruption"],
    )
    resp = logged_in.post("/item/decide", data={**form, "status": "confirmed", "duplicates": "1"})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "the text of its near-duplicate tg-news 77 changed since you opened it" in page
    assert "больше не заставляют" in page  # the duplicate's new text, on the page
    assert _reviews(review_db) == []
    # without the box, the item itself (unchanged) is saved
    assert logged_in.post("/item/decide", data={**form, "status": "confirmed"}).status_code == 302
    assert [r[:3] for r in _reviews(review_db)] == [("501", "aigerim", "confirmed")]


def test_a_newer_decision_and_an_edit_are_both_named(logged_in: FlaskClient, review_db: Path) -> None:
    add_user(review_db, "nurlan", "Нурлан-пароль-2")
    form = _hidden(logged_in.get(ITEM).get_data(as_text=True), 'id="decision"')
    record_decision(review_db, "dept-facebook", "fb-7", status="rejected", reviewer="nurlan")
    _edit(review_db, "dept-facebook", "fb-7", BRIDGE, ["infrastructure"])
    page = logged_in.post("/item/decide", data={**form, "status": "confirmed"}).get_data(as_text=True)
    assert "Not saved: the text changed since you opened it" in page
    assert "Also: nurlan decided this item after this page was opened (rejected" in page
    assert [r[:3] for r in _reviews(review_db)] == [("fb-7", "nurlan", "rejected")]


def test_save_again_after_a_busy_database_keeps_what_the_page_showed(
    logged_in: FlaskClient, review_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = _hidden(logged_in.get(ITEM).get_data(as_text=True), 'id="decision"')
    record = queries.record_decision

    def locked(*args: object, **kwargs: object) -> int:
        raise StoreLocked("another process holds the database lock (waited 10 s)")

    monkeypatch.setattr(queries, "record_decision", locked)
    busy = logged_in.post("/item/decide", data={**form, "status": "confirmed"}).get_data(as_text=True)
    monkeypatch.setattr(queries, "record_decision", record)
    fields = _hidden(busy, 'id="retry"')
    assert fields["shown_hash"] == form["shown_hash"] and fields["shown_labels"] == "corruption"
    _edit(review_db, "dept-facebook", "fb-7", BRIDGE, ["infrastructure"])
    assert logged_in.post("/item/decide", data=fields).status_code == 409
    assert _reviews(review_db) == []


def _answers(db: Path) -> list[tuple]:
    with reader(db) as con:
        return con.execute(
            """SELECT d.external_id, d.label, d.value, d.content_hash = i.content_hash
               FROM label_decisions d JOIN items i USING (source, external_id) ORDER BY d.decision_id"""
        ).fetchall()


def test_a_yes_or_no_on_the_item_page_after_an_edit_is_refused(
    logged_in: FlaskClient, review_db: Path
) -> None:
    form = _hidden(logged_in.get(ITEM).get_data(as_text=True), 'id="judge-infrastructure"')
    _edit(review_db, "dept-facebook", "fb-7", BRIDGE)  # same labels: the text alone is compared
    resp = logged_in.post("/judge", data={**form, "answer": "no"})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "Not saved: the text changed since you opened it (edited at the source): read it again" in page
    assert "press it again to save it for this text" in page and BRIDGE in page
    assert _answers(review_db) == []
    again = logged_in.post("/judge", data={**_hidden(page, 'id="judge-infrastructure"'), "answer": "no"})
    assert again.status_code == 302 and again.headers["Location"] == ITEM
    assert _answers(review_db) == [("fb-7", "infrastructure", False, True)]


def test_a_second_look_answer_after_an_edit_is_refused_and_goes_back_when_saved(
    logged_in: FlaskClient, review_db: Path, now: datetime
) -> None:
    text = "Кітапханада жаңа кітаптар көрмесі ашылды."
    library = Item(
        source="tg-city", kind="post", external_id="700", text=text, published_at=now - timedelta(hours=1)
    )
    with writer(review_db) as con:
        upsert_items(con, [library], now=now)
        prediction = {"lang": "kk", "scores": {"corruption": 0.05, "infrastructure": 0.3}, "labels": []}
        classifications.save(
            con, [("tg-city", "700", library.content_hash)], [prediction], model_version="test-1"
        )
    back = "/second-look?label=infrastructure&floor=0.2&page=1"
    listed = logged_in.get(back).get_data(as_text=True)
    form = _hidden(listed, 'data-source="tg-city" data-id="700"')
    assert form["shown_hash"] == library.content_hash
    _edit(review_db, "tg-city", "700", BRIDGE)
    resp = logged_in.post("/judge", data={**form, "answer": "no"})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "the text changed since you opened it" in page and BRIDGE in page
    assert re.search(r'value="no" class="no chosen" aria-describedby="answer-refused"', page)
    assert _answers(review_db) == []
    again = logged_in.post("/judge", data={**_hidden(page, 'id="judge-infrastructure"'), "answer": "yes"})
    assert again.status_code == 302 and again.headers["Location"] == back
    assert _answers(review_db) == [("700", "infrastructure", True, True)]


def test_the_training_file_names_each_labels_own_decider(review_db: Path) -> None:
    # nurlan rejects the pothole item (flagged infrastructure); aigerim then says it reports corruption
    record_decision(review_db, "city-portal", "a-100", status="rejected", reviewer="nurlan")
    record_label_decision(
        review_db, "city-portal", "a-100", label="corruption", value=True, reviewer="aigerim"
    )
    (row,) = decision_rows(review_db)
    assert row["labels"] == {"corruption": 1, "infrastructure": 0}
    assert row["review_status"] == "rejected"
    assert row["reviewers"] == {"corruption": "aigerim", "infrastructure": "nurlan"}
    assert row["reviewer"] == "aigerim"  # the latest decision's, as before


def _cluster(db: Path, now: datetime, count: int) -> list[str]:
    """``count`` copies of one story on a news site, ids its 292-character links, one cluster; newest first."""
    slug = quote("в-алматы-акимат-требовал-взятку-за-ремонт-дороги")
    ids = [f"https://www.inform.kz/ru/{slug}-{1000 + i}_a{4100000 + i}" for i in range(count)]
    copies = [
        Item(
            source="rss-inform",
            kind="entry",
            external_id=eid,
            text="Акимат требовал взятку за ремонт дороги, пишут читатели.",
            published_at=now - timedelta(minutes=i),
        )
        for i, eid in enumerate(ids)
    ]
    prediction = {
        "lang": "ru",
        "scores": {"corruption": 0.9, "infrastructure": 0.3},
        "labels": ["corruption"],
    }
    with writer(db) as con:
        upsert_items(con, copies, now=now)
        keys = [(c.source, c.external_id, c.content_hash) for c in copies]
        classifications.save(con, keys, [prediction] * count, model_version="test-1", now=now)
        con.execute("UPDATE items SET cluster_id = 'story' WHERE source = 'rss-inform'")
    return ids


def test_a_long_note_for_a_big_cluster_with_long_ids_is_saved_for_the_copies_listed(
    logged_in: FlaskClient, review_db: Path, now: datetime
) -> None:
    ids = _cluster(review_db, now, 102)
    assert len(ids[0]) == 292
    page = logged_in.get("/item", query_string={"source": "rss-inform", "id": ids[0]}).get_data(as_text=True)
    assert "Near-duplicates (100)" in page  # the page lists 100 of the 101 others
    form = _hidden(page, 'id="decision"')
    note = ("Бұл жаңалықты әкімдіктің баспасөз қызметіне жібердім, жауап күтеміз. " * 60)[:4000]
    data = {**form, "status": "forwarded", "forwarded_to": "Әкімдік", "note": note, "duplicates": "1"}
    resp = logged_in.post("/item/decide", data=data)
    assert resp.status_code == 302  # it was 413: the copies' list took 57 KB of the 64 a request may carry
    assert len(form["shown_members"]) + len(form["shown_cluster"]) < 2500  # 22 characters a copy
    with reader(review_db) as con:
        decided = {
            r[0]
            for r in con.execute("SELECT external_id FROM reviews WHERE note = ?", [note.strip()]).fetchall()
        }
    # the item and the 100 copies its page listed; the oldest, which no page showed, is left
    assert decided == set(ids[:101])


def test_a_copy_that_joined_after_the_page_was_opened_is_named_and_decided_once_shown(
    logged_in: FlaskClient, review_db: Path
) -> None:
    form = _hidden(logged_in.get("/item?source=tg-city&id=501").get_data(as_text=True), 'id="decision"')
    other = "Совсем другой текст: в школе №12 всё честно, жалоба ложная."
    with writer(review_db) as con:
        joined = Item(source="tg-leaks", kind="post", external_id="9001", text=other)
        upsert_items(con, [joined])
        con.execute("UPDATE items SET cluster_id = 'tg-city|501' WHERE source = 'tg-leaks'")
    data = {**form, "status": "rejected", "duplicates": "1"}
    resp = logged_in.post("/item/decide", data=data)
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "Not saved: tg-leaks 9001 became one of its near-duplicates since you opened it: read it" in page
    assert other in page
    assert _reviews(review_db) == []
    # Pressed again from the page that shows it: decided with the others.
    again = {**_hidden(page, 'id="decision"'), "status": "rejected", "duplicates": "1"}
    assert logged_in.post("/item/decide", data=again).status_code == 302
    assert sorted(r[0] for r in _reviews(review_db)) == ["501", "77", "9001"]


def test_a_copy_relabelled_or_gone_since_the_page_is_named(logged_in: FlaskClient, review_db: Path) -> None:
    form = _hidden(logged_in.get("/item?source=tg-city&id=501").get_data(as_text=True), 'id="decision"')
    data = {**form, "status": "confirmed", "duplicates": "1"}
    _rescore(review_db, "tg-news", "77", [])
    page = logged_in.post("/item/decide", data=data).get_data(as_text=True)
    assert (
        "Not saved: the labels of its near-duplicate tg-news 77 changed since you opened it "
        "(corruption then, none (no longer flagged) now)"
    ) in page
    with writer(review_db) as con:  # clustered apart by a later run
        con.execute("UPDATE items SET cluster_id = NULL WHERE source = 'tg-news'")
    resp = logged_in.post("/item/decide", data=data)
    assert resp.status_code == 409
    assert "Not saved: 1 of the near-duplicates you saw is no longer among them" in resp.get_data(
        as_text=True
    )
    assert _reviews(review_db) == []


@pytest.mark.parametrize(
    "garbage",
    [
        {"shown_cluster": "[" * 20000},
        {"shown_cluster": "", "shown_members": "{" * 20000},
        {"shown_members": "zz" + "0" * 40},
    ],
)
def test_a_damaged_fingerprint_is_refused_cleanly_and_saved_when_pressed_again(
    logged_in: FlaskClient, review_db: Path, garbage: dict[str, str]
) -> None:
    form = _hidden(logged_in.get("/item?source=tg-city&id=501").get_data(as_text=True), 'id="decision"')
    resp = logged_in.post("/item/decide", data={**form, **garbage, "status": "confirmed", "duplicates": "1"})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "Not saved: " in page and "near-duplicate" in page
    assert _reviews(review_db) == []
    again = {**_hidden(page, 'id="decision"'), "status": "confirmed", "duplicates": "1"}
    assert logged_in.post("/item/decide", data=again).status_code == 302
    assert sorted(r[0] for r in _reviews(review_db)) == ["501", "77"]


def test_a_page_with_the_earlier_list_of_copies_is_saved_as_before(
    logged_in: FlaskClient, review_db: Path
) -> None:
    """A page opened before the fingerprint sends the list (``shown_duplicates``): its item is checked,
    the list, whatever it holds, is not read (``[`` 20,000 times was a RecursionError, a 500)."""
    form = _hidden(logged_in.get("/item?source=tg-city&id=501").get_data(as_text=True), 'id="decision"')
    earlier = {k: v for k, v in form.items() if k not in ("shown_cluster", "shown_members")}
    data = {**earlier, "shown_duplicates": "[" * 20000, "status": "confirmed", "duplicates": "1"}
    assert logged_in.post("/item/decide", data=data).status_code == 302
    assert sorted(r[0] for r in _reviews(review_db)) == ["501", "77"]
