"""The issue's "done when": `schedule` over local sources, months compressed into seconds.

Three sources publish new posts at every request and run every 2 s (second-level cron); a fourth runs
on odd seconds and hangs in its first run. Two analysts read all along: one opens the DuckDB file
read-only (retrying briefly on the writer's lock) every 0.3 s, one queries the Parquet snapshot.
The first scheduler (alerts not configured yet) is killed with SIGKILL; a second one, with alerts,
JSON logs and the same database, runs until SIGTERM. Checked: every job fired on its slot, no run of
a source overlapping another, the runs cut by the kill closed as 'aborted' and their sources
completed later, every item stored once and nothing lost, every flagged item announced exactly once
by webhook and once by e-mail with one message per batch, and no failed query on either side.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import duckdb
from opskit import POSTS, FeedServer, SmtpSink, wait_for

from batch.demo import write_sources_toml
from store.db import reader

HERE = Path(__file__).resolve().parent
GROWING = ("alpha", "beta", "gamma")
STEP = 3  # posts revealed per request


class Analyst(threading.Thread):
    """Opens the database read-only (retrying briefly on the writer's lock) and queries it in a loop."""

    def __init__(self, db: Path, pause: float = 0.3) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.pause = pause
        self.stop = threading.Event()
        self.ok = 0
        self.errors: list[str] = []
        self.waits: list[float] = []

    def run(self) -> None:
        while not self.stop.is_set():
            if self.db.exists():
                started = time.monotonic()
                try:
                    with reader(self.db, wait=10.0) as con:
                        con.execute("SELECT source, count(*) FROM items GROUP BY source").fetchall()
                        con.execute("SELECT count(*) FROM flagged").fetchone()
                    self.ok += 1
                    self.waits.append(time.monotonic() - started)
                except Exception as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(self.pause)


class SnapshotAnalyst(Analyst):
    """Queries the Parquet snapshot with an in-memory DuckDB: no lock on the database file at all."""

    def run(self) -> None:
        con = duckdb.connect()
        items = self.db / "items.parquet"
        while not self.stop.is_set():
            if (self.db / "flagged.parquet").exists():  # written last: the first snapshot is complete
                try:
                    con.execute(f"SELECT source, count(*) FROM '{items}' GROUP BY source").fetchall()
                    con.execute(f"SELECT count(*) FROM '{self.db / 'flagged.parquet'}'").fetchone()
                    self.ok += 1
                except Exception as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(self.pause)


def start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE / "keyword_pipeline.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def fetched(server: FeedServer, source: str) -> int:
    return server.requests.get(f"/feed/{source}.xml", 0)


def test_schedule_runs_on_time_without_overlap_survives_kill_and_alerts_once_per_batch(
    tmp_path: Path,
) -> None:
    db = tmp_path / "m.duckdb"
    log_file = tmp_path / "logs" / "monitor.log"
    snapshot = tmp_path / "snapshot"
    with FeedServer(step=STEP) as server, SmtpSink() as smtp:
        sources: list[dict[str, Any]] = [
            {
                "name": name,
                "kind": "rss",
                "url": f"{server.base}/feed/{name}.xml",
                "schedule": "*/2 * * * * *",
            }
            for name in GROWING
        ]
        sources.append(
            {
                "name": "stuck",
                "kind": "rss",
                "url": f"{server.base}/stall/stuck.xml",
                "schedule": "1-59/2 * * * * *",
            }
        )
        settings = {"min_delay": 0.0, "retries": 0, "respect_robots": False, "timeout": 60.0}
        quiet, loud = tmp_path / "no-alerts.toml", tmp_path / "sources.toml"
        write_sources_toml(quiet, settings, sources)
        write_sources_toml(loud, settings, sources)
        with loud.open("a", encoding="utf-8") as f:
            f.write(
                f'\n[alerts]\nwebhook_url = "{server.base}/hook"\nmin_score = 0.5\n'
                f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nmail_to = "analyst@example.kz"\n'
            )
        common = ["--db", str(db), "--log-file", str(log_file), "--snapshot-dir", str(snapshot)]
        analyst, snap_analyst = Analyst(db), SnapshotAnalyst(snapshot, pause=0.1)
        analyst.start()
        snap_analyst.start()

        # Phase 1: `stuck` hangs in its first run while the others keep their slots; then kill -9.
        first = start(["--log-json", "schedule", "--config", str(quiet), *common])
        assert server.stalled.wait(60), first.communicate(timeout=5)
        assert wait_for(lambda: all(fetched(server, s) >= 2 for s in GROWING), 60)
        # ... and a slot of `stuck` comes while its first run still hangs
        assert wait_for(lambda: '"slot_skipped"' in log_file.read_text(encoding="utf-8"), 60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        before_kill = {s: fetched(server, s) for s in GROWING}
        server.release.set()

        # Phase 2: the same database, now with alerts; stopped by SIGTERM.
        second = start(["--log-json", "schedule", "--config", str(loud), *common])
        assert wait_for(
            lambda: (
                all(fetched(server, s) >= before_kill[s] + 3 for s in GROWING)
                and server.requests.get("/stall/stuck.xml", 0) >= 2
            ),
            90,
        )
        second.send_signal(signal.SIGTERM)
        _out, err = second.communicate(timeout=60)
        # A run stopped by SIGTERM keeps no cursor; `schedule --once` picks up where it stopped.
        once_started = time.time()
        once = subprocess.run(
            [
                sys.executable,
                str(HERE / "keyword_pipeline.py"),
                "--log-json",
                "schedule",
                "--once",
                "--config",
                str(loud),
                *common,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        analyst.stop.set()
        snap_analyst.stop.set()
        analyst.join(15)
        snap_analyst.join(15)
        hooks = list(server.hooks)
        mails = list(smtp.messages)
        requests = dict(server.requests)

    assert second.returncode == 0, err
    assert once.returncode == 0, once.stderr
    assert sorted(once.stdout.splitlines())[-1].startswith("stuck: ok")
    events = [json.loads(line) for line in err.splitlines()]  # every stderr line is a JSON object
    assert events[-1]["event"] == "stopped" and events[-1]["message"] == "scheduler stopped cleanly"
    assert {"started", "job_started", "run_finished", "classified", "alert_sent"} <= {
        e.get("event") for e in events
    }
    file_events = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    assert not [e for e in file_events if e.get("event") == "batch_failed"]
    assert [e.get("event") for e in file_events].count("started") == 2  # --once does not serve
    # The slots of `stuck` that came while its first run hung are skipped, each one line of ours.
    skipped = [e for e in file_events if e.get("event") == "slot_skipped"]
    assert skipped and all((e["source"], e["reason"]) == ("stuck", "busy") for e in skipped)
    assert not [e for e in file_events if e["logger"].startswith("apscheduler")]

    # Every job fired on its slot: the growing sources on even seconds, `stuck` on odd ones.
    jobs = [
        e
        for e in file_events
        if e.get("event") == "job_started" and datetime.fromisoformat(e["time"]).timestamp() < once_started
    ]
    assert len(jobs) >= 4 * 3
    for job in jobs:
        when = datetime.fromisoformat(job["time"]).timestamp()
        assert int(when) % 2 == (1 if job["source"] == "stuck" else 0) and when % 1 < 0.9, job

    with reader(db) as con:
        runs = con.execute(
            "SELECT source, status, started_at, finished_at FROM runs ORDER BY source, run_id"
        ).fetchall()
        items = dict(con.execute("SELECT source, count(*) FROM items GROUP BY source").fetchall())
        distinct = con.execute("SELECT count(DISTINCT (source, external_id)) FROM items").fetchone()[0]
        flagged = set(con.execute("SELECT source, external_id FROM flagged").fetchall())
        flagged_count = con.execute("SELECT count(*) FROM flagged").fetchone()[0]
    by_source: dict[str, list[tuple[str, datetime, datetime | None]]] = {}
    for source, status, started, finished in runs:
        by_source.setdefault(source, []).append((status, started, finished))

    # No overlap: a source's run ends before its next one starts ("aborted" runs never ended).
    for source, rows in by_source.items():
        for (status1, _start1, end1), (_s2, start2, _end2) in pairwise(rows):
            assert status1 == "aborted" or (end1 is not None and end1 <= start2), (source, rows)
    # Only a run cut by the kill is aborted, at most one per source, and each source went on to succeed.
    for source in GROWING:
        statuses = [r[0] for r in by_source[source]]
        # One run may be cut by the kill, and one by SIGTERM (then it stops between two items).
        assert statuses.count("aborted") <= 2 and set(statuses) <= {"ok", "aborted"}, statuses
        assert statuses.count("ok") >= 3, statuses
    assert [r[0] for r in by_source["stuck"]][:2] == ["aborted", "ok"]  # killed while hanging, then done

    # Every item once, nothing lost: each growing source holds what its feed showed at its last fetch.
    for source in GROWING:
        assert items[source] == min(len(POSTS), STEP * requests[f"/feed/{source}.xml"]), source
    assert items["stuck"] == len(POSTS)
    assert distinct == sum(items.values()) and flagged_count == len(flagged)

    # Alerts: one webhook call and one e-mail per batch with news; each flagged item in exactly one of each.
    hook_items = [(i["source"], i["external_id"]) for h in hooks for i in h["items"]]
    assert len(hook_items) == len(set(hook_items)) and set(hook_items) == flagged
    assert len({h["batch"] for h in hooks}) == len(hooks) == len(mails) >= 2
    assert all(h["flagged_total"] == len(h["items"]) > 0 for h in hooks)
    mail_lines = [line for m in mails for line in m.get_content().splitlines() if line.startswith("- [")]
    assert len(mail_lines) == len(flagged)
    assert sorted(len(h["items"]) for h in hooks) == sorted(
        int(m["Subject"].split()[1]) for m in mails
    )  # the same batches by both channels

    # Neither side failed: analysts' queries all answered, the scheduler logged no failed batch.
    assert analyst.errors == [] and snap_analyst.errors == []
    assert analyst.ok >= 10 and snap_analyst.ok >= 10
