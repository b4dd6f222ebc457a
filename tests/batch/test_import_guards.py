"""`import` refuses what would store wrong data: another salt for phone numbers, another kind's source;
and after a failed import it says nothing of classifying."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from testutil import ROOT, run_cli

CHAT = (
    "25.11.2026, 14:35 - +7 701 123 45 67: Во дворе снова прорвало трубу\n"
    "25.11.2026, 14:36 - +7 701 123 45 67: Вторая жалоба на трубу\n"
    "25.11.2026, 14:40 - Айгерим: позвоните в КСК\n"
    "25.11.2026, 14:41 - +7 702 000 11 22: Где акимат?\n"
)
SALT = "the-service-salt-4f9a"


@pytest.fixture
def chat(tmp_path: Path) -> Path:
    path = tmp_path / "chat.txt"
    path.write_text(CHAT, encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[sources]]\nname = "city-rss"\nkind = "rss"\nurl = "http://127.0.0.1:9/feed.xml"\n\n'
        '[[sources]]\nname = "dept-whatsapp"\nkind = "whatsapp"\ndate_order = "dmy"\n',
        encoding="utf-8",
    )
    return path


def _import(
    kind: str, path: Path, source: str, db: Path, config: Path, salt: str | None, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``pipeline.py import`` with MONITOR_SALT set to ``salt``, or unset (run_cli cannot unset it)."""
    env = {k: v for k, v in os.environ.items() if k != "MONITOR_SALT"}
    if salt is not None:
        env["MONITOR_SALT"] = salt
    args = ["import", kind, str(path), "--source", source, "--config", str(config), "--db", str(db), *extra]
    return subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize(
    ("first", "then", "says"),
    [
        (SALT, None, "hashed with the salt from MONITOR_SALT; it is not set now"),
        (SALT, "another-salt", "MONITOR_SALT differs from the one this database's phone numbers were hashed"),
        (None, SALT, "hashed with the salt kept in the database; MONITOR_SALT is set now and differs"),
    ],
)
def test_an_import_with_another_salt_is_refused_and_stores_nothing(
    tmp_path: Path, chat: Path, config: Path, first: str | None, then: str | None, says: str
) -> None:
    # An operator's shell without the service's EnvironmentFile stored every message of a phone-number
    # author a second time, under another author hash: 7 rows, 4 texts.
    db = tmp_path / "m.duckdb"
    done = _import("whatsapp", chat, "dept-whatsapp", db, config, first, "--no-classify")
    assert done.returncode == 0, done.stderr
    before = _rows(db, "SELECT source, external_id, author, text FROM items ORDER BY ALL")
    runs = _rows(db, "SELECT count(*) FROM runs")
    refused = _import("whatsapp", chat, "dept-whatsapp", db, config, then, "--no-classify")
    assert refused.returncode == 1
    assert says in refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert _rows(db, "SELECT source, external_id, author, text FROM items ORDER BY ALL") == before
    assert _rows(db, "SELECT count(*) FROM runs") == runs  # no run started
    kept = _rows(db, "SELECT value FROM meta WHERE key = 'phone_salt'")
    # neither salt appears in the output, nor in the database but for the one it keeps by design
    for salt in {SALT, "another-salt"}:
        assert salt not in refused.stdout + refused.stderr + done.stdout + done.stderr
        assert not _rows(db, f"SELECT key FROM meta WHERE value LIKE '%{salt}%'")
    assert len(kept) == (1 if first is None else 0)
    # the same salt again goes on: nothing new
    again = _import("whatsapp", chat, "dept-whatsapp", db, config, first, "--no-classify")
    assert again.returncode == 0, again.stderr
    assert "fetched 4, new 0" in again.stdout
    assert len(_rows(db, "SELECT * FROM items")) == 4


def test_a_database_without_a_fingerprint_records_the_salt_of_its_next_import(
    tmp_path: Path, chat: Path, config: Path
) -> None:
    db = tmp_path / "m.duckdb"
    assert _import("whatsapp", chat, "dept-whatsapp", db, config, SALT, "--no-classify").returncode == 0
    with duckdb.connect(str(db)) as con:  # as a database of the code before fingerprints
        con.execute("DELETE FROM meta WHERE key LIKE 'phone_salt_%'")
    assert _import("whatsapp", chat, "dept-whatsapp", db, config, SALT, "--no-classify").returncode == 0
    assert _rows(db, "SELECT value FROM meta WHERE key = 'phone_salt_from'") == [("MONITOR_SALT",)]
    refused = _import("whatsapp", chat, "dept-whatsapp", db, config, None, "--no-classify")
    assert refused.returncode == 1 and "it is not set now" in refused.stderr


def test_numbers_kept_in_clear_need_no_salt(tmp_path: Path, chat: Path) -> None:
    config = tmp_path / "keep.toml"
    config.write_text(
        '[[sources]]\nname = "open-chat"\nkind = "whatsapp"\nkeep_phone_numbers = true\n', "utf-8"
    )
    db = tmp_path / "m.duckdb"
    assert _import("whatsapp", chat, "open-chat", db, config, SALT, "--no-classify").returncode == 0
    done = _import("whatsapp", chat, "open-chat", db, config, None, "--no-classify")
    assert done.returncode == 0, done.stderr
    assert _rows(db, "SELECT count(*) FROM items") == [(4,)]


def test_a_source_the_config_names_with_another_kind_is_refused(
    tmp_path: Path, chat: Path, config: Path
) -> None:
    db = tmp_path / "m.duckdb"
    refused = _import("whatsapp", chat, "city-rss", db, config, SALT, "--no-classify")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "source city-rss is configured as kind rss, not whatsapp" in refused.stderr
    assert not db.exists() or _rows(db, "SELECT count(*) FROM items") == [(0,)]


def test_a_source_the_store_holds_under_another_kind_is_refused(
    tmp_path: Path, chat: Path, config: Path
) -> None:
    db = tmp_path / "m.duckdb"
    assert _import("whatsapp", chat, "chat-archive", db, config, SALT, "--no-classify").returncode == 0
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"id": "1", "text": "Яма на дороге"}\n', encoding="utf-8")
    refused = _import("jsonl", rows, "chat-archive", db, config, SALT, "--no-classify")
    assert refused.returncode == 2
    assert "source chat-archive holds items of kind whatsapp in this database" in refused.stderr
    assert "not jsonl" in refused.stderr
    assert _rows(db, "SELECT count(*) FROM items") == [(4,)]
    # a CSV and a JSON Lines file carry the same columns: one source may take both
    assert _import("jsonl", rows, "rows", db, config, SALT, "--no-classify").returncode == 0
    csv = tmp_path / "rows.csv"
    csv.write_text("id,text\n2,Нет света\n", encoding="utf-8")
    both = _import("csv", csv, "rows", db, config, SALT, "--no-classify")
    assert both.returncode == 0, both.stderr


def test_a_new_source_name_is_imported_with_a_note(tmp_path: Path, chat: Path, config: Path) -> None:
    db = tmp_path / "m.duckdb"
    done = _import("whatsapp", chat, "dept-whatsap", db, config, SALT, "--no-classify")
    assert done.returncode == 0, done.stderr
    assert "note: source dept-whatsap is new" in done.stdout
    assert "no configured option (date_order, encoding, keep_phone_numbers, tz) applies" in done.stdout
    again = _import("whatsapp", chat, "dept-whatsap", db, config, SALT, "--no-classify")
    configured = _import("whatsapp", chat, "dept-whatsapp", db, config, SALT, "--no-classify")
    assert "note:" not in again.stdout + configured.stdout  # known to the store, or to the config


def test_a_failed_import_says_nothing_of_classifying(tmp_path: Path, chat: Path, config: Path) -> None:
    db = tmp_path / "m.duckdb"
    assert _import("whatsapp", chat, "dept-whatsapp", db, config, SALT, "--no-classify").returncode == 0
    bad = tmp_path / "bad.txt"
    bad.write_text("garbage\n", encoding="utf-8")
    failed = _import("whatsapp", bad, "dept-whatsapp", db, config, SALT)
    assert failed.returncode == 1
    assert "dept-whatsapp: failed" in failed.stderr
    assert "classif" not in failed.stdout + failed.stderr and "clustered" not in failed.stdout
    # the items of the earlier import still wait for a batch: this import classified none of them
    assert _rows(db, "SELECT count(*) FROM classifications") == [(0,)]


def test_import_help_describes_its_arguments() -> None:
    result = run_cli("import", "--help")
    assert result.returncode == 0
    assert "the export file: a WhatsApp chat .txt or .zip" in " ".join(result.stdout.split())


NAMES_ONLY = "25.11.2026, 14:35 - Айгерим: позвоните в КСК\n25.11.2026, 14:36 - Ерлан: звонил, не отвечают\n"


def test_an_import_that_hashed_no_number_binds_no_salt(tmp_path: Path, chat: Path, config: Path) -> None:
    # review: a chat of names only (or a file that failed) imported without the variable recorded the
    # salt kept in the database, and the service's salt was refused for good
    names = tmp_path / "names.txt"
    names.write_text(NAMES_ONLY, encoding="utf-8")
    db = tmp_path / "m.duckdb"
    first = _import("whatsapp", names, "dept-whatsapp", db, config, None, "--no-classify")
    assert first.returncode == 0, first.stderr
    numbers = _import("whatsapp", chat, "dept-whatsapp", db, config, SALT, "--no-classify")
    assert numbers.returncode == 0, numbers.stderr
    assert _rows(db, "SELECT value FROM meta WHERE key = 'phone_salt_from'") == [("MONITOR_SALT",)]
    refused = _import("whatsapp", chat, "dept-whatsapp", db, config, None, "--no-classify")
    assert refused.returncode == 1 and "it is not set now" in refused.stderr


def test_numbers_hashed_before_fingerprints_by_a_variable_need_it_set(
    tmp_path: Path, chat: Path, config: Path
) -> None:
    # review: a store filled by imports with MONITOR_SALT, upgraded; one import without it made a new
    # salt, stored every phone author's message again, and recorded that salt
    db = tmp_path / "m.duckdb"
    assert _import("whatsapp", chat, "dept-whatsapp", db, config, SALT, "--no-classify").returncode == 0
    with duckdb.connect(str(db)) as con:  # as the code before fingerprints left it: no salt kept either
        con.execute("DELETE FROM meta WHERE key LIKE 'phone_salt%'")
    refused = _import("whatsapp", chat, "dept-whatsapp", db, config, None, "--no-classify")
    assert refused.returncode == 1
    assert "hashed with the salt of a variable, and MONITOR_SALT is not set now" in refused.stderr
    assert _rows(db, "SELECT count(*) FROM items") == [(4,)]
    assert _rows(db, "SELECT count(*) FROM meta WHERE key LIKE 'phone_salt%'") == [(0,)]
    again = _import("whatsapp", chat, "dept-whatsapp", db, config, SALT, "--no-classify")
    assert again.returncode == 0 and "new 0" in again.stdout, again.stdout + again.stderr


def test_a_mention_of_a_number_binds_the_salt_as_an_author_does(tmp_path: Path, config: Path) -> None:
    # review: a chat of names whose text @-mentions a number stores a hashed number too
    mention = tmp_path / "mention.txt"
    mention.write_text("25.11.2026, 14:35 - Айгерим: @77011234567 позвоните в КСК\n", encoding="utf-8")
    db = tmp_path / "m.duckdb"
    assert _import("whatsapp", mention, "dept-whatsapp", db, config, None, "--no-classify").returncode == 0
    refused = _import("whatsapp", mention, "dept-whatsapp", db, config, SALT, "--no-classify")
    assert refused.returncode == 1 and "hashed with the salt kept in the database" in refused.stderr


def test_a_record_of_a_salt_that_hashed_nothing_is_dropped(tmp_path: Path, chat: Path, config: Path) -> None:
    # review: the code of the commits before recorded the kept salt on an import of names only; such a
    # record bound the service's salt for good, with a message saying numbers were hashed
    names = tmp_path / "names.txt"
    names.write_text(NAMES_ONLY, encoding="utf-8")
    db = tmp_path / "m.duckdb"
    assert _import("whatsapp", names, "dept-whatsapp", db, config, None, "--no-classify").returncode == 0
    with duckdb.connect(str(db)) as con:  # as that code left it
        con.execute("INSERT OR REPLACE INTO meta VALUES ('phone_salt_fingerprint', '0123456789abcdef')")
        con.execute("INSERT OR REPLACE INTO meta VALUES ('phone_salt_from', 'database')")
    done = _import("whatsapp", chat, "dept-whatsapp", db, config, SALT, "--no-classify")
    assert done.returncode == 0, done.stderr
    assert _rows(db, "SELECT value FROM meta WHERE key = 'phone_salt_from'") == [("MONITOR_SALT",)]


def test_an_import_killed_after_storing_numbers_has_recorded_its_salt(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # review: recorded only at the end, a killed import left hashed numbers and no record, and the next
    # import with another salt stored every message again
    from batch import importing, runner
    from config.sources import load_config
    from store.db import holding

    chat = tmp_path / "big.txt"
    chat.write_text(
        "".join(
            f"25.11.2026, 14:{n % 60:02d} - +7 701 {n % 1000:03d} 45 67: жалоба {n}\n" for n in range(3000)
        ),
        encoding="utf-8",
    )
    db = tmp_path / "m.duckdb"
    flush = runner.ItemSink.flush

    def killed(self: object) -> None:
        flush(self)
        raise KeyboardInterrupt  # the process ends after its first write

    monkeypatch.delenv("MONITOR_SALT", raising=False)
    monkeypatch.setattr(runner.ItemSink, "flush", killed)
    with holding(db), pytest.raises(KeyboardInterrupt):
        importing.import_file(
            "whatsapp", chat, "dept-whatsapp", load_config(config), db, report=lambda e: None
        )
    monkeypatch.setattr(runner.ItemSink, "flush", flush)
    stored = _rows(db, "SELECT count(*) FROM items")
    assert stored[0][0] > 0
    refused = _import("whatsapp", chat, "dept-whatsapp", db, config, SALT, "--no-classify")
    assert refused.returncode == 1 and "hashed with the salt kept in the database" in refused.stderr
    assert _rows(db, "SELECT count(*) FROM items") == stored


def test_an_older_store_with_a_kept_salt_and_the_variable_set_is_refused_not_guessed(
    tmp_path: Path, chat: Path, config: Path
) -> None:
    # review: a store of the code before fingerprints, filled by an import without MONITOR_SALT (the salt
    # kept in the database); an import with the variable took its salt, stored every message again, and
    # then refused the salt that really hashed them
    db = tmp_path / "m.duckdb"
    assert _import("whatsapp", chat, "dept-whatsapp", db, config, None, "--no-classify").returncode == 0
    with duckdb.connect(str(db)) as con:  # as that code left it: the kept salt, no fingerprint
        con.execute("DELETE FROM meta WHERE key IN ('phone_salt_fingerprint', 'phone_salt_from')")
    refused = _import("whatsapp", chat, "dept-whatsapp", db, config, SALT, "--no-classify")
    assert refused.returncode == 1 and "which one hashed its phone numbers cannot be told" in refused.stderr
    assert _rows(db, "SELECT count(*) FROM items") == [(4,)]
    kept = _import("whatsapp", chat, "dept-whatsapp", db, config, None, "--no-classify")
    assert kept.returncode == 0 and "new 0" in kept.stdout, kept.stdout + kept.stderr


def test_numbers_kept_in_clear_beside_hashed_ones_need_no_salt(tmp_path: Path, chat: Path) -> None:
    # review: the test above could not fail (its store held no hashed number, so any record was dropped)
    config = tmp_path / "keep.toml"
    config.write_text(
        '[[sources]]\nname = "dept"\nkind = "whatsapp"\n\n'
        '[[sources]]\nname = "open-chat"\nkind = "whatsapp"\nkeep_phone_numbers = true\n',
        "utf-8",
    )
    db = tmp_path / "m.duckdb"
    assert _import("whatsapp", chat, "dept", db, config, SALT, "--no-classify").returncode == 0
    done = _import("whatsapp", chat, "open-chat", db, config, None, "--no-classify")
    assert done.returncode == 0, done.stderr


def test_a_hashing_import_waits_for_another_one_not_beside_it(
    tmp_path: Path, chat: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # review: two imports into two sources at once each checked the salt before the other stored a
    # number, and left two salts in one store
    from batch import importing
    from batch.source_lock import SaltBusy, salt_lock
    from config.sources import load_config

    db = tmp_path / "m.duckdb"
    monkeypatch.setenv("MONITOR_SALT", SALT)
    with (
        salt_lock(db),
        pytest.raises(SaltBusy, match="another process is importing a chat whose phone numbers"),
    ):
        importing.import_file(
            "whatsapp", chat, "dept-whatsapp", load_config(config), db, report=lambda e: None
        )
    assert not db.exists() or _rows(db, "SELECT count(*) FROM runs") == [(0,)]
    done = importing.import_file(
        "whatsapp", chat, "dept-whatsapp", load_config(config), db, report=lambda e: None
    )
    assert done.status == "ok"


def test_a_kept_salt_row_deleted_is_said_so(tmp_path: Path, chat: Path, config: Path) -> None:
    # review: the refusal said the variable "is set now" with it unset
    db = tmp_path / "m.duckdb"
    assert _import("whatsapp", chat, "dept-whatsapp", db, config, None, "--no-classify").returncode == 0
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM meta WHERE key = 'phone_salt'")
    refused = _import("whatsapp", chat, "dept-whatsapp", db, config, None, "--no-classify")
    assert refused.returncode == 1 and "its `meta` row `phone_salt` is gone" in refused.stderr
