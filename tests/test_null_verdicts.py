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
from hypothesis import given, settings
from hypothesis import strategies as st

# The repository root first: pysbd installs a top-level package also named `benchmarks`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.null_verdicts import (ALPHA, WORKLOADS, Scores, compare_false,  # noqa: E402
                                      compare_rows, gate_rows_of, regress_fails, run_data,
                                      star_given)
from summcheck.paired import HEADLINE_METRICS  # noqa: E402
from summcheck.regress import REGRESSED  # noqa: E402
from summcheck.reports.model_table import build_table  # noqa: E402

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


# ---------------------------------------------------------------- one pair, three commands
def _shuffled(run_scores: Scores, order: np.ndarray) -> Scores:
    return {m: v[order] for m, v in run_scores.items()}


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(WORKLOADS)), st.sampled_from([6, 12, 40]),
       st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.05]))
def test_compare_regress_and_the_star_agree_on_one_pair(workload, n, seed, shift):
    """For the same two runs and metric the three commands pair the same examples and
    give the same raw p; swapping A and B flips the delta and the winner and keeps p;
    a run against itself is delta 0, p 1, no winner, PASS and no star."""
    rng = np.random.default_rng(seed)
    a, b = WORKLOADS[workload](rng, n, 2)
    b = {m: np.clip(v + shift, 0, 1) for m, v in b.items()}
    four = list(HEADLINE_METRICS)
    run_a, run_b = run_data("A", {"s": a}), run_data("B", {"s": b})
    forward, backward = compare_rows(run_a, run_b, four), compare_rows(run_b, run_a, four)
    gate = {row.metric: row for row in gate_rows_of(run_a, run_b, four)}
    stars = build_table([run_data("R", {"a": a, "b": b})])
    for f, r in zip(forward, backward):
        assert (f.metric, f.n_shared, f.p_value, f.p_adjusted) == (r.metric, r.n_shared,
                                                                  r.p_value, r.p_adjusted)
        assert f.delta == -r.delta and {f.winner, r.winner} in ({None}, {"A", "B"})
        assert f.winner_name == r.winner_name
        assert (gate[f.metric].p_value, gate[f.metric].n_shared) == (f.p_value, f.n_shared)
        assert gate[f.metric].delta == f.delta
        verdict = stars.verdicts[f.metric]
        assert verdict.n == f.n_shared and verdict.p_adjusted == pytest.approx(f.p_adjusted)
        assert (verdict.best is not None) == (f.winner is not None)
    # the same run, its rows reordered and its ids renamed
    order = rng.permutation(n)
    copy = run_data("A2", {"s": _shuffled(a, order)})
    for row in compare_rows(run_a, run_a, four) + compare_rows(copy, copy, four):
        assert (row.delta, row.p_value, row.winner) == (0, 1, None)
    assert not any(row.verdict == REGRESSED or row.verdict == "improved"
                   for row in gate_rows_of(run_a, run_a, four))
    assert not star_given(run_data("R", {"a": a, "a2": a}))
    moved = run_data("B2", {"s": _shuffled(b, order)})
    moved_a = run_data("A2", {"s": _shuffled(a, order)})
    for f, m in zip(forward, compare_rows(moved_a, moved, four)):
        assert (f.p_value, f.n_shared, f.winner) == (m.p_value, m.n_shared, m.winner)
        assert f.delta == pytest.approx(m.delta, abs=1e-12)
