"""Agreement of the opt-in likelihood check's findings with FRANK's entity/relation labels.

Usage: .venv/bin/python -m benchmarks.likelihood_frank [--data DIR] [--datasets cnndm,xsum]
       [--bootstrap 1000] [--seed 0] [--limit N] [--cache DIR] [--no-write]

A measurement, nothing is shipped from it (issue 15 point 4: ROC-AUC >= 0.65 against FRANK
dev EntE). Rows: frank_valid.jsonl (cnndm and xsum), the same rows relations_frank.py uses;
each summary is checked as one bullet against its article (relations_frank.items). The
likelihood check is the registry's default (`build(CHECKS.get("likelihood").spec())`);
its check_many shares one story's prompt state among all summaries of that story; here it
is called story by story (rows grouped by article, first-appearance order), which is the
same computation and lets progress be logged and partial results kept.

Scores, fixed before any figure was seen (higher = more suspect):
  a. likelihood findings (count): `likelihood_unsupported`
  b. 1 - `likelihood_support`
  c. relation check default (count): `relations_unsupported` of RelationCheck() (the
     default setting; relations_frank's "default setting (count)")
  d. mean of the ranks of (a) and (c), untuned (scipy rankdata, average ties); the ranks
     are taken within each evaluated set (cnndm, xsum, cnndm+xsum).
Labels: EntE and RelE, error = label < 1. For cnndm, xsum and cnndm+xsum: n, errors,
ROC-AUC with a 95% interval from 1000 bootstrap resamples of whole articles (seed 0;
relations_frank.bootstrap_auc), AUC within systems (relations_frank.within_system_auc).
False alarms: share of summaries with >= 1 likelihood finding among those with
Factuality == 1, and among the erroneous (Factuality < 1); the relation check's alongside.
Then the number of findings, and the first 15 (row order) with their summary's labels.
Timing: summaries/s of the likelihood pass (model loaded first; rows read from the cache
are not timed).

Cache: per-row results (likelihood_support, likelihood_unsupported, findings) in
--cache/<hash of the check's signature and the rows>.json (a .partial.jsonl beside it while
running, so an interrupted run resumes); the relation counts likewise, keyed by its own
signature. The section is printed and, unless --no-write, appended to
benchmarks/results/likelihood.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

from . import results_file
from .relations_frank import (
    bootstrap_auc, dataset_subsets, frank_rows, items, within_system_auc,
)

CACHE = Path("/tmp/summcheck_agreement_cv/likelihood_frank")
RESULTS = results_file.RESULTS / "likelihood.md"
LABELS = ("EntE", "RelE")
SHOWN_FINDINGS = 15


def log(msg: str) -> None:
    print(f"[{datetime.now(timezone.utc):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def rows_key(signature: str, rows: list[dict]) -> str:
    payload = json.dumps([signature, [[r["id"], r["article"], r["summary"]] for r in rows]])
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def by_story(rows: list[dict]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(r["article"], []).append(i)
    return groups


def row_record(row: dict, result) -> dict:
    return {"id": row["id"],
            "likelihood_support": result.scores["likelihood_support"],
            "likelihood_unsupported": result.scores["likelihood_unsupported"],
            "findings": [f"{f.span.text} (did you mean "
                         f"{', '.join(c.text for c in f.candidates)}; logp {f.value})"
                         for f in result.findings]}


def read_partial(partial: Path) -> dict[str, dict]:
    if not partial.exists():
        return {}
    done = {}
    for line in partial.read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            done[rec["id"]] = rec
    log(f"likelihood: resuming, {len(done)} rows from {partial}")
    return done


def likelihood_results(rows: list[dict], check, cache: Path) -> tuple[list[dict], dict]:
    """Per row {likelihood_support, likelihood_unsupported, findings}; and the timing of
    what was computed in this run."""
    key = rows_key(check.signature(), rows)
    final, partial = cache / f"{key}.json", cache / f"{key}.partial.jsonl"
    timing = {"computed": 0, "seconds": 0.0, "load_seconds": 0.0}
    if final.exists():
        log(f"likelihood: cached {final}")
        return json.loads(final.read_text())["rows"], timing
    done = read_partial(partial)
    t0 = time.perf_counter()
    check.lm.context(None)               # load the model and run the bare prompt once
    timing["load_seconds"] = time.perf_counter() - t0
    log(f"likelihood: model loaded in {timing['load_seconds']:.1f} s")
    with partial.open("a", encoding="utf-8") as fh:
        for index in by_story(rows).values():
            todo = [i for i in index if rows[i]["id"] not in done]
            if not todo:
                continue
            t0 = time.perf_counter()
            results = check.check_many(items([rows[i] for i in todo]))
            timing["seconds"] += time.perf_counter() - t0
            timing["computed"] += len(todo)
            for i, res in zip(todo, results):
                done[rows[i]["id"]] = rec = row_record(rows[i], res)
                fh.write(json.dumps(rec) + "\n")
            fh.flush()
            log(f"likelihood: {len(done)}/{len(rows)} rows, {timing['computed']} computed "
                f"in {timing['seconds']:.0f} s, load {results_file.load_average()}")
    out = [done[r["id"]] for r in rows]
    final.write_text(json.dumps({"signature": check.signature(), "rows": out}))
    partial.unlink()
    return out, timing


def relation_counts(rows: list[dict], cache: Path) -> tuple[np.ndarray, str]:
    from summcheck.consistency.relations import RelationCheck

    check = RelationCheck()
    path = cache / f"relations-{rows_key(check.signature(), rows)}.json"
    if not path.exists():
        t0 = time.perf_counter()
        counts = [r.scores["relations_unsupported"] for r in check.check_many(items(rows))]
        log(f"relations: {len(rows)} rows in {time.perf_counter() - t0:.0f} s")
        path.write_text(json.dumps(counts))
    return np.array(json.loads(path.read_text()), float), check.signature()


def auc_cell(score: np.ndarray, errors: np.ndarray, sub: list[dict], args) -> str:
    if not 0 < errors.sum() < len(errors):
        return "- | -"
    auc, low, high = bootstrap_auc(score, errors, [r["article"] for r in sub],
                                   args.bootstrap, args.seed)
    try:
        within = f"{within_system_auc(score, errors, [r['system'] for r in sub]):.3f}"
    except ZeroDivisionError:              # no system with both kinds
        within = "-"
    return f"{auc:.3f} [{low:.3f}, {high:.3f}] | {within}"


def auc_table(rows, subsets, count, support, rel, args) -> list[str]:
    lines = ["| label <1 | data | n | errors | score | ROC-AUC [95% CI] | within-system AUC |",
             "|---|---|---|---|---|---|---|"]
    for label in LABELS:
        for name, idx in subsets:
            sub = [rows[i] for i in idx]
            errors = np.array([r["labels"][label] < 1 for r in sub])
            a, c = count[idx], rel[idx]
            scores = [("a. likelihood findings (count)", a),
                      ("b. 1 - likelihood_support", 1 - support[idx]),
                      ("c. relation check default (count)", c),
                      ("d. mean of ranks of a and c (untuned)",
                       (rankdata(a) + rankdata(c)) / 2)]
            for what, s in scores:
                lines.append(f"| {label} | {name} | {len(sub)} | {int(errors.sum())} | "
                             f"{what} | {auc_cell(s, errors, sub, args)} |")
    return lines


def alarm_table(rows, subsets, count, rel) -> list[str]:
    def share(x, m):
        return f"{(x[m] > 0).mean():.1%} of {int(m.sum())}" if m.any() else "-"

    lines = ["Summaries with at least one finding, by FRANK Factuality (clean = 1, "
             "erroneous < 1):", "",
             "| data | n clean (Factuality=1) | likelihood >=1 finding: clean | "
             "likelihood >=1 finding: erroneous | relation >=1 finding: clean | "
             "relation >=1 finding: erroneous |", "|---|---|---|---|---|---|"]
    for name, idx in subsets:
        clean = np.array([rows[i]["labels"]["Factuality"] == 1 for i in idx])
        a, c = count[idx], rel[idx]
        lines.append(f"| {name} | {int(clean.sum())} | {share(a, clean)} | "
                     f"{share(a, ~clean)} | {share(c, clean)} | {share(c, ~clean)} |")
    return lines


def findings_list(rows: list[dict], lk: list[dict]) -> list[str]:
    found = [(row, text) for row, rec in zip(rows, lk) for text in rec["findings"]]
    flagged = sum(1 for rec in lk if rec["findings"])
    lines = [f"Likelihood findings: {len(found)} in {flagged} of {len(rows)} summaries"
             + (f"; the first {min(len(found), SHOWN_FINDINGS)} in row order:" if found
                else ".")]
    if found:
        lines += ["", "| summary id | finding | Factuality | EntE | RelE |",
                  "|---|---|---|---|---|"]
        lines += [f"| {row['id']} | {text.replace('|', '/')} | "
                  f"{row['labels']['Factuality']:g} | {row['labels']['EntE']:g} | "
                  f"{row['labels']['RelE']:g} |" for row, text in found[:SHOWN_FINDINGS]]
    return lines


def section(rows, subsets, check, rel_signature, timing, load_start, wall, args
            ) -> list[str]:
    speed = (f"{timing['computed']} summaries in {timing['seconds']:.0f} s = "
             f"{timing['computed'] / timing['seconds']:.3f} summaries/s (model load "
             f"{timing['load_seconds']:.0f} s excluded)" if timing["computed"]
             else "all rows from the cache (not timed this run)")
    head = results_file.header("likelihood_frank", load_start, [
        f"- threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, torch "
        f"threads in the check {check.processes}",
        f"- likelihood signature: `{check.signature()}`",
        f"- relation check signature: `{rel_signature}`",
        f"- rows: {len(rows)} FRANK validation summaries ("
        + ", ".join(f"{n} {len(idx)}" for n, idx in subsets if "+" not in n)
        + f"), {len(by_story(rows))} stories; each summary one bullet",
        f"- likelihood pass: {speed}; whole run {time.perf_counter() - wall:.0f} s",
        "- scores (fixed before the run): a = likelihood_unsupported; b = 1 - "
        "likelihood_support; c = RelationCheck() relations_unsupported; d = (rank(a) + "
        "rank(c)) / 2, ranks within each data set; error = label < 1; intervals: "
        f"{args.bootstrap} article-bootstrap resamples, seed {args.seed}"])
    head[0] += ": FRANK error labels and the likelihood findings"
    return head


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--datasets", default="cnndm,xsum")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="first N rows only (a test)")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    load_start, wall = results_file.load_average(), time.perf_counter()
    wanted = args.datasets.split(",")
    rows = frank_rows(args.data, wanted)[: args.limit]
    args.cache.mkdir(parents=True, exist_ok=True)
    log(f"{len(rows)} rows, {len(by_story(rows))} stories")

    from summcheck.consistency.likelihood import build
    from summcheck.consistency.registry import CHECKS

    check = build(CHECKS.get("likelihood").spec())
    lk, timing = likelihood_results(rows, check, args.cache)
    rel, rel_signature = relation_counts(rows, args.cache)
    count = np.array([r["likelihood_unsupported"] for r in lk], float)
    support = np.array([r["likelihood_support"] for r in lk], float)
    subsets = [(n, idx) for n, idx in dataset_subsets(rows, wanted) if idx]

    body = [*auc_table(rows, subsets, count, support, rel, args), "",
            *alarm_table(rows, subsets, count, rel), "", *findings_list(rows, lk)]
    lines = section(rows, subsets, check, rel_signature, timing, load_start, wall, args) + body
    print("\n".join(lines))
    if not args.no_write:
        results_file.append_section(RESULTS, "The opt-in likelihood check against human "
                                    "judgements", ["", *lines])
        log(f"appended to {RESULTS}")


if __name__ == "__main__":
    main()
