"""Parallel NER gives exactly the entities one process gives, in the same order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summcheck.consistency import ner_pool
from summcheck.consistency.ner_pool import ParallelNER, entities_of

pytest.importorskip("spacy")

TEXTS = [f"Kim Jong Un met Donald Trump in Singapore on day {i}. The United Nations "
         f"and the European Union in Brussels said Angela Merkel agreed." for i in range(60)]


@pytest.fixture(scope="module")
def nlp():
    from summcheck.consistency.entities import load_pipeline

    return load_pipeline("en_core_web_sm")


def test_parallel_equals_inline(nlp, monkeypatch):
    monkeypatch.setattr(ner_pool, "_PIECE_CHARS", 500)
    parallel = ParallelNER(nlp, processes=2, batch_size=8)
    try:
        got = parallel(iter(TEXTS))     # any iterable: a generator still preparing texts
        assert parallel._pool is not None, "the batch must have used a worker"
    finally:
        parallel.close()
    assert got == entities_of(nlp, TEXTS, 8)
    assert any(label == "PERSON" for ents in got for _, _, label in ents)


def test_pieces_no_worker_started_run_here(nlp, monkeypatch):
    """Work sharing: a piece still queued when this process is done is cancelled and run
    here, so nothing waits on a slow or busy worker."""
    monkeypatch.setattr(ner_pool, "_PIECE_CHARS", 500)
    parallel = ParallelNER(nlp, processes=2, batch_size=8)
    ran_here = []
    real = ner_pool.entities_of
    monkeypatch.setattr(ner_pool, "entities_of",
                        lambda *a: ran_here.append(len(a[1])) or real(*a))
    try:
        got = parallel(TEXTS)
    finally:
        parallel.close()
    assert got == real(nlp, TEXTS, 8)
    assert len(ran_here) > 1, "besides its partial last piece, this process took queued ones"


def _die(slot, texts, batch_size):
    os._exit(1)


def test_a_dead_worker_is_replaced_by_this_process(nlp, monkeypatch):
    monkeypatch.setattr(ner_pool, "_PIECE_CHARS", 500)
    monkeypatch.setattr(ner_pool, "_work", _die)    # forked workers inherit it
    # this process leaves every piece to the worker, so it must see the worker die
    monkeypatch.setattr(ner_pool._Claims, "claim", lambda self, slot: False)
    parallel = ParallelNER(nlp, processes=2, batch_size=8)
    try:
        got = parallel(TEXTS)
    finally:
        parallel.close()
    assert got == entities_of(nlp, TEXTS, 8)
    assert parallel.processes == 1 and parallel._pool is None


def test_small_batches_stay_in_this_process(nlp):
    class NoPool(ParallelNER):
        def _pool_or_new(self):
            raise AssertionError("no worker for a small batch")

    assert NoPool(nlp, processes=4, batch_size=8)(["Paris is in France."])[0]
    assert NoPool(nlp, processes=4, batch_size=8)([]) == []


def test_workers_die_with_a_killed_parent(tmp_path):
    """SIGKILL of the run must not leave forked NER workers behind."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import time\n"
        "from summcheck.consistency import ner_pool\n"
        "from summcheck.consistency.entities import load_pipeline\n"
        "ner_pool._PIECE_CHARS = 10\n"
        "ner = ner_pool.ParallelNER(load_pipeline('en_core_web_sm'), processes=2, batch_size=4)\n"
        "ner(['Paris is in France.'] * 8)\n"
        "print(*ner._pool._processes, flush=True)\n"
        "time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert workers
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 20
    while time.time() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:   # a zombie (dead, not yet reaped by init) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_started_pieces_are_collected_in_order_whoever_ran_them(nlp, monkeypatch):
    """`start` offers every piece, the last partial one too, and leaves this process
    free; `finish` gives the same entities as one inline pass, however the pieces were
    shared out."""
    monkeypatch.setattr(ner_pool, "_PIECE_CHARS", 500)
    parallel = ParallelNER(nlp, processes=2, batch_size=8)
    try:
        pending = parallel.start(iter(TEXTS[:13]))
        assert pending and all(piece.future is not None for piece in pending)
        got = parallel.finish(pending)
    finally:
        parallel.close()
    assert got == entities_of(nlp, TEXTS[:13], 8)
    one = ParallelNER(nlp, processes=1, batch_size=8)
    pending = one.start(TEXTS[:13])
    assert [piece.future for piece in pending] == [None], "one process: nothing offered"
    assert one.finish(pending) == got


def test_a_text_longer_than_spacys_limit_is_read_in_windows(nlp, monkeypatch):
    """spaCy refuses a text over `max_length` (1,000,000 characters) with an error, which
    stopped the run with a traceback: it is read in windows cut at line breaks, with the
    same entities at the same offsets as when read whole."""
    story = "\n".join(TEXTS[:12])
    whole = entities_of(nlp, [story, "Angela Merkel spoke."], 8)
    monkeypatch.setattr(nlp, "max_length", 400)
    with pytest.raises(ValueError, match="E088"):
        list(nlp.pipe([story]))                 # what spaCy itself does
    assert entities_of(nlp, [story, "Angela Merkel spoke."], 8) == whole
    assert all(story[s:e] for s, e, _ in whole[0]) and len(whole[0]) > 12


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="ab \n", max_size=300), limit=st.integers(2, 40))
def test_windows_cover_the_text_in_order_each_within_the_limit(text, limit):
    windows = list(ner_pool.text_windows(text, limit))
    assert "".join(w for _, w in windows) == text
    assert all(len(w) <= limit for _, w in windows)
    assert [s for s, _ in windows] == [sum(len(w) for _, w in windows[:i])
                                       for i in range(len(windows))]


def _sleep_then(value):
    import time

    time.sleep(0.2)
    return value


def test_a_pool_stopped_from_the_main_thread_leaves_no_manager_thread_running():
    """A pool's manager thread still ending when the interpreter exits races with its
    exit in CPython 3.11 and printed "Exception ignored ... Bad file descriptor" after a
    finished run; stopped from the main thread, the pool is fully down on return."""
    import threading

    class Owner:
        pass

    owner = Owner()
    pool = ner_pool.fork_pool(owner, 1, None, ())
    busy = pool.submit(_sleep_then, 1)
    pool.submit(_sleep_then, 2)          # queued: cancelled
    ner_pool.stop_pool(pool)
    managers = [t for t in threading.enumerate() if "ExecutorManager" in type(t).__name__]
    assert managers == [] and busy.done()
