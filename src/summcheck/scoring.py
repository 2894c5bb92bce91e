"""Per-example scoring: reference metrics and consistency checks for every summary."""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from . import heap
from .consistency.base import Check, CheckResult, Item
from .consistency.registry import CHECKS
from .errors import MissingExtraError
from .metric_kinds import failure_scores
from .metrics.base import Metric
from .metrics.registry import METRICS
from .plugins import adopt
from .registry import Registry
from .score_cache import CachedScores, ScoreCache, scoring_fingerprint
from .text import holds_words, worded
from .types import Example, Summary

logger = logging.getLogger(__name__)


def build_metrics(spec, warnings: list[str] | None = None) -> list:
    """The configured metrics (metrics/registry.py order); an optional one whose extra is
    missing is skipped with a warning, logged and added to `warnings` (for results.json)."""
    return _build_section(METRICS, Metric, spec.metrics,
                          warnings if warnings is not None else [])


def build_checks(spec) -> list:
    """The configured consistency checks (consistency/registry.py order); heavy ones
    import their libraries when built."""
    return _build_section(CHECKS, Check, spec.checks, [])


def _build_section(registry: Registry, base: type, section, warnings: list[str]) -> list:
    """Build each entry of a `metrics:`/`checks:` section that is on, as a `base` (a
    registered plugin need not inherit it: `plugins.adopt`); one whose spec says
    `optional: true` and whose extra is missing is skipped with a warning."""
    built = []
    for entry in registry:
        entry_spec = getattr(section, entry.name)
        if entry_spec is None:
            continue
        try:
            built.append(adopt(registry.load(entry.name)(entry_spec), base))
        except MissingExtraError as err:
            if not getattr(entry_spec, "optional", False):
                raise
            warnings.append(f"skipping optional {registry.kind} {entry.name}: {err}")
            logger.warning("%s", warnings[-1])
    return built


# Each check's precision against the story; the overall score multiplies them.
PRECISION_KEYS = ("numbers_precision", "entities_precision_source", "support_precision",
                  "support_unstitched")
# The rules of this module that move numbers besides the metrics' and checks' own (which
# precisions `consistency` multiplies; how a failed summary scores): part of every score's
# cache key and of results.json's signatures. Change the version with either rule.
# 4: a summary whose bullets hold no letter or digit is failed on every path (an extractive
#    summary of a story of "..." scored consistency 1.0 as a real summary).
# 5: no `consistency` when none of the checks that ran has a factor of it (relations or
#    likelihood alone gave every summary 1.0, ranked and starred).
# 6: a reference bullet without a letter or digit ("...", "-") is none, for metrics and
#    checks alike; a reference of such bullets only is no reference (it scored ROUGE 0).
# 7: a failed summary scores 0 on every rate its metric or check gives a real summary of
#    that example, also when the plugin returned {} for it (it was left out of the mean).
RULES_SIGNATURE = (f"consistency|product:{'*'.join(PRECISION_KEYS)}"
                   "|failed:rates=0,counts=none|rules=7")


# What each multiplied precision measures, in words (keyed by check name).
_PRECISION_WORDS = {"numbers": "the share of the summary's numbers the story supports",
                    "entities": "the share of its names the story supports",
                    "support": "how well the story supports each bullet as a whole ({how}) "
                               "and how little the bullets are stitched together from "
                               "story fragments"}
# What the support check weighs in a bullet, by its method (an `auto` check has resolved
# it): the lexical method has no embedding, the embedding method no word pairs.
_SUPPORT_WORDS = {"aligned": "its word pairs in one story sentence, its words close to the "
                             "story's",
                  "lexical+embedding": "its word pairs in one story sentence, its words "
                                       "close to the story's",
                  "lexical": "its word pairs in one story sentence",
                  "embedding": "its words close to the story's"}


def _precision_words(check, first: bool) -> str:
    words = _PRECISION_WORDS[check.name]
    if check.name == "support":
        words = words.format(how=_SUPPORT_WORDS.get(getattr(check, "method", None),
                                                    "its words against the story's"))
    return words.replace("its names", "the summary's names") if first else words


def describe_consistency(checks: list) -> str | None:
    """One sentence saying what `consistency` measures with these checks, for the reports
    (written into results.json, so a report says what its own run measured)."""
    known = [c for c in checks if c.name in _PRECISION_WORDS]
    parts = [_precision_words(c, i == 0) for i, c in enumerate(known)]
    if not parts:
        return None
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    support = any(c.name == "support" for c in known)
    caveat = (" It favours copying: a faithful paraphrase scores lower than a copied "
              "sentence, so compare summarizers of similar extractiveness "
              "(benchmarks/results/default_consistency.md).") if support else ""
    # with the stitching factor a bullet copied whole is still one fragment: under 1.0
    scale = ("a failed summary scores 0; nothing unsupported still scores a little under "
             "1.0, as a sentence copied whole is one story fragment: about 0.96 for a "
             "copied 25-word bullet") if support else \
        "1.0 = nothing unsupported; a failed summary scores 0"
    return (f"consistency is how far the story backs the summary: the product of {listed} "
            f"({scale}).{caveat}")


def overall_consistency(results: Sequence[CheckResult]) -> float | None:
    """Product of the configured checks' factors against the story: numbers_precision x
    entities_precision_source x support_precision x support_unstitched (the default config
    has all three checks). Each is 1.0 when the summary has nothing to check and a
    disabled check drops out; None when no check that has one of these factors ran (the
    relations and likelihood checks have none: alone they made it 1.0 for every summary).

    A product, not a pooled share: pooled counts let one invented number vanish among
    correct names. The default (support method auto, resolved to aligned when the MiniLM
    weights are installed) agrees with human judgements far better than numbers x
    entities alone, and favours copying more than people do: figures in
    benchmarks/results/default_consistency.md."""
    factors = [result.scores[key] for result in results for key in PRECISION_KEYS
               if key in result.scores]
    return math.prod(factors) if factors else None


def score_batch(examples: Sequence[Example], summaries: Sequence[Summary], metrics: list,
                checks: list) -> list[tuple[dict[str, float], list[CheckResult]]]:
    """(metric values, check results) for each summary; examples[i] is summaries[i]'s.
    A failed summary, or one with no bullet holding a letter or digit (`text.holds_words`:
    a run marks it failed, "empty summary"; a caller of this function may not), gets
    `failure_scores` (0 on every rate, no counts).

    Checks get the whole batch (`check_many`, e.g. to run NER over all summaries at once);
    so do metrics (`score_many`, e.g. to encode texts in batches)."""
    heap.fewer_collections()
    metrics = [adopt(metric, Metric) for metric in metrics]
    checks = [adopt(check, Check) for check in checks]
    per_check = _run_checks(checks, check_items(examples, summaries))
    per_metric = [_run_metric(metric, examples, summaries) for metric in metrics]
    failed = [i for i, s in enumerate(summaries) if s.error is not None
              or not holds_words(s.bullets)]
    if failed:
        _name_failures(metrics, checks, examples, failed, per_metric, per_check)
    failing = set(failed)
    out = []
    for i, _ in enumerate(zip(examples, summaries, strict=True)):   # same lengths
        values: dict[str, float] = {}
        for metric_values in per_metric:
            values.update(metric_values[i])
        results = [check_results[i] for check_results in per_check]
        for result in results:
            values.update(result.scores)
        overall = overall_consistency(results)
        if overall is not None:
            values["consistency"] = overall
        if i in failing:
            values = failure_scores(values)
        out.append((values, results))
    return out


def _name_failures(metrics: list[Metric], checks: list[Check], examples: Sequence[Example],
                   failed: list[int], per_metric: list[list[dict]],
                   per_check: list[list[CheckResult]]) -> None:
    """Give the failed summaries' empty values the names their metric or check gives a
    real summary of the same example, in place (`failure_scores` then makes each rate 0).
    A plugin that returned {} for an empty summary left the failure out of its means,
    which then looked better the more summaries failed. The names come from scoring a
    stand-in summary (`_stand_in`): a reference metric that does not apply to the
    example (no reference) still gives none. Built-in metrics and checks give their names
    for an empty summary, so this scores stand-ins only for those without a reference."""
    for metric, values in zip(metrics, per_metric):
        todo = [i for i in failed if not values[i]]
        if todo:
            named = metric.score_many([(_stand_in(examples[i]),
                                        [worded(examples[i].reference_bullets)])
                                       for i in todo])
            for i, names in zip(todo, named, strict=True):
                values[i] = dict(names)
    for check, results in zip(checks, per_check):
        todo = [i for i in failed if not results[i].scores]
        if todo:
            named = check.check_many([(examples[i].story, _stand_in(examples[i]),
                                       worded(examples[i].reference_bullets) or None)
                                      for i in todo])
            for i, names in zip(todo, named, strict=True):
                results[i] = replace(results[i], scores=dict(names.scores))


def _stand_in(example: Example) -> list[str]:
    """A summary with words for `example`, to learn which values a metric or check gives:
    its reference bullets, else the start of its story."""
    return worded(example.reference_bullets) or [" ".join(example.story.split()[:60]) or "-"]


def _run_metric(metric: Metric, examples: Sequence[Example], summaries: Sequence[Summary]
                ) -> list[dict[str, float]]:
    items = [(s.bullets, [worded(e.reference_bullets)]) for e, s in zip(examples, summaries)]
    return metric.score_many(items)


def _run_checks(checks: list[Check], items: list[Item]) -> list[list[CheckResult]]:
    """Each check's results, in the checks' order. A check whose `start_many` began work
    on other cores (NER in worker processes) is collected last: the others run here
    meanwhile. Checks are started from the last to the first: a start may work here
    before it hands over (the entity check prepares its NER inputs), and a later check's
    start (the support check's) only hands its batch to a worker, which then runs
    meanwhile (benchmarks/results/check_overlap.md)."""
    started = [False] * len(checks)
    for i in reversed(range(len(checks))):
        started[i] = bool(checks[i].start_many(items))
    per_check: list[list[CheckResult]] = [[] for _ in checks]
    for i in sorted(range(len(checks)), key=started.__getitem__):
        per_check[i] = checks[i].check_many(items)
    return per_check


def check_items(examples: Sequence[Example], summaries: Sequence[Summary]) -> list[Item]:
    """What a check's `check_many` takes: (story, bullets, reference bullets or None). A
    reference bullet without a letter or digit is none, as ROUGE reads it: an example
    ROUGE finds without highlights gets no reference-side check scores either."""
    return [(e.story, list(s.bullets), worded(e.reference_bullets) or None)
            for e, s in zip(examples, summaries)]


def _finite(values: dict[str, Any]) -> dict[str, Any]:
    """A value that is not a finite number (NaN, infinity) as None, no value: what the run
    files and the score cache hold for it (fastjson writes it as null), so a row is the
    same fresh, cached, or sent from a Ray worker. When the values sum to a finite number
    each is finite (an infinity or a NaN anywhere makes the sum infinite or NaN), and
    they are copied as they are: one C call instead of a test per value."""
    try:
        if math.isfinite(sum(values.values())):
            return dict(values)
    except TypeError:   # a None or a non-number among them
        pass
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in values.items()}


class Scorer:
    """Scores (example, summary) pairs through the score cache (kept only when some
    metric or check is `worth_caching`): only pairs never scored with this exact setup
    are computed, and only their stories are analysed by the checks
    (story NER persisted in `checks_folder` as it is done, shared by every run and
    summarizer). `score` is the local backend's whole cache-then-score step; the Ray
    backend uses `CachedScores` with `score_new` on its workers."""

    def __init__(self, metrics: list, checks: list, *, cache: ScoreCache | None = None,
                 checks_folder: Path | None = None):
        self.metrics = [adopt(metric, Metric) for metric in metrics]
        self.checks = [adopt(check, Check) for check in checks]
        worth_caching = any(s.worth_caching for s in self.metrics + self.checks)
        self.cache = cache if worth_caching else None
        # whether `score_new` may run on a worker thread beside the run's other work
        self.background_safe = all(s.background_safe for s in self.metrics + self.checks)
        self.checks_folder = checks_folder
        self.fingerprint = scoring_fingerprint(
            [RULES_SIGNATURE, *(m.signature() for m in self.metrics + self.checks)])
        self._check_folder_used = False

    def score(self, pairs: Sequence[tuple[Example, Summary]]) -> list[dict[str, Any]]:
        """One row {"scores", "findings", "supported"} per pair, in order."""
        step = CachedScores(self.fingerprint, self.cache, pairs)
        return list(step.in_order([self.score_new(step.todo)] if step.todo else []))

    def score_new(self, pairs: Sequence[tuple[Example, Summary]]) -> list[dict[str, Any]]:
        """The rows of these pairs, computed now (the cache is neither read nor written)."""
        self._use_check_folder()
        scored = score_batch([e for e, _ in pairs], [s for _, s in pairs], self.metrics,
                             self.checks)
        return [{"scores": _finite(values), **_findings(results)} for values, results in scored]

    def _use_check_folder(self) -> None:
        """Point checks that keep per-story analyses (the entity check's story NER) at
        `checks_folder`, once: they look stories up there and add new ones as they go."""
        if self.checks_folder and not self._check_folder_used:
            for check in self.checks:
                check.load_cache(self.checks_folder)
        self._check_folder_used = True


def _findings(results: list[CheckResult]) -> dict[str, list]:
    return {"findings": [f.to_dict() for r in results for f in r.findings],
            "supported": [s.to_dict() for r in results for s in r.supported]}
