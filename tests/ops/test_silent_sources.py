"""Silent sources: runs succeed but no new item arrives, which no error shows (a new page layout, a
moved feed, a channel gone private). `status` notes them and the alerts announce them once."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opskit import FeedServer, KeywordModel

from config.sources import DEFAULT_SILENT_HOURS, parse_config
from errors import ConfigError
from ops.alerts import deliver
from ops.health import sources_needing_attention
from ops.scheduler import Scheduler
from store.db import reader, writer

ROOT = Path(__file__).resolve().parents[2]


def config(server: FeedServer | None, sources: list[dict[str, Any]], **top: Any) -> Any:
    base = server.base if server else "http://127.0.0.1:9"
    for source in sources:
        source.setdefault("kind", "rss")
        source.setdefault("url", f"/full/{source['name']}.xml")
        source["url"] = base + source["url"]
    settings = {"min_delay": 0.0, "retries": 0, "respect_robots": False, **top.pop("settings", {})}
    return parse_config({"settings": settings, "sources": sources, **top})


def age_items(db: Path, source: str, days: float) -> None:
    """Make the source's items (and its runs) look collected ``days`` ago."""
    with writer(db) as con:
        back = timedelta(days=days)
        con.execute("UPDATE items SET collected_at = collected_at - ? WHERE source = ?", [back, source])
        con.execute("UPDATE runs SET started_at = started_at - ? WHERE source = ?", [back, source])


def go_quiet(cfg: Any, db: Path, source: str) -> None:
    """Collect once, make ``source``'s items and runs 8 days old, collect again (nothing new)."""
    Scheduler(cfg, db, model=KeywordModel()).run_once()
    age_items(db, source, 8)
    Scheduler(cfg, db, model=KeywordModel()).run_once()


def silent(db: Path, hours: dict[str, float]) -> dict[str, datetime | None]:
    with reader(db) as con:
        found = sources_needing_attention(con, 3, hours, datetime.now(UTC))
    return {h.source: h.last_new_item for h, reason in found if reason == "silent"}


# -- configuration ---------------------------------------------------------------------------------


def test_silent_hours_from_the_source_else_settings_else_a_week() -> None:
    cfg = config(None, [{"name": "a"}, {"name": "b", "silent_hours": 24}, {"name": "c", "silent_hours": 0}])
    assert cfg.silent_hours() == {"a": DEFAULT_SILENT_HOURS, "b": 24.0, "c": 0.0}
    assert DEFAULT_SILENT_HOURS == 168
    cfg = config(None, [{"name": "a"}], settings={"silent_hours": 48})
    assert cfg.silent_hours() == {"a": 48.0}
    wa = parse_config({"sources": [{"name": "chat", "kind": "whatsapp"}]})
    assert wa.silent_hours() == {}  # import-only kinds are not watched


@pytest.mark.parametrize("value", [-1, "a week", True])
def test_bad_silent_hours_named_in_the_error(value: Any) -> None:
    with pytest.raises(ConfigError, match=r"silent_hours must be a number of hours") as err:
        config(None, [{"name": "city", "silent_hours": value}])
    assert err.value.source == "city"
    with pytest.raises(ConfigError, match=r"\[settings\] silent_hours"):
        config(None, [{"name": "city"}], settings={"silent_hours": value})


def test_import_only_kinds_take_no_silent_hours() -> None:
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config({"sources": [{"name": "chat", "kind": "whatsapp", "silent_hours": 24}]})


# -- detection and alerts ------------------------------------------------------------------------


def test_a_source_without_new_items_is_silent_until_one_arrives(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        cfg = config(server, [{"name": "alpha"}, {"name": "beta"}, {"name": "off", "silent_hours": 0}])
        sched = Scheduler(cfg, db, model=KeywordModel())
        sched.run_once()
        hours = cfg.silent_hours()
        assert silent(db, hours) == {}  # everything is new
        for name in ("alpha", "off"):
            age_items(db, name, 8)
        sched.run_once()  # the feeds answer, nothing new: alpha has been silent for 8 days
        found = silent(db, hours)
        assert list(found) == ["alpha"]  # beta brought its items today; "off" is never watched
        assert datetime.now(UTC) - found["alpha"] > timedelta(days=7)
        assert silent(db, {**hours, "alpha": 24 * 9}) == {}  # 8 days is not 9


def test_new_comments_alone_do_not_end_a_silence(tmp_path: Path) -> None:
    # A portal whose listing pages changed finds no new article, but comments keep arriving on the
    # articles it knows: the source is still silent.
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        cfg = config(server, [{"name": "alpha"}])
        Scheduler(cfg, db, model=KeywordModel()).run_once()
    age_items(db, "alpha", 8)
    with writer(db) as con:
        con.execute(
            "INSERT INTO items SELECT * REPLACE ('comment' AS kind, external_id || '-c1' AS external_id, "
            "now() AS collected_at) FROM items WHERE source = 'alpha' LIMIT 1"
        )
    found = silent(db, cfg.silent_hours())
    assert list(found) == ["alpha"] and datetime.now(UTC) - found["alpha"] > timedelta(days=7)
    with writer(db) as con:  # a new article ends it
        con.execute(
            "INSERT INTO items SELECT * REPLACE (external_id || '-a1' AS external_id, now() AS collected_at) "
            "FROM items WHERE source = 'alpha' AND kind <> 'comment' LIMIT 1"
        )
    assert silent(db, cfg.silent_hours()) == {}


def test_a_failing_source_is_reported_as_failing_not_silent(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        cfg = config(server, [{"name": "flaky", "url": "/flaky/x.xml"}])
        server.flaky_failures = 0
        Scheduler(cfg, db, model=KeywordModel()).run_once()
        age_items(db, "flaky", 10)
        server.flaky_failures = 10**6  # from now on every request fails
        server.requests.clear()
        sched = Scheduler(cfg, db, model=KeywordModel())
        for _ in range(3):
            with writer(db) as con:  # no back-off in the way
                con.execute("UPDATE source_state SET next_due = NULL")
            sched.run_once()
    with reader(db) as con:
        found = sources_needing_attention(con, 3, cfg.silent_hours(), datetime.now(UTC))
    assert [(h.source, reason) for h, reason in found] == [("flaky", "failures")]


def test_a_source_that_never_brought_an_item_is_silent_from_its_first_good_run(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        # An empty feed: a page whose layout changed looks the same to a collector.
        cfg = config(server, [{"name": "empty", "url": "/feed/empty.xml"}])
        server.step = 0
        Scheduler(cfg, db, model=KeywordModel()).run_once()
        assert silent(db, cfg.silent_hours()) == {}  # watched for a moment only
        age_items(db, "empty", 8)  # its runs now started 8 days ago
        assert silent(db, cfg.silent_hours()) == {"empty": None}


def test_silence_is_announced_once_per_incident_even_in_batches_without_news(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        cfg = config(
            server,
            [{"name": "alpha", "url": "/feed/alpha.xml"}],
            alerts={"webhook_url": server.base + "/hook", "min_score": 2.0},  # no item alerts
        )
        now = [datetime.now(UTC)]
        sched = Scheduler(cfg, db, model=KeywordModel(), clock=lambda: now[0])
        server.step = 2
        sched.run_once()  # 2 posts; digest: nothing to say
        age_items(db, "alpha", 8)
        server.step = 0  # the feed keeps its posts... of which the collector has seen all
        server.requests.clear()
        sched.run_once()  # within the hour of the last digest and no news: no digest
        assert server.hooks == []
        now[0] += timedelta(hours=1)
        sched.run_once()  # an hour later: the silence is announced
        sched.run_once()
        now[0] += timedelta(hours=2)
        sched.run_once()  # the same incident: not again
        assert len(server.hooks) == 1
        hook = server.hooks[0]
        assert [(s["source"], s["reason"]) for s in hook["sources"]] == [("alpha", "silent")]
        assert hook["sources"][0]["last_new_item"] is not None
        assert hook["summary"] == "[monitor] 1 source needs attention"
        server.step = 4  # two new posts: the silence ends
        sched.run_once()
        age_items(db, "alpha", 8)
        now[0] += timedelta(hours=2)
        sched.run_once()  # silent again: a new incident
        hooks = list(server.hooks)
    assert [[(s["source"], s["reason"]) for s in h["sources"]] for h in hooks] == [
        [("alpha", "silent")],
        [("alpha", "silent")],
    ]
    assert hooks[0]["sources"][0]["last_new_item"] != hooks[1]["sources"][0]["last_new_item"]


def test_email_says_what_to_check(tmp_path: Path) -> None:
    from opskit import SmtpSink

    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        cfg = config(server, [{"name": "alpha"}])
        go_quiet(cfg, db, "alpha")
    with SmtpSink() as smtp:
        alerts = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_tls": "none"}
        alerts |= {"mail_from": "m@example.kz", "mail_to": ["a@example.kz"], "min_score": 2.0}
        report = deliver(db, alerts, batch="b1", silent_hours=cfg.silent_hours())
        messages = list(smtp.messages)
    assert report.sent == {"email": 1} and len(messages) == 1
    body = messages[0].get_content()
    assert "alpha: no new item since" in body and "page layout" in body


def test_status_notes_a_silent_source(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as server:
        sources = [{"name": "alpha"}, {"name": "beta"}]
        cfg = config(server, sources)
        go_quiet(cfg, db, "alpha")
        toml = tmp_path / "sources.toml"
        toml.write_text(
            "[settings]\nrespect_robots = false\n"
            + "".join(
                f'[[sources]]\nname = "{s["name"]}"\nkind = "rss"\nurl = "{s["url"]}"\n' for s in sources
            ),
            encoding="utf-8",
        )
    out = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "status", "--config", str(toml), "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr  # silence is a note, not a failed run
    lines = {line.split()[0]: line for line in out.stdout.splitlines()[2:] if line.strip()}
    assert "silent: no new item since 8d ago" in lines["alpha"]
    assert "silent" not in lines["beta"]
