"""Semantic highlight coverage: how much of the reference does the summary say, in any words.

For each reference highlight, its best cosine similarity to any generated bullet (sentence
embeddings, all-MiniLM-L6-v2). Per summary: `coverage_mean`, the mean of those best
similarities, each clipped to [0, 1], and `coverage_share`, the share of highlights whose
best similarity reaches the threshold ("covered"). A summary with no bullets covers
nothing (0.0, 0.0); with no reference the metric does not apply ({}). With several
references, the reference with the highest mean is used for both numbers (like ROUGE's
best-F).

The clip: cosines run from -1 to 1, and MiniLM gives unrelated texts small negative ones
("Lorem ipsum dolor sit amet." against two news highlights: -0.075 on average). Unclipped,
a real summary unrelated to the reference scored below a failed one (0 on every rate), so
a summarizer that failed more could have the higher mean; a highlight no bullet resembles
covers nothing, as in a failed summary. The top clip only drops float rounding past 1.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..embeddings import Encoder, get_encoder
from ..text import worded
from .base import Item, Metric, require_items


class CoverageMetric(Metric):
    name = "coverage"

    def __init__(self, threshold: float = 0.6, *, encoder: Encoder | None = None,
                 batch_size: int = 64):
        self.threshold = threshold
        # its own remembered vectors: the same scores whether or not the embedding
        # summarizer encoded the story sentences first (a resumed run does not)
        self.encoder = encoder or get_encoder(memo="coverage")
        self.batch_size = batch_size

    def signature(self) -> str:
        return (f"coverage:best-cosine|clip:0-1|threshold={self.threshold}|multiref:best-mean"
                f"|{self.encoder.signature()}")

    def metric_names(self) -> list[str]:
        return ["coverage_mean", "coverage_share"]

    def score(self, *, prediction: Sequence[str], references: Sequence[Sequence[str]]
              ) -> dict[str, float]:
        return self.score_many([(prediction, references)])[0]

    def score_many(self, items: Sequence[Item]) -> list[dict[str, float]]:
        """Scores for many (prediction, references) pairs, encoding all texts in one go."""
        require_items(items)
        cleaned = [(_clean(pred), [r for r in (_clean(worded(ref)) for ref in refs) if r])
                   for pred, refs in items]
        texts = [t for pred, refs in cleaned for t in [*pred, *(h for r in refs for h in r)]]
        vectors = dict(zip(texts, self.encoder.encode(texts, batch_size=self.batch_size)))
        return [self._one(pred, refs, vectors) for pred, refs in cleaned]

    def _one(self, prediction: list[str], references: list[list[str]],
             vectors: dict[str, np.ndarray]) -> dict[str, float]:
        if not references:
            return {}
        if not prediction:   # nothing covered, whatever the threshold (0 or below)
            return {"coverage_mean": 0.0, "coverage_share": 0.0}
        best = max((self._best_similarities(prediction, ref, vectors) for ref in references),
                   key=lambda sims: float(np.clip(sims, 0.0, 1.0).mean()))
        return {"coverage_mean": float(np.clip(best, 0.0, 1.0).mean()),
                "coverage_share": float((best >= self.threshold).mean())}

    @staticmethod
    def _best_similarities(prediction: list[str], reference: list[str],
                           vectors: dict[str, np.ndarray]) -> np.ndarray:
        """Each reference highlight's highest cosine similarity to a predicted bullet."""
        ref = np.stack([vectors[h] for h in reference])
        pred = np.stack([vectors[b] for b in prediction])
        return (ref @ pred.T).max(axis=1)


def _clean(bullets: Sequence[str]) -> list[str]:
    return [b.strip() for b in bullets if b.strip()]


def build(spec) -> CoverageMetric:
    """The metric a `metrics.coverage` spec describes (metrics/registry.py)."""
    return CoverageMetric(spec.threshold)
