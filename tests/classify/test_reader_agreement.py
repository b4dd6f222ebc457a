"""The second reading of the Kazakh development rows (bench/reader_agreement.py) and its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.reader_agreement import READINGS, agreement, read_readings
from classify.dataset import SHARED_DATA, load_shared


def test_readings_file_holds_both_readers_for_each_row() -> None:
    readings = read_readings()
    assert len(readings) == 795
    values = {v for row in readings.values() for reader in row.values() for v in reader.values()}
    assert values == {0, 1}
    assert READINGS.read_text(encoding="utf-8").count("\n") == 796  # header and rows, nothing else


def test_a_row_read_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    header = READINGS.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "r.tsv"
    path.write_text(f"{header}\nkaznerd:A1\t0\t1\t0\t1\nkaznerd:A1\t0\t0\t0\t0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: row id kaznerd:A1 given twice"):
        read_readings(path)


def test_agreement_judges_the_second_list_against_the_first() -> None:
    r = agreement([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
    assert (r["tp"], r["fp"], r["fn"]) == (2, 1, 1)
    assert r["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert r["f1"] == pytest.approx(2 / 3, abs=1e-4)


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="needs ../shared/data")
def test_read_rows_are_the_kazakh_development_rows() -> None:
    """The readings describe rows our split keeps out of training, and all of those of the three files."""
    dev = {
        r.id
        for r in load_shared(SHARED_DATA)
        if r.split == "dev"
        and r.lang == "kk"
        and r.file in ("kazakh_dev", "kazakh_corruption_dev", "corruption_dev")
        and all(v is not None for v in r.labels.values())
    }
    assert set(read_readings()) == dev
