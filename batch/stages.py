"""The stages after collection: near-duplicate clustering and classification of new or edited items.

Both read a page of pending rows, work with the database closed, then write the page back in one
short transaction, so an analyst can open the file between pages.
"""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from errors import ModelError
from store import classifications
from store.db import let_go, writer

log = logging.getLogger(__name__)

PAGE = 5000
CLUSTER_WINDOW = timedelta(days=30)  # near-duplicates are looked for among items of the last 30 days
PARALLEL_SIGNATURES = 5000  # from this many new items, signatures are computed in a second process
# Items signed and clustered at a time: all of a backlog's texts at once took 1.3 GB at 500,000 items
# (a first import), in this process and again in the worker.
CLUSTER_CHUNK = 50_000


@dataclass(slots=True)
class ClassifyResult:
    """What a classification pass did."""

    model_version: str | None = None
    scored: int = 0  # rows written
    unique_texts: int = 0  # texts the model actually scored (exact duplicates share one score)
    flagged: int = 0  # of the rows written: a row `save` left out flags nothing
    stale: int = 0  # rows left out: edited since they were read, the new text scored by another process
    skipped_reason: str | None = None


def classify_pending(
    db_path: Path,
    *,
    model_path: str | Path | None = None,
    rescore_all: bool = False,
    model: Any = None,
    should_stop: Callable[[], bool] | None = None,
) -> ClassifyResult:
    """Score items that are new or edited (or, with ``rescore_all``, scored by another model version).

    The items to score are found once, at the start (a search of the whole store), and read a page at a
    time; an item stored or edited after that waits for the next pass, as one stored after the pass.
    """
    result = ClassifyResult()
    keys = None
    if model is None and not rescore_all:
        with writer(db_path) as con:
            keys = classifications.pending_keys(con)
        if not keys.num_rows:
            return result  # nothing new: no need to load the model (its import alone takes seconds)
    if model is None:
        try:
            from classify.model import load_model

            model = load_model(model_path)
        except (ImportError, ModelError) as exc:
            result.skipped_reason = str(exc)
            log.warning("items stored unclassified: %s", exc)
            return result
    result.model_version = model.version
    stale_of = model.version if rescore_all else None
    if keys is None:
        with writer(db_path) as con:
            keys = classifications.pending_keys(con, model_version=stale_of)
    for start in range(0, keys.num_rows, PAGE):
        if should_stop is not None and should_stop():  # a stop request ends the pass between two pages
            break
        with writer(db_path) as con:
            rows = classifications.rows_of(con, keys.slice(start, PAGE), model_version=stale_of)
        # Scored with the file closed, even inside holding(): a writer or an analyst waiting for it gets
        # in (`reclassify` kept it 167 s at a million items, and a `run` beside it failed after 30 s).
        let_go(db_path)
        if rows:
            _score_page(db_path, rows, model, result)
    return result


def _score_page(db_path: Path, rows: list[tuple], model: Any, result: ClassifyResult) -> None:
    """Score a page of pending rows and store the scores; counts them in ``result``."""
    # Exact duplicates (same content hash) are scored once.
    unique: dict[str, str] = {}
    for _source, _ext, title, text, chash in rows:
        if chash not in unique:
            unique[chash] = f"{title}\n{text}" if title and title not in (text or "") else (text or "")
    hashes = list(unique)
    predictions = dict(zip(hashes, model.classify([unique[h] for h in hashes]), strict=True))
    result.unique_texts += len(hashes)
    keys = [(r[0], r[1], r[4]) for r in rows]
    preds = [predictions[r[4]] for r in rows]
    with writer(db_path) as con:
        written = classifications.save(con, keys, preds, model_version=model.version)
        saved = _saved(con, keys) if written < len(keys) else [True] * len(keys)
    result.scored += written
    result.stale += len(keys) - written
    # the flags of what was stored: a row left out is another text's, scored by another process
    result.flagged += sum(1 for p, ok in zip(preds, saved, strict=True) if ok and p.get("labels"))


def _saved(con: Any, keys: list[tuple[str, str, str]]) -> list[bool]:
    """Whether each (source, external_id, content_hash) row has its score stored (in the transaction
    of ``save``): a row it left out keeps the score of the item's newer content, another hash."""
    table = pa.table(
        {
            "source": [k[0] for k in keys],
            "external_id": [k[1] for k in keys],
            "content_hash": [k[2] for k in keys],
        }
    )
    con.register("written_keys", table)
    try:
        stored = set(
            con.execute(
                "SELECT source, external_id FROM written_keys w SEMI JOIN classifications c "
                "USING (source, external_id, content_hash)"
            ).fetchall()
        )
    finally:
        con.unregister("written_keys")
    return [(k[0], k[1]) in stored for k in keys]


def _cluster_inputs(db_path: Path) -> list[tuple]:
    """Items without a signature, ``CLUSTER_CHUNK`` at most: (source, external_id, title and text)."""
    with writer(db_path) as con:
        return con.execute(
            "SELECT source, external_id, coalesce(title, '') || ' ' || coalesce(text, '') FROM items "
            "WHERE simhash IS NULL LIMIT ?",
            [CLUSTER_CHUNK],
        ).fetchall()


# The clustered items of the window that share a 16-bit band with one of the new signatures: the
# only ones that can be within reach of them (dedupe.BANDS). Filtered in the scan, so a window of a
# million items costs a column scan, not a million rows in Python (about a second per 100,000).
_CANDIDATES = """
SELECT source || '|' || external_id, simhash, cluster_id FROM items
WHERE simhash IS NOT NULL AND cluster_id IS NOT NULL AND collected_at >= ?
  AND ((simhash & 65535) IN (SELECT unnest(?::UBIGINT[]))
    OR ((simhash >> 16) & 65535) IN (SELECT unnest(?::UBIGINT[]))
    OR ((simhash >> 32) & 65535) IN (SELECT unnest(?::UBIGINT[]))
    OR ((simhash >> 48) & 65535) IN (SELECT unnest(?::UBIGINT[])))
ORDER BY collected_at, source, external_id
"""


def _candidates(db_path: Path, sigs: list[int], since: datetime) -> list[tuple]:
    from classify.dedupe import BANDS, bands

    assert BANDS == 4, "_CANDIDATES spells out four bands of 16 bits"
    wanted: list[set[int]] = [set() for _ in range(BANDS)]
    for sig in sigs:
        if sig:
            for i, value in bands(sig):
                wanted[i].add(value)
    if not wanted[0]:
        return []
    with writer(db_path) as con:
        return con.execute(_CANDIDATES, [since, *(sorted(b) for b in wanted)]).fetchall()


def signatures(texts: list[str], should_stop: Callable[[], bool] | None = None) -> list[int]:
    """SimHash of each text (fewer when a stop is requested: the rest waits for the next pass)."""
    from classify import dedupe

    out: list[int] = []
    for start in range(0, len(texts), 1000):
        if should_stop is not None and should_stop():
            break
        out.extend(dedupe.signatures(texts[start : start + 1000]))
    return out


def _store_clusters(db_path: Path, rows: list[tuple], sigs: list[int], now: datetime) -> int:
    from classify.dedupe import assign_clusters

    rows = rows[: len(sigs)]
    new = [(f"{s}|{e}", sig) for (s, e, _), sig in zip(rows, sigs, strict=True)]
    existing = _candidates(db_path, sigs, now - CLUSTER_WINDOW)
    clusters = assign_clusters(new, [(k, int(h), c) for k, h, c in existing])
    for start in range(0, len(rows), PAGE * 4):
        page = range(start, min(start + PAGE * 4, len(rows)))
        table = pa.table(
            {
                "source": [rows[i][0] for i in page],
                "external_id": [rows[i][1] for i in page],
                "simhash": pa.array([new[i][1] for i in page], type=pa.uint64()),
                "cluster_id": [clusters[new[i][0]] for i in page],
            }
        )
        with writer(db_path) as con:
            con.register("sigs", table)
            con.execute(
                "UPDATE items SET simhash = s.simhash, cluster_id = s.cluster_id FROM sigs s "
                "WHERE items.source = s.source AND items.external_id = s.external_id"
            )
            con.unregister("sigs")
    return len(rows)


def cluster_pending(
    db_path: Path, *, now: datetime | None = None, should_stop: Callable[[], bool] | None = None
) -> int:
    """Give every item without a signature its SimHash and near-duplicate cluster; returns how many."""
    if importlib.util.find_spec("classify.dedupe") is None:
        return 0
    stopped = should_stop or (lambda: False)
    # Signatures are computed with the database closed; one pass assigns each chunk's clusters.
    return _cluster_chunks(
        db_path, _cluster_inputs(db_path), lambda texts: signatures(texts, should_stop), stopped, now
    )


def _cluster_chunks(
    db_path: Path,
    rows: list[tuple],
    sign: Callable[[list[str]], list[int]],
    stopped: Callable[[], bool],
    now: datetime | None = None,
) -> int:
    """Sign ``rows`` and store their clusters, then the next items without a signature likewise, a
    ``CLUSTER_CHUNK`` at a time, until none is left or ``stopped()``; returns how many."""
    done = 0
    while rows and not stopped():
        sigs = sign([r[2] for r in rows])
        done += _store_clusters(db_path, rows, sigs, now or datetime.now(UTC))
        rows = _cluster_inputs(db_path)
    return done


def signature_pool() -> ProcessPoolExecutor:
    """One worker process for signatures, which ends when this process is gone."""
    # spawn, not fork: this process has threads (DuckDB's, the idle closer) a fork would copy mid-flight
    # It ignores SIGINT and SIGTERM, which a terminal's Ctrl-C and systemd's stop send to every process
    # of the group: this process decides when to stop (should_stop), the worker's signal broke the pool.
    from classify.parallel import quiet_worker

    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        max_workers=1, mp_context=context, initializer=quiet_worker, initargs=(os.getpid(),)
    )


def analyse_pending(
    db_path: Path,
    *,
    model_path: str | Path | None = None,
    model: Any = None,
    rescore_all: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[int, ClassifyResult]:
    """Cluster and classify what is new, on both cores: a big backlog's signatures are computed in a
    worker process while this one classifies. Returns (items clustered, classification result);
    ``model``, when given, is used instead of loading ``model_path``. Once ``should_stop()``, both end
    after the page or chunk in hand (what is stored stays; the next pass goes on from there)."""
    stopped = should_stop or (lambda: False)
    rows = _cluster_inputs(db_path)
    if len(rows) < PARALLEL_SIGNATURES:
        result = classify_pending(
            db_path, model_path=model_path, model=model, rescore_all=rescore_all, should_stop=stopped
        )
        return _cluster_chunks(db_path, rows, lambda texts: signatures(texts, stopped), stopped), result
    stop = threading.Event()
    with signature_pool() as pool, ThreadPoolExecutor(1, thread_name_prefix="clusters") as chunks:

        def sign(texts: list[str]) -> list[int]:
            from classify.parallel import stop_signals_blocked

            with stop_signals_blocked():  # the first submit starts the worker: none before it ignores them
                future = pool.submit(signatures, texts)
            return future.result()

        clustering = chunks.submit(_cluster_chunks, db_path, rows, sign, lambda: stop.is_set() or stopped())
        try:
            result = classify_pending(
                db_path, model_path=model_path, model=model, rescore_all=rescore_all, should_stop=stopped
            )
        except BaseException:
            stop.set()  # Ctrl-C or an error: the chunk being signed is the last one
            raise
        return clustering.result(), result
