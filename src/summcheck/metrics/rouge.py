"""ROUGE-1/2/L/Lsum over highlight bullets, via google-research's rouge_score.

Bullets are joined with "\\n" so rougeLsum is the summary-level LCS over bullets (joined
without newlines it silently equals rougeL). With several references each ROUGE type
takes the reference with the best F (rouge_score's score_multi convention).
"""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version
from typing import Sequence

KEYS = ("p", "r", "f")


class RougeMetric:
    name = "rouge"

    def __init__(self, types: Sequence[str] = ("rouge1", "rouge2", "rougeL", "rougeLsum"),
                 *, use_stemmer: bool = True):
        self.types = tuple(types)
        self.use_stemmer = use_stemmer

    @cached_property
    def _scorer(self):
        from rouge_score import rouge_scorer

        return rouge_scorer.RougeScorer(list(self.types), use_stemmer=self.use_stemmer)

    def signature(self) -> str:
        return "|".join([
            f"rouge:{'+'.join(self.types)}",
            "tok:rouge_score-default(lowercase,[a-z0-9])",
            f"stem:{'porter' if self.use_stemmer else 'none'}",
            "join:newline",
            "multiref:best-f",
            f"impl:rouge_score-{version('rouge-score')}",
            f"nltk-{version('nltk')}",
        ])

    def metric_names(self) -> list[str]:
        return [f"{t}_{k}" for t in self.types for k in KEYS]

    def score(self, *, prediction: Sequence[str], references: Sequence[Sequence[str]]
              ) -> dict[str, float]:
        """Scores for one summary. `prediction` is its bullets; `references` a list of
        reference bullet lists. Returns {} when there is no reference (not applicable)."""
        refs = ["\n".join(r) for r in references if any(b.strip() for b in r)]
        if not refs:
            return {}
        pred = "\n".join(prediction)
        scores = self._scorer.score_multi(refs, pred)
        return {
            f"{t}_{k}": float(getattr(scores[t], attr))
            for t in self.types
            for k, attr in zip(KEYS, ("precision", "recall", "fmeasure"))
        }
