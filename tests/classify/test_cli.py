"""The classify, train and evaluate commands through the real command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from testutil import ROOT, run_cli


def _lines(stdout: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_classify_json_lines() -> None:
    stdin = "\n".join(
        [
            json.dumps(
                {
                    "id": "a",
                    "text": "На улице Гагарина огромная яма, машины бьют колеса, просим отремонтировать дорогу.",
                },
                ensure_ascii=False,
            ),
            json.dumps(
                {"id": "b", "text": "Көшеде жарық жоқ, балалар қараңғыда жүреді.", "source": "x"},
                ensure_ascii=False,
            ),
        ]
    )
    result = run_cli("classify", stdin=stdin + "\n")
    assert result.returncode == 0, result.stderr
    out = _lines(result.stdout)
    assert [o["id"] for o in out] == ["a", "b"]
    assert out[1]["source"] == "x"
    assert out[0]["lang"] == "ru" and out[1]["lang"] == "kk"
    assert "infrastructure" in out[0]["labels"]
    assert set(out[0]["scores"]) == {"corruption", "infrastructure"}
    assert set(out[0]["evidence"]) == {"corruption", "infrastructure"}


def test_bad_lines_get_one_error_each_and_the_rest_is_classified() -> None:
    good = json.dumps({"id": "ok", "text": "Автобус номер 37 ходит раз в час."}, ensure_ascii=False)
    huge = json.dumps({"id": "big", "text": "а" * 1_000_000})
    garbage = json.dumps({"id": "bin", "text": "\x00\x01\x02\x03\x04\x05\x06\x07" * 50})
    lines = [
        good,
        '{"id": "empty", "text": ""}',
        huge,
        garbage,
        "{not json",
        '{"id": "notext"}',
        good.replace('"ok"', '"ok2"'),
    ]
    result = run_cli("classify", stdin="\n".join(lines) + "\n")
    assert result.returncode == 1
    assert [o["id"] for o in _lines(result.stdout)] == ["ok", "ok2"]
    errors = result.stderr.strip().splitlines()
    assert errors == [
        "error: stdin line 2: empty text",
        "error: stdin line 3: text too long (1000000 characters; at most 100000)",
        "error: stdin line 4: text looks like binary data, not language",
        "error: stdin line 5: invalid JSON: expecting property name enclosed in double quotes at column 2",
        "error: stdin line 6: missing or non-string text field",
    ]
    assert "Traceback" not in result.stderr


def test_invalid_utf8_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    data = b'{"id": "x", "text": "\xff\xfe bad"}\n{"id": "y", "text": "\xd0\xb2\xd0\xbe\xd0\xb4\xd1\x8b \xd0\xbd\xd0\xb5\xd1\x82"}\n'
    result = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "classify"], input=data, capture_output=True, timeout=180
    )
    assert result.returncode == 1
    assert b"line 1: not UTF-8 text" in result.stderr
    assert [o["id"] for o in _lines(result.stdout.decode())] == ["y"]


def _classify_bytes(data: bytes) -> tuple[int, list[dict], str]:  # type: ignore[type-arg]
    """Run classify on raw bytes; stdout must be strict UTF-8 and each line strict JSON (no NaN)."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "classify"], input=data, capture_output=True, timeout=180
    )

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in the output is not JSON")

    stdout = result.stdout.decode("utf-8")  # strict: a lone surrogate could not have been written
    out = [json.loads(line, parse_constant=refuse) for line in stdout.splitlines()]
    return result.returncode, out, result.stderr.decode("utf-8")


def test_lone_surrogates_anywhere_in_a_line_become_replacement_characters_and_it_is_classified() -> None:
    lines = [
        r'{"id": 1, "text": "Аким требовал взятку \ud800 у жителей"}',
        r'{"id": "\udc00", "text": "Автобус номер 37 ходит раз в час."}',
        r'{"id": 3, "text": "Во дворе нет воды \ud83d\ude00", "meta": {"\ud801": ["\udfff x"]}}',
        r'{"id": 4, "text": "Во дворе нет воды"}',
    ]
    returncode, out, stderr = _classify_bytes("\n".join(lines).encode("utf-8") + b"\n")
    assert returncode == 0, stderr
    assert "Traceback" not in stderr
    assert [o["id"] for o in out] == [1, "\ufffd", 3, 4]
    assert out[0]["text"] == "Аким требовал взятку \ufffd у жителей"
    assert out[0]["lang"] == "ru"
    # A valid pair of escapes is one character (json joins it), not two replacement characters.
    assert out[2]["text"] == "Во дворе нет воды \U0001f600"
    assert out[2]["meta"] == {"\ufffd": ["\ufffd x"]}


def test_lines_too_deep_or_with_numbers_json_cannot_hold_are_refused_one_by_one() -> None:
    good = '{"id": 5, "text": "Аким требовал взятку"}'
    lines = [
        '{"id": 1, "text": "x", "z": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": NaN, "text": "Аким требовал взятку"}',
        '{"id": 3, "text": "Аким требовал взятку", "score": Infinity}',
        '{"id": 4, "text": "Аким требовал взятку", "score": -1e999}',
        good,
    ]
    returncode, out, stderr = _classify_bytes("\n".join(lines).encode("utf-8") + b"\n")
    assert returncode == 1
    assert [o["id"] for o in out] == [5]
    assert stderr.strip().splitlines() == [
        "error: stdin line 1: invalid JSON: nested too deeply",
        "error: stdin line 2: invalid JSON: NaN is not a JSON number",
        "error: stdin line 3: invalid JSON: Infinity is not a JSON number",
        "error: stdin line 4: invalid JSON: number -1e999 is out of range",
    ]


def test_evaluate_a_lone_surrogate_in_one_text_leaves_the_others_their_language(tmp_path: Path) -> None:
    rows = [
        {
            "id": f"g{n}",
            "text": f"Аким требовал взятку {n}",
            "labels": {"corruption": n % 2, "infrastructure": 0},
        }
        for n in range(10)
    ]
    path = tmp_path / "labelled.jsonl"
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    lines.append(
        r'{"id": "s", "text": "Аким требовал взятку \ud800", "labels": {"corruption": 1, "infrastructure": 0}}'
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("evaluate", "--data", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert "lingua" not in result.stderr
    corruption = json.loads(result.stdout)["metrics"]["corruption"]
    assert corruption["ru"]["n"] == corruption["all"]["n"] == 11


def test_a_byte_order_mark_at_the_start_of_the_input_is_not_part_of_the_first_line() -> None:
    line = json.dumps({"id": "a", "text": "Во дворе нет воды третий день"}, ensure_ascii=False)
    result = run_cli("classify", stdin="\ufeff" + line + "\n" + "\ufeff" + line + "\n")
    assert [o["id"] for o in _lines(result.stdout)] == ["a"]
    # Only at the start of the input: further down it is a wrong character.
    assert result.stderr.strip().splitlines() == [
        "error: stdin line 2: invalid JSON: expecting value at column 1"
    ]


def test_missing_model_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("classify", "--model", str(tmp_path / "none.npz"), stdin="")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "model file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_on_our_held_out_examples(tmp_path: Path, write_labelled: Callable[..., Path]) -> None:
    from classify.dataset import load_own

    held = [r for r in load_own() if r.split == "dev"]
    path = write_labelled(tmp_path / "held.jsonl", held)
    result = run_cli("evaluate", "--data", str(path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["metrics"]) == {"corruption", "infrastructure"}
    # Rows without a label for corruption (the request examples carry infrastructure only) are not counted.
    assert report["metrics"]["corruption"]["all"]["n"] == sum(
        r.labels["corruption"] is not None for r in held
    )
    assert report["metrics"]["infrastructure"]["all"]["n"] == len(held)
    text = run_cli("evaluate", "--data", str(path)).stdout
    assert "label" in text and "f1" in text and "negatives flagged" in text


def test_commands_have_help() -> None:
    for command in ("classify", "train", "evaluate"):
        result = run_cli(command, "--help")
        assert result.returncode == 0
        assert "usage:" in result.stdout
    train_help = " ".join(run_cli("train", "--help").stdout.split())
    assert "--extra-jsonl" in train_help
    # The default of --out is the shipped model: the help says so, and its example writes a candidate.
    assert "default: models/classifier.npz, the shipped model" in train_help
    assert "--extra-jsonl decisions.jsonl --out models/candidate.npz" in train_help


def test_classify_with_two_workers_keeps_order() -> None:
    texts = [
        "Автобус номер 37 ходит раз в час, люди мерзнут на остановке.",
        "Жол полициясы пара сұрады.",
        "В парке прошел концерт.",
    ]
    stdin = "".join(
        json.dumps({"id": n, "text": t}, ensure_ascii=False) + "\n" for n, t in enumerate(texts * 3)
    )
    result = run_cli("classify", "--workers", "2", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert [o["id"] for o in _lines(result.stdout)] == list(range(9))
    single = run_cli("classify", stdin=stdin)
    assert _lines(single.stdout) == _lines(result.stdout)


class _RecordingScorer:
    """Stands in for the worker pool: scores in this process and records the batches it was given."""

    def __init__(self, model: object) -> None:
        self.model = model
        self.batches: list[int] = []

    def map(self, batches):  # type: ignore[no-untyped-def]
        for batch in batches:
            self.batches.append(len(batch))
            yield self.model.classify(batch)  # type: ignore[attr-defined]


def test_auto_workers_start_only_for_inputs_longer_than_two_batches() -> None:
    import io

    from classify.cli import CHUNK, classify_stream
    from classify.model import load_model

    model = load_model()
    texts = ["Лифт не работает третью неделю.", "Көшеде жарық жоқ.", "В парке прошел концерт."]
    for lines, expect_workers in ((2 * CHUNK, False), (2 * CHUNK + 1, True)):
        stdin = [json.dumps({"id": n, "text": texts[n % 3]}, ensure_ascii=False) for n in range(lines)]
        started: list[_RecordingScorer] = []

        def start(started: list[_RecordingScorer] = started) -> _RecordingScorer:
            started.append(_RecordingScorer(model))
            return started[-1]

        out, err = io.StringIO(), io.StringIO()
        assert classify_stream(model, stdin, out, err, start_workers=start) == 0
        results = [json.loads(line) for line in out.getvalue().splitlines()]
        assert [r["id"] for r in results] == list(range(lines)) and err.getvalue() == ""
        assert bool(started) is expect_workers
        if started:  # every batch went to the workers, the first two included
            assert started[0].batches == [CHUNK, CHUNK, 1]
        assert results[3]["labels"] == ["infrastructure"] and results[5]["labels"] == []


def test_long_input_on_all_cores_matches_one_process() -> None:
    from classify.cli import CHUNK, auto_workers

    words = ["Абая", "Жандосова", "Төле би", "Сейфуллина", "Гоголя"]
    texts = [
        "На улице {} яма, машины бьют колеса, дом {}.",
        "{} көшесінде жарық жоқ, {} үйдің тұрғындары шағымданады.",
        "Инспектор на {} потребовал взятку {} тысяч, чтобы не составлять протокол.",
        "В парке на {} прошел концерт номер {}.",
    ]
    stdin = "".join(
        json.dumps({"id": n, "text": texts[n % 4].format(words[n % 5], n)}, ensure_ascii=False) + "\n"
        for n in range(2 * CHUNK + 100)
    )
    auto = run_cli("--debug", "classify", stdin=stdin)
    assert auto.returncode == 0, auto.stderr
    if auto_workers() > 1:
        assert "scoring on" in auto.stderr and "workers started by fork" in auto.stderr
    single = run_cli("classify", "--workers", "1", stdin=stdin)
    assert "scoring on" not in single.stderr
    assert auto.stdout == single.stdout
    results = _lines(auto.stdout)
    assert [r["id"] for r in results] == list(range(2 * CHUNK + 100))
    assert "infrastructure" in results[0]["labels"] and "corruption" in results[2]["labels"]


def test_workers_option_is_checked() -> None:
    result = run_cli("classify", "--workers", "0", stdin="")
    assert result.returncode == 2
    assert "expected a positive number or auto, got '0'" in result.stderr


def test_evaluate_dev_only_on_our_examples() -> None:
    from classify.dataset import OWN_DATA, load_own

    result = run_cli("evaluate", "--data", str(OWN_DATA / "examples_kk.jsonl"), "--dev-only", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    held = [r for r in load_own() if r.split == "dev" and r.id.startswith("own-kk:")]
    # Rows without a label for corruption (the request examples carry infrastructure only) are not counted.
    assert report["metrics"]["corruption"]["all"]["n"] == sum(
        r.labels["corruption"] is not None for r in held
    )
    assert report["metrics"]["infrastructure"]["all"]["n"] == len(held)
    assert "fitted on the development split" not in result.stderr  # no fit sees our held-out examples


def test_evaluate_dev_only_on_shared_file(shared_dir: Path) -> None:
    result = run_cli(
        "evaluate", "--data", str(shared_dir / "data" / "kazakh_corruption_dev.jsonl"), "--dev-only", "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert 0 < report["metrics"]["corruption"]["kk"]["n"] < 106
    # The committed model was fitted on these rows too: the command says so.
    assert "was fitted on the development split too" in result.stderr


def test_evaluate_letterless_retypes_the_kazakh_rows(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "text": "Әкімдік қызметкері жер телімі үшін пара сұрады", "labels": {"corruption": 1}},
        {"id": 2, "text": "Көшеде үш күннен бері жарық жоқ", "labels": {"infrastructure": 1}},
        {
            "id": 3,
            "text": "Жол жаман",
            "labels": {"infrastructure": 1},
        },  # no Kazakh letter: nothing to retype
        {"id": 4, "text": "Инспектор потребовал взятку", "labels": {"corruption": 1}},  # Russian
    ]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = run_cli("evaluate", "--data", str(path), "--letterless", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["metrics"]
    assert report["corruption"]["kk"]["n"] == 1 and report["infrastructure"]["kk"]["n"] == 1
    assert "ru" not in report["corruption"]
    text = run_cli("evaluate", "--data", str(path), "--letterless").stdout
    assert "(2 rows, Kazakh rows retyped without Kazakh letters)" in text
    russian = tmp_path / "ru.jsonl"
    russian.write_text(json.dumps(rows[3], ensure_ascii=False) + "\n", encoding="utf-8")
    refused = run_cli("evaluate", "--data", str(russian), "--letterless")
    assert refused.returncode == 1
    assert (
        refused.stderr.strip()
        == f"error: {russian}: no Kazakh row with Kazakh letters to retype (--letterless)"
    )


def _bad_labelled_file(path: Path) -> Path:
    path.write_bytes(
        b"\xef\xbb\xbf"  # a byte-order mark is skipped, not a bad first line
        + json.dumps(
            {"text": "Во дворе нет воды", "labels": {"infrastructure": 1}}, ensure_ascii=False
        ).encode()
        + b'\n{"text": "a", "labels": {"corruption": 2}}\n[1]\n{"text": "\xff", "labels": {"corruption": 1}}\n'
    )
    return path


def test_train_refuses_a_bad_extra_file_before_fitting_with_one_line_per_bad_line(tmp_path: Path) -> None:
    bad = _bad_labelled_file(tmp_path / "decisions.jsonl")
    out = tmp_path / "m.npz"
    result = run_cli("train", "--extra-jsonl", str(bad), "--out", str(out), "--own-only")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-4:] == [
        f"error: {bad}:2: label corruption is 2; expected 0, 1, true, false or null",
        f"error: {bad}:3: expected a JSON object with text and labels, got an array",
        f"error: {bad}:4: not UTF-8 text",
        f"error: {bad}: 3 bad lines; the file was not used: fix the lines and run again",
    ]
    assert "Traceback" not in result.stderr and not out.exists()


def test_evaluate_refuses_a_bad_file_with_one_line_per_bad_line(tmp_path: Path) -> None:
    bad = _bad_labelled_file(tmp_path / "labelled.jsonl")
    result = run_cli("evaluate", "--data", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {bad}:2: label corruption is 2; expected 0, 1, true, false or null",
        f"error: {bad}:3: expected a JSON object with text and labels, got an array",
        f"error: {bad}:4: not UTF-8 text",
        f"error: {bad}: 3 bad lines; the file was not used: fix the lines and run again",
    ]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    refused = run_cli("evaluate", "--data", str(empty))
    assert refused.stderr.strip() == f"error: {empty}: no labelled rows: the file is empty"


def test_train_refuses_an_output_folder_at_once(tmp_path: Path) -> None:
    result = run_cli("train", "--out", str(tmp_path), "--own-only", timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {tmp_path}: is a folder; give the model file's name, such as models/candidate.npz"
    )
    assert "Traceback" not in result.stderr


def test_the_commands_section_of_the_docs_names_every_option() -> None:
    import argparse
    import re

    from pipeline import build_parser

    docs = (ROOT / "docs" / "CLASSIFIER.md").read_text(encoding="utf-8")
    section = docs.split("## Commands", 1)[1].split("\n## ", 1)[0]
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices  # type: ignore[attr-defined]
    for command in ("classify", "train", "evaluate"):
        usage = "\n".join(re.findall(rf"pipeline\.py {command} .*", section))
        shown = [a for a in commands[command]._actions if a.help != argparse.SUPPRESS]  # --debug: global
        options = {o for a in shown for o in a.option_strings if o.startswith("--")}
        missing = sorted(o for o in options - {"--help"} if o not in usage)
        assert not missing, f"docs/CLASSIFIER.md, Commands: `{command}` lacks {missing}"


@pytest.mark.parametrize("given", ["missing", "file"])
def test_train_refuses_a_data_folder_named_but_not_there(tmp_path: Path, given: str) -> None:
    # a mistyped --data trained on our own examples only, exit 0, with a note easy to miss
    data = tmp_path / "shared-data"
    if given == "file":
        data.write_text("{}\n", encoding="utf-8")
    out = tmp_path / "model.npz"
    result = run_cli("train", "--data", str(data), "--out", str(out))
    assert result.returncode == 1
    assert f"{data}: labelled data folder" in result.stderr
    assert not out.exists()


def test_train_refuses_the_default_folder_named_on_the_command_line_when_it_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # spelled as the default, it was taken for the default: missing, a note and our own examples only
    from classify import cli
    from errors import InputError
    from pipeline import build_parser

    missing = tmp_path / "shared" / "data"
    monkeypatch.setattr(cli, "DEFAULT_DATA", missing)
    args = build_parser().parse_args(["train", "--data", str(missing), "--out", str(tmp_path / "m.npz")])
    with pytest.raises(InputError, match="labelled data folder not found"):
        cli._cmd_train(args)
