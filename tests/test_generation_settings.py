"""How the transformers summarizers run generation: inference mode, eval mode, torch
threads, and batching that changes speed but not output (tiny models, tiny_models.py)."""

from __future__ import annotations

import os

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from summcheck.config import HFSeq2SeqSpec  # noqa: E402
from summcheck.summarizers import hf_common  # noqa: E402
from summcheck.summarizers.base import build_summarizer  # noqa: E402
from summcheck.types import Example  # noqa: E402

GENERATION = {"max_new_tokens": 10, "min_new_tokens": 4, "do_sample": False}
WORDS = ("Officials said the river rose again and more homes were flooded near the old mill "
         "while police closed the bridge and the mayor asked for help").split()
# Lengths from 3 to 26 words in a shuffled order, so batches of 8 mix long and short.
EXAMPLES = [Example(id=f"ex{i}", story=" ".join(WORDS[: 3 + (i * 7) % 24]) + ".")
            for i in range(12)]


def seq2seq(model_dir, **kw):
    spec = HFSeq2SeqSpec(type="hf-seq2seq", model=str(model_dir), prefix="summarize: ",
                         generation=GENERATION, **kw)
    return build_summarizer(spec, max_bullets=3)


def record_during_forward(summarizer, probe):
    """Load the model and call `probe()` in every forward pass; returns what it saw."""
    summarizer.load()
    seen: list = []
    summarizer._model.register_forward_hook(lambda module, args, output: seen.append(probe()))
    return seen


# ---------------------------------------------------------------- while generating
@pytest.mark.slow
def test_generate_runs_in_inference_and_eval_mode(tiny_t5_dir):
    s = seq2seq(tiny_t5_dir, batch_size=4)
    seen = record_during_forward(
        s, lambda: (torch.is_inference_mode_enabled(), s._model.training))
    s.summarize(EXAMPLES[:5])
    assert seen and all(state == (True, False) for state in seen)
    assert not torch.is_inference_mode_enabled()  # only inside generate


@pytest.mark.slow
def test_thread_setting_applied_during_generate_and_restored(tiny_t5_dir):
    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    s = seq2seq(tiny_t5_dir, threads=wanted)
    seen = record_during_forward(s, torch.get_num_threads)
    s.summarize(EXAMPLES[:2])
    assert seen and set(seen) == {wanted}
    assert torch.get_num_threads() == before


@pytest.mark.slow
def test_batch_size_1_and_8_give_identical_outputs(tiny_t5_dir):
    """Greedy decoding with padding to the longest story in each length-sorted batch."""
    one = seq2seq(tiny_t5_dir, batch_size=1).summarize(EXAMPLES)
    eight = seq2seq(tiny_t5_dir, batch_size=8).summarize(EXAMPLES)
    assert [s.example_id for s in eight] == [ex.id for ex in EXAMPLES]
    assert [s.raw_text for s in eight] == [s.raw_text for s in one]
    assert [s.meta for s in eight] == [s.meta for s in one]
    assert len({s.raw_text for s in one}) > 1  # the outputs depend on the input


# ---------------------------------------------------------------- thread count
def test_threads_default_to_the_cores_this_process_may_use(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    spec = HFSeq2SeqSpec(type="hf-seq2seq", model="org/model")
    assert hf_common.cpu_threads(spec) == len(os.sched_getaffinity(0))


def test_threads_follow_omp_num_threads_then_the_spec(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    spec = HFSeq2SeqSpec(type="hf-seq2seq", model="org/model")
    assert hf_common.cpu_threads(spec) == 3
    assert hf_common.cpu_threads(spec.model_copy(update={"threads": 5})) == 5
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert hf_common.cpu_threads(spec) == len(os.sched_getaffinity(0))


def test_threads_are_not_in_the_fingerprint(tiny_bart_dir):
    for model in ("org/model", tiny_bart_dir):  # hub id, local folder
        base = seq2seq(model).fingerprint()
        assert seq2seq(model, threads=1).fingerprint() == base
        assert seq2seq(model, threads=7).fingerprint() == base


def test_threads_must_be_positive():
    with pytest.raises(ValueError):
        HFSeq2SeqSpec(type="hf-seq2seq", model="org/model", threads=0)
