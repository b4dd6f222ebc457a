"""A URL requests cannot send (a space in its host, a label too long) fails at once with one clear
error, not after every retry and its pauses as if the server were down (acceptance B4: 4 attempts,
7-11 s, then a bare InvalidURL)."""

from __future__ import annotations

import pytest

from collectors.http import HttpClient
from errors import FetchError


@pytest.mark.parametrize("url", ["http://exa mple.kz/rss", "http://" + "a" * 70 + ".kz/rss"])
def test_an_address_that_cannot_be_sent_is_not_retried(url: str) -> None:
    pauses: list[float] = []
    client = HttpClient(min_delay=0, retries=3, respect_robots=False, sleep=pauses.append)
    try:
        with pytest.raises(FetchError, match="not an address that can be fetched"):
            client.get(url)
    finally:
        client.close()
    assert pauses == []
