"""`review --port`: a port outside 0-65535 is a usage error (99999 listened on 34463, -1 ended in a
traceback), and a port in use is one `error:` line naming it (werkzeug printed two lines of its own)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from testutil import ROOT, run_cli


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "m.duckdb"
    done = run_cli("user", "add", "aigerim", "--db", str(path), "--password-stdin", stdin="long-enough\n")
    assert done.returncode == 0, done.stderr
    return path


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "eighty"])
def test_a_port_outside_the_range_is_refused_before_anything_listens(db: Path, port: str) -> None:
    done = run_cli("review", "--db", str(db), "--port", port, timeout=30)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1].startswith("pipeline.py review: error: argument --port: ")
    assert "Traceback" not in done.stderr


def test_a_port_in_use_is_one_error_line_naming_it(db: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("review", "--db", str(db), "--port", str(port), timeout=30)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: the port is in use by another program; "
        "stop it or give another --port"
    ]


def test_an_ipv6_host_is_taken_as_a_url_writes_it_and_printed_so(db: Path) -> None:
    # review: `--host [::1]` was refused as a name, and `--host ::1` printed http://::1:PORT/
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "pipeline.py"),
            "review",
            "--db",
            str(db),
            "--host",
            "[::1]",
            "--port",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert line.startswith("review page on http://[::1]:"), line
