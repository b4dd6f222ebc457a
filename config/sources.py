"""Reading and validating ``sources.toml`` (see ../shared/DESIGN.md, "Source configuration contract").

Every problem is a ConfigError naming the file and, where it applies, the source and the keys.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from collectors import COLLECTORS, IMPORTERS, collector_module, facebook_options
from collectors.base import (
    COMMON_KEYS,
    FLAG,
    HOURS,
    HTTP_KEYS,
    HTTP_URL,
    HTTP_URLS,
    NUMBER_0_OR_MORE,
    NUMBER_ABOVE_0,
    START_URLS,
    TEXT,
    WHOLE_0_OR_MORE,
    WHOLE_ABOVE_0,
    Expect,
    NeededVariable,
    SourceConfig,
    is_number,
    is_whole,
    shown,
)
from config.checks import (
    check_placeholders,
    check_smtp_ca_file,
    check_source_name,
    loopback,
)
from config.cron import cron_trigger as cron_trigger  # where ops.slots and tests find it
from config.cron import validate_cron
from config.environment import alert_variables
from errors import ConfigError

DEFAULT_CONFIG = Path("config/sources.toml")
# kind -> the environment variables a source of that kind reads (beside its collector's key rules)
SOURCE_VARIABLES: dict[str, Callable[[SourceConfig], list[NeededVariable]]] = {
    "facebook": facebook_options.needed_variables,
}

# -- what each known value must be -----------------------------------------------------------------
# One table per place (HTTP client, [settings], [[sources]]), checked in one loop when the file
# loads: a wrong type found there is one line naming the key, not a traceback in the middle of a run.


class CronLine:
    """A cron expression (see :func:`validate_cron`); the error says what is wrong with it."""

    def check(self, value: Any, key: str, *, where: str, source: str | None = None) -> None:
        """Raise ConfigError unless ``value`` is a cron line."""
        validate_cron(value, key=key, where=where, source=source)


CRON = CronLine()

# The HTTP client's settings, in [settings] and as a collected source's overrides (collectors.base.HTTP_KEYS).
HTTP_VALUES: dict[str, Expect] = {
    "user_agent": TEXT,  # User-Agent of every request
    "min_delay": NUMBER_0_OR_MORE,  # seconds between two requests to one host
    "timeout": NUMBER_ABOVE_0,  # seconds per request
    "retries": WHOLE_0_OR_MORE,  # retries on 429/5xx/connection errors
    "max_bytes": WHOLE_ABOVE_0,  # body size cap
    "respect_robots": FLAG,  # honour robots.txt (true)
}

# What a key ending in `_env` holds (token_env, salt_env, webhook_url_env, smtp_password_env): the name
# of an environment variable. A secret pasted in its place (a page token, a webhook URL) was shown in
# the error of every run, kept in runs.error and sent with the alerts; it is refused, and never shown.
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")  # a page token is 150+ characters

# [settings] keys and what each must be; ops/ and review/ read theirs from the same table.
SETTINGS_VALUES: dict[str, Expect | CronLine] = {
    "db": TEXT,  # DuckDB file; --db wins
    **HTTP_VALUES,  # user_agent, min_delay, timeout, retries, max_bytes, respect_robots
    "model": TEXT,  # classifier artifact; default models/classifier.npz
    "default_schedule": CRON,  # cron for sources without `schedule`
    "log_file": TEXT,  # rotating log file of `schedule`
    "backoff_base_minutes": NUMBER_0_OR_MORE,  # first back-off of a failing source
    "backoff_cap_minutes": NUMBER_0_OR_MORE,  # longest back-off
    "salt_env": TEXT,  # environment variable holding the salt for hashed phone numbers
    # `schedule`: a run that starts later than this after its time is skipped (APScheduler wants >= 1)
    "misfire_grace_seconds": Expect("a number of seconds, 1 or more", lambda v: is_number(v) and v >= 1),
    # `schedule` and `run`: sources collected at the same time (threads)
    "max_parallel_sources": Expect("a whole number, 1 or more", lambda v: is_whole(v) and v >= 1),
    "snapshot_dir": TEXT,  # `schedule`: Parquet snapshot for analysts, refreshed after each batch
    # `schedule`: the snapshot's item tables are rewritten at most this often (0: after every batch)
    "snapshot_minutes": NUMBER_0_OR_MORE,
    # `schedule`: how long SIGTERM waits for runs blocked on the network
    "stop_grace_seconds": NUMBER_0_OR_MORE,
    "silent_hours": HOURS,  # a collected source with no new item for this long is reported (0: never)
    "max_run_seconds": NUMBER_0_OR_MORE,  # a source's run stops after this long (batch/runner.py; 0: never)
}
SETTINGS_KEYS = frozenset(SETTINGS_VALUES)

# [[sources]] keys the loader knows the value of, whatever the kind that allows them (which keys a
# kind allows is its collector's REQUIRED/OPTIONAL); name and kind are checked before these. The
# keys of one kind only have their rules beside them, in the VALUES of its module (kind_module).
SOURCE_VALUES: dict[str, Expect | CronLine] = {
    "schedule": CRON,
    **HTTP_VALUES,
    "silent_hours": HOURS,
    "max_run_seconds": NUMBER_0_OR_MORE,
    "url": HTTP_URL,  # rss
    "graph_url": HTTP_URL,  # facebook
    "base_url": HTTP_URL,  # telegram
    # portal: one start URL may be given as a string
    "start_urls": START_URLS,
    "feeds": HTTP_URLS,  # portal
    "sitemaps": HTTP_URLS,  # portal
}
# Keys every collected source may carry besides its kind's own and HTTP_KEYS.
WATCH_KEYS = frozenset({"silent_hours", "max_run_seconds"})
# A collected source that runs fine but has brought no new item for a week has most likely stopped
# working in a way no error shows: a new page layout, a moved feed, a channel gone private.
DEFAULT_SILENT_HOURS = 168.0
DEFAULT_BACKOFF_CAP_MINUTES = 360
TOP_LEVEL_KEYS = frozenset({"settings", "sources", "alerts"})
ALERT_KEYS = frozenset(
    {
        "min_score",  # alert on flagged items scoring at least this
        "labels",  # which labels alert (default: all)
        "failures",  # alert on a source after this many consecutive failures
        "webhook_url",
        "webhook_url_env",
        "smtp_host",
        "smtp_port",
        "smtp_user",
        "smtp_password_env",
        "smtp_starttls",  # older spelling of smtp_tls = "starttls"
        "smtp_tls",  # "starttls" | "ssl" (implicit TLS, SMTPS) | "none"
        "smtp_ca_file",  # PEM CA that signed the SMTP server's certificate (instead of the system store)
        "mail_from",
        "mail_to",
        "max_items",  # flagged items listed in one digest (the rest are counted)
    }
)

ALERT_LABELS = ("corruption", "infrastructure")
# What the [alerts] keys must be: a wrong type crashed every batch's alert stage, and labels given as
# a string or misspelt silenced every item alert without a word.
ALERT_VALUES: dict[str, Expect | CronLine] = {
    # above 1, no item is alerted (source incidents only)
    "min_score": Expect("a number, 0 or more", lambda v: is_number(v) and v >= 0),
    "labels": Expect(
        f"a list of labels among {', '.join(ALERT_LABELS)}",
        lambda v: isinstance(v, list) and all(label in ALERT_LABELS for label in v),
    ),
    "failures": WHOLE_ABOVE_0,
    "max_items": WHOLE_ABOVE_0,
    "webhook_url": HTTP_URL,
    "webhook_url_env": TEXT,
    "smtp_host": TEXT,
    "smtp_port": Expect("a port number from 1 to 65535", lambda v: is_whole(v) and 1 <= v <= 65535),
    "smtp_user": TEXT,
    "smtp_password_env": TEXT,
    "smtp_ca_file": TEXT,
    "mail_from": TEXT,
    "mail_to": Expect(
        "an address, or a list of addresses",
        lambda v: (
            (isinstance(v, str) and bool(v.strip()))
            or (isinstance(v, list) and bool(v) and all(isinstance(a, str) and a.strip() for a in v))
        ),
    ),
}


@dataclass(slots=True)
class Config:
    """A validated configuration file."""

    path: Path | None
    settings: dict[str, Any] = field(default_factory=dict)
    sources: list[SourceConfig] = field(default_factory=list)
    alerts: dict[str, Any] = field(default_factory=dict)

    def source(self, name: str) -> SourceConfig | None:
        """The source called ``name``, if configured."""
        return next((s for s in self.sources if s.name == name), None)

    def collected(self) -> list[SourceConfig]:
        """Sources that `run` collects (import-only kinds are left out)."""
        return [s for s in self.sources if s.kind in COLLECTORS]

    def silent_hours(self) -> dict[str, float]:
        """Per collected source, the hours without a new item after which it is reported (0: never)."""
        default = self.settings.get("silent_hours", DEFAULT_SILENT_HOURS)
        return {s.name: float(s.options.get("silent_hours", default)) for s in self.collected()}

    def longest_backoff(self) -> timedelta:
        """The longest wait of a failing source (``backoff_cap_minutes``)."""
        return timedelta(minutes=float(self.settings.get("backoff_cap_minutes", DEFAULT_BACKOFF_CAP_MINUTES)))

    def needed_variables(self) -> list[NeededVariable]:
        """The environment variables this configuration reads: each collected source's (its kind's
        ``needed_variables``, SOURCE_VARIABLES), then each alert channel's, as the code that reads them
        declares them (config/environment.py)."""
        needed = [
            v for s in self.collected() if s.kind in SOURCE_VARIABLES for v in SOURCE_VARIABLES[s.kind](s)
        ]
        return needed + alert_variables(self.alerts)

    def unset_variables(self, environ: Mapping[str, str]) -> list[str]:
        """One sentence per environment variable this configuration needs that ``environ`` lacks (or
        holds empty, where its reader counts that as unset): a Facebook source's token, the webhook URL,
        the SMTP password. Not an error at load, since a service manager may set them for `schedule`
        only; `schedule` says them at start."""
        return [problem for v in self.needed_variables() if (problem := v.problem(environ)) is not None]


def load_config(path: str | Path) -> Config:
    """Read and validate a sources.toml; raises ConfigError with the file (and source) named."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("config file not found", path=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", path=str(path)) from None
    try:
        # A byte-order mark (Notepad writes one) is not TOML, but says nothing wrong about the file.
        data = tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError:
        raise ConfigError("config file is not UTF-8", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from None
    except RecursionError:
        raise ConfigError("not valid TOML for this program: nested too deeply", path=str(path)) from None
    config = parse_config(data, path)
    check_placeholders(config.sources, config.alerts, str(path))
    return config


SMTP_TLS_MODES = ("starttls", "ssl", "none")


def tls_mode(alerts: dict[str, Any]) -> str:
    """How alert e-mail is secured: "starttls", "ssl" or "none" (smtp_tls, or the older smtp_starttls);
    ValueError when the two keys disagree or hold something else, or when a password would be sent
    in clear to another machine."""
    mode = alerts.get("smtp_tls")
    legacy = alerts.get("smtp_starttls")
    if legacy is not None and not isinstance(legacy, bool):
        raise ValueError(f"[alerts] smtp_starttls must be true or false, not {legacy!r}")
    if mode is not None and mode not in SMTP_TLS_MODES:
        raise ValueError(f'[alerts] smtp_tls must be "starttls", "ssl" or "none", not {mode!r}')
    # smtp_starttls = false always meant a plain connection, so it contradicts "starttls" and "ssl" alike
    if mode is not None and legacy is not None and mode != ("starttls" if legacy else "none"):
        raise ValueError(
            f'[alerts] smtp_tls = "{mode}" and smtp_starttls = {str(legacy).lower()} disagree: '
            "keep smtp_tls and remove smtp_starttls"
        )
    mode = mode or ("starttls" if legacy else "none")
    host = str(alerts.get("smtp_host") or "")
    if mode == "none" and alerts.get("smtp_user") and host and not loopback(host):
        raise ValueError(
            f'[alerts] smtp_user is set but smtp_tls = "none": the password would cross the network to {host} '
            'in clear; set smtp_tls = "starttls" (port 587) or "ssl" (port 465), or relay through a mail '
            "server on this machine"
        )
    return str(mode)


def parse_config(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate an already-parsed TOML document."""
    where = str(path) if path else "<config>"
    unknown = sorted(set(data) - TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown top-level key(s) {', '.join(unknown)}; expected settings, sources, alerts", path=where
        )
    settings = _table(data, "settings", where)
    _reject_unknown(settings, SETTINGS_KEYS, where, "[settings]")
    _check_variable_names(settings, where, prefix="[settings] ")
    _check_values(settings, SETTINGS_VALUES, where, prefix="[settings] ")
    alerts = _table(data, "alerts", where)
    _reject_unknown(alerts, ALERT_KEYS, where, "[alerts]")
    _check_variable_names(alerts, where, prefix="[alerts] ")
    _check_values(alerts, ALERT_VALUES, where, prefix="[alerts] ")
    try:
        mode = tls_mode(alerts)  # a wrong TLS setting is said now, not by every batch's failed e-mail
    except ValueError as exc:
        raise ConfigError(str(exc), path=where) from None
    check_smtp_ca_file(alerts, mode, where)
    if bool(alerts.get("smtp_host")) != bool(alerts.get("mail_to")):  # e-mail was silently off
        given, missing = ("smtp_host", "mail_to") if alerts.get("smtp_host") else ("mail_to", "smtp_host")
        raise ConfigError(
            f"[alerts] {given} is set but {missing} is not: no e-mail could be sent", path=where
        )
    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list) or not all(isinstance(s, dict) for s in raw_sources):
        raise ConfigError("`sources` must be an array of tables ([[sources]])", path=where)
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for index, table in enumerate(raw_sources, start=1):
        source = _parse_source(table, index, where)
        if source.name in seen:
            raise ConfigError(f"duplicate source name {source.name!r}", path=where, source=source.name)
        seen.add(source.name)
        sources.append(source)
    return Config(path=path, settings=settings, sources=sources, alerts=alerts)


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"`{key}` must be a table ([{key}])", path=where)
    return value


def _reject_unknown(
    table: dict[str, Any], allowed: frozenset[str], where: str, what: str, source: str | None = None
) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key(s) in {what}: {_unknown(unknown, allowed)}", path=where, source=source
        )


def _unknown(unknown: list[str], allowed: frozenset[str]) -> str:
    return f"{', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"


def _check_values(
    table: dict[str, Any],
    expected: dict[str, Expect | CronLine],
    where: str,
    *,
    prefix: str = "",
    source: str | None = None,
) -> None:
    """Check the value of every key of ``table`` that ``expected`` knows (the first wrong one raises)."""
    for key, value in table.items():
        rule = expected.get(key)
        if rule is not None:
            rule.check(value, prefix + key, where=where, source=source)


def _check_variable_names(
    table: dict[str, Any], where: str, *, prefix: str = "", source: str | None = None
) -> None:
    """Raise ConfigError, without the value, when a `*_env` key holds something that cannot be the name
    of an environment variable (most likely the secret itself). Other wrong values are its rule's."""
    for key, value in table.items():
        if key.endswith("_env") and not isinstance(value, str):
            # a number, a list, a table: an unquoted password or PIN is the likeliest (review: its rule
            # said "must be a non-empty string, got 20262026")
            raise ConfigError(
                f"{prefix}{key} must be the name of an environment variable in quotes, such as "
                f'"FB_PAGE_TOKEN"; what it holds (a {type(value).__name__}, not shown) is not one. If it is '
                "the secret itself, take it out of this file, put it in that variable, and renew it",
                path=where,
                source=source,
            )
        if key.endswith("_env") and value.strip() and not VARIABLE_NAME.fullmatch(value):
            raise ConfigError(
                f"{prefix}{key} must be the name of an environment variable (letters, digits and _, at most "
                f"128), such as FB_PAGE_TOKEN; what it holds ({len(value)} characters, not shown) is not one. "
                "If it is the secret itself, take it out of this file, put it in that variable, and renew it",
                path=where,
                source=source,
            )


def _parse_source(table: dict[str, Any], index: int, where: str) -> SourceConfig:
    name = table.get("name")
    if name is not None and not isinstance(name, str):
        raise ConfigError(f"source #{index}: name must be a string, got {shown(name)}", path=where)
    if not name or not name.strip():
        raise ConfigError(f"source #{index} has no `name`", path=where)
    check_source_name(name, index, where)
    kind = table.get("kind")
    kinds = sorted(set(COLLECTORS) | set(IMPORTERS))
    if kind is None or kind == "":
        raise ConfigError("missing key `kind`", path=where, source=name)
    if not isinstance(kind, str) or (kind not in COLLECTORS and kind not in IMPORTERS):
        raise ConfigError(
            f"unknown kind {kind!r}; expected one of {', '.join(kinds)}", path=where, source=name
        )
    required, optional = _keys_of(kind)
    allowed = COMMON_KEYS | required | optional
    missing = sorted(required - set(table))
    unknown = sorted(set(table) - allowed)
    if missing:
        # a key typed wrong is usually both: name the unknown spelling beside the missing key
        message = f"missing key(s) for kind {kind!r}: {', '.join(missing)}"
        if unknown:
            message += f"; unknown key(s): {_unknown(unknown, allowed)}"
        raise ConfigError(message, path=where, source=name)
    _reject_unknown(table, allowed, where, f"source of kind {kind!r}", source=name)
    _check_variable_names(table, where, source=name)
    _check_values(table, {**SOURCE_VALUES, **kind_module(kind).VALUES}, where, source=name)
    options = {k: v for k, v in table.items() if k not in COMMON_KEYS}
    return SourceConfig(name=name, kind=kind, options=options, schedule=table.get("schedule"))


def kind_module(kind: str) -> ModuleType:
    """The module that declares the keys of ``kind`` and their VALUES: its collector or importer."""
    if kind in COLLECTORS:
        return collector_module(kind)
    return importlib.import_module(IMPORTERS[kind].partition(":")[0])


def _keys_of(kind: str) -> tuple[frozenset[str], frozenset[str]]:
    module = kind_module(kind)
    if kind in COLLECTORS:
        return frozenset(module.REQUIRED), frozenset(module.OPTIONAL) | HTTP_KEYS | WATCH_KEYS
    return frozenset(), frozenset(getattr(module, "IMPORT_OPTIONS", frozenset()))
