"""A review database built with the real store code from tests/fixtures/review/items.json."""

from __future__ import annotations

import json
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from collectors.item import Item
from review.app import create_app
from review.auth import add_user
from store import classifications
from store.db import writer
from store.items import upsert_items

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "review" / "items.json"
PASSWORD = "s3cret-Пароль"


def load_fixture() -> list[dict[str, Any]]:
    """The fixture items."""
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["items"]


def build_db(path: Path, now: datetime) -> Path:
    """Store the fixture items, their predictions and near-duplicate clusters in a fresh file."""
    rows = load_fixture()
    items = [
        Item(
            source=r["source"],
            kind=r["kind"],
            external_id=r["external_id"],
            text=r["text"],
            parent=r.get("parent"),
            url=r.get("url"),
            author=r.get("author"),
            title=r.get("title"),
            published_at=now - timedelta(hours=r["hours_ago"]),
        )
        for r in rows
    ]
    with writer(path) as con:
        upsert_items(con, items, now=now)
        keys = [(i.source, i.external_id, i.content_hash) for i in items]
        classifications.save(con, keys, [r["pred"] for r in rows], model_version="test-1", now=now)
        for r in rows:
            if r.get("cluster"):
                con.execute(
                    "UPDATE items SET cluster_id = ? WHERE source = ? AND external_id = ?",
                    [r["cluster"], r["source"], r["external_id"]],
                )
    return path


@pytest.fixture
def now() -> datetime:
    """The moment the fixture's hours_ago count back from."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def review_db(tmp_path: Path, now: datetime) -> Path:
    """A database with the fixture items and one reviewer, 'aigerim'."""
    path = build_db(tmp_path / "review.duckdb", now)
    add_user(path, "aigerim", PASSWORD)
    return path


@pytest.fixture
def password() -> str:
    """The password of the fixture reviewer."""
    return PASSWORD


@pytest.fixture
def client(review_db: Path) -> FlaskClient:
    """A test client of an app over the fixture database."""
    return create_app(review_db, secret_key="test-secret-" + "x" * 32, testing=True).test_client()


@pytest.fixture
def logged_in(client: FlaskClient, password: str) -> FlaskClient:
    """The client after a successful login as aigerim."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token, "no CSRF token on /login"
    data = {"username": "aigerim", "password": password, "csrf_token": token.group(1)}
    assert client.post("/login", data=data).status_code == 302
    return client


@pytest.fixture
def system_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder, as Python finds it with no TMPDIR: a folder of the test's."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder
