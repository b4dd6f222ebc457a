"""`pipeline.py classify` against hostile input and interruptions: huge lines, closed streams, signals."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from testutil import ROOT

TEXTS = [
    "На улице Абая огромная яма, машины бьют колеса {}",
    "Көшеде жарық жоқ, балалар қараңғыда жүреді {}",
    "Инспектор потребовал деньги, чтобы не составлять протокол {}",
]


def _write_input(path: Path, lines: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for n in range(lines):
            out.write(json.dumps({"id": n, "text": TEXTS[n % 3].format(n)}, ensure_ascii=False) + "\n")


def _classify(stdin: Path, stdout: Path, *args: str) -> subprocess.Popen[bytes]:
    """The command in a process group of its own, as a shell runs it (Ctrl-C reaches the whole group)."""
    with stdin.open("rb") as source, stdout.open("wb") as target:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "pipeline.py"), "classify", *args],
            stdin=source,
            stdout=target,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            start_new_session=True,
        )


def _interrupted_midway(tmp_path: Path, sig: signal.Signals, *args: str) -> tuple[int, list[str], str]:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_input(source, 200_000)
    process = _classify(source, target, *args)
    deadline = time.monotonic() + 120
    while target.stat().st_size < 100_000 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # a batch is written: the command is midway
    os.killpg(process.pid, sig)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, target.read_text(encoding="utf-8").splitlines(keepends=True), stderr.decode()


def _assert_stopped_between_batches(lines: list[str], stderr: str, name: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert all(line.endswith("\n") for line in lines)
    assert [json.loads(line)["id"] for line in lines] == list(range(len(lines)))
    assert 0 < len(lines) < 200_000
    assert stderr.strip().splitlines()[-1] == (
        f"interrupted ({name}): the results of input lines 1-{len(lines)} are written; "
        f"the lines after {len(lines)} were not classified"
    )


def test_ctrl_c_on_all_cores_stops_between_batches_and_says_through_which_line(tmp_path: Path) -> None:
    returncode, lines, stderr = _interrupted_midway(tmp_path, signal.SIGINT, "--workers", "2")
    assert returncode == 130
    _assert_stopped_between_batches(lines, stderr, "SIGINT")


def test_sigterm_stops_between_batches_with_whole_lines(tmp_path: Path) -> None:
    returncode, lines, stderr = _interrupted_midway(tmp_path, signal.SIGTERM, "--workers", "1")
    assert returncode == 143
    _assert_stopped_between_batches(lines, stderr, "SIGTERM")


def test_a_worker_ignores_the_signals_its_parent_decides_on() -> None:
    """Ctrl-C reaches the workers too: one that died of it (or took it mid-task) left the pool broken
    or waiting for ever. Here the signal is sent to the worker alone."""
    from classify.parallel import ParallelScorer

    batch = [TEXTS[0].format(1), TEXTS[1].format(2)]
    with ParallelScorer(None, 1) as scorer:
        first = next(scorer.map([batch]))
        for pid in list(scorer._pool._processes):  # type: ignore[union-attr]
            os.kill(pid, signal.SIGINT)
            os.kill(pid, signal.SIGTERM)
        time.sleep(0.5)
        assert list(scorer.map([batch, batch])) == [first, first]


def test_a_line_longer_than_the_bound_is_refused_and_skipped_a_megabyte_at_a_time() -> None:
    from classify.stream import LineTooLong, bounded_lines

    class Recording(io.BytesIO):
        largest = 0

        def readline(self, size: int | None = -1) -> bytes:  # type: ignore[override]
            line = super().readline(size)
            Recording.largest = max(Recording.largest, len(line))
            return line

    data = b'{"id": 1}\n' + b"x" * (5 << 20) + b"\n" + b"y" * (3 << 20)
    lines = list(bounded_lines(Recording(data), limit=1000))
    assert lines[0] == b'{"id": 1}\n'
    assert [line.size for line in lines[1:]] == [(5 << 20) + 1, 3 << 20]  # type: ignore[union-attr]
    assert all(isinstance(line, LineTooLong) for line in lines[1:])
    assert Recording.largest <= 1 << 20


def test_a_huge_line_without_a_line_end_is_one_error_and_the_lines_before_are_classified(
    tmp_path: Path,
) -> None:
    source = tmp_path / "in.jsonl"
    good = json.dumps({"id": "ok", "text": "Автобус номер 37 ходит раз в час."}, ensure_ascii=False)
    source.write_bytes(good.encode() + b'\n{"id": "big", "text": "' + b"a" * (20 << 20) + b'"}')
    with source.open("rb") as stdin:
        result = subprocess.run(
            [sys.executable, str(ROOT / "pipeline.py"), "classify", "--workers", "1"],
            stdin=stdin,
            capture_output=True,
            timeout=180,
        )
    assert result.returncode == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["ok"]
    size = (20 << 20) + len('{"id": "big", "text": ""}')
    assert result.stderr.decode().splitlines() == [
        f"error: stdin line 2: line too long ({size} bytes; at most {16 << 20})"
    ]


def test_closed_standard_streams_are_one_clear_line() -> None:
    command = f"{sys.executable} {ROOT / 'pipeline.py'} classify"
    for redirect, name in (("<&-", "input"), (">&- < /dev/null", "output")):
        result = subprocess.run(
            ["sh", "-c", f"{command} {redirect}"], capture_output=True, text=True, timeout=120, cwd=ROOT
        )
        assert result.returncode == 1
        assert result.stderr.startswith(f"error: standard {name} closed"), result.stderr
        assert "Traceback" not in result.stderr


def _unread(fd: int) -> int:
    """Bytes written to a pipe and not read yet."""
    import array
    import fcntl
    import termios

    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


def test_ctrl_c_while_the_input_is_awaited_ends_the_input_and_the_lines_read_are_written() -> None:
    """`producer | classify` with a producer that has paused: the lines already read (fewer than a
    batch) are scored and written, not dropped."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "pipeline.py"), "classify", "--workers", "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdin is not None
    for n in range(3):
        process.stdin.write(
            json.dumps({"id": n, "text": TEXTS[n].format(n)}, ensure_ascii=False).encode() + b"\n"
        )
    process.stdin.flush()
    deadline = time.monotonic() + 120
    while _unread(process.stdin.fileno()) and time.monotonic() < deadline:
        time.sleep(0.05)  # the command reads only once its signal handler is in place
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)  # closes stdin only now
    assert process.returncode == 130
    assert [json.loads(line)["id"] for line in stdout.splitlines()] == [0, 1, 2]
    assert stderr.decode().splitlines() == [
        "interrupted (SIGINT): the results of input lines 1-3 are written; the lines after 3 were not classified"
    ]


_POOL_OF_A_KILLED_PARENT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from classify.model import load_model
from classify.parallel import ParallelScorer
scorer = ParallelScorer(None, 1, local=load_model())
next(scorer.map([["Во дворе нет воды"]] * 12))  # the worker has started
print(*scorer._pool._processes, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return "\\nState:\\tZ" not in status.read()
    except FileNotFoundError:
        return False


def test_a_worker_ends_when_its_parent_is_killed() -> None:
    """A kill -9 of `classify` left its workers for ever, and since they ignore SIGTERM a plain kill
    would not have ended them either."""
    parent = subprocess.Popen(
        [sys.executable, "-c", _POOL_OF_A_KILLED_PARENT, str(ROOT)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    try:
        assert workers
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 60  # not a speed limit: they end within a second or two, or never
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, workers))
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
