"""The paired permutation test and Holm's correction: validity under a true null, the
smallest attainable p at small n, and properties (range, symmetry, order, brute force)."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summcheck.paired import paired_delta
from summcheck.stats import (EXACT_MAX_PAIRS, PERMUTATIONS, holm, holm_floors, permutation_test,
                             resamples_for)

SCORES = st.lists(st.floats(0, 1, allow_nan=False), min_size=0, max_size=40)


def rouge_like_null(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two systems with the same per-example distribution: a skewed example difficulty,
    per-system noise, clipped to [0, 1] and rounded (ties and exact zeros happen)."""
    difficulty = rng.beta(2, 5, size=n)
    a, b = (np.round(np.clip(difficulty + rng.normal(0, 0.08, n), 0, 1), 2) for _ in range(2))
    return a, b


def null_rejections(n: int, trials: int, alpha: float, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for t in range(trials):
        a, b = rouge_like_null(rng, n)
        hits += permutation_test(b - a, seed=t, resamples=999).p_value < alpha
    return hits / trials


@pytest.mark.parametrize("n", [20, 60])    # exact and approximate randomization
def test_false_positive_rate_under_a_true_null_is_bounded(n):
    """1,000 null comparisons: a valid test rejects about 5%; the bound allows binomial
    noise (sd 0.7 points), not a test that is off."""
    assert null_rejections(n, trials=1000, alpha=0.05) <= 0.08


def test_five_pairs_never_reach_below_one_sixteenth():
    rng = np.random.default_rng(1)
    for _ in range(200):
        a, b = rouge_like_null(rng, 5)
        result = permutation_test(b - a)
        assert result.p_value >= 0.0625 or result.n_nonzero == 0
    better = permutation_test([0.1, 0.2, 0.3, 0.05, 0.4])
    assert (better.p_value, better.min_p, better.method) == (0.0625, 0.0625, "exact")
    assert better.too_small(0.05) and not better.too_small(0.1)


def test_zero_differences_flip_to_themselves():
    """Zeros carry no sign: 5 differing pairs among 20 behave as 5 pairs."""
    result = permutation_test([0.0] * 15 + [0.1] * 5)
    assert (result.n_nonzero, result.p_value, result.min_p) == (5, 0.0625, 0.0625)
    assert permutation_test([0.0] * 8).p_value == 1.0


def brute_force_p(diffs: list[float]) -> float:
    d = np.asarray(diffs)
    observed = abs(math.fsum(d)) - 1e-9 * np.abs(d).sum()
    signs = itertools.product((1, -1), repeat=len(d))
    flips = [abs(np.dot(s, d)) >= observed for s in signs]
    return sum(flips) / len(flips)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([-0.3, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2, 0.25]), max_size=10)
       | st.lists(st.floats(-1, 1, allow_nan=False), max_size=10))
def test_exact_p_matches_brute_force_enumeration(diffs):
    if not diffs:
        return
    assert permutation_test(diffs).p_value == pytest.approx(brute_force_p(diffs), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(SCORES, st.data())
def test_p_is_in_0_1_and_symmetric_under_swapping(a, data):
    b = data.draw(st.lists(st.floats(0, 1, allow_nan=False), min_size=len(a), max_size=len(a)))
    forward = permutation_test(np.subtract(b, a), seed=3, resamples=199)
    backward = permutation_test(np.subtract(a, b), seed=3, resamples=199)
    assert 0 < forward.p_value <= 1
    assert forward == backward
    if forward.method == "approximate":
        assert forward.p_value >= 1 / 200


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1, allow_nan=False), st.floats(0, 1, allow_nan=False)),
                min_size=1, max_size=45), st.randoms(use_true_random=False))
def test_renaming_and_reordering_examples_changes_nothing(pairs, random):
    """Also in the approximate branch (more than EXACT_MAX_PAIRS pairs), same seed."""
    ids = [f"ex-{i:03d}" for i in range(len(pairs))]
    renamed = ids[:]
    random.shuffle(renamed)
    kw = {"n_bootstrap": 50, "seed": 0, "confidence": 0.95}
    before = paired_delta({i: a for i, (a, _) in zip(ids, pairs)},
                          {i: b for i, (_, b) in zip(ids, pairs)}, **kw).result
    after = paired_delta({i: a for i, (a, _) in zip(renamed, pairs)},
                         {i: b for i, (_, b) in zip(renamed, pairs)}, **kw).result
    assert before.test == after.test
    assert before.delta == pytest.approx(after.delta)


def test_approximate_randomization_is_seeded_and_never_zero():
    diffs = np.linspace(0.01, 0.02, EXACT_MAX_PAIRS + 10)   # all one sign: extreme
    result = permutation_test(diffs, seed=5, resamples=999)
    assert result.method == "approximate" and result.p_value == 1 / 1000
    noisy = np.random.default_rng(0).normal(0, 0.1, 200)
    assert permutation_test(noisy, seed=1) == permutation_test(noisy, seed=1)
    assert permutation_test(noisy, seed=1) != permutation_test(noisy, seed=2)


def test_exact_and_approximate_agree_near_the_cutoff():
    diffs = np.random.default_rng(2).normal(0.03, 0.1, EXACT_MAX_PAIRS)
    exact = permutation_test(diffs)
    approx = permutation_test(np.append(diffs, 1e-12), resamples=20_000)
    assert exact.method == "exact" and approx.method == "approximate"
    assert approx.p_value == pytest.approx(exact.p_value, abs=0.01)


def test_holm_adjusts_step_down_and_skips_nan():
    raw = [0.01, 0.04, 0.03, float("nan"), 0.5]
    adjusted = holm(raw)
    assert adjusted[:3] == pytest.approx([0.04, 0.09, 0.09])   # 4 x 0.01; max(3 x .03, 2 x .04)
    assert math.isnan(adjusted[3]) and adjusted[4] == 0.5
    assert holm([0.3, 0.6]) == [0.6, 0.6] and holm([]) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.integers(0, 12)), min_size=1, max_size=8))
def test_holm_floor_is_the_best_a_member_could_get_in_its_family(members):
    """holm_floors[i]: member i's adjusted p had its test come out at its smallest
    possible p (2/2^m), the others unchanged. It bounds what any outcome of that test
    could give, so a row is "too small to rank" exactly when it is >= alpha."""
    p_values = [max(p, 2.0 / 2 ** m) if m else 1.0 for p, m in members]
    min_ps = [2.0 / 2 ** m if m else 1.0 for _, m in members]
    adjusted, floors = holm(p_values), holm_floors(p_values, min_ps)
    for i, (floor, low) in enumerate(zip(floors, min_ps)):
        assert low <= floor + 1e-12 and floor <= adjusted[i] + 1e-12
        for better in (low, (low + p_values[i]) / 2):   # any outcome at least as extreme
            trial = list(p_values)
            trial[i] = better
            assert holm(trial)[i] >= floor - 1e-12
    if len(members) == 1:
        assert floors == [min_ps[0]]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=40)
       | st.lists(st.floats(0.01, 1), min_size=EXACT_MAX_PAIRS + 1, max_size=40),
       st.integers(0, 3))
def test_no_outcome_of_either_test_is_below_its_stated_smallest_p(diffs, seed):
    """The approximate test's p is at least 1/(1+R); its min_p said 2/2^m, so a Holm family
    that could never reach alpha was not called "too small to rank"."""
    result = permutation_test(diffs, seed=seed, resamples=999)
    assert result.p_value >= result.min_p
    if result.method == "approximate":
        assert result.min_p == max(2.0 / 2 ** result.n_nonzero, 1 / 1000)
    worst = permutation_test([abs(d) + 0.5 for d in diffs], seed=seed, resamples=999)
    assert worst.p_value == pytest.approx(worst.min_p)   # all one sign: the smallest p


@settings(max_examples=300, deadline=None)
@given(st.floats(1e-4, 1.0), st.sampled_from([0.05, 0.01, 0.1, 0.0625, 0.001]))
def test_a_printed_p_is_on_the_same_side_of_alpha_as_the_p(p, alpha):
    from summcheck.paired import format_p

    assert (float(format_p(p)) < alpha) == (p < alpha)
    assert format_p(500 / 10001) == "0.0499" and format_p(0.0625) == "0.0625"


def test_a_large_family_lets_its_tests_draw_far_enough_to_reach_alpha():
    """resamples_for: the family's smallest adjusted p, family / (1 + R), at most alpha/4;
    the usual families keep R = 10,000."""
    assert resamples_for(1, 0.05) == resamples_for(125, 0.05) == PERMUTATIONS
    for family, alpha in [(126, 0.05), (506, 0.05), (2000, 0.01), (40, 0.001)]:
        total = resamples_for(family, alpha)
        assert family / (1 + total) <= alpha / 4 and total % PERMUTATIONS == 0
    diffs = np.linspace(0.01, 0.02, 60)                  # every flip less extreme
    drawn_on = permutation_test(diffs, max_resamples=50_000)
    assert drawn_on.p_value == drawn_on.min_p == 1 / 50_001
    noisy = np.random.default_rng(0).normal(0, 0.1, 60)  # p far above the refine cut
    assert permutation_test(noisy, max_resamples=50_000).p_value == permutation_test(noisy).p_value


def test_drawing_on_where_the_first_flips_are_extreme_keeps_the_p_valid():
    """Going on from 99 to 999 flips when at most 9 of the first 99 were as extreme (the
    rule at R = 10,000 scaled down, so that small p are common enough to count): under a
    true null P(p <= x) stays <= x, also for x between the two resolutions."""
    rng = np.random.default_rng(7)
    ps = []
    for t in range(3000):
        a, b = rouge_like_null(rng, 40)
        ps.append(permutation_test(b - a, seed=t, resamples=99, max_resamples=999).p_value)
    ps = np.array(ps)
    for x in (0.004, 0.01, 0.02, 0.05, 0.1, 0.2):
        assert np.mean(ps <= x) <= x + 3 * math.sqrt(x * (1 - x) / len(ps)), x
