"""What `import` checks before it stores anything: the source it fills, and the salt of phone numbers.

* ``--source`` names a source of the import's kind: one the config or the store knows under another
  kind (WhatsApp messages under an RSS source) is refused; a name neither knows is a new source.
* The salt that hashes WhatsApp phone-number authors is part of each such message's id, so a store
  must keep one salt: a fingerprint of the first one used (a keyed hash of a fixed label, never the
  salt) is kept in ``meta``, and an import whose salt differs is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from collectors.base import SHOWN_NAME, variable_label
from config.sources import Config, kind_module
from errors import MonitorError
from store.db import reader, writer

# Kinds whose items may share a source: a Facebook export backfills the Graph source (same ids), and
# a CSV and a JSON Lines file carry the same columns. Any other pair would mix ids that never match.
_FAMILIES = ({"facebook", "facebook-export"}, {"csv", "jsonl"})

SALT_KEY = "phone_salt"  # the salt kept in the database when no environment variable gives one
FINGERPRINT_KEY = "phone_salt_fingerprint"
FROM_KEY = "phone_salt_from"  # where the fingerprinted salt came from: the variable's name, or "database"
_FROM_DATABASE = "database"
# HMAC of this label keyed with the salt: it tells two salts apart, but neither gives the salt back
# nor lets anyone test a phone number (the phone hash is SHA-256 of salt and digits, not this).
_FINGERPRINT_LABEL = b"public-control-monitor: which salt hashed the phone numbers, v1"


class SourceKindMismatch(MonitorError):
    """``import KIND --source NAME`` where the config or the store knows NAME as a source of another kind."""

    exit_status = 2


def _family(kind: str) -> frozenset[str]:
    return frozenset(next((f for f in _FAMILIES if kind in f), {kind}))


def check_import_source(kind: str, source_name: str, config: Config, db_path: Path) -> str | None:
    """Raise SourceKindMismatch when ``source_name`` is another kind's source; return a note for a
    source neither the config nor the store knows (no configured option applies), else None."""
    configured = config.source(source_name)
    if configured is not None and configured.kind not in _family(kind):
        raise SourceKindMismatch(
            f"source {source_name} is configured as kind {configured.kind}, not {kind}: `import {kind}` "
            "cannot fill it (give --source the name of a source of that kind, or a new name)",
            path=str(config.path) if config.path else None,
        )
    stored = _stored_kinds(db_path, source_name)
    other = sorted(k for k in stored if k not in _family(kind))
    if other:
        raise SourceKindMismatch(
            f"source {source_name} holds items of kind {', '.join(other)} in this database (its earlier runs "
            f"and imports), not {kind}: "
            f"`import {kind}` would mix them (give --source another name)",
            path=str(db_path),
        )
    if configured is None and not stored:
        options = sorted(getattr(kind_module(kind), "IMPORT_OPTIONS", ()))
        where = f"in {config.path}" if config.path else "configured"
        return (
            f"source {source_name} is new (not {where}, not in the database): no configured option "
            f"({', '.join(options)}) applies; check the name if you meant an existing source"
        )
    return None


def _stored_kinds(db_path: Path, source_name: str) -> set[str]:
    """The kinds of the runs and imports that filled ``source_name`` (``import:whatsapp`` as ``whatsapp``)."""
    if not db_path.exists():
        return set()
    with reader(db_path) as con:
        rows = con.execute("SELECT DISTINCT kind FROM runs WHERE source = ?", [source_name]).fetchall()
    return {str(kind).removeprefix("import:") for (kind,) in rows}


def fingerprint(salt: str) -> str:
    """A short keyed hash telling salts apart; the salt cannot be recovered from it."""
    return hmac.new(salt.encode("utf-8"), _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def phone_salt(db_path: Path, config: Config) -> str:
    """The salt for hashing phone numbers: from the environment variable named by ``[settings] salt_env``
    (default MONITOR_SALT), else the one kept in the database. Raises MonitorError when it is not the
    salt that hashed the store's phone numbers. Its fingerprint is recorded before the import stores
    anything (an import killed half-way has recorded it: review), and a record the store holds no
    hashed number for is dropped first (an import of names only, or one that failed, recorded a salt
    that must not bind the next: review)."""
    env_name = str(config.settings.get("salt_env", "MONITOR_SALT"))
    from_env = os.environ.get(env_name) or None
    with writer(db_path) as con:
        meta = dict(
            con.execute(
                "SELECT key, value FROM meta WHERE key IN (?, ?, ?)", [SALT_KEY, FINGERPRINT_KEY, FROM_KEY]
            ).fetchall()
        )
        kept = meta.get(SALT_KEY)
        recorded = meta.get(FINGERPRINT_KEY)
        hashed = _holds_phone_hashes(con)
        if recorded is not None and not hashed:
            con.execute("DELETE FROM meta WHERE key IN (?, ?)", [FINGERPRINT_KEY, FROM_KEY])
            recorded = None
        if recorded is not None:
            salt = from_env or kept
            if salt is None or not hmac.compare_digest(fingerprint(salt), recorded):
                raise MonitorError(
                    _salt_changed(meta.get(FROM_KEY, ""), env_name, from_env is not None), path=str(db_path)
                )
            return salt
        if hashed and from_env is None and kept is None:
            # numbers hashed before fingerprints, by a variable's salt (none was kept): a new salt here
            # would store each of their messages again (review)
            raise MonitorError(_salt_missing(env_name), path=str(db_path))
        salt = from_env or kept or secrets.token_hex(16)
        if kept is None and from_env is None:
            con.execute("INSERT INTO meta VALUES (?, ?)", [SALT_KEY, salt])
        if hashed and kept is not None and from_env is not None and kept != from_env:
            # A database from before fingerprints whose imports without the variable hashed with the
            # kept salt: which one hashed its numbers cannot be told, and the wrong one stores each of
            # their messages again (review: the variable's was taken, with a warning)
            raise MonitorError(_salt_ambiguous(env_name), path=str(db_path))
        _record(con, salt, _origin(env_name) if from_env is not None else _FROM_DATABASE)
        return salt


def _record(con: Any, salt: str, origin: str) -> None:
    _set_meta(con, FINGERPRINT_KEY, fingerprint(salt))
    _set_meta(con, FROM_KEY, origin)


def _holds_phone_hashes(con: Any) -> bool:
    """Whether the store holds a hashed phone number (collectors.whatsapp_phones): an author, else a
    mention in a message's text (review: a chat of names that @-mentions a number holds one too)."""
    for sql in (
        "SELECT 1 FROM items WHERE author LIKE 'phone:%' LIMIT 1",
        "SELECT 1 FROM items WHERE kind = 'message' AND contains(text, '@phone:') LIMIT 1",
    ):
        if con.execute(sql).fetchone() is not None:
            return True
    return False


def _salt_ambiguous(env_name: str) -> str:
    shown = variable_label(env_name, "[settings] salt_env")
    return (
        f"this database keeps a salt of its own and {shown} is set: which one hashed its phone numbers "
        f"cannot be told (the kept one was made by an import without {shown}, also of a chat of names or "
        "of a keep_phone_numbers source); if every import that stored phone numbers ran with it, delete "
        "the `meta` row `phone_salt`; if they ran without it, unset it; nothing was imported"
    )


def _salt_missing(env_name: str) -> str:
    shown = variable_label(env_name, "[settings] salt_env")
    return (
        f"this database's phone numbers were hashed with the salt of a variable, and {shown} is not "
        "set now (set it as the service's EnvironmentFile does, `set -a; . /etc/monitor/secrets.env; "
        "set +a`); nothing was imported (a new salt would give each of their messages a second copy)"
    )


def _origin(env_name: str) -> str:
    """How ``meta`` records the variable a salt came from: its name, or for a name that does not look
    like one (it may be the salt itself: collectors.base.SHOWN_NAME) a hash of it, never the value."""
    if SHOWN_NAME.fullmatch(env_name):
        return env_name
    return "unshown:" + hashlib.sha256(env_name.encode("utf-8")).hexdigest()[:16]


def _salt_changed(origin: str, env_name: str, env_set: bool) -> str:
    """The error of an import whose salt is not the one that hashed the store's phone numbers; the
    names are compared as recorded, and shown only as collectors.base.variable_label allows."""
    stop = "; nothing was imported (the same number would get another id, and each message a second copy)"
    shown = variable_label(env_name, "[settings] salt_env")
    if origin == _FROM_DATABASE:
        if not env_set:  # review: said "is set now" with the variable unset (the kept row deleted)
            return (
                "this database's phone numbers were hashed with the salt kept in the database, and its "
                f"`meta` row `phone_salt` is gone (put it back from a backup){stop}"
            )
        return (
            "this database's phone numbers were hashed with the salt kept in the database; "
            f"{shown} is set now and differs from it (unset it for imports into this database){stop}"
        )
    same = origin == _origin(env_name)
    if not same:  # [settings] salt_env names another variable than the first import's (review)
        was = (
            origin if SHOWN_NAME.fullmatch(origin) else "another variable than [settings] salt_env names now"
        )
        return (
            f"this database's phone numbers were hashed with the salt from {was}; [settings] salt_env "
            f"was changed since (put the earlier name back){stop}"
            if origin
            else f"this database's phone numbers were hashed with another salt than {shown} gives{stop}"
        )
    if not env_set:
        return (
            f"this database's phone numbers were hashed with the salt from {shown}; it is not set now "
            f"(set it as the service's EnvironmentFile does){stop}"
        )
    return (
        f"{shown} differs from the one this database's phone numbers were hashed with (set the "
        f"value the service's EnvironmentFile sets){stop}"
    )


def _set_meta(con: Any, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]
    )
