"""Config validation: every mistake is one clear error naming the file and the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.base import HTTP_KEYS
from config.sources import (
    HTTP_VALUES,
    SETTINGS_KEYS,
    SETTINGS_VALUES,
    SOURCE_VALUES,
    WATCH_KEYS,
    load_config,
)
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
            '[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x/u"\ncolour = "red"\n',
            "source a: unknown key(s) in source of kind 'rss': colour",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x/u"\n[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x/v"\n',
            "source a: duplicate source name 'a'",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x/u"\nschedule = "every hour"\n',
            "source a: bad cron expression 'every hour'",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x/u"\nschedule = "99 * * * *"\n',
            "bad cron expression '99 * * * *'",
        ),
        ('[[sources]]\nkind = "rss"\nurl = "http://x/u"\n', "source #1 has no `name`"),
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


RSS = '[[sources]]\nname = "city-rss"\nkind = "rss"\nurl = "https://example.org/rss"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (RSS + 'timeout = "fast"\n', "source city-rss: timeout must be a number above 0, got 'fast'"),
        (RSS + "timeout = 0\n", "source city-rss: timeout must be a number above 0, got 0"),
        (RSS + "timeout = nan\n", "source city-rss: timeout must be a number above 0, got nan"),
        (RSS + "retries = -1\n", "source city-rss: retries must be a whole number, 0 or more, got -1"),
        (RSS + "retries = 2.5\n", "source city-rss: retries must be a whole number, 0 or more, got 2.5"),
        (RSS + "min_delay = -0.5\n", "source city-rss: min_delay must be a number, 0 or more, got -0.5"),
        (RSS + "max_bytes = 0\n", "source city-rss: max_bytes must be a whole number above 0, got 0"),
        (RSS + 'respect_robots = "no"\n', "source city-rss: respect_robots must be true or false, got 'no'"),
        (RSS + "user_agent = 5\n", "source city-rss: user_agent must be a non-empty string, got 5"),
        (RSS + "silent_hours = -1\n", "source city-rss: silent_hours must be a number of hours, 0 or more"),
        (RSS + "schedule = 5\n", 'source city-rss: schedule must be a cron string such as "*/30 * * * *"'),
        (
            '[settings]\nretries = "three"\n',
            "[settings] retries must be a whole number, 0 or more, got 'three'",
        ),
        ('[settings]\ntimeout = "fast"\n', "[settings] timeout must be a number above 0, got 'fast'"),
        (
            "[settings]\nmax_bytes = 1e6\n",
            "[settings] max_bytes must be a whole number above 0, got 1000000.0",
        ),
        ("[settings]\nrespect_robots = 1\n", "[settings] respect_robots must be true or false, got 1"),
        ("[settings]\ndb = 5\n", "[settings] db must be a non-empty string, got 5"),
        ('[settings]\nuser_agent = ""\n', "[settings] user_agent must be a non-empty string, got ''"),
        ("[settings]\nmodel = []\n", "[settings] model must be a non-empty string, got []"),
        (
            "[settings]\nbackoff_base_minutes = -5\n",
            "[settings] backoff_base_minutes must be a number, 0 or more",
        ),
        (
            '[settings]\nbackoff_cap_minutes = "6h"\n',
            "[settings] backoff_cap_minutes must be a number, 0 or more",
        ),
        (
            "[settings]\nmax_parallel_sources = 0\n",
            "[settings] max_parallel_sources must be a whole number, 1 or more",
        ),
        (
            "[settings]\nmisfire_grace_seconds = 0\n",
            "[settings] misfire_grace_seconds must be a number of seconds, 1 or more",
        ),
        (
            "[settings]\nstop_grace_seconds = -1\n",
            "[settings] stop_grace_seconds must be a number, 0 or more",
        ),
        (
            '[settings]\ndefault_schedule = "hourly"\n',
            "bad cron expression 'hourly' in [settings] default_schedule",
        ),
        ("[settings]\nsilent_hours = inf\n", "[settings] silent_hours must be a number of hours, 0 or more"),
    ],
)
def test_wrong_type_or_range_names_the_key_and_what_it_must_be(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: {message}")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("retries", "true"),
        ("max_bytes", "true"),
        ("timeout", "true"),
        ("min_delay", "false"),
        ("silent_hours", "true"),
        ("max_parallel_sources", "true"),
    ],
)
def test_true_and_false_are_not_numbers(tmp_path: Path, key: str, value: str) -> None:
    # TOML true is a Python bool, and bool is a subclass of int: it must not pass as 1
    path = write(tmp_path, f"[settings]\n{key} = {value}\n")
    with pytest.raises(ConfigError, match=rf"\[settings\] {key} must be .*, got {value}$"):
        load_config(path)


def test_the_valid_setting_beside_a_wrong_one_does_not_hide_it(tmp_path: Path) -> None:
    # the audit's case: a good source and a bad one; the file is refused before any run starts
    text = (
        '[settings]\nretries = 1\n[[sources]]\nname = "good-rss"\nkind = "rss"\nurl = "https://example.org/a"\n'
        + RSS
        + 'timeout = "fast"\n'
    )
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert err.value.source == "city-rss"
    assert "timeout must be a number above 0, got 'fast'" in str(err.value)


def test_every_known_setting_accepts_a_sensible_value(tmp_path: Path) -> None:
    text = """
[settings]
db = "data/monitor.duckdb"
user_agent = "public-control-monitor/0.1 (+mailto:monitor@example.org)"
min_delay = 0
timeout = 20
retries = 0
max_bytes = 10485760
respect_robots = false
model = "models/classifier.npz"
default_schedule = "*/30 * * * *"
log_file = "data/logs/monitor.log"
backoff_base_minutes = 0
backoff_cap_minutes = 360.5
salt_env = "MONITOR_SALT"
misfire_grace_seconds = 300
max_parallel_sources = 1
snapshot_dir = "data/snapshot"
stop_grace_seconds = 0
silent_hours = 0
[[sources]]
name = "city-rss"
kind = "rss"
url = "https://example.org/rss"
timeout = 2.5
retries = 3
min_delay = 0.0
max_bytes = 1024
respect_robots = true
user_agent = "x"
silent_hours = 24
"""
    config = load_config(write(tmp_path, text))
    assert set(config.settings) == SETTINGS_KEYS  # the test covers every key
    assert config.sources[0].get("timeout") == 2.5


def test_every_known_key_has_its_expected_value() -> None:
    assert set(HTTP_VALUES) == HTTP_KEYS
    assert set(SETTINGS_VALUES) == SETTINGS_KEYS
    assert HTTP_KEYS | WATCH_KEYS | {"schedule"} <= set(SOURCE_VALUES)


def test_missing_key_names_the_unknown_key_beside_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\nname = "rss-typo"\nkind = "rss"\nurll = "https://example.org/rss"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(
        f"{path}: source rss-typo: missing key(s) for kind 'rss': url; unknown key(s): urll (allowed: "
    )
    assert "url, user_agent)" in message and "\n" not in message


@pytest.mark.parametrize(("value", "shown"), [("5", "5"), ("true", "true"), ('["a"]', "['a']")])
def test_a_name_that_is_not_a_string_is_said_so(tmp_path: Path, value: str, shown: str) -> None:
    path = write(tmp_path, f'[[sources]]\nname = {value}\nkind = "rss"\nurl = "https://example.org/rss"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: source #1: name must be a string, got {shown}"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            'kind = "rss"\nurl = "ftp://example.org/rss"',
            "url must be an http:// or https:// URL with a host, got 'ftp://example.org/rss'",
        ),
        ('kind = "rss"\nurl = "file:///etc/passwd"', "url must be an http:// or https:// URL with a host"),
        ('kind = "rss"\nurl = "example.org/rss"', "url must be an http:// or https:// URL with a host"),
        (
            'kind = "rss"\nurl = "https://"',
            "url must be an http:// or https:// URL with a host, got 'https://'",
        ),
        ('kind = "rss"\nurl = "http:///rss.xml"', "url must be an http:// or https:// URL with a host"),
        ('kind = "rss"\nurl = 5', "url must be an http:// or https:// URL with a host, got 5"),
        (
            'kind = "telegram"\nchannel = "c"\nbase_url = "t.me"',
            "base_url must be an http:// or https:// URL",
        ),
        (
            'kind = "facebook"\npage_id = "1"\ntoken_env = "T"\ngraph_url = "ftp://graph.facebook.com/v25.0"',
            "graph_url must be an http:// or https:// URL",
        ),
        (
            'kind = "portal"\nstart_urls = ["https://x.kz/news/", "ftp://x.kz/"]',
            "start_urls must be an http:// or https:// URL",
        ),
        (
            'kind = "portal"\nstart_urls = []',
            "start_urls must be an http:// or https:// URL with a host, or a non-empty list",
        ),
        (
            'kind = "portal"\nstart_urls = ["https://x.kz/"]\nfeeds = ["ftp://x.kz/rss"]',
            "feeds must be a list of http:// or https:// URLs",
        ),
        (
            'kind = "portal"\nstart_urls = ["https://x.kz/"]\nsitemaps = "https://x.kz/sitemap.xml"',
            "sitemaps must be a list of http:// or https:// URLs",
        ),
    ],
)
def test_url_that_is_not_http_is_refused_when_the_file_loads(
    tmp_path: Path, source: str, message: str
) -> None:
    path = write(tmp_path, f'[[sources]]\nname = "a"\n{source}\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: source a: {message}")


def test_refused_url_shows_no_token(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\nname = "a"\nkind = "rss"\nurl = "ftp://x.kz/rss?token=s3cr3t"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "s3cr3t" not in str(err.value) and "url must be an http:// or https:// URL" in str(err.value)


def test_http_urls_of_every_kind_load(tmp_path: Path) -> None:
    text = """
[[sources]]
name = "feed"
kind = "rss"
url = "HTTPS://Example.org:8443/rss?x=1"
[[sources]]
name = "portal"
kind = "portal"
start_urls = "http://127.0.0.1:8080/news/"
feeds = []
sitemaps = ["https://x.kz/sitemap.xml"]
[[sources]]
name = "tg"
kind = "telegram"
channel = "c"
base_url = "http://[::1]:8080/telegram"
[[sources]]
name = "chat"
kind = "csv"
"""
    config = load_config(write(tmp_path, text))
    assert [s.name for s in config.sources] == ["feed", "portal", "tg", "chat"]


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
    path = write(
        tmp_path, '[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x/u"\nschedule = "0 9 * * 8"\n'
    )
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
