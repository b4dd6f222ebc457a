"""`import`: an export file (a WhatsApp chat, a Facebook export, CSV or JSON Lines) read into a
source's items, as one run of kind ``import:KIND``.

The source's lock is held for the whole import (batch/source_lock.py), and before anything is stored
the source's kind and the phone-number salt are checked (batch/import_guard.py) and the source's runs
a dead process left `running` are closed `aborted`, as a `run` of the source does. Items go through the
runner's ItemSink in batches, as a collector's do; bad lines are reported and the rest is stored; a
stop asked (Ctrl-C, SIGTERM) ends the run `aborted` at its next item, what was read kept, and a second
one still ends it so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import nullcontext
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from batch.import_guard import check_import_source, phone_salt
from batch.runner import ItemSink, RunStopped, _consume, _failure, _forget_store_mirrors, _one_line
from batch.source_lock import IMPORTING, SourceBusy, salt_lock, source_lock
from batch.whatsapp_scrub import scrub_phone_mentions
from collectors import importer
from collectors.item import Item
from config.sources import Config
from errors import InputError, MonitorError, StoreError
from store import runs as runlog
from store.db import reader, writer

log = logging.getLogger(__name__)


def import_file(
    kind: str,
    path: Path,
    source_name: str,
    config: Config,
    db_path: Path,
    *,
    report: Callable[[InputError], None],
    note: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> runlog.RunRecord:
    """Import an export file as items of ``source_name``; bad lines go to ``report`` and the rest is
    stored. Raises before storing anything when ``source_name`` is another kind's source, the salt of
    phone numbers is not the store's, or another process collects or imports into the source (SourceBusy); ``note`` hears that the source is new. Once ``should_stop`` says
    so, the run ends 'aborted' at its next item, what was read kept."""
    try:
        read = importer(kind)
    except KeyError:
        raise InputError(f"unknown import kind {kind!r}", path=str(path)) from None
    if not path.exists():
        raise InputError("file not found", path=str(path))
    configured = config.source(source_name)
    options: dict[str, Any] = dict(configured.options) if configured else {}
    # numbers kept in clear need no salt
    hashing = kind == "whatsapp" and not options.get("keep_phone_numbers", False)
    try:
        with (
            source_lock(db_path, source_name, doing=IMPORTING),
            salt_lock(db_path) if hashing else nullcontext(),
        ):
            return _import_locked(
                read, kind, path, source_name, config, db_path, options, hashing, report, note, should_stop
            )
    except SourceBusy as exc:  # refused before storing anything: importing the file again later is safe
        then = "nothing imported: import the file again once it is done"
        raise SourceBusy(source_name, exc.pid, exc.doing, then=then) from None


def _import_locked(
    read: Callable[..., Iterator[Item]],
    kind: str,
    path: Path,
    source_name: str,
    config: Config,
    db_path: Path,
    options: dict[str, Any],
    hashing: bool,
    report: Callable[[InputError], None],
    note: Callable[[str], None] | None,
    should_stop: Callable[[], bool] | None,
) -> runlog.RunRecord:
    """``import_file`` with the source's lock (and, when it ``hashing`` phone numbers, the salt's) held;
    ``options`` are the configured source's."""
    new_source = check_import_source(kind, source_name, config, db_path)
    if new_source and note is not None:
        note(new_source)
    if hashing:
        options["_salt"] = phone_salt(db_path, config)
        _scrub_phone_mentions(db_path, source_name, options["_salt"])
    if kind == "whatsapp":
        # called once, at the end, and only when the file holds edited messages
        options["_stored_ids"] = partial(_stored_message_ids, db_path, source_name)
    run = runlog.RunRecord(source=source_name, kind=f"import:{kind}", started_at=datetime.now(UTC))
    with writer(db_path) as con:
        # With the source's lock held, a run of it still 'running' is a dead process's (an import or a
        # `run` killed, or one whose end a full disk kept out): `schedule` never runs an import-only
        # source, so this is the only place its dead runs get closed
        runlog.mark_stale_runs(con, source_name)
        runlog.start_run(con, run)
        log.debug("%s: import of %s started (run %s)", source_name, path, run.run_id)
        # An import into a collected source changes what its cursor's hashes describe (review: an older
        # export imported into a Graph source, then the current text was never handed over again).
        _forget_store_mirrors(con, runlog.load_state(con, source_name))
    problems: list[str] = []

    def on_problem(error: InputError) -> None:
        problems.append(str(error))
        report(error)

    sink = ItemSink(db_path, run)
    failure: Exception | None = None
    try:
        try:
            _consume(
                _guarded(read(path, source=source_name, options=options, report=on_problem)),
                sink,
                source_name,
                should_stop,
            )
            if problems and not run.fetched:  # every line had an error: nothing of the file was stored
                run.status = "failed"
                run.error = f"nothing imported: {len(problems)} problem(s), listed below"
            else:
                run.status = "partial" if problems else "ok"
        except Exception as exc:  # an importer bug too: the run must end 'failed', not stay 'running'
            failure = exc
            if not isinstance(exc, MonitorError):
                log.debug("%s: unexpected error importing %s", source_name, path, exc_info=True)
            run.status, run.error = _failure(exc)
            try:
                sink.flush()  # what was read before the failure is kept
            except Exception as store_exc:
                run.error = f"{run.error}; and storing what was read failed: {_failure(store_exc)[1]}"
        _end_import(db_path, run, problems, failure)
    except KeyboardInterrupt:
        # A second Ctrl-C, also while the first one's flush or the run's end is written (review): the
        # run ends 'aborted', not 'running' for ever.
        run.status, run.error = RunStopped.run_status, "interrupted before the import ended"
        try:
            _end_import(db_path, run, problems)
        except StoreError as exc:  # the interruption is what was asked: say this, then stop
            log.error("%s", exc)
        raise
    return run


def _end_import(
    db_path: Path, run: runlog.RunRecord, problems: list[str], failure: Exception | None = None
) -> None:
    """Record the run's outcome; StoreError when the database cannot take it (the row then stays
    'running' until the next import into the source, or run of it, closes it): ``failure``, the
    import's own, when that was the database's (review: after a full disk's failed checkpoint, the
    end met DuckDB's "database has been invalidated" and printed a 20-line traceback)."""
    run.problems, run.problem_messages = len(problems), problems
    run.finished_at = datetime.now(UTC)
    try:
        with writer(db_path) as con:
            runlog.finish_run(con, run)
    except (StoreError, duckdb.Error) as exc:
        if isinstance(failure, StoreError):
            raise failure from None  # what went wrong first; the second error only echoes it
        if isinstance(exc, StoreError):
            raise
        raise StoreError(f"cannot write the database: {_one_line(str(exc))}", path=str(db_path)) from None


def _scrub_phone_mentions(db_path: Path, source_name: str, salt: str) -> None:
    """Hash the phone mentions that earlier imports of the source stored in clear; logs how many rows."""
    with writer(db_path) as con:
        rewritten = scrub_phone_mentions(con, source_name, salt)
    if any(rewritten.values()):
        log.info(
            "%s: phone mentions stored in clear by an earlier import hashed in %d items and %d earlier versions",
            source_name,
            rewritten["items"],
            rewritten["item_versions"],
        )


def _stored_message_ids(
    db_path: Path, source_name: str, keys: Collection[tuple[str | None, str, str]]
) -> dict[tuple[str | None, str, str], set[str]]:
    """The external ids of ``source_name``'s stored messages under each (chat, wall-clock minute,
    author) key, all keys in one query: the messages an edited WhatsApp message may be a version of."""
    found: dict[tuple[str | None, str, str], set[str]] = {}
    if not keys:
        return found
    chats, minutes, authors = zip(*keys, strict=True)
    table = pa.table(
        {"chat": list(chats), "minute": list(minutes), "author": list(authors)},
        schema=pa.schema([("chat", pa.string()), ("minute", pa.string()), ("author", pa.string())]),
    )
    with reader(db_path) as con:  # inside `holding`, the connection the import writes with
        con.register("edited_keys", table)
        try:
            rows = con.execute(
                """
                SELECT k.chat, k.minute, k.author, i.external_id
                FROM items i JOIN edited_keys k
                  ON i.author = k.author
                 AND left(i.raw ->> '$.wall_time', 16) = k.minute
                 AND (i.raw ->> '$.chat') IS NOT DISTINCT FROM k.chat
                WHERE i.source = ? AND i.kind = 'message'
                """,
                [source_name],
            ).fetchall()
        finally:
            con.unregister("edited_keys")
    for chat, minute, author, external_id in rows:
        found.setdefault((chat, minute, author), set()).add(external_id)
    return found


def _guarded(items: Iterator[Item]) -> Iterator[Item]:
    try:
        yield from items
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}") from None
