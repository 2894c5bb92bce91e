"""False verdicts of compare, regress and the report's star under a true null.

    .venv/bin/python -m benchmarks.null_verdicts [--trials 2000] [--sizes 10,30,100]

benchmarks/calibration.py checks the p-value alone (`stats.permutation_test`). This one
checks the verdicts the commands print, through the functions they call: runs are built
in memory as the objects `load_run` returns (`RunData`, scores as scores.jsonl rows) and
read back as each command reads them:
  - compare: `scoreset_from_run` + `compare.compare_sets` (what `compare_runs` does after
    reading the folders); a false verdict is any row naming a winner;
  - regress: `regress.gate_settings` + `gate_rows` (what `run_regress` does after its
    input checks) with the default gate (allowed drop 0.01) and with every allowed drop
    0 (a gate that fails on any significant drop); a false verdict is exit 1;
  - report: `reports.model_table.build_table` of one run holding the systems; a false
    verdict is any star.
Each trial draws A and B (and C for the 3-model star) from the same distribution: per
example a shared difficulty, then each system's scores drawn independently given it, so
A and B are exchangeable and every difference has mean 0. Families: one metric
(rouge2_f; no correction) and the four headline metrics (rouge1_f, rouge2_f,
rougeLsum_f, consistency; Holm over 4 for compare and regress, over 4 x (models - 1) for
the star). Workloads (all four metrics of an example are drawn together):
  - short-bullets: ROUGE of short bullets: a reference of 6-14 tokens, k of them matched
    (Binomial with the example's difficulty), F = k / length: few distinct values, many
    ties and zeros; consistency 0/1 (a bullet the story backs or not);
  - check-products: consistency the product of 1-3 checks' precisions (k of j
    mentions supported), values like 0, 1/3, 1/2, 2/3, 1; ROUGE as in short-bullets;
  - mostly-tied: a deterministic summarizer run twice: 85% of the examples score the
    same in A and B, the rest are redrawn (short-bullets scores);
  - skewed-failures: ROUGE-2-like skewed continuous scores (Beta(1.5, 6) difficulty,
    noise, 15% exact zeros, 3 decimals) and 5% failed summaries (0 on every rate) in
    each run independently: heavy-tailed differences.
Also counted, not as verdicts: how often compare's single-metric row prints an interval
and a raw p that disagree at the same level (the interval excludes 0 while p >= alpha,
or p < alpha while the interval holds 0); the interval is descriptive, the verdict is
the p's. Intervals: a run's default bootstrap (1,000 resamples, seed 0); the permutation
test is the commands' own (exact up to 24 differing examples, else 10,000
random sign flips, seed 0 as a run's default). Monte Carlo error of a rate near 0.05
over T trials: sqrt(0.05 x 0.95 / T) (0.005 at T = 2000). Appends a dated section to
benchmarks/results/calibration.md.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from summcheck.artifacts import RunData
from summcheck.compare import compare_sets
from summcheck.paired import HEADLINE_METRICS, scoreset_from_run
from summcheck.regress import REGRESSED, gate_rows, gate_settings
from summcheck.reports.model_table import build_table

ALPHA = 0.05
SIZES = (10, 30, 100)
BOOTSTRAP = {"n": 1000, "seed": 0, "confidence": 0.95}   # a run's default
Scores = dict[str, np.ndarray]   # metric -> per-example values
# not verdicts: how often compare's row (1 metric) shows an interval and a raw p that
# disagree at the same level (the interval is descriptive; the verdict is the p's)
DISAGREE = ("(compare, 1 metric: interval excludes 0, raw p >= alpha)",
            "(compare, 1 metric: raw p < alpha, interval holds 0)")


# ---------------------------------------------------------------- score generators
def _rouge_short(rng: np.random.Generator, q: np.ndarray) -> Scores:
    """ROUGE-1/2/Lsum F of short bullets whose match rate is the difficulty q."""
    n = len(q)
    length = rng.integers(6, 15, n)
    k1 = rng.binomial(length, q)
    k2 = rng.binomial(np.maximum(k1 - 1, 0), q)
    kl = k2 + rng.binomial(k1 - k2, 0.6)
    return {"rouge1_f": k1 / length, "rouge2_f": k2 / (length - 1), "rougeLsum_f": kl / length}


def short_bullets(rng: np.random.Generator, n: int, systems: int) -> list[Scores]:
    q = rng.beta(2, 3, n)
    backed = 0.6 + 0.35 * q   # easier stories: bullets the story backs more often
    return [{**_rouge_short(rng, q), "consistency": (rng.random(n) < backed).astype(float)}
            for _ in range(systems)]


def check_products(rng: np.random.Generator, n: int, systems: int) -> list[Scores]:
    q = rng.beta(2, 3, n)
    out = []
    for _ in range(systems):
        consistency = np.ones(n)
        for _check in range(3):
            j = rng.integers(0, 4, n)            # mentions this check looked at (0: none)
            k = rng.binomial(j, 0.7 + 0.25 * q)
            consistency *= np.where(j > 0, k / np.maximum(j, 1), 1.0)
        out.append({**_rouge_short(rng, q), "consistency": consistency})
    return out


def mostly_tied(rng: np.random.Generator, n: int, systems: int) -> list[Scores]:
    first = short_bullets(rng, n, 1)[0]
    out = []
    for _ in range(systems):
        redraw = short_bullets(rng, n, 1)[0]
        moved = rng.random(n) < 0.15
        out.append({m: np.where(moved, redraw[m], first[m]) for m in first})
    return out


def skewed_failures(rng: np.random.Generator, n: int, systems: int) -> list[Scores]:
    q = rng.beta(1.5, 6, n)
    out = []
    for _ in range(systems):
        scores = {}
        for metric, scale in zip(HEADLINE_METRICS, (2.2, 1.0, 1.9, 0)):
            if scale:
                value = np.clip(scale * q + rng.normal(0, 0.07, n), 0, 1)
                value = np.where(rng.random(n) < 0.15, 0.0, value)
            else:
                value = np.clip(1 - rng.beta(1, 8, n), 0, 1)
            scores[metric] = np.round(value, 3)
        failed = rng.random(n) < 0.05
        out.append({m: np.where(failed, 0.0, v) for m, v in scores.items()})
    return out


WORKLOADS: dict[str, Callable[[np.random.Generator, int, int], list[Scores]]] = {
    "short-bullets": short_bullets, "check-products": check_products,
    "mostly-tied": mostly_tied, "skewed-failures": skewed_failures}


# ---------------------------------------------------------------- runs in memory
def run_data(name: str, systems: dict[str, Scores], regress: dict | None = None) -> RunData:
    """A finished run as `load_run` returns it: one label per system, every example of
    every system scored, results.json means over them."""
    n = len(next(iter(next(iter(systems.values())).values())))
    ids = [f"ex-{i:03d}" for i in range(n)]
    scores = [{"summarizer": label, "example_id": ids[i],
               "scores": {m: float(v[i]) for m, v in per.items()}, "error": None}
              for label, per in systems.items() for i in range(n)]
    summarizers = [{"label": label, "fingerprint": f"{label}-fp",
                    "metrics": {m: {"mean": float(np.mean(v)), "low": 0.0, "high": 1.0,
                                    "n": n} for m, v in per.items()}}
                   for label, per in systems.items()]
    return RunData(
        Path(name), {"run_name": name, "spec": {"bootstrap": BOOTSTRAP, "regress": regress}},
        {"run_name": name, "n_examples": n, "signatures": {}, "summarizers": summarizers},
        [{"id": i, "story": f"story {i}", "reference_bullets": [f"ref {i}"]} for i in ids],
        [], scores, [])


# ---------------------------------------------------------------- the verdicts
def compare_rows(a: RunData, b: RunData, metrics: list[str]) -> list:
    comparison = compare_sets([scoreset_from_run(a), scoreset_from_run(b)], metrics, ALPHA)
    return [row for pair in comparison.pairs for row in pair.rows]


def compare_false(a: RunData, b: RunData, metrics: list[str]) -> bool:
    return any(row.winner for row in compare_rows(a, b, metrics))


def disagree(rows: list) -> tuple[bool, bool]:
    """(a row whose printed interval excludes 0 while its raw p >= alpha, one whose raw
    p < alpha while its interval holds 0): the interval and the test at the same level
    telling apart."""
    excludes = [row.low > 0 or row.high < 0 for row in rows]
    return (any(e and row.p_value >= ALPHA for e, row in zip(excludes, rows)),
            any(not e and row.p_value < ALPHA for e, row in zip(excludes, rows)))


def gate_rows_of(baseline: RunData, current: RunData, metrics: list[str],
                 max_drop: float = 0.0) -> list:
    base, cur = scoreset_from_run(baseline), scoreset_from_run(current)
    cur = replace(cur, regress={"max_drop": dict.fromkeys(metrics, max_drop), "alpha": ALPHA})
    return gate_rows(base, cur, gate_settings(base, cur, []))[0]


def regress_fails(baseline: RunData, current: RunData, metrics: list[str],
                  max_drop: float) -> bool:
    return any(row.verdict == REGRESSED for row in gate_rows_of(baseline, current, metrics,
                                                                   max_drop))


def star_given(run: RunData) -> bool:
    return any(v.best for v in build_table([run]).verdicts.values())


def one_trial(draw, rng: np.random.Generator, n: int) -> dict[str, bool]:
    """Every verdict of one null draw (three systems; A and B are the first two)."""
    a, b, c = draw(rng, n, 3)
    one = ["rouge2_f"]
    four = list(HEADLINE_METRICS)
    run_a, run_b = run_data("A", {"s": a}), run_data("B", {"s": b})
    pick = lambda scores, ms: {m: scores[m] for m in ms}   # noqa: E731
    rows = compare_rows(run_a, run_b, one)
    wide, narrow = disagree(rows)
    return {
        "compare, 1 metric": any(row.winner for row in rows),
        "compare, 4 metrics": compare_false(run_a, run_b, four),
        "regress, 1 metric, drop 0": regress_fails(run_a, run_b, one, 0.0),
        "regress, 4 metrics, drop 0": regress_fails(run_a, run_b, four, 0.0),
        "regress, 4 metrics, drop 0.01": regress_fails(run_a, run_b, four, 0.01),
        "star, 2 models, 1 metric": star_given(run_data("R", {"a": pick(a, one),
                                                              "b": pick(b, one)})),
        "star, 2 models, 4 metrics": star_given(run_data("R", {"a": a, "b": b})),
        "star, 3 models, 4 metrics": star_given(run_data("R", {"a": a, "b": b, "c": c})),
        DISAGREE[0]: wide, DISAGREE[1]: narrow,
    }


def simulate(workload: str, n: int, trials: int, seed: int = 0) -> dict[str, float]:
    """{verdict: share of `trials` null draws that gave it}."""
    rng = np.random.default_rng([seed, n, list(WORKLOADS).index(workload)])
    counts: dict[str, int] = {}
    for _ in range(trials):
        for kind, false in one_trial(WORKLOADS[workload], rng, n).items():
            counts[kind] = counts.get(kind, 0) + false
    return {kind: k / trials for kind, k in counts.items()}


# ---------------------------------------------------------------- report
def _section(results: dict, trials: int, sizes: tuple[int, ...]) -> list[str]:
    from scipy.stats import binomtest

    kinds = list(next(iter(results.values())))
    lines = [f"### False verdicts under a true null (alpha {ALPHA}; {trials} draws per cell; "
             "exact 95% binomial interval of the share)", ""]
    worst = []
    for workload in WORKLOADS:
        lines += [f"#### {workload}", "", "| verdict | " + " | ".join(
            f"n={n}" for n in sizes) + " |", "|---|" + "---|" * len(sizes)]
        for kind in kinds:
            cells = []
            for n in sizes:
                k = round(results[workload, n][kind] * trials)
                ci = binomtest(k, trials).proportion_ci(method="exact")
                cells.append(f"{k / trials:.4f} [{ci.low:.4f}, {ci.high:.4f}]")
                if kind not in DISAGREE:
                    worst.append((ci.low, k / trials, workload, n, kind))
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
        lines.append("")
    low, share, workload, n, kind = max(worst)
    lines += ["### Reading", "",
              f"- Target: every share at most {ALPHA} up to Monte Carlo error (its interval "
              f"reaching {ALPHA} or below). Highest lower bound: {low:.4f} ({kind}, "
              f"{workload}, n={n}, share {share:.4f}): "
              + ("within the target." if low <= ALPHA else "ABOVE the target."), ""]
    return lines


def main(argv=None) -> int:
    from . import results_file

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=2000, help="null draws per cell")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--out", type=Path, default=results_file.RESULTS / "calibration.md")
    ap.add_argument("--no-write", action="store_true", help="print the section only")
    args = ap.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    load_start = results_file.load_average()
    results = {}
    for workload, n in itertools.product(WORKLOADS, sizes):
        results[workload, n] = simulate(workload, n, args.trials)
        print(workload, n, results[workload, n], flush=True)
    lines = results_file.header("null_verdicts", load_start, [
        f"- verdicts through compare_sets, gate_rows and build_table on runs in memory; "
        f"bootstrap {BOOTSTRAP['n']} resamples, seed {BOOTSTRAP['seed']} (also the "
        "permutation test's)"]) + _section(results, args.trials, sizes)
    print("\n".join(lines))
    if not args.no_write:
        results_file.append_section(args.out, "Calibration of the paired significance test",
                                    lines)
        print(f"appended to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
