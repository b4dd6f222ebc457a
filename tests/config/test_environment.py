"""What `schedule` and `status` call an unset variable is what makes its reader fail: the warning at the
start (``Config.unset_variables``) and the delivery or collection that reads the variable cannot disagree.

Each case runs the reader itself (webhook delivery, the SMTP login, the Facebook collector) in every
kind of environment: variable missing, empty, only spaces, set."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import pytest

from collectors import facebook
from collectors.base import CollectContext, NeededVariable
from collectors.http import HttpClient
from config.sources import Config, parse_config
from errors import MonitorError, TokenError
from ops.senders import DeliveryError, _smtp_password, webhook_url

VALUES = {"missing": None, "empty": "", "spaces": "   ", "set": " s3cret "}


def _environ(monkeypatch: pytest.MonkeyPatch, name: str, value: str | None) -> dict[str, str]:
    """Set (or remove) ``name`` in the real environment, which the readers use; return it for the check."""
    if value is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, value)
    return {name: value} if value is not None else {}


def _named(config: Config, environ: dict[str, str], name: str) -> bool:
    return any(name in line for line in config.unset_variables(environ))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
@pytest.mark.parametrize(
    "fallback", [None, "https://hooks.example/fallback"], ids=["alone", "with-webhook_url"]
)
def test_the_webhook_variable_is_unset_exactly_when_delivery_lacks_it(
    monkeypatch: pytest.MonkeyPatch, value: str | None, fallback: str | None
) -> None:
    alerts: dict[str, Any] = {"webhook_url_env": "TEST_ENV_HOOK"}
    if fallback:
        alerts["webhook_url"] = fallback
    config = parse_config({"alerts": alerts})
    environ = _environ(monkeypatch, "TEST_ENV_HOOK", value)
    try:
        url: str | None = webhook_url(config.alerts)
    except DeliveryError:
        url = None
    assert _named(config, environ, "TEST_ENV_HOOK") == (url is None)
    # a value of only spaces is no URL: webhook_url stands in for it (it was posted to " " before)
    expected = "s3cret" if value and value.strip() else fallback
    assert url == expected


@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
@pytest.mark.parametrize("named", [True, False], ids=["smtp_password_env", "no-smtp_password_env"])
def test_the_smtp_password_is_unset_exactly_when_the_login_lacks_it(
    monkeypatch: pytest.MonkeyPatch, value: str | None, named: bool
) -> None:
    alerts: dict[str, Any] = {"smtp_host": "127.0.0.1", "mail_to": "a@b.kz", "smtp_user": "monitor"}
    if named:
        alerts["smtp_password_env"] = "TEST_ENV_PW"
    config = parse_config({"alerts": alerts})
    environ = _environ(monkeypatch, "TEST_ENV_PW", value)
    try:
        password: str | None = _smtp_password(config.alerts)
    except DeliveryError:
        password = None
    said = config.unset_variables(environ)
    assert bool(said) == (password is None)
    if named:
        assert password == value  # sent as it is: empty, spaces and all
    else:
        assert said == [
            "smtp_user is set but smtp_password_env is not: the e-mail alerts (smtp_password_env, the "
            "password of smtp_user) will fail"
        ]


@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
def test_the_page_token_is_unset_exactly_when_the_facebook_collector_lacks_it(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    # The collector reads the token itself (collectors/facebook.py): this pins its reading to the
    # declared one (facebook_options.token_variable) until it reads through it.
    page = {
        "page_id": "1",
        "graph_url": f"http://127.0.0.1:{_closed_port()}/",
        "token_env": "TEST_ENV_FB",
        "retries": 0,
    }
    config = parse_config({"sources": [{"name": "dept-page", "kind": "facebook", **page}]})
    environ = _environ(monkeypatch, "TEST_ENV_FB", value)
    source = config.sources[0]
    ctx = CollectContext(
        source=source,
        http=HttpClient(min_delay=0.0, retries=0, sleep=lambda _s: None, source=source.name),
        state={},
        last_success=None,
        now=datetime(2026, 11, 26, 6, 0, tzinfo=UTC),
    )
    with pytest.raises(MonitorError) as stopped:  # without a token, or at the closed port with one
        list(facebook.collect(ctx))
    lacks_token = isinstance(stopped.value, TokenError) and "TEST_ENV_FB" in str(stopped.value)
    assert _named(config, environ, "TEST_ENV_FB") == lacks_token
    assert lacks_token == (value is None or not value.strip())


def test_a_channel_not_configured_needs_nothing() -> None:
    # smtp_user without smtp_host sends no e-mail at all: its password was called missing all the same
    config = parse_config({"alerts": {"smtp_user": "monitor", "webhook_url": "https://hooks.example/x"}})
    assert config.needed_variables() == [] and config.unset_variables({}) == []


def test_needed_variables_lists_sources_then_channels_as_their_readers_declare_them() -> None:
    page = {"kind": "facebook", "page_id": "1", "graph_url": "http://127.0.0.1:9/", "token_env": "FB"}
    alerts = {
        "webhook_url_env": "HOOK",
        "smtp_host": "127.0.0.1",
        "mail_to": "a@b.kz",
        "smtp_user": "monitor",
        "smtp_password_env": "PW",
    }
    config = parse_config(
        {
            "sources": [{"name": "rss", "kind": "rss", "url": "http://x/f.xml"}, {"name": "page", **page}],
            "alerts": alerts,
        }
    )
    assert [(v.name, v.verbatim) for v in config.needed_variables()] == [
        ("FB", False),
        ("HOOK", False),
        ("PW", True),
    ]
    assert NeededVariable("X", "it").problem({"X": " "}) == (
        "environment variable X is not set or empty: it will fail until it is"
    )
