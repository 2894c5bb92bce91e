"""Named-entity recognition over many texts on every core this process may use.

NER is most of the consistency checks' time, and spaCy runs one core. Texts are taken as
they come (an iterable: the caller may still be preparing the next ones) and cut into
pieces of about `_PIECE_CHARS` characters; each full piece goes to forked worker
processes, which inherit the already loaded pipeline (fork copies it: no second model
load). At the end this process runs the last, partial piece, then every piece no worker
has started yet (from the back: workers take them from the front), so the work is shared
out however fast each process turns out to be. `start` and `finish` split that in two,
so that this process can do other work in between (the other checks: `Check.start_many`);
`start` then offers the last piece too. Who runs a piece is settled by a claim
flag in shared memory (`_Claims`), not by cancelling futures: the executor hands a
worker its next pieces before it starts them, and those can no longer be cancelled, so
this process would wait for them idle.

Written here because spaCy's own `n_process` starts new processes and pickles the
pipeline on every `pipe` call, which costs more than it saves on the few hundred texts of
one scoring step.

Fork, not spawn: the workers only run spaCy (numpy/blis), never torch, so a parent that
imported torch is safe to fork. Where fork is unavailable (not Linux), or a worker dies,
the work runs here, one core, with the same results.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import weakref
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Iterable, Sequence

Ents = list[tuple[int, int, str]]   # (start char, end char, label) per entity

# Texts per piece, in characters: small enough that the last pieces a worker is still
# running when this process has nothing left are short, big enough to batch spaCy well.
_PIECE_CHARS = 6_000
_CLAIM_SLOTS = 1 << 16          # claim flags, reused round-robin by piece number
_worker_nlp = None              # the pipeline inside a forked worker
_worker_claims = None           # the parent's `_Claims`, inherited through fork


def default_processes() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:     # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def entities_of(nlp, texts: Sequence[str], batch_size: int) -> list[Ents]:
    """Entities per text. A text longer than the pipeline's `max_length` (spaCy refuses
    one over 1,000,000 characters with an error) is read in windows cut at a line break,
    else a space, its entities' offsets moved back into the whole text."""
    if all(len(text) <= nlp.max_length for text in texts):
        return [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
                for doc in nlp.pipe(texts, batch_size=batch_size)]
    owners, windows = [], []
    for i, text in enumerate(texts):
        for start, window in text_windows(text, nlp.max_length):
            owners.append((i, start))
            windows.append(window)
    found: list[Ents] = [[] for _ in texts]
    for (i, start), doc in zip(owners, nlp.pipe(windows, batch_size=batch_size)):
        found[i] += [(e.start_char + start, e.end_char + start, e.label_) for e in doc.ents]
    return found


def text_windows(text: str, limit: int) -> Iterable[tuple[int, str]]:
    """(start, window) pieces of `text` of at most `limit` characters each, in order and
    together the whole text, cut at the last line break of a window's second half, else
    its last space, else at `limit`: how a text longer than a spaCy pipeline's
    `max_length` is read (the entity check's NER, the relations check's parse)."""
    start = 0
    while len(text) - start > limit:
        end, half = start + limit, start + limit // 2
        cut = text.rfind("\n", half, end)
        cut = cut if cut > 0 else text.rfind(" ", half, end)
        cut = cut if cut > 0 else end
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


class _Claims:
    """Whoever claims a piece first, this process or a worker, runs it. Made before the
    workers fork, so they share its memory and lock."""

    def __init__(self, context):
        self._flags = context.RawArray("b", _CLAIM_SLOTS)
        self._lock = context.Lock()
        self._count = 0

    def new_piece(self) -> int:
        slot = self._count % _CLAIM_SLOTS    # last used 65,536 pieces ago: long finished
        self._count += 1
        self._flags[slot] = 0
        return slot

    def claim(self, slot: int) -> bool:
        # a timeout, not a hang, should a worker die holding the lock: the parent then
        # waits for that piece's future, which reports the broken pool
        if not self._lock.acquire(timeout=1.0):
            return False
        try:
            free = not self._flags[slot]
            self._flags[slot] = 1
            return free
        finally:
            self._lock.release()


def _init_worker(nlp, parent: int, claims: _Claims) -> None:
    global _worker_nlp, _worker_claims
    _worker_nlp, _worker_claims = nlp, claims
    _exit_with_parent(parent)


def fork_pool(owner, workers: int, initializer, initargs: tuple) -> ProcessPoolExecutor:
    """A pool of `workers` forked processes, shut down when `owner` is collected."""
    pool = ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("fork"),
                               initializer=initializer, initargs=initargs)
    weakref.finalize(owner, stop_pool, pool)
    return pool


def stop_pool(pool: ProcessPoolExecutor | None) -> None:
    """Stop a fork pool: queued work is cancelled, a piece a worker is running is left to
    finish unread. From the main thread it waits for the pool's manager thread to end (a
    piece's time at most): one still ending when the interpreter exits races with it in
    CPython 3.11 (python/cpython gh-125451), which printed "Exception ignored ... Bad
    file descriptor" after a finished `summcheck run`. From another thread (a finalizer
    run by a collection there, maybe the manager thread itself) it does not wait."""
    if pool is not None:
        pool.shutdown(wait=threading.current_thread() is threading.main_thread(),
                      cancel_futures=True)


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


def _work(slot: int, texts: list[str], batch_size: int) -> list[Ents] | None:
    """The piece's entities, or None when the parent claimed it first."""
    if not _worker_claims.claim(slot):
        return None
    return entities_of(_worker_nlp, texts, batch_size)


@dataclass
class _Piece:
    texts: list[str]
    slot: int = -1                  # its claim flag, when a worker may take it
    future: Future | None = None


class ParallelNER:
    """`ner(texts)` -> entities per text, in order, on up to `processes` cores."""

    def __init__(self, nlp, *, processes: int, batch_size: int):
        self.nlp, self.batch_size = nlp, batch_size
        can_fork = sys.platform.startswith("linux")
        self.processes = processes if can_fork else 1
        self._pool: ProcessPoolExecutor | None = None
        self._claims: _Claims | None = None

    def __call__(self, texts: Iterable[str]) -> list[Ents]:
        return self.finish(self.start(texts, offer_last=False))

    def start(self, texts: Iterable[str], *, offer_last: bool = True) -> list[_Piece]:
        """Offer the texts to the workers piece by piece as they come; `finish` collects
        the entities. In between this process is free for other work, which the workers'
        NER then overlaps. `offer_last`: offer the last, partial piece too (else `finish`
        runs it here)."""
        pieces: list[_Piece] = []
        piece, chars = [], 0
        for text in texts:
            piece.append(text)
            chars += len(text)
            if chars >= _PIECE_CHARS and self.processes > 1:
                pieces.append(self._submit(piece))
                piece, chars = [], 0
        if piece:
            pieces.append(self._submit(piece) if offer_last and self.processes > 1
                          else _Piece(piece))
        return pieces

    def finish(self, pieces: list[_Piece]) -> list[Ents]:
        """Entities per text of `start`'s texts, in order: this process runs every piece
        no worker has started, from the back, and waits for the rest."""
        return [ents for found in self._gather(pieces) for ents in found]

    def _submit(self, texts: list[str]) -> _Piece:
        """The piece, offered to the workers (run here when no worker can start)."""
        try:
            pool = self._pool_or_new()
            slot = self._claims.new_piece()
            return _Piece(texts, slot, pool.submit(_work, slot, texts, self.batch_size))
        except (BrokenProcessPool, OSError, RuntimeError):
            self._give_up_workers()
            return _Piece(texts)

    def _gather(self, pieces: list[_Piece]) -> list[list[Ents]]:
        found: list[list[Ents] | None] = [None] * len(pieces)
        for i in reversed(range(len(pieces))):
            piece = pieces[i]
            if piece.future is None or self._claims.claim(piece.slot):
                found[i] = self._here(piece.texts)
        for i, piece in enumerate(pieces):
            if found[i] is None:
                try:
                    found[i] = piece.future.result()
                except (BrokenProcessPool, CancelledError, OSError):
                    self._give_up_workers()     # a worker died: go on in this process
                if found[i] is None:
                    found[i] = self._here(piece.texts)
        return found

    def _here(self, texts: list[str]) -> list[Ents]:
        return entities_of(self.nlp, texts, self.batch_size) if texts else []

    def _give_up_workers(self) -> None:
        self.close()
        self.processes = 1

    def _pool_or_new(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._claims = _Claims(multiprocessing.get_context("fork"))
            self._pool = fork_pool(self, self.processes - 1, _init_worker,
                                   (self.nlp, os.getpid(), self._claims))
        return self._pool

    def close(self) -> None:
        stop_pool(self._pool)
        self._pool = None
