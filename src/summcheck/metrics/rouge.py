"""ROUGE-1/2/L/Lsum over highlight bullets, via google-research's rouge_score.

Bullets are joined with "\\n" so rougeLsum is the summary-level LCS over bullets (joined
without newlines it silently equals rougeL). With several references each ROUGE type
takes the reference with the best F (rouge_score's score_multi convention).
"""

from __future__ import annotations

import re
from functools import cached_property
from importlib.metadata import version
from typing import Sequence

KEYS = ("p", "r", "f")


class RougeMetric:
    name = "rouge"

    def __init__(self, types: Sequence[str] = ("rouge1", "rouge2", "rougeL", "rougeLsum"),
                 *, use_stemmer: bool = True, tokenizer: str = "default"):
        self.types = tuple(types)
        self.use_stemmer = use_stemmer
        self.tokenizer = tokenizer

    @cached_property
    def _scorer(self):
        from rouge_score import rouge_scorer

        custom = UnicodeTokenizer(self.use_stemmer) if self.tokenizer == "unicode" else None
        return rouge_scorer.RougeScorer(list(self.types), use_stemmer=self.use_stemmer,
                                        tokenizer=custom)

    def signature(self) -> str:
        tok = ("tok:unicode(lowercase,\\w+)" if self.tokenizer == "unicode"
               else "tok:rouge_score-default(lowercase,[a-z0-9])")
        return "|".join([
            f"rouge:{'+'.join(self.types)}",
            tok,
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


class UnicodeTokenizer:
    """rouge_score-compatible tokenizer that keeps non-ASCII words ("München", "café").

    rouge_score's default keeps only [a-z0-9], so text in most other languages vanishes
    and scores 0. Written here because rouge_score ships no such option; Porter stemming
    (English) applies to ASCII words longer than 3 letters, as in rouge_score."""

    _WORD = re.compile(r"\w+", re.UNICODE)

    def __init__(self, use_stemmer: bool):
        from nltk.stem import porter

        self._stemmer = porter.PorterStemmer() if use_stemmer else None

    def tokenize(self, text: str) -> list[str]:
        tokens = self._WORD.findall(text.lower())
        if self._stemmer is None:
            return tokens
        return [self._stemmer.stem(t) if t.isascii() and len(t) > 3 else t for t in tokens]
