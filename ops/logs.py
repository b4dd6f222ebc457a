"""Logging set-up: plain or JSON lines on stderr, optionally a rotating file."""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from collectors.http import SECRET_PARAMS


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
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class MaskingFormatter(logging.Formatter):
    """The plain formatter, with token-like URL parameters masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets_in_text(super().format(record))


_SECRET_IN_TEXT = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_PARAMS)) + r")=([^&\s\"']+)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")


def mask_secrets_in_text(text: str) -> str:
    """Mask token-like parameters (``access_token=...``, with or without a URL around them) and bearer tokens."""
    if "=" not in text and "earer" not in text:
        return text
    return _BEARER.sub(r"\1 ***", _SECRET_IN_TEXT.sub(r"\1=***", text))


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
        rotating = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
        )
        rotating.setFormatter(JsonFormatter() if json_lines else fmt)
        root.addHandler(rotating)
    for noisy in ("urllib3", "trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A skipped slot is logged by the scheduler's own listener, with event and source fields.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
