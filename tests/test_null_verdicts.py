"""Under a true null, compare's winners, regress's failures and the report's stars are
false verdicts: at alpha 0.05 (with Holm over the four headline metrics) they must not
come more often than 5% of the time, beyond Monte Carlo error. The runs are built in
memory and go through the functions the commands call (benchmarks/null_verdicts.py;
its results file has the figures for 2,000 draws per cell)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

# The repository root first: pysbd installs a top-level package also named `benchmarks`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.null_verdicts import (ALPHA, WORKLOADS, compare_false,  # noqa: E402
                                      regress_fails, run_data, star_given)
from summcheck.paired import HEADLINE_METRICS  # noqa: E402

TRIALS = 150   # per n; the workloads take turns


def false_verdicts(n: int, trials: int = TRIALS) -> dict[str, int]:
    rng = np.random.default_rng(n)
    draws = list(WORKLOADS.values())
    four = list(HEADLINE_METRICS)
    counts = dict.fromkeys(["compare, rouge2_f", "compare, 4 metrics",
                            "regress, 4 metrics, drop 0", "star, 4 metrics"], 0)
    for t in range(trials):
        a, b = draws[t % len(draws)](rng, n, 2)
        run_a, run_b = run_data("A", {"s": a}), run_data("B", {"s": b})
        counts["compare, rouge2_f"] += compare_false(run_a, run_b, ["rouge2_f"])
        counts["compare, 4 metrics"] += compare_false(run_a, run_b, four)
        counts["regress, 4 metrics, drop 0"] += regress_fails(run_a, run_b, four, 0.0)
        counts["star, 4 metrics"] += star_given(run_data("R", {"a": a, "b": b}))
    return counts


@pytest.fixture(scope="module")
def null_counts():
    return {n: false_verdicts(n) for n in (10, 30, 100)}


def bound(trials: int) -> float:
    """alpha plus 3 standard errors of a share near alpha over `trials` draws."""
    return ALPHA + 3 * (ALPHA * (1 - ALPHA) / trials) ** 0.5


@pytest.mark.parametrize("n", [10, 30, 100])
def test_no_command_calls_a_null_difference_significant_more_than_alpha(null_counts, n):
    for kind, k in null_counts[n].items():
        assert k / TRIALS <= bound(TRIALS), (kind, n, k)


def test_pooled_over_n_the_false_verdicts_stay_within_alpha(null_counts):
    """450 draws: a verdict rule off by a few points (no Holm over the four metrics, a
    bootstrap p at n = 10) shows here."""
    total = TRIALS * len(null_counts)
    for kind in next(iter(null_counts.values())):
        k = sum(counts[kind] for counts in null_counts.values())
        assert k / total <= bound(total), (kind, k, total)


def test_the_null_draws_are_not_trivially_quiet(null_counts):
    """The check above means something only if the single-metric comparison does reject
    now and then (about alpha): a generator of identical runs would pass it vacuously."""
    total = TRIALS * len(null_counts)
    k = sum(counts["compare, rouge2_f"] for counts in null_counts.values())
    assert k / total >= 0.01
