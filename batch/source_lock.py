"""One process at a time per source: a lock held for the whole collection of a source, or an import into it.

Two `run`s started together fetched every URL twice (each process paces the host on its own, so the
host got double the configured rate) and raced on the source's cursor and failure counter; the one
that started second also marked the other's live run `aborted`. The lock is a flock on a file in
``<db>.locks/``, beside the database, which the system drops when the process ends however it ends
(SIGTERM, a crash, kill -9): no stale lock to clean up. The files stay, one per source, and hold the
pid of their last holder, for the message. A flock conflicts between two descriptors of one process
too, so two threads of one process never collect one source at once either.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from errors import MonitorError, StoreError
from store.db import check_pinned

# The status of a run not made because another process holds its source: not a failure, and never
# stored (no run row: the other process's run is the source's run).
SKIPPED = "skipped"
COLLECTING = "collecting it"
IMPORTING = "importing into it"


class LockHeld(Exception):
    """Another open file (of this process or another) holds the flock; ``pid`` is its holder's, if known,
    and ``doing`` what it wrote it holds the lock for."""

    def __init__(self, pid: int | None, doing: str = "") -> None:
        super().__init__(f"held by pid {pid}" if pid else "held")
        self.pid = pid
        self.doing = doing


class SourceBusy(MonitorError):
    """Another process collects this source (or imports into it) now: this one leaves it alone."""

    def __init__(self, source: str, pid: int | None, doing: str = "", *, then: str = "") -> None:
        holder = f" (pid {pid})" if pid else ""
        said = f"another process is {doing or COLLECTING}{holder}"
        super().__init__(f"{said}; {then}" if then else said, source=source)
        self.pid, self.doing = pid, doing


@contextmanager
def exclusive_flock(
    lock: Path, *, what: str, db: Path, doing: str = "", read_only_ok: bool = False
) -> Iterator[None]:
    """Hold an exclusive flock on ``lock`` (created with its folder) while the block runs, its pid (and
    ``doing``) written in it; raise LockHeld at once when another holds it, StoreError when it cannot be
    created or the file system has no locks (``what`` names the lock in that message). ``read_only_ok``:
    an existing lock file that cannot be opened for writing is locked read-only, without the pid."""
    try:
        made = [p for p in (lock.parent, lock) if not p.exists()]
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes (PEP 446)
        _owned_as(db, made)
    except OSError as exc:
        # A database on a file system remounted read-only: its own error ("cannot open the database")
        # says more than one about the lock file, which a flock needs no write access for.
        fd = _open_read_only(lock) if read_only_ok else None
        if fd is None:
            raise StoreError(
                f"cannot create the lock file of {what} ({lock.name}): {exc.strerror or exc}", path=str(db)
            ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, _, note = os.pread(fd, 200, 0).decode("utf-8", "replace").partition("\n")
            # unknown while the holder is writing it
            raise LockHeld(int(pid) if pid.isdigit() else None, note.strip()) from None
        except OSError as exc:  # a file system without locks (some network and FUSE file systems)
            raise StoreError(
                f"cannot lock {lock.name} ({what}): {exc.strerror or exc}; keep the database on a local "
                "file system",
                path=str(db),
            ) from None
        with suppress(OSError):  # a full disk: the lock holds all the same, only the pid is missing
            os.ftruncate(fd, 0)
            os.pwrite(fd, (f"{os.getpid()}\n" + (f"{doing}\n" if doing else "")).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _owned_as(db: Path, made: list[Path]) -> None:
    """Give what root just made beside the database (the lock folder, a lock file) the database's owner
    and group (review: a hand `import` as root made the folder root's, and the service, another user,
    could then create no lock file in it: every run of a new source failed)."""
    if os.geteuid() != 0 or not made:
        return
    with suppress(OSError):  # no database yet (its first run), or a file system without owners
        owner = db.stat()
        for path in made:
            os.chown(path, owner.st_uid, owner.st_gid)


def _open_read_only(lock: Path) -> int | None:
    try:
        return os.open(lock, os.O_RDONLY)
    except OSError:
        return None


def source_lock_path(db: Path, source: str) -> Path:
    """The lock file of ``source``: in ``<db>.locks/``, named by a hash of the name (a name may hold any
    character, a slash or a dot-dot too), after a readable part of it for whoever lists the folder."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", source)[:40].strip("_") or "source"
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    # resolved: every path to the database finds the same lock
    return Path(f"{db.resolve()}.locks") / f"{readable}-{digest}.lock"


@contextmanager
def source_lock(db: Path, source: str, *, doing: str = COLLECTING) -> Iterator[None]:
    """Hold ``source``'s lock while the block runs (``doing``: COLLECTING or IMPORTING, for the message
    of the process it keeps out); raise SourceBusy at once when another process (or another thread of
    this one) holds it."""
    check_pinned(db)  # a database removed under a run: its lock must not make its folder again
    try:
        lock = source_lock_path(db, source)
        with exclusive_flock(lock, what=f"source {source}", db=db, doing=doing, read_only_ok=True):
            yield
    except LockHeld as exc:
        raise SourceBusy(source, exc.pid, exc.doing) from None


class SaltBusy(MonitorError):
    """Another process imports a chat whose phone numbers it hashes: the salt's check and its record
    must see that import's numbers stored, so this one waits for it to end."""


@contextmanager
def salt_lock(db: Path) -> Iterator[None]:
    """Hold the lock of the database's phone-number salt while the block runs (a WhatsApp import that
    hashes numbers, from the salt's check to its end); raise SaltBusy at once when another process holds
    it (review: two imports into two sources at once left two salts in one store)."""
    lock = Path(f"{db.resolve()}.locks") / "phone-salt.lock"
    try:
        with exclusive_flock(lock, what="the phone-number salt", db=db, doing=IMPORTING, read_only_ok=True):
            yield
    except LockHeld as exc:
        holder = f" (pid {exc.pid})" if exc.pid else ""
        raise SaltBusy(
            f"another process is importing a chat whose phone numbers it hashes{holder}; nothing imported: "
            "import the file again once it is done",
            path=str(db),
        ) from None


def ended_holder(db: Path, source: str) -> int | None:
    """The pid in ``source``'s lock file when that process has ended: a run of it the table still shows
    `running` is then a dead process's (kill -9, a crash), which the next run of the source marks
    aborted. None when the file names no pid or its process lives (a live run, or not known). Only
    reads the file: taking the lock to test it would make a run starting meanwhile skip the source."""
    try:
        text = source_lock_path(db, source).read_text("utf-8", "replace")
    except OSError:
        return None
    pid = text.partition("\n")[0].strip()
    if not pid.isdigit() or int(pid) <= 0:
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return int(pid)
    except OSError:  # PermissionError: it lives, as another user
        return None
    return None
