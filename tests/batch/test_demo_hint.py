"""The demo's closing hint gives commands that run as shown on Debian, which has no `python`: the venv's
interpreter, which has the project's packages (python3 alone stops at the first import)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from batch.demo import print_flagged
from store.db import writer


def test_the_closing_hint_names_the_venv_interpreter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.duckdb"
    with writer(db):
        pass  # the schema, no items
    print_flagged(db)
    out = capsys.readouterr().out
    hint = out[out.index("Review them:") :]
    commands = re.findall(r"(\S*python\S*) pipeline\.py (\w+)", hint)
    assert [c for _, c in commands] == ["user", "review"]
    assert {python for python, _ in commands} == {".venv/bin/python"}
