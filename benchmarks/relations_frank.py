"""Agreement of the relation check with FRANK's human error labels, and its speed.

Usage: .venv/bin/python -m benchmarks.relations_frank [--data DIR] [--datasets cnndm,xsum]
       [--folds 5] [--bootstrap 1000] [--seed 0] [--split-seeds 10] [--write]

Data: frank_valid.jsonl from --data, else $SUMMCHECK_DATA, else ../shared/data.
Each FRANK summary is checked as one bullet against its article.

- Variants: every (scope, roles, flag) setting of RelationCheck, each scored four ways:
  the number of unsupported relations ("count"), 1 - relations_precision ("share"),
  the count per summary word ("rate", added 2026-12-05), and "weighted" (added
  2026-12-05): the count with each "novel" arc weighted by the share of the summary's
  counted arcs that are supported, which ranks as the check's `relations_score` does.
  A novel word in a summary that otherwise copies is suspect; in one that rewrites
  everything, it is the norm.
- "weighted" was conceived after seeing both data sets' figures, in an exploration of
  a dozen formulas on the 671 rows (not in the grid; relations_frank.md, the notes on
  the 2026-12-05 17:12 section). The rule, fixed before its first run: it becomes the
  score to rank by only if the pooled out-of-fold EntE AUC with it in the grid beats the
  0.636 without it and the folds choose it.
- Cross-validated choice: 5 folds split by article (an article's summaries are all in one
  fold); in each fold the variant and score with the best AUC on the other four folds
  scores the held-out fold. The out-of-fold AUC of those scores is the figure reported
  for a tuned choice, with a 95% interval from a bootstrap over articles. Its spread over
  `--split-seeds` fold splits follows (added 2026-12-05: the figure of one split moves
  when one fold chooses another variant).
- The check's default setting (frozen from the CNN/DM cross-validation) on each
  dataset; XSum was not looked at while designing, so its row is held out.
- Context: the entity check (count of unsupported entities) and the lexical support
  check (1 - support_precision) on the same rows; AUC within each system (averaged over
  systems, weighted by their error/clean pairs), so system identity alone cannot carry
  it; partial Pearson with Factuality, system partialled out.
- False alarms: share of summaries with a finding among those humans found fully
  factual (Factuality = 1), and on the reference highlights checked as summaries.
- Throughput on the rows checked: summaries per second cold (stories parsed) and with
  the story analyses cached (model load excluded).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

from summcheck.consistency.relations import CLASSES, RelationCheck, verdict

from . import results_file
from .data import data_dir, load_jsonl
from .stats import group_bootstrap, group_codes, partial_corr, roc_auc

RESULTS = results_file.RESULTS / "relations_frank.md"
LABELS = ("EntE", "RelE")
SETTINGS = [dict(scope=s, roles=r) for s in ("names", "all") for r in ("strict", "lenient")]
# Every non-empty set of verdict classes that may count as findings.
FLAGS = [c for n in range(1, len(CLASSES) + 1) for c in itertools.combinations(CLASSES, n)]
VARIANTS = [dict(setting, flag=flag) for setting in SETTINGS for flag in FLAGS]

def frank_rows(data: Path | None, wanted: list[str]) -> list[dict]:
    """FRANK validation rows of the `wanted` datasets, in file order."""
    return [r for r in load_jsonl(data_dir(data) / "frank_valid.jsonl")
            if r["dataset"] in wanted]


def dataset_subsets(rows: list[dict], wanted: list[str]) -> list[tuple[str, list[int]]]:
    """(name, row indices) of each wanted dataset, then of all of them together."""
    subsets = [(d, [i for i, r in enumerate(rows) if r["dataset"] == d]) for d in wanted]
    if len(wanted) > 1:
        subsets.append(("+".join(wanted), list(range(len(rows)))))
    return subsets


def items(rows: list[dict], field: str = "summary") -> list[tuple]:
    return [(r["article"], [r[field]], None) for r in rows]


def variant_scores(rows: list[dict], folder: Path) -> dict[tuple[int, str], np.ndarray]:
    """{(variant index, "count" | "share" | "rate" | "weighted"): score per row}:
    unsupported relations, their share of the summary's relations, their number per
    summary word (a count that does not grow with the summary's length), and the count
    with novel arcs weighted by the supported share of the counted arcs (as
    `relations_score`, which is 1 / (1 + it)). One run per setting with
    every class flagged; a variant's scores keep the findings of its classes (the
    others drop out of its count, as they would with `flag` set to its classes). Story
    analyses are shared through the cache file in `folder`."""
    out = {}
    words = np.array([max(len(r["summary"].split()), 1) for r in rows])
    for setting in SETTINGS:
        check = RelationCheck(**setting, flag=CLASSES)
        check.load_cache(folder)
        results = check.check_many(items(rows))
        supported = np.array([r.scores["relations_count"] - len(r.findings) for r in results])
        novel = np.array([sum(verdict(f) == "novel" for f in r.findings) for r in results])
        for flag in FLAGS:
            v = VARIANTS.index(dict(setting, flag=flag))
            found = np.array([sum(verdict(f) in flag for f in r.findings) for r in results])
            out[v, "count"] = found
            out[v, "share"] = found / np.maximum(found + supported, 1)
            out[v, "rate"] = found / words
            flagged_novel = novel if "novel" in flag else 0
            # as RelationCheck's relations_score with `flag` set to these classes computes it
            out[v, "weighted"] = found - flagged_novel + flagged_novel * supported / np.maximum(
                supported + found, 1)
        shipped = np.array([r.scores["relations_score"] for r in results])
        assert np.allclose(1 / (1 + out[v, "weighted"]), shipped)   # v: every class flagged
    return out


def article_folds(rows: list[dict], k: int, seed: int) -> np.ndarray:
    """Fold of each row: articles shuffled by a seeded hash, dealt round-robin."""
    articles = sorted({r["article"] for r in rows},
                      key=lambda a: hashlib.sha1(f"{seed}:{a}".encode()).hexdigest())
    fold_of = {a: i % k for i, a in enumerate(articles)}
    return np.array([fold_of[r["article"]] for r in rows])


def cross_validated(scores: dict, errors: np.ndarray, folds: np.ndarray
                    ) -> tuple[np.ndarray, list]:
    """Out-of-fold scores: each fold scored by the choice best on the other folds."""
    oof, chosen = np.zeros(len(errors)), []
    for fold in np.unique(folds):
        train, test = folds != fold, folds == fold
        best = max(scores, key=lambda c: (roc_auc(scores[c][train], errors[train]), c))
        chosen.append(best)
        oof[test] = scores[best][test]
    return oof, chosen


def article_interval(stat, groups: list, n: int, seed: int) -> tuple[float, float]:
    """95% percentile interval of `stat(row indices)`, resampling whole articles."""
    low, high = np.percentile(group_bootstrap(stat, groups, n, seed), [2.5, 97.5])
    return float(low), float(high)


def bootstrap_auc(scores: np.ndarray, errors: np.ndarray, groups: list, n: int,
                  seed: int) -> tuple[float, float, float]:
    """AUC with its article-bootstrap interval."""
    def stat(idx):
        return roc_auc(scores[idx], errors[idx]) if 0 < errors[idx].sum() < len(idx) else None
    return (roc_auc(scores, errors), *article_interval(stat, groups, n, seed))


def within_system_auc(scores: np.ndarray, errors: np.ndarray, systems: list) -> float:
    """AUC inside each system, averaged with weights = its error x clean pairs."""
    total, weight = 0.0, 0
    for system in set(systems):
        m = np.array([s == system for s in systems])
        pairs = errors[m].sum() * (~errors[m]).sum()
        if pairs:
            total += pairs * roc_auc(scores[m], errors[m])
            weight += pairs
    return total / weight


def partial_pearson(x: np.ndarray, y: np.ndarray, systems: list) -> float:
    """Pearson of x and y after removing each system's mean from both."""
    return partial_corr(x, y, group_codes(systems), rank=False)


def baselines(rows: list[dict]) -> dict[str, np.ndarray]:
    from summcheck.consistency.entities import EntityCheck
    from summcheck.consistency.support import SupportCheck

    entities = EntityCheck().check_many(items(rows))
    support = SupportCheck(method="lexical")
    return {"entity check (count)": np.array([r.scores["entities_unsupported"]
                                              for r in entities]),
            "support lexical (1 - precision)": np.array(
                [1 - support.check(source=a, summary=s).scores["support_precision"]
                 for a, s, _ in items(rows)])}


def throughput(rows: list[dict]) -> dict[str, float]:
    check = RelationCheck()
    check.nlp
    start = time.perf_counter()
    check.check_many(items(rows))
    cold = time.perf_counter() - start
    start = time.perf_counter()
    check.check_many(items(rows))
    cached = time.perf_counter() - start
    stories = len({r["article"] for r in rows})
    return {"summaries": len(rows), "stories": stories, "cold_per_s": len(rows) / cold,
            "cached_per_s": len(rows) / cached}


def false_alarms(rows: list[dict], default: np.ndarray) -> dict[str, float]:
    clean = np.array([r["labels"]["Factuality"] == 1 for r in rows])
    refs = {r["article"]: r for r in rows}
    ref_results = RelationCheck().check_many(items(list(refs.values()), "reference"))
    return {"clean": float((default[clean] > 0).mean()), "n_clean": int(clean.sum()),
            "erroneous": float((default[~clean] > 0).mean()),
            "references": float(np.mean([r.findings != () for r in ref_results])),
            "n_references": len(refs)}


def describe(choice: tuple) -> str:
    v, how = choice
    opts = VARIANTS[v]
    return f"{opts['scope']}/{opts['roles']}/{'+'.join(opts['flag'])}/{how}"


def default_index() -> int:
    check = RelationCheck()
    return next(i for i, o in enumerate(VARIANTS) if o == dict(
        scope=check.scope, roles=check.roles, flag=check.flag))


def evaluate(name: str, rows: list[dict], scores: dict, extra: dict, args) -> list[str]:
    """Table rows for one dataset (or both)."""
    groups = [r["article"] for r in rows]
    systems = [r["system"] for r in rows]
    folds = article_folds(rows, args.folds, args.seed)
    d = default_index()
    lines = []
    for label in LABELS:
        errors = np.array([r["labels"][label] < 1 for r in rows])
        oof, chosen = cross_validated(scores, errors, folds)
        rows_out = [("out-of-fold choice", oof)] + [
            (f"default setting ({how})", scores[d, how.partition(":")[0]])
            for how in ("count", "share", "rate", "weighted: relations_score")
        ] + list(extra.items())
        for what, s in rows_out:
            auc, low, high = bootstrap_auc(s, errors, groups, args.bootstrap, args.seed)
            lines.append(f"| {label} | {name} | {len(rows)} | {int(errors.sum())} | {what} | "
                         f"{auc:.3f} [{low:.3f}, {high:.3f}] | "
                         f"{within_system_auc(s, errors, systems):.3f} |")
        lines.append(f"| {label} | {name} | | | folds chose | "
                     f"{'; '.join(describe(c) for c in chosen)} | |")
        lines.append(f"| {label} | {name} | | | out-of-fold choice over fold splits | "
                     f"{split_spread(rows, scores, errors, args)} | |")
    return lines


def split_spread(rows: list[dict], scores: dict, errors: np.ndarray, args) -> str:
    """The out-of-fold AUC of the cross-validated choice over `args.split_seeds` article
    fold splits (seeds args.seed, args.seed + 1, ...): one split's figure moves when a
    fold chooses another variant."""
    seeds = range(args.seed, args.seed + args.split_seeds)
    aucs = np.array([roc_auc(cross_validated(scores, errors, article_folds(
        rows, args.folds, seed))[0], errors) for seed in seeds])
    return (f"median {np.median(aucs):.3f}, mean {aucs.mean():.3f}, range "
            f"[{aucs.min():.3f}, {aucs.max():.3f}], below 0.65 in {int((aucs < 0.65).sum())} "
            f"of {len(aucs)} splits (seeds {seeds[0]}-{seeds[-1]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--datasets", default="cnndm,xsum")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split-seeds", type=int, default=10,
                        help="fold splits for the spread of the out-of-fold figure")
    parser.add_argument("--write", action="store_true", help=f"append to {RESULTS}")
    args = parser.parse_args()
    wanted = args.datasets.split(",")
    load_start = results_file.load_average()
    rows = frank_rows(args.data, wanted)
    speed = throughput([r for r in rows if r["dataset"] == wanted[0]])
    with tempfile.TemporaryDirectory() as folder:
        scores = variant_scores(rows, Path(folder))
    extra = baselines(rows)
    d = default_index()
    extra["default share + support lexical (mean of ranks, untuned)"] = (
        rankdata(scores[d, "share"]) + rankdata(extra["support lexical (1 - precision)"]))
    lines = section_header(args, speed, load_start)
    subsets = dataset_subsets(rows, wanted)
    for name, idx in subsets:
        sub = [rows[i] for i in idx]
        lines += evaluate(name, sub, {c: s[idx] for c, s in scores.items()},
                          {k: v[idx] for k, v in extra.items()}, args)
    lines += single_classes(rows, scores, subsets)
    lines += factuality_and_alarms(rows, scores, subsets, args)
    print("\n".join(lines))
    if args.write:
        results_file.append_section(RESULTS, "Relation check vs FRANK human labels", lines)


def section_header(args, speed: dict, load_start: str) -> list[str]:
    check = RelationCheck()
    return [
        *results_file.header("relations_frank", load_start)[:-1],
        f"- signature (default setting): `{check.signature()}`",
        f"- throughput ({speed['summaries']} summaries, {speed['stories']} stories, one "
        f"process): {speed['cold_per_s']:.1f} summaries/s cold (stories parsed), "
        f"{speed['cached_per_s']:.1f} summaries/s with story analyses cached", "",
        "| label <1 | data | n | errors | scores | ROC-AUC [95% CI] | within-system AUC |",
        "|---|---|---|---|---|---|---|",
    ]


def single_classes(rows: list[dict], scores: dict, subsets: list) -> list[str]:
    """Per verdict class (scope all, strict roles): the EntE AUC of its count alone, and
    its mean count per summary with / without an EntE error; then the same means for
    the default setting's share of unsupported relations."""
    lines = ["", "| scope all, strict: verdict class | "
             + " | ".join(f"{name} EntE AUC (count alone) | {name} mean per summary: "
                          "EntE error / clean" for name, _ in subsets) + " |",
             "|---|" + "---|---|" * len(subsets)]
    errors = np.array([r["labels"]["EntE"] < 1 for r in rows])
    d = default_index()
    keyed = [(cls, (VARIANTS.index(dict(scope="all", roles="strict", flag=(cls,))),
                    "count")) for cls in CLASSES] + [("default: share", (d, "share"))]
    for label, key in keyed:
        cells = []
        for _, idx in subsets:
            s, e = scores[key][idx], errors[idx]
            auc = f"{roc_auc(s, e):.3f}" if key[1] == "count" else "-"
            cells.append(f"{auc} | {s[e].mean():.2f} / {s[~e].mean():.2f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def factuality_and_alarms(rows: list[dict], scores: dict, subsets: list, args
                          ) -> list[str]:
    d = default_index()
    lines = ["", "| data | partial Pearson with Factuality, system partialled: "
             "relations_precision | the same: relations_score | flagged: clean (Factuality=1) | "
             "flagged: erroneous | references flagged |", "|---|---|---|---|---|---|"]
    for name, idx in subsets:
        sub = [rows[i] for i in idx]
        count = scores[d, "count"][idx]
        goodness = (-scores[d, "share"][idx], 1 / (1 + scores[d, "weighted"][idx]))
        alarms = false_alarms(sub, count)
        lines.append(f"| {name} | "
                     + " | ".join(_partial_with_interval(g, sub, args) for g in goodness)
                     + f" | {alarms['clean']:.1%} of {alarms['n_clean']} | "
                     f"{alarms['erroneous']:.1%} | {alarms['references']:.1%} of "
                     f"{alarms['n_references']} |")
    return lines


def _partial_with_interval(score: np.ndarray, rows: list[dict], args) -> str:
    """Partial Pearson of `score` with Factuality (system partialled out) [95% interval]."""
    fact = np.array([r["labels"]["Factuality"] for r in rows])
    systems = np.array([x["system"] for x in rows])
    r = partial_pearson(score, fact, list(systems))
    low, high = article_interval(
        lambda i: partial_pearson(score[i], fact[i], list(systems[i])),
        [x["article"] for x in rows], args.bootstrap, args.seed)
    return f"{r:.3f} [{low:.3f}, {high:.3f}]"


if __name__ == "__main__":
    main()
