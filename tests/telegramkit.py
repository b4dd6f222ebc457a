"""What the Telegram collector's tests share."""

from __future__ import annotations

from typing import Any


def cursor(state: dict[str, Any]) -> dict[str, Any]:
    """The collector's cursor without ``hashes``, the texts it read last (tests of their own, in
    test_telegram_pages.py)."""
    return {key: value for key, value in state.items() if key != "hashes"}
