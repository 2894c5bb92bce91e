"""ROUGE speed: rouge_score pair by pair vs rouge-score-rs's batch call vs summcheck.

    .venv/bin/python -m benchmarks.rouge_speed [--pairs 11490] [--repeats 7]

Builds CNN/DM-test-size input (11,490 pairs, the size of CNN/DailyMail's test split) by
cycling through REALSumm's system summaries and references (../shared/data/
realsumm_dev.jsonl, sentences in <t> tags: one bullet each) and times, in one process:
  (a) rouge_score's RougeScorer.score, pair by pair (the reference; run once);
  (b) rouge-score-rs's RougeScorer.score_batch on the "\\n"-joined texts (raw backend);
  (c) summcheck's RougeMetric(backend="rust").score_many on the bullet lists, end to end.
(b) and (c) are run --repeats times, interleaved, after a warm-up; the median counts.
rouge1, rouge2 and rougeLsum with Porter stemming, as benchmarks.rouge_parity scores.
Checks that (b) and (c) give the same numbers as (a) and appends a dated section to
benchmarks/results/rouge_speed.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from importlib.metadata import version
from pathlib import Path

from rouge_score import rouge_scorer

from summcheck.metrics.rouge import RougeMetric

from . import results_file
from .data import add_data_argument, load_jsonl, require

RESULTS = results_file.RESULTS / "rouge_speed.md"
TYPES = ("rouge1", "rouge2", "rougeLsum")
BUSY_LOAD = 1.5


def split_t(text: str) -> list[str]:
    return [s.strip() for s in re.findall(r"<t>(.*?)</t>", text, re.S) if s.strip()]


def build_items(path: Path, n: int) -> list[tuple[list[str], list[list[str]]]]:
    """n (prediction bullets, [reference bullets]) items, cycling through the file's rows."""
    rows = load_jsonl(path)
    base = [(split_t(r["summary"]), [split_t(r["reference"])]) for r in rows]
    return [base[i % len(base)] for i in range(n)]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def fresh(texts: list[str]) -> list[str]:
    return [t.encode().decode() for t in texts]


def max_abs_diff(reference: list[dict], other: list[dict]) -> float:
    """Largest |difference| over all pairs and keys; inf if an item's keys differ."""
    worst = 0.0
    for a, b in zip(reference, other, strict=True):
        if a.keys() != b.keys():
            return float("inf")
        worst = max([worst, *(abs(a[k] - b[k]) for k in a)])
    return worst


def as_dicts(scores: list[dict]) -> list[dict[str, float]]:
    """rouge_score-style {type: Score} dicts -> summcheck's {"rouge1_p": ...} dicts."""
    return [{f"{t}_{k}": v for t in TYPES for k, v in zip("prf", s[t])} for s in scores]


def libraries() -> dict[str, str]:
    return {"rouge-score": version("rouge-score"), "rouge-score-rs": version("rouge-score-rs"),
            "nltk": version("nltk"),
            "RAYON_NUM_THREADS": os.environ.get("RAYON_NUM_THREADS", "unset (all cores)")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, default=11490)
    ap.add_argument("--repeats", type=int, default=7)
    add_data_argument(ap, "realsumm_dev.jsonl")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--no-write", action="store_true", help="print the section only")
    args = ap.parse_args(argv)
    import rouge_score_rs  # the `fast` extra

    mach = libraries()
    load_start = os.getloadavg()
    items = build_items(require(args.data), args.pairs)
    targets = ["\n".join(refs[0]) for _, refs in items]
    predictions = ["\n".join(pred) for pred, _ in items]
    print(f"{len(items)} pairs; machine: {mach}")

    python = rouge_scorer.RougeScorer(list(TYPES), use_stemmer=True)
    t_a, ref_scores = timed(lambda: [python.score(t, p) for t, p in zip(targets, predictions)])
    print(f"(a) rouge_score pair by pair: {t_a:.2f} s")

    raw = rouge_score_rs.RougeScorer(list(TYPES), use_stemmer=True)
    metric = RougeMetric(TYPES, use_stemmer=True, backend="rust")
    raw.score_batch(targets[:200], predictions[:200])  # warm-up: thread pool, caches
    metric.score_many(items[:200])
    t_b, t_c = [], []
    for _ in range(args.repeats):
        # Fresh string objects each time, as a caller building them would pass: CPython
        # caches a str's UTF-8 form after the first call, which would flatter (b).
        tgt, pred = fresh(targets), fresh(predictions)
        dt, raw_scores = timed(lambda: raw.score_batch(tgt, pred))
        t_b.append(dt)
        dt, ours = timed(lambda: metric.score_many(items))
        t_c.append(dt)
        print(f"(b) raw batch {t_b[-1]:.3f} s   (c) summcheck {t_c[-1]:.3f} s")
    b, c = statistics.median(t_b), statistics.median(t_c)

    reference = as_dicts(ref_scores)
    diffs = {"raw": max_abs_diff(reference, as_dicts(raw_scores)),
             "summcheck": max_abs_diff(reference, ours)}
    figures = {"a": t_a, "b": b, "c": c, "b_all": t_b, "c_all": t_c,
               "load_end": os.getloadavg()[0], "load_start": load_start}
    lines = report(args, len(items), mach, figures, diffs)
    print("\n".join(lines))
    if not args.no_write:
        results_file.append_section(args.out, "ROUGE speed: rouge_score vs rouge-score-rs vs "
                                    "summcheck", ["", *lines])
        print(f"appended to {args.out}")
    return 0 if max(diffs.values()) < 1e-9 else 1


def report(args, n: int, libs: dict, f: dict, diffs: dict) -> list[str]:

    def row(label, seconds, diff="-"):
        return (f"| {label} | {seconds:.3f} | {n / seconds:,.0f} | {f['a'] / seconds:.1f}x "
                f"| {diff} |")

    busy = f["load_start"][0] > BUSY_LOAD or f["load_end"] > BUSY_LOAD
    start = "/".join(f"{x:.2f}" for x in f["load_start"])
    lines = [
        *results_file.header("rouge_speed", start)[:-1],
        "- libraries: " + "; ".join(f"{k} {v}" for k, v in libs.items()),
        *([f"- load ABOVE {BUSY_LOAD}: the machine was shared with other jobs during this run; "
           "the times are slower and noisier than on an idle machine"] if busy else []),
        f"- input: {n} pairs cycling through the {args.data.name} summaries and references "
        f"(<t> sentences as bullets); {', '.join(TYPES)} P/R/F, Porter stemming; one reference "
        "per pair",
        f"- (b) and (c): median of {args.repeats} interleaved runs after a warm-up; all runs "
        f"(b) {', '.join(f'{x:.3f}' for x in f['b_all'])} s, "
        f"(c) {', '.join(f'{x:.3f}' for x in f['c_all'])} s", "",
        "| path | seconds | pairs/s | speedup vs (a) | max abs diff vs (a) |",
        "|---|---|---|---|---|",
        row("(a) rouge_score `RougeScorer.score`, pair by pair, one thread", f["a"]),
        row("(b) rouge-score-rs `score_batch`, raw (all cores)", f["b"], f"{diffs['raw']:.1e}"),
        row("(c) summcheck `RougeMetric(backend=\"rust\").score_many`", f["c"],
            f"{diffs['summcheck']:.1e}"), "",
        f"- summcheck's overhead over the raw batch call (joining bullets, picking the best "
        f"reference, building the dicts): {(f['c'] - f['b']) / f['b']:+.1%} "
        f"({f['c'] - f['b']:+.3f} s) by the medians, "
        f"{(min(f['c_all']) - min(f['b_all'])) / min(f['b_all']):+.1%} by the fastest runs "
        "(the least disturbed by other jobs)",
        f"- speedup (c) vs (a): {f['a'] / f['c']:.1f}x "
        f"({'meets' if f['a'] / f['c'] >= 50 else 'BELOW'} the 50x target); "
        "(b) and (c) use all cores, (a) one",
    ]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
