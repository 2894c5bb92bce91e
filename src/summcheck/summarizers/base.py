"""The summarizer contract (`Summarizer`, all of it), and building a summarizer from its
spec (summarizers/registry.py).

A summarizer is a controller: it holds behaviour (and maybe a loaded model) and is never
serialized. A new one inherits `Summarizer`, implements `fingerprint` and `summarize`, and
overrides the optional capabilities it has; the defaults say "not supported". A summarizer
that does not inherit it is taken through `plugins.adopt` where one enters the run.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Iterable, Protocol, Sequence

from ..plugins import adopt
from ..types import Example, Summary
from .registry import SUMMARIZERS

if TYPE_CHECKING:
    from ..config import SummarizerSpec


class IdCheck(Protocol):
    """How the dataset's ids meet the ids a summarizer answers for (a precomputed file's):
    fed the examples' ids a chunk at a time, then `finish` returns warnings for
    results.json or raises a DataError when the run would measure the id mapping."""

    def add(self, ids: Sequence[str]) -> None: ...

    def finish(self) -> list[str]: ...


class Summarizer(ABC):
    """Everything the runner, the generation cache and the backends ask of a summarizer.

    Required: `label`, `fingerprint()`, `summarize(examples)`; the runner also reads
    `spec`, the validated spec it was built from (its type, note and batch size).
    Optional, with defaults: `reads_example_id`, `caches_generations`, `load()`,
    `preflight()`, `id_check()` (and `check_ids`, built on it), `key_is_final()`.
    """

    label: str
    spec: SummarizerSpec
    # False: the output is a function of title, story and references only, so the
    # generation cache shares one summary between examples with other ids and the same
    # content. True (the default) keys by id too: an undeclared summarizer is never
    # served another example's summary.
    reads_example_id: bool = True
    # False: the summaries are read from a source of the summarizer's own (a precomputed
    # file) on every run, so copying them into the generation cache would only cost; its
    # fingerprint (the source's content) then names the run folder too.
    caches_generations: bool = True

    @abstractmethod
    def fingerprint(self) -> str:
        """Changes whenever anything that could change an output changes (settings, model
        files, library versions); the generation cache keys on it."""

    @abstractmethod
    def summarize(self, examples: Sequence[Example]) -> list[Summary]:
        """One Summary per example, in order. Raising fails the batch's examples one by
        one (each is retried alone); a SummcheckError stops the run with its message."""

    def key_is_final(self) -> bool:
        """False while `fingerprint()` cannot yet name the model it will generate with (a
        hub model whose commit this machine's hub cache does not name): the generation
        cache then stores nothing under it. Default: True."""
        return True

    def load(self) -> None:
        """Load the model now, so a model that cannot load stops the run with the reason
        instead of failing every example. Called before the first batch is generated
        (never when everything is cached). Default: nothing to load."""

    def preflight(self) -> None:
        """Fail fast, before any summarizer generates anything, when the model cannot be
        found (a wrong id, no hub access): raise a SummcheckError that says so. Called
        only when the summarizer has something left to generate. Default: nothing to
        check (and the runner then does not look its summaries up to decide)."""

    def id_check(self) -> IdCheck | None:
        """How the dataset's ids meet the ones this summarizer answers for; None (the
        default): it answers for any id."""
        return None

    def check_ids(self, examples: Iterable[Example]) -> list[str]:
        """`id_check`'s warnings for these examples (or its DataError); none without one."""
        check = self.id_check()
        if check is None:
            return []
        check.add([ex.id for ex in examples])
        return check.finish()


def fingerprint_of(kind: str, settings: dict[str, Any]) -> str:
    """Stable short hash of a summarizer kind and every setting that affects its output."""
    canonical = json.dumps({"kind": kind, **settings}, sort_keys=True, default=str)
    return f"{kind}-{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


def summarizer_types() -> list[str]:
    return sorted(SUMMARIZERS.names())


def build_summarizer(spec: Any, *, max_bullets: int | None) -> Summarizer:
    """Build the summarizer for a validated spec; `max_bullets` is the run-wide cap. The
    factory comes from summarizers/registry.py, imported only now; a registered summarizer
    need not inherit `Summarizer` (`plugins.adopt`)."""
    factory = SUMMARIZERS.load(spec.type)
    return adopt(factory(spec, max_bullets=spec.max_bullets or max_bullets), Summarizer)
