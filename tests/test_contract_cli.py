"""The command-line contract of ../shared/DESIGN.md as a cron script uses it: a bad argument is one line
on stderr and a non-zero status, never another file written or deleted, and stdout that cannot be
written is said in one line."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from testutil import FIXTURES, run_cli

from store import runs as runlog
from store.db import writer

DEMO_PAGE = (
    Path(__file__).resolve().parent.parent / "demo/site/portal/news/2026/11/25/yamy-vokrug-lyukov-12001.html"
)


def _monitor_database(path: Path, source: str = "kazinform-ru") -> None:
    """A database of this monitor with one run of ``source``."""
    with writer(path) as con:
        run = runlog.RunRecord(source=source, kind="rss", started_at=datetime.now(UTC))
        runlog.start_run(con, run)
        run.status = "ok"
        runlog.finish_run(con, run)


def _sources_of(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [row[0] for row in con.execute("SELECT DISTINCT source FROM runs ORDER BY 1").fetchall()]
    finally:
        con.close()


@pytest.mark.parametrize("keep", [False, True])
def test_demo_leaves_the_monitors_database_alone(tmp_path: Path, keep: bool) -> None:
    # `demo` starts afresh by deleting its --db: given the monitor's own file, it deleted it
    db = tmp_path / "monitor.duckdb"
    _monitor_database(db)
    before = db.read_bytes()
    result = run_cli("demo", "--db", str(db), *(["--keep"] if keep else []), cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"error: {db}: holds sources that are not the demo's (kazinform-ru); `demo` deletes its database to "
        "start afresh (and --keep adds the samples to it), so give it another --db, or remove that file yourself"
    ]
    assert result.stdout == ""
    assert db.read_bytes() == before and _sources_of(db) == ["kazinform-ru"]


def test_demo_leaves_a_file_that_is_not_a_database_alone(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("не удалять\n", encoding="utf-8")
    result = run_cli("demo", "--db", str(notes), cwd=tmp_path, timeout=300)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {notes}: cannot tell it is a database `demo` made (")
    assert notes.read_text(encoding="utf-8") == "не удалять\n"


def test_demo_starts_afresh_over_its_own_database(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    first = run_cli("demo", "--db", str(db), cwd=tmp_path, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    again = run_cli("demo", "--db", str(db), cwd=tmp_path, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "demo-gorod-rss: ok - fetched 4, new 4," in again.stdout  # afresh: every item new again


@pytest.mark.parametrize("command", ["demo", "import"])
def test_an_empty_db_option_is_refused(tmp_path: Path, command: str) -> None:
    # `--db "$MONITOR_DB"` with the variable unset: `import` wrote into data/monitor.duckdb of the
    # working directory, `demo` ended in a traceback (it tried to delete ".")
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"text": "Яма у дома 5"}\n', encoding="utf-8")
    args = (
        ["demo", "--db", ""]
        if command == "demo"
        else ["import", "jsonl", str(rows), "--source", "x", "--db", ""]
    )
    result = run_cli(*args, "--no-classify" if command == "import" else "--keep", cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: --db is empty: name a file, or leave the option out for ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.jsonl"]


def test_an_empty_config_option_is_refused(tmp_path: Path) -> None:
    # with `--config ""` the default config/sources.toml of the working directory was read instead
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "sources.toml").write_text('[settings]\ndb = "other.duckdb"\n', encoding="utf-8")
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"text": "Яма у дома 5"}\n', encoding="utf-8")
    result = run_cli(
        "import", "jsonl", str(rows), "--source", "x", "--config", "", "--no-classify", cwd=tmp_path
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "error: --config is empty: name a file, or leave the option out for the default"
    ]
    assert not (tmp_path / "other.duckdb").exists()


def test_a_source_named_twice_runs_once(tmp_path: Path, httpserver: HTTPServer) -> None:
    # it ran twice at once, the two runs racing on its cursor and its failure counter
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\n")
    httpserver.expect_request("/city.xml").respond_with_data(
        (FIXTURES / "rss" / "city.xml").read_bytes(), content_type="application/rss+xml"
    )
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[settings]\nmin_delay = 0.0\nretries = 0\n[[sources]]\nname = "city"\nkind = "rss"\n'
        f'url = "{httpserver.url_for("/city.xml")}"\n',
        encoding="utf-8",
    )
    db = tmp_path / "m.duckdb"
    result = run_cli(
        "run",
        "--config",
        str(config),
        "--db",
        str(db),
        "--source",
        "city",
        "--source",
        "city",
        "--no-classify",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("city: ok - fetched ")
    assert lines[1].startswith("collected 1 sources in ")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    finally:
        con.close()
    assert len([r for r in httpserver.log if r[0].path == "/city.xml"]) == 1


@pytest.mark.parametrize("runs", ["-3", "99999999999999999999", "ten"])
def test_status_runs_must_be_a_count(tmp_path: Path, runs: str) -> None:
    # a negative or huge N was reported as "is this a database of this monitor?"
    db = tmp_path / "m.duckdb"
    _monitor_database(db)
    result = run_cli("status", "--db", str(db), "--runs", runs, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith("pipeline.py status: error: argument --runs: ")
    assert "database" not in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("command", ["extract", "classify", "status"])
def test_stdout_on_a_full_disk_is_one_line(tmp_path: Path, command: str) -> None:
    # `pipeline.py status > /var/log/monitor-status.txt` from cron, on a full disk: a traceback
    import subprocess
    import sys

    from testutil import ROOT

    db = tmp_path / "m.duckdb"
    _monitor_database(db)
    args = {
        "extract": ["extract", str(DEMO_PAGE)],
        "classify": ["classify", "--workers", "1"],
        "status": ["status", "--db", str(db)],
    }[command]
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, str(ROOT / "pipeline.py"), *args],
            input='{"id": 1, "text": "Яма у дома 5"}\n',
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            timeout=180,
        )
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["error: cannot write the output: No space left on device"]


# Every command line ../shared/DESIGN.md promises ("Command-line contract"), with the value each
# option must reach the command with.
DESIGN_COMMANDS: list[tuple[list[str], dict[str, object]]] = [
    (["demo"], {"db": "data/demo.duckdb"}),
    (
        ["run", "--config", "c.toml", "--db", "m.duckdb", "--source", "a", "--source", "b"],
        {"source": ["a", "b"]},
    ),
    (["schedule", "--config", "c.toml", "--db", "m.duckdb"], {"config": "c.toml", "db": "m.duckdb"}),
    *(
        (
            ["import", kind, "export.file", "--source", "dept", "--db", "m.duckdb"],
            {"kind": kind, "source": "dept"},
        )
        for kind in ("whatsapp", "facebook-export", "csv", "jsonl")
    ),
    (["extract", "page.html", "--url", "https://portal.kz/news/1"], {"url": "https://portal.kz/news/1"}),
    (["classify", "--model", "m.npz"], {"model": "m.npz"}),
    (["train"], {}),
    (["evaluate", "--data", "dev.jsonl"], {"data": "dev.jsonl"}),
    *(
        (["export", "--format", fmt, "--out", f"week.{fmt}"], {"format": fmt})
        for fmt in ("csv", "xlsx", "json", "parquet")
    ),
    (["review", "--host", "127.0.0.1", "--port", "8080"], {"host": "127.0.0.1", "port": 8080}),
    (["status"], {}),
]


@pytest.mark.parametrize(
    ("argv", "expected"), DESIGN_COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_the_design_command_lines_parse(argv: list[str], expected: dict[str, object]) -> None:
    from pipeline import build_parser

    args = build_parser().parse_args(argv)
    assert callable(args.func)
    assert {
        key: getattr(args, key) if key not in ("data", "model") else str(getattr(args, key))
        for key in expected
    } == expected


def _documented_command_lines() -> list[str]:
    """`pipeline.py ...` lines of README.md and docs/OPERATIONS.md, continuation lines joined."""
    from testutil import ROOT

    found = []
    for doc in ("README.md", "docs/OPERATIONS.md"):
        text = (ROOT / doc).read_text(encoding="utf-8").replace("\\\n", " ").replace("\\|", "|")
        for match in re.finditer(r"pipeline\.py ([^`\n|;&<>]+)", text):
            found.append(match.group(1).strip())
    return found


def test_the_documented_command_lines_parse() -> None:
    import shlex

    from pipeline import build_parser

    lines = _documented_command_lines()
    assert len(lines) >= 20
    for line in lines:
        argv = [a for a in shlex.split(line, comments=True) if a not in ("...", "…")]
        try:
            build_parser().parse_args(argv)
        except SystemExit:
            pytest.fail(f"documented command does not parse: pipeline.py {line}")


def test_a_command_started_with_stdout_closed_ends_without_a_traceback(tmp_path: Path) -> None:
    # `pipeline.py extract PAGE >&-` (a wrapper that closes stdout): Python starts with sys.stdout None
    import os
    import subprocess
    import sys

    from testutil import ROOT

    result = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "extract", str(DEMO_PAGE)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        timeout=180,
        preexec_fn=lambda: os.close(1),  # the child starts with its fd 1 closed
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
