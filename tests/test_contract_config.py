"""The source configuration contract of ../shared/DESIGN.md: its example, the README's and the shipped
one load; a secret pasted where the name of its environment variable goes is refused, never shown."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from testutil import ROOT, SHARED, run_cli

from config.sources import load_config, parse_config
from errors import ConfigError

# a page access token as Facebook issues them (made up): "EAA" and some 180 letters and digits
TOKEN = "EAAGm0PX4ZCpsBA" + "Zq9xK2LmN7pQ4rT8vW1yB3dF6hJ0kS5u" * 5 + "ZDZD"


def _toml_blocks(path: Path) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_configuration_loads() -> None:
    (block,) = _toml_blocks(ROOT / "README.md")
    config = parse_config(tomllib.loads(block), ROOT / "README.md")
    assert {s.kind for s in config.sources} == {"rss", "facebook", "telegram", "portal"}


def test_the_design_example_loads() -> None:
    design = SHARED / "DESIGN.md"
    if not design.exists():
        pytest.skip("../shared/DESIGN.md is absent")
    (block,) = _toml_blocks(design)
    config = parse_config(tomllib.loads(block), design)
    assert [s.name for s in config.sources] == [
        "kazinform-ru",
        "dept-facebook",
        "some-channel",
        "city-portal",
    ]
    assert config.settings == {"db": "data/monitor.duckdb"}


@pytest.mark.parametrize(
    ("table", "key", "value"),
    [
        ("source", "token_env", TOKEN),
        ("alerts", "webhook_url_env", "https://hooks.example.kz/services/T0123/B0456/abcdefSECRET"),
        ("alerts", "smtp_password_env", "Пароль-2026!"),
        ("settings", "salt_env", "s3cr3t salt with spaces"),
    ],
)
def test_a_secret_where_a_variable_name_goes_is_refused_unseen(
    tmp_path: Path, table: str, key: str, value: str
) -> None:
    source = (
        '[[sources]]\nname = "dept-facebook"\nkind = "facebook"\npage_id = "100200300400"\n'
        'graph_url = "https://graph.facebook.com/v25.0"\n'
    )
    if table == "source":
        text = source + f'{key} = "{value}"\n'
    else:
        text = f'[{table}]\n{key} = "{value}"\n' + source + 'token_env = "FB_PAGE_TOKEN"\n'
        if key == "smtp_password_env":
            text = text.replace(
                f"[{table}]\n", '[alerts]\nsmtp_host = "localhost"\nmail_to = "a@example.kz"\n'
            )
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert value not in message and value[:12] not in message
    where = "source dept-facebook: " if table == "source" else f"[{table}] "
    assert message.startswith(f"{path}: {where}{key} must be the name of an environment variable")
    # through the command line: one line, no database made, the secret nowhere
    db = tmp_path / "m.duckdb"
    result = run_cli("run", "--config", str(path), "--db", str(db))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: {message}"]
    assert value[:12] not in result.stdout + result.stderr
    assert not db.exists()


def test_variable_names_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[settings]\nsalt_env = "MONITOR_SALT"\n[alerts]\nwebhook_url_env = "monitor_webhook_2"\n'
        '[[sources]]\nname = "fb"\nkind = "facebook"\npage_id = "1"\n'
        'graph_url = "https://graph.facebook.com/v25.0"\ntoken_env = "FB_PAGE_TOKEN"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.sources[0].options["token_env"] == "FB_PAGE_TOKEN"
    assert config.alerts["webhook_url_env"] == "monitor_webhook_2"


def test_a_long_variable_name_is_accepted_and_a_token_is_not(tmp_path: Path) -> None:
    # names of 65 to 128 characters were valid before the check and stay so; a token is longer
    long_name = "MONITOR_" + "DEPARTMENT_OF_PUBLIC_CONTROL_" * 3 + "PAGE_TOKEN"
    assert 64 < len(long_name) <= 128 < len(TOKEN)
    path = tmp_path / "sources.toml"
    table = '[[sources]]\nname = "fb"\nkind = "facebook"\npage_id = "1"\n'
    table += 'graph_url = "https://graph.facebook.com/v25.0"\ntoken_env = "{}"\n'
    path.write_text(table.format(long_name), encoding="utf-8")
    assert load_config(path).sources[0].options["token_env"] == long_name
    path.write_text(table.format(TOKEN), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert TOKEN not in str(caught.value)
