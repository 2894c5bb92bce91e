"""Calibration of summcheck's paired significance test under a true null, and its power.

    .venv/bin/python -m benchmarks.calibration [--trials 4000] [--power-trials 1000]

For n = 5, 20 and 200 paired examples, simulates comparisons of two summarizers and counts
how often p < 0.05, for two p-values computed on the same simulated scores:
  - new: summcheck's test (`stats.permutation_test`: exact over all sign flips up to
    EXACT_MAX_PAIRS differing pairs, approximate randomization with R=10,000 beyond);
  - old: the paired-bootstrap p-value summcheck used before (1,000 resampled mean
    differences, the share on the far side of 0, doubled).
Score generators (A and B are the two summarizers' per-example scores):
  - synthetic: ROUGE-2-like. A document difficulty q ~ Beta(1.5, 6); each summarizer
    scores q + N(0, 0.07), is 0 with probability 0.15 (no bigram overlap), clipped to
    [0, 1] and rounded to 3 decimals (ties and exact zeros happen).
  - realsumm-swap: real ROUGE-1.5.5 ROUGE-2 F of REALSumm (../shared/data/realsumm_dev.jsonl,
    50 CNN/DM documents x 24 systems). Per document, two different systems drawn at
    random: A and B are exchangeable, with real skew and real document difficulty.
    Documents are drawn with replacement (n = 200 > 50).
  - realsumm-centred: one real system pair (drawn at random per trial), its per-document
    differences minus their mean over the 50 documents: the mean difference is 0, but the
    differences are skewed, so the sign-flip test's symmetry assumption holds only
    approximately. A robustness check, not a null the test promises to be exact under.
Under a true null (the first two), a valid test rejects at most alpha of the time. Power:
the synthetic and realsumm-swap generators with delta added to every B score.
Also times the test on either side of the exact/approximate cutoff. Appends a dated
section to benchmarks/results/calibration.md.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
from scipy.stats import binomtest

from summcheck.stats import EXACT_MAX_PAIRS, PERMUTATIONS, _resample_means, permutation_test

from . import results_file
from .data import add_data_argument, load_jsonl, require

RESULTS = results_file.RESULTS / "calibration.md"
SIZES = (5, 20, 200)
DELTAS = (0.01, 0.02, 0.05)
ALPHA = 0.05


# ---------------------------------------------------------------- score generators
def synthetic(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    q = rng.beta(1.5, 6, size=n)

    def system() -> np.ndarray:
        score = np.clip(q + rng.normal(0, 0.07, n), 0, 1)
        return np.round(np.where(rng.random(n) < 0.15, 0.0, score), 3)

    return system(), system()


def realsumm_matrix(path: Path) -> np.ndarray:
    """(documents, systems) official ROUGE-2 F; a system listed twice counts once."""
    scores: dict[tuple, float] = {}
    for row in load_jsonl(path):
        scores.setdefault((row["doc_id"], row["system"]), row["rouge155"]["rouge_2_f_score"])
    docs = sorted({d for d, _ in scores})
    systems = sorted({s for _, s in scores})
    return np.array([[scores[d, s] for s in systems] for d in docs])


def realsumm_swap(matrix: np.ndarray):
    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        docs = rng.integers(0, len(matrix), n)
        first = rng.integers(0, matrix.shape[1], n)
        second = (first + rng.integers(1, matrix.shape[1], n)) % matrix.shape[1]
        return matrix[docs, first], matrix[docs, second]
    return draw


def realsumm_centred(matrix: np.ndarray):
    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        s, t = rng.choice(matrix.shape[1], 2, replace=False)
        diffs = matrix[:, t] - matrix[:, s]
        docs = rng.integers(0, len(matrix), n)
        return matrix[docs, s], matrix[docs, s] + (diffs - diffs.mean())[docs]
    return draw


# ---------------------------------------------------------------- the two p-values
def old_bootstrap_p(diffs: np.ndarray, seed: int) -> float:
    """The p-value summcheck computed before this benchmark existed (stats.py at f4fcd04)."""
    if np.all(diffs == 0):
        return 1.0
    means = _resample_means(diffs, 1000, seed)
    return float(min(1.0, 2 * min(np.mean(means <= 0), np.mean(means >= 0))))


def simulate(draw, n: int, trials: int, delta: float, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    new, old, diffs_kept = [], [], []
    for t in range(trials):
        a, b = draw(rng, n)
        diffs = (b + delta) - a
        new.append(permutation_test(diffs, seed=t).p_value)
        old.append(old_bootstrap_p(diffs, seed=t))
        diffs_kept.append(diffs)
    return {"new": np.array(new), "old": np.array(old), "diffs": diffs_kept}


def rate(p: np.ndarray, alpha: float = ALPHA) -> str:
    """Share with p < alpha and its exact (Clopper-Pearson) 95% interval."""
    k = int(np.sum(p < alpha))
    ci = binomtest(k, len(p)).proportion_ci(method="exact")
    return f"{k / len(p):.4f} [{ci.low:.4f}, {ci.high:.4f}]"


def small_n_explained(diffs: list[np.ndarray]) -> dict[str, float]:
    """At n = 5, by enumeration: the randomized exact test's expected rejection rate at
    0.05 (reject with probability (alpha - p_strict) / (p - p_strict) on the boundary)
    and the mid-p's rate; both only to explain the discreteness, not used by summcheck."""
    randomized, mid = [], []
    for d in diffs:
        observed = abs(d.sum()) - 1e-9 * np.abs(d).sum()
        sums = np.abs([np.dot(s, d) for s in itertools.product((1, -1), repeat=len(d))])
        p = np.mean(sums >= observed)
        strict = np.mean(sums > abs(d.sum()) + 1e-9 * np.abs(d).sum())
        randomized.append(np.clip((ALPHA - strict) / (p - strict), 0, 1) if p > strict else
                          float(p < ALPHA))
        mid.append((p + strict) / 2 < ALPHA)
    return {"randomized": float(np.mean(randomized)), "mid": float(np.mean(mid))}


# ---------------------------------------------------------------- timing
def timings() -> list[tuple[int, str, float]]:
    rng = np.random.default_rng(0)
    out = []
    for m in (16, EXACT_MAX_PAIRS, EXACT_MAX_PAIRS + 1, 30, 200, 1000, 5000):
        diffs = rng.normal(0, 0.1, m)
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            result = permutation_test(diffs)
            runs.append(time.perf_counter() - start)
        out.append((m, result.method, float(np.median(runs))))
    return out


# ---------------------------------------------------------------- report
def header(load_start: str) -> list[str]:
    return results_file.header("calibration", load_start, [
        f"- numpy {np.__version__}; only the timing table depends on the load",
        f"- new test: exact up to {EXACT_MAX_PAIRS} differing pairs, else R={PERMUTATIONS}; "
        f"old: bootstrap p, 1,000 resamples; seeds 0..trials-1 per comparison"])


def null_table(results: dict, trials: int) -> list[str]:
    lines = [f"### Type-I error: share of p < {ALPHA} under the null ({trials} comparisons each; "
             "exact 95% binomial interval)", "",
             "| generator | n | new test | old bootstrap p |", "|---|---:|---|---|"]
    for (name, n), res in results.items():
        lines.append(f"| {name} | {n} | {rate(res['new'])} | {rate(res['old'])} |")
    return lines + [""]


def small_n_lines(results: dict) -> list[str]:
    lines = ["### n = 5: why no valid test reaches 0.05", "",
             "| generator | new: p < 0.05 | new: p <= 0.0625 | randomized exact test, "
             "expected rate at 0.05 | mid-p < 0.05 | old: p < 0.05 |", "|---|---|---|---|---|---|"]
    for (name, n), res in results.items():
        if n != 5 or name == "realsumm-centred":
            continue
        extra = small_n_explained(res["diffs"])
        lines.append(f"| {name} | {rate(res['new'])} | {rate(res['new'], 0.0625 + 1e-12)} | "
                     f"{extra['randomized']:.4f} | {extra['mid']:.4f} | {rate(res['old'])} |")
    return lines + [""]


def power_table(power: dict, trials: int) -> list[str]:
    lines = [f"### Power: share of p < {ALPHA} with delta added to B ({trials} comparisons "
             "each; no multiple-comparison correction)", "",
             "| generator | delta | n | new test | old bootstrap p |", "|---|---:|---:|---|---|"]
    for (name, delta, n), res in power.items():
        lines.append(f"| {name} | {delta} | {n} | {rate(res['new'])} | {rate(res['old'])} |")
    return lines + [""]


def reading(results: dict) -> list[str]:
    """The figures against the target: p < 0.05 in [0.04, 0.06] of null comparisons."""
    def rates(n: int, kind: str, names=("synthetic", "realsumm-swap")) -> str:
        shares = [float(np.mean(results[g, n][kind] < ALPHA)) for g in names]
        where = {(s < 0.04) - (s > 0.06) for s in shares}
        word = {frozenset({0}): "inside", frozenset({1}): "below",
                frozenset({-1}): "above"}.get(frozenset(where), "not all inside")
        return ", ".join(f"{s:.4f}" for s in shares) + f" ({word} the target)"

    return ["### Reading", "",
            f"- Target: under a true null, p < {ALPHA} in [0.04, 0.06] of comparisons. New "
            f"test (synthetic, realsumm-swap): n=20 {rates(20, 'new')}; n=200 "
            f"{rates(200, 'new')}.",
            f"- n=5: {rates(5, 'new')}. No fixed-verdict two-sided test on 5 pairs has p "
            "below 2/2^5 = 0.0625, so p < 0.05 never happens and the target cannot be met at "
            "n=5. At its attainable level 0.0625 the test rejects at most as often as it "
            "promises (less where zero differences leave fewer than 5 pairs to flip; table "
            "above). Only a randomized test (a coin flip on the boundary outcome) reaches 0.05 "
            "on average; summcheck does not use one, since the same scores could then get "
            "different verdicts. It says \"n=5 too small to rank\" instead.",
            f"- Old bootstrap p: n=5 {rates(5, 'old')}; n=20 {rates(20, 'old')}; n=200 "
            f"{rates(200, 'old')}.",
            "- realsumm-centred (mean-zero but skewed differences, outside the test's symmetry "
            f"assumption): n=20 {rates(20, 'new', ('realsumm-centred',))}; n=200 "
            f"{rates(200, 'new', ('realsumm-centred',))}.",
            "- Power is per single comparison; Holm's correction over a family of k "
            "comparisons needs smaller p, so a report's stars and a gate with many rows have "
            "less.", ""]


def timing_lines(rows: list[tuple[int, str, float]]) -> list[str]:
    lines = ["### Time per test (median of 5, one core)", "",
             "| differing pairs m | method | ms |", "|---:|---|---:|"]
    lines += [f"| {m} | {method} | {seconds * 1000:.2f} |" for m, method, seconds in rows]
    return lines + [""]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=4000, help="null comparisons per cell")
    ap.add_argument("--power-trials", type=int, default=1000)
    add_data_argument(ap, "realsumm_dev.jsonl")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--no-write", action="store_true", help="print the section only")
    args = ap.parse_args(argv)
    load_start = results_file.load_average()
    matrix = realsumm_matrix(require(args.data))
    nulls = {"synthetic": synthetic, "realsumm-swap": realsumm_swap(matrix),
             "realsumm-centred": realsumm_centred(matrix)}
    results = {}
    for (name, draw), n in itertools.product(nulls.items(), SIZES):
        results[name, n] = simulate(draw, n, args.trials, 0.0, seed=n)
        print(name, n, "new", rate(results[name, n]["new"]), "old", rate(results[name, n]["old"]))
    power = {}
    for name, delta, n in itertools.product(("synthetic", "realsumm-swap"), DELTAS, SIZES):
        power[name, delta, n] = simulate(nulls[name], n, args.power_trials, delta, seed=1000 + n)
        print(name, delta, n, "new", rate(power[name, delta, n]["new"]))
    times = timings()
    lines = (header(load_start) + null_table(results, args.trials)
             + small_n_lines(results) + power_table(power, args.power_trials)
             + timing_lines(times) + reading(results))
    print("\n".join(lines))
    if not args.no_write:
        results_file.append_section(args.out, "Calibration of the paired significance test",
                                    lines)
        print(f"appended to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
