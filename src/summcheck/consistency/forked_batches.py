"""A check's batches scored in a forked worker process while this process runs the
other checks (`Check.start_many`).

The entity check keeps this process busy (truecasing, matching, its share of NER) while
its NER runs on the other cores; a check with no such split, like the support check,
can run whole beside it instead. `start(items)` hands the batch to one forked worker,
`take(items)` returns its results. The worker is a copy of this process from the first
batch on (fork: the loaded models come with it, nothing is pickled but the items and
the results) and keeps its own per-story caches from batch to batch, so a story met again
is indexed once, as it would be here.

Where fork is unavailable, or the worker dies, `take` returns None and the caller scores
the batch here, with the same results.
"""

from __future__ import annotations

import os
import sys
import weakref
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Sequence

from .base import CheckResult, Item
from .ner_pool import _exit_with_parent, fork_pool, stop_pool

_worker_score: Callable | None = None     # the batch scorer inside the forked worker


def _init_worker(score: weakref.WeakMethod, parent: int) -> None:
    global _worker_score
    _worker_score = score()     # alive: the fork copied the owner with this process
    _exit_with_parent(parent)
    # the worker may tokenize (HF tokenizers): set, this keeps tokenizers' "process just
    # got forked" warning off stderr; it only ever runs one thread here anyway
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


def _score(items: list[Item]) -> list[CheckResult]:
    assert _worker_score is not None
    return _worker_score(items)


class ForkedBatches:
    """`start(items)`, then `take(items)`: `score(items)` run in one forked worker."""

    def __init__(self, score: Callable[[list[Item]], list[CheckResult]]):
        """`score`: the owner's in-process batch scorer (a bound method; the worker runs
        its own copy). The owner is held weakly, so that dropping it shuts the worker
        down at once (no cycle to wait for the garbage collector). `enabled` turns False
        where fork is unavailable and once a worker died."""
        self._owner_score = weakref.WeakMethod(score)
        self.enabled = sys.platform.startswith("linux")
        self._pool: ProcessPoolExecutor | None = None
        self._pending: tuple[list[Item], Future] | None = None

    def start(self, items: Sequence[Item]) -> bool:
        """Hand the batch to the worker; False when there is none to hand it to."""
        self.drop()
        if not self.enabled:
            return False
        try:
            if self._pool is None:
                self._pool = fork_pool(self, 1, _init_worker, (self._owner_score, os.getpid()))
            items = list(items)
            self._pending = (items, self._pool.submit(_score, items))
            return True
        except (BrokenProcessPool, OSError, RuntimeError):
            self._give_up_worker()
            return False

    def take(self, items: Sequence[Item]) -> list[CheckResult] | None:
        """The worker's results for `items`, if `start` was given these items and the
        worker lived; else None (the caller scores here). An exception the scorer raised
        is raised here, as it would have been in this process."""
        pending, self._pending = self._pending, None
        if pending is None:
            return None
        started, future = pending
        if started != list(items):
            future.cancel()
            return None
        try:
            return future.result()
        except (BrokenProcessPool, CancelledError, OSError):
            self._give_up_worker()
            return None

    def drop(self) -> None:
        """Forget a started batch nobody took (the worker finishes it unread)."""
        if self._pending is not None:
            self._pending[1].cancel()
            self._pending = None

    def _give_up_worker(self) -> None:
        stop_pool(self._pool)
        self._pool = None
        self.enabled = False
