"""The scheduler's jobs in-process: back-off skips and recovery, stop requests, digests per batch, snapshot."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from opskit import POSTS, FeedServer, KeywordModel

from batch.runner import run_source
from batch.status import print_status
from config.sources import Config, parse_config
from ops.scheduler import FALLBACK_SCHEDULE, Scheduler, schedule_of
from store.db import reader

FLAGGED = {p["id"] for p in POSTS if p["labels"]}


def make_config(server: FeedServer, sources: list[dict[str, Any]], **extra: Any) -> Config:
    settings = {"min_delay": 0.0, "retries": 0, "respect_robots": False, **extra.pop("settings", {})}
    for source in sources:
        source.setdefault("kind", "rss")
        source["url"] = server.base + source["url"]
    return parse_config({"settings": settings, "sources": sources, **extra})


class Clock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def health(db: Path, source: str) -> tuple[int, datetime | None, datetime | None]:
    with reader(db) as con:
        row = con.execute(
            "SELECT consecutive_failures, next_due, last_success FROM source_state WHERE source = ?", [source]
        ).fetchone()
    return row


def test_a_failing_source_backs_off_doubling_and_recovers_by_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "m.duckdb"
    clock = Clock()
    with FeedServer(flaky_failures=2) as server:
        config = make_config(
            server,
            [{"name": "flaky", "url": "/flaky/f.xml"}],
            settings={"backoff_base_minutes": 1, "backoff_cap_minutes": 3},
        )
        sched = Scheduler(config, db, model=KeywordModel(), clock=clock)
        first = sched.run_job("flaky")
        fails, due1, _ = health(db, "flaky")
        assert first.status == "failed" and fails == 1
        with reader(db) as con:
            finished1 = con.execute("SELECT max(started_at) FROM runs").fetchone()[0]
        assert due1 - finished1 == timedelta(minutes=1)
        skipped = sched.run_job("flaky")  # still inside its back-off
        assert skipped.skipped and skipped.skipped.startswith("backing off until") and skipped.status is None
        print_status(config, db)
        assert "backing off, next try in" in capsys.readouterr().out

        clock.offset = timedelta(seconds=61)
        second = sched.run_job("flaky")
        fails, due2, _ = health(db, "flaky")
        assert second.status == "failed" and fails == 2
        with reader(db) as con:
            finished = con.execute("SELECT max(started_at) FROM runs WHERE source = 'flaky'").fetchone()[0]
        assert due2 - finished == timedelta(minutes=2)  # the interval doubled
        assert sched.run_job("flaky").skipped  # 61 s later is not enough any more

        clock.offset = timedelta(seconds=125)
        third = sched.run_job("flaky")
        assert third.status == "ok" and third.new == len(POSTS) and third.classified == len(POSTS)
        assert health(db, "flaky")[:2] == (0, None)
        with reader(db) as con:
            statuses = [r[0] for r in con.execute("SELECT status FROM runs ORDER BY run_id").fetchall()]
        assert statuses == ["failed", "failed", "ok"]  # skipped times leave no run behind
        assert server.requests["/flaky/f.xml"] == 3


def test_a_stop_request_keeps_what_was_fetched_but_not_the_cursor(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        config = make_config(server, [{"name": "city", "url": "/full/city.xml"}])
        stopped = run_source(config.sources[0], config, db, should_stop=lambda: True)
        with reader(db) as con:
            stored = con.execute("SELECT count(*) FROM items").fetchone()[0]
            state = con.execute("SELECT consecutive_failures, state FROM source_state").fetchone()
        assert stopped.status == "aborted" and stopped.fetched == 1 and stored == 1
        assert state[0] == 0 and "_http" not in state[1]  # not a failure, and no cursor saved
        again = run_source(config.sources[0], config, db)
        with reader(db) as con:
            total, distinct = con.execute(
                "SELECT count(*), count(DISTINCT external_id) FROM items"
            ).fetchone()
    assert again.status == "ok" and again.new == len(POSTS) - 1
    assert total == distinct == len(POSTS)


def test_stop_requested_before_a_job_skips_it(tmp_path: Path) -> None:
    with FeedServer() as server:
        config = make_config(server, [{"name": "city", "url": "/full/city.xml"}])
        sched = Scheduler(config, tmp_path / "m.duckdb", model=KeywordModel())
        sched.request_stop()
        assert sched.run_job("city").skipped == "stopping"
        assert server.requests == {}


def test_jobs_one_per_source_without_overlap(tmp_path: Path) -> None:
    with FeedServer() as server:
        config = make_config(
            server,
            [
                {"name": "own", "url": "/full/a.xml", "schedule": "*/2 * * * * *"},
                {"name": "default", "url": "/full/b.xml"},
            ],
            settings={"default_schedule": "15 */2 * * *", "misfire_grace_seconds": 42},
        )
        sched = Scheduler(config, tmp_path / "m.duckdb", model=KeywordModel())
        jobs = {job.id: job for job in sched.build().get_jobs()}
    assert set(jobs) == {"own", "default"}
    for job in jobs.values():
        assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 42)
    assert str(jobs["own"].trigger.fields[-1]) == "*/2"  # seconds
    assert "hour='*/2'" in str(jobs["default"].trigger) and "minute='15'" in str(jobs["default"].trigger)
    assert str(jobs["own"].trigger.timezone) == "Asia/Almaty"
    no_default = make_config(server, [{"name": "x", "url": "/full/x.xml"}])
    assert schedule_of(no_default.sources[0], no_default) == FALLBACK_SCHEDULE == "*/30 * * * *"


def test_one_digest_per_batch_and_a_snapshot_after_it(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    snap = tmp_path / "snapshot"
    with FeedServer() as server:
        config = make_config(
            server,
            [{"name": "alpha", "url": "/full/alpha.xml"}, {"name": "beta", "url": "/full/beta.xml"}],
            alerts={"webhook_url": server.base + "/hook", "min_score": 0.5},
        )
        sched = Scheduler(config, db, model=KeywordModel(), snapshot_dir=snap)
        outcomes = sched.run_once()
        again = sched.run_once()  # nothing new: no digest
        hooks = list(server.hooks)
    assert [(o.source, o.status, o.new, o.alerts) for o in outcomes] == [
        ("alpha", "ok", 18, {"webhook": 12}),
        ("beta", "ok", 18, {"webhook": 12}),
    ]
    assert [o.alerts for o in again] == [{}, {}]
    assert len(hooks) == 2  # one per batch, not one per item
    assert {i["external_id"] for i in hooks[0]["items"]} == {f"alpha-{i}" for i in FLAGGED}
    assert {i["external_id"] for i in hooks[1]["items"]} == {f"beta-{i}" for i in FLAGGED}
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM '{snap}/items.parquet'").fetchone()[0] == 36
    assert con.execute(f"SELECT count(*) FROM '{snap}/flagged.parquet'").fetchone()[0] == 24
    assert con.execute(f"SELECT count(*) FROM '{snap}/runs.parquet' WHERE status = 'ok'").fetchone()[0] >= 2
    assert sorted(p.name for p in snap.iterdir()) == [
        "classifications.parquet",
        "flagged.parquet",
        "items.parquet",
        "runs.parquet",
        "source_state.parquet",
    ]


def test_a_restart_releases_the_back_off_of_a_source_that_lacked_a_token(tmp_path: Path) -> None:
    # A person renews a token or a permission in the service's environment and restarts it: that source
    # is tried at its next slot. A source that failed for another reason keeps its back-off.
    db = tmp_path / "m.duckdb"
    with FeedServer(flaky_failures=5) as server:
        config = make_config(
            server,
            [{"name": "fb-like", "url": "/flaky/f.xml"}, {"name": "broken", "url": "/flaky/g.xml"}],
            settings={"backoff_base_minutes": 60},
        )
        sched = Scheduler(config, db, model=KeywordModel())
        assert sched.run_job("fb-like").status == "failed" and sched.run_job("broken").status == "failed"
        with duckdb.connect(str(db)) as con:  # as a facebook run that found its token expired ends
            con.execute("UPDATE runs SET status = 'token' WHERE source = 'fb-like'")
        assert sched.run_job("fb-like").skipped and sched.run_job("broken").skipped
        restarted = Scheduler(config, db, model=KeywordModel())
        restarted.check_database()
        assert health(db, "fb-like")[1] is None
        assert health(db, "broken")[1] is not None and restarted.run_job("broken").skipped
        assert restarted.run_job("fb-like").status == "failed"  # tried (the feed still fails here)
        assert health(db, "fb-like")[0] == 2  # failures in a row go on counting until a success


def test_the_start_names_each_environment_variable_the_config_needs_and_lacks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A token or webhook variable the service manager does not pass was found at the first failure,
    # maybe hours later in a digest that could not be sent; the start says it.
    monkeypatch.delenv("TEST_FB_TOKEN", raising=False)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "set")
    monkeypatch.setenv("TEST_WEBHOOK", " ")
    page = {
        "kind": "facebook",
        "page_id": "1",
        "graph_url": "http://127.0.0.1:9/",
        "token_env": "TEST_FB_TOKEN",
    }
    alerts = {
        "webhook_url_env": "TEST_WEBHOOK",
        "smtp_host": "127.0.0.1",
        "mail_to": "desk@example.org",
        "smtp_user": "monitor",
        "smtp_password_env": "TEST_SMTP_PASSWORD",
    }
    config = parse_config({"sources": [{"name": "dept-page", **page}], "alerts": alerts})
    sched = Scheduler(config, tmp_path / "m.duckdb", model=KeywordModel())
    stop = threading.Timer(0.2, sched.request_stop)  # once started: a stop asked before ends it unstarted
    stop.start()
    with caplog.at_level("WARNING", logger="ops.scheduler"):
        assert sched.serve(install_signals=False) == 0
    stop.join()
    said = [r.getMessage() for r in caplog.records if getattr(r, "event", None) == "unset_variable"]
    assert said == [
        "environment variable TEST_FB_TOKEN is not set or empty: source dept-page (its page token, token_env) "
        "will fail until it is",
        "environment variable TEST_WEBHOOK is not set or empty: the webhook alerts (webhook_url_env) will fail "
        "until it is",
    ]


def test_a_back_off_written_by_a_clock_that_ran_ahead_does_not_hold_the_source(tmp_path: Path) -> None:
    # A clock ten years ahead, set right since, left a next_due in 2036: the source was skipped for years.
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        config = make_config(
            server, [{"name": "city", "url": "/full/city.xml"}], settings={"backoff_cap_minutes": 60}
        )
        sched = Scheduler(config, db, model=KeywordModel())
        assert sched.run_job("city").status == "ok"
        with duckdb.connect(str(db)) as con:
            con.execute(
                "UPDATE source_state SET next_due = now() + INTERVAL 3650 DAY, consecutive_failures = 1"
            )
        assert sched.run_job("city").status == "ok"
        with duckdb.connect(str(db)) as con:  # a back-off within the cap is kept
            con.execute(
                "UPDATE source_state SET next_due = now() + INTERVAL 30 MINUTE, consecutive_failures = 1"
            )
        assert sched.run_job("city").skipped


def test_the_digest_does_not_announce_a_back_off_written_by_a_clock_that_ran_ahead(tmp_path: Path) -> None:
    # The scheduler ran the source at its next slot, but the digest sent before that slot said it was
    # to be tried again in 2036.
    db = tmp_path / "m.duckdb"
    with FeedServer(
        hook_failures=1
    ) as server:  # the first digest fails: the incident waits for the next batch
        config = make_config(
            server,
            [{"name": "broken", "url": "/broken/x.xml"}, {"name": "city", "url": "/full/city.xml"}],
            settings={"backoff_cap_minutes": 60},
            alerts={"webhook_url": server.base + "/hook", "failures": 1, "min_score": 2},
        )
        sched = Scheduler(config, db, model=KeywordModel())
        assert sched.run_job("broken").status == "failed" and server.hooks == []
        with duckdb.connect(str(db)) as con:
            con.execute("UPDATE source_state SET next_due = TIMESTAMPTZ '2036-01-01 00:00:00+00'")
        assert sched.run_job("city").alerts == {"webhook": 1}
        (incident,) = server.hooks[0]["sources"]
    assert (incident["source"], incident["reason"]) == ("broken", "failures")
    assert incident["next_try"] is None  # as the scheduler reads it: tried at its next slot


@pytest.mark.parametrize(
    "offset",
    [None, timedelta(minutes=-10), timedelta(minutes=30), timedelta(days=3650)],
    ids=["none", "ended", "within-the-cap", "clock-ran-ahead"],
)
def test_the_scheduler_status_and_the_digest_read_a_back_off_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], offset: timedelta | None
) -> None:
    from ops.alerts import deliver
    from ops.health import backed_off_until
    from store.db import writer
    from store.runs import RunRecord, SourceState, finish_run, save_state, start_run

    db = tmp_path / "m.duckdb"
    now = datetime.now(UTC)
    with writer(db) as con:
        run = RunRecord(source="city", kind="rss", started_at=now - timedelta(minutes=1))
        start_run(con, run)
        run.status, run.error, run.finished_at = "failed", "HTTP 500", now
        finish_run(con, run)
        next_due = now + offset if offset is not None else None
        save_state(con, SourceState("city", consecutive_failures=3, next_due=next_due))
    with FeedServer() as server:
        config = make_config(
            server,
            [{"name": "city", "url": "/broken/city.xml"}],
            settings={"backoff_cap_minutes": 60},
            alerts={"webhook_url": server.base + "/hook", "failures": 3},
        )
        longest = config.longest_backoff()
        with writer(db) as con:
            scheduler_says = backed_off_until(con, "city", now, longest)
        deliver(db, config.alerts, batch="b1", longest_backoff=longest)
        (incident,) = server.hooks[0]["sources"]
    print_status(config, db, now=now)
    status_says = capsys.readouterr().out
    digest_says = datetime.fromisoformat(incident["next_try"]) if incident["next_try"] else None
    assert digest_says == scheduler_says
    assert ("backing off, next try" in status_says) == (scheduler_says is not None)
    assert scheduler_says == (next_due if offset == timedelta(minutes=30) else None)
