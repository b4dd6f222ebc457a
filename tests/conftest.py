"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from testutil import SHARED


@pytest.fixture
def shared_dir() -> Path:
    """../shared, or skip the test when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED
