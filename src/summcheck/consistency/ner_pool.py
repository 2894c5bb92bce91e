"""Named-entity recognition over many texts on every core this process may use.

NER is most of the consistency checks' time, and spaCy runs one core. Texts are taken as
they come (an iterable: the caller may still be preparing the next ones) and cut into
pieces of about `_PIECE_CHARS` characters; each full piece goes to forked worker
processes, which inherit the already loaded pipeline (fork copies it: no second model
load). At the end this process runs the last, partial piece, then every piece no worker
has started yet (it cancels them, from the back: workers take them from the front), so
the work is shared out however fast each process turns out to be. Written here because
spaCy's own `n_process` starts new processes and pickles the pipeline on every `pipe`
call, which costs more than it saves on the few hundred texts of one scoring step.

Fork, not spawn: the workers only run spaCy (numpy/blis), never torch, so a parent that
imported torch is safe to fork. Where fork is unavailable (not Linux), or a worker dies,
the work runs here, one core, with the same results.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import weakref
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Sequence

Ents = list[tuple[int, int, str]]   # (start char, end char, label) per entity

# Texts per piece, in characters: small enough that the last pieces a worker is still
# running when this process has nothing left are short, big enough to batch spaCy well.
_PIECE_CHARS = 6_000
_worker_nlp = None              # the pipeline inside a forked worker


def default_processes() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:     # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def entities_of(nlp, texts: Sequence[str], batch_size: int) -> list[Ents]:
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
            for doc in nlp.pipe(texts, batch_size=batch_size)]


def _init_worker(nlp, parent: int) -> None:
    global _worker_nlp
    _worker_nlp = nlp
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """A forked worker holds both ends of its task pipe, so it never sees the parent die:
    ask Linux to send it SIGKILL then (prctl PR_SET_PDEATHSIG), so a killed run leaves
    no worker behind."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:      # the parent died before the request took effect
        os._exit(1)


def _work(texts: list[str], batch_size: int) -> list[Ents]:
    return entities_of(_worker_nlp, texts, batch_size)


class ParallelNER:
    """`ner(texts)` -> entities per text, in order, on up to `processes` cores."""

    def __init__(self, nlp, *, processes: int, batch_size: int):
        self.nlp, self.batch_size = nlp, batch_size
        can_fork = sys.platform.startswith("linux")
        self.processes = processes if can_fork else 1
        self._pool: ProcessPoolExecutor | None = None

    def __call__(self, texts: Iterable[str]) -> list[Ents]:
        pieces: list[tuple[list[str], Future | None]] = []
        piece, chars = [], 0
        for text in texts:
            piece.append(text)
            chars += len(text)
            if chars >= _PIECE_CHARS and self.processes > 1:
                pieces.append((piece, self._submit(piece)))
                piece, chars = [], 0
        pieces.append((piece, None))
        return [ents for found in self._gather(pieces) for ents in found]

    def _submit(self, texts: list[str]) -> Future | None:
        """The piece as a worker's task, or None (run here) when no worker can start."""
        try:
            return self._pool_or_new().submit(_work, texts, self.batch_size)
        except (BrokenProcessPool, OSError, RuntimeError):
            self._give_up_workers()
            return None

    def _gather(self, pieces: list[tuple[list[str], Future | None]]) -> list[list[Ents]]:
        found: list[list[Ents] | None] = [None] * len(pieces)
        for i in reversed(range(len(pieces))):
            texts, future = pieces[i]
            if future is None or future.cancel():
                found[i] = entities_of(self.nlp, texts, self.batch_size) if texts else []
        for i, (texts, future) in enumerate(pieces):
            if found[i] is None:
                try:
                    found[i] = future.result()
                except (BrokenProcessPool, CancelledError, OSError):
                    self._give_up_workers()     # a worker died: go on in this process
                    found[i] = entities_of(self.nlp, texts, self.batch_size)
        return found

    def _give_up_workers(self) -> None:
        self.close()
        self.processes = 1

    def _pool_or_new(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes - 1, mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker, initargs=(self.nlp, os.getpid()))
            weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
