"""The shipped default `consistency`, scored exactly as `summcheck run` scores it, against
human judgements, with its copy bias and its speed.

Usage (from the repository root; appends a dated section to
benchmarks/results/default_consistency.md):

    .venv/bin/python -m benchmarks.default_consistency [--data DIR] [--repeats 3] [--no-write]

- Scores: `scoring.build_checks` on a config with no `checks` section (numbers, entities,
  support with method auto) and `scoring.score_batch`, one batch per system, on the FRANK
  validation and SummEval dev rows (bullets split as benchmarks.agreement_cv splits
  them); also with `support: {method: lexical}`, what `auto` falls back to when the MiniLM
  weights are not installed.
- Agreement: the statistics of agreement_cv.py (`Sets`): FRANK partial Pearson/Spearman
  with Factuality (system partialled out), SummEval Spearman (summary level, within
  system, system level), 95% bootstrap intervals. agreement_cv's "summary level" is
  the Spearman over all 800 rows ("sample level" in Bhandari et al. 2020, arXiv
  2010.07100); their "summary level", which UniEval and G-Eval report, is the Spearman
  over one article's summaries averaged over the articles (an article whose scores or
  human judgements are all equal is left out, as UniEval's reproduction script does):
  the "per-article" column, its interval from resampled articles. Nothing is fitted,
  so every figure is out of fold as it stands; the method itself was chosen on these rows
  (agreement_cv.md: its nested-selection row is the honest figure for that choice).
- Copy bias: Spearman with the novel-bigram share, beside the human scores' own.
- Speed: summaries per second of the default checks, spaCy and the encoder loaded first,
  nothing cached: the 375 FRANK CNN/DM rows in file order (75 stories, each summarized by
  5 systems: "stories shared"), and one summary per story (every story new). As in a run,
  the checks use the forked workers they start (entity NER, the support check) and the
  collector's raised threshold (summcheck.heap), set by the first scored batch; what each
  of those gains: benchmarks/check_overlap.py.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from summcheck.config import RunSpec
from summcheck.scoring import build_checks, score_batch
from summcheck.types import Example, Summary

from . import agreement_cv as A
from .caches import clear_text_caches
from .data import add_data_argument, data_dir
from .results_file import RESULTS, append_section, header, load_average
from .stats import ci as interval, spearman

OUT = RESULTS / "default_consistency.md"


def load_dev_features(data) -> tuple[list, "A.Sets", list[str], np.ndarray]:
    """The FRANK and SummEval dev rows (`data`: a folder, or None for the default), their
    `Sets`, and agreement_cv's cached per-summary features (column names, matrix)."""
    data = data_dir(data)
    rows = A.load_rows(data)
    names, features = A.feature_matrix(A.load_features(rows, data, A.CACHE), rows,
                                       A.CACHE, data)
    return rows, A.Sets(rows), names, features


def load_rows(data) -> tuple[list, "A.Sets", np.ndarray]:
    """The rows, their `Sets`, and each summary's novel-bigram share."""
    rows, sets, names, features = load_dev_features(data)
    return rows, sets, features[:, names.index("novelty")]


def checks_for(method: str | None) -> list:
    checks = {} if method is None else {"checks": {"support": {"method": method}}}
    return build_checks(RunSpec.model_validate({"name": "x", "summarizers": [{"type": "lead"}],
                                                **checks}))


def per_article(sets: "A.Sets", scores: np.ndarray, n_boot: int, seed: int
                ) -> tuple[float, tuple[float, float], int]:
    """SummEval's summary-level Spearman as Bhandari et al. 2020 define it: within each
    article (over its systems' summaries), averaged over the articles whose scores and
    human judgements both vary; a 95% interval from `n_boot` resamples of those articles."""
    docs = sets.groups[sets.se]
    values = []
    for doc in np.unique(docs):
        idx = sets.se[docs == doc]
        if np.ptp(scores[idx]) > 0 and np.ptp(sets.human[idx]) > 0:
            values.append(spearman(scores[idx], sets.human[idx]))
    values = np.array(values)
    draws = np.random.default_rng(seed).integers(0, len(values), (n_boot, len(values)))
    return float(values.mean()), interval(values[draws].mean(axis=1)), len(values)


def score_rows(rows: list, checks: list) -> np.ndarray:
    by_system: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_system.setdefault(row.system, []).append(i)
    out = np.zeros(len(rows))
    for indices in by_system.values():
        examples = [Example(rows[i].id, rows[i].article) for i in indices]
        summaries = [Summary(rows[i].id, rows[i].bullets) for i in indices]
        for i, (values, _) in zip(indices, score_batch(examples, summaries, [], checks)):
            out[i] = values["consistency"]
    return out


def rate(rows: list, repeats: int) -> tuple[float, float]:
    """Median summaries/s of fresh checks (models loaded, nothing cached) over the rows."""
    rates = []
    for _ in range(repeats):
        checks = checks_for(None)
        checks[1].nlp, checks[2].signature()   # spaCy and the encoder loaded, not timed
        if clear_text_caches() < 5:     # the walk found none: a repeat would run warm
            raise SystemExit("benchmarks.caches found none of summcheck's per-text caches")
        start = time.perf_counter()
        score_rows(rows, checks)
        rates.append(len(rows) / (time.perf_counter() - start))
    return statistics.median(rates), min(rates)


def fmt(fig: dict, ci: dict, key: str) -> str:
    low, high = ci.get(key, (float("nan"),) * 2)
    return f"{fig[key]:+.3f} [{low:+.2f}, {high:+.2f}]"


VARIANT_KEYS = ("cnndm_P", "xsum_P", "both_P", "se_summary", "se_within", "se_system")


def variant_table(sets: "A.Sets", scores: dict[str, np.ndarray], novelty: np.ndarray
                  ) -> list[str]:
    """Markdown rows of each score's target figures (95% bootstrap intervals), criterion
    and copy bias: the table of the scripts that try one variant of the default."""
    lines = ["| score | FRANK CNN/DM P | FRANK XSum P | FRANK both P | SummEval summary S "
             "| SummEval within S | SummEval system S | criterion | copy bias (CNN/DM / XSum "
             "/ SummEval rows) |", "|---|---|---|---|---|---|---|---|---|"]
    for label, values in scores.items():
        fig, ci = sets.figures(values), sets.bootstrap(values, 1000, 0)
        bias = sets.copy_bias(values, novelty)
        lines.append(f"| {label} | " + " | ".join(fmt(fig, ci, k) for k in VARIANT_KEYS)
                     + f" | {A.criterion(fig):.4f} | " + " / ".join(
                         f"{bias[f'{s}_rows']:+.3f}" for s in ("cnndm", "xsum", "summeval"))
                     + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_argument(ap)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--no-write", action="store_true", help="print the section only")
    args = ap.parse_args()
    load = load_average()
    rows, sets, novelty = load_rows(args.data)
    signature = ""
    lines = ["| score | FRANK CNN/DM P | FRANK XSum P | FRANK both P | SummEval summary S "
             "(all rows) | SummEval per-article S | SummEval within S | SummEval system S |",
             "|---|---|---|---|---|---|---|---|"]
    copy = []
    for label, method in (("default (no `checks` section), support auto -> "
                           f"{checks_for(None)[2].method}", None),
                          ("support method lexical (auto without the MiniLM weights)",
                           "lexical")):
        checks = checks_for(method)
        scores = score_rows(rows, checks)
        fig, ci = sets.figures(scores), sets.bootstrap(scores, args.bootstrap, 0)
        article, article_ci, n_articles = per_article(sets, scores, args.bootstrap, 0)
        cells = [fmt(fig, ci, k) for k in ("cnndm_P", "xsum_P", "both_P", "se_summary")]
        cells.append(f"{article:+.3f} [{article_ci[0]:+.2f}, {article_ci[1]:+.2f}] "
                     f"({n_articles} articles)")
        cells += [fmt(fig, ci, k) for k in ("se_within", "se_system")]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
        copy.append((label, sets.copy_bias(scores, novelty)))
        if method is None:
            signature = checks[2].signature()
    copy.append(("human scores", sets.copy_bias(sets.target, novelty)))
    lines += ["", "Copy bias: Spearman with the novel-bigram share (rows / within systems).",
              "", "| score | FRANK CNN/DM | FRANK XSum | SummEval |", "|---|---|---|---|"]
    for label, bias in copy:
        lines.append(f"| {label} | " + " | ".join(
            f"{bias[f'{s}_rows']:+.3f} / {bias[f'{s}_within']:+.3f}"
            for s in ("cnndm", "xsum", "summeval")) + " |")
    cnndm = [r for r in rows if r.set == "frank-cnndm"]
    seen: set[str] = set()
    one_each = [r for r in cnndm if not (r.group in seen or seen.add(r.group))]
    shared, new = rate(cnndm, args.repeats), rate(one_each, args.repeats)
    lines += ["", "Speed, default checks, one run (this process and its forked workers; "
              f"median / slowest of {args.repeats}):",
              f"- stories shared ({len(cnndm)} FRANK CNN/DM summaries of "
              f"{len(one_each)} stories): {shared[0]:.0f} / {shared[1]:.0f} summaries/s",
              f"- every story new ({len(one_each)} summaries, one per story): "
              f"{new[0]:.0f} / {new[1]:.0f} summaries/s", ""]
    libraries = A.machine_lines()[1]
    lines = header("default_consistency", load, [libraries, f"- signature: `{signature}`"]) + lines
    print("\n".join(lines))
    if not args.no_write:
        append_section(OUT, "The default consistency score against human judgements", lines)


if __name__ == "__main__":
    main()
