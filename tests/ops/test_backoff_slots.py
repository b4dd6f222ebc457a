"""A failing source waits the documented back-off to the slot: `backoff_base_minutes` × 2^(n-1), counted
from the slot its failed run started in, so the slot the back-off ends in runs (it was skipped by the
second the run took, and each wait was one cron interval longer than documented)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opskit import FeedServer, KeywordModel

from batch import runner
from config.sources import parse_config
from ops.health import next_try
from ops.scheduler import Scheduler
from ops.slots import first_slot, slot_at, trigger_for
from store.db import reader, writer
from store.runs import SourceState, save_state

T0 = datetime(2026, 11, 27, 20, 50, tzinfo=UTC)  # a slot of every schedule below
JOB_LAG = timedelta(milliseconds=15)  # APScheduler starts a job a little after its slot
REQUEST_TAKES = timedelta(milliseconds=750)  # each request of a run, on the fake clock


class FakeClock:
    """The time of the scheduler and of the runner: each reading takes a millisecond (the work between two
    readings: a database write, a lock), each request to the test server REQUEST_TAKES."""

    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> datetime:
        self.t += timedelta(milliseconds=1)
        return self.t


class SlowServer(FeedServer):
    """FeedServer whose every request takes REQUEST_TAKES of the fake clock."""

    clock: FakeClock

    def answer(self, path: str) -> tuple[int, bytes]:
        self.clock.t += REQUEST_TAKES
        return super().answer(path)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()

    class ClockTime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return fake().astimezone(tz) if tz else fake()

    monkeypatch.setattr(runner, "datetime", ClockTime)  # the runs' ends, on the same clock
    return fake


def scheduler(
    server: FeedServer, db: Path, clock: FakeClock, path: str, cron: str, **settings: Any
) -> Scheduler:
    config = parse_config(
        {
            "settings": {"min_delay": 0.0, "retries": 0, "respect_robots": False, **settings},
            "sources": [{"name": "src", "kind": "rss", "url": server.base + path, "schedule": cron}],
        }
    )
    return Scheduler(config, db, model=KeywordModel(), clock=clock)


def drive(sched: Scheduler, clock: FakeClock, minutes: range) -> tuple[list[int], list[tuple[int, Any]]]:
    """Fire the source's job at each of ``minutes`` (its slots), as APScheduler does: the minutes it ran
    in, and each skip's log record with the minute it was logged in."""
    ran, skips = [], []
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("ops.scheduler")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        for minute in minutes:
            clock.t = T0 + timedelta(minutes=minute) + JOB_LAG
            records.clear()
            outcome = sched.run_slot("src")
            if outcome.skipped is None:
                ran.append(minute)
            skips += [(minute, r) for r in records if getattr(r, "event", None) == "run_skipped"]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return ran, skips


@pytest.mark.parametrize(
    ("cron", "base", "cap", "minutes", "expected"),
    [
        # the acceptance test: waits 1, 2, 4, 4 (it measured 2, 3, 5, 5)
        ("* * * * *", 1, 4, range(16), [0, 1, 3, 7, 11, 15]),
        # every five minutes, base 5: waits 5, 10, 20 (it measured 10, 15, 25)
        ("*/5 * * * *", 5, 20, range(0, 61, 5), [0, 5, 15, 35, 55]),
    ],
    ids=["every-minute", "every-five"],
)
def test_a_failing_source_waits_the_documented_back_off_to_the_slot(
    tmp_path: Path, clock: FakeClock, cron: str, base: int, cap: int, minutes: range, expected: list[int]
) -> None:
    with SlowServer() as server:
        server.clock = clock
        sched = scheduler(
            server,
            tmp_path / "m.duckdb",
            clock,
            "/broken/dead.xml",
            cron,
            backoff_base_minutes=base,
            backoff_cap_minutes=cap,
        )
        ran, skips = drive(sched, clock, minutes)
    assert ran == expected
    for minute, record in skips:
        logged_at = T0 + timedelta(minutes=minute) + JOB_LAG
        due, slot = datetime.fromisoformat(record.next_due), datetime.fromisoformat(record.next_slot)
        assert due > logged_at  # the time it names is still to come
        assert (
            f"backing off until {due.isoformat()}; next run at its slot of {slot.isoformat()}"
            in record.getMessage()
        )
        later = [m for m in ran if m > minute]
        assert later == [] or (slot - T0) // timedelta(minutes=1) == later[0]  # the slot it ran in


def test_a_source_that_failed_once_runs_at_the_next_slot(tmp_path: Path, clock: FakeClock) -> None:
    # flaky failed at 20:54:00.75, was skipped at 20:55 ("backing off until 20:55:00"), and ran at 20:56
    db = tmp_path / "m.duckdb"
    with SlowServer(flaky_failures=1) as server:
        server.clock = clock
        sched = scheduler(server, db, clock, "/flaky/f.xml", "* * * * *", backoff_base_minutes=1)
        ran, skips = drive(sched, clock, range(2))
    assert (ran, skips) == ([0, 1], [])
    with reader(db) as con:
        statuses = con.execute("SELECT status, started_at FROM runs ORDER BY run_id").fetchall()
    assert [s for s, _ in statuses] == ["failed", "ok"]
    # each run's started_at is its real start, a little after its slot (the slot is only its back-off's base)
    assert [
        started > slot for (_, started), slot in zip(statuses, (T0, T0 + timedelta(minutes=1)), strict=True)
    ] == [
        True,
        True,
    ]


def test_a_back_off_between_two_slots_names_its_real_end_and_the_slot_after_it(
    tmp_path: Path, clock: FakeClock
) -> None:
    # `run --source src` by hand at 20:50:30.75 failed: its back-off ends 20:51:30.75, between two slots
    db = tmp_path / "m.duckdb"
    due = T0 + timedelta(minutes=1, seconds=30, milliseconds=750)
    with writer(db) as con:
        save_state(con, SourceState("src", consecutive_failures=1, next_due=due))
    with SlowServer() as server:
        server.clock = clock
        sched = scheduler(server, db, clock, "/full/f.xml", "* * * * *", backoff_base_minutes=1)
        ran, skips = drive(sched, clock, range(1, 3))
    assert ran == [2]
    ((minute, record),) = skips
    assert minute == 1
    assert record.getMessage() == (
        "src: skipped, backing off until 2026-11-27T20:51:30.750000+00:00; "
        "next run at its slot of 2026-11-27T20:52:00+00:00"
    )


def test_apscheduler_fires_the_slot_job_on_the_source_s_trigger(tmp_path: Path, clock: FakeClock) -> None:
    with SlowServer() as server:
        server.clock = clock
        sched = scheduler(server, tmp_path / "m.duckdb", clock, "/full/f.xml", "*/5 * * * *")
        (job,) = sched.build().get_jobs()
    assert job.func == sched.run_slot and job.args == ("src",)
    assert job.trigger.get_next_fire_time(None, T0 + JOB_LAG) == T0 + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("cron", "now", "slot"),
    [
        ("* * * * *", T0 + JOB_LAG, T0),
        ("* * * * *", T0, T0),
        ("* * * * *", T0 + timedelta(seconds=59), T0),
        ("*/10 * * * * *", T0 + timedelta(seconds=17), T0 + timedelta(seconds=10)),
        # the last */30 slot was 20 minutes before: no slot within the grace, the job starts now
        ("*/30 * * * *", T0, T0),
        ("*/30 * * * *", T0 + timedelta(minutes=9, seconds=59), T0 + timedelta(minutes=9, seconds=59)),
        ("*/30 * * * *", T0 + timedelta(minutes=10, seconds=5), T0 + timedelta(minutes=10)),  # 21:00
        ("*/30 * * * *", T0 + timedelta(minutes=15), T0 + timedelta(minutes=10)),  # within the grace
    ],
)
def test_the_slot_a_job_runs_for(cron: str, now: datetime, slot: datetime) -> None:
    assert slot_at(trigger_for(cron), now, timedelta(seconds=300)) == slot


def test_the_next_try_is_the_first_slot_at_or_after_the_end_of_the_back_off() -> None:
    longest = timedelta(minutes=60)
    end = T0 + timedelta(minutes=12)
    assert next_try(end, T0, longest, "*/30 * * * *") == T0 + timedelta(minutes=40)  # 21:30 UTC
    assert next_try(end, T0, longest, "* * * * *") == end  # a back-off ending on a slot: that slot
    assert next_try(end, T0, longest) == end  # no schedule known: the end itself
    assert next_try(end, end, longest, "* * * * *") is None  # ended
    assert next_try(None, T0, longest, "* * * * *") is None
    assert next_try(T0 + timedelta(days=3650), T0, longest, "* * * * *") is None  # a clock that ran ahead
    assert first_slot(trigger_for("0 9 * * *"), end) == datetime(
        2026, 11, 28, 4, 0, tzinfo=UTC
    )  # 09:00 Almaty


def test_a_job_that_started_late_in_its_slot_counts_its_back_off_from_its_start(
    tmp_path: Path, clock: FakeClock
) -> None:
    # review: the 20:50 job of a */5 source waited 4 min 50 s for a worker and failed; counted from its
    # slot, the back-off ended at 20:55 and the failing server was asked again 9 s after the failure
    db = tmp_path / "m.duckdb"
    with SlowServer() as server:
        server.clock = clock
        sched = scheduler(
            server,
            db,
            clock,
            "/broken/dead.xml",
            "*/5 * * * *",
            backoff_base_minutes=5,
            backoff_cap_minutes=20,
        )
        clock.t = T0 + timedelta(minutes=4, seconds=50)
        assert sched.run_slot("src").status == "failed"
        clock.t = T0 + timedelta(minutes=5, milliseconds=15)
        assert sched.run_slot("src").skipped is not None  # 20:55: inside the back-off
        clock.t = T0 + timedelta(minutes=10, milliseconds=15)
        assert sched.run_slot("src").skipped is None  # 21:00: five minutes after the late start


def test_a_back_off_a_run_by_hand_set_is_kept_by_a_late_job(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # review: compared with a late job's slot, a back-off to the cap that a `run` by hand had set just
    # after that slot read as set by a clock that ran ahead, and the source ran inside it
    from store.db import writer
    from store.runs import SourceState, save_state

    db = tmp_path / "m.duckdb"
    with writer(db) as con:
        save_state(
            con, SourceState("src", consecutive_failures=5, next_due=T0 + timedelta(minutes=4, seconds=10))
        )
    with SlowServer() as server:
        server.clock = clock
        sched = scheduler(
            server, db, clock, "/broken/dead.xml", "* * * * *", backoff_base_minutes=1, backoff_cap_minutes=4
        )
        clock.t = T0 + timedelta(seconds=40)  # the 20:50 job, 40 s late
        with caplog.at_level(logging.WARNING):
            out = sched.run_slot("src")
    assert out.skipped is not None
    assert not [r for r in caplog.records if "clock was ahead" in r.getMessage()]
