"""Coverage of summcheck's bootstrap intervals: how often the printed 95% interval holds
the true mean, for the plain percentile interval and the expanded one, on the same draws.

    .venv/bin/python -m benchmarks.interval_coverage [--trials 1000] [--sizes 10,30,100]

Both intervals come from the same 1,000 bootstrap means (`stats._resample_means`, seed
0 as a run's default); they differ only in the quantile levels taken of them:
  - percentile: (1 - confidence) / 2 and its mirror, what summcheck printed until
    2026-12-05;
  - expanded: `stats.interval_levels` (Hesterberg's expanded percentile interval).
Score generators with a known mean, one sample (a run's table: `stats.aggregate`) and
paired differences (compare and regress: `stats.paired_test`'s interval of the delta):
  - rates in [0, 1]: Beta(2, 5); ROUGE-2-like (a quarter exact zeros); k of j checks
    passed (j 1-3, p 0.9); 0/1 outcomes at 0.1 and 0.5;
  - counts: Poisson with a Gamma(0.5) rate (skewed, most 0);
  - differences: +0.02 with N(0, 0.05) noise; 90% ties with rare +0.1 moves; 0/1
    outcomes +0.1; skewed (95% -0.02, 5% +0.5).
Monte Carlo error of a coverage near 0.95 over T trials: sqrt(0.95 x 0.05 / T).
Appends a dated section to benchmarks/results/interval_coverage.md.
"""

from __future__ import annotations

import argparse

import numpy as np

from summcheck.stats import _resample_means, interval_levels

from .results_file import RESULTS, append_section, header, load_average

CONFIDENCE = 0.95
RNG = np.random.default_rng(20261205)


def _kofj(n):
    j = RNG.integers(1, 4, n)
    return RNG.binomial(j, 0.9) / j


def _rouge2(n):
    x = RNG.beta(2, 8, n)
    x[RNG.random(n) < 0.25] = 0.0
    return x


ONE_SAMPLE = {   # name: (draw n values, true mean)
    "Beta(2, 5)": (lambda n: RNG.beta(2, 5, n), 2 / 7),
    "ROUGE-2-like, 25% zeros": (_rouge2, 0.75 * 0.2),
    "k of j checks (p 0.9)": (_kofj, 0.9),
    "0/1 at 0.1": (lambda n: (RNG.random(n) < 0.1).astype(float), 0.1),
    "0/1 at 0.5": (lambda n: (RNG.random(n) < 0.5).astype(float), 0.5),
    "counts, Poisson(Gamma(0.5))": (lambda n: RNG.poisson(RNG.gamma(0.5, 1, n)).astype(float),
                                    0.5),
}


def _ties(n):
    d = np.zeros(n)
    moved = RNG.random(n) < 0.1
    d[moved] = RNG.normal(0.1, 0.1, moved.sum())
    return d


def _flips(n):
    u = RNG.random(n)
    return (u < 0.55).astype(float) - (u < 0.45).astype(float)


def _skewed(n):
    return np.where(RNG.random(n) < 0.05, 0.5, -0.02)


DIFFERENCES = {   # name: (draw n differences b - a, true mean)
    "+0.02, N(0, 0.05) noise": (lambda n: 0.02 + RNG.normal(0, 0.05, n), 0.02),
    "90% ties, rare +0.1": (_ties, 0.01),
    "0/1 outcomes, +0.1": (_flips, 0.1),
    "skewed: 95% -0.02, 5% +0.5": (_skewed, 0.95 * -0.02 + 0.05 * 0.5),
}


def coverage(draw, mean: float, n: int, trials: int) -> tuple[float, float]:
    """(percentile, expanded) share of trials whose interval holds `mean`."""
    tail = (1 - CONFIDENCE) / 2
    levels = {"percentile": (tail, 1 - tail), "expanded": interval_levels(n, CONFIDENCE)}
    hits = dict.fromkeys(levels, 0)
    for _ in range(trials):
        means = _resample_means(draw(n), 1000, 0)
        for name, (low, high) in levels.items():
            lo, hi = np.quantile(means, [low, high])
            hits[name] += lo - 1e-12 <= mean <= hi + 1e-12
    return hits["percentile"] / trials, hits["expanded"] / trials


def table(generators: dict, sizes: list[int], trials: int) -> list[str]:
    lines = ["| scores | " + " | ".join(f"n={n}: percentile / expanded" for n in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for name, (draw, mean) in generators.items():
        cells = [coverage(draw, mean, n, trials) for n in sizes]
        lines.append(f"| {name} | " + " | ".join(f"{p:.3f} / {e:.3f}" for p, e in cells) + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--sizes", default="10,30,100")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    load = load_average()
    error = (0.95 * 0.05 / args.trials) ** 0.5
    lines = header("interval_coverage", load, [
        f"trials per cell: {args.trials} (Monte Carlo error near 0.95: +-{error:.3f}, one SE)",
        "levels at n = " + ", ".join(f"{n}: {interval_levels(n, CONFIDENCE)[0]:.4f}"
                                     for n in sizes) + f" (percentile: {(1 - CONFIDENCE) / 2})",
        ""]) + ["Coverage of the 95% interval of a mean (a run's table):", ""]
    lines += table(ONE_SAMPLE, sizes, args.trials)
    lines += ["", "Coverage of the 95% interval of a paired delta (compare, regress):", ""]
    lines += table(DIFFERENCES, sizes, args.trials)
    print("\n".join(lines))
    append_section(RESULTS / "interval_coverage.md",
                   "Coverage of the bootstrap intervals (percentile and expanded)", lines)


if __name__ == "__main__":
    main()
