"""Where a ROUGE-only run's time per pair goes (issue 17.1): the run's steps timed in
place, in this process, on the overhead benchmark's workload at two sizes.

Workload: benchmarks/overhead.write_workload (REALSumm pairs, every story distinct) at
--pairs and --slope-pairs pairs; `summcheck.runner.run` on each with the default reports,
fresh cache and run folder, --rounds times alternated. Timers wrap the runner's steps and
a few functions inside them (_load includes the survey, which takes each example as the
index pass checks its row; the reports are the run's last step, `_write_reports`);
nested timers overlap (the windows contain the ROUGE call, the row reads and the
writes). Each figure is the step's wall time per further pair: (median at M - median at
N) / (M - N). Also the survey's word count alone on the workload's first 5,120 examples
(256 a batch, as the survey counts them), microseconds an example: on the reference
highlights, which the survey counts, and on the stories, which it counted until
2026-12-05, alternated in one loop.

    .venv/bin/python -m benchmarks.harness_phases [--pairs 11490] [--slope-pairs 45960]
                                                  [--rounds 3] [--no-write]

Appends a dated section to benchmarks/results/overhead.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from . import results_file
from .overhead import RESULTS, write_workload

STEPS = ["_load", "_run_windows", "_results"]   # summcheck.runner functions
INSIDE = {   # (module, attribute path) timed inside the steps
    "survey's end": ("summcheck.runner", "_Survey.finish"),
    "ROUGE batch call and wrapper": ("summcheck.metrics.rouge", "RougeMetric.score_many"),
    "examples read again": ("summcheck.data", "ExampleRows.__getitem__"),
    "run-folder row writes": ("summcheck.artifacts", "GroupedJsonlWriter.write"),
    "precomputed summaries": ("summcheck.runner", "_generate"),
    "reports, all": ("summcheck.runner", "_write_reports"),
    "reports' rows, gathered by the run": ("summcheck.run_rows", "RunRows.gathered"),
    "reports' rows, read back (parses scores.jsonl)": ("summcheck.run_rows", "RunRows.read"),
    "reports: files written (scores.csv from the lines the run rendered)":
        ("summcheck.reports.writer", "write_atomic"),
}


def _wrap(owner, name: str, label: str, totals: dict) -> None:
    original = getattr(owner, name)

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[label] = totals.get(label, 0.0) + time.perf_counter() - start

    setattr(owner, name, timed)


def install_timers(totals: dict) -> None:
    import importlib

    from summcheck import runner

    for step in STEPS:
        _wrap(runner, step, step, totals)
    for label, (module, path) in INSIDE.items():
        owner = importlib.import_module(module)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        _wrap(owner, name, label, totals)


def one_run(folder: Path, tag: str, totals: dict) -> None:
    from summcheck import runner
    from summcheck.config import load_config

    spec = load_config(folder / "run.yaml")
    totals.clear()
    runner.run(spec, out_dir=folder / f"out-{tag}", cache_dir=folder / f"cache-{tag}",
               show_progress=False)


def word_count_us(folder: Path) -> dict[str, float]:
    """Microseconds an example of `word_counts` on the references and on the stories."""
    import json

    from summcheck.data.quality import word_counts

    with (folder / "data.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line, _ in zip(handle, range(5120))]
    texts = {"references": ["\n".join(r["highlights"]).encode() for r in rows],
             "stories": [r["story"].encode() for r in rows]}
    spent = dict.fromkeys(texts, 0.0)
    for i in range(0, len(rows), 256):
        for name, encoded in texts.items():
            start = time.perf_counter()
            word_counts(encoded[i:i + 256])
            spent[name] += time.perf_counter() - start
    return {name: 1e6 * seconds / len(rows) for name, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=11490)
    parser.add_argument("--slope-pairs", type=int, default=45960)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load = results_file.load_average()
    totals: dict[str, float] = {}
    install_timers(totals)
    seen: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="summcheck-phases-") as tmp:
        folders = {n: Path(tmp) / str(n) for n in (args.pairs, args.slope_pairs)}
        for n, folder in folders.items():
            folder.mkdir()
            write_workload(folder, n)
        for r in range(args.rounds):
            for n, folder in folders.items():
                one_run(folder, str(r), totals)
                for label, seconds in totals.items():
                    seen.setdefault((label, n), []).append(seconds)
        words = word_count_us(folders[args.pairs])
    extra = args.slope_pairs - args.pairs
    lines = results_file.header("harness_phases", load, [
        f"- workload: benchmarks.overhead's, {args.pairs} and {args.slope_pairs} pairs, "
        f"ROUGE only, in-process `runner.run` with the default reports, "
        f"{args.rounds} rounds alternated; medians (a step that never ran: 0)"]) + [
        "| step (nested timers overlap) | wall us per further pair |", "|---|---:|"]
    for label in [*STEPS, *INSIDE]:
        low = statistics.median(seen.get((label, args.pairs), [0.0]))
        high = statistics.median(seen.get((label, args.slope_pairs), [0.0]))
        lines.append(f"| {label} | {1e6 * (high - low) / extra:.1f} |")
    lines += ["", f"Survey word count alone (5,120 examples, 256 a batch): "
              f"{words['references']:.1f} us an example on its reference highlights (what "
              f"the survey counts), {words['stories']:.1f} us on its story (what it counted "
              "until 2026-12-05).", ""]
    print("\n".join(lines))
    if not args.no_write:
        results_file.append_section(RESULTS, "Harness overhead", lines)


if __name__ == "__main__":
    main()
