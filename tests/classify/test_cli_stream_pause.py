"""`pipeline.py classify` fed slowly: each line is answered when it is in, not after a batch of 2,000."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from testutil import ROOT


def _lines_of(data: bytes, tmp_path: Path, **bounds: int) -> tuple[list[object], list[object]]:
    """What ``fd_lines`` and ``bounded_lines`` read from one file, sizes for the too-long lines."""
    from classify.stream import Idle, LineTooLong, bounded_lines, fd_lines

    path = tmp_path / "data"
    path.write_bytes(data)

    def plain(items: object) -> list[object]:
        return [
            ("too long", x.size) if isinstance(x, LineTooLong) else x
            for x in items
            if not isinstance(x, Idle)
        ]

    fd = os.open(path, os.O_RDONLY)
    try:
        ours = plain(fd_lines(fd, **bounds))
    finally:
        os.close(fd)
    with path.open("rb") as stream:
        theirs = plain(bounded_lines(stream, limit=bounds["limit"]))
    return ours, theirs


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n",
        b"a\nbb\n\nccc",
        b"0123456789\n01234567890\nshort\n",  # at the bound (10) and one over
        b"x" * 25 + b"\n" + b"y\n" + b"z" * 11,  # too long, then a short line, then too long at the end
        b"x" * 10,  # exactly the bound, no line end
        b"\n".join(b"w" * n for n in range(0, 30, 3)),
    ],
)
def test_fd_lines_reads_as_bounded_lines_does_at_every_block_size(data: bytes, tmp_path: Path) -> None:
    for block in (1, 3, 7, 64):
        ours, theirs = _lines_of(data, tmp_path, limit=10, block=block)
        assert ours == theirs, block


def test_fd_lines_holds_no_more_than_the_bound_of_a_too_long_line(tmp_path: Path) -> None:
    from classify.stream import LineTooLong, fd_lines

    path = tmp_path / "big"
    path.write_bytes(b"q" * (3 << 20) + b"\nok\n")
    fd = os.open(path, os.O_RDONLY)
    try:
        lines = fd_lines(fd, limit=1000, block=4096)
        first = next(lines)
        assert isinstance(first, LineTooLong) and first.size == (3 << 20) + 1
        frame = lines.gi_frame
        assert frame is not None and len(frame.f_locals["buf"]) <= 1000 + 4096
        assert list(lines) == [b"ok\n"]
    finally:
        os.close(fd)


def test_fd_lines_reports_a_pause_when_no_whole_line_is_waiting() -> None:
    from classify.stream import IDLE, fd_lines

    read_end, write_end = os.pipe()
    try:
        os.write(write_end, b'{"a": 1}\n{"b"')
        lines = fd_lines(read_end)
        assert next(lines) == b'{"a": 1}\n'
        assert next(lines) is IDLE  # half a line in, nothing more waiting
        os.write(write_end, b": 2}\n")
        assert next(lines) == b'{"b": 2}\n'
        os.close(write_end)
        write_end = -1
        assert list(lines) == []  # the end of the input is no pause
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def _read_line(stream: object, timeout: float) -> bytes:
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, f"no answer within {timeout} s"
    return stream.readline()  # type: ignore[attr-defined]


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["auto", "two workers"])
def test_each_line_of_a_slow_producer_is_answered_before_the_next_comes(workers: list[str]) -> None:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "pipeline.py"), "classify", *workers],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        texts = [
            "На улице Абая огромная яма, машины бьют колеса",
            "Көшеде жарық жоқ, балалар қараңғыда жүреді",
        ]
        for n, text in enumerate(texts):
            process.stdin.write(json.dumps({"id": n, "text": text}, ensure_ascii=False).encode() + b"\n")
            process.stdin.flush()
            answer = json.loads(_read_line(process.stdout, timeout=120))
            assert answer["id"] == n and answer["text"] == text
            assert "infrastructure" in json.dumps(answer)
        process.stdin.write(b"not json\n")
        process.stdin.close()
        assert process.wait(timeout=60) == 1
        assert process.stdout.read() == b""
        stderr = process.stderr.read()  # type: ignore[union-attr]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "error: stdin line 3: invalid JSON: expecting value at column 1" in stderr.decode()


def test_fd_lines_waits_on_a_non_blocking_descriptor_instead_of_failing() -> None:
    # a stdin shared with a program that set it non-blocking: os.read raised BlockingIOError (review)
    import threading

    from classify.stream import IDLE, fd_lines

    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    try:
        lines = fd_lines(read_end)
        assert next(lines) is IDLE
        threading.Timer(0.3, os.write, (write_end, b'{"late": 1}\n')).start()
        assert next(lines) == b'{"late": 1}\n'
    finally:
        os.close(read_end)
        os.close(write_end)


class _Tagging:
    """A model, or the workers' scorer, that tags each text with who scored it."""

    def __init__(self, who: str, calls: list[str] | None = None) -> None:
        self.who, self.calls = who, calls

    def classify(self, texts: list[str]) -> list[dict[str, str]]:
        return [{"by": self.who, "text": t} for t in texts]

    def map(self, batches: object) -> object:
        return map(self.classify, batches)  # type: ignore[call-overload]


def test_an_early_pause_does_not_keep_the_workers_off_for_the_rest_of_a_long_input() -> None:
    from classify.stream import WaitingBatch, _workers_once_long

    started: list[str] = []

    def start() -> _Tagging:
        started.append("workers")
        return _Tagging("workers")

    full = [["x"] * 3 for _ in range(5)]
    batches = [WaitingBatch(["first"]), full[0], WaitingBatch(["paused"]), *full[1:]]
    results = list(_workers_once_long(_Tagging("here"), iter(batches), start))
    assert [r[0]["text"] for r in results] == ["first", "x", "paused", "x", "x", "x", "x"]
    # three whole batches in a row after the second pause: the workers score them and what follows
    assert [r[0]["by"] for r in results] == [
        "here",
        "here",
        "here",
        "workers",
        "workers",
        "workers",
        "workers",
    ]
    assert started == ["workers"]
    # a short input never starts them
    assert [r[0]["by"] for r in _workers_once_long(_Tagging("here"), iter(full[:2]), start)] == [
        "here",
        "here",
    ]
    assert started == ["workers"]


def test_invalid_json_errors_read_without_a_doubled_at() -> None:
    from testutil import run_cli

    result = run_cli("classify", stdin='{"text": "abc\n{"text": "abc')
    assert result.stderr.strip().splitlines() == [
        "error: stdin line 1: invalid JSON: invalid control character at column 14",
        "error: stdin line 2: invalid JSON: unterminated string starting at column 10",
    ]
