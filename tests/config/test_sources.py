"""Config validation: every mistake is one clear error naming the file and the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch.demo import demo_plan, write_sources_toml
from collectors import COLLECTORS, IMPORTERS
from collectors.base import COMMON_KEYS, HTTP_KEYS, Expect
from config.sources import (
    HTTP_VALUES,
    SETTINGS_KEYS,
    SETTINGS_VALUES,
    SOURCE_VALUES,
    WATCH_KEYS,
    kind_module,
    load_config,
    parse_config,
)
from errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


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
        # [alerts] values: each was a traceback in every batch, or silenced the item alerts
        ('[alerts]\nmin_score = "high"\n', "[alerts] min_score must be a number, 0 or more, got 'high'"),
        ('[alerts]\nfailures = "three"\n', "[alerts] failures must be a whole number above 0, got 'three'"),
        ('[alerts]\nmax_items = "lots"\n', "[alerts] max_items must be a whole number above 0, got 'lots'"),
        (
            '[alerts]\nlabels = "corruption"\n',
            "[alerts] labels must be a list of labels among corruption, infrastructure, got 'corruption'",
        ),
        ('[alerts]\nlabels = ["coruption"]\n', "[alerts] labels must be a list of labels among"),
        ("[alerts]\nmail_to = 5\n", "[alerts] mail_to must be an address, or a list of addresses, got 5"),
        (
            '[alerts]\nwebhook_url = "ftp://x/hook"\n',
            "[alerts] webhook_url must be an http:// or https:// URL",
        ),
        ("[alerts]\nsmtp_port = 0\n", "[alerts] smtp_port must be a port number from 1 to 65535, got 0"),
        (
            '[alerts]\nsmtp_host = "smtp.example.kz"\nsmtp_tls = "starttls"\n',
            "[alerts] smtp_host is set but mail_to is not: no e-mail could be sent",
        ),
        (
            '[alerts]\nmail_to = "a@example.kz"\n',
            "[alerts] mail_to is set but smtp_host is not: no e-mail could be sent",
        ),
        (
            '[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x/u"\nschedule = "0 0 30 2 *"\n',
            "source a: cron expression '0 0 30 2 *' in schedule never fires (no such date)",
        ),
        # nested deeper than Python's recursion: a RecursionError traceback before
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "not valid TOML for this program: nested too deeply"),
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
snapshot_minutes = 2.5
stop_grace_seconds = 0
silent_hours = 0
max_run_seconds = 0
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
    config = load_config(ROOT / "config" / "sources.toml")
    assert config.sources


# -- the options of each kind ---------------------------------------------------------------------

# The keys a source of each kind cannot do without, as TOML; a case below may replace one of them.
REQUIRED_KEYS: dict[str, dict[str, str]] = {
    "rss": {"url": '"https://example.org/rss"'},
    "portal": {"start_urls": '["https://example.org/news/"]'},
    "facebook": {
        "page_id": '"100200300400"',
        "graph_url": '"https://graph.facebook.com/v25.0"',
        "token_env": '"FB_PAGE_TOKEN"',
    },
    "telegram": {"channel": '"city_news"', "base_url": '"https://t.me"'},
    "whatsapp": {},
    "facebook-export": {},
    "csv": {},
    "jsonl": {},
}


def source_table(kind: str, key: str, value: str) -> str:
    """A [[sources]] table named "s" of ``kind`` with ``key = value`` (both as TOML text)."""
    keys = {**REQUIRED_KEYS[kind], key: value}
    return f'[[sources]]\nname = "s"\nkind = "{kind}"\n' + "".join(f"{k} = {v}\n" for k, v in keys.items())


def test_every_option_of_every_kind_has_a_rule() -> None:
    # a new option cannot be added to a collector or importer without saying what its value must be
    assert set(REQUIRED_KEYS) == set(COLLECTORS) | set(IMPORTERS)
    for kind in REQUIRED_KEYS:
        module = kind_module(kind)
        declared = (
            module.REQUIRED | module.OPTIONAL
            if kind in COLLECTORS
            else getattr(module, "IMPORT_OPTIONS", set())
        )
        own = set(module.VALUES)
        assert declared - COMMON_KEYS <= own | set(SOURCE_VALUES), kind  # name, kind: checked first
        assert own <= declared - COMMON_KEYS, kind  # a rule for a key the kind does not allow is a slip
        assert not own & set(SOURCE_VALUES), kind  # one rule per key, not one here and one in config
        assert all(isinstance(rule, Expect) for rule in module.VALUES.values()), kind


@pytest.mark.parametrize(
    ("kind", "key", "value", "message"),
    [
        ("rss", "max_entries", '"many"', "max_entries must be a whole number above 0, got 'many'"),
        ("rss", "max_entries", "0", "max_entries must be a whole number above 0, got 0"),
        ("portal", "max_articles", "-1", "max_articles must be a whole number, 0 or more, got -1"),
        ("portal", "max_pages", "2.5", "max_pages must be a whole number, 0 or more, got 2.5"),
        ("portal", "max_rechecks", '"30"', "max_rechecks must be a whole number, 0 or more, got '30'"),
        ("portal", "max_requests", "0", "max_requests must be a whole number above 0, got 0"),
        ("portal", "max_comments", "true", "max_comments must be a whole number, 0 or more, got true"),
        ("portal", "max_comment_pages", "-2", "max_comment_pages must be a whole number, 0 or more"),
        ("portal", "max_age_days", "1e9", "max_age_days must be a number of days from 0 to 365000, got"),
        ("portal", "follow_sitemaps", '"yes"', "follow_sitemaps must be true or false, got 'yes'"),
        ("portal", "discover_feeds", "0", "discover_feeds must be true or false, got 0"),
        (
            "portal",
            "article_pattern",
            '"/news/(["',
            "article_pattern must be a regular expression, got '/news/([' (unterminated character set",
        ),
        ("portal", "article_pattern", "5", "article_pattern must be a regular expression, got 5"),
        (
            "portal",
            "selectors",
            '{ headline = "h1" }',
            "selectors must be a table of CSS selectors, got {'headline': 'h1'} (unknown: headline; known: ",
        ),
        (
            "portal",
            "selectors",
            '{ body = "div[" }',
            "selectors must be a table of CSS selectors, got {'body': 'div['} (body: Expected ident",
        ),
        ("portal", "selectors", '"h1"', "selectors must be a table of CSS selectors, got 'h1'"),
        (
            "portal",
            "recheck",
            "[[24]]",
            "recheck must be a list of [max_age_hours, every_hours] pairs of numbers from 0 to 8760000, "
            "got [[24]]",
        ),
        ("portal", "recheck", "[[24, -1]]", "recheck must be a list of [max_age_hours, every_hours] pairs"),
        (
            "portal",
            "recheck",
            '[["24", "1"]]',
            "recheck must be a list of [max_age_hours, every_hours] pairs",
        ),
        ("portal", "render", '"false"', "render must be true or false, got 'false'"),
        (
            "portal",
            "render_wait_ms",
            "1.5",
            "render_wait_ms must be a whole number of milliseconds, 0 or more, got 1.5",
        ),
        ("portal", "render_timeout", "0", "render_timeout must be a number of seconds above 0, got 0"),
        (
            "portal",
            "render_post",
            '["wp-admin/admin-ajax.php"]',
            'render_post must be a list of paths on the page\'s host ("/wp-admin/admin-ajax.php") or http(s) '
            "URL beginnings, got ['wp-admin/admin-ajax.php']",
        ),
        ("facebook", "page_size", "true", "page_size must be a whole number above 0, got true"),
        ("facebook", "comment_page_size", "0", "comment_page_size must be a whole number above 0, got 0"),
        ("facebook", "max_pages", "0", "max_pages must be a whole number above 0, got 0"),
        ("facebook", "max_comment_rechecks", "-1", "max_comment_rechecks must be a whole number, 0 or more"),
        ("facebook", "max_wait", '"5s"', "max_wait must be a number, 0 or more, got '5s'"),
        ("facebook", "comment_days", "-1", "comment_days must be a number of days from 0 to 365000, got -1"),
        ("facebook", "since_days", "inf", "since_days must be a number of days from 0 to 365000, got inf"),
        ("facebook", "endpoint", '"posts"', 'endpoint must be "feed" or "published_posts", got \'posts\''),
        ("facebook", "since", '"last week"', "since must be an ISO date or date-time such as 2026-11-25"),
        ("facebook", "until", "12:00:00", "until must be an ISO date or date-time such as 2026-11-25"),
        (
            "facebook",
            "comment_recheck",
            '[[720, "daily"]]',
            "comment_recheck must be a list of [max_age_hours, every_hours] pairs of numbers from 0",
        ),
        ("facebook", "page_id", '""', "page_id must be a page id or user name (a non-empty string or"),
        # not shown: an unquoted number is most likely the secret itself (review)
        ("facebook", "token_env", "5", "token_env must be the name of an environment variable in quotes"),
        ("telegram", "max_pages", "0", "max_pages must be a whole number above 0, got 0"),
        ("telegram", "max_pages", '"20"', "max_pages must be a whole number above 0, got '20'"),
        ("telegram", "backfill", '"true"', "backfill must be true or false, got 'true'"),
        ("telegram", "channel", '"city news"', "channel must be a public channel name (up to 64 letters"),
        ("telegram", "channel", '"https://t.me/city_news"', "channel must be a public channel name"),
        (
            "whatsapp",
            "date_order",
            '"xyz"',
            "date_order must be one of dmy, mdy, ymd (or a pattern such as dd/mm/yyyy), got 'xyz'",
        ),
        (
            "whatsapp",
            "tz",
            '"Mars/Olympus"',
            "tz must be an IANA time zone name such as Asia/Almaty or UTC, got 'Mars/Olympus'",
        ),
        (
            "whatsapp",
            "tz",
            '"Asia"',
            "tz must be an IANA time zone name such as Asia/Almaty or UTC, got 'Asia'",
        ),
        (
            "whatsapp",
            "encoding",
            '"no-such-codec"',
            "encoding must be a text encoding Python knows, such as utf-8 or cp1251, got 'no-such-codec'",
        ),
        ("whatsapp", "encoding", '"base64"', "encoding must be a text encoding Python knows"),
        # host-name codecs: they passed, then refused the file with a bare UnicodeError
        ("csv", "encoding", '"idna"', "encoding must be a text encoding Python knows"),
        ("whatsapp", "encoding", '"punycode"', "encoding must be a text encoding Python knows"),
        (
            "whatsapp",
            "keep_phone_numbers",
            '"false"',
            "keep_phone_numbers must be true or false, got 'false'",
        ),
        ("csv", "delimiter", '";;"', "delimiter must be a 1-character string, got ';;'"),
        ("csv", "delimiter", "9", "delimiter must be a 1-character string, got 9"),
        (
            "csv",
            "item_kind",
            '"reply"',
            'item_kind must be "article", "post", "comment", "message" or "entry", got',
        ),
        ("csv", "tz", "5", "tz must be an IANA time zone name such as Asia/Almaty or UTC, got 5"),
        (
            "csv",
            "encoding",
            '""',
            "encoding must be a text encoding Python knows, such as utf-8 or cp1251, got ''",
        ),
        ("jsonl", "tz", '"Europe/Nowhere"', "tz must be an IANA time zone name such as Asia/Almaty or UTC"),
        ("jsonl", "encoding", '"no-such-codec"', "encoding must be a text encoding Python knows"),
        (
            "facebook-export",
            "tz",
            '"Mars/Olympus"',
            "tz must be an IANA time zone name such as Asia/Almaty or UTC, got 'Mars/Olympus'",
        ),
    ],
)
def test_a_wrong_option_of_any_kind_is_refused_when_the_file_loads(
    tmp_path: Path, kind: str, key: str, value: str, message: str
) -> None:
    path = write(tmp_path, source_table(kind, key, value))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: source s: {message}")
    assert "\n" not in str(err.value)


def test_every_option_of_every_kind_accepts_a_sensible_value(tmp_path: Path) -> None:
    good = {
        "rss": {"max_entries": "50"},
        "portal": {
            "max_pages": "0",
            "max_articles": "30",
            "max_rechecks": "0",
            "max_requests": "300",
            "max_comments": "2000",
            "max_comment_pages": "10",
            "max_age_days": "36500",
            "follow_sitemaps": "true",
            "discover_feeds": "false",
            "article_pattern": '"/news/\\\\d{4}/"',
            "selectors": '{ body = ".news-text", drop = ".share, .ads", comments = "div.comment" }',
            "recheck": "[[24, 1], [168.5, 6]]",
            "render": "true",
            "render_wait_ms": "0",
            "render_timeout": "2.5",
            "render_post": '["/wp-admin/admin-ajax.php", "https://comments.example.org/api"]',
        },
        "facebook": {
            "page_id": "100200300400",
            "endpoint": '"published_posts"',
            "since": "2026-01-01",
            "until": "2026-11-25T14:35:00+05:00",
            "since_days": "30",
            "comment_days": "0",
            "comment_recheck": "[]",
            "max_comment_rechecks": "0",
            "page_size": "100",
            "comment_page_size": "25",
            "max_pages": "5",
            "max_wait": "0",
        },
        "telegram": {
            "channel": '"@city_news"',
            "max_pages": "1",
            "backfill": "true",
            "recheck_hours": "48",
            "max_recheck_pages": "3",
        },
        "whatsapp": {
            "keep_phone_numbers": "false",
            "date_order": '"dd/mm/yyyy"',
            "tz": '"Asia/Almaty"',
            "encoding": '"cp1251"',
        },
        "facebook-export": {"tz": '"UTC"', "date_order": '"mdy"'},
        "csv": {
            "tz": '"Asia/Aqtobe"',
            "delimiter": '"\\t"',
            "encoding": '"UTF-8"',
            "item_kind": '"comment"',
            "date_order": '"mdy"',
        },
        "jsonl": {"tz": '"UTC"', "encoding": '"utf-8-sig"'},  # delimiter: tried with csv, same module
    }
    text = ""
    tried: dict[str, set[str]] = {}
    for kind, options in good.items():
        keys = {**REQUIRED_KEYS[kind], **options}
        tried.setdefault(kind_module(kind).__name__, set()).update(keys)
        text += f'[[sources]]\nname = "{kind}"\nkind = "{kind}"\n' + "".join(
            f"{k} = {v}\n" for k, v in keys.items()
        )
    for kind in good:
        module = kind_module(kind)
        assert set(module.VALUES) <= tried[module.__name__], kind  # every rule is tried
    options = {s.name: s.options for s in load_config(write(tmp_path, text)).sources}
    assert options["csv"]["delimiter"] == "\t" and options["portal"]["selectors"]["drop"] == ".share, .ads"


def test_the_shipped_configs_load(tmp_path: Path) -> None:
    # the committed example, the demo's sources as `demo` writes them, and every config of the tests
    assert load_config(ROOT / "config" / "sources.toml").sources
    sources, _, _ = demo_plan("http://127.0.0.1:8731")
    demo = tmp_path / "demo.toml"
    write_sources_toml(demo, {"min_delay": 0.0, "retries": 1, "db": str(tmp_path / "demo.duckdb")}, sources)
    assert len(load_config(demo).sources) == len(sources) > 0
    for path in sorted((ROOT / "tests").rglob("*.toml")):
        load_config(path)


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
    config = load_config(write(tmp_path, '[alerts]\nmail_to = "a@example.kz"\n' + alerts))
    assert config.alerts["smtp_host"]


def test_a_config_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(("\ufeff" + RSS).encode("utf-8"))  # as Notepad saves UTF-8
    assert [s.name for s in load_config(path).sources] == ["city-rss"]


def test_unset_variables_names_what_each_missing_variable_stops() -> None:
    page = {"kind": "facebook", "page_id": "1", "graph_url": "http://127.0.0.1:9/", "token_env": "FB_TOKEN"}
    alerts = {
        "webhook_url_env": "HOOK",
        "smtp_host": "127.0.0.1",
        "mail_to": "a@b.kz",
        "smtp_user": "monitor",
    }
    config = parse_config({"sources": [{"name": "page", **page}], "alerts": alerts})
    assert config.unset_variables({"FB_TOKEN": "t", "HOOK": "https://hook"}) == [
        "smtp_user is set but smtp_password_env is not: the e-mail alerts (smtp_password_env, the password "
        "of smtp_user) will fail"
    ]
    # A webhook_url beside webhook_url_env is the fallback: nothing fails without the variable.
    config.alerts = {"webhook_url": "https://hook", "webhook_url_env": "HOOK"}
    assert config.unset_variables({"FB_TOKEN": "t"}) == []
    assert config.unset_variables({}) == [
        "environment variable FB_TOKEN is not set or empty: source page (its page token, token_env) will fail "
        "until it is"
    ]


def test_an_empty_smtp_password_is_sent_as_it_is_and_not_called_unset() -> None:
    alerts = {
        "smtp_host": "127.0.0.1",
        "mail_to": "a@b.kz",
        "smtp_user": "monitor",
        "smtp_password_env": "PW",
    }
    config = parse_config({"alerts": alerts, "sources": []})
    assert config.unset_variables({"PW": ""}) == []  # delivery sends it so (ops.senders._smtp_password)
    assert config.unset_variables({}) == [
        "environment variable PW is not set: the e-mail alerts (smtp_password_env, the password of smtp_user) "
        "will fail until it is"
    ]
