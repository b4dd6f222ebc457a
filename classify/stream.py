"""`pipeline.py classify`: JSON lines read from a stream, scored a batch at a time, written back.

Each bad line gets one error line naming its number, and the others are classified. Lines are read
with a bound (``MAX_LINE_BYTES``), so a line of hundreds of megabytes (a file without line ends) is
refused without being held in memory. ``Interruption`` turns SIGINT and SIGTERM into a stop between
two batches: the output then ends with whole lines, and stderr says through which input line.

Read from a file descriptor (``fd_lines``, what the command does), a pause in the input is seen:
the lines read so far are scored and written at once instead of waiting for a whole batch, so
a slow producer (a tail of a log, a person typing) gets each answer when its line is in.
"""

from __future__ import annotations

import json
import math
import os
import re
import select
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import IO, Any, TextIO

from collectors.item import without_surrogates

MAX_LINE_CHARS = 100_000  # a text longer than this is refused (clear error), not cut silently
# A line longer than this is refused unread: a text at MAX_LINE_CHARS takes at most 1.2 MB of JSON
# (each character a surrogate pair of escapes), the rest is room for the other fields.
MAX_LINE_BYTES = 16 * 1024 * 1024
CHUNK = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters but tab and line ends
# Where a lone surrogate may come from: a \uD800-\uDFFF escape (json joins a valid pair into one
# character), or a str line that already holds one. Only such lines are walked.
_MAY_HOLD_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")


class LineTooLong:
    """Stands for a line longer than ``MAX_LINE_BYTES`` (skipped, not read into memory)."""

    def __init__(self, size: int) -> None:
        self.size = size


def bounded_lines(stream: IO[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes | LineTooLong]:
    """The lines of a binary stream; a line longer than ``limit`` bytes comes as a ``LineTooLong``,
    read past a megabyte at a time (100 MB without a line end took 430 MB to be refused, 157 MB now)."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        size = len(line)
        del line
        while True:
            rest = stream.readline(1 << 20)
            size += len(rest)
            if not rest or rest.endswith(b"\n"):
                break
        yield LineTooLong(size)


class Idle:
    """Stands for a pause in the input: no whole line is waiting to be read."""


IDLE = Idle()


class WaitingBatch(list):  # type: ignore[type-arg]
    """A batch cut short because the input paused: its results are wanted before more input comes."""


# How long the input must stay empty to be a pause. A fast writer into a pipe leaves it empty for
# moments whenever this side drains it (at every 64 KiB): those are no pause, or a long input would
# come in small batches and never start the workers.
PAUSE_MS = 100


def _input_waiting(fd: int, within_ms: int | None = PAUSE_MS) -> bool:
    """Whether ``fd`` has data or its end within ``within_ms`` (None: waits for it, however long);
    True where it cannot be told."""
    try:
        poller = select.poll()
    except AttributeError:  # no poll on this system: never report a pause
        return True
    poller.register(fd, select.POLLIN)
    try:
        return bool(poller.poll(within_ms))
    except OSError:
        return True


def fd_lines(
    fd: int, limit: int = MAX_LINE_BYTES, block: int = 1 << 16
) -> Iterator[bytes | LineTooLong | Idle]:
    """The lines of a file descriptor, as ``bounded_lines`` gives them, and ``IDLE`` whenever no whole
    line is buffered and nothing comes for ``PAUSE_MS`` (a pipe whose writer is slow, a terminal).

    A line longer than ``limit`` bytes is counted, not kept: the buffer never holds more than
    ``limit + block`` bytes.
    """
    buf = bytearray()
    pos = 0
    skipped = 0  # bytes of a too-long line already dropped
    ended = False
    while True:
        end = buf.find(b"\n", pos)
        if end != -1:
            line = bytes(buf[pos : end + 1])
            pos = end + 1
            if skipped or len(line) > limit + 1:
                yield LineTooLong(skipped + len(line))
                skipped = 0
            else:
                yield line
            continue
        del buf[:pos]
        pos = 0
        if len(buf) > limit:
            skipped += len(buf)
            buf.clear()
        if ended:
            if skipped:
                yield LineTooLong(skipped + len(buf))
            elif buf:
                yield bytes(buf)
            return
        if not _input_waiting(fd):
            yield IDLE
        try:
            chunk = os.read(fd, block)
        except BlockingIOError:  # a descriptor set non-blocking (shared with a program that did)
            _input_waiting(fd, None)  # a non-blocking descriptor's read would not wait
            continue
        if chunk:
            buf += chunk
        else:
            ended = True


class Interruption:
    """SIGINT and SIGTERM while classifying: the first asks for a stop after the batch being written,
    or ends the input while it is awaited (the lines read are then scored and written); a second
    stops at once.

    An exception at any point (the default) could land inside the worker pool's own code: one
    Ctrl-C in twenty left `classify --workers auto` hanging for ever.
    """

    def __init__(self) -> None:
        self.signum = 0  # the first signal received
        self.received = 0
        self.reading = False  # waiting for an input line

    def __call__(self, signum: int, _frame: Any) -> None:
        self.signum = self.signum or signum
        self.received += 1
        if self.reading or self.received > 1:
            raise KeyboardInterrupt

    def install(self) -> Callable[[], None]:
        """Handle both signals here; returns what puts the previous handlers back."""
        previous = {sig: signal.signal(sig, self) for sig in (signal.SIGINT, signal.SIGTERM)}

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(
                    sig, signal.SIG_DFL if handler is None else handler
                )  # None: not set from Python

        return restore


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity: Python's json reads them, but they are not JSON and could not be written back."""
    raise ValueError(f"invalid JSON: {name} is not a JSON number")


def _finite_float(text: str) -> float:
    """A JSON number as a float, refused when it overflows to infinity (1e999)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"invalid JSON: number {text[:40]} is out of range")
    return value


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def _without_lone_surrogates(obj: Any) -> Any:
    """``obj`` with each lone surrogate in its strings (keys and id too) made U+FFFD, which UTF-8 can write.

    A loop, not recursion: a line nested as deeply as json accepts must not exhaust the stack here.
    """
    stack: list[Any] = []

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return without_surrogates(value)
        if isinstance(value, dict | list):
            stack.append(value)
        return value

    obj = clean(obj)
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            node[:] = map(clean, node)
        else:
            items = [(clean(key), clean(value)) for key, value in node.items()]
            node.clear()
            node.update(items)
    return obj


def _check_text(obj: Any) -> str:
    """The text of one input object, or a ValueError saying what is wrong with it."""
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object with a text field")
    text = obj.get("text")
    if not isinstance(text, str):
        raise ValueError("missing or non-string text field")
    if not text.strip():
        raise ValueError("empty text")
    if len(text) > MAX_LINE_CHARS:
        raise ValueError(f"text too long ({len(text)} characters; at most {MAX_LINE_CHARS})")
    sample = text[:2000]
    bad = sample.count("\ufffd") + (0 if sample.isprintable() else len(_CONTROL.findall(sample)))
    if bad > max(3, len(sample) // 10):
        raise ValueError("text looks like binary data, not language")
    return text


def _workers_once_long(
    model: Any, stream: Iterator[list[str]], start_workers: Callable[[], Any]
) -> Iterator[list[dict[str, Any]]]:
    """The results of each batch, scored here until three whole batches come without a pause (a long
    input that comes fast), then by the workers ``start_workers`` makes. A batch cut short by a pause
    is answered at once with those held before it; the workers may still start later (review: one
    early pause kept them off for the whole input)."""
    head: list[list[str]] = []
    for batch in stream:
        head.append(batch)
        if isinstance(batch, WaitingBatch):
            yield from map(model.classify, head)
            head = []
        elif len(head) > 2:
            yield from start_workers().map(chain(head, stream))
            return
    yield from map(model.classify, head)


def classify_stream(
    model: Any,
    lines: Iterable[bytes | str | LineTooLong | Idle],
    out: TextIO,
    err: TextIO,
    scorer: Any = None,
    start_workers: Callable[[], Any] | None = None,
    stop: Interruption | None = None,
) -> int:
    """Classify JSON lines; returns the number of failed lines (each reported on ``err``).

    ``scorer`` (a ParallelScorer) scores the batches in worker processes; else ``model`` does.
    ``start_workers`` makes such a scorer, called only once the input holds more than two batches:
    starting workers costs more than it saves on a short input. With ``stop`` (installed as the
    signal handler), a signal ends the stream between batches, and ``err`` says which lines were done.
    """
    failed = 0
    source = iter(lines)

    def next_line() -> bytes | str | LineTooLong | Idle | None:
        if stop is None:
            return next(source, None)
        if stop.signum:
            return None
        try:
            stop.reading = True
            return next(source, None)
        except KeyboardInterrupt:
            if stop.received > 1:
                raise
            return None  # the first signal while waiting for input: the input ends here
        finally:
            stop.reading = False

    def batches() -> Iterator[tuple[list[tuple[dict[str, Any], str, int]], int]]:
        nonlocal failed
        pending: list[tuple[dict[str, Any], str, int]] = []
        number = 0
        while (raw := next_line()) is not None:
            if isinstance(raw, Idle):
                if pending:  # the input paused: answer what is in before waiting for more
                    yield WaitingBatch(pending), number
                    pending = []
                continue
            number += 1
            if isinstance(raw, LineTooLong):
                failed += 1
                err.write(
                    f"error: stdin line {number}: line too long ({raw.size} bytes; at most {MAX_LINE_BYTES})\n"
                )
                continue
            if isinstance(raw, bytes):
                try:
                    raw = raw.decode("utf-8")
                except UnicodeDecodeError:
                    failed += 1
                    err.write(f"error: stdin line {number}: not UTF-8 text\n")
                    continue
            if number == 1:
                raw = raw.removeprefix("\ufeff")  # a byte-order mark, as Windows editors write one
            if not raw.strip():
                continue
            try:
                obj = _DECODER.decode(raw)
                if _MAY_HOLD_SURROGATE.search(raw):
                    obj = _without_lone_surrogates(obj)
                text = _check_text(obj)
            except (ValueError, RecursionError) as exc:  # json.JSONDecodeError is a ValueError
                failed += 1
                if isinstance(exc, RecursionError):
                    reason = "invalid JSON: nested too deeply"
                elif isinstance(exc, json.JSONDecodeError):  # what and where: «expecting value at column 1»
                    msg = exc.msg.removesuffix(" at")  # «Unterminated string starting at»
                    reason = f"invalid JSON: {msg[:1].lower()}{msg[1:]} at column {exc.colno}"
                else:
                    reason = str(exc)
                err.write(f"error: stdin line {number}: {reason}\n")
                continue
            pending.append((obj, text, number))
            if len(pending) >= CHUNK:
                yield pending, number
                pending = []
        if pending:
            yield pending, number

    # Each batch's objects with their input line numbers, and its last line's, until its scores come back.
    objects: deque[tuple[list[tuple[dict[str, Any], int]], int]] = deque()

    def texts() -> Iterator[list[str]]:
        for batch, last in batches():
            objects.append(([(obj, number) for obj, _, number in batch], last))
            texts = [text for _, text, _ in batch]
            yield WaitingBatch(texts) if isinstance(batch, WaitingBatch) else texts

    done = 0  # input lines whose results are all written
    try:
        stream: Iterator[list[str]] = texts()
        if scorer is not None:
            results = scorer.map(stream)
        elif start_workers is not None:
            results = _workers_once_long(model, stream, start_workers)
        else:
            results = (model.classify(t) for t in stream)
        for scored in results:
            batch_objects, last = objects.popleft()
            for (obj, number), res in zip(batch_objects, scored, strict=True):
                line = json.dumps({**obj, **res}, ensure_ascii=False) + "\n"
                out.write(line)
                done = number  # a second signal may end the batch here: say how far it really got
            done = last  # the bad lines after its last good one are done too (reported on err)
            out.flush()  # a reader downstream gets each batch as it is done
            if stop is not None and stop.signum:
                break
    except KeyboardInterrupt:
        if stop is None or not stop.signum:
            raise
    out.flush()
    if stop is not None and stop.signum:
        name = signal.Signals(stop.signum).name
        written = f"the results of input lines 1-{done} are written" if done else "no results are written"
        err.write(f"interrupted ({name}): {written}; the lines after {done} were not classified\n")
    return failed
