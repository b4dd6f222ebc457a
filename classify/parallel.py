"""Scoring batches in worker processes (one per core), for large inputs.

Workers are started with "spawn" (not fork): lingua keeps Rust thread pools that must not be copied
into a child mid-use. Each worker loads the model once; batches come back in input order.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_MODEL: Any = None


def _init(model_path: str | None) -> None:
    global _MODEL
    from classify.model import load_model

    _MODEL = load_model(model_path)


def _work(texts: Sequence[str]) -> list[dict[str, Any]]:
    return _MODEL.classify(texts)


class ParallelScorer:
    """A pool of worker processes, each holding the model; ``map`` keeps the order of the batches."""

    def __init__(self, model_path: str | Path | None, workers: int) -> None:
        import multiprocessing

        self.workers = workers
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(str(model_path) if model_path else None,),
        )

    def map(self, batches: Iterable[Sequence[str]]) -> Iterator[list[dict[str, Any]]]:
        """Results of each batch, in order, with at most two batches per worker in flight."""
        pending: deque[Future[list[dict[str, Any]]]] = deque()
        for batch in batches:
            pending.append(self._pool.submit(_work, list(batch)))
            if len(pending) >= 2 * self.workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        """Stop the workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParallelScorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def chunks(texts: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """Consecutive slices of ``size`` texts."""
    for start in range(0, len(texts), size):
        yield texts[start : start + size]


ScoreFn = Callable[[Sequence[str]], list[dict[str, Any]]]
