"""Seeded bootstrap intervals, the paired permutation test and Holm's correction.

rouge_score's BootstrapAggregator draws from the global unseeded RNG and reports the
median of bootstrap means; here the point estimate is the plain mean, the interval an
expanded percentile bootstrap (`interval_levels`) from numpy's seeded Generator, so the
same seed gives the same CI.

Intervals describe; verdicts come from p-values of a paired sign-flip permutation test
(exact when it is cheap, else seeded approximate randomization), which stays valid at any
n. A bootstrap p-value does not: with 5 pairs it can print 0 where the smallest p any
valid two-sided test can reach is 2/2^5 = 0.0625.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Aggregate:
    mean: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict:
        return asdict(self)


_CHUNK_ELEMENTS = 500_000   # resample indices drawn at a time (4 MB), whatever n is


def _resample_means(values: np.ndarray, n_bootstrap: int, seed: int) -> np.ndarray:
    """Means of `n_bootstrap` resamples of each column of `values` (n,) or (n, m).

    The resample indices come from one seeded draw of shape (n_bootstrap, n), taken in
    chunks of rows (the same stream numpy gives for one big draw), and are turned into
    per-row counts so every column reuses them: memory stays flat in n and one draw
    serves all the metrics of a summarizer. The chunks are drawn in this thread: drawn
    ahead on a second thread (83845c4; 2-3 s of 32 s saved at 1M rows) they came from
    that thread's malloc arena, which still held 31 MB after a 1M-row bootstrap (2 MB
    when drawn here), memory the reports after it could not reuse."""
    matrix = values.reshape(len(values), -1)
    n = len(matrix)
    rng = np.random.default_rng(seed)
    rows_per_chunk = max(1, _CHUNK_ELEMENTS // n)
    means = []
    for start in range(0, n_bootstrap, rows_per_chunk):
        idx = rng.integers(0, n, size=(min(rows_per_chunk, n_bootstrap - start), n))
        counts = np.stack([np.bincount(row, minlength=n) for row in idx])
        del idx
        means.append(counts @ matrix / n)
    out = np.concatenate(means)
    return out[:, 0] if values.ndim == 1 else out


def interval_levels(n: int, confidence: float) -> tuple[float, float]:
    """The quantiles of the bootstrap means that bound the interval of a mean of n values:
    Hesterberg's expanded percentile interval (The American Statistician 69(4), 2015),
    tail = Phi(-sqrt(n / (n - 1)) t_{n-1}), with t the Student quantile of the confidence.
    The plain percentile interval, (1 - confidence) / 2, is too narrow on few examples:
    for continuous scores at n = 10 its 95% held the mean in 89-90% of draws, this one in
    94% (benchmarks/results/interval_coverage.md, both on the same draws). Neither
    helps scores that rarely differ (0/1 outcomes, mostly tied pairs): at small n no
    resample sees the rare value. Written here: scipy's `bootstrap` has percentile, basic
    and BCa intervals, not this one."""
    tail = (1 - confidence) / 2
    if n < 2:
        return tail, 1 - tail
    from scipy.special import stdtrit    # Student t quantile; imported only when needed

    z = math.sqrt(n / (n - 1)) * float(stdtrit(n - 1, 1 - tail))
    tail = 0.5 * math.erfc(z / math.sqrt(2))     # Phi(-z)
    return tail, 1 - tail


def aggregate(values: Sequence[float], *, n_bootstrap: int = 1000, seed: int = 0,
              confidence: float = 0.95) -> Aggregate:
    """Mean with an expanded percentile-bootstrap interval (`interval_levels`); no
    interval (NaN) from fewer than 2 values. NaN/None values are not applicable and
    skipped. Both are functions of the values' multiset: the same in any order."""
    if isinstance(values, np.ndarray):   # e.g. a column of a memory-mapped matrix:
        arr = np.asarray(values, dtype=float)   # no Python float per row
    else:
        arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[~np.isnan(arr)]   # a copy, so sorted in place into the canonical order
    arr.sort()                  # (`_sorted_columns`)
    if len(arr) == 0:
        return Aggregate(float("nan"), float("nan"), float("nan"), 0)
    means = _resample_means(arr, n_bootstrap, seed)
    low, high = np.quantile(means, interval_levels(len(arr), confidence))
    return _bracketed(float(arr.mean()), float(low), float(high), len(arr))


def _bracketed(mean: float, low: float, high: float, n: int) -> Aggregate:
    """The aggregate with its interval widened to hold the mean where float rounding left
    the mean outside it (equal values: the resampled means and the mean are summed in other
    orders, e.g. mean 0.59259...24 against low = high = 0.59259...26). A report's error bar
    of negative length was a crash; an interval beside its mean reads as wrong.

    One value makes no interval: low and high are NaN (null in results.json), as
    `paired_test` gives; every resample of one value is that value, and results.json said
    low = high = mean, a 95% interval of width 0, where the tables print "no interval"."""
    if n < 2:
        return Aggregate(mean, float("nan"), float("nan"), n)
    return Aggregate(mean, min(low, mean), max(high, mean), n)


def aggregate_columns(columns: dict[str, np.ndarray], *, n_bootstrap: int = 1000,
                      seed: int = 0, confidence: float = 0.95) -> dict[str, Aggregate]:
    """`aggregate` for many metrics at once, with the same results: columns without
    missing (NaN) values share one bootstrap draw, the others are done one by one."""
    full = {k: np.asarray(v, dtype=float) for k, v in columns.items()}
    dense = [k for k, v in full.items() if len(v) and not np.isnan(v).any()]
    out = {k: aggregate(v, n_bootstrap=n_bootstrap, seed=seed, confidence=confidence)
           for k, v in full.items() if k not in dense}
    if dense:
        matrix = np.column_stack([full[k] for k in dense])
        out.update(_dense_aggregates(matrix, dense, n_bootstrap, seed, confidence))
    return {k: out[k] for k in columns}


def aggregate_matrix(matrix: np.ndarray, names: Sequence[str], *, n_bootstrap: int = 1000,
                     seed: int = 0, confidence: float = 0.95) -> dict[str, Aggregate]:
    """`aggregate_columns` of the columns of a (rows, len(names)) matrix, e.g. one
    memory-mapped from a file, with the same results. Without missing values the matrix
    is used as it is (never copied, so memory stays flat in the rows); with them, each
    column is taken out as `aggregate_columns` takes it."""
    block = 1 << 16   # rows looked at a time for NaN: no matrix-sized temporary
    if len(matrix) and not any(np.isnan(matrix[i:i + block]).any()
                               for i in range(0, len(matrix), block)):
        return _dense_aggregates(matrix, list(names), n_bootstrap, seed, confidence)
    return aggregate_columns({k: matrix[:, j] for j, k in enumerate(names)},
                             n_bootstrap=n_bootstrap, seed=seed, confidence=confidence)


def _dense_aggregates(matrix: np.ndarray, names: list[str], n_bootstrap: int, seed: int,
                      confidence: float) -> dict[str, Aggregate]:
    """Mean and expanded percentile interval of each column (no NaN), from one bootstrap
    draw applied to every column in its sorted order (`_sorted_columns`)."""
    columns = _sorted_columns(matrix)
    means = _resample_means(columns.T, n_bootstrap, seed)
    bounds = np.quantile(means, interval_levels(len(matrix), confidence), axis=0)
    return {k: _bracketed(float(columns[j].mean()), float(bounds[0, j]),
                          float(bounds[1, j]), len(matrix)) for j, k in enumerate(names)}


_IN_MEMORY_VALUES = 1 << 22   # sorted in memory up to 32 MB of values, else in a scratch file


def _sorted_columns(matrix: np.ndarray) -> np.ndarray:
    """The (columns, rows) table of each column of `matrix` sorted ascending.

    The bootstrap draws rows by position, so resampling the rows as given made an
    interval move with the rows' order and (in compare and regress, which pair by id)
    with the ids, by the bootstrap's own noise, and a mean differ in its last bits.
    Sorted, each column's mean and interval are functions of its values alone: the same,
    bit for bit, for the rows in any order, and (to the last bits of a matrix product of
    another shape) whatever other columns the run measured. A big or
    memory-mapped matrix is sorted into a scratch file (page cache, not the process's
    memory), a column at a time."""
    n, m = matrix.shape
    if not isinstance(matrix, np.memmap) and n * m <= _IN_MEMORY_VALUES:
        columns = np.array(matrix.T, order="C")
    else:
        from . import scratch

        columns = scratch.zeros((m, n), np.float64)
        for rows in scratch.blocks(n):
            columns[:, rows] = matrix[rows].T
    for column in columns:
        column.sort()
    return columns


# Exact (no Monte Carlo error) while it costs no more than the random flips: up to 24
# non-zero differences, meeting in the middle sums 2 x 2^12 sign patterns, about the time
# of 10,000 random flips (benchmarks/results/calibration.md times both sides of the
# cutoff); every 2 more pairs double the exact cost.
EXACT_MAX_PAIRS = 24
PERMUTATIONS = 10_000   # random sign flips beyond it (sacrebleu's paired-ar default)
# A test whose first PERMUTATIONS flips give p <= REFINE_HITS / (1 + R) (fewer than 10 as
# extreme as the data) goes on to the family's `resamples_for` flips when that is more.
REFINE_HITS = 9


def resamples_for(family: int, alpha: float) -> int:
    """The random sign flips a test of a Holm family of `family` comparisons may go to:
    enough that the family's smallest adjusted p, family / (1 + R), is at most alpha / 4.
    With R fixed at 10,000 a family of 500 or more (a report of 24 models over 22
    metrics) could not reach alpha at any n: a model better on every one of 300
    examples got no star, and the report said "n=300 too small to rank". PERMUTATIONS
    up to 125 comparisons at alpha 0.05 (compare's and regress's defaults: 20), so
    the usual outputs are unchanged; rounded up to a multiple of PERMUTATIONS."""
    needed = math.ceil(4 * family / alpha)
    return max(PERMUTATIONS, -(-needed // PERMUTATIONS) * PERMUTATIONS)


@dataclass(frozen=True)
class PermutationResult:
    p_value: float
    method: str        # "exact" (all 2^m sign flips) or "approximate" (R random ones)
    n_nonzero: int     # m: pairs whose difference is not 0 (a 0 flips to itself)
    min_p: float       # smallest p this n can give: 2/2^m (exact), at least 1/(1+R)
                       # (approximate); 1 when m == 0

    def too_small(self, alpha: float, floor: float | None = None) -> bool:
        """True when some pairs differ but too few for any outcome to reach p < alpha
        (m <= 5 at alpha 0.05) for a test made alone; for one of a Holm family, `floor`
        is its smallest adjusted p (`holm_floors`)."""
        return self.n_nonzero > 0 and (self.min_p if floor is None else floor) >= alpha


def permutation_test(diffs: Sequence[float], *, seed: int = 0, resamples: int = PERMUTATIONS,
                     max_resamples: int | None = None) -> PermutationResult:
    """Two-sided paired sign-flip test of the null that each difference is as likely to
    be positive as negative (symmetric about 0). That implies mean(diffs) = 0, but a
    mean-0 difference that is skewed (most examples a little worse, a few much better)
    is rejected more often than alpha: calibration.md, "realsumm-centred".

    Under the null each difference is as likely to have either sign, so the statistic
    |sum d| is compared with |sum s_i |d_i|| over sign vectors s. It depends only on the
    multiset of |d|, so the p-value is the same when a and b swap or examples are renamed
    or reordered. Exact for up to EXACT_MAX_PAIRS non-zero differences; beyond that
    `resamples` seeded random sign vectors, p = (1 + #{|stat*| >= |stat|}) / (1 + R),
    which is a valid p-value (never 0).

    With `max_resamples` (`resamples_for` a family), a test whose first `resamples`
    flips give at most REFINE_HITS hits draws on from the same stream to max_resamples
    flips, and p counts them all. Still valid, since the rule is fixed in advance: for
    x >= (1 + REFINE_HITS) / (1 + resamples), p <= x only where the first draws alone
    gave p <= x; below that, only where all max_resamples draws did (each a valid
    p-value). `min_p` is then 1 / (1 + max_resamples)."""
    d = np.asarray(diffs, dtype=float)
    magnitudes = np.sort(np.abs(d[d != 0]))
    m = len(magnitudes)
    if m == 0:
        return PermutationResult(1.0, "exact", 0, 1.0)
    # fsum is exactly rounded, so the same in any order and for -d; the signed sums are
    # not, and may miss a tie by rounding: a tie must count as one
    threshold = abs(math.fsum(d)) - 1e-9 * magnitudes.sum()
    total = max(resamples, max_resamples or resamples)
    if m <= EXACT_MAX_PAIRS:
        p = math.ldexp(_exact_tail(magnitudes, threshold), -m)   # count / 2^m
        return PermutationResult(p, "exact", m, smallest_p(m, total))
    rng = np.random.default_rng(seed)
    hits = _random_tail(magnitudes, threshold, rng, resamples)
    drawn = resamples
    if hits <= REFINE_HITS and total > resamples:
        hits += _random_tail(magnitudes, threshold, rng, total - resamples)
        drawn = total
    return PermutationResult((1 + hits) / (1 + drawn), "approximate", m,
                             smallest_p(m, total))


def smallest_p(m: int, resamples: int = PERMUTATIONS) -> float:
    """The smallest p `permutation_test` can give on m non-zero differences, whatever they
    are: 2 / 2^m (0.0 once it underflows) exactly, and no less than 1 / (1 + R) where it
    draws R random flips."""
    if m == 0:
        return 1.0
    exact = math.ldexp(1.0, 1 - m)
    return exact if m <= EXACT_MAX_PAIRS else max(exact, 1 / (1 + resamples))


def _signed_sums(values: np.ndarray) -> np.ndarray:
    """All 2^k sums +-v_1 +-v_2 ... +-v_k, sorted."""
    sums = np.zeros(1)
    for v in values:
        sums = np.concatenate([sums + v, sums - v])
    return np.sort(sums)


def _exact_tail(magnitudes: np.ndarray, threshold: float) -> int:
    """#{sign vectors s: |s . magnitudes| >= threshold}, counted by meeting in the middle:
    the 2^m sums are pairs (x, y) of sums over the two halves, so for each x the y with
    x + y >= t or x + y <= -t are found by binary search in the sorted sums of the other
    half: 2 * 2^(m/2) sums instead of 2^m."""
    if threshold <= 0:
        return 2 ** len(magnitudes)
    half = len(magnitudes) // 2
    xs, ys = _signed_sums(magnitudes[:half]), _signed_sums(magnitudes[half:])
    upper = len(ys) - np.searchsorted(ys, threshold - xs, side="left")
    lower = np.searchsorted(ys, -threshold - xs, side="right")
    return int(upper.sum() + lower.sum())


def _random_tail(magnitudes: np.ndarray, threshold: float, rng: np.random.Generator,
                 resamples: int) -> int:
    """#{random sign vectors s: |s . magnitudes| >= threshold} over `resamples` draws
    from `rng`, in chunks so memory stays flat in n. A sign vector is a row of random bytes,
    8 signs each (s = 2b - 1 for bits b, so s . v = 2 (b . v) - sum(v)), and b . v is a
    sum of table look-ups: each byte position's 256 possible sums of its 8 values."""
    n_bytes = (len(magnitudes) + 7) // 8
    padded = np.zeros(n_bytes * 8)
    padded[:len(magnitudes)] = magnitudes
    byte_bits = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)
    tables = byte_bits @ padded.reshape(n_bytes, 8).T          # (256, n_bytes)
    columns = np.arange(n_bytes)
    rows_per_chunk = max(1, _CHUNK_ELEMENTS // n_bytes)
    hits = 0
    for start in range(0, resamples, rows_per_chunk):
        rows = min(rows_per_chunk, resamples - start)
        raw = np.frombuffer(rng.bytes(rows * n_bytes), dtype=np.uint8).reshape(rows, n_bytes)
        stats = 2.0 * tables[raw, columns].sum(axis=1) - magnitudes.sum()
        hits += int(np.count_nonzero(np.abs(stats) >= threshold))
    return hits


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (step-down Bonferroni): family-wise error <= alpha when every
    adjusted p < alpha is called significant. NaN entries are not part of the family and
    stay NaN."""
    finite = [(p, i) for i, p in enumerate(p_values) if not math.isnan(p)]
    k = len(finite)
    out = [float("nan")] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(finite)):
        running = max(running, min(1.0, (k - rank) * p))
        out[i] = running
    return out


def holm_floors(p_values: Sequence[float], min_ps: Sequence[float]) -> list[float]:
    """For each member of a Holm family: its adjusted p had its own test come out as
    extreme as its n allows (p = its min_p), the others as they are. At or above alpha,
    no outcome of that comparison could have been called significant in this family: with
    k members its smallest adjusted p is up to k x 2/2^m, so m <= 5 (the bound alone) is
    not the limit once there are several. NaN p-values stay NaN."""
    out = []
    for i, (p, floor) in enumerate(zip(p_values, min_ps)):
        if math.isnan(p):
            out.append(float("nan"))
            continue
        best_case = list(p_values)
        best_case[i] = min(p, floor)
        out.append(holm(best_case)[i])
    return out


@dataclass(frozen=True)
class PairedResult:
    delta: float       # mean of b - a
    low: float         # expanded percentile-bootstrap interval of delta (descriptive, unadjusted)
    high: float
    p_value: float     # two-sided paired permutation test
    n: int
    test: PermutationResult


def paired_test(a: Sequence[float], b: Sequence[float], *, n_bootstrap: int = 1000,
                seed: int = 0, confidence: float = 0.95, resamples: int = PERMUTATIONS,
                max_resamples: int | None = None) -> PairedResult:
    """Mean of b - a over paired examples, its bootstrap interval, and the permutation
    test's two-sided p-value (`max_resamples`: see `permutation_test`)."""
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape:
        raise ValueError("paired_test needs two equally long sequences")
    diffs = b_arr - a_arr
    if len(diffs) == 0:
        nan = float("nan")
        return PairedResult(nan, nan, nan, nan, 0, PermutationResult(nan, "exact", 0, 1.0))
    low, high = _paired_interval(diffs, n_bootstrap, seed, confidence)
    test = permutation_test(diffs, seed=seed, resamples=resamples, max_resamples=max_resamples)
    delta = math.fsum(diffs) / len(diffs)   # exactly rounded: the same in any order, and
    if len(diffs) > 1:                      # exactly -delta when a and b swap
        # as `_bracketed`: equal differences left the delta outside
        low, high = min(float(low), delta), max(float(high), delta)
    return PairedResult(delta, float(low), float(high), test.p_value, len(diffs), test)


def _paired_interval(diffs: np.ndarray, n_bootstrap: int, seed: int,
                     confidence: float) -> tuple[float, float]:
    """The bootstrap interval of mean(diffs), the same for the pairs in any order and
    exactly mirrored when a and b swap. Sorted differences give the first; the second
    needs more, since -diffs sorted is another sequence (another draw for each position):
    the resamples are drawn over whichever of the two sorted sequences is smaller in
    lexicographic order, and the interval mirrored when that is -diffs. Differences equal
    to their own negation as a multiset (as many +x as -x for every x) have a bootstrap
    law symmetric about 0, so their interval is made symmetric, +-(high - low) / 2, and
    is its own mirror. No interval (NaN) from one difference: outputs say "(no interval,
    n=1)", JSON null."""
    if len(diffs) < 2:
        return float("nan"), float("nan")
    ascending, negated = np.sort(diffs), np.sort(-diffs)
    differ = np.flatnonzero(ascending != negated)
    flip = bool(len(differ)) and negated[differ[0]] < ascending[differ[0]]
    means = _resample_means(negated if flip else ascending, n_bootstrap, seed)
    low, high = (float(q) for q in np.quantile(means, interval_levels(len(diffs), confidence)))
    if not len(differ):
        half = (high - low) / 2
        return 0.0 - half, half   # 0.0 - 0.0 is 0.0, where -0.0 printed as "-0.000"
    return (-high, -low) if flip else (low, high)


def describe_test(resamples: int = PERMUTATIONS, seed: int | None = None,
                  max_resamples: int | None = None) -> str:
    """One phrase naming the test, for output headers and legends."""
    seeded = f", seed={seed}" if seed is not None else ""
    more = (f", going on to R={max_resamples} where fewer than {REFINE_HITS + 1} flips are "
            "as extreme as the data, for this many comparisons"
            if max_resamples and max_resamples > resamples else "")
    return (f"two-sided paired permutation test (exact over all 2^m sign flips when "
            f"m <= {EXACT_MAX_PAIRS} examples differ, else approximate randomization "
            f"R={resamples}{more}{seeded})")


def paired_test_settings(seed: int, max_resamples: int = PERMUTATIONS) -> dict:
    """The paired test's settings as compare's and regress's JSON record them."""
    return {"name": describe_test(seed=seed, max_resamples=max_resamples),
            "exact_max_pairs": EXACT_MAX_PAIRS, "resamples": PERMUTATIONS,
            "max_resamples": max_resamples, "seed": seed, "correction": "holm"}
