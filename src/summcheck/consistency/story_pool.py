"""Many new stories' support indexes (sentences, content stems) built on every core.

A new story's index is mostly sentence splitting: pure Python, one core, milliseconds a
story, while the other cores wait. When a batch brings many new stories, this process
builds the indexes of one share of them and forked workers build the others (fork: they
inherit the loaded modules; they only split and stem, never run torch), which come back
pickled. Where fork is unavailable or a worker dies, every index is built here, with the
same result. The workers stay for the check's next batches and end with it (or, through
`ner_pool._exit_with_parent`, with this process).
"""

from __future__ import annotations

import math
import os
import sys
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Sequence

from .ner_pool import _exit_with_parent, fork_pool, stop_pool

MIN_STORIES = 16        # fewer new stories: not worth the round trip to the workers


def _build_all(build: Callable, sources: Sequence[str]) -> list:
    return [build(source) for source in sources]


class StoryPool:
    """`pool(sources)` -> `build(source)` for each source, in order, on up to
    `processes` cores (this process included)."""

    def __init__(self, build: Callable, processes: int):
        self.build = build
        self.processes = processes if sys.platform.startswith("linux") else 1
        self._pool: ProcessPoolExecutor | None = None

    def __call__(self, sources: Sequence[str]) -> list:
        sources = list(sources)
        if self.processes < 2 or len(sources) < MIN_STORIES:
            return _build_all(self.build, sources)
        size = math.ceil(len(sources) / self.processes)
        shares = [sources[i:i + size] for i in range(0, len(sources), size)]
        try:
            pool = self._pool_or_new()
            futures = [pool.submit(_build_all, self.build, share) for share in shares[1:]]
        except (BrokenProcessPool, OSError, RuntimeError):
            self._give_up_workers()
            return _build_all(self.build, sources)
        built = _build_all(self.build, shares[0])
        for future, share in zip(futures, shares[1:]):
            try:
                built += future.result()
            except (BrokenProcessPool, CancelledError, OSError):
                self._give_up_workers()     # a worker died: build its share here
                built += _build_all(self.build, share)
        return built

    def _pool_or_new(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = fork_pool(self, self.processes - 1, _exit_with_parent, (os.getpid(),))
        return self._pool

    def _give_up_workers(self) -> None:
        stop_pool(self._pool)
        self._pool = None
        self.processes = 1
