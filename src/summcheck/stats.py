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


_CHUNK_ELEMENTS = 500_000   # resample indices drawn at a time (4 MB), whatever n is


def _resample_means(values: np.ndarray, n_bootstrap: int, seed: int) -> np.ndarray:
    """Means of `n_bootstrap` resamples of each column of `values` (n,) or (n, m).

    The resample indices come from one seeded draw of shape (n_bootstrap, n), taken in
    chunks of rows (the same stream numpy gives for one big draw), and are turned into
    per-row counts so every column reuses them: memory stays flat in n and one draw
    serves all the metrics of a summarizer."""
    matrix = values.reshape(len(values), -1)
    n = len(matrix)
    rng = np.random.default_rng(seed)
    rows_per_chunk = max(1, _CHUNK_ELEMENTS // n)
    means = []
    for start in range(0, n_bootstrap, rows_per_chunk):
        rows = min(rows_per_chunk, n_bootstrap - start)
        idx = rng.integers(0, n, size=(rows, n))
        flat = (idx + n * np.arange(rows)[:, None]).ravel()
        counts = np.bincount(flat, minlength=rows * n).reshape(rows, n)
        means.append(counts @ matrix / n)
    out = np.concatenate(means)
    return out[:, 0] if values.ndim == 1 else out


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
        means = _resample_means(matrix, n_bootstrap, seed)
        alpha = (1 - confidence) / 2
        bounds = np.quantile(means, [alpha, 1 - alpha], axis=0)
        for j, k in enumerate(dense):
            out[k] = Aggregate(float(matrix[:, j].mean()), float(bounds[0, j]),
                               float(bounds[1, j]), len(matrix))
    return {k: out[k] for k in columns}


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
