"""Reviewers' accounts: the login check and its throttle."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from review import auth


def test_the_password_is_checked_outside_the_lock_the_pages_share(
    review_db: Path, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = threading.Lock()
    held: list[bool] = []
    check = auth.check_password_hash

    def watched(hashed: str, given: str) -> bool:
        held.append(lock.locked())
        return check(hashed, given)

    monkeypatch.setattr(auth, "check_password_hash", watched)
    assert auth.authenticate(review_db, "aigerim", password, lock=lock) is not None
    assert auth.authenticate(review_db, "aigerim", "wrong-password", lock=lock) is None
    assert auth.authenticate(review_db, "nobody", password, lock=lock) is None
    assert held == [False, False, False]  # scrypt (0.1 s) never holds up the other pages


def test_the_throttle_refuses_a_name_after_repeated_failures_and_forgets_stale_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    throttle = auth.LoginThrottle(limit=3, window=60.0, max_names=5)
    for _ in range(3):
        assert not throttle.blocked("Bob")
        throttle.record("Bob", ok=False)
    assert throttle.blocked("bob")  # names are compared case-folded
    clock[0] += 61
    assert not throttle.blocked("bob")
    # Random names that never log in would pile up: once max_names are kept, the stale ones go.
    for n in range(4):
        throttle.record(f"guess{n}", ok=False)
    assert len(throttle._failures) == 5
    clock[0] += 61
    throttle.record("guess-new", ok=False)
    assert set(throttle._failures) == {"guess-new"}
    throttle.record("guess-new", ok=True)
    assert throttle._failures == {}
