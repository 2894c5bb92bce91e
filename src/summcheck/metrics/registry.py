"""Reference metrics: each spec class (the `metrics:` keys) registered with its factory.
A new metric is a module with a `build(spec)` factory and one decorated spec class here;
the `metrics:` section, building and `summcheck list` follow.

Factories are imported only when a metric is built.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ..registry import Float, Int, Registry, Spec

METRICS = Registry("metric")

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


@METRICS.register("summcheck.metrics.rouge:build",
                  "ROUGE-1/2/L/Lsum F, precision and recall against the reference highlights",
                  name="rouge", on_by_default=True, hash_when_off=True)
class RougeSpec(Spec):
    unhashed_fields = ("backend",)

    types: tuple[Literal["rouge1", "rouge2", "rougeL", "rougeLsum"], ...] = ROUGE_TYPES
    use_stemmer: bool = True
    tokenizer: Literal["default", "unicode"] = Field(
        "default", description="default: rouge_score's [a-z0-9] tokens (paper parity); "
                               "unicode: keeps non-ASCII words (other languages)")
    backend: Literal["auto", "rust", "python"] = Field(
        "auto", description="auto: rouge-score-rs when installed (the `fast` extra; same "
                            "scores, much faster), else rouge_score; rust: require it; "
                            "python: rouge_score. Not in spec_hash: it moves no number")

    def metric_names(self) -> tuple[str, ...]:
        return tuple(f"{t}_{k}" for t in self.types for k in "prf")

    @field_validator("types")
    @classmethod
    def _some_type(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        """`types: []` passed: ROUGE was on (in the signature), gave no score, and the
        regress gate's rouge rows failed only in `summcheck regress`."""
        if not types:
            raise ValueError("no ROUGE type: list some of " + ", ".join(ROUGE_TYPES)
                             + ", or turn ROUGE off with `rouge: null`")
        twice = sorted({t for t in types if types.count(t) > 1})
        if twice:   # the signature named it twice: another run's "differed" from this one's
            raise ValueError(f"{', '.join(twice)} listed twice: list each type once")
        return types


@METRICS.register("summcheck.metrics.coverage:build",
                  "how much of each reference highlight the bullets say, in any words "
                  "(MiniLM cosine)", name="coverage", extra="embedding", hash_when_off=True)
class CoverageSpec(Spec):
    """Semantic highlight coverage: each reference highlight's best cosine similarity to
    any generated bullet (all-MiniLM-L6-v2); `threshold` decides "covered"."""

    threshold: Float = Field(0.6, ge=-1, le=1)
    optional: bool = Field(
        False, description="skip (with a warning) when the embedding extra is not installed")

    def metric_names(self) -> tuple[str, ...]:
        return ("coverage_mean", "coverage_share")
