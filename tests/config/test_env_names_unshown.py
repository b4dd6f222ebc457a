"""A value of a `*_env` key that does not look like a conventional variable name (it may be the secret
pasted in place of the name) is shown nowhere: not by `status`, not in a run's error nor runs.error,
not in the log of `schedule`, not in a delivery error. The key is named instead. Found by an
acceptance run: `smtp_password_env = "Almaty2026pass"` was printed by `status` and logged at every
batch, and a token pasted as `token_env` ended up in runs.error."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from testutil import run_cli

from collectors import facebook
from collectors.base import CollectContext, SourceConfig, shown_variable, variable_label
from collectors.http import HttpClient
from config.sources import load_config
from demo.graph_emulator import GraphEmulator, serve
from errors import TokenError
from ops.senders import DeliveryError, _smtp_password, webhook_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facebook"
# Values valid as variable names (load_config takes them) that are secrets pasted in their place.
PASSWORD = "Almaty2026pass"
TOKEN = "EAAGm0PX4ZCpsXw2dKq81vLmZ7TtRb3cdef"  # 35 characters, letters and digits as a page token
WEBHOOK = "hooksT0123B0456abcdefSECRET"


def _config(tmp_path: Path, token_env: str = TOKEN, password_env: str = PASSWORD) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        "[alerts]\n"
        'smtp_host = "127.0.0.1"\nsmtp_port = 9\nmail_to = "a@example.kz"\nsmtp_user = "bot"\n'
        f'smtp_password_env = "{password_env}"\n'
        f'webhook_url_env = "{WEBHOOK}"\n'
        '[[sources]]\nname = "dept"\nkind = "facebook"\npage_id = "1"\n'
        f'graph_url = "http://127.0.0.1:9/v25.0"\ntoken_env = "{token_env}"\n',
        encoding="utf-8",
    )
    return path


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in (TOKEN, PASSWORD, WEBHOOK)}


def test_the_rule_shows_conventional_names_only() -> None:
    assert shown_variable("FB_PAGE_TOKEN", "[[sources]] x token_env") == "environment variable FB_PAGE_TOKEN"
    assert variable_label("MONITOR_SMTP_PASSWORD", "[alerts] smtp_password_env") == "MONITOR_SMTP_PASSWORD"
    for value in (PASSWORD, TOKEN, "fb_token", "_X", "1ABC"):
        said = shown_variable(value, "[alerts] smtp_password_env")
        assert value not in said and "[alerts] smtp_password_env" in said and "not shown" in said
        assert value not in variable_label(value, "k")


def test_status_lines_name_the_key_not_the_value(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path))  # valid names: the file loads as before
    said = config.unset_variables(_clean_env())
    assert said == [
        "the environment variable [[sources]] dept token_env names (not shown: it does not look like a "
        "variable name, maybe it is the secret itself) is not set or empty: source dept (its page token, "
        "token_env) will fail until it is",
        "the environment variable [alerts] webhook_url_env names (not shown: it does not look like a "
        "variable name, maybe it is the secret itself) is not set or empty: the webhook alerts "
        "(webhook_url_env) will fail until it is",
        "the environment variable [alerts] smtp_password_env names (not shown: it does not look like a "
        "variable name, maybe it is the secret itself) is not set: the e-mail alerts (smtp_password_env, "
        "the password of smtp_user) will fail until it is",
    ]
    # a conventional name is still shown, as before
    config = load_config(_config(tmp_path, token_env="FB_PAGE_TOKEN", password_env="MONITOR_SMTP_PW"))
    said = config.unset_variables({})
    assert said[0].startswith("environment variable FB_PAGE_TOKEN is not set or empty: source dept")
    assert said[2].startswith("environment variable MONITOR_SMTP_PW is not set: the e-mail alerts")


def test_delivery_errors_name_the_key_not_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (PASSWORD, WEBHOOK):
        monkeypatch.delenv(name, raising=False)
    alerts = {"smtp_host": "h", "mail_to": "a@b", "smtp_user": "bot", "smtp_password_env": PASSWORD}
    with pytest.raises(DeliveryError) as caught:
        _smtp_password(alerts)
    assert PASSWORD not in str(caught.value) and "[alerts] smtp_password_env" in str(caught.value)
    with pytest.raises(DeliveryError) as caught:
        webhook_url({"webhook_url_env": WEBHOOK})
    assert WEBHOOK not in str(caught.value) and "[alerts] webhook_url_env" in str(caught.value)
    monkeypatch.setenv(PASSWORD, "")  # set (an empty password is sent as it is): no error
    assert _smtp_password(alerts) == ""


def test_run_status_and_schedule_show_the_values_nowhere(tmp_path: Path) -> None:
    config, db, log = _config(tmp_path), tmp_path / "m.duckdb", tmp_path / "monitor.log"
    env = _clean_env()
    said = []
    for args in (("run",), ("status",), ("schedule", "--once", "--log-file", str(log))):
        done = run_cli(*args, "--config", str(config), "--db", str(db), env=env)
        assert "Traceback" not in done.stderr
        said.append(done.stdout + done.stderr)
    said.append(log.read_text(encoding="utf-8"))
    con = duckdb.connect(str(db), read_only=True)
    try:
        errors = [row[0] for row in con.execute("SELECT error FROM runs ORDER BY run_id").fetchall()]
        stored = [str(con.execute(f"SELECT * FROM {t}").fetchall()) for t in ("runs", "alerts_sent")]
    finally:
        con.close()
    assert len(errors) == 2 and all("[[sources]] dept token_env names (not shown" in e for e in errors)
    assert "[[sources]] dept token_env names (not shown" in said[0]
    assert "[alerts] smtp_password_env names (not shown" in said[1]  # status
    assert "[alerts] smtp_password_env names (not shown" in said[3]  # the delivery failure, logged
    for text in [*said, *stored]:
        for secret in (PASSWORD, TOKEN, WEBHOOK):
            assert secret[:10] not in text


def _graph_run(base: str, token_env: str) -> TokenError:
    options = {"page_id": "104857600123", "graph_url": base + "/v25.0", "token_env": token_env}
    ctx = CollectContext(
        source=SourceConfig(name="dept", kind="facebook", options=options),
        http=HttpClient(sleep=lambda _s: None, source="dept"),
        state={},
        last_success=None,
        now=datetime(2026, 11, 25, 6, tzinfo=UTC),
    )
    with pytest.raises(TokenError) as caught:
        list(facebook.collect(ctx))
    return caught.value


def test_graph_token_errors_name_the_key_when_the_name_may_be_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the variable exists (named by a token-like value) and holds a token the Graph API rejects
    real = "EAAGrealTOKENzq81vX7"
    emulator = GraphEmulator(token=real)
    page: dict[str, Any] = json.loads((FIXTURES / "page.json").read_text(encoding="utf-8"))
    emulator.load(page)
    emulator.fail("token", path="/feed", subcode=463, times=-1)
    monkeypatch.setenv(TOKEN, real)
    monkeypatch.setenv("FB_PAGE_TOKEN", real)
    with serve(emulator) as base:
        hidden = str(_graph_run(base, TOKEN))
        shown = str(_graph_run(base, "FB_PAGE_TOKEN"))
    assert TOKEN[:10] not in hidden and real not in hidden
    assert "the page token in the variable [[sources]] dept token_env names has expired" in hidden
    assert "set the variable [[sources]] dept token_env names" in hidden
    assert "the page token in FB_PAGE_TOKEN has expired" in shown and "and set FB_PAGE_TOKEN" in shown


@pytest.mark.parametrize(
    ("table", "line"),
    [
        ("alerts", "smtp_password_env = 20262026"),
        ("settings", "salt_env = 918273645"),
        ("settings", 'salt_env = ["Almaty2026pass"]'),
    ],
)
def test_a_value_not_in_quotes_is_refused_unshown(tmp_path: Path, table: str, line: str) -> None:
    # review: its type's rule said "must be a non-empty string, got 20262026", the value in full
    config = tmp_path / "sources.toml"
    config.write_text(f"[{table}]\n{line}\n", encoding="utf-8")
    done = run_cli("status", "--config", str(config), "--db", str(tmp_path / "m.duckdb"))
    assert done.returncode != 0
    assert "must be the name of an environment variable in quotes" in done.stderr
    for secret in ("20262026", "918273645", "Almaty2026pass"):
        assert secret not in done.stderr + done.stdout
