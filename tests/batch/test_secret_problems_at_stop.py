"""A run stopped between two items (SIGTERM, a deadline) reports its problems with the source's
secrets scrubbed: the problems are read while the collector is still suspended (review RV5: the
token of a Graph-style problem reached `run`'s stderr)."""

from __future__ import annotations

import types
from collections.abc import Iterator
from pathlib import Path

import pytest

import batch.runner as runner
from collectors.base import CollectContext, SourceConfig
from collectors.item import Item
from config.sources import Config

TOKEN = "s3cr3t-TOKEN-value-123"


def test_problems_of_a_run_stopped_between_items_hide_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TOKEN", TOKEN)

    def collect(ctx: CollectContext) -> Iterator[Item]:
        ctx.state.setdefault("_errors", []).append(f"Graph said: (#190) token {TOKEN} is invalid")
        for n in range(5):
            yield Item(source=ctx.source.name, external_id=str(n), kind="post", text=f"text {n}")

    monkeypatch.setattr(runner, "collector_module", lambda kind: types.SimpleNamespace(collect=collect))
    source = SourceConfig(
        name="fake", kind="rss", options={"url": "https://x.kz/rss", "token_env": "FAKE_TOKEN"}
    )
    asked = iter([False, False] + [True] * 10)
    run = runner.run_source(source, Config(path=None), tmp_path / "m.duckdb", should_stop=lambda: next(asked))
    assert run.status == "aborted"
    assert run.problem_messages and all(TOKEN not in str(p) for p in run.problem_messages)
    assert "***" in str(run.problem_messages[0])
