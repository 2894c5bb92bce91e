"""The consistency-check contract (`Check`, all of it) and what every check returns:
scores plus one finding per unsupported mention.

A check compares a summary's bullets with the story: `check(*, source, summary,
reference=None) -> CheckResult`, where `summary` is the list of bullets (findings point
into them by index and character offsets) and `source` the story. A new check inherits
`Check`, implements `signature` and `check`, and overrides the optional capabilities it
has. A check that does not inherit it is taken through `plugins.adopt` where one enters
scoring.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from summcheck.text import require_bullets


@dataclass(frozen=True)
class Span:
    """A mention: its text and [start, end) character offsets in the bullet or story."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Finding:
    """One unsupported number or entity in a summary bullet."""

    check: str                  # "numbers" or "entities"
    kind: str                   # number kind (money, percent, date, ...) or entity label
    bullet_index: int
    span: Span                  # where it is in the bullet
    value: str = ""             # normalized value, e.g. "12000" or "kim jong il"
    candidates: tuple[Span, ...] = ()   # closest story mentions ("did you mean ...?")
    reason: str = ""            # e.g. "no story number with this value", "qualifier contradicts"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Support:
    """A summary mention that the story supports, with the supporting story span."""

    check: str
    kind: str
    bullet_index: int
    span: Span
    source_span: Span

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CheckResult:
    scores: dict[str, float]    # precision/recall-style values in [0, 1] plus counts
    findings: tuple[Finding, ...] = ()
    supported: tuple[Support, ...] = field(default=())


# (story, summary bullets, reference bullets or None)
Item = tuple[str, Sequence[str], Sequence[str] | None]


class Check(ABC):
    """Everything scoring and the backends ask of a check. Required: `name`,
    `signature()`, `check(...)`. Optional, with defaults: `check_many(items)`,
    `start_many(items)`, `load_cache(folder)`, `processes`, `worth_caching`, `background_safe`."""

    name: str
    # Whether its results are worth keeping in the score cache (as `Metric.worth_caching`).
    worth_caching: bool = True
    # As `Metric.background_safe`. No built-in check is: they share spaCy pipelines and
    # NER worker processes, which a worker thread must not use beside the run's own.
    background_safe: bool = False
    # Cores the check may use at once (the Ray backend sets it to a scoring task's CPUs
    # before the first check); a check that runs on one core ignores it.
    processes: int = 1

    @abstractmethod
    def signature(self) -> str:
        """Names everything that moves a score or finding (settings, models, library and
        rules versions): the score cache keys on it and compare/regress check it."""

    @abstractmethod
    def check(self, *, source: str, summary: Sequence[str],
              reference: Sequence[str] | None = None) -> CheckResult:
        """Scores and findings for one summary (its bullets) against its story."""

    def check_many(self, items: Sequence[Item]) -> list[CheckResult]:
        """`check` of each (source, summary, reference) item, in order. Default: one by
        one; a check that batches (NER over every summary at once) overrides it."""
        return [self.check(source=src, summary=summ, reference=ref)
                for src, summ, ref in items]


    def start_many(self, items: Sequence[Item]) -> bool:
        """Called just before the checks' `check_many(items)` calls, with the same items:
        begin work on other cores (NER in worker processes) and say whether it did; such
        a check's `check_many(items)` is then called after the other checks', which run
        in this process meanwhile, and collects the work. Results must not depend on
        whether it was called. Default: nothing to begin (False)."""
        return False

    def load_cache(self, folder: str | Path) -> int:
        """Keep per-story analyses in a file in `folder` from now on (shared by every run
        and summarizer) and look stories up there; returns how many it holds. Default:
        the check keeps nothing per story (0)."""
        return 0


def require_items(items: Sequence[Item]) -> None:
    """Every (source, summary, reference) item's summary and reference are bullet lists
    (text.require_bullets): a check's own `check_many` calls it first."""
    for _, summary, reference in items:
        require_bullets(summary)
        if reference is not None:
            require_bullets(reference, "reference")
