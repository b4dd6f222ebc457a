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


def _fail(throttle: auth.LoginThrottle, username: str, address: str | None) -> None:
    attempt = throttle.reserve(username, address)
    assert isinstance(attempt, auth.Attempt)
    throttle.settle(attempt, ok=False)


def _refused(throttle: auth.LoginThrottle, username: str, address: str | None) -> bool:
    attempt = throttle.reserve(username, address)
    if isinstance(attempt, auth.Refused):
        return True
    throttle.settle(attempt, ok=None)  # a look only: not counted
    return False


def test_the_throttle_refuses_a_name_from_the_address_that_failed_and_forgets_stale_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    throttle = auth.LoginThrottle(limit=3, window=60.0, max_names=5)
    for _ in range(3):
        assert not _refused(throttle, "Bob", "10.0.0.9")
        _fail(throttle, "Bob", "10.0.0.9")
    assert throttle.reserve("bob", "10.0.0.9") is auth.Refused.FAILURES  # names are compared case-folded
    assert not _refused(throttle, "bob", "10.0.0.2")  # Bob at his own machine is not locked out
    clock[0] += 61
    assert not _refused(throttle, "bob", "10.0.0.9")
    # Random names that never log in would pile up: once max_names keys are kept, the stale ones go.
    for n in range(2):
        _fail(throttle, f"guess{n}", "10.0.0.7")
    assert len(throttle._failures) == 5  # Bob's two keys, two names and the guessing address
    clock[0] += 61
    _fail(throttle, "guess-new", "10.0.0.7")
    _fail(throttle, "guess-new", "10.0.0.7")
    assert set(throttle._failures) == {("guess-new", "10.0.0.7"), ("10.0.0.7",)}
    right = throttle.reserve("guess-new", "10.0.0.7")
    throttle.settle(right, ok=True)
    assert set(throttle._failures) == {("10.0.0.7",)}
    assert throttle._in_flight == {}  # every attempt settled: none left counted as being checked


def test_an_address_that_fails_with_many_names_is_refused_whatever_name_it_tries() -> None:
    throttle = auth.LoginThrottle(limit=3, address_limit=5)
    for n in range(5):
        assert not _refused(throttle, f"guess{n}", "10.0.0.7")
        _fail(throttle, f"guess{n}", "10.0.0.7")
    assert throttle.reserve("aigerim", "10.0.0.7") is auth.Refused.FAILURES
    assert not _refused(throttle, "aigerim", "10.0.0.8")


def test_logins_from_this_machine_share_no_address_limit() -> None:
    # Behind a reverse proxy run without --behind-https-proxy every login comes from 127.0.0.1.
    throttle = auth.LoginThrottle(limit=3, address_limit=5)
    for n in range(5):
        _fail(throttle, f"guess{n}", "127.0.0.1")
        _fail(throttle, f"guess{n}", None)
    assert not _refused(throttle, "aigerim", "127.0.0.1") and not _refused(throttle, "aigerim", None)
    assert not _refused(throttle, "aigerim", "::1")


def test_attempts_being_checked_refuse_for_a_moment_not_for_minutes() -> None:
    throttle = auth.LoginThrottle(limit=3)
    pending = [throttle.reserve("aigerim", "10.0.0.9") for _ in range(3)]  # the database busy
    assert all(isinstance(a, auth.Attempt) for a in pending)
    assert throttle.reserve("aigerim", "10.0.0.9") is auth.Refused.IN_FLIGHT
    for attempt in pending:
        throttle.settle(attempt, ok=None)  # not checked: nothing counted
    assert not _refused(throttle, "aigerim", "10.0.0.9")
