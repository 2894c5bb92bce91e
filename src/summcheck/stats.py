"""Seeded bootstrap intervals and paired tests.

rouge_score's BootstrapAggregator draws from the global unseeded RNG and reports the
median of bootstrap means; here the point estimate is the plain mean, the interval is a
percentile bootstrap from numpy's seeded Generator, so the same seed gives the same CI.
"""

from __future__ import annotations

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


def _resample_means(values: np.ndarray, n_bootstrap: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(n_bootstrap, len(values)))
    return values[idx].mean(axis=1)


def aggregate(values: Sequence[float], *, n_bootstrap: int = 1000, seed: int = 0,
              confidence: float = 0.95) -> Aggregate:
    """Mean with a percentile-bootstrap interval. NaN/None values are not applicable and skipped."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[~np.isnan(arr)]
    if len(arr) == 0:
        return Aggregate(float("nan"), float("nan"), float("nan"), 0)
    means = _resample_means(arr, n_bootstrap, seed)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Aggregate(float(arr.mean()), float(low), float(high), len(arr))


@dataclass(frozen=True)
class PairedResult:
    delta: float
    low: float
    high: float
    p_value: float
    n: int


def paired_bootstrap(a: Sequence[float], b: Sequence[float], *, n_bootstrap: int = 1000,
                     seed: int = 0, confidence: float = 0.95) -> PairedResult:
    """Mean of b - a over paired examples, its bootstrap interval, and a two-sided p-value
    (share of resampled deltas on the other side of zero, doubled; Efron & Tibshirani)."""
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape:
        raise ValueError("paired_bootstrap needs two equally long sequences")
    diffs = b_arr - a_arr
    if len(diffs) == 0:
        return PairedResult(float("nan"), float("nan"), float("nan"), float("nan"), 0)
    means = _resample_means(diffs, n_bootstrap, seed)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    delta = float(diffs.mean())
    if np.all(diffs == 0):
        p = 1.0
    else:
        p = 2 * min(np.mean(means <= 0), np.mean(means >= 0))
    return PairedResult(delta, float(low), float(high), float(min(1.0, p)), len(diffs))
