"""The opt-in likelihood check against human judgements: agreement, copy bias and speed
(issue 15, point 3).

Usage (from the repository root; appends a section to benchmarks/results/likelihood.md):

    .venv/bin/python -m benchmarks.likelihood [--data DIR] [--cache DIR] [--bootstrap 1000]
                                              [--seed 0] [--folds 5] [--timing-stories 6]

Rows: benchmarks.agreement_cv's (FRANK validation CNN/DM + XSum, SummEval dev; each
summary's bullets as a run splits them), with its features for the novel-bigram share and
the default `consistency`'s factors (from agreement_cv's cache; computed there first when
missing). Each summary's per-token log-ratios r(t) = log p(t | story) - log p(t) come from
the check's own code (`LanguageModel.ratios`: Gemma 3 270M, story cut to 768 tokens;
bullets read first as `check_many` reads them, `readable`: detokenized, truecased from the
story),
cached per story in --cache/likelihood, keyed by the story, its summaries' bullets, the
model and the story cut.

Summary scores compared, all fixed before looking at the figures and free of fitted
constants:
  mean sigmoid   mean over tokens of sigmoid(r): the check's `likelihood_support`
  mean ratio     mean r
  positive share share of tokens with r > 0
  weakest bullet lowest bullet mean of sigmoid(r)
  rank mean      mean of the ranks of the default `consistency` (numbers x entities x
                 support x unstitched, as agreement_cv computes it) and mean sigmoid
  product        numbers x entities x mean sigmoid: `consistency` with the likelihood
                 in the support check's place
Which of the first four a user should read is chosen by nested selection (benchmarks.
agreement_cv.nested_selection: inside each training part of 5 folds split by article, the
best inner cross-validated criterion; scored on the held-out articles), and that
out-of-fold figure is reported next to each candidate's own.

Speed: the check as a run calls it (`check_many` on the summaries of --timing-stories
FRANK CNN/DM stories, five summaries each, then one summary each of as many other
stories), one process, model loaded first.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from . import results_file
from .agreement_cv import (
    CACHE, Candidate, Sets, copy_table, figures_table, grouped_folds, load_features,
    load_rows, nested_selection, targets_table, feature_matrix,
)
from .data import DATA

OUT = results_file.RESULTS / "likelihood.md"
DEFAULT_FACTORS = ("nums", "ents", "lexemb_L0_top1_mean", "unstitched_max")


def ratio_inputs(check) -> str:
    """What moves the log-ratios (not the findings' rule): model, story cut, prompt."""
    from summcheck.consistency.likelihood import METHOD_VERSION

    return f"{check.model_id}|story_tokens={check.lm.story_tokens}|v={METHOD_VERSION}"


def token_ratios(rows, check, cache: Path, log=print) -> list[list[tuple[int, float]]]:
    """Per row, its tokens' (bullet, r(t)), from the check's language model; cached per
    story."""
    from summcheck.consistency.likelihood import readable
    from summcheck.consistency.truecasing import CaseTable

    by_story: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_story.setdefault(r.article, []).append(i)
    folder = cache / "likelihood"
    folder.mkdir(parents=True, exist_ok=True)
    out: list = [None] * len(rows)
    started = time.perf_counter()
    for n, (article, index) in enumerate(by_story.items()):
        key = hashlib.sha256(json.dumps([article, [rows[i].bullets for i in index],
                                         ratio_inputs(check)]).encode()).hexdigest()[:24]
        path = folder / f"{key}.json"
        if path.exists():
            values = json.loads(path.read_text())
        else:
            state, case = check.lm.context(article), CaseTable(article)
            values = []
            for i in index:
                # the bullets as the check reads them (check_many): detokenized, truecased
                bullets = [readable(b, case)[0] for b in rows[i].bullets]
                t = check.lm.ratios(state, bullets)
                values.append([[b, round(x, 5)] for b, x in zip(t.bullet, t.ratio)])
            path.write_text(json.dumps(values))
        for i, v in zip(index, values):
            out[i] = [tuple(p) for p in v]
        if n % 10 == 0:
            log(f"likelihood: {n + 1}/{len(by_story)} stories, "
                f"{time.perf_counter() - started:.0f} s")
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(x / 2))


def summary_scores(tokens: list[list[tuple[int, float]]]) -> dict[str, np.ndarray]:
    """The four standalone candidates per row (1.0 / 0.0 for a summary with no tokens)."""
    from summcheck.consistency.likelihood import support_score

    cols: dict[str, list[float]] = {"mean sigmoid": [], "mean ratio": [],
                                    "positive share": [], "weakest bullet": []}
    for row in tokens:
        r = np.array([x for _, x in row], float)
        b = np.array([k for k, _ in row], int)
        if not len(r):
            for k, v in (("mean sigmoid", 1.0), ("mean ratio", 0.0),
                         ("positive share", 1.0), ("weakest bullet", 1.0)):
                cols[k].append(v)
            continue
        s = _sigmoid(r)
        cols["mean sigmoid"].append(support_score(r.tolist()))    # the check's own
        cols["mean ratio"].append(float(r.mean()))
        cols["positive share"].append(float((r > 0).mean()))
        cols["weakest bullet"].append(min(float(s[b == k].mean()) for k in np.unique(b)))
    return {k: np.array(v) for k, v in cols.items()}


def _ranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x) / len(x)


def timing(rows, check, n_stories: int) -> list[str]:
    """Summaries a second of check_many, stories shared (five summaries each) and new."""
    cnndm: dict[str, list] = {}
    for r in rows:
        if r.set == "frank-cnndm":
            cnndm.setdefault(r.article, []).append(r)
    stories = list(cnndm.items())
    shared = [(a, list(r.bullets), None) for a, rs in stories[:n_stories] for r in rs[:5]]
    new = [(a, list(rs[0].bullets), None) for a, rs in stories[n_stories: 3 * n_stories]]
    check.check_many(shared[:1])           # load the model
    lines = []
    for name, items in (("stories shared (5 summaries a story)", shared),
                        ("every story new", new)):
        cpu, wall = time.process_time(), time.perf_counter()
        check.check_many(items)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        lines.append(f"- {name}: {len(items)} summaries in {wall:.1f} s wall "
                     f"({len(items) / wall:.2f} summaries/s; CPU {cpu:.1f} s)")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--timing-stories", type=int, default=6)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    load_start = results_file.load_average()

    from summcheck.consistency.likelihood import build
    from summcheck.consistency.registry import CHECKS

    check = build(CHECKS.get("likelihood").spec())
    rows = load_rows(args.data)
    names, X = feature_matrix(load_features(rows, args.data, args.cache), rows, args.cache,
                              args.data)
    sets = Sets(rows)
    started = time.perf_counter()
    tokens = token_ratios(rows, check, args.cache)
    gemma_seconds = time.perf_counter() - started
    scores = summary_scores(tokens)
    default = np.prod(X[:, [names.index(n) for n in DEFAULT_FACTORS]], axis=1)
    novelty = X[:, names.index("novelty")]

    standalone = list(scores)
    cands = [Candidate(name, name, score=(lambda Z, j=j: Z[:, j]))
             for j, name in enumerate(standalone)]
    Z = np.stack([scores[n] for n in standalone], 1)
    fold = grouped_folds(sets, args.folds, args.seed)
    nested, chosen = nested_selection(cands, Z, sets, fold, args.seed)
    entries = [(f"likelihood: {name}", scores[name]) for name in standalone]
    entries += [("default consistency (agreement_cv's factors)", default),
                ("rank mean of the default and likelihood mean sigmoid",
                 _ranks(default) + _ranks(scores["mean sigmoid"])),
                ("numbers x entities x likelihood mean sigmoid (support's place)",
                 X[:, names.index("nums")] * X[:, names.index("ents")]
                 * scores["mean sigmoid"]),
                ("nested selection among the four likelihood scores (out of fold)", nested)]
    boot = (args.bootstrap, args.seed)
    lines = results_file.header("likelihood", load_start, [
        f"- signature: `{check.signature()}`",
        f"- rows: {len(rows)} (FRANK CNN/DM {len(sets.frank['cnndm'])}, XSum "
        f"{len(sets.frank['xsum'])}, SummEval {len(sets.se)}); Gemma wall time this run "
        f"{gemma_seconds:.0f} s (stories cached in {args.cache}/likelihood cost nothing)",
        f"- nested selection chose, fold by fold: {', '.join(chosen)}"])
    lines += figures_table([(n, "opt-in", sets.figures(v), sets.bootstrap(v, *boot))
                            for n, v in entries])
    lines += ["", "Against issue 15's targets:", ""]
    lines += targets_table([(n, sets.figures(v), sets.bootstrap(v, *boot))
                            for n, v in entries])
    lines += ["", "Copy bias: Spearman with the novel-bigram share (rows / within systems):", ""]
    lines += copy_table([(n, sets.copy_bias(v, novelty),
                          sets.copy_bias_intervals(v, novelty, *boot)) for n, v in entries]
                        + [("*human score*", sets.copy_bias(sets.human, novelty),
                            sets.copy_bias_intervals(sets.human, novelty, *boot))])
    lines += ["", "Speed, the check's check_many, one process, model loaded:", ""]
    lines += timing(rows, check, args.timing_stories)
    lines += [f"- torch threads while the check runs: {check.processes} (the check's "
              f"`processes`); load average at the end: {results_file.load_average()}", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        results_file.append_section(OUT, "The opt-in likelihood check against human "
                                         "judgements", lines)


if __name__ == "__main__":
    main()
