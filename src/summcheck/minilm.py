"""A BERT encoder in numpy: all-MiniLM-L6-v2 (or any BERT folder) without torch.

The `embedding` extra's model is a plain BERT (6 layers, 384 wide, 12 heads for MiniLM).
Its forward pass is a few matrix products per layer, which numpy's BLAS runs as well as
torch does on a CPU (benchmarks/results/encoder_speed.md), so a user scoring precomputed
summaries in CI needs neither torch nor transformers: only `tokenizers` (the folder's
tokenizer.json, the same Rust tokenizer transformers' fast tokenizer wraps) and
`safetensors` (model.safetensors read into numpy arrays).

The maths is BertModel's, in float32: word + position + token-type embeddings and
LayerNorm; then per layer self-attention (softmax over the unmasked keys), output dense,
residual + LayerNorm, erf GELU feed-forward, residual + LayerNorm. Batches are texts
of similar token length, padded on the right; a padded key gets an additive -1e30 before
the softmax, so its weight is exactly 0 and a real token's vector does not see the padding.
tests/test_minilm.py checks every layer against transformers' BertModel on the same folder.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

# Bumped whenever the arithmetic below changes, so cached scores keyed on it are not reused.
FORWARD_VERSION = 1
_MASKED = np.float32(-1e30)  # added to a padded key's attention score: exp() gives 0
THREADS_ENV = "SUMMCHECK_ENCODER_THREADS"
_TOKEN_BUDGET = 512  # padded tokens per batch at most (one long text may exceed it alone)
_FF_ROWS = 128  # token rows per feed-forward step: 128 x 1536 floats, under 1 MB (MiniLM)


@dataclass(frozen=True)
class _Layer:
    """One transformer block's weights, matrices stored (in, out) for `x @ w`."""

    qkv: np.ndarray        # (hidden, 3 * hidden): query, key and value side by side
    qkv_bias: np.ndarray
    attn_out: np.ndarray
    attn_out_bias: np.ndarray
    attn_norm: tuple[np.ndarray, np.ndarray]
    ff_in: np.ndarray
    ff_in_bias: np.ndarray
    ff_out: np.ndarray
    ff_out_bias: np.ndarray
    ff_norm: tuple[np.ndarray, np.ndarray]


class BertEncoder:
    """Token and sentence vectors of a BERT model folder (config.json, model.safetensors,
    tokenizer.json), computed in numpy float32."""

    def __init__(self, folder: str | Path, *, max_tokens: int = 256):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        for name in ("config.json", "model.safetensors", "tokenizer.json"):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"no {name} in the encoder folder {folder}")
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        _check_config(config, folder)
        self.hidden_size = int(config["hidden_size"])
        self.num_layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = np.float32(config.get("layer_norm_eps", 1e-12))
        # a text longer than the position table would crash BertModel; truncate it instead
        self.max_tokens = min(max_tokens, int(config["max_position_embeddings"]))
        weights = load_file(str(folder / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
        self._load_weights({k[len(prefix):]: v for k, v in weights.items()
                            if k.startswith(prefix)})
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()   # we pad per batch; tokenizer.json may fix 128
        self.tokenizer.enable_truncation(max_length=self.max_tokens)

    def _load_weights(self, w: dict[str, np.ndarray]) -> None:
        def f32(name: str) -> np.ndarray:
            return np.ascontiguousarray(w[name], dtype=np.float32)

        def dense(name: str) -> tuple[np.ndarray, np.ndarray]:
            return np.ascontiguousarray(f32(f"{name}.weight").T), f32(f"{name}.bias")

        def norm(name: str) -> tuple[np.ndarray, np.ndarray]:
            return f32(f"{name}.weight"), f32(f"{name}.bias")

        self.word = f32("embeddings.word_embeddings.weight")
        self.position = f32("embeddings.position_embeddings.weight")
        self.token_type0 = f32("embeddings.token_type_embeddings.weight")[0]
        self.embed_norm = norm("embeddings.LayerNorm")
        self.layers = []
        for i in range(self.num_layers):
            p = f"encoder.layer.{i}."
            parts = [dense(p + f"attention.self.{n}") for n in ("query", "key", "value")]
            self.layers.append(_Layer(
                np.ascontiguousarray(np.concatenate([m for m, _ in parts], axis=1)),
                np.concatenate([b for _, b in parts]),
                *dense(p + "attention.output.dense"), norm(p + "attention.output.LayerNorm"),
                *dense(p + "intermediate.dense"), *dense(p + "output.dense"),
                norm(p + "output.LayerNorm")))

    # ------------------------------------------------------------------ public API
    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids with [CLS] and [SEP], truncated to `max_tokens` as transformers'
        tokenizer(..., truncation=True, max_length=max_tokens) does."""
        return [e.ids for e in self.tokenizer.encode_batch(list(texts))]

    def sentence_vectors(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Mean of the last layer's token vectors over the real tokens ([CLS] and [SEP]
        included, as sentence-transformers pools), L2-normalised; (len(texts), hidden)."""
        def pool(states: list[np.ndarray], mask: np.ndarray) -> np.ndarray:
            summed = np.einsum("blh,bl->bh", states[0], mask)
            pooled = summed / np.maximum(mask.sum(1, keepdims=True), np.float32(1e-9))
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            return pooled / np.maximum(norms, np.float32(1e-12))

        out = self._map(texts, batch_size, (-1,), pool)
        return np.stack(out) if out else np.zeros((0, self.hidden_size), np.float32)

    def token_vectors(self, texts: Sequence[str], *, layer: int = -1,
                      batch_size: int = 32) -> list[np.ndarray]:
        """Each text's token vectors at `layer` (0: the embeddings, i: after block i, -1: the
        last), [CLS] first and [SEP] last, not normalised; one (tokens, hidden) array each."""
        return self._map(texts, batch_size, (layer,),
                         lambda states, mask: _unpad(states[0], mask))

    def hidden_states(self, texts: Sequence[str], *, batch_size: int = 32
                      ) -> list[np.ndarray]:
        """Every layer's token vectors (the embeddings first), for layer sweeps: one
        (num_layers + 1, tokens, hidden) array per text."""
        layers = tuple(range(self.num_layers + 1))
        return self._map(texts, batch_size, layers,
                         lambda states, mask: _unpad(np.stack(states, axis=1), mask))

    # ------------------------------------------------------------------ batching
    def _map(self, texts: Sequence[str], batch_size: int, layers: tuple[int, ...],
             reduce: Callable[[list[np.ndarray], np.ndarray], Sequence[np.ndarray]]
             ) -> list[np.ndarray]:
        """`reduce(states at layers, mask)` of every batch, one result per text in input
        order. Batches hold texts of similar token length (sorting keeps the padding
        small) and run on `threads()` worker threads, each with single-threaded BLAS."""
        ids = self.tokenize(texts)
        chunks = _chunks([len(row) for row in ids], batch_size, _TOKEN_BUDGET)

        def run(rows: list[int]) -> Sequence[np.ndarray]:
            batch, mask = _pad([ids[i] for i in rows])
            return reduce(self.forward(batch, mask, layers), mask)

        out: list[np.ndarray] = [np.empty(0)] * len(texts)
        for rows, results in zip(chunks, _parallel_map(run, chunks)):
            for i, result in zip(rows, results):
                out[i] = result
        return out

    def forward(self, ids: np.ndarray, mask: np.ndarray, layers: tuple[int, ...] = (-1,)
                ) -> list[np.ndarray]:
        """Hidden states (batch, tokens, hidden) at each of `layers` for padded `ids`
        (batch, tokens) with `mask` 1 on real tokens, 0 on padding."""
        wanted = [i % (self.num_layers + 1) for i in layers]
        x = self.word[ids] + self.position[:ids.shape[1]] + self.token_type0
        x = self._norm(x, self.embed_norm)
        states = {0: x} if 0 in wanted else {}
        bias = ((1 - mask) * _MASKED)[:, None, None, :]     # (batch, 1, 1, keys)
        for i, layer in enumerate(self.layers[:max(wanted)], start=1):
            x = self._block(x, bias, layer)
            if i in wanted:
                states[i] = x
        return [states[i] for i in wanted]

    def _block(self, x: np.ndarray, bias: np.ndarray, w: _Layer) -> np.ndarray:
        batch, tokens, hidden = x.shape
        heads, width = self.heads, hidden // self.heads
        flat = x.reshape(-1, hidden)
        qkv = (flat @ w.qkv + w.qkv_bias).reshape(batch, tokens, 3, heads, width)
        # (3, batch, heads, tokens, width), copied once so the stacked matmuls run in BLAS
        q, k, v = np.ascontiguousarray(qkv.transpose(2, 0, 3, 1, 4))
        scores = (q @ k.transpose(0, 1, 3, 2)) * np.float32(1 / np.sqrt(width)) + bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(-1, hidden)
        flat = self._norm(flat + (context @ w.attn_out + w.attn_out_bias), w.attn_norm)
        out = np.empty_like(flat)
        for start in range(0, len(flat), _FF_ROWS):  # the 4x wider inner layer stays in cache
            rows = flat[start:start + _FF_ROWS]
            inner = _gelu(rows @ w.ff_in + w.ff_in_bias)
            out[start:start + _FF_ROWS] = self._norm(rows + (inner @ w.ff_out + w.ff_out_bias),
                                                     w.ff_norm)
        return out.reshape(batch, tokens, hidden)

    def _norm(self, x: np.ndarray, weights: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        centred = x - x.mean(axis=-1, keepdims=True)
        var = np.mean(np.square(centred), axis=-1, keepdims=True)
        return centred / np.sqrt(var + self.eps) * weights[0] + weights[1]


def _chunks(lengths: list[int], batch_size: int, budget: int) -> list[list[int]]:
    """Indices in batches of texts of one token length (so no padding): sorted by length,
    at most `batch_size` texts and, past the first text, at most `budget` tokens per batch.
    Padding moved a vector's last bits, so a text's vector depended on its batch
    neighbours: cold, cached and resumed runs differed, and near-ties in the embedding
    summarizer could flip. Without padding each text's vector is the same to the bit in
    any batch (tests/test_minilm.py; benchmarks/results/encoder_speed.md, 2026-12-05 19:49
    section: 0 of 300 news sentences' vectors differ from the sentence encoded alone,
    against 88 with padded batches, at no measurable cost in speed). Small batches keep a
    layer's activations in the CPU cache (its 2026-12-03 20:47 section, numpy-nocap)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    chunks: list[list[int]] = []
    for i in order:
        last = chunks[-1] if chunks else None
        if (last and len(last) < batch_size and lengths[last[0]] == lengths[i]
                and (len(last) + 1) * lengths[i] <= budget):
            last.append(i)
        else:
            chunks.append([i])
    return chunks


def _pad(ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-padded ids (batch, longest) and the float32 mask of the real tokens."""
    width = max(len(row) for row in ids)
    batch = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.float32)
    for b, row in enumerate(ids):
        batch[b, :len(row)] = row
        mask[b, :len(row)] = 1
    return batch, mask


def _unpad(states: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
    """Each row of `states` (batch, [layers,] tokens, hidden) cut to its real tokens."""
    return [row[..., :n, :].copy() for row, n in zip(states, mask.sum(1).astype(int))]


def threads() -> int:
    """Worker threads for the batches: $SUMMCHECK_ENCODER_THREADS, else the CPUs this
    process may use. Without threadpoolctl BLAS cannot be held to one thread per worker,
    so the batches run one after another (on BLAS's own threads) instead."""
    if _blas_controller() is None:
        return 1
    wanted = os.environ.get(THREADS_ENV)
    if wanted:
        return max(1, int(wanted))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def _parallel_map(fn: Callable, items: list) -> Iterator:
    """map(fn, items) in order: on worker threads with single-threaded BLAS when there
    are several items and threads; numpy's matrix products and ufuncs release the GIL.
    One BLAS thread per batch also beats BLAS's own threads on these small matrices, and
    degrades gracefully when other processes load the cores (BLAS threads spin-wait)."""
    workers = min(threads(), len(items))
    if _blas_controller() is None:
        return map(fn, items)
    with one_blas_thread():
        if workers <= 1:
            return iter([fn(item) for item in items])
        with ThreadPoolExecutor(workers, thread_name_prefix="minilm") as pool:
            return iter(list(pool.map(fn, items)))


def one_blas_thread():
    """A context holding BLAS to one thread (nothing without threadpoolctl), for code
    that multiplies small matrices: BLAS's own threads cost more than they give there."""
    controller = _blas_controller()
    return nullcontext() if controller is None else controller.limit(limits=1, user_api="blas")


@lru_cache(maxsize=1)
def _blas_controller():
    """threadpoolctl's controller of the loaded BLAS (None without threadpoolctl)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's GELU with the error function, x * (1 + erf(x / sqrt 2)) / 2 (not the tanh
    approximation). erf is Abramowitz and Stegun's formula 7.1.26 (error under 1.5e-7,
    below float32's resolution next to 1): a few numpy ufuncs, faster than
    scipy.special.erf and within float32 rounding of the exact GELU (tests/test_minilm.py
    compares it with float64)."""
    z = np.abs(x) * np.float32(1 / np.sqrt(2))
    t = np.float32(1) / (np.float32(0.3275911) * z + np.float32(1))
    poly = t * (_AS[0] + t * (_AS[1] + t * (_AS[2] + t * (_AS[3] + t * _AS[4]))))
    np.negative(np.square(z, out=z), out=z)
    erf_abs = np.float32(1) - poly * np.exp(z, out=z)
    half = np.float32(0.5) * x
    return half + np.copysign(erf_abs, x) * half


# Abramowitz and Stegun 7.1.26: erf(z) = 1 - (a1 t + ... + a5 t^5) exp(-z^2), t = 1/(1+pz)
_AS = tuple(np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027,
                                    1.061405429))


def _check_config(config: dict, folder: Path) -> None:
    """Refuse what this forward pass does not implement, rather than give wrong vectors."""
    problems = []
    if config.get("model_type", "bert") != "bert":
        problems.append(f"model_type {config.get('model_type')!r} (only 'bert')")
    if config.get("hidden_act", "gelu") != "gelu":
        problems.append(f"hidden_act {config.get('hidden_act')!r} (only 'gelu')")
    if config.get("position_embedding_type", "absolute") != "absolute":
        problems.append("position_embedding_type other than 'absolute'")
    if problems:
        raise ValueError(f"the numpy encoder cannot run {folder}: " + "; ".join(problems))
