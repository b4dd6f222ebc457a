"""`status` keeps its columns aligned whatever the length of the source names: the source column is as
wide as the longest name, up to 60 characters; a longer name is cut with an ellipsis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batch.status import print_status
from collectors.base import SourceConfig
from config.sources import Config
from store import runs as runlog
from store.db import writer

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
NAME_WIDTH = 60  # the widest source column
NAMES = [
    "city-rss",
    "akimat-ust-kamenogorsk-official-news-ru",  # 39 characters: it broke the 24-character column
    "vko-" + "очень-длинное-имя-источника-новостей-" * 3,  # 115: cut
]


def _status(tmp_path: Path, names: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    db = tmp_path / "m.duckdb"
    with writer(db) as con:
        for name in names:
            run = runlog.RunRecord(source=name, kind="rss", started_at=NOW - timedelta(minutes=10))
            runlog.start_run(con, run)
            run.status, run.finished_at, run.fetched = "ok", NOW - timedelta(minutes=9), 12
            runlog.finish_run(con, run)
    sources = [SourceConfig(n, "rss", {"url": "http://x/f.xml"}) for n in names]
    print_status(Config(path=None, settings={}, sources=sources), db, now=NOW)
    return capsys.readouterr().out.splitlines()


def _table(lines: list[str], count: int) -> tuple[str, list[str]]:
    return lines[0], lines[2 : 2 + count]


def test_columns_stay_aligned_with_long_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header, rows = _table(_status(tmp_path, NAMES, capsys), len(NAMES))
    column = header.index("last run")
    assert column == NAME_WIDTH + 1  # the longest name is over the cap
    for row in rows:
        assert row[column:].startswith("10m ago      ok "), row
        assert row[: header.index("items") + len("items")].endswith("0"), row  # the items column too
    assert rows[0].startswith("akimat-ust-kamenogorsk-official-news-ru ")
    cut = rows[2][:NAME_WIDTH]
    assert cut.endswith("…") and NAMES[2].startswith(cut[:-1]), rows[2]


def test_a_name_shorter_than_the_cap_sets_the_width(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, rows = _table(_status(tmp_path, NAMES[:2], capsys), 2)
    column = header.index("last run")
    assert column == len(NAMES[1]) + 1
    assert all(row[column:].startswith("10m ago      ok ") for row in rows), rows


def test_short_names_keep_the_24_character_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header, rows = _table(_status(tmp_path, ["city-rss"], capsys), 1)
    assert header.index("last run") == 25
    assert rows[0].startswith("city-rss                 10m ago      ok ")
