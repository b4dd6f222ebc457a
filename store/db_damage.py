"""What to do about a database file DuckDB cannot read: the hint added to its raw IO Error."""

from __future__ import annotations

from pathlib import Path

import duckdb

from errors import StoreError

# What DuckDB says of a file cut short (a copy that stopped, a full disk) or written over, in lower case.
_CUT_SHORT = ("could not read enough bytes", "corrupt database file", "checksum", "truncated")
_NOT_DUCKDB = "not a valid duckdb database file"
RESTORE = "restore it from a backup (docs/OPERATIONS.md, Taking a backup)"


def damage_hint(exc: BaseException) -> str:
    """``"; the file looks damaged or cut short: restore it …"`` for an error that says the database
    file itself is unreadable, else "" (a lock, a permission, a missing folder have their own words)."""
    text = str(exc).lower()
    if any(words in text for words in _CUT_SHORT):
        return f"; the file looks damaged or cut short: {RESTORE}"
    if _NOT_DUCKDB in text:
        return f"; if it is the monitor's database (check --db), it is damaged: {RESTORE}"
    return ""


def is_damage(exc: duckdb.Error, path: str | Path) -> bool:
    """Whether a query failed on the database file itself (a damaged block, an I/O error on it or its
    WAL), not on its SQL or on another file (a COPY's target, which the caller names)."""
    text = str(exc)
    return (
        isinstance(exc, duckdb.FatalException)
        or "corrupt database file" in text.lower()
        or (isinstance(exc, duckdb.IOException) and str(path) in text)
    )


def damage_error(exc: duckdb.Error, path: str | Path) -> StoreError:
    # A checksum that does not match surfaced as a traceback from whichever query read the block
    # first (`run`'s classification, `reclassify`), and as "batch failed unexpectedly" in `schedule`.
    if "corrupt database file" in str(exc).lower():
        return StoreError(
            f"the database file is damaged ({first_line(exc)}); restore it from a backup", path=str(path)
        )
    return StoreError(
        f"cannot read or write the database: {first_line(exc)}{damage_hint(exc)}", path=str(path)
    )


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (DuckDB adds context lines), or its type's name."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
