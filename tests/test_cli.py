"""The command line itself: every command documented, user errors as one line, the demo end to end."""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import pytest
from testutil import run_cli

from pipeline import build_parser

CONTRACT = {
    "run",
    "schedule",
    "import",
    "extract",
    "classify",
    "train",
    "evaluate",
    "export",
    "review",
    "status",
    "demo",
}


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _options(parser: argparse.ArgumentParser) -> set[str]:
    found = {o for a in parser._actions for o in a.option_strings}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _options(sub)
    return found


def test_options_named_in_help_texts_exist() -> None:
    import re

    commands = subcommands()
    for name, sub in commands.items():
        text = " ".join([sub.description or ""] + [a.help or "" for a in sub._actions])
        named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))
        # a text may name another command's option: «python pipeline.py export --format training-jsonl»,
        # «for `train --extra-jsonl`»
        allowed = _options(sub).union(
            *(_options(commands[c]) for c in re.findall(r"(?:pipeline\.py |`)(\w+)", text) if c in commands)
        )
        assert named <= allowed, f"`{name}` help names {sorted(named - allowed)}"


def test_every_command_has_help_text() -> None:
    commands = subcommands()
    for name, sub in commands.items():
        text = sub.format_help()
        assert sub.description and len(sub.description) > 30, f"`{name}` has no description"
        assert "Example" in sub.description or "example" in text, f"`{name}` shows no example"


def test_contract_commands_present() -> None:
    missing = CONTRACT - set(subcommands())
    assert not missing, f"commands of the contract not registered: {sorted(missing)}"


def test_help_runs_fast_path() -> None:
    result = run_cli("--help")
    assert result.returncode == 0 and "run" in result.stdout


def test_unknown_import_file_is_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "import", "csv", str(tmp_path / "missing.csv"), "--source", "x", "--db", str(tmp_path / "d.duckdb")
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'missing.csv'}: file not found"]


def test_import_refuses_a_blank_source_name(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("text\nЯма\n", encoding="utf-8")
    result = run_cli("import", "csv", str(path), "--source", " ", "--db", str(tmp_path / "d.duckdb"))
    assert result.returncode == 2  # argparse's usage error; the items were stored under "" before
    assert "argument --source: a source name cannot be empty" in result.stderr
    assert not (tmp_path / "d.duckdb").exists()


def test_demo_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    result = run_cli("demo", "--db", str(db), cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo-gorod-rss: ok" in result.stdout
    assert "waiting for a second look: corruption" in result.stdout
    assert f"python pipeline.py review --db {db}" in result.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        kinds = dict(con.execute("SELECT kind, count(*) FROM items GROUP BY 1").fetchall())
        failed = con.execute("SELECT count(*) FROM runs WHERE status NOT IN ('ok', 'partial')").fetchone()[0]
    finally:
        con.close()
    assert kinds.get("entry", 0) >= 7
    assert failed == 0


@pytest.mark.parametrize("kind", ["whatsapp", "csv", "jsonl"])
def test_import_of_a_directory_says_so(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    result = run_cli("import", kind, str(folder), "--source", "x", "--db", str(tmp_path / "d.duckdb"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("x: failed - fetched 0, new 0, updated 0 ("), result.stderr
    assert lines[0].endswith(f" s) - {folder}: is a directory, not a file")


def test_import_prints_each_bad_line_once(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    lines = ['{"text": "Во дворе нет света"}'] + ["{broken"] * 25
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "d.duckdb"
    result = run_cli("import", "jsonl", str(path), "--source", "x", "--db", str(db), "--no-classify")
    assert result.returncode == 1
    assert result.stdout.startswith(
        "x: partial - fetched 1, new 1, updated 0, 25 with problems (listed below)"
    )
    shown = [
        f"  problem: {path}:{n}: source x: not JSON: Expecting property name enclosed in double quotes at column 2"
        for n in range(2, 22)
    ]
    assert result.stderr.splitlines() == [*shown, "  ... and 5 more (--debug lists every one)"]


@pytest.mark.parametrize("where", ["before the command", "after it"])
def test_import_with_debug_logs_every_bad_line(tmp_path: Path, where: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("{broken\n" * 25, encoding="utf-8")
    db = tmp_path / "d.duckdb"
    command = ["import", "jsonl", str(path), "--source", "x", "--db", str(db), "--no-classify"]
    result = run_cli(*(["--debug", *command] if where == "before the command" else [*command, "--debug"]))
    assert result.returncode == 1
    assert all(f"{path}:{n}: source x: not JSON" in result.stderr for n in range(1, 26))


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    import json
    import shlex
    import subprocess
    import sys

    from testutil import ROOT

    lines = tmp_path / "in.jsonl"
    lines.write_text(
        "".join(
            json.dumps({"id": i, "text": f"Во дворе яма номер {i}"}, ensure_ascii=False) + "\n"
            for i in range(3000)
        ),
        encoding="utf-8",
    )
    command = f"{shlex.quote(sys.executable)} {ROOT / 'pipeline.py'} classify --workers 1 < {lines}"
    done = subprocess.run(
        ["bash", "-c", f'{command} | head -1; echo "exit ${{PIPESTATUS[0]}}" >&2'],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert json.loads(done.stdout)["id"] == 0
    assert done.stderr == "exit 141\n"  # no traceback: the reader (`head -1`) has all it wanted


def test_only_a_closed_reader_counts_as_gone() -> None:
    import os

    from pipeline import _reader_gone

    read_end, write_end = os.pipe()
    try:
        assert not _reader_gone(write_end)  # a broken pipe elsewhere is an error, not this
        os.close(read_end)
        assert _reader_gone(write_end)
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "status"],
        ["status", "--debug"],
        ["--debug", "user", "list"],
        ["user", "list", "--debug"],
        ["--log-json", "export", "--format", "csv", "--out", "x.csv"],
        ["export", "--format", "csv", "--out", "x.csv", "--log-json"],
    ],
)
def test_the_global_options_are_read_before_or_after_the_command(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.debug is ("--debug" in argv)
    assert args.log_json is ("--log-json" in argv)


def test_a_global_option_after_the_command_leaves_its_own_options_short_forms_alone() -> None:
    # `schedule --log FILE` (its --log-file) was refused as ambiguous with --log-json (review)
    args = build_parser().parse_args(["schedule", "--log", "/tmp/monitor.log"])
    assert str(args.log_file) == "/tmp/monitor.log" and args.log_json is False
    # `evaluate --de` for --dev-only, ambiguous with --debug (review)
    assert build_parser().parse_args(["evaluate", "--data", "x.jsonl", "--de"]).dev_only is True
