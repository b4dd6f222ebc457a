"""Where the review page's downloads keep their temporary files: $TMPDIR when the operator sets it,
else the database's folder (not the system's /tmp, often a small tmpfs); a full folder is a page."""

from __future__ import annotations

import errno
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from testutil import with_token

from review import export_stream
from review.app import create_app


def _logged_in(db: Path, password: str) -> FlaskClient:
    client = create_app(db, secret_key="test-secret-" + "f" * 32, testing=True).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    data = {"username": "aigerim", "password": password, "csrf_token": token.group(1)}
    assert client.post("/login", data=data).status_code == 302
    return client


@pytest.fixture
def used(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Path]]:
    """The folders a download wrote its file (``spool``) and its copy of the rows (``copy``) in."""
    seen: dict[str, list[Path]] = {"spool": [], "copy": []}
    temporary_file = tempfile.TemporaryFile
    write_copy = export_stream._write_copy

    def spool(*args: Any, **kwargs: Any) -> Any:
        seen["spool"].append(Path(kwargs.get("dir") or tempfile.gettempdir()))
        return temporary_file(*args, **kwargs)

    def copy(path: Path, *args: Any, **kwargs: Any) -> int:
        seen["copy"].append(path.parent.parent)  # <folder>/.export-XXXX/steps.duckdb
        return write_copy(path, *args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", spool)
    monkeypatch.setattr(export_stream, "_write_copy", copy)
    return seen


def test_without_tmpdir_a_download_is_prepared_beside_the_database(
    review_db: Path, password: str, system_tmp: Path, used: dict[str, list[Path]]
) -> None:
    client = _logged_in(review_db, password)
    resp = client.get("/export", query_string=with_token(client, {"format": "csv"}))
    assert resp.status_code == 200 and resp.data.count(b"\n") > 1
    resp.close()
    assert used == {"spool": [review_db.parent], "copy": [review_db.parent]}
    assert list(system_tmp.iterdir()) == []  # was: both in the system's folder, a tmpfs on many servers
    assert list(review_db.parent.glob(".export-*")) == []  # the copy removed once the file is written


def test_tmpdir_set_by_the_operator_holds_both(
    review_db: Path,
    password: str,
    tmp_path: Path,
    system_tmp: Path,
    used: dict[str, list[Path]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As for `export --out /dev/stdout`; the spool and the copy never part ways.
    chosen = tmp_path / "big-disk"
    chosen.mkdir()
    monkeypatch.setenv("TMPDIR", str(chosen))
    monkeypatch.setattr(tempfile, "tempdir", None)  # Python reads TMPDIR again
    client = _logged_in(review_db, password)
    resp = client.get("/export", query_string=with_token(client, {"format": "xlsx"}))
    assert resp.status_code == 200
    resp.close()
    assert used == {"spool": [chosen], "copy": [chosen]}
    assert list(review_db.parent.glob(".export-*")) == [] and list(chosen.glob(".export-*")) == []


def test_no_room_for_the_file_itself_is_the_same_page_as_no_room_for_the_copy(
    review_db: Path, password: str, system_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _logged_in(review_db, password)

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    resp = client.get("/export", query_string=with_token(client, {"format": "json"}))
    assert resp.status_code == 507  # was: an uncaught error, a bare 500
    assert "The download could not be prepared: No space left on device" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 200  # the store was let go


def test_the_page_sweeps_download_folders_a_killed_process_left_beside_the_database(
    review_db: Path, system_tmp: Path
) -> None:
    old, fresh = review_db.parent / ".export-old", review_db.parent / ".export-fresh"
    for folder in (old, fresh):
        folder.mkdir()
        (folder / "steps.duckdb").write_bytes(b"rows and notes")
    two_days_ago = time.time() - 2 * 86_400
    os.utime(old, (two_days_ago, two_days_ago))
    create_app(review_db, secret_key="test-secret-" + "f" * 32, testing=True)
    assert not old.exists() and fresh.exists()  # fresh: perhaps another process's download under way
