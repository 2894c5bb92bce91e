"""Two pre-registered experiments on the default `consistency`, the last two that
agreement_cv.md listed as not yet tried: a forward selection of the product's factors
inside the folds, and the same selection made for FRANK and SummEval separately.

Both choose among agreement_cv's cached per-summary features (the FRANK validation and
SummEval dev rows): "nums", "ents" and every support-like column (values in [0, 1],
higher = better supported; agreement_cv.support_like), nothing fitted but the choice of
factors. Decided before the run:

- Forward selection: the score is a product of factors. The first factor is the column
  with the best criterion on the training articles; each step then adds the column
  (each at most once) that raises it most; it stops when no column raises it by 0.002 or
  more, or at 5 factors. Made inside each of agreement_cv's 5 folds split by article (its
  folds, seed 0); the held-out articles are scored by their fold's product. The figures
  are out of fold, with 95% bootstrap intervals, beside the copy bias.
- Joint: the criterion is agreement_cv's, the mean of the four target figures (FRANK both
  P, FRANK XSum P, SummEval summary S, SummEval system S).
- Separate: FRANK's factors chosen on the mean of its two targets, SummEval's on the mean
  of its two; held-out FRANK rows scored by the FRANK product, SummEval rows by the
  SummEval one. A run cannot know which data set it scores, so this is a diagnostic (how
  far tuning to one data set could go), not a default.
- Beside them: the shipped default, scored as `summcheck run` scores it
  (default_consistency.score_rows).

    .venv/bin/python -m benchmarks.forward_selection [--data DIR] [--no-write]

Appends a dated section to benchmarks/results/agreement_cv.md.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import agreement_cv as A
from .data import dev_script_args
from .default_consistency import checks_for, load_dev_features, score_rows, variant_table
from .results_file import RESULTS, append_section, header, load_average

MIN_GAIN, MAX_FACTORS = 0.002, 5
CRITERIA = {"joint": A.TARGETS, "frank": ("both_P", "xsum_P"),
            "summeval": ("se_summary", "se_system")}


def criterion(sets: A.Sets, values: np.ndarray, rows: np.ndarray, keys) -> float:
    with warnings.catch_warnings():   # the other data set's figures, empty, are not read
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = sets.figures(values, rows)
    return float(np.mean([fig[k] for k in keys]))


def forward(X: np.ndarray, pool: list[int], sets: A.Sets, train: np.ndarray, keys
            ) -> list[int]:
    """The columns of the product chosen on the `train` rows, in the order added."""
    chosen: list[int] = []
    product, best = np.ones(len(X)), -np.inf
    while len(chosen) < MAX_FACTORS:
        trials = {j: criterion(sets, product * X[:, j], train, keys)
                  for j in pool if j not in chosen}
        j = max(trials, key=trials.get)
        if chosen and trials[j] < best + MIN_GAIN:
            break
        chosen.append(j)
        product, best = product * X[:, j], trials[j]
    return chosen


def out_of_fold(X, pool, sets, fold, keys, names, rows_of=None) -> tuple[np.ndarray, list]:
    """Out-of-fold scores of the forward selection under `keys`; with `rows_of`, only
    those rows are scored (the others stay NaN) and chosen on."""
    out, picks = np.full(len(X), np.nan), []
    scope = np.ones(len(X), bool) if rows_of is None else rows_of
    for k in range(fold.max() + 1):
        chosen = forward(X, pool, sets, (fold != k) & scope, keys)
        test = (fold == k) & scope
        out[test] = np.prod(X[np.ix_(test, chosen)], axis=1)
        picks.append(" x ".join(names[j] for j in chosen))
    return out, picks


def main() -> None:
    args = dev_script_args(__doc__)
    load = load_average()
    rows, sets, names, X = load_dev_features(args.data)
    novelty = X[:, names.index("novelty")]
    pool = [j for j, n in enumerate(names)
            if n in ("nums", "ents") or A.support_like(n)]
    fold = A.grouped_folds(sets, 5, 0)
    frank = sets.set != "summeval"
    joint, joint_picks = out_of_fold(X, pool, sets, fold, CRITERIA["joint"], names)
    apart_f, frank_picks = out_of_fold(X, pool, sets, fold, CRITERIA["frank"], names, frank)
    apart_s, se_picks = out_of_fold(X, pool, sets, fold, CRITERIA["summeval"], names, ~frank)
    apart = np.where(frank, apart_f, apart_s)
    scores = {"shipped default": score_rows(rows, checks_for(None)),
              "forward selection, joint criterion (out of fold)": joint,
              "forward selection, FRANK and SummEval apart (out of fold; diagnostic)": apart}
    lines = variant_table(sets, scores, novelty)
    lines += ["", f"Pool: {len(pool)} columns. Products chosen per fold (factors in the "
              "order added):", ""]
    for title, picks in (("joint", joint_picks), ("FRANK", frank_picks),
                         ("SummEval", se_picks)):
        lines += [f"- {title}: " + "; ".join(f"fold {k}: {p}" for k, p in enumerate(picks))]
    lines = header("forward_selection", load, [A.machine_lines()[1]]) + lines + [""]
    print("\n".join(lines))
    if not args.no_write:
        append_section(RESULTS / "agreement_cv.md", "Agreement, cross-validated", lines)


if __name__ == "__main__":
    main()
