"""Statistics shared by the agreement benchmarks: correlations with the system (or any
grouping) partialled out, rank correlation, ROC-AUC and percentile bootstrap intervals.

Partial correlation here is FRANK's: both the metric and the human score are regressed on
one-hot group indicators and the residuals are correlated. For one grouping (or nested
ones) the least-squares residuals are the values minus their group's mean, which is what
`group_residuals` computes (fast enough for thousands of bootstrap resamples);
`ols_residuals` is the regression itself, for checking that equality.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy.stats import rankdata


def corr(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation; NaN when either side is constant."""
    x, y = x - x.mean(), y - y.mean()
    denom = np.sqrt((x @ x) * (y @ y))
    return float(x @ y / denom) if denom > 0 else float("nan")


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    return corr(rankdata(x), rankdata(y))


def one_hot(labels: Sequence[str]) -> np.ndarray:
    levels = sorted(set(labels))
    return np.array([[lab == lev for lev in levels] for lab in labels], dtype=float)


def ols_residuals(values: np.ndarray, design: np.ndarray) -> np.ndarray:
    """Least-squares residuals of `values` on `design` (intercept + one-hot columns)."""
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    return values - design @ coef


def group_residuals(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Values minus their group's mean (`codes`: one integer per row): the OLS residuals
    on the groups' one-hot indicators plus an intercept."""
    sums = np.bincount(codes, weights=values)
    counts = np.bincount(codes)
    return values - (sums / np.maximum(counts, 1))[codes]


def partial_corr(x: np.ndarray, y: np.ndarray, codes: np.ndarray, rank: bool) -> float:
    """Correlation of x and y after partialling out the groups `codes`; with `rank`, both
    are rank-transformed first (a partial Spearman)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if rank:
        x, y = rankdata(x), rankdata(y)
    return corr(group_residuals(x, codes), group_residuals(y, codes))


def group_codes(labels: Sequence) -> np.ndarray:
    """One integer per row, the same for rows with the same label (sorted label order)."""
    return np.unique(np.asarray(labels), return_inverse=True)[1]


def roc_auc(scores: Sequence[float], positives: Sequence[bool]) -> float:
    """Mann-Whitney AUC: the chance that a positive scores above a negative, ties half."""
    ranks = rankdata(scores)
    positive = np.asarray(positives, bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    rank_sum = float(ranks[positive].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def ci(values: Sequence[float]) -> tuple[float, float]:
    """95% percentile interval of bootstrap values, NaNs left out."""
    arr = np.asarray(values, float)
    arr = arr[~np.isnan(arr)]
    return (float(np.quantile(arr, 0.025)), float(np.quantile(arr, 0.975)))


def resamples(n: int, count: int, seed: int) -> np.ndarray:
    """`count` bootstrap draws of n row positions (with replacement), seeded."""
    return np.random.default_rng(seed).integers(0, n, size=(count, n))


def group_bootstrap(stat: Callable[[np.ndarray], float | None], groups: Sequence,
                    n: int, seed: int) -> list[float]:
    """`stat(row positions)` over `n` resamples of whole groups (an article's rows move
    together); draws where `stat` returns None are left out."""
    by_group: dict = {}
    for i, g in enumerate(groups):
        by_group.setdefault(g, []).append(i)
    members = list(by_group.values())
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n):
        picked = rng.integers(0, len(members), len(members))
        value = stat(np.concatenate([members[j] for j in picked]))
        if value is not None:
            draws.append(value)
    return draws
