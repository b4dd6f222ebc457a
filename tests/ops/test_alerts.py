"""Alert digests: one message per batch and channel, each item and source incident announced once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opskit import POSTS, FeedServer, KeywordModel, SmtpSink

from batch.runner import run_source
from batch.stages import classify_pending
from config.sources import Config, parse_config
from ops.alerts import Digest, FlaggedItem, deliver
from store.db import reader, writer
from store.runs import RunRecord, SourceState, finish_run, save_state, start_run

FLAGGED = {p["id"] for p in POSTS if p["labels"]}
CORRUPTION = {p["id"] for p in POSTS if "corruption" in p["labels"]}
INFRASTRUCTURE = {p["id"] for p in POSTS if "infrastructure" in p["labels"]}
NEUTRAL_TEXTS = [p["text"] for p in POSTS if not p["labels"]]


def config_for(server: FeedServer, alerts: dict[str, Any], path: str = "/full/city.xml") -> Config:
    return parse_config(
        {
            "settings": {"min_delay": 0.0, "retries": 0, "respect_robots": False},
            "sources": [{"name": "city", "kind": "rss", "url": server.base + path}],
            "alerts": alerts,
        }
    )


def collect_and_classify(config: Config, db: Path) -> None:
    run = run_source(config.sources[0], config, db)
    assert run.status == "ok", run.error
    classify_pending(db, model=KeywordModel())


def ids(payload: dict[str, Any]) -> set[str]:
    return {item["external_id"].removeprefix("city-") for item in payload["items"]}


def test_webhook_digest_lists_each_flagged_item_once(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        config = config_for(server, {"webhook_url": server.base + "/hook"})
        collect_and_classify(config, db)
        first = deliver(db, config.alerts, batch="b1")
        second = deliver(db, config.alerts, batch="b2")
        hooks = list(server.hooks)
    assert first.sent == {"webhook": len(FLAGGED)} and first.failed == {}
    assert second.sent == {} and second.failed == {}  # nothing new: no message at all
    assert len(hooks) == 1
    payload = hooks[0]
    assert payload["type"] == "monitor.digest" and payload["batch"] == "b1"
    assert payload["flagged_total"] == 12 and ids(payload) == FLAGGED
    assert payload["summary"] == "[monitor] 12 new flagged items"
    first_item = payload["items"][0]
    assert first_item["scores"]["corruption"] == 0.9 and "corruption" in first_item["labels"]
    body = str(payload)
    for text in NEUTRAL_TEXTS:
        assert text[:30] not in body


def test_min_score_labels_and_max_items(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        config = config_for(server, {"webhook_url": server.base + "/hook", "min_score": 0.85, "max_items": 3})
        collect_and_classify(config, db)
        deliver(db, config.alerts, batch="b1")
        infra_only = {"webhook_url": server.base + "/hook", "labels": ["infrastructure"]}
        with writer(db) as con:
            con.execute("DELETE FROM alerts_sent")
        deliver(db, infra_only, batch="b2")
        hooks = list(server.hooks)
    assert hooks[0]["flagged_total"] == len(CORRUPTION) == 6  # only corruption scores 0.9 >= 0.85
    assert len(hooks[0]["items"]) == 3 and ids(hooks[0]) <= CORRUPTION
    assert hooks[1]["flagged_total"] == len(INFRASTRUCTURE) == 7 and ids(hooks[1]) == INFRASTRUCTURE
    assert all(item["labels"] == ["infrastructure"] for item in hooks[1]["items"])


def test_failed_webhook_is_logged_without_secrets_and_retried_next_batch(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer(hook_failures=1) as server:
        secret_url = server.base + "/hook/T000-SECRET-PATH?token=s3cr3t-value"
        monkeypatch.setenv("MONITOR_TEST_HOOK", secret_url)
        config = config_for(server, {"webhook_url_env": "MONITOR_TEST_HOOK"})
        collect_and_classify(config, db)
        with caplog.at_level(logging.INFO):
            failed = deliver(db, config.alerts, batch="b1")
            retried = deliver(db, config.alerts, batch="b2")
            third = deliver(db, config.alerts, batch="b3")
        hooks = list(server.hooks)
    assert failed.failed == {"webhook": "webhook at 127.0.0.1 answered HTTP 500"} and failed.sent == {}
    assert retried.sent == {"webhook": 12} and third.sent == {}
    assert len(hooks) == 1 and hooks[0]["batch"] == "b2" and ids(hooks[0]) == FLAGGED
    assert "kept for the next batch" in caplog.text
    assert "SECRET-PATH" not in caplog.text and "s3cr3t" not in caplog.text


def test_unreachable_webhook_never_raises_and_hides_its_url(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        config = config_for(server, {})
        collect_and_classify(config, db)
    from opskit import free_port

    dead = f"http://127.0.0.1:{free_port()}/hooks/SECRET-PATH?key=abc123"
    with caplog.at_level(logging.INFO):
        report = deliver(db, {"webhook_url": dead}, batch="b1")
    assert "webhook" in report.failed
    assert "SECRET-PATH" not in report.failed["webhook"] and "abc123" not in caplog.text
    with reader(db) as con:
        assert con.execute("SELECT count(*) FROM alerts_sent").fetchone()[0] == 0


def test_email_digest_by_smtp_with_login(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "m.duckdb"
    monkeypatch.setenv("MONITOR_TEST_SMTP_PASSWORD", "pa55-Word!")
    with FeedServer() as server, SmtpSink(user="monitor", password="pa55-Word!") as smtp:
        alerts = {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_user": "monitor",
            "smtp_password_env": "MONITOR_TEST_SMTP_PASSWORD",
            "mail_from": "monitor@example.kz",
            "mail_to": ["analyst@example.kz", "chief@example.kz"],
        }
        config = config_for(server, alerts)
        collect_and_classify(config, db)
        with caplog.at_level(logging.DEBUG):
            first = deliver(db, config.alerts, batch="b1")
            second = deliver(db, config.alerts, batch="b2")
        messages = list(smtp.messages)
    assert first.sent == {"email": 12} and second.sent == {}
    assert len(messages) == 1 and smtp.logins == ["monitor"]
    msg = messages[0]
    assert msg["Subject"] == "[monitor] 12 new flagged items"
    assert msg["To"] == "analyst@example.kz, chief@example.kz"
    body = msg.get_content()
    assert "Flagged items (12):" in body
    assert "просят взятку" in body and "су жоқ, құбыр жарылған" in body
    for text in NEUTRAL_TEXTS:
        assert text[:30] not in body
    assert "pa55-Word!" not in caplog.text


def test_email_and_webhook_keep_separate_records(tmp_path: Path) -> None:
    """A channel that failed retries alone: the other does not send its items twice."""
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        dead_port = __import__("opskit").free_port()
        alerts = {
            "webhook_url": server.base + "/hook",
            "smtp_host": "127.0.0.1",
            "smtp_port": dead_port,
            "mail_to": "a@example.kz",
        }
        config = config_for(server, alerts)
        collect_and_classify(config, db)
        first = deliver(db, alerts, batch="b1")
        with SmtpSink() as smtp:
            second = deliver(db, {**alerts, "smtp_port": smtp.port}, batch="b2")
            messages = list(smtp.messages)
        hooks = list(server.hooks)
    assert first.sent == {"webhook": 12} and "email" in first.failed
    assert second.sent == {"email": 12} and len(messages) == 1 and len(hooks) == 1


def _record_run(
    db: Path, source: str, status: str, *, error: str | None, success: bool, failures: int
) -> None:
    now = datetime.now(UTC)
    with writer(db) as con:
        run = RunRecord(source=source, kind="facebook", started_at=now)
        start_run(con, run)
        run.status, run.error, run.finished_at = status, error, now
        finish_run(con, run)
        state = SourceState(source)
        previous = con.execute("SELECT last_success FROM source_state WHERE source = ?", [source]).fetchone()
        state.last_success = now if success else (previous[0] if previous else None)
        state.consecutive_failures = failures
        state.next_due = None if success else now + timedelta(minutes=5)
        save_state(con, state)


def test_source_incidents_alert_once_until_the_source_recovers(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        alerts = {"webhook_url": server.base + "/hook", "failures": 3}
        expired = "the access token expired (code 190): issue a new page token"
        _record_run(db, "dept-facebook", "token", error=expired, success=False, failures=1)
        _record_run(db, "city-portal", "failed", error="HTTP 503", success=False, failures=2)
        deliver(db, alerts, batch="b1")
        _record_run(db, "dept-facebook", "token", error=expired, success=False, failures=2)
        _record_run(db, "city-portal", "failed", error="HTTP 503", success=False, failures=3)
        deliver(db, alerts, batch="b2")
        _record_run(db, "city-portal", "failed", error="HTTP 503", success=False, failures=4)
        deliver(db, alerts, batch="b3")  # nothing new: the same two incidents
        _record_run(db, "dept-facebook", "ok", error=None, success=True, failures=0)
        _record_run(db, "dept-facebook", "token", error=expired, success=False, failures=1)
        deliver(db, alerts, batch="b4")  # a new incident after a success
        hooks = list(server.hooks)
    assert [h["batch"] for h in hooks] == ["b1", "b2", "b4"]
    assert [(s["source"], s["reason"]) for s in hooks[0]["sources"]] == [("dept-facebook", "token")]
    assert hooks[0]["sources"][0]["error"] == expired and hooks[0]["items"] == []
    assert [(s["source"], s["reason"], s["consecutive_failures"]) for s in hooks[1]["sources"]] == [
        ("city-portal", "failures", 3)
    ]
    assert hooks[1]["summary"] == "[monitor] 1 source needs attention"
    assert [(s["source"], s["reason"]) for s in hooks[2]["sources"]] == [("dept-facebook", "token")]
    assert hooks[2]["sources"][0]["last_success"] is not None


def test_labels_a_reviewer_added_are_flagged_but_not_alerted(tmp_path: Path) -> None:
    from review.second_look import record_label_decision

    db = tmp_path / "m.duckdb"
    neutral = next(p["id"] for p in POSTS if not p["labels"])
    corruption_only = next(p["id"] for p in POSTS if p["labels"] == ["corruption"])
    with FeedServer() as server:
        config = config_for(server, {"webhook_url": server.base + "/hook"})
        collect_and_classify(config, db)
        for post_id in (neutral, corruption_only):
            record_label_decision(
                db, "city", f"city-{post_id}", label="infrastructure", value=True, reviewer="a"
            )
        deliver(db, config.alerts, batch="b1")
        hooks = list(server.hooks)
    with reader(db) as con:
        added = dict(
            con.execute(
                "SELECT external_id, labels FROM flagged WHERE len(reviewer_labels) > 0 ORDER BY 1"
            ).fetchall()
        )
    assert added == {
        f"city-{neutral}": ["infrastructure"],
        f"city-{corruption_only}": ["corruption", "infrastructure"],
    }
    (payload,) = hooks
    assert ids(payload) == FLAGGED  # the neutral post is not announced
    (item,) = [i for i in payload["items"] if i["external_id"] == f"city-{corruption_only}"]
    assert item["labels"] == ["corruption"]


def test_an_item_a_reviewer_decided_before_its_digest_is_not_announced(tmp_path: Path) -> None:
    from review.queries import record_decision

    db = tmp_path / "m.duckdb"
    decided = sorted(FLAGGED)[:2]
    with FeedServer() as server:
        config = config_for(server, {"webhook_url": server.base + "/hook"})
        collect_and_classify(config, db)
        record_decision(db, "city", f"city-{decided[0]}", status="confirmed", reviewer="a")
        record_decision(db, "city", f"city-{decided[1]}", status="rejected", reviewer="a")
        report = deliver(db, config.alerts, batch="b1")
        hooks = list(server.hooks)
    (payload,) = hooks
    assert ids(payload) == FLAGGED - set(decided)  # a person has seen them already
    assert report.sent == {"webhook": len(FLAGGED) - 2}
    (item,) = [i for i in payload["items"] if i["external_id"] == f"city-{sorted(FLAGGED - set(decided))[0]}"]
    post = next(p for p in POSTS if f"city-{p['id']}" == item["external_id"])
    assert item["text"].startswith(post["text"][:40])  # the text is the item's, through the second query


class _Hook:
    """A webhook receiver that answers each POST with ``status`` (and ``headers``) after ``delay`` s."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None, delay: float = 0.0) -> None:
        import http.server
        import threading
        import time

        hook = self
        self.posts: list[bytes] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                hook.posts.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                time.sleep(delay)
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST  # a POST redirected by requests would arrive as a GET

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook/T0K3N"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _flagged_db(tmp_path: Path) -> Path:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        collect_and_classify(config_for(server, {}), db)
    return db


def _sent(db: Path) -> int:
    with reader(db) as con:
        return con.execute("SELECT count(*) FROM alerts_sent").fetchall()[0][0]


def test_a_webhook_that_redirects_is_a_failure_and_the_digest_waits(tmp_path: Path) -> None:
    db = _flagged_db(tmp_path)
    elsewhere = _Hook()
    redirecting = _Hook(status=302, headers={"Location": elsewhere.url})
    try:
        report = deliver(db, {"webhook_url": redirecting.url}, batch="b1")
    finally:
        redirecting.close()
        elsewhere.close()
    # requests turned the POST into a GET without the digest, answered 200: the digest counted as sent
    assert report.failed == {
        "webhook": "webhook at 127.0.0.1 answered HTTP 302, a redirect; not followed: "
        "set webhook_url to the address it redirects to"
    }
    assert elsewhere.posts == [] and _sent(db) == 0


def test_a_webhook_that_does_not_answer_in_time_is_given_up_for_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from ops import alerts

    db = _flagged_db(tmp_path)
    monkeypatch.setattr(alerts, "SEND_SECONDS", 1.0)
    slow = _Hook(delay=4.0)
    try:
        started = time.monotonic()
        report = deliver(db, {"webhook_url": slow.url}, batch="b1")
        took = time.monotonic() - started
    finally:
        slow.close()
    assert report.failed == {"webhook": "webhook: no answer within 1 s; given up for this batch"}
    assert took < 3 and _sent(db) == 0


def test_a_webhook_address_the_client_percent_encodes_stays_out_of_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from opskit import free_port

    db = _flagged_db(tmp_path)
    dead = f"http://127.0.0.1:{free_port()}/hook/SECRET TOKEN|Ж?key=abc 123"
    with caplog.at_level(logging.INFO):
        report = deliver(db, {"webhook_url": dead}, batch="b1")
    assert report.failed == {
        "webhook": "webhook at 127.0.0.1: connection refused (nothing listens on that port)"
    }
    assert "SECRET" not in caplog.text and "abc" not in caplog.text


def test_the_smtp_password_is_masked_in_its_base64_forms_too() -> None:
    import base64

    from ops.senders import _without_password

    plain = base64.b64encode(b"\0mon\0Pw-SECRET-789").decode()
    alone = base64.b64encode(b"Pw-SECRET-789").decode()
    text = f"(535, b'AUTH PLAIN {plain} refused'); LOGIN {alone}; Pw-SECRET-789"
    assert (
        _without_password(text, "mon", "Pw-SECRET-789") == "(535, b'AUTH PLAIN *** refused'); LOGIN ***; ***"
    )


def test_a_digest_delivered_while_the_database_refused_its_record_is_not_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from errors import StoreLocked
    from ops import alerts

    db = _flagged_db(tmp_path)
    hook = _Hook()
    record = alerts.mark_sent
    calls = {"n": 0}

    def locked_once(con: Any, channel: str, keys: list[str]) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # an analyst holds the database past the write's wait
            raise StoreLocked("another process holds the database lock (waited 30 s)")
        record(con, channel, keys)

    monkeypatch.setattr(alerts, "mark_sent", locked_once)
    try:
        with caplog.at_level(logging.WARNING):
            first = alerts.deliver(db, {"webhook_url": hook.url}, batch="b1")
        assert first.sent == {"webhook": 12} and _sent(db) == 0
        assert "delivered but not yet recorded" in caplog.text
        second = alerts.deliver(db, {"webhook_url": hook.url}, batch="b2")
    finally:
        hook.close()
    assert second.sent == {} and len(hook.posts) == 1  # it went out twice before
    assert _sent(db) == 12


def test_a_digest_delivered_after_the_batch_gave_up_on_it_is_recorded_not_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from ops import alerts

    db = _flagged_db(tmp_path)
    monkeypatch.setattr(alerts, "SEND_SECONDS", 0.5)
    slow = _Hook(delay=1.5)
    try:
        first = alerts.deliver(db, {"webhook_url": slow.url}, batch="b1")
        assert first.failed == {"webhook": "webhook: no answer within 0 s; given up for this batch"}
        time.sleep(2.5)  # the receiver answers 200 meanwhile: the digest did arrive
        monkeypatch.setattr(alerts, "SEND_SECONDS", 30.0)
        second = alerts.deliver(db, {"webhook_url": slow.url}, batch="b2")
    finally:
        slow.close()
    assert second.sent == {} and second.failed == {}
    assert len(slow.posts) == 1 and _sent(db) == 12  # before, the next batch sent it again


def test_an_item_dated_past_year_9999_in_almaty_is_listed_in_the_e_mail() -> None:
    # An analyst's SQL can store any time: Almaty's clock passes Python's last year at 9999-12-31 19:00 UTC,
    # and the digest failed to render, so the e-mail failed at every batch.
    item = FlaggedItem(
        source="city",
        external_id="a1",
        kind="article",
        url="https://x.kz/a1",
        title=None,
        text="Люк открыт",
        published_at=datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
        labels=["infrastructure"],
        scores={"infrastructure": 0.9},
    )
    text = Digest(channel="email", batch="b1", items=[item]).text(max_items=10)
    assert "city/article 9999-12-31 23:00 https://x.kz/a1" in text


def test_a_delivery_stuck_at_a_stop_is_abandoned_and_its_digest_kept_for_the_next_try(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A webhook API that hangs and an SMTP server that accepted the connection and says nothing: the
    # stop waited for their socket timeouts (15 s, 20 s), past stop_grace_seconds.
    import threading
    import time

    from opskit import SilentServer

    from ops import alerts

    db = _flagged_db(tmp_path)
    monkeypatch.setattr(alerts, "STOP_SEND_SECONDS", 0.5)
    stop = threading.Event()
    with SilentServer() as silent:
        stuck = {
            "webhook_url": f"http://127.0.0.1:{silent.port}/bot/sendMessage",
            "smtp_host": "127.0.0.1",
            "smtp_port": silent.port,
            "mail_to": "desk@example.kz",
        }
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        with caplog.at_level(logging.WARNING):
            report = alerts.deliver(db, stuck, batch="b1", should_stop=stop.is_set)
        took = time.monotonic() - started
    assert took < 5.0  # 0.3 s before the stop, 0.5 s after it (not the webhook's 15 s timeout)
    assert report.sent == {} and report.failed == {
        "webhook": "webhook: no answer 0 s after the stop request",  # 0.5 s, shown in whole seconds
        "email": "email: not tried, the process is stopping",  # the round's time after the stop was used up
    }
    assert [r.getMessage() for r in caplog.records if getattr(r, "event", None) == "alert_abandoned"] == [
        "alert digest by webhook abandoned at the stop, kept for the next try: webhook: no answer 0 s after "
        "the stop request",
        "alert digest by email abandoned at the stop, kept for the next try: email: not tried, the process "
        "is stopping",
    ]
    assert _sent(db) == 0
    hook = _Hook()
    try:
        with SmtpSink() as smtp:
            working = {
                "webhook_url": hook.url,
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "mail_to": "d@x.kz",
            }
            # asked to stop already: what was classified is still announced when the servers answer
            again = alerts.deliver(db, working, batch="b2", should_stop=lambda: True)
            messages = list(smtp.messages)
    finally:
        hook.close()
    assert again.sent == {"webhook": 12, "email": 12} and again.failed == {}
    assert len(hook.posts) == 1 and len(messages) == 1 and _sent(db) == 24


def test_a_channel_that_failed_slowly_is_paused_and_its_digest_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A webhook that accepts and never answers cost every batch the whole wait (20 s of SMTP, up to
    # 120 s) while the outage lasted, with the other sources' classify and alert stages behind it.
    import time

    from opskit import SilentServer

    from ops import alerts

    db = _flagged_db(tmp_path)
    monkeypatch.setattr(alerts, "SEND_SECONDS", 1.0)
    monkeypatch.setattr(alerts, "SLOW_FAILURE_SECONDS", 0.5)
    monkeypatch.setattr(alerts, "PAUSE_SECONDS", (1.5, 60.0))
    with SilentServer() as silent:
        hung = {"webhook_url": f"http://127.0.0.1:{silent.port}/hook"}
        with caplog.at_level(logging.INFO):
            first = deliver(db, hung, batch="b1")
            second = deliver(db, hung, batch="b2")
        assert first.failed == {"webhook": "webhook: no answer within 1 s; given up for this batch"}
        assert second.failed["webhook"].startswith("webhook: paused after 1 slow failures")
        assert len(silent.held) == 1  # not tried again
        assert "alert channel webhook failed slowly 1 times in a row: not tried for 0 min" in caplog.text
        time.sleep(1.6)  # the pause is over: tried again
        hook = _Hook()
        try:
            third = deliver(db, {"webhook_url": hook.url}, batch="b3")
        finally:
            hook.close()
    assert third.sent == {"webhook": 12} and _sent(db) == 12
    assert (str(db), "webhook") not in alerts._PAUSED  # a delivery ends the pause's count
