"""`retries = 0` (sources.toml): a request made once is said so. The errors read "connection failed
after 1 attempts" and "Graph API failed 1 times" (acceptance run)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from testutil import run_cli

from collectors import facebook
from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from demo.graph_emulator import GraphEmulator, serve
from errors import FetchError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facebook"


@pytest.mark.parametrize(("retries", "said"), [(0, "after 1 attempt: "), (1, "after 2 attempts: ")])
def test_a_refused_connection_counts_its_attempts_in_words(tmp_path: Path, retries: int, said: str) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(
        f"[settings]\nretries = {retries}\nbackoff_base_minutes = 0\nrespect_robots = false\n"
        '[[sources]]\nname = "city-rss"\nkind = "rss"\nurl = "http://127.0.0.1:9/feed.xml"\n',
        encoding="utf-8",
    )
    done = run_cli("run", "--config", str(config), "--db", str(tmp_path / "m.duckdb"), "--no-classify")
    line = next(x for x in done.stderr.splitlines() if x.startswith("city-rss: "))
    assert f"connection failed {said}connection refused" in line, done.stderr


@pytest.mark.parametrize(
    ("retries", "said"), [(0, "Graph API failed once (code 2"), (1, "Graph API failed 2 times")]
)
def test_a_transient_graph_error_counts_its_tries_in_words(
    monkeypatch: pytest.MonkeyPatch, retries: int, said: str
) -> None:
    token = "EAAGrealTOKENzq81vX7"
    emulator = GraphEmulator(token=token)
    page: dict[str, Any] = json.loads((FIXTURES / "page.json").read_text(encoding="utf-8"))
    emulator.load(page)
    emulator.fail("transient", path="/feed", times=-1)
    monkeypatch.setenv("FB_RETRY_TOKEN", token)
    with serve(emulator) as base:
        options = {"page_id": "104857600123", "graph_url": base + "/v25.0", "token_env": "FB_RETRY_TOKEN"}
        ctx = CollectContext(
            source=SourceConfig(name="dept", kind="facebook", options=options),
            http=HttpClient(retries=retries, sleep=lambda _s: None, source="dept"),
            state={},
            last_success=None,
            now=datetime(2026, 11, 25, 6, tzinfo=UTC),
        )
        with pytest.raises(FetchError) as caught:
            list(facebook.collect(ctx))
    assert said in str(caught.value)
