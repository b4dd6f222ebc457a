"""Secrets stay out of log lines and alert delivery errors: a token in a redirect's path or fragment,
a non-ASCII SMTP password that smtplib cannot send."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opskit import SmtpSink

from collectors.secrets import remember
from ops.logs import JsonFormatter, MaskingFormatter, mask_secrets_in_text
from ops.senders import DeliveryError, send_email


def test_a_remembered_secret_is_masked_in_every_log_format() -> None:
    remember("S1-LOGGED-TOKEN-77")
    record = logging.makeLogRecord(
        {"msg": "redirect to %s", "args": ("http://127.0.0.1/cb/s1%2Dlogged%2Dtoken%2D77/x",), "levelno": 30}
    )
    for formatter in (MaskingFormatter("%(message)s"), JsonFormatter()):
        assert "logged" not in formatter.format(record).lower()


def test_a_json_log_masks_the_traceback_and_extra_fields_too() -> None:
    """The JSON formatter put an error's traceback and a record's extra fields out unmasked."""
    remember("S1-TRACEBACK-TOKEN-88")
    try:
        raise RuntimeError("failed at http://127.0.0.1/cb?access_token=S1-TRACEBACK-TOKEN-88")
    except RuntimeError:
        record = logging.makeLogRecord(
            {"msg": "delivery failed", "levelno": 40, "url": "http://x/?key=S1-TRACEBACK-TOKEN-88"}
        )
        import sys

        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "RuntimeError" in line and "S1-TRACEBACK-TOKEN-88" not in line


@pytest.mark.parametrize(
    "line",
    [
        "redirected to fbconnect://success#access_token=EAABsecret42&expires_in=0",
        "GET /cb?code=EAABsecret42&state=1",
        "GET /feed.xml?api_key=EAABsecret42&sig=EAABsecret42",
    ],
)
def test_credential_names_beyond_access_token_are_masked(line: str) -> None:
    assert "EAABsecret42" not in mask_secrets_in_text(line)


class _Digest:
    def subject(self) -> str:
        return "[monitor] 1 new flagged item"

    def text(self, max_items: int) -> str:
        return "one item"


def test_a_non_ascii_smtp_password_is_said_clearly_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    password = "пароль-S1-Жq"
    monkeypatch.setenv("MONITOR_S1_SMTP_PASSWORD", password)
    with SmtpSink(user="monitor", password=password) as smtp:
        alerts: dict[str, Any] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_tls": "none",
            "smtp_user": "monitor",
            "smtp_password_env": "MONITOR_S1_SMTP_PASSWORD",
            "mail_to": ["analyst@example.kz"],
        }
        with pytest.raises(DeliveryError) as caught:
            send_email(alerts, _Digest())  # type: ignore[arg-type]
        assert smtp.messages == []
    message = str(caught.value)
    assert "non-ASCII" in message and "smtp_password_env" in message, message
    assert password not in message and "пароль" not in message and "\\u" not in message
