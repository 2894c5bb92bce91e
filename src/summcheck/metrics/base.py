"""The reference-metric contract (`Metric`, all of it).

A metric compares a summary's bullets with the reference bullets and returns named
values in [0, 1] (ROUGE F-measures, coverage). A new one inherits `Metric`, implements
`signature` and `score`, and overrides `score_many` when a batch is cheaper than its
summaries one by one. A metric that does not inherit it is taken through `plugins.adopt`
where one enters scoring.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

from ..text import require_bullets, require_references

# (prediction bullets, references: each a list of bullets)
Item = tuple[Sequence[str], Sequence[Sequence[str]]]


class Metric(ABC):
    """Everything scoring asks of a metric. Required: `name`, `signature()`,
    `score(...)`. Optional, with defaults: `score_many(items)`, `worth_caching`,
    `background_safe`."""

    name: str
    # Whether its values are worth keeping in the score cache. A run keeps score rows only
    # when one of its metrics or checks is: a metric that costs less than a cache key and
    # lookup (ROUGE through rouge-score-rs) is computed again on a re-run instead.
    worth_caching: bool = True
    # Whether the local backend may compute it on a worker thread while the run goes on
    # (writing rows, reading the next examples, generating): only for a metric that shares
    # no state with summarizers or other plugins and releases the GIL while it works, so
    # the overlap is safe and saves time (ROUGE on rouge-score-rs). A run overlaps its
    # scoring only when all its metrics and checks are.
    background_safe: bool = False

    @abstractmethod
    def signature(self) -> str:
        """Names everything that moves a value (settings, library and rules versions):
        the score cache keys on it and compare/regress check it."""

    @abstractmethod
    def score(self, *, prediction: Sequence[str], references: Sequence[Sequence[str]]
              ) -> dict[str, float]:
        """Values for one summary; {} when the metric does not apply (no reference). A
        failed summary scores 0 on every rate the metric gives a real summary of its
        example, whatever this returns for it (scoring._name_failures)."""

    def score_many(self, items: Sequence[Item]) -> list[dict[str, float]]:
        """`score` of each (prediction, references) item, in order. Default: one by one;
        a metric that batches (encodes all texts at once) overrides it."""
        return [self.score(prediction=pred, references=refs) for pred, refs in items]


def require_items(items: Sequence[Item]) -> None:
    """Every (prediction, references) item holds bullet lists (text.require_bullets): a
    metric's own `score_many` calls it first."""
    for prediction, references in items:
        require_bullets(prediction, "prediction")
        require_references(references)
