"""Secrets never reach a log line, whatever shape the line has."""

from __future__ import annotations

import json
import logging

import pytest

from ops.logs import JsonFormatter, MaskingFormatter, mask_secrets_in_text


@pytest.mark.parametrize(
    "line",
    [
        "GET https://graph.example/v25.0/1/feed?fields=message&access_token=EAABsecret42 failed",
        "GET /v25.0/1/feed?limit=5&access_token=EAABsecret42 HTTP/1.1",
        "headers: {'Authorization': 'Bearer EAABsecret42'}",
        "smtp login with password=EAABsecret42",
    ],
)
def test_masked(line: str) -> None:
    masked = mask_secrets_in_text(line)
    assert "EAABsecret42" not in masked and "***" in masked


def test_formatters_mask() -> None:
    record = logging.makeLogRecord(
        {"msg": "fetch %s", "args": ("https://x/?token=EAABsecret42",), "levelno": 20}
    )
    assert "EAABsecret42" not in MaskingFormatter("%(message)s").format(record)
    data = json.loads(JsonFormatter().format(record))
    assert data["message"] == "fetch https://x/?token=***"
