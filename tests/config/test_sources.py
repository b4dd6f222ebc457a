"""Config validation: every mistake is one clear error naming the file and the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.sources import load_config
from errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
[settings]
db = "x.duckdb"
[[sources]]
name = "feed"
kind = "rss"
url = "http://x/rss"
schedule = "*/30 * * * *"
[[sources]]
name = "fast"
kind = "rss"
url = "http://x/rss2"
schedule = "*/2 * * * * *"
""",
        )
    )
    assert [s.name for s in config.sources] == ["feed", "fast"]
    assert config.settings["db"] == "x.duckdb" and config.sources[0].get("url") == "http://x/rss"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[sources]]\nname = "a"\nkind = "ftp"\n', "source a: unknown kind 'ftp'"),
        ('[[sources]]\nname = "a"\nkind = "rss"\n', "source a: missing key(s) for kind 'rss': url"),
        (
            '[[sources]]\nname = "a"\nkind = "rss"\nurl = "u"\ncolour = "red"\n',
            "source a: unknown key(s) in source of kind 'rss': colour",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "rss"\nurl = "u"\n[[sources]]\nname = "a"\nkind = "rss"\nurl = "v"\n',
            "source a: duplicate source name 'a'",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "rss"\nurl = "u"\nschedule = "every hour"\n',
            "source a: bad cron expression 'every hour'",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "rss"\nurl = "u"\nschedule = "99 * * * *"\n',
            "bad cron expression '99 * * * *'",
        ),
        ('[[sources]]\nkind = "rss"\nurl = "u"\n', "source #1 has no `name`"),
        ("[settings]\ncolour = 1\n", "unknown key(s) in [settings]: colour"),
        ("[sources]\nname = 1\n", "array of tables"),
        ("[[sources]\nname = ", "not valid TOML"),
        ("[extra]\n", "unknown top-level key(s) extra"),
        (
            '[alerts]\nsmtp_tls = "tls"\n',
            '[alerts] smtp_tls must be "starttls", "ssl" or "none", not \'tls\'',
        ),
        (
            '[alerts]\nsmtp_tls = "ssl"\nsmtp_starttls = true\n',
            '[alerts] smtp_tls = "ssl" and smtp_starttls = true disagree',
        ),
        ('[alerts]\nsmtp_starttls = "yes"\n', "[alerts] smtp_starttls must be true or false, not 'yes'"),
        (
            '[alerts]\nsmtp_host = "smtp.example.kz"\nsmtp_user = "monitor"\n',
            '[alerts] smtp_user is set but smtp_tls = "none": the password would cross the network to '
            "smtp.example.kz in clear",
        ),
    ],
)
def test_config_errors_name_file_and_source(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_example_config_is_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    config = load_config(root / "config" / "sources.toml")
    assert config.sources


@pytest.mark.parametrize(
    ("expr", "day"),
    [
        ("0 9 * * 0", "Sunday"),
        ("0 9 * * 7", "Sunday"),
        ("0 9 * * 1", "Monday"),
        ("0 9 * * 1-5", "Friday"),  # Thursday 09:00 has passed
        ("0 9 * * 5-7", "Friday"),
        ("0 9 * * 0-2", "Sunday"),
        ("0 9 * * 6,0", "Saturday"),
        ("0 9 * * sun", "Sunday"),
    ],
)
def test_cron_weekdays_count_as_crontab_does(expr: str, day: str) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from config.sources import cron_trigger

    thursday_morning = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Almaty"))
    fire = cron_trigger(expr).get_next_fire_time(None, thursday_morning)
    assert fire.strftime("%A") == day


def test_cron_weekday_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\nname = "a"\nkind = "rss"\nurl = "u"\nschedule = "0 9 * * 8"\n')
    with pytest.raises(ConfigError, match="bad cron expression"):
        load_config(path)


@pytest.mark.parametrize(
    "alerts",
    [
        'smtp_host = "smtp.example.kz"\nsmtp_user = "monitor"\nsmtp_tls = "starttls"\n',
        'smtp_host = "smtp.example.kz"\nsmtp_user = "monitor"\nsmtp_starttls = true\n',
        'smtp_host = "localhost"\nsmtp_user = "monitor"\n',
        'smtp_host = "127.0.0.1"\nsmtp_user = "monitor"\nsmtp_tls = "none"\n',
        'smtp_host = "::1"\nsmtp_user = "monitor"\n',
        'smtp_host = "smtp.example.kz"\n',  # no login: nothing secret on the wire
    ],
)
def test_mail_settings_that_send_no_password_in_clear_are_accepted(tmp_path: Path, alerts: str) -> None:
    config = load_config(write(tmp_path, "[alerts]\n" + alerts))
    assert config.alerts["smtp_host"]
