"""`summcheck compare`: paired differences between run folders, B - A on shared examples.

The first run is the reference A; every other run is a B compared with it. For each
summarizer in both runs (or the only summarizer of each, when their labels differ) and each
metric, the delta is the mean of per-example differences over the examples both runs
scored, with a seeded paired-bootstrap interval (n and seed from A's spec bootstrap
section, level 1 - alpha; descriptive) and the p-value of a paired permutation test.
Every row of every B is one family: p-values are Holm-adjusted over all of them, and a
winner is named only when the adjusted p < alpha. Rows with too few differing examples
for any p to reach alpha say so instead. Differing example sets and differing metric
signatures are reported as warnings, never silently dropped.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Sequence

from .artifacts import finite_or_none, load_run, write_atomic, write_json
from .errors import SummcheckError
from .metric_kinds import direction
from .paired import (HEADLINE_METRICS, Paired, ScoreSet, example_warnings,
                     failure_lines, format_interval, format_p, pair_labels, paired_delta,
                     refuse_mixed_support_methods, refuse_nothing_comparable,
                     scoreset_from_run, signature_warnings, too_small_text,
                     unknown_metric_error, without_changed_examples)
from .stats import holm, holm_floors, paired_test_settings, resamples_for
from .text import percent

NO_DIFFERENCE = "no significant difference"


@dataclass(frozen=True)
class Row:
    summarizer_a: str
    summarizer_b: str
    metric: str
    n_shared: int
    only_a: int
    only_b: int
    mean_a: float
    mean_b: float
    delta: float
    low: float
    high: float
    p_value: float     # two-sided paired permutation test
    p_adjusted: float  # Holm over every row of the comparison (all pairs)
    n_differ: int      # shared examples whose scores differ: the test's effective n
    test: str          # "exact" or "approximate"
    winner: str | None  # "A", "B" or None (not significant, or a metric with no better side)
    winner_name: str | None  # the winning run (same label) or summarizer (labels differ)
    verdict: str


@dataclass(frozen=True)
class PairComparison:
    a: str
    b: str
    rows: list[Row]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    runs: list[str]
    metrics: list[str]
    alpha: float
    bootstrap: dict  # {n, seed, confidence} actually used
    test: dict       # {name, exact_max_pairs, resamples, max_resamples, seed, correction,
                     #  family}
    pairs: list[PairComparison]

    def to_dict(self) -> dict:
        return finite_or_none({"format": "summcheck-compare", "version": 1, **asdict(self)})

    def write_json(self, path: str | Path) -> None:
        write_json(Path(path), self.to_dict())

    def write_markdown(self, path: str | Path) -> None:
        write_atomic(Path(path), self.to_markdown())

    def to_markdown(self) -> str:
        boot, test = self.bootstrap, self.test
        lines = ["# summcheck compare", "",
                 f"A (reference): `{self.runs[0]}`", "",
                 f"delta = B - A, paired over the examples both runs scored (means are over "
                 f"those examples), with its {percent(boot['confidence'])} paired-bootstrap "
                 "interval "
                 f"(n={boot['n']}, seed={boot['seed']}; descriptive, not adjusted). p: "
                 f"{test['name']}; in brackets Holm-adjusted over the {test['family']} "
                 f"comparisons below. A winner only when the adjusted p < {self.alpha:g}.", ""]
        for pair in self.pairs:
            lines += _pair_markdown(pair, self.bootstrap)
        return "\n".join(lines)


def compare_runs(run_dirs: Sequence[str | Path], metrics: list[str] | None = None,
                 alpha: float = 0.05) -> Comparison:
    if len(run_dirs) < 2:
        raise SummcheckError("compare needs at least two run folders (the first is the reference).")
    if not 0 < alpha < 1:
        raise SummcheckError(f"--alpha must be between 0 and 1 (got {alpha}).")
    sets = _distinct_names([scoreset_from_run(load_run(d)) for d in run_dirs])
    return compare_sets(sets, metrics, alpha)


def _distinct_names(sets: list[ScoreSet]) -> list[ScoreSet]:
    """The runs, those sharing a run name (the same config run before and after a change)
    told apart as "name #k" by their place on the command line, as the reports do: with
    one name, "B better: default-0b39", "3 only in default-0b39, 2 only in default-0b39"
    named neither run."""
    names = [s.name for s in sets]
    return [s if names.count(s.name) == 1 else replace(s, name=f"{s.name} #{i}")
            for i, s in enumerate(sets, 1)]


def compare_sets(sets: Sequence[ScoreSet], metrics: list[str] | None = None,
                 alpha: float = 0.05) -> Comparison:
    """`compare_runs` of runs already read (the first is A), e.g. built in memory by a
    simulation of the verdicts (benchmarks/null_verdicts.py)."""
    sets = list(sets)
    chosen = _choose_metrics(sets, metrics)
    boot = sets[0].bootstrap
    settings = {"n": int(boot.get("n", 1000)), "seed": int(boot.get("seed", 0)),
                "confidence": 1 - alpha}
    for b in sets[1:]:
        refuse_mixed_support_methods(sets[0], b, chosen)
        refuse_nothing_comparable(sets[0], b)
    # at most this many rows: their Holm family sets how far a test may draw
    most = resamples_for(sum(len(pair_labels(sets[0], b)) for b in sets[1:]) * len(chosen),
                         alpha)
    measured = [_measure_pair(sets[0], b, chosen, settings, most) for b in sets[1:]]
    if not any(paired.n_shared for pair in measured for _, _, paired in pair.items):
        raise SummcheckError("nothing to compare: " + "; ".join(
            w.removeprefix("WARNING: ") for pair in measured for w in pair.warnings
            if w.startswith("WARNING")) + ". Compare runs with summarizers and metrics "
            "in common.")
    raw = [paired.result.p_value for pair in measured for _, _, paired in pair.items]
    adjusted = iter(holm(raw))
    floors = iter(holm_floors(raw, [paired.result.test.min_p for pair in measured
                                    for _, _, paired in pair.items]))
    family = sum(not math.isnan(p) for p in raw)
    pairs = [PairComparison(pair.a.name, pair.b.name,
                            [_row(labels, metric, paired, (next(adjusted), next(floors)),
                                  family, alpha, (pair.a.name, pair.b.name))
                             for labels, metric, paired in pair.items],
                            pair.warnings, pair.notes) for pair in measured]
    test = {**paired_test_settings(settings["seed"], most), "family": family}
    return Comparison([s.name for s in sets], chosen, alpha, settings, test, pairs)


def _choose_metrics(sets: list[ScoreSet], metrics: list[str] | None) -> list[str]:
    known = set().union(*(s.metrics() for s in sets))
    if not metrics:
        return [m for m in HEADLINE_METRICS if m in known]
    for metric in metrics:
        if metric not in known:
            raise unknown_metric_error(metric, known, "--metric")
    return list(dict.fromkeys(metrics))


@dataclass(frozen=True)
class _Measured:
    """One B against A before the family's correction: (labels, metric, paired) items."""

    a: ScoreSet
    b: ScoreSet
    items: list[tuple[tuple[str, str], str, Paired]]
    warnings: list[str]
    notes: list[str]


def _measure_pair(a: ScoreSet, b: ScoreSet, metrics: list[str], settings: dict,
                  max_resamples: int) -> _Measured:
    warnings = example_warnings(a, b)
    labels = pair_labels(a, b)
    a, b = without_changed_examples(a, b)
    if not labels:
        warnings.append(f"WARNING: no summarizer in common ({a.name}: {', '.join(a.labels())}; "
                        f"{b.name}: {', '.join(b.labels())}); nothing compared")
    items = []
    for label_a, label_b in labels:
        for metric in metrics:
            va, vb = a.values[label_a].get(metric), b.values[label_b].get(metric)
            if not va or not vb:
                missing = a.name if not va else b.name
                warnings.append(f"WARNING: {label_a} {metric}: no values in {missing}; not compared")
                continue
            paired = paired_delta(va, vb, n_bootstrap=settings["n"], seed=settings["seed"],
                                  confidence=settings["confidence"],
                                  max_resamples=max_resamples)
            if paired.n_shared == 0:
                warnings.append(f"WARNING: {label_a} {metric}: no shared examples; not compared")
            items.append(((label_a, label_b), metric, paired))
    compared = list(dict.fromkeys(metric for _, metric, _ in items))
    warnings = signature_warnings(a, b, compared) + warnings + failure_lines(a, b, labels)
    return _Measured(a, b, items, warnings, _notes(a, b, labels))


def _row(labels: tuple[str, str], metric: str, paired: Paired,
         adjusted: tuple[float, float], family: int, alpha: float,
         run_names: tuple[str, str]) -> Row:
    """`adjusted`: the row's Holm-adjusted p and the smallest it could have had
    (stats.holm_floors); at or above alpha, its n is too small to rank in this family."""
    r = paired.result
    p_adjusted, floor = adjusted
    winner, winner_name, verdict = None, None, NO_DIFFERENCE
    if paired.n_shared == 0:
        verdict = "no shared examples"
    elif r.test.too_small(alpha, floor):
        verdict = too_small_text(r.n, r.test.n_nonzero, r.test.min_p, alpha, floor, family)
    elif p_adjusted < alpha and direction(metric) == 0:
        verdict = f"{'B' if r.delta > 0 else 'A'} higher (a count: no better side)"
    elif p_adjusted < alpha:
        winner = "B" if direction(metric) * r.delta > 0 else "A"
        names = run_names if labels[0] == labels[1] else labels
        winner_name = names[winner == "B"]
        verdict = f"{winner} better: {winner_name}"
    return Row(*labels, metric, paired.n_shared, paired.only_a, paired.only_b, paired.mean_a,
               paired.mean_b, r.delta, r.low, r.high, r.p_value, p_adjusted,
               r.test.n_nonzero, r.test.method, winner, winner_name, verdict)


def _notes(a: ScoreSet, b: ScoreSet, labels: list[tuple[str, str]]) -> list[str]:
    notes = []
    paired_a, paired_b = {la for la, _ in labels}, {lb for _, lb in labels}
    only_a = [la for la in a.labels() if la not in paired_a]
    only_b = [lb for lb in b.labels() if lb not in paired_b]
    if only_a or only_b:
        notes.append(f"not compared (summarizer in one run only): "
                     f"{a.name}: {', '.join(only_a) or '-'}; {b.name}: {', '.join(only_b) or '-'}")
    for family in ("aggregation", "environment"):
        sig_a, sig_b = a.signatures.get(family), b.signatures.get(family)
        if sig_a and sig_b and sig_a != sig_b:
            notes.append(f"{family} signatures differ: {sig_a} vs {sig_b}")
    return notes


def _pair_markdown(pair: PairComparison, boot: dict) -> list[str]:
    level = percent(boot['confidence'])
    lines = [f"## B: `{pair.b}`", ""]
    lines += [f"> **{w}**  " for w in pair.warnings] + ([""] if pair.warnings else [])
    lines += ["| summarizer | metric | A mean | B mean | delta [" + level + " CI] | p (Holm) "
              "| n | verdict |",
              "|---|---|---:|---:|---|---:|---:|---|"]
    for row in pair.rows:
        name = row.summarizer_a if row.summarizer_a == row.summarizer_b else \
            f"{row.summarizer_a} → {row.summarizer_b}"
        verdict = f"**{row.verdict}**" if row.winner else row.verdict
        lines.append(f"| {name} | {row.metric} | {_f(row.mean_a)} | {_f(row.mean_b)} | "
                     f"{_f(row.delta, '+')} {format_interval(row.low, row.high, row.n_shared)} | "
                     f"{format_p(row.p_value)} ({format_p(row.p_adjusted)}) | {_n(row)} | "
                     f"{verdict} |")
    lines += [""] + [f"- {note}" for note in pair.notes] + ([""] if pair.notes else [])
    return lines


def _n(row: Row) -> str:
    if not row.only_a and not row.only_b:
        return str(row.n_shared)
    return f"{row.n_shared} ({row.only_a} only A, {row.only_b} only B)"


def _f(value: float, sign: str = "") -> str:
    return "n/a" if math.isnan(value) else f"{value:{sign}.3f}"



