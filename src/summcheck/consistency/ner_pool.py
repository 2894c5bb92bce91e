"""Named-entity recognition over many texts on every core this process may use.

NER is most of the consistency checks' time, and spaCy runs one core. A big batch is cut
into contiguous parts of about equal length; forked worker processes, which inherit the
already loaded pipeline (fork copies it: no second model load), take all parts but the
first, which runs here meanwhile. Written here because spaCy's own `n_process` starts
new processes and pickles the pipeline on every `pipe` call, which costs more than it
saves on the few hundred texts of one scoring step.

Fork, not spawn: the workers only run spaCy (numpy/blis), never torch, so a parent that
imported torch is safe to fork. Where fork is unavailable (not Linux), or a worker dies,
everything runs here, one core, with the same results.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import weakref
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Sequence

Ents = list[tuple[int, int, str]]   # (start char, end char, label) per entity

_MIN_CHARS_PER_PART = 20_000   # below this, a worker costs more than it saves
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


def split_by_length(texts: Sequence[str], parts: int) -> list[list[str]]:
    """Contiguous slices of about equal total length (order kept when joined)."""
    total = sum(len(t) for t in texts) or 1
    out: list[list[str]] = [[]]
    done = 0
    for text in texts:
        if done >= total * len(out) / parts and len(out) < parts:
            out.append([])
        out[-1].append(text)
        done += len(text)
    return [p for p in out if p]


class ParallelNER:
    """`ner(texts)` -> entities per text, in order, on up to `processes` cores."""

    def __init__(self, nlp, *, processes: int, batch_size: int):
        self.nlp, self.batch_size = nlp, batch_size
        can_fork = sys.platform.startswith("linux")
        self.processes = processes if can_fork else 1
        self._pool: ProcessPoolExecutor | None = None

    def __call__(self, texts: Sequence[str]) -> list[Ents]:
        chars = sum(len(t) for t in texts)
        parts = min(self.processes, chars // _MIN_CHARS_PER_PART)
        if parts < 2:
            return entities_of(self.nlp, texts, self.batch_size)
        pieces = split_by_length(texts, parts)
        try:
            pool = self._pool_or_new()
            futures = [pool.submit(_work, piece, self.batch_size) for piece in pieces[1:]]
            here = entities_of(self.nlp, pieces[0], self.batch_size)
            return here + [ents for f in futures for ents in f.result()]
        except (BrokenProcessPool, OSError):
            self.close()
            self.processes = 1      # a worker died: go on in this process
            return entities_of(self.nlp, texts, self.batch_size)

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
