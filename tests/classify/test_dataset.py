"""Reading labelled JSON lines (reviewers' files, `evaluate --data`) and the development split's groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classify import dataset
from classify.dataset import BadLines, Row, dev_repeats, load_extra, read_jsonl
from errors import InputError


def _line(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode() + b"\n"


def test_every_bad_line_is_named_once_and_the_file_is_refused(tmp_path: Path) -> None:
    good = _line({"id": "ok", "text": "Во дворе нет воды", "labels": {"corruption": 0, "infrastructure": 1}})
    lines = [
        good,
        _line({"text": "a", "labels": {"corruption": 2}}),
        _line({"text": "b", "labels": {"infrastructure": -1}}),
        _line({"text": "c", "labels": {"corruption": 0.7}}),
        _line({"text": None, "labels": {"corruption": 1}}),
        _line({"text": "   ", "labels": {"corruption": 1}}),
        _line({"text": "d", "labels": {"Corruption": 1, "infra": 0}}),
        _line({"text": "e"}),
        _line([1, 2]),
        _line({"text": "f", "labels": [1, 0]}),
        b'{"text": "\xff\xfe", "labels": {"corruption": 1}}\n',
        b"{not json\n",
        _line({"text": "g", "labels": {"corruption": "1"}}),
        _line({"text": "h", "labels": {}}),
        b"\n",  # a blank line is no row and no error
        good,
    ]
    path = tmp_path / "decisions.jsonl"
    path.write_bytes(b"".join(lines))
    with pytest.raises(BadLines) as caught:
        read_jsonl(path, "extra")
    expected = "0, 1, true, false or null"
    assert caught.value.problems == [
        f"{path}:2: label corruption is 2; expected {expected}",
        f"{path}:3: label infrastructure is -1; expected {expected}",
        f"{path}:4: label corruption is 0.7; expected {expected}",
        f"{path}:5: no text",
        f"{path}:6: empty text",
        f"{path}:7: unknown labels 'Corruption', 'infra' (the labels are corruption, infrastructure)",
        f"{path}:8: no labels (an object of corruption, infrastructure, each {expected})",
        f"{path}:9: expected a JSON object with text and labels, got an array",
        f"{path}:10: labels is an array, not an object of corruption, infrastructure",
        f"{path}:11: not UTF-8 text",
        f"{path}:12: invalid JSON (Expecting property name enclosed in double quotes, column 2)",
        f'{path}:13: label corruption is "1"; expected {expected}',
        f"{path}:14: labels is empty (the labels are corruption, infrastructure)",
    ]
    assert str(caught.value) == f"{path}: 13 bad lines; the file was not used: fix the lines and run again"
    assert isinstance(caught.value, InputError)  # the command line's one-line errors


def test_a_byte_order_mark_booleans_nulls_and_a_missing_label_are_read(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + _line(
            {"id": "a", "text": "Аким требовал взятку", "labels": {"corruption": 1, "infrastructure": None}}
        )
        + _line(
            {
                "text": "Көшеде жарық жоқ",
                "lang": "kk",
                "labels": {"corruption": False, "infrastructure": True},
            }
        )
        + _line({"id": "c", "text": "Концерт в парке", "labels": {"infrastructure": 0}})
    )
    rows = read_jsonl(path, "extra")
    assert [(r.id, r.lang, r.labels) for r in rows] == [
        ("a", "", {"corruption": 1, "infrastructure": None}),
        ("extra:2", "kk", {"corruption": 0, "infrastructure": 1}),
        ("c", "", {"corruption": None, "infrastructure": 0}),
    ]
    assert all(type(v) is int for r in rows for v in r.labels.values() if v is not None)


def test_a_file_of_garbage_names_the_first_bad_lines_and_counts_them_all(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("".join(f"{n},text {n}\n" for n in range(200)), encoding="utf-8")
    with pytest.raises(BadLines) as caught:
        read_jsonl(path, "extra")
    assert len(caught.value.problems) == dataset.MAX_REPORTED and caught.value.count == 200
    assert "200 bad lines (the first 50 shown)" in str(caught.value)


def test_an_empty_file_or_one_without_a_known_label_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n\n")
    with pytest.raises(InputError, match="no labelled rows: the file is empty"):
        load_extra(empty)
    nulls = tmp_path / "nulls.jsonl"
    nulls.write_bytes(_line({"text": "Концерт", "labels": {"corruption": None, "infrastructure": None}}))
    with pytest.raises(InputError, match="none of its 1 rows has a known label"):
        load_extra(nulls)


def test_a_missing_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read labelled data: No such file or directory"):
        read_jsonl(tmp_path / "none.jsonl", "extra")


def _row(text: str, file: str, split: str = "dev") -> Row:
    return Row(
        id=text, text=text, lang="ru", file=file, labels={"corruption": 1, "infrastructure": 0}, split=split
    )


def test_repeats_of_development_texts_are_found_as_the_split_groups_them() -> None:
    dev = [
        _row("Во дворе дома 5 нет воды третий день!", "kazakh_dev"),
        _row(
            "Аким района задержан за взятку в десять миллионов тенге при строительстве школы",
            "corruption_dev",
        ),
    ]
    extra = [
        _row("во дворе дома нет воды, третий день", "extra", "train"),  # the same normalised text
        _row("Во дворе дома 5 нет воды", "extra", "train"),  # near, but not of a clustered file
        _row("Аким района задержан за взятку при строительстве школы", "extra", "train"),  # a near-duplicate
        _row("Аким области открыл новую школу", "extra", "train"),
    ]
    assert dev_repeats(extra, dev) == [0, 2]
    assert dev_repeats(extra, []) == []
