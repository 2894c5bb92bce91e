"""How much the default checks gain from running side by side and from fewer garbage
collections, both sides in one run.

Usage (from the repository root; appends a dated section to
benchmarks/results/check_overlap.md):

    .venv/bin/python -m benchmarks.check_overlap [--data DIR] [--rounds 7] [--no-write]

Workloads and timing are benchmarks/default_consistency.py's (FRANK CNN/DM rows, one
batch per system, fresh checks with spaCy and the encoder loaded, summcheck's per-text
caches emptied before each timed pass). Variants, their order alternated per round:

- one after another: each check's `check_many` in turn, no `start_many` (what scoring
  did before checks overlapped), the collector's default young threshold (700);
- side by side, started first to last: every check's `start_many` in the checks' order
  (the entity check's NER offered to its worker, the support check's batch handed to its
  forked worker), then the checks that started nothing, then the others; threshold 700;
- the same with the young threshold `heap._YOUNG`;
- as shipped (`scoring._run_checks`): started from the last check to the first, so the
  support worker starts before the entity check prepares its NER inputs here;
  threshold `heap._YOUNG`.

Each variant's scores are checked equal to the first's.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

from summcheck import heap, scoring

from . import agreement_cv as A, default_consistency as D
from .caches import clear_text_caches
from .data import add_data_argument, data_dir
from .results_file import RESULTS, append_section, header, load_average

OUT = RESULTS / "check_overlap.md"


def one_after_another(checks, items):
    return [check.check_many(items) for check in checks]


def first_to_last(checks, items):
    """Checks side by side, started in their own order (shipped before 2026-12-05 16:00)."""
    started = [bool(check.start_many(items)) for check in checks]
    per_check = [[] for _ in checks]
    for i in sorted(range(len(checks)), key=started.__getitem__):
        per_check[i] = checks[i].check_many(items)
    return per_check


VARIANTS = (("one after another", one_after_another, 700),
            ("side by side, started first to last", first_to_last, 700),
            ("the same, fewer collections", first_to_last, heap._YOUNG),
            ("started last to first, fewer collections (shipped)", scoring._run_checks,
             heap._YOUNG))


def timed_pass(rows, run_checks, young: int) -> tuple[float, list[float]]:
    scoring._run_checks = run_checks
    checks = D.checks_for(None)
    checks[1].nlp, checks[2].signature()    # spaCy and the encoder loaded, not timed
    clear_text_caches()
    gc.collect()
    gc.set_threshold(young, *gc.get_threshold()[1:])
    start = time.perf_counter()
    scores = D.score_rows(rows, checks)
    return len(rows) / (time.perf_counter() - start), scores.tolist()


def measure(workloads: dict, rounds: int) -> dict:
    shipped = scoring._run_checks
    rates: dict[tuple[str, str], list[float]] = {}
    first: dict[str, list[float]] = {}
    try:
        for i in range(rounds):
            for name, rows in workloads.items():
                for label, run_checks, young in (VARIANTS if i % 2 == 0 else VARIANTS[::-1]):
                    rate, scores = timed_pass(rows, run_checks, young)
                    if first.setdefault(name, scores) != scores:
                        raise SystemExit(f"{label}: other scores than the first variant")
                    rates.setdefault((name, label), []).append(rate)
    finally:
        scoring._run_checks = shipped
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_argument(ap)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--no-write", action="store_true", help="print the section only")
    args = ap.parse_args()
    load = load_average()
    rows = [r for r in A.load_rows(data_dir(args.data)) if r.set == "frank-cnndm"]
    seen: set[str] = set()
    workloads = {"stories shared": rows,
                 "every story new": [r for r in rows if not (r.group in seen or seen.add(r.group))]}
    D.score_rows(rows[:20], D.checks_for(None))     # imports and models loaded
    rates = measure(workloads, args.rounds)
    labels = [label for label, _, _ in VARIANTS]
    lines = ["Default checks, summaries/s (median [min, max] of the rounds); the scores of "
             "every variant equal the first's:", "",
             "| workload | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for name, chosen in workloads.items():
        lines.append(f"| {name} ({len(chosen)} summaries) | " + " | ".join(
            f"{statistics.median(r):.0f} [{min(r):.0f}, {max(r):.0f}]"
            for r in (rates[name, label] for label in labels)) + " |")
    lines.append("")
    lines = header("check_overlap", load, [f"- rounds: {args.rounds}, variants alternated"]) \
        + lines
    print("\n".join(lines))
    if not args.no_write:
        append_section(OUT, "Checks side by side, and fewer garbage collections", lines)


if __name__ == "__main__":
    main()
