"""Mistakes sources.toml loaded with and then failed on (or did nothing with) for ever: refused at load."""

from __future__ import annotations

from pathlib import Path

import pytest
from testutil import run_cli

from collectors.base import is_http_url
from config.sources import load_config
from errors import ConfigError

RSS = '[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{url}"\n'


def _load(tmp_path: Path, text: str):
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_the_readme_placeholder_address_is_refused_at_load(tmp_path: Path) -> None:
    text = RSS.format(name="a", url="https://…/rss.xml")
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert "source a: url holds the example's placeholder 'https://…/rss.xml': put the site's" in str(
        caught.value
    )


@pytest.mark.parametrize("url", ["https://exa mple.kz/rss", "http://ex\tample.kz/", "http://h:99999/"])
def test_a_url_whose_host_cannot_be_asked_is_refused_at_load(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="source a: url must be an http:// or https:// URL with a host"):
        _load(tmp_path, RSS.format(name="a", url=url))


@pytest.mark.parametrize(
    "url",
    [
        "https://сайт.kz/rss",
        "http://127.0.0.1:8764/rss.xml",
        "https://[::1]:8080/f",
        "http://a_b.example.kz/",
    ],
)
def test_hosts_that_can_be_asked_still_load(url: str) -> None:
    assert is_http_url(url)


@pytest.mark.parametrize(
    ("name", "why"), [(" a ", "begins or ends with a space"), ("a\\u0007", "control character")]
)
def test_a_source_name_with_spaces_at_an_end_or_a_control_character_is_refused(
    tmp_path: Path, name: str, why: str
) -> None:
    text = RSS.format(name="a", url="http://x.kz/f") + RSS.format(name=name, url="http://x.kz/g")
    with pytest.raises(ConfigError, match=f"source #2: name .* {why}"):
        _load(tmp_path, text)


def test_a_model_path_that_names_no_file_stops_the_commands_that_classify_only(tmp_path: Path) -> None:
    """`run` went on without classifying anything (a WARNING each batch, exit 0); now refused before it
    starts. Commands that do not classify (`status`, `run --no-classify`) still work (review RV5: a
    check at load stopped `status`, exports and the review page too)."""
    config = tmp_path / "sources.toml"
    feed = "http://127.0.0.1:9/rss"  # never fetched: the run is refused first, or the source just fails
    config.write_text(
        f'[settings]\nmodel = "/nonexistent/model.npz"\ndb = "{tmp_path / "m.duckdb"}"\n'
        + RSS.format(name="a", url=feed),
        encoding="utf-8",
    )
    refused = run_cli("run", "--config", str(config))
    assert refused.returncode == 1
    assert "[settings] model names no file: /nonexistent/model.npz" in refused.stderr
    assert str(config) in refused.stderr and not (tmp_path / "m.duckdb").exists()
    collected = run_cli("run", "--config", str(config), "--no-classify")
    assert "model names no file" not in collected.stderr and (tmp_path / "m.duckdb").exists()
    status = run_cli("status", "--config", str(config))
    assert "model names no file" not in status.stderr


def test_an_existing_model_path_loads(tmp_path: Path) -> None:
    model = tmp_path / "m.npz"
    model.write_bytes(b"x")
    assert _load(tmp_path, f'[settings]\nmodel = "{model}"\n').settings["model"] == str(model)


def test_smtp_ca_file_without_tls_is_refused_at_load(tmp_path: Path) -> None:
    text = '[alerts]\nsmtp_host = "localhost"\nmail_to = "a@b.kz"\nsmtp_tls = "none"\nsmtp_ca_file = "/etc/ca.pem"\n'
    with pytest.raises(ConfigError, match='smtp_ca_file is set but smtp_tls = "none"'):
        _load(tmp_path, text)
    assert _load(tmp_path, text.replace('"none"', '"starttls"')).alerts["smtp_ca_file"] == "/etc/ca.pem"
