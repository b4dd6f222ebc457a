"""`pipeline.py review` as a real process: binds to 127.0.0.1, serves the login page, holds no lock."""

from __future__ import annotations

import contextlib
import html
import http.cookiejar
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import duckdb
from testutil import ROOT, run_cli

from review.app import create_app
from review.auth import SECRET_ENV


def _serve(db: Path) -> subprocess.Popen[str]:
    """`pipeline.py review` on a free port of 127.0.0.1; its first line says where."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "pipeline.py"), "review", "--db", str(db), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_review_serves_on_loopback_and_leaves_the_file_free(review_db: Path, password: str) -> None:
    proc = _serve(review_db)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("review page on http://127.0.0.1:"), line + proc.stderr.read()  # type: ignore[union-attr]
        url = line.split()[3]
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(url + "login", timeout=30) as resp:
            page = resp.read().decode("utf-8")
            assert resp.status == 200
            assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": "aigerim", "password": password, "csrf_token": token})
        with opener.open(url + "login", data=form.encode(), timeout=30) as resp:
            listing = resp.read().decode("utf-8")  # redirected to the list, which read the database
        assert '<span id="total">8</span>' in listing
        # Between requests the server keeps no connection: another process can write the file.
        con = duckdb.connect(str(review_db))
        con.execute("INSERT INTO meta VALUES ('probe', 'written while the review page runs')")
        con.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_review_refuses_a_missing_database(tmp_path: Path) -> None:
    done = run_cli("review", "--db", str(tmp_path / "typo.duckdb"), "--port", "0")
    assert done.returncode == 1
    assert "no database here yet" in done.stderr
    assert not (tmp_path / "typo.duckdb").exists()


def test_session_secret_is_kept_in_the_database_unless_given(review_db: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(SECRET_ENV, raising=False)
    first = create_app(review_db).config["SECRET_KEY"]
    assert len(first) >= 40
    assert create_app(review_db).config["SECRET_KEY"] == first  # sessions survive a restart
    monkeypatch.setenv(SECRET_ENV, "from-the-environment-" + "z" * 20)
    assert create_app(review_db).config["SECRET_KEY"] == "from-the-environment-" + "z" * 20


SLOW_DOWNLOADS = """
import sys, time
sys.path.insert(0, sys.argv[1])
from review import export_stream
copy = export_stream._copy_steps
def slow(con, filters, folder):
    (folder / "steps.duckdb").write_bytes(b"rows, authors, notes")
    time.sleep(60)  # a download of a large store, under way
    return copy(con, filters, folder)
export_stream._copy_steps = slow
import pipeline
sys.exit(pipeline.main(["review", "--db", sys.argv[2], "--port", "0"]))
"""


def test_a_service_stop_ends_the_page_and_removes_the_copies_of_downloads_under_way(
    review_db: Path, password: str, tmp_path: Path
) -> None:
    # SIGTERM met the default handler: the process died, and a download's copy of the rows (texts,
    # authors, notes) stayed in the temporary folder (review). The page now exits as for Ctrl-C.
    import os
    import signal
    import threading
    import time

    spill = tmp_path / "tmp"
    spill.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_DOWNLOADS, str(ROOT), str(review_db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(spill)},
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("review page on"), line + proc.stderr.read()  # type: ignore[union-attr]
        url = line.split()[3]
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(url + "login", timeout=30) as resp:
            token = re.search(r'name="csrf_token" value="([^"]+)"', resp.read().decode()).group(1)
        form = urllib.parse.urlencode({"username": "aigerim", "password": password, "csrf_token": token})
        with opener.open(url + "login", data=form.encode(), timeout=30) as resp:  # to the list
            link = re.search(r'id="export-csv" href="/([^"]+)"', resp.read().decode()).group(1)
        download = threading.Thread(
            target=lambda: _quietly(lambda: opener.open(url + html.unescape(link), timeout=60).read()),
            daemon=True,
        )
        download.start()
        deadline = time.monotonic() + 30
        while not list(spill.glob(".export-*/steps.duckdb")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(spill.glob(".export-*/steps.duckdb")), "the download did not start"
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 128 + signal.SIGTERM
        assert "Traceback" not in proc.stderr.read()  # type: ignore[union-attr]
        assert list(spill.glob(".export-*")) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _quietly(action: object) -> None:
    with contextlib.suppress(OSError):  # the server went away mid-download
        action()  # type: ignore[operator]


def test_export_folders_a_killed_process_left_are_swept_after_a_day(tmp_path: Path) -> None:
    import os
    import time

    from review.export_stream import sweep_abandoned

    old, fresh, other = tmp_path / ".export-old", tmp_path / ".export-new", tmp_path / "keep-old"
    for folder in (old, fresh, other):
        folder.mkdir()
        (folder / "steps.duckdb").write_bytes(b"rows")
    two_days_ago = time.time() - 2 * 86_400
    for folder in (old, other):
        os.utime(folder, (two_days_ago, two_days_ago))
    assert sweep_abandoned(tmp_path) == 1
    assert not old.exists() and fresh.exists() and other.exists()
