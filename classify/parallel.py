"""Scoring batches in worker processes (one per core), for large inputs.

Workers are started with "spawn": lingua keeps Rust thread pools that must not be copied into a
child mid-use, so each worker starts a fresh interpreter and loads the model once. Batches come back
in input order.

A pool may be given the model already loaded in this process (``local``). This process then scores a
batch itself whenever every worker has one running and one waiting: on a 2-core machine one worker
plus this process keep both cores busy, and the batches before the worker is ready are not idle
time. If no thread that could be mid-use runs yet (lingua has not started its pool), such a pool's
workers are forked instead, and get the loaded model at once without imports or loading.

Workers ignore SIGINT and SIGTERM: Ctrl-C reaches the whole process group, and systemd signals every
process of the unit, but only this process decides when to stop (classify.stream.Interruption). A
worker that took the signal mid-task, or mid-start, left the pool waiting for ever. The signals are
blocked while a worker may be started, so that none arrives before it has set this up.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from classify.stream import WaitingBatch

log = logging.getLogger(__name__)

_MODEL: Any = None
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_signals_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM held back meanwhile (delivered after): a process forked or spawned meanwhile
    starts with them blocked, so a worker gets none before ``_init`` has made it ignore them."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def end_with_parent(parent: int) -> None:
    """Run in a worker process: end it once the process ``parent`` is gone."""

    # After a kill -9 of its parent (or systemd's SIGKILL after its stop timeout) a worker stayed for
    # ever, blocked on a queue nobody writes or reads, with its model or texts in memory. (The parent's
    # pid comes as an argument: it may be gone before this worker has started.)
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def quiet_worker(parent: int) -> None:
    """Run first in a worker process: ignore SIGINT and SIGTERM (the parent decides when to stop; the
    module's docstring), and end once ``parent`` is gone, the only way out once SIGTERM is ignored."""
    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    end_with_parent(parent)


def _init(model_path: str | None, parent: int) -> None:
    global _MODEL
    quiet_worker(parent)
    if _MODEL is not None:  # forked: the parent's model came with the process
        return
    from classify.model import load_model

    _MODEL = load_model(model_path)


def _fork_is_safe() -> bool:
    """True when forking copies no thread that could be mid-use: lingua has not started its Rust
    thread pool here and Python runs no other thread.

    NumPy's OpenBLAS pool does exist (it starts on import), but it is idle outside BLAS calls, which
    classification makes none of, and it resets itself in the child (it registers fork handlers).
    """
    import multiprocessing
    import threading

    from classify import lang

    return (
        lang.lingua_unused()
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _work(texts: Sequence[str]) -> list[dict[str, Any]]:
    return _MODEL.classify(texts)


class ParallelScorer:
    """A pool of worker processes, each holding the model; ``map`` keeps the order of the batches."""

    def __init__(self, model_path: str | Path | None, workers: int, local: Any = None) -> None:
        import multiprocessing

        global _MODEL
        self.workers = workers
        self.local = local  # a loaded Model: this process scores a batch whenever the workers are busy
        self.start_method = "fork" if local is not None and _fork_is_safe() else "spawn"
        if self.start_method == "fork":
            _MODEL = local
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(self.start_method),
            initializer=_init,
            initargs=(str(model_path) if model_path else None, os.getpid()),
        )
        # With "fork" the pool forks all its workers at the first batch, before it starts its own
        # management thread; they find the model in _MODEL and load nothing.

    def map(self, batches: Iterable[Sequence[str]]) -> Iterator[list[dict[str, Any]]]:
        """Results of each batch, in order, with at most two batches per worker in flight."""
        # Futures (workers) and finished results (this process), in input order. Without a local
        # model, a full queue waits for its oldest batch; with one, this process scores meanwhile,
        # and only a stalled worker makes the queue wait.
        pending: deque[Future[list[dict[str, Any]]] | list[dict[str, Any]]] = deque()
        limit = 2 * self.workers if self.local is None else 4 * self.workers + 5
        for batch in batches:
            if self.local is not None and _running(pending) >= 2 * self.workers:
                pending.append(self.local.classify(batch))
            else:
                with stop_signals_blocked():  # submit may start a worker (module docstring)
                    pending.append(self._pool.submit(_work, list(batch)))
            # A batch cut short by a pause in the input (classify.stream.WaitingBatch): its results
            # and those before it are wanted now, not when the next batch comes.
            waiting = isinstance(batch, WaitingBatch)
            while pending and (
                waiting or not isinstance(pending[0], Future) or pending[0].done() or len(pending) >= limit
            ):
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())

    def close(self) -> None:
        """Stop the workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParallelScorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _running(pending: Iterable[Any]) -> int:
    return sum(1 for entry in pending if isinstance(entry, Future) and not entry.done())


def _result(entry: Future[list[dict[str, Any]]] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return entry.result() if isinstance(entry, Future) else entry


def chunks(texts: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """Consecutive slices of ``size`` texts."""
    for start in range(0, len(texts), size):
        yield texts[start : start + size]


ScoreFn = Callable[[Sequence[str]], list[dict[str, Any]]]
