"""The models of one or more run folders, their metric columns, and significance marks.

Shared by the HTML and Markdown reports. Nothing is rescored: means and intervals come
from results.json; the "significantly best" mark is a paired permutation test of the
leading model against each other model over their per-example scores in scores.jsonl
(the first run's seed), Holm-adjusted over every (metric, other model) comparison the
table stars over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from ..artifacts import RunData
from ..metric_kinds import direction, is_count
from ..paired import differing_families, differing_ids, format_p, too_small_text
from ..run_rows import LabelRows, id_key, paired_differences
from ..stats import (PERMUTATIONS, PermutationResult, describe_test, holm, holm_floors,
                     permutation_test, resamples_for)
from ..text import percent

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

    def shown(self, metric: str) -> str:
        """The metric's mean and interval as the reports show them (`fmt_ci`)."""
        return fmt_ci(self.agg(metric), metric, self.summary.get("n_examples"))

    @property
    def rows(self) -> LabelRows:
        """Its per-example values, kept on disk (read from the run folder once per run)."""
        return self.run.rows().get(self.label)


def collect_models(runs: Sequence[RunData]) -> list[Model]:
    labels = [label for run in runs for label in run.labels()]
    models = []
    for run in runs:
        for entry in run.results["summarizers"]:
            label = entry["label"]
            name = f"{run.name}/{label}" if labels.count(label) > 1 else label
            models.append(Model(name, label, run, entry))
    return models


def fmt(value: float | None, metric: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.2f}" if is_count(metric) else f"{value * 100:.1f}"


def fmt_ci(agg: dict[str, Any], metric: str, of: int | None = None) -> str:
    """e.g. "42.8 [38.9, 46.8]" (rates x100) or "0.35 [0.12, 0.59]" (counts); one example
    makes no interval: "44.7 (no interval, n=1)". `of`: the model's examples; a mean over
    fewer (ROUGE where some examples have no reference; counts, which failed summaries
    lack) says so, "42.8 [38.9, 46.8] (n=8)", not to be read as a mean over them all."""
    if not agg or not agg.get("n"):
        return "n/a"
    if agg["n"] < 2:
        return f"{fmt(agg['mean'], metric)} (no interval, n={agg['n']})"
    text = f"{fmt(agg['mean'], metric)} [{fmt(agg['low'], metric)}, {fmt(agg['high'], metric)}]"
    return text + (f" (n={agg['n']})" if of is not None and agg["n"] < of else "")


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


@dataclass(frozen=True)
class Rival:
    """The leading model of a metric against one other model, on their shared examples."""

    other: str
    n: int
    delta: float                # leader - other, oriented so > 0 means the leader is better
    test: PermutationResult
    unpaired: int = 0           # values of either model left out (no pair, or another text)


@dataclass(frozen=True)
class Verdict:
    """One metric's significance mark: `best` is starred, or None (with `text` saying why)."""

    metric: str
    best: str | None
    n: int                      # fewest shared examples over the leader's comparisons
    p_adjusted: float           # largest Holm-adjusted p over them
    text: str
    comparisons: int            # other models the leader was tested against


def best_marks(models: Sequence[Model], metrics: Sequence[str], *, seed: int,
               alpha: float = ALPHA) -> dict[str, Verdict]:
    """{metric: Verdict} for each metric with a better side and two scored models. The
    leader (best mean) is starred when it beats every other model with a Holm-adjusted
    p < alpha; the family is every (metric, other model) comparison made here."""
    unranked = {m: v for m in metrics if (v := _not_comparable(models, m)) is not None}
    most = star_resamples(models, metrics, alpha)
    contests = {m: _contest(models, m, seed, most) for m in metrics if m not in unranked}
    contests = {m: c for m, c in contests.items() if c is not None}
    raw = [r.test.p_value for _, rivals in contests.values() for r in rivals]
    adjusted = iter(holm(raw))
    floors = iter(holm_floors(raw, [r.test.min_p for _, rivals in contests.values()
                                    for r in rivals]))
    family = sum(not math.isnan(p) for p in raw)
    return unranked | {
        m: _verdict(m, leader, rivals, [(next(adjusted), next(floors)) for _ in rivals],
                    family, alpha)
        for m, (leader, rivals) in contests.items()}


def _scored(models: Sequence[Model], metric: str) -> list[Model]:
    return [m for m in models if m.agg(metric).get("n")]


def star_resamples(models: Sequence[Model], metrics: Sequence[str], alpha: float = ALPHA) -> int:
    """How far a star's test may draw (stats.resamples_for): the family has at most one
    comparison per (metric with a better side, model other than its leader)."""
    family = sum(len(_scored(models, m)) - 1 for m in metrics
                 if direction(m) and len(_scored(models, m)) > 1)
    return resamples_for(family, alpha)


def _not_comparable(models: Sequence[Model], metric: str) -> Verdict | None:
    """No mark for a metric whose runs' signatures differ (stemming on in one, off in the
    other): their values are not one measurement, so no model is ranked on it."""
    runs = list({id(m.run): m.run for m in models if m.agg(metric).get("n")}.values())
    for other in runs[1:]:
        families = differing_families(runs[0].results.get("signatures") or {},
                                      other.results.get("signatures") or {}, metric)
        if families:
            return Verdict(metric, None, 0, math.nan, f"not ranked: the runs' "
                           f"{', '.join(families)} signatures differ", 0)
    return None


def _changed_keys(a: Model, b: Model) -> frozenset[bytes]:
    """Keys of the ids the two models' runs both have with another story or references:
    a score of another text is no paired difference (compare leaves them out too)."""
    if a.run is b.run:
        return frozenset()
    changed = differing_ids(a.run.example_hashes(), b.run.example_hashes())
    return frozenset(id_key(i) for i in changed)


def _contest(models: Sequence[Model], metric: str, seed: int,
             max_resamples: int) -> tuple[str, list[Rival]] | None:
    sign = direction(metric)
    scored = _scored(models, metric)
    if sign == 0 or len(scored) < 2:
        return None
    best = max(scored, key=lambda m: sign * m.agg(metric)["mean"])
    rivals = []
    for other in scored:
        if other is best:
            continue
        diffs = sign * paired_differences(best.rows, other.rows, metric,
                                          _changed_keys(best, other))
        if not len(diffs):   # nothing to compare: outside the family, and no star
            rivals.append(Rival(other.name, 0, math.nan, PermutationResult(math.nan, "", 0, 1)))
            continue
        test = permutation_test(diffs, seed=seed, max_resamples=max_resamples)
        unpaired = len(best.rows.values(metric)) + len(other.rows.values(metric)) - 2 * len(diffs)
        rivals.append(Rival(other.name, len(diffs), math.fsum(diffs) / len(diffs), test,
                            unpaired))
    return best.name, rivals


def _verdict(metric: str, leader: str, rivals: list[Rival],
             adjusted: list[tuple[float, float]], family: int, alpha: float) -> Verdict:
    """`adjusted`: per rival, the Holm-adjusted p and the smallest it could have had."""
    n, k = min(r.n for r in rivals), sum(r.n > 0 for r in rivals)
    if n == 0:
        return Verdict(metric, None, 0, math.nan, "no shared examples with every model", k)
    worst = max(p for p, _ in adjusted)
    small = [(r, floor) for r, (_, floor) in zip(rivals, adjusted)
             if r.test.too_small(alpha, floor)]
    if small:
        r, floor = min(small, key=lambda item: item[0].test.n_nonzero)
        text = too_small_text(r.n, r.test.n_nonzero, r.test.min_p, alpha, floor, family)
        return Verdict(metric, None, n, worst, text, k)
    size = f"n={n}{_unpaired_text(rivals)}"
    if all(r.delta > 0 for r in rivals) and worst < alpha:
        bound = "<=" if k > 1 else "="
        return Verdict(metric, leader, n, worst,
                       f"{leader} best ({size}, adjusted p {bound} {format_p(worst)})", k)
    return Verdict(metric, None, n, worst, f"no significant best ({size})", k)


def _unpaired_text(rivals: list[Rival]) -> str:
    """", 10 unpaired values left out" when some model's values had no pair (runs of
    other example sets, a metric that applies to other examples), as compare and regress
    say how many examples only one side has; "" when every value was paired."""
    most = max(r.unpaired for r in rivals)
    if not most:
        return ""
    return f", {most} unpaired value{'s' if most > 1 else ''} left out"


def significantly_best(models: Sequence[Model], metric: str, *, seed: int,
                       alpha: float = ALPHA) -> str | None:
    """The starred model of a table with this one metric (a family of its comparisons)."""
    verdict = best_marks(models, [metric], seed=seed, alpha=alpha).get(metric)
    return verdict.best if verdict else None


def significance_legend(table: "ModelTable") -> str:
    """Names the test and the correction, for the reports' legends."""
    return (f"{describe_test(seed=table.seed, max_resamples=table.max_resamples)}, "
            f"Holm-adjusted over the {table.family} "
            f"(metric, other model) comparisons of {len(table.verdicts)} metrics")


@dataclass(frozen=True)
class ModelTable:
    """What the reports show about the models: columns, intervals and significance marks."""

    runs: list[RunData]
    models: list[Model]
    primary: list[str]      # metric columns shown by default
    extra: list[str]        # the rest (precision/recall, counts)
    verdicts: dict[str, Verdict]  # metric -> its significance mark
    n_bootstrap: int
    seed: int
    max_resamples: int = PERMUTATIONS   # how far a star's test may draw (star_resamples)

    @property
    def interval_label(self) -> str:
        """The intervals' level as shown ("95%"): each run's bootstrap confidence, or a
        pointer to the signatures when the runs were aggregated at different levels."""
        levels = {run.spec.get("spec", {}).get("bootstrap", {}).get("confidence", 0.95)
                  for run in self.runs}
        return percent(levels.pop()) if len(levels) == 1 else "per-run (see signatures)"

    @property
    def bootstrap_label(self) -> str:
        """The intervals' resamples and seed as shown ("n=1000, seed=0"): each run's, or a
        pointer to the signatures when the runs used different ones (the first run's were
        shown for all)."""
        settings = {bootstrap_settings([run]) for run in self.runs}
        if len(settings) > 1:
            return "resamples and seed per run, see signatures"   # inside parentheses
        return f"n={self.n_bootstrap}, seed={self.seed}"

    @property
    def notes(self) -> list[str]:
        """What the metrics measure (each run's results.json says it for its own run) and
        the models' notes from the config, once each."""
        metric_notes = [note for run in self.runs
                        for note in (run.results.get("metric_notes") or {}).values()]
        model_notes = [f"{m.name}: {m.summary['note']}" for m in self.models
                       if m.summary.get("note")]
        return list(dict.fromkeys(metric_notes + model_notes))

    @property
    def family(self) -> int:
        """The comparisons Holm's correction is over."""
        return sum(v.comparisons for v in self.verdicts.values())

    @property
    def marks(self) -> dict[str, str]:
        """metric -> name of the significantly best model."""
        return {m: v.best for m, v in self.verdicts.items() if v.best}


def build_table(runs: Sequence[RunData]) -> ModelTable:
    models = collect_models(runs)
    primary, extra = metric_columns(models)
    n_bootstrap, seed = bootstrap_settings(runs)
    verdicts = best_marks(models, primary + extra, seed=seed)
    return ModelTable(list(runs), models, primary, extra, verdicts, n_bootstrap, seed,
                      star_resamples(models, primary + extra))
