"""The models of one or more run folders, their metric columns, and significance marks.

Shared by the HTML and Markdown reports. Nothing is rescored: means and intervals come
from results.json; the "significantly best" mark is a paired bootstrap over the per-example
scores in scores.jsonl, with the first run's bootstrap count and seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from ..artifacts import RunData
from ..stats import paired_bootstrap

ALPHA = 0.05
# Shown first, in this order; unknown metrics follow; the rest are "all metrics" extras.
PRIMARY = ("rouge1_f", "rouge2_f", "rougeLsum_f", "consistency", "numbers_precision",
           "entities_precision_source", "numbers_unsupported", "entities_unsupported")
KNOWN_EXTRA_PREFIXES = ("rouge", "numbers_", "entities_")


@dataclass(frozen=True)
class Model:
    """One summarizer of one run; `name` is its label, or "run/label" when labels clash."""

    name: str
    label: str
    run: RunData
    summary: dict[str, Any]   # its entry in results.json "summarizers"

    def agg(self, metric: str) -> dict[str, Any]:
        return self.summary["metrics"].get(metric) or {}

    def per_example(self, metric: str) -> dict[str, float]:
        return self.run.per_example(self.label, metric)


def collect_models(runs: Sequence[RunData]) -> list[Model]:
    labels = [label for run in runs for label in run.labels()]
    models = []
    for run in runs:
        for entry in run.results["summarizers"]:
            label = entry["label"]
            name = f"{run.name}/{label}" if labels.count(label) > 1 else label
            models.append(Model(name, label, run, entry))
    return models


def is_count(metric: str) -> bool:
    """Counts per summary (shown raw); every other metric is a 0-1 rate (shown x100)."""
    return metric.endswith(("_count", "_unsupported"))


def direction(metric: str) -> int:
    """+1 when higher is better, -1 when lower is better, 0 when neither (plain counts)."""
    if metric.endswith("_unsupported"):
        return -1
    return 0 if is_count(metric) else 1


def fmt(value: float | None, metric: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.2f}" if is_count(metric) else f"{value * 100:.1f}"


def fmt_ci(agg: dict[str, Any], metric: str) -> str:
    """e.g. "42.8 [38.9, 46.8]" (rates x100) or "0.35 [0.12, 0.59]" (counts)."""
    if not agg or not agg.get("n"):
        return "n/a"
    return f"{fmt(agg['mean'], metric)} [{fmt(agg['low'], metric)}, {fmt(agg['high'], metric)}]"


def metric_columns(models: Sequence[Model]) -> tuple[list[str], list[str]]:
    """(primary, extra) metric names present in any model."""
    present = {m for model in models for m in model.summary["metrics"]}
    primary = [m for m in PRIMARY if m in present]
    unknown = sorted(m for m in present - set(primary) if not m.startswith(KNOWN_EXTRA_PREFIXES))
    extra = sorted(present - set(primary) - set(unknown), key=_extra_order)
    return primary + unknown, extra


def _extra_order(metric: str) -> tuple[int, str]:
    return (0 if metric.startswith("rouge") else 1, metric)


def bootstrap_settings(runs: Sequence[RunData]) -> tuple[int, int]:
    boot = runs[0].spec.get("spec", {}).get("bootstrap", {})
    return int(boot.get("n", 1000)), int(boot.get("seed", 0))


def best_marks(models: Sequence[Model], metrics: Sequence[str], *, n_bootstrap: int,
               seed: int, alpha: float = ALPHA) -> dict[str, str]:
    """{metric: model name} for each metric whose best model beats every other model
    significantly (paired bootstrap on their shared examples, p < alpha)."""
    marks = {}
    for metric in metrics:
        best = significantly_best(models, metric, n_bootstrap=n_bootstrap, seed=seed,
                                  alpha=alpha)
        if best is not None:
            marks[metric] = best
    return marks


def significantly_best(models: Sequence[Model], metric: str, *, n_bootstrap: int,
                       seed: int, alpha: float = ALPHA) -> str | None:
    sign = direction(metric)
    scored = [m for m in models if m.agg(metric).get("n")]
    if sign == 0 or len(scored) < 2:
        return None
    best = max(scored, key=lambda m: sign * m.agg(metric)["mean"])
    best_values = best.per_example(metric)
    for other in scored:
        if other is best:
            continue
        other_values = other.per_example(metric)
        shared = sorted(best_values.keys() & other_values.keys())
        if not shared:
            return None
        result = paired_bootstrap([other_values[i] for i in shared],
                                  [best_values[i] for i in shared],
                                  n_bootstrap=n_bootstrap, seed=seed)
        if sign * result.delta <= 0 or not result.p_value < alpha:
            return None
    return best.name


@dataclass(frozen=True)
class ModelTable:
    """What the reports show about the models: columns, intervals and significance marks."""

    runs: list[RunData]
    models: list[Model]
    primary: list[str]      # metric columns shown by default
    extra: list[str]        # the rest (precision/recall, counts)
    marks: dict[str, str]   # metric -> name of the significantly best model
    n_bootstrap: int
    seed: int


def build_table(runs: Sequence[RunData]) -> ModelTable:
    models = collect_models(runs)
    primary, extra = metric_columns(models)
    n_bootstrap, seed = bootstrap_settings(runs)
    marks = best_marks(models, primary + extra, n_bootstrap=n_bootstrap, seed=seed)
    return ModelTable(list(runs), models, primary, extra, marks, n_bootstrap, seed)
