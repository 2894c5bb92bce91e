"""The summarizer contract, and building a summarizer from its spec (summarizers/registry.py).

A summarizer is a controller: it holds behaviour (and maybe a loaded model) and is never
serialized. `summarize` takes a batch and returns one Summary per example, in order.
`fingerprint` changes whenever anything that could change the output changes; the
generation cache keys on it, on the example's content and, unless the summarizer declares
`reads_example_id = False` (its output is a function of title, story and references
only), on the example id too.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol, Sequence

from ..types import Example, Summary
from .registry import SUMMARIZERS


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


def summarizer_types() -> list[str]:
    return sorted(SUMMARIZERS.names())


def build_summarizer(spec: Any, *, max_bullets: int | None) -> Summarizer:
    """Build the summarizer for a validated spec; `max_bullets` is the run-wide cap. The
    factory comes from summarizers/registry.py, imported only now."""
    return SUMMARIZERS.load(spec.type)(spec, max_bullets=spec.max_bullets or max_bullets)
