"""Parallel NER gives exactly the entities one process gives, in the same order."""

from __future__ import annotations

from pathlib import Path

import pytest

from summcheck.consistency import ner_pool
from summcheck.consistency.ner_pool import ParallelNER, entities_of, split_by_length

pytest.importorskip("spacy")


def test_split_by_length_keeps_order_and_balances():
    texts = ["a" * 10] * 7 + ["b" * 70]
    parts = split_by_length(texts, 2)
    assert [t for p in parts for t in p] == texts
    assert len(parts) == 2
    assert split_by_length(["x"], 4) == [["x"]]
    assert split_by_length([], 2) == []


def test_parallel_equals_inline(monkeypatch):
    from summcheck.consistency.entities import load_pipeline

    nlp = load_pipeline("en_core_web_sm")
    texts = [f"Kim Jong Un met Donald Trump in Singapore on day {i}. The United Nations "
             f"and the European Union in Brussels said Angela Merkel agreed." for i in range(60)]
    monkeypatch.setattr(ner_pool, "_MIN_CHARS_PER_PART", 500)
    parallel = ParallelNER(nlp, processes=2, batch_size=8)
    try:
        got = parallel(texts)
        assert parallel._pool is not None, "the batch must have used a worker"
    finally:
        parallel.close()
    assert got == entities_of(nlp, texts, 8)
    assert any(label == "PERSON" for ents in got for _, _, label in ents)


def test_small_batches_stay_in_this_process():
    class NoPool(ParallelNER):
        def _pool_or_new(self):
            raise AssertionError("no worker for a small batch")

    from summcheck.consistency.entities import load_pipeline

    nlp = load_pipeline("en_core_web_sm")
    assert NoPool(nlp, processes=4, batch_size=8)(["Paris is in France."])[0]


def test_workers_die_with_a_killed_parent(tmp_path):
    """SIGKILL of the run must not leave forked NER workers behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import time\n"
        "from summcheck.consistency import ner_pool\n"
        "from summcheck.consistency.entities import load_pipeline\n"
        "ner_pool._MIN_CHARS_PER_PART = 10\n"
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
