"""Shared pieces of the transformers summarizers (seq2seq and causal).

torch and transformers are imported lazily, only when a model is loaded, so the core
package (and building a summarizer) stays light.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from ..config import _HFModelBase
from .. import hub
from ..errors import MissingExtraError, SummcheckError
from ..text import BULLETS_VERSION
from ..types import Example, Summary
from ..versions import installed_version
from .base import Summarizer, fingerprint_of

# Bump when pre/post-processing in these modules changes what a summarizer outputs
# (text.split_bullets, which parses their output, has its own BULLETS_VERSION).
# 2: sampling only when the config asks for it (a model's generation_config.json with
#    do_sample: true sampled batches under the key of greedy output).
# 3: a causal model that writes the marker its prompt opened ("- " after "Highlights:\n-")
#    no longer keeps it in its first bullet ("- Three people were hurt.").
# 4: an output the token cap cut off loses its unfinished last bullet or sentence
#    (`without_unfinished_end`; meta `unfinished_end_dropped`).
# 5: after a causal model's bullets, a line ending in ":" or a line of the prompt ends
#    the summary (`hf_causal.cut_after_bullets`; they were glued onto the last bullet).
# 6: that line may end in Markdown emphasis ("**More highlights:**"), as text.is_lead_in
#    reads a lead-in; it was glued onto the last bullet.
CODE_VERSION = 6

_DIGEST_MEMO: dict[tuple, str] = {}   # (path, size, mtime, ctime, inode) -> file sha256


def import_hf() -> tuple[Any, Any]:
    """(torch, transformers), or MissingExtraError with the install hint."""
    try:
        import torch
        import transformers
    except ImportError as err:
        package = "torch" if (err.name or "").startswith("torch") else "transformers"
        raise MissingExtraError(package, "hf") from err
    return torch, transformers


# ---------------------------------------------------------------- locating and loading
def is_local_model(model: str) -> bool:
    """True when `model` names a folder rather than a hub id ("org/name" or "name")."""
    return (
        Path(model).expanduser().exists()
        or model.startswith((".", "/", "~"))
        or "\\" in model
        or model.count("/") > 1
    )


def check_model_exists(model: str) -> None:
    """Fast build-time check: a local model folder must exist and hold a config.json."""
    if not is_local_model(model):
        return
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise SummcheckError(f"cannot load model {model}: no such folder. Fix the `model:` path.")
    if not (folder / "config.json").is_file():
        raise SummcheckError(
            f"cannot load model {model}: the folder has no config.json "
            "(expected a folder written by save_pretrained)."
        )


def model_source(model: str) -> str:
    """What to hand `from_pretrained`: a local folder's path, or the hub id, after asking
    once whether the hub answers (`hub.offline`: no answer in seconds means offline mode,
    so a model missing from the local cache fails at once instead of after retries)."""
    if is_local_model(model):
        return str(Path(model).expanduser())
    hub.offline()
    return model


def _in_hub_cache(spec: _HFModelBase) -> bool:
    """Whether the hub cache holds the model's config (asked without importing torch)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return True   # let transformers say what is missing
    found = try_to_load_from_cache(spec.model, "config.json", revision=spec.revision)
    return isinstance(found, str)


def cannot_load(model: str, err: Exception) -> str:
    if is_local_model(model) or not hub.offline():
        return f"cannot load model {model}: {err}"
    return (f"cannot load model {model}: the Hugging Face hub is not reachable (or "
            "HF_HUB_OFFLINE is set) and the model is not in the local hub cache. Run once "
            "where the hub is reachable, or point `model:` at a local folder.")


def load_model(spec: _HFModelBase, auto_class_name: str) -> tuple[Any, Any]:
    """Load (tokenizer, model) for a spec; `auto_class_name` e.g. "AutoModelForSeq2SeqLM".

    Any failure becomes a SummcheckError naming the model, so the CLI can report it.
    """
    torch, transformers = import_hf()
    check_model_exists(spec.model)
    source = model_source(spec.model)
    dtype = spec.dtype if spec.dtype == "auto" else getattr(torch, spec.dtype)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(source, revision=spec.revision)
        auto_class = getattr(transformers, auto_class_name)
        model = auto_class.from_pretrained(source, revision=spec.revision, dtype=dtype)
        model.to(spec.device)
    except Exception as err:  # noqa: BLE001 - translated into one clear user-facing error
        raise SummcheckError(cannot_load(spec.model, err)) from err
    model.eval()
    return tokenizer, model


def input_limit(spec: _HFModelBase, tokenizer: Any, model: Any) -> int:
    """Max input tokens: spec.max_input_tokens, else the smallest sane limit the model states.

    Tokenizers without a limit report a huge sentinel (1e30), so only values under 1e6
    count; the position-embedding size also bounds it (exceeding it crashes BART-style
    models). Falls back to 512.
    """
    config = model.config
    if hasattr(config, "get_text_config"):
        config = config.get_text_config()
    positions = _sane([getattr(config, "max_position_embeddings", None),
                       getattr(config, "n_positions", None)])
    if spec.max_input_tokens:
        if positions and spec.max_input_tokens > min(positions) and _learned_positions(config):
            raise SummcheckError(
                f"{spec.label}: max_input_tokens {spec.max_input_tokens} is more than the "
                f"{min(positions)} positions the model has (every longer story failed with "
                f"an IndexError). Set max_input_tokens to at most {min(positions)}.")
        return spec.max_input_tokens
    sane = _sane([getattr(tokenizer, "model_max_length", None)]) + positions
    return min(sane) if sane else 512


def _learned_positions(config: Any) -> bool:
    """A table of position embeddings (BART, GPT-2), which an input past its end indexes
    out of range; rotary (Llama, Gemma) and relative (T5) positions run past it."""
    relative = ("rope_theta", "rope_scaling", "rotary_dim", "rotary_pct",
                "relative_attention_num_buckets", "rope_parameters")
    return not any(getattr(config, name, None) is not None for name in relative)


def _sane(values: list) -> list[int]:
    return [int(c) for c in values if isinstance(c, (int, float)) and 0 < c < 1_000_000]


# ---------------------------------------------------------------- running
def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length, longest first.

    Similar lengths waste less padding; longest first makes an out-of-memory error show up
    on the first batch. Callers put results back by index, so output order is unchanged.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def cpu_threads(spec: _HFModelBase) -> int:
    """torch threads for generation: spec.threads, else $OMP_NUM_THREADS when set, else the
    cores this process may run on (its affinity mask, which a container or taskset can
    narrow below os.cpu_count())."""
    if spec.threads:
        return spec.threads
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def generate(spec: _HFModelBase, model: Any, inputs: Any, generation: dict[str, Any], *,
             seed: int) -> Any:
    """model.generate under inference mode with `cpu_threads(spec)` torch threads (the
    process's previous setting is restored afterwards), with torch seeded by `seed` first
    (for sampling)."""
    torch, _ = import_hf()
    torch.manual_seed(seed)
    previous = torch.get_num_threads()
    torch.set_num_threads(cpu_threads(spec))
    try:
        with torch.inference_mode():
            return model.generate(**inputs.to(spec.device), **generation)
    finally:
        torch.set_num_threads(previous)


def truncation_meta(input_tokens: int, limit: int) -> dict[str, Any]:
    meta: dict[str, Any] = {"input_tokens": input_tokens, "truncated": input_tokens > limit}
    if input_tokens > limit:
        meta["truncated_tokens"] = input_tokens - limit
    return meta


# ---------------------------------------------------------------- fingerprint
def hf_fingerprint(
    kind: str, spec: _HFModelBase, settings: dict[str, Any], digest: Callable[[], str],
    model_id: dict[str, Any] | None = None,
) -> str:
    """Fingerprint of everything that can change the output of a transformers summarizer.

    batch_size and threads are left out: they change speed, not output.
    A local folder is identified by its files' content (`digest`), not its path, so a
    moved or copied model keeps its cache; a hub model by id, revision and the commit the
    hub cache names ("unresolved" before the download; nothing is stored under that key:
    `HFSummarizer.load`). `model_id` replaces both (a model whose settings name it).
    """
    if model_id is None and is_local_model(spec.model):
        model_id = {"model_files": digest()}
    elif model_id is None:
        model_id = {"model": spec.model, "revision": spec.revision,
                    "commit": cached_commit(spec.model, spec.revision) or "unresolved"}
    return fingerprint_of(kind, {
        **model_id,
        "dtype": spec.dtype,
        "device": spec.device,
        "seed": spec.seed,
        "max_input_tokens": spec.max_input_tokens,
        **settings,
        "code_version": CODE_VERSION,
        "bullets": BULLETS_VERSION,
        "transformers": installed_version("transformers"),
        "tokenizers": installed_version("tokenizers"),   # encodes the prompt, decodes the output
        "torch": installed_version("torch"),
    })


def cached_commit(model: str, revision: str | None) -> str | None:
    """The commit a hub model's branch or tag points to in the local hub cache (None when
    it was never downloaded): an unpinned `main` that moved gives another key, so a cached
    summary of the old weights is not served for the new ones. Read from the cache's refs
    file, without the network; pin `revision:` to a commit for numbers that reproduce."""
    if revision and re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision
    try:
        from huggingface_hub.constants import HF_HUB_CACHE
    except ImportError:
        return None
    ref = Path(HF_HUB_CACHE) / f"models--{model.replace('/', '--')}" / "refs" / (revision or "main")
    try:
        return ref.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def folder_digest(folder: str | Path) -> str:
    """Content hash of a model folder's top-level files (config, tokenizer, weights), each
    hashed whole. Sampling large files (the ends and 64 KiB of every 8 MiB, until
    2026-12-05) missed small weight changes, such as a LayerNorm-only tune, and served
    one model's cached summaries as another's. A file's hash is remembered in-process by
    its path, size, times and inode, so a run hashes a multi-GB file once."""
    h = hashlib.sha256()
    for path in sorted(Path(folder).expanduser().iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.suffix == ".md":
            continue
        stat = path.stat()
        h.update(json.dumps([path.name, stat.st_size, _file_sha256(path, stat)]).encode())
    return h.hexdigest()[:32]


def _file_sha256(path: Path, stat: os.stat_result) -> str:
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    if key not in _DIGEST_MEMO:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        _DIGEST_MEMO[key] = digest.hexdigest()
    return _DIGEST_MEMO[key]


_FINISHED = re.compile(r"""[.!?"'”’)\]]\s*$""")


def without_unfinished_end(text: str) -> str:
    """`text` without the bullet or sentence that the token cap cut off, when an earlier
    one ends it: "... for a $7" was scored as a bullet (the numbers check flagged its
    "$7" against the story's "$7.6 billion"). A text of one unfinished piece is kept."""
    stripped = text.rstrip()
    if _FINISHED.search(stripped):
        return text
    cut = max(stripped.rfind("\n"), *(stripped.rfind(end + " ") for end in ".!?"))
    return stripped[:cut + 1] if cut > 0 else text


def example_seed(seed: int, example: Example) -> int:
    """A sampling seed of the spec's seed and what the model reads (title and story): a
    sampled summary does not depend on which other examples share its batch, window or
    run, nor on the reference highlights (it did: a typo fixed in a reference changed
    the model's summary)."""
    text = json.dumps([example.title, example.story], ensure_ascii=False)
    digest = hashlib.sha256(f"{seed}:{text}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


# ---------------------------------------------------------------- the shared summarizer loop
class HFSummarizer(Summarizer):
    """Lazy-loading, length-batched transformers summarizer; subclasses say how to
    build the model input, encode a batch and turn generated text into bullets."""

    kind = ""
    auto_class = ""
    # Greedy and beam search give a function of the input; sampling is made one by
    # generating each example alone, seeded by the spec's seed and the example's content.
    reads_example_id = False

    def __init__(self, spec: _HFModelBase, *, max_bullets: int | None):
        check_model_exists(spec.model)  # cheap; the model itself loads on first use
        if spec.generation.get("num_return_sequences", 1) != 1:
            raise SummcheckError(
                f"{spec.label}: generation.num_return_sequences must be 1 "
                "(one summary per example)."
            )
        self.spec = spec
        self.label = spec.label
        self.max_bullets = max_bullets
        self._tokenizer: Any = None
        self._model: Any = None
        self._fingerprint: str | None = None

    # -- subclass hooks
    def _settings(self) -> dict[str, Any]:
        """Output-affecting settings beyond the common ones, for the fingerprint."""
        raise NotImplementedError

    def _prepare(self, example: Example, limit: int) -> tuple[str, dict[str, Any]]:
        """(model input text, meta with input_tokens/truncated[/truncated_tokens])."""
        raise NotImplementedError

    def _encode(self, texts: list[str], limit: int) -> Any:
        raise NotImplementedError

    def _generated(self, output: Any, inputs: Any) -> Any:
        """The newly generated token ids of each row of `generate`'s output."""
        return output

    def _bullets(self, text: str, model_input: str) -> tuple[str, ...]:
        raise NotImplementedError

    def _generation(self) -> dict[str, Any]:
        return dict(self.spec.generation)

    # -- the protocol
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            fingerprint = hf_fingerprint(
                self.kind, self.spec,
                {"generation": self._generation(), "max_bullets": self.max_bullets,
                 **self._settings(), **self._sampling_rule()},
                lambda: folder_digest(self.spec.model), self._model_id(),
            )
            if not self._unresolved():      # asked again once the download names the commit
                self._fingerprint = fingerprint
            return fingerprint
        return self._fingerprint

    def _model_id(self) -> dict[str, Any] | None:
        """The model's part of the fingerprint; None: its folder's files or its hub commit."""
        return None

    def key_is_final(self) -> bool:
        """False for a hub model this machine's hub cache names no commit for: on a Ray
        cluster the model downloads on a worker, and the driver's key stays
        "unresolved" (the local backend's `load` stops the run instead)."""
        return not self._unresolved()

    def _unresolved(self) -> bool:
        """A hub model whose commit the hub cache does not name yet (never downloaded)."""
        return (self._model_id() is None and not is_local_model(self.spec.model)
                and cached_commit(self.spec.model, self.spec.revision) is None)

    def _sampling_rule(self) -> dict[str, str]:
        """Sampled summaries made before each example was seeded alone, or seeded with
        its reference highlights too, differ: a new key."""
        return {"sampling_seed": "per-input-text"} if self._generation().get("do_sample") else {}

    def summarize(self, examples: Sequence[Example]) -> list[Summary]:
        if not examples:
            return []
        tokenizer, model = self._loaded()
        limit = input_limit(self.spec, tokenizer, model)
        prepared = [self._prepare(ex, limit) for ex in examples]
        # do_sample explicit: a model's generation_config.json may switch sampling on,
        # which the key (and the per-example seeding) would not know
        generation = {"pad_token_id": tokenizer.pad_token_id, "do_sample": False,
                      **self._generation()}
        special = set(tokenizer.all_special_ids)
        out: list[Summary | None] = [None] * len(examples)
        lengths = [meta["input_tokens"] for _, meta in prepared]
        sampling = bool(generation.get("do_sample"))
        for batch in length_sorted_batches(lengths, 1 if sampling else self.spec.batch_size):
            texts = [prepared[i][0] for i in batch]
            start = time.perf_counter()
            inputs = self._encode(texts, limit)
            seed = example_seed(self.spec.seed, examples[batch[0]]) if sampling \
                else self.spec.seed
            output = generate(self.spec, model, inputs, generation, seed=seed)
            rows = self._generated(output, inputs)
            decoded = tokenizer.batch_decode(rows, skip_special_tokens=True)
            seconds = (time.perf_counter() - start) / len(batch)
            for i, row, text in zip(batch, rows.tolist(), decoded):
                meta = {**prepared[i][1], "output_tokens": sum(t not in special for t in row)}
                kept = text
                if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in row:
                    kept = without_unfinished_end(text)     # stopped by the token cap
                    if kept != text:
                        meta["unfinished_end_dropped"] = True
                out[i] = Summary(
                    example_id=examples[i].id, bullets=self._bullets(kept, prepared[i][0]),
                    raw_text=text, seconds=seconds, meta=meta,
                )
        return out  # type: ignore[return-value]

    def preflight(self) -> None:
        """Fail fast, before any generation, when the model's config cannot be read
        (wrong id, missing folder, no hub access): much cheaper than loading weights."""
        source = model_source(self.spec.model)
        if not is_local_model(source) and hub.offline() and not _in_hub_cache(self.spec):
            raise SummcheckError(cannot_load(self.spec.model, LookupError("not cached")))
        _, transformers = import_hf()
        try:
            transformers.AutoConfig.from_pretrained(source, revision=self.spec.revision)
        except Exception as err:  # noqa: BLE001 - one clear user-facing error
            raise SummcheckError(cannot_load(self.spec.model, err)) from err

    def load(self) -> None:
        """Load the weights now, so a failure stops the run instead of failing each example.
        The generation cache stores each batch under the fingerprint of that moment, and
        the run calls this before the first batch: a hub model's download has then
        written the commit its branch points to. Were the key still "unresolved", what
        this run generates would be served later for whatever weights the branch had by
        then (as under the "commit: None" key before 2026-12-05), so that stops the run."""
        self._loaded()
        if self._unresolved():
            raise SummcheckError(
                f"{self.label}: loaded {self.spec.model!r}, but the hub cache names no commit "
                f"for revision {self.spec.revision or 'main'!r}, so its summaries could not be "
                "keyed to these weights. Pin `revision:` to a 40-character commit, or "
                "download the model into a folder and give its path as `model:`.")
        self._try_generation()

    def _try_generation(self) -> None:
        """Generate one token from a two-word input with the config's generation settings
        and seed, so one that generate() refuses (a key it does not know, `num_beams: 0`,
        a negative temperature) stops the run before the first batch. Each example failed
        alone with it instead: every summary of the model scored 0, and the run went on
        to exit 0 (a warning said "3 of 3 failed")."""
        tokenizer, model = self._loaded()
        settings = self._generation()
        trial = {"pad_token_id": tokenizer.pad_token_id, "do_sample": False,
                 **{k: v for k, v in settings.items()
                    if k not in ("max_length", "min_length", "min_new_tokens")},
                 "max_new_tokens": 1}
        try:     # the lengths left out of the trial are checked on load (config.py)
            inputs = self._encode(["News story."], input_limit(self.spec, tokenizer, model))
            generate(self.spec, model, inputs, trial, seed=self.spec.seed)
        except SummcheckError:
            raise
        except Exception as err:  # noqa: BLE001 - one clear user-facing error
            raise SummcheckError(
                f"{self.label}: a one-token trial of its generation settings failed, before "
                f"any summary was made: {type(err).__name__}: {err}. Fix `generation:` of "
                "this summarizer in the config (transformers' generate() arguments: "
                "https://huggingface.co/docs/transformers/main_classes/text_generation)."
            ) from err

    def _loaded(self) -> tuple[Any, Any]:
        if self._model is None:
            self._tokenizer, self._model = load_model(self.spec, self.auto_class)
            self._setup_tokenizer(self._tokenizer)
        return self._tokenizer, self._model

    def _setup_tokenizer(self, tokenizer: Any) -> None:
        """Called once after loading (e.g. padding side, pad token)."""
