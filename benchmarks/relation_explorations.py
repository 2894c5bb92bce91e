"""The explorations behind the relation check's `relations_score`, reproducible.

Usage: .venv/bin/python -m benchmarks.relation_explorations [--data DIR] [--write]

Exploration, not selection: every figure here is on all rows, and the formulas were
looked at after seeing them. The honest figures are relations_frank.md's out-of-fold ones.

1. Formulas of the verdict-class counts of the check's default setting (all / strict /
   every class flagged) against FRANK's EntE labels: ROC-AUC on CNN/DM, XSum and both
   (c, t, u, n = conflict, together, unlinked, novel; s = supported; a = all counted
   arcs). Then the choice among these formulas inside article folds (nested, seed 0).
   Then relations_frank's grid with and without the "weighted" score over ten fold
   splits.
2. The relation check as a factor of the default `consistency`, and the default's own
   factors alone, on the FRANK and SummEval dev rows (default_consistency.py's
   statistics; nothing fitted).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from scipy.stats import rankdata

from summcheck.consistency.relations import CLASSES, RelationCheck, verdict
from summcheck.scoring import score_batch
from summcheck.types import Example, Summary

from . import default_consistency as D
from . import relations_frank as R
from .data import add_data_argument, data_dir
from .results_file import RESULTS, append_section, header, load_average
from .stats import roc_auc

OUT = RESULTS / "relation_explorations.md"
FACTORS = ("numbers_precision", "entities_precision_source", "support_precision",
           "support_unstitched")


def class_counts(results: list) -> dict[str, np.ndarray]:
    """Per relation-check result: the count of each verdict class and of supported arcs."""
    counts = {c: np.array([sum(verdict(f) == c for f in r.findings) for r in results])
              for c in CLASSES}
    counts["s"] = np.array([r.scores["relations_count"] - len(r.findings) for r in results])
    return counts


def formulas(k: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Badness scores (higher: more likely an error) from class counts."""
    c, t, u, n, s = (k[x] for x in ("conflict", "together", "unlinked", "novel", "s"))
    ctu, a = c + t + u, np.maximum(c + t + u + n + s, 1)
    share = s / a
    return {"c+t+u": ctu, "share (c+t+u+n)/a": (ctu + n) / a, "c+t+u+n": ctu + n,
            "(c+t+u)/(s+c+t+u)": ctu / np.maximum(s + ctu, 1), "(c+t+u)/a": ctu / a,
            "(c+t+u)/sqrt(a)": ctu / np.sqrt(a), "c+t": c + t, "c+t+u > 0": (ctu > 0) * 1.0,
            "c+t+u - s": ctu - s, "c+t+u + n x s/a (relations_score)": ctu + n * share,
            "c+t+u + n x (s/a)^2": ctu + n * share ** 2,
            "(c+t+u + n x s/a)/sqrt(a)": (ctu + n * share) / np.sqrt(a)}


def formula_lines(rows: list[dict], folder: Path) -> list[str]:
    check = RelationCheck(flag=CLASSES)
    check.load_cache(folder)
    scored = formulas(class_counts(check.check_many(R.items(rows))))
    errors = np.array([r["labels"]["EntE"] < 1 for r in rows])
    sets = {d: np.array([r["dataset"] == d for r in rows]) for d in ("cnndm", "xsum")}
    lines = ["### 1. Formulas (all rows, EntE AUC)", "", "| formula | CNN/DM | XSum | both |",
             "|---|---|---|---|"]
    for name, s in scored.items():
        cells = [roc_auc(s[m], errors[m]) for m in sets.values()] + [roc_auc(s, errors)]
        lines.append(f"| {name} | " + " | ".join(f"{x:.3f}" for x in cells) + " |")
    oof, chosen = R.cross_validated(scored, errors, R.article_folds(rows, 5, 0))
    lines += ["", f"Chosen among the formulas inside 5 article folds (seed 0): "
              f"{'; '.join(chosen)}; out of fold {roc_auc(oof, errors):.3f}."]
    grid = R.variant_scores(rows, folder)
    args = SimpleNamespace(seed=0, split_seeds=10, folds=5)
    without = {key: s for key, s in grid.items() if key[1] != "weighted"}
    lines += ["", "relations_frank's grid, over ten fold splits (EntE, both sets):",
              f"- without the weighted score: {R.split_spread(rows, without, errors, args)}",
              f"- with it: {R.split_spread(rows, grid, errors, args)}"]
    return lines


def factor_lines(data: Path, folder: Path) -> list[str]:
    rows, sets, _ = D.load_rows(data)
    factors, consistency = default_factors(rows)
    check = RelationCheck(flag=CLASSES)
    check.load_cache(folder)
    results = check.check_many([(r.article, list(r.bullets), None) for r in rows])
    score = np.array([r.scores["relations_score"] for r in results])
    precision = np.array([r.scores["relations_precision"] for r in results])
    k = class_counts(results)
    c, t, u = k["conflict"], k["together"], k["unlinked"]
    variants = {"the default": consistency, "default x relations_score": consistency * score,
                "default x sqrt(relations_score)": consistency * np.sqrt(score),
                "default x relations_precision": consistency * precision,
                "rank mean of default and relations_precision":
                    rankdata(consistency) + rankdata(precision),
                "rank mean of default and relations_score":
                    rankdata(consistency) + rankdata(score),
                "default x 1/(1+c+t+u)": consistency / (1 + c + t + u),
                "default x 1/(1+c+t)": consistency / (1 + c + t),
                "default x 1/(1+c)": consistency / (1 + c),
                "default x 1/(1+(c+t+u)/2)": consistency / (1 + (c + t + u) / 2),
                "relations_precision alone": precision, "relations_score alone": score,
                **{f"{name} alone": values for name, values in factors.items()}}
    lines = ["### 2. The relation check as a factor of `consistency` (all rows)", "",
             "| score | FRANK both P | SummEval all rows S | per article S | system S |",
             "|---|---|---|---|---|"]
    for name, s in variants.items():
        fig = sets.figures(s)
        article = D.per_article(sets, s, 200, 0)[0]
        lines.append(f"| {name} | {fig['both_P']:+.3f} | {fig['se_summary']:+.3f} | "
                     f"{article:+.3f} | {fig['se_system']:+.3f} |")
    se = sets.se
    lines += ["", "SummEval rows with a number / a name the story lacks: "
              f"{(factors['numbers_precision'][se] < 1).mean():.1%} / "
              f"{(factors['entities_precision_source'][se] < 1).mean():.1%}."]
    return lines


def default_factors(rows: list) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The default checks' multiplied factors and `consistency`, as a run scores them."""
    checks = D.checks_for(None)
    values: list[dict] = [{}] * len(rows)
    by_system: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_system.setdefault(row.system, []).append(i)
    for idx in by_system.values():
        examples = [Example(rows[i].id, rows[i].article) for i in idx]
        summaries = [Summary(rows[i].id, rows[i].bullets) for i in idx]
        for i, (v, _) in zip(idx, score_batch(examples, summaries, [], checks)):
            values[i] = v
    factors = {f: np.array([v.get(f, 1.0) for v in values]) for f in FACTORS}
    return factors, np.array([v["consistency"] for v in values])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_argument(ap)
    ap.add_argument("--write", action="store_true", help=f"append to {OUT}")
    args = ap.parse_args()
    load = load_average()
    data = data_dir(args.data)
    with tempfile.TemporaryDirectory() as folder:
        lines = formula_lines(R.frank_rows(data, ["cnndm", "xsum"]), Path(folder))
        lines += [""] + factor_lines(data, Path(folder))
    lines = header("relation_explorations", load) + lines
    print("\n".join(lines))
    if args.write:
        append_section(OUT, "Explorations behind relations_score", lines)


if __name__ == "__main__":
    main()
