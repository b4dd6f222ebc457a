"""Secrets kept out of messages: URLs masked by parameter name, a source's secrets scrubbed by value."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from collectors.base import CollectContext, SourceConfig
from collectors.http import HttpClient
from collectors.item import Item
from collectors.secrets import guard, mask_secrets, redirect_shown, scrub, validator_key, value_pattern
from errors import FetchError

TOKEN = "EAAB-SECRET-123"


@pytest.mark.parametrize(
    ("url", "hidden"),
    [
        ("https://x.kz/feed.xml?api_key=K3YVALUE&sig=S1GVALUE&page=2", ["K3YVALUE", "S1GVALUE"]),
        ("https://x.kz/cb?x=1#access_token=T0KVALUE&state=s", ["T0KVALUE"]),
        ("https://x.kz/cb#code=C0DEVALUE", ["C0DEVALUE"]),
        (
            "https://x.kz/r?oauth_token=T0KVALUE&apikey=K3YVALUE&client_secret=S3CVALUE",
            ["T0KVALUE", "K3YVALUE", "S3CVALUE"],
        ),
        (
            "https://x.kz/r?x_api_key=K3YVALUE&auth_token=T0KVALUE&signature=S1GVALUE",
            ["K3YVALUE", "T0KVALUE", "S1GVALUE"],
        ),
        ("https://user:PA55VALUE@x.kz/feed", ["PA55VALUE"]),
    ],
)
def test_credential_parameters_are_masked_wherever_they_stand(url: str, hidden: list[str]) -> None:
    shown = mask_secrets(url)
    assert "***" in shown and not any(value in shown for value in hidden), shown


def test_what_is_no_credential_stays() -> None:
    url = "https://x.kz/news?code=12345&page=2#top"  # an article's code: also its validators' key
    assert mask_secrets(url) == url
    assert mask_secrets("https://x.kz/a?page=2&token=abc") == "https://x.kz/a?page=2&token=***"


def test_a_redirect_target_is_said_by_its_scheme_only_unless_it_is_http() -> None:
    assert redirect_shown(f"fbconnect://success#access_token={TOKEN}&expires_in=0") == "fbconnect:…"
    shown = redirect_shown(f"http://127.0.0.1:1/cb?code={TOKEN}&next=/a")
    assert TOKEN not in shown and "next=%2Fa" in shown


@pytest.mark.parametrize(
    "text",
    [
        f"token {TOKEN} here",
        f"token {TOKEN.lower()} here",
        "token EAAB%2DSECRET%2D123 here",
        "token eaab%2dsecret%2d123 here",
        "token EAAB%252DSECRET%252D123 here",  # encoded twice
    ],
)
def test_a_secret_is_scrubbed_in_any_case_and_encoding(text: str) -> None:
    assert scrub(text, value_pattern([TOKEN])) == "token *** here"


def test_an_app_token_bar_is_scrubbed_percent_encoded() -> None:
    pattern = value_pattern(["123456|abcdefSECRET"])
    assert scrub("app 123456%7Cabcdefsecret and 123456|abcdefSECRET", pattern) == "app *** and ***"


def _ctx(state: dict[str, Any]) -> CollectContext:
    options = {"token_env": "S1_TEST_TOKEN", "url": "https://x.kz/"}
    return CollectContext(
        source=SourceConfig(name="src", kind="rss", options=options),
        http=HttpClient(min_delay=0.0, source="src"),
        state=state,
        last_success=None,
        now=datetime(2026, 11, 28, tzinfo=UTC),
    )


def test_guard_scrubs_a_sources_secrets_from_its_error_and_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S1_TEST_TOKEN", f" {TOKEN}\n")
    state: dict[str, Any] = {}

    def collect() -> Iterator[Item]:
        state.setdefault("_errors", []).append(f"page /cb/{TOKEN}: bad entry")
        yield Item(source="src", external_id="1", kind="post", text="t", url="https://x.kz/1")
        state["_errors"].append(f"page /cb/{TOKEN.lower()}: bad entry")
        raise FetchError(
            "redirected", source="src", url=f"http://127.0.0.1:1/cb/EAAB%2DSECRET%2D123?code={TOKEN}"
        )

    items: list[Item] = []
    with pytest.raises(FetchError) as caught:
        for item in guard(collect(), _ctx(state)):
            items.append(item)
    assert len(items) == 1
    assert TOKEN.lower() not in str(caught.value).lower() and "SECRET" not in str(caught.value)
    assert state["_errors"] == ["page /cb/***: bad entry", "page /cb/***: bad entry"]


def test_validator_keys_keep_paging_parameters_apart_and_hide_credentials() -> None:
    """The validators' key masks only the names it always masked: ``page_token`` is a paging cursor
    (masked in messages by the suffix rule), and two pages sharing one key could answer 304 for each
    other; ``key`` and ``access_token`` are masked (source_state is read by analysts)."""
    one = validator_key("https://x.kz/feed?page_token=AAA&key=S3CRET")
    two = validator_key("https://x.kz/feed?page_token=BBB&key=S3CRET")
    assert one != two and "S3CRET" not in one + two
    assert "page_token=AAA" in one
    assert validator_key("https://x.kz/a?sig=1&id=5") == "https://x.kz/a?sig=1&id=5"  # as stores hold it
    assert mask_secrets("https://x.kz/feed?page_token=AAA") != "https://x.kz/feed?page_token=AAA"
