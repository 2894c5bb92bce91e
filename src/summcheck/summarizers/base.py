"""The summarizer contract and the registry that builds summarizers from specs.

A summarizer is a controller: it holds behaviour (and maybe a loaded model) and is never
serialized. `summarize` takes a batch and returns one Summary per example, in order.
`fingerprint` changes whenever anything that could change the output changes; the
generation cache keys on it, on the example's content and, unless the summarizer declares
`reads_example_id = False` (its output is a function of title, story and references
only), on the example id too.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from typing import Any, Callable, Protocol, Sequence

from ..types import Example, Summary


class Summarizer(Protocol):
    label: str
    reads_example_id: bool   # False: same content, same summary, whatever the id


    def fingerprint(self) -> str: ...

    def summarize(self, examples: Sequence[Example]) -> list[Summary]: ...


def reads_example_id(summarizer: Summarizer) -> bool:
    """Whether the summarizer's output may depend on the example id; True unless it says
    otherwise, so a summarizer that forgets to declare it is never served another
    example's summary."""
    return getattr(summarizer, "reads_example_id", True)


def fingerprint_of(kind: str, settings: dict[str, Any]) -> str:
    """Stable short hash of a summarizer kind and every setting that affects its output."""
    canonical = json.dumps({"kind": kind, **settings}, sort_keys=True, default=str)
    return f"{kind}-{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


# type name -> "module:factory"; modules are imported only when that type is used, so
# heavy libraries (torch, transformers) load only for the summarizers that need them.
_REGISTRY: dict[str, str] = {
    "lead": "summcheck.summarizers.extractive:build_lead",
    "textrank": "summcheck.summarizers.extractive:build_textrank",
    "oracle": "summcheck.summarizers.extractive:build_oracle",
    "hf-seq2seq": "summcheck.summarizers.hf_seq2seq:build",
    "hf-causal": "summcheck.summarizers.hf_causal:build",
    "precomputed": "summcheck.summarizers.precomputed:build",
    "embedding": "summcheck.summarizers.embedding:build",
    "gemma-270m": "summcheck.summarizers.gemma:build",
}


def summarizer_types() -> list[str]:
    return sorted(_REGISTRY)


def build_summarizer(spec: Any, *, max_bullets: int | None) -> Summarizer:
    """Build the summarizer for a validated spec; `max_bullets` is the run-wide cap."""
    module_name, factory_name = _REGISTRY[spec.type].split(":")
    factory: Callable[..., Summarizer] = getattr(importlib.import_module(module_name), factory_name)
    return factory(spec, max_bullets=spec.max_bullets or max_bullets)
