"""Logging set-up: plain or JSON lines on stderr, optionally a rotating file.

A log file that cannot be written (a full disk, its folder removed) is said once on stderr, where the
records go on (journald keeps them), and tried again once a minute; a line in the file marks the gap
once it can be written again. Before, every record printed Python's ``--- Logging error ---`` and a
30-line traceback on stderr, and the file had a gap nothing pointed at. A log file removed or moved
away is seen at the next record, as logging.handlers.WatchedFileHandler sees it, and the one at its path
opened: before, the records went on into the unlinked file, lost without a word (review).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import stat
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collectors.secrets import mask_text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    _skip = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask_secrets_in_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in self._skip and not key.startswith("_"):
                data[key] = mask_secrets_in_text(value) if isinstance(value, str) else value
        if record.exc_info:  # a traceback may quote a URL or a secret as the plain formatter's does
            data["exc"] = mask_secrets_in_text(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False, default=str)


class MaskingFormatter(logging.Formatter):
    """The plain formatter, with token-like URL parameters masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets_in_text(super().format(record))


class LogFileHandler(logging.handlers.RotatingFileHandler):
    """The rotating log file, with a write that fails counted instead of reported record by record.

    The first failure hands one warning to ``fallback`` (the stderr handler); while the file fails,
    records below ``fallback``'s level go there too, so that none is dropped without a trace. The file
    is opened again ``retry`` seconds after the last failure; the first record written then is
    preceded by a line that says how many records are missing, and from when to when, and the part of a
    record the failed write left in the file is cut off first (with --log-json, a line that is not JSON).

    Before each record the file at the path is compared with the one open (one stat and one fstat, about
    5 µs, beside 30-40 µs to format and write a JSON record: nothing at a batch job's few records a
    second): removed or moved away, the one at the path is opened, made again when its folder is there,
    else it fails as above."""

    def __init__(
        self,
        filename: Path,
        *,
        fallback: logging.Handler | None = None,
        retry: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        super().__init__(filename, **kwargs)
        self.fallback = fallback
        self.retry = retry
        self.clock = clock
        self.lost = 0  # records not written since the file failed
        self.lost_from: float | None = None  # record times of the first and the last of them
        self.lost_until = 0.0
        self._retry_at = 0.0
        self._cut_in: tuple[int, int] | None = None  # (device, inode) of the file a write failed in

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` (after the line of a gap, when there is one); count it when that fails."""
        if self.lost_from is not None and self.clock() < self._retry_at:
            self._count_lost(record)
            return
        try:
            if self.lost_from is not None:
                # a failed write may have left part of a line: the gap's line starts on a line of its own
                self._write(self._gap_record(record), prefix=self._line_start())
                self.lost, self.lost_from, self._cut_in = 0, None, None
            self._write(record)
        except OSError as exc:
            self._failed(record, exc)
        except Exception:  # a record that cannot be formatted: Python's own report, as for any handler
            self.handleError(record)

    def _write(self, record: logging.LogRecord, prefix: str = "") -> None:
        if self.stream is not None and _identity(self.baseFilename) != _identity(self.stream.fileno()):
            self._close_stream()  # removed or moved away: the one at the path now is opened below
        if self.shouldRollover(record):  # opens the file when it is closed
            self.doRollover()
        if self.stream is None:  # a rollover that could not open the new file
            self.stream = self._open()
        self.stream.write(prefix + self.format(record) + self.terminator)
        self.stream.flush()

    def _line_start(self) -> str:
        """What goes before the next line: nothing once the part of a record that a failed write left in
        this handler's own file is cut off; a newline when another file at the path ends in part of one."""
        try:
            with open(self.baseFilename, "rb+") as file:
                size = file.seek(0, 2)
                info = os.fstat(file.fileno())
                if size == 0 or not stat.S_ISREG(info.st_mode):
                    return ""
                file.seek(size - 1)
                if file.read(1) == b"\n":
                    return ""
                if (info.st_dev, info.st_ino) != self._cut_in:
                    return "\n"  # not the file this handler wrote in: its content is left alone
                file.truncate(_after_last_newline(file, size))
                return ""
        except OSError:  # gone (the rollover or the open makes a new one), or not ours to write
            return ""

    def _close_stream(self) -> None:
        # Closed, so that what is left in the buffer is not written later in the middle of a line;
        # the close's own flush fails the same way.
        stream, self.stream = self.stream, None
        if stream is not None:
            with suppress(OSError):
                stream.close()

    def _failed(self, record: logging.LogRecord, exc: OSError) -> None:
        if self.stream is not None:  # the file a part of ``record`` may be left in
            self._cut_in = _identity(self.stream.fileno())
        self._close_stream()
        self._retry_at = self.clock() + self.retry
        if self.lost_from is None and self.fallback is not None:  # said before the record it failed on
            warning = logging.makeLogRecord(
                {
                    "name": __name__,
                    "levelno": logging.WARNING,
                    "levelname": "WARNING",
                    "msg": "cannot write the log file %s: %s; records go on to stderr only, the file is "
                    "tried again every %.0f s",
                    "args": (self.baseFilename, exc.strerror or exc, self.retry),
                    "event": "log_file_failed",
                    "file": self.baseFilename,
                    "error": str(exc.strerror or exc),
                }
            )
            self.fallback.handle(warning)
        self._count_lost(record)

    def _count_lost(self, record: logging.LogRecord) -> None:
        self.lost += 1
        if self.lost_from is None:
            self.lost_from = record.created
        self.lost_until = record.created
        if self.fallback is not None and record.levelno < self.fallback.level:
            self.fallback.handle(record)  # the fallback takes the others already

    def _gap_record(self, record: logging.LogRecord) -> logging.LogRecord:
        since, until = (_local_time(t) for t in (self.lost_from or record.created, self.lost_until))
        return logging.makeLogRecord(
            {
                "name": __name__,
                "levelno": logging.WARNING,
                "levelname": "WARNING",
                "created": record.created,
                "msecs": record.msecs,
                "msg": "%d log records could not be written between %s and %s"
                + (" (stderr has them)" if self.fallback is not None else ""),
                "args": (self.lost, since, until),
                "event": "log_gap",
                "lost": self.lost,
                "since": since,
                "until": until,
            }
        )


def _identity(file: str | int) -> tuple[int, int] | None:
    """(device, inode) of a path or an open file descriptor; None when there is no file at the path."""
    try:
        info = os.stat(file)
    except OSError:  # gone, or its folder
        return None
    return info.st_dev, info.st_ino


def _after_last_newline(file: Any, size: int) -> int:
    """The offset just after the last newline in the first ``size`` bytes of ``file``; 0 without one."""
    end = size
    while end > 0:
        start = max(0, end - 65536)
        file.seek(start)
        found = file.read(end - start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0


def _local_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).astimezone().isoformat(timespec="seconds")


def mask_secrets_in_text(text: str) -> str:
    """Mask credential-like parameters (``access_token=...``, ``#access_token=``, ``code=``, ``api_key=``,
    with or without a URL around them), bearer tokens, and every secret this process has seen
    (a source's token, wherever it stands: ``collectors.secrets.mask_text``)."""
    return mask_text(text)


def setup_logging(
    *,
    debug: bool = False,
    json_lines: bool = False,
    log_file: Path | None = None,
    stderr_level: int = logging.WARNING,
) -> None:
    """Configure the root logger once (stderr from ``stderr_level``, and a rotating file when given)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    fmt: logging.Formatter = (
        JsonFormatter() if json_lines else MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(fmt)
    stderr.setLevel(logging.DEBUG if debug else stderr_level)
    root.addHandler(stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        rotating = LogFileHandler(
            log_file, fallback=stderr, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
        )
        rotating.setFormatter(JsonFormatter() if json_lines else fmt)
        root.addHandler(rotating)
    for noisy in ("urllib3", "trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A skipped slot is logged by the scheduler's own listener, with event and source fields.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
