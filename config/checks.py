"""Checks of sources.toml that look past one key's value: a source's name as written, a file a key
names, two keys that contradict each other. config/sources.py calls them when the file loads, so the
mistake is one line naming the file and the key, not a run that fails (or does nothing) for ever.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

from collectors.base import PLACEHOLDER, SourceConfig, masked
from errors import ConfigError


def check_source_name(name: str, index: int, where: str) -> None:
    """ConfigError for a name with spaces at an end or a control character in it: ``"a"`` and ``" a "``
    were two sources side by side, their items told apart by a space nobody sees in `status`."""
    if name != name.strip():
        raise ConfigError(
            f"source #{index}: name {name!r} begins or ends with a space; write it without", path=where
        )
    bad = next((c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise ConfigError(
            f"source #{index}: name {name!r} holds a control character (U+{ord(bad):04X}); write it without",
            path=where,
        )


def check_model_file(settings: dict[str, Any], where: str) -> None:
    """ConfigError when ``[settings] model`` names no file: `run` went on without classifying anything
    (a WARNING each batch, exit status 0) for as long as nobody read the log."""
    value = settings.get("model")
    if not isinstance(value, str) or not value.strip():
        return  # its type rule says what is wrong
    file = Path(value)
    if file.is_file():
        return
    shown = (
        str(file)
        if file.is_absolute()
        else f"{file} ({os.path.abspath(file)}: a relative path is read from the current folder)"
    )
    what = "is a folder, not a model file" if file.is_dir() else "names no file"
    raise ConfigError(
        f"[settings] model {what}: {shown}; give the classifier file's path, such as "
        "models/classifier.npz, or train one with `pipeline.py train`",
        path=where,
    )


def check_smtp_ca_file(alerts: dict[str, Any], mode: str, where: str) -> None:
    """ConfigError for ``smtp_ca_file`` on a connection without TLS (``mode``: config.sources.tls_mode):
    every batch's e-mail failed on it."""
    if alerts.get("smtp_ca_file") and mode == "none":
        raise ConfigError(
            '[alerts] smtp_ca_file is set but smtp_tls = "none" (no encryption, so no certificate to check): '
            'set smtp_tls = "starttls" (port 587) or "ssl" (port 465), or remove smtp_ca_file',
            path=where,
        )


def loopback(host: str) -> bool:
    """True for this machine's own addresses (localhost, 127.0.0.0/8, ::1)."""
    import ipaddress

    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_placeholders(sources: list[SourceConfig], alerts: dict[str, Any], where: str) -> None:
    """ConfigError for a URL still holding the examples' placeholder (`https://…/rss.xml`, copied from
    the README): it passed the load check and each run then failed, retried, on InvalidURL. The
    examples themselves parse (parse_config, their contract), so load_config makes this check."""
    places = [(s.name, k, v) for s in sources for k, v in s.options.items()]
    places += [(None, f"[alerts] {k}", v) for k, v in alerts.items()]
    for source, key, value in places:
        for url in value if isinstance(value, list) else [value]:
            if _placeholder_host(url):
                raise ConfigError(
                    f"{key} holds the example's placeholder {masked(url)}: put the site's real address there",
                    path=where,
                    source=source,
                )


def _placeholder_host(value: Any) -> bool:
    from urllib.parse import urlsplit

    if not isinstance(value, str) or "://" not in value:
        return False
    try:
        return PLACEHOLDER in (urlsplit(value).hostname or "")
    except ValueError:
        return False
