"""Reviewers' accounts: salted password hashes in DuckDB, the session secret, CSRF tokens, and
where a form may send the browser next.

Passwords are hashed with scrypt and a random salt (werkzeug.security); the database never holds a
password. Changing a password raises the user's session epoch, which ends their other sessions.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from werkzeug.security import check_password_hash, generate_password_hash

from errors import InputError, StoreError
from store.db import reader, writer

log = logging.getLogger(__name__)

HASH_METHOD = "scrypt"  # werkzeug's scrypt: n=2**15, r=8, p=1, 16-character random salt
MIN_PASSWORD = 8
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
SECRET_ENV = "MONITOR_SECRET_KEY"  # noqa: S105 - the name of a variable, not a secret
SECRET_META_KEY = "review_secret_key"  # noqa: S105 - where an older version kept it (moved out)
KEY_SUFFIX = ".review-key"  # the session-signing key's file, beside the database
STORE_ID_META_KEY = "review_store_id"  # the database's random id, written in the key file (not secret)
_STORE_LINE = "store="  # the key file's line naming the database it was made for
# Compared against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16), method=HASH_METHOD)


def check_username(username: str) -> str:
    """The username, or InputError when it has characters other than letters, digits and _ . @ -."""
    if not USERNAME_RE.match(username or ""):
        raise InputError(f"bad username {username!r}: use 1-64 Latin letters, digits, _ . @ -")
    return username


def check_password(password: str) -> str:
    """The password, or InputError when it is too short."""
    if len(password or "") < MIN_PASSWORD:
        raise InputError(f"the password needs at least {MIN_PASSWORD} characters")
    return password


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``."""
    return generate_password_hash(password, method=HASH_METHOD)


def add_user(db_path: Path, username: str, password: str, *, now: datetime | None = None) -> None:
    """Create a reviewer; InputError when the name is taken."""
    check_username(username)
    check_password(password)
    now = now or datetime.now(UTC)
    hashed = hash_password(password)
    with writer(db_path) as con:
        if con.execute("SELECT count(*) FROM users WHERE username = ?", [username]).fetchone()[0]:
            raise InputError(f"user {username!r} exists already; use `user passwd` to change the password")
        con.execute(
            "INSERT INTO users (username, password_hash, created_at, password_set_at) VALUES (?, ?, ?, ?)",
            [username, hashed, now, now],
        )
    log.info("user %s added", username)


def set_password(db_path: Path, username: str, password: str, *, now: datetime | None = None) -> None:
    """Change a reviewer's password and end their existing sessions."""
    check_password(password)
    hashed = hash_password(password)
    with writer(db_path) as con:
        changed = con.execute(
            """UPDATE users SET password_hash = ?, password_set_at = ?, session_epoch = session_epoch + 1
               WHERE username = ? RETURNING username""",
            [hashed, now or datetime.now(UTC), username],
        ).fetchall()
    if not changed:
        raise InputError(f"no user {username!r}; add one with `user add {username}`")
    log.info("password of %s changed", username)


def set_disabled(db_path: Path, username: str, disabled: bool) -> None:
    """Disable a reviewer (their sessions end at once) or enable them again."""
    with writer(db_path) as con:
        changed = con.execute(
            """UPDATE users SET disabled = ?, session_epoch = session_epoch + 1
               WHERE username = ? RETURNING username""",
            [disabled, username],
        ).fetchall()
    if not changed:
        raise InputError(f"no user {username!r}")
    log.info("user %s %s", username, "disabled" if disabled else "enabled")


def list_users(db_path: Path) -> list[dict[str, Any]]:
    """Reviewers with their creation and password-change times (never the hashes)."""
    with writer(db_path) as con:  # a writer, so that an old file gets the users table first
        cur = con.execute(
            "SELECT username, created_at, password_set_at, disabled FROM users ORDER BY username"
        )
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def end_sessions(db_path: Path, username: str, *, epoch: int | None = None, wait: float = 30.0) -> bool:
    """End every session of the user (logging out): the session cookie is signed, not stored, so a
    copy of it would stay valid until it expires unless the epoch it carries is retired.

    ``epoch``: the logging-out session's; a session ended already (a stale copy of a cookie) does not
    end the user's newer ones. True when sessions were ended.
    """
    with writer(db_path, wait=wait) as con:
        ended = con.execute(
            """UPDATE users SET session_epoch = session_epoch + 1
               WHERE username = ? AND (?::BIGINT IS NULL OR session_epoch = ?) RETURNING username""",
            [username, epoch, epoch],
        ).fetchall()
    return bool(ended)


def authenticate(
    db_path: Path,
    username: str,
    password: str,
    *,
    lock: AbstractContextManager[Any] | None = None,
    wait: float = 30.0,
    turn: AbstractContextManager[Any] | None = None,
) -> int | None:
    """The user's session epoch when the password is right, else None. ``lock`` is held while the
    database is read, not while the password is checked (scrypt takes about 0.1 s); a batch's lock
    on the file is waited for up to ``wait`` seconds (then StoreLocked). ``turn`` (:class:`CheckTurns`)
    is held only while the password is checked: not while the database is waited for, or a few
    logins during a batch would take every turn."""
    with lock or nullcontext(), reader(db_path, wait=wait) as con:
        rows = con.execute(
            "SELECT password_hash, session_epoch, disabled FROM users WHERE username = ?", [username]
        ).fetchall()
    hashed, epoch, disabled = rows[0] if rows else (_DUMMY_HASH, None, False)
    with turn or nullcontext():
        right = check_password_hash(hashed, password or "")
    if not right or epoch is None or disabled:
        return None
    return int(epoch)


class TooManyChecks(Exception):
    """No turn to check a password came within the wait: too many logins at this moment."""


class CheckTurns:
    """At most ``count`` password checks at once (scrypt takes about 32 MB and a fifth of a second
    of a core each)."""

    def __init__(self, count: int) -> None:
        self._turns = threading.BoundedSemaphore(count)

    @contextmanager
    def within(self, wait: float) -> Iterator[None]:
        """A turn held over the block, waited for up to ``wait`` seconds (then TooManyChecks)."""
        if not self._turns.acquire(timeout=wait):
            raise TooManyChecks
        try:
            yield
        finally:
            self._turns.release()


def session_epoch(con: duckdb.DuckDBPyConnection, username: str) -> int | None:
    """The current session epoch of an active user, or None when the user is gone or disabled."""
    # fetchall, not fetchone: the request's shared connection must be left with no result open,
    # or a later relational query on it (the download's copy of the rows) is refused by DuckDB.
    rows = con.execute(
        "SELECT session_epoch FROM users WHERE username = ? AND NOT disabled", [username]
    ).fetchall()
    return int(rows[0][0]) if rows else None


def key_file(db_path: Path) -> Path:
    """Where the session-signing key is kept when $MONITOR_SECRET_KEY is not set: ``<db>.review-key``."""
    return db_path.with_name(db_path.name + KEY_SUFFIX)


def secret_key(db_path: Path) -> str:
    """The session-signing secret: $MONITOR_SECRET_KEY, else a random one kept in ``<db>.review-key``
    (mode 0600) for this database, made on first use.

    Not in the database: whoever reads the key can sign a session as any reviewer, and the database
    is read by analysts and copied to backups. A key an older version kept in the meta table is moved
    to the file (and deleted from the table), so sessions open across the upgrade go on; with the
    variable set too, so that it does not become the key again once the variable is unset.

    The file names the database it was made for (a random id in its meta table): a database deleted
    and made again starts its reviewers' session epochs at 0 again, so the old database's cookies
    would be good in the new one; a file made for another database (or for one without the id, while
    this one has it) gets a new key.
    """
    from_env = os.environ.get(SECRET_ENV, "").strip()
    path = key_file(db_path)
    with writer(db_path) as con:
        rows = con.execute("SELECT value FROM meta WHERE key = ?", [SECRET_META_KEY]).fetchall()
        if from_env and not rows:
            return from_env
        ids = con.execute("SELECT value FROM meta WHERE key = ?", [STORE_ID_META_KEY]).fetchall()
        store_id = str(ids[0][0]) if ids else None
        value, file_id = _read_key(path)
        if value is not None and file_id != store_id and not (file_id is None and store_id is None):
            log.warning(
                "%s was made for another database: a new session-signing key (every reviewer logs in again)",
                path,
            )
            value = None
        if store_id is None:
            store_id = secrets.token_hex(16)
            con.execute("INSERT INTO meta VALUES (?, ?)", [STORE_ID_META_KEY, store_id])
        if value is None or file_id is None:
            moved = value is None and bool(rows)
            value = value or (str(rows[0][0]) if rows else secrets.token_urlsafe(48))
            _write_key(path, value, store_id, like=db_path)
            said = "moved from the database to %s" if moved else "kept in %s"
            log.info(f"session-signing key {said}", path)
        # once the file holds it (a crash in between leaves it in both, and the next start ends that)
        if rows:
            con.execute("DELETE FROM meta WHERE key = ?", [SECRET_META_KEY])
        return from_env or value


def _read_key(path: Path) -> tuple[str | None, str | None]:
    # The key in the file and the id of the database it was made for (None from an older version);
    # no key when there is no file, or an empty one (a crash of an older version, which wrote it in
    # place, between making and writing it: no session was signed with it). StoreError when it
    # cannot be read.
    try:
        lines = path.read_text(encoding="ascii").split()
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not text"
        raise StoreError(f"cannot read the session-signing key: {why}", path=str(path)) from None
    if not lines:
        log.warning("%s is empty: a new session-signing key", path)
        return None, None
    store_id = next(
        (line.removeprefix(_STORE_LINE) for line in lines[1:] if line.startswith(_STORE_LINE)), None
    )
    return lines[0], store_id


def _write_key(path: Path, value: str, store_id: str, *, like: Path) -> None:
    # A file only its owner may read, owned as the database is (a page run by root over a monitor
    # user's database would otherwise leave a file that user cannot read), written whole beside it
    # and renamed into place: a crash leaves the old file or the new one, never an empty one.
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise StoreError(f"cannot write the session-signing key: {exc.strerror}", path=str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:  # mkstemp makes it 0600
            out.write(f"{value}\n{_STORE_LINE}{store_id}\n")
            out.flush()
            os.fsync(out.fileno())
        owner = like.stat()
        if os.geteuid() == 0 and (owner.st_uid, owner.st_gid) != (0, 0):
            os.chown(tmp, owner.st_uid, owner.st_gid)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StoreError(f"cannot write the session-signing key: {exc.strerror}", path=str(path)) from None


def new_csrf_token() -> str:
    """A random token for one session's forms."""
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of the session's token and the form's."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def export_token(csrf: str) -> str:
    """The token a download link carries: derived from the session's form token, which itself must
    not go into a URL (access logs, the browser's history) and then stand for every form."""
    return hmac.new(csrf.encode(), b"export", hashlib.sha256).hexdigest()


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback`` (after a login or an answer)."""
    # Only a path on this site: never "//host" or "http://host". No control characters or spaces
    # either: browsers and Werkzeug drop a tab or a newline from a URL, which makes "/<tab>/host" a
    # "//host", and a newline cannot go into the Location header at all.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and all(" " < ch != "\x7f" for ch in target)
    ):
        return target
    return fallback


@dataclass(frozen=True)
class Attempt:
    """A login counted by :meth:`LoginThrottle.reserve` before its password is checked."""

    keys: tuple[tuple[str, ...], ...]  # the name from the address first, then the address


class Refused(enum.Enum):
    """Why :meth:`LoginThrottle.reserve` refused a login."""

    FAILURES = "failures"  # the limit of failures reached: wait a few minutes
    IN_FLIGHT = "in flight"  # the limit reached only with the attempts being checked: a moment


class LoginThrottle:
    """Refuses logins for a while after repeated failures (kept in memory: a restart forgets).

    A user name is refused from the address that failed with it, not from every address: five wrong
    passwords from someone else's machine must not lock a reviewer out of their own. An address that
    fails with many names (guessing accounts) is refused whatever name it tries.
    """

    def __init__(
        self, limit: int = 5, window: float = 300.0, max_names: int = 1000, address_limit: int = 30
    ) -> None:
        self.limit = limit  # failures of one name from one address
        self.address_limit = address_limit  # failures of any names from one address
        self.window = window
        self.max_names = max_names  # keys kept before the stale ones are forgotten
        self._failures: dict[tuple[str, ...], deque[float]] = {}
        self._in_flight: dict[tuple[str, ...], int] = {}  # attempts reserved, not yet settled
        self._lock = threading.Lock()

    def reserve(self, username: str, address: str | None) -> Attempt | Refused:
        """An attempt of ``username`` from ``address`` to check, or why it is refused: its failures
        (of the name from the address, or of the address) have reached their limit within the last
        ``window`` seconds, or would with the attempts being checked (guesses sent side by side are
        held to the limit: they all passed a check made before any of them failed). Checked and
        counted under one lock. :meth:`settle` it."""
        keys = self._keys(username, address)
        with self._lock:
            now = time.monotonic()
            if self._reached(keys, now, with_in_flight=False):
                return Refused.FAILURES
            if self._reached(keys, now, with_in_flight=True):
                # Not failures yet: a login pressed again while the database is busy is no guess.
                return Refused.IN_FLIGHT
            for key, _ in keys:
                self._in_flight[key] = self._in_flight.get(key, 0) + 1
            return Attempt(tuple(key for key, _ in keys))

    def settle(self, attempt: Attempt, *, ok: bool | None) -> None:
        """A reserved attempt's outcome: a failure is counted; a success forgets the name's failures
        from that address; None (the password was not checked: the database busy) counts nothing."""
        with self._lock:
            for key in attempt.keys:
                left = self._in_flight.pop(key, 1) - 1
                if left:
                    self._in_flight[key] = left
            if ok:
                self._failures.pop(attempt.keys[0], None)
            elif ok is False:
                self._append(attempt.keys, time.monotonic())

    def _keys(self, username: str, address: str | None) -> list[tuple[tuple[str, ...], int]]:
        # The name from the address, and the address itself when it is another machine's, with limits.
        keys = [((username.casefold(), address or ""), self.limit)]
        if _remote(address):
            keys.append(((address or "",), self.address_limit))
        return keys

    def _reached(self, keys: list[tuple[tuple[str, ...], int]], now: float, *, with_in_flight: bool) -> bool:
        # Whether a key has its limit of failures within the window (counting the attempts being
        # checked too, or not); the lock is held.
        for key, limit in keys:
            recent = self._failures.get(key)
            while recent and now - recent[0] > self.window:
                recent.popleft()
            count = len(recent or ()) + (self._in_flight.get(key, 0) if with_in_flight else 0)
            if count >= limit:
                return True
        return False

    def _append(self, keys: tuple[tuple[str, ...], ...], now: float) -> None:
        # A failure at ``now`` for each key; the lock is held.
        for key in keys:
            if len(self._failures) >= self.max_names and key not in self._failures:
                # Names tried and never logged in with would pile up: forget the stale ones.
                for stale in [
                    k for k, times in self._failures.items() if not times or now - times[-1] > self.window
                ]:
                    del self._failures[stale]
            kept = self.limit if len(key) == 2 else self.address_limit  # (name, address) or (address,)
            self._failures.setdefault(key, deque(maxlen=kept)).append(now)


def _remote(address: str | None) -> bool:
    """Whether a login comes from another machine, known by its address. The address limit is for
    those only: logins through a reverse proxy run without --behind-https-proxy all come from this
    machine, and 30 failures among them would lock every reviewer out."""
    try:
        return not ipaddress.ip_address(address or "").is_loopback
    except ValueError:  # no address, or none an IP (a Unix socket)
        return False
