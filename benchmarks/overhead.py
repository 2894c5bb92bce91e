"""Harness overhead (issue 17.1): a whole `summcheck run` (ROUGE only) against the raw
rouge-score-rs batch call on the same pairs, side by side in one process, alternated.

The workload is issue 17's: 11,490 REALSumm dev pairs (1,250 summaries of 50 stories,
repeated in whole blocks; each example id is the row's id and its row number, since the
dev file repeats a few ids, and each story closes with a sentence naming its copy number,
as benchmarks/scaling.py does, so no pair is a score-cache hit: until 2026-12-04 22:00 the
copies were identical, and a run whose metrics were cached scored only the 1,250 distinct
pairs while the raw call scored them all) written to a temporary folder as a local JSONL
dataset (id, story, highlights as a list of bullets) and a precomputed summaries file (id,
summary as a list of bullets); REALSumm's `<t>...</t>` sentence tags become the bullets.

Each round measures, in this order:
  raw     `rouge_score_rs.RougeScorer(types, use_stemmer=True).score_batch(targets,
          predictions)` on exactly the texts the run scores (bullets joined with "\\n",
          the summary capped at the config's max_bullets, 4): the metric alone
  run     `summcheck run` in its own process, fresh cache and run folder, ROUGE-1/2/L/Lsum
          (the default rouge settings), no checks, reports as by default (html, md, csv,
          json)
  run-nr  the same with `report: {enabled: false}` (what the reports cost is the gap)
  start   `summcheck --version`: the process start (Python and the CLI's imports)
  run-before, run-nr-before  with --compare-src PATH: run and run-nr with that src
          folder (before/after in one run); with --slope-pairs too, each run at M pairs
          is followed by the same run of that src, and their differences are reported
          run by run (paired: what the machine's load moves, it moves for both), with
          that src's round-by-round shares of one more pair beside this code's
  raw, run, run-nr at M pairs  with --slope-pairs M: the same on a workload of M pairs,
          for the cost of one more pair: (median at M - median at N) / (M - N), the
          harness's being the run's slope less the raw call's (the issue's 100 us);
          also in CPU time, from each variant's fastest round, and round by round (each
          round's runs at both sizes and raw calls, then the median over the rounds)

Each timed run's folder and cache are deleted right after it is timed (since 2026-12-05).
Before, all of them stayed in the temporary folder, several GB by the later
rounds, and on this machine writing a file costs about 35 times more once the page cache
is that full (dd of 300 MB: 2.3-2.5 s against 0.07 s after deleting them; the notes in
overhead.md dated 2026-12-05 say more): the later rounds' runs paid for the earlier
rounds' output.

Wall time and CPU time (user + sys; for the CLI its process tree's, from getrusage) are
recorded; the figures are each variant's median over the rounds. Harness cost per example
is (run - raw) / N; the issue's target is run <= 2 * raw + 3 s. Before timing, the run's
per-example ROUGE values are compared with the raw call's: they must be equal, bit for bit.
A cProfile of one more `run` is summarised by the top functions (own and cumulative time).

    .venv/bin/python -m benchmarks.overhead [--pairs 11490] [--rounds 3] [--no-profile]
                                            [--slope-pairs 45960] [--compare-src PATH]
                                            [--src PATH] [--no-write]

Appends a dated section to benchmarks/results/overhead.md.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from summcheck.text import split_bullets

from . import results_file
from .data import DATA, load_jsonl
from .results_file import append_section, commit_id

RESULTS = results_file.RESULTS / "overhead.md"
SUMMCHECK = Path(sys.executable).with_name("summcheck")
TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
_TAGGED = re.compile(r"<t>(.*?)</t>", re.S)
MAX_BULLETS = 4   # bullets.max_bullets by default: the run scores the first 4 bullets

CONFIG = """\
name: overhead
dataset: {{source: hf, path: {data}, split: test,
          fields: {{id: id, story: story, highlights: highlights}}}}
summarizers:
  - {{type: precomputed, name: realsumm, path: {summaries}}}
metrics: {{rouge: {{types: [rouge1, rouge2, rougeL, rougeLsum], use_stemmer: true}}}}
checks: {{numbers: null, entities: null, support: null}}
report: {{enabled: {reports}}}
"""


def write_workload(folder: Path, n: int) -> list[tuple[str, str, str]]:
    """data.jsonl and summaries.jsonl of `n` REALSumm pairs in `folder`; returns each
    pair's (example id, joined reference, joined summary) as the run scores them."""
    rows = load_jsonl(DATA / "realsumm_dev.jsonl")
    texts = []
    with (folder / "data.jsonl").open("w", encoding="utf-8") as data, \
            (folder / "summaries.jsonl").open("w", encoding="utf-8") as summaries:
        for i in range(n):
            row = rows[i % len(rows)]
            ex_id = f"{row['id']}#{i}"   # REALSumm ids repeat: the row number keeps them apart
            reference, summary = _bullets(row["reference"]), _bullets(row["summary"])
            story = f"{row['article']}\nThis is copy {i // len(rows) + 1} of the story."
            data.write(json.dumps({"id": ex_id, "story": story,
                                   "highlights": list(reference)}) + "\n")
            summaries.write(json.dumps({"id": ex_id, "summary": list(summary)}) + "\n")
            texts.append((ex_id, "\n".join(reference), "\n".join(summary[:MAX_BULLETS])))
    for reports, name in (("true", "run.yaml"), ("false", "run-nr.yaml")):
        (folder / name).write_text(CONFIG.format(data=folder / "data.jsonl", reports=reports,
                                                 summaries=folder / "summaries.jsonl"))
    return texts


def _bullets(text: str) -> tuple[str, ...]:
    """REALSumm's `<t> sentence </t>` spans as bullets (the tags dropped: the loader would
    strip them from the story and references, not from the summaries)."""
    tagged = [t.strip() for t in _TAGGED.findall(text) if t.strip()]
    return tuple(tagged) or split_bullets(text)


def raw_call(texts: list[tuple[str, str, str]]) -> tuple[float, float, list]:
    """(wall s, CPU s, scores) of the one rouge-score-rs batch call over every pair."""
    import rouge_score_rs

    scorer = rouge_score_rs.RougeScorer(TYPES, use_stemmer=True)
    targets, predictions = [t[1] for t in texts], [t[2] for t in texts]
    cpu, wall = time.process_time(), time.perf_counter()
    scores = scorer.score_batch(targets, predictions)
    return time.perf_counter() - wall, time.process_time() - cpu, scores


def cli_run(config: Path, work: Path, tag: str, src: Path | None = None, *,
            keep: bool = False) -> tuple[float, float, Path]:
    """(wall s, CPU s of the process tree, run folder) of `summcheck run` with a fresh
    cache and output folder; with `src`, that checkout's summcheck runs. Unless `keep`,
    the output folder and cache are deleted once timed (the run folder returned is
    then gone)."""
    out, cache = work / f"runs-{tag}", work / f"cache-{tag}"
    command = [str(SUMMCHECK), "run", str(config), "--out", str(out), "--cache-dir",
               str(cache), "--no-progress"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(src.resolve())} if src else None
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    run_dir = next(out.iterdir())
    if not keep:
        discard_run(work, tag)
    return wall, cpu, run_dir


def discard_run(work: Path, tag: str) -> None:
    """Delete the output folder and cache of `cli_run`'s run `tag`."""
    shutil.rmtree(work / f"runs-{tag}")
    shutil.rmtree(work / f"cache-{tag}", ignore_errors=True)


def process_start() -> tuple[float, float]:
    """(wall s, CPU s) of `summcheck --version`: Python, the CLI's imports, nothing run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(SUMMCHECK), "--version"], check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def check_equal(run_dir: Path, texts: list, raw_scores: list) -> int:
    """Compare every per-example ROUGE value of the run with the raw call's; exits on the
    first difference. Returns the number of values compared."""
    compared = 0
    by_id = {t[0]: i for i, t in enumerate(texts)}
    with (run_dir / "scores.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            raw = raw_scores[by_id[row["example_id"]]]
            for t in TYPES:
                for key, value in zip("prf", raw[t]):
                    if row["scores"][f"{t}_{key}"] != value:
                        sys.exit(f"{row['example_id']} {t}_{key}: run "
                                 f"{row['scores'][f'{t}_{key}']!r} != raw {value!r}")
                    compared += 1
    return compared


def profile_run(config: Path, work: Path) -> list[str]:
    prof = work / "run.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(prof), str(SUMMCHECK), "run",
               str(config), "--out", str(work / "runs-prof"), "--cache-dir",
               str(work / "cache-prof"), "--no-progress"]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - started
    stats = pstats.Stats(str(prof))
    lines = [f"cProfile of one `run` (wall {wall:.1f} s under the profiler):", "",
             *stage_table(stats), ""]
    for title, column in (("own", 2), ("cumulative", 3)):
        rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][column])[:15]
        lines += [f"Top functions by {title} time:", "",
                  "| own s | cumulative s | calls | function |", "|---:|---:|---:|---|"]
        for (file, line, fn), v in rows:
            where = "/".join(Path(file).parts[-2:]) if file != "~" else "builtin"
            lines.append(f"| {v[2]:.2f} | {v[3]:.2f} | {v[1]} | `{where}:{line} {fn}` |")
        lines.append("")
    return lines


# Stages of a run: (label, file suffix, function) whose cumulative time is the stage's.
STAGES = [("imports and CLI start (whole process minus cli.run)", None, None),
          ("load: index the data file, the survey taking each example",
           "summcheck/runner.py", "_load"),
          ("survey's end (its own read, if the loader handed nothing over)",
           "summcheck/runner.py", "finish"),
          ("windows: read, summaries, score, write rows", "summcheck/runner.py",
           "_run_windows"),
          ("  of which scoring (score cache, ROUGE)", "summcheck/scoring.py", "score"),
          ("results.json: bootstrap aggregation", "summcheck/runner.py", "_results"),
          ("reports", "summcheck/runner.py", "_write_reports")]


def stage_table(stats: pstats.Stats) -> list[str]:
    """Seconds (under the profiler) and share of each stage of the run."""
    def cumulative(suffix: str, name: str) -> float:
        return max((v[3] for (file, _, fn), v in stats.stats.items()
                    if file.endswith(suffix) and fn == name), default=0.0)

    total = max(v[3] for v in stats.stats.values())
    lines = ["| stage | s (profiled) | share |", "|---|---:|---:|"]
    for label, suffix, name in STAGES:
        seconds = total - cumulative("summcheck/cli.py", "run") if suffix is None \
            else cumulative(suffix, name)
        lines.append(f"| {label} | {seconds:.2f} | {100 * seconds / total:.0f}% |")
    return lines + [f"| whole process | {total:.2f} | 100% |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=11_490)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--compare-src", type=Path,
                        help="also time both runs with this src folder (e.g. an older "
                             "commit's), alternated with the others")
    parser.add_argument("--src", type=Path,
                        help="run another checkout's src folder (e.g. an older commit's, "
                             "from `git archive`) with this venv: before/after figures")
    parser.add_argument("--slope-pairs", type=int,
                        help="also time raw, run and run-nr on this many pairs, alternated, "
                             "for the cost of one more pair")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: the benchmark needs the shared evaluation data")
    if args.src:
        os.environ["PYTHONPATH"] = str(args.src.resolve())   # the CLI processes' summcheck
    header = f"{results_file.machine()}; load average at start {results_file.load_average()}"
    figures: dict[str, list[tuple[float, float]]] = {"raw": [], "start": [], "run": [],
                                                     "run-nr": []}
    if args.compare_src:
        figures["run-before"], figures["run-nr-before"] = [], []
    with tempfile.TemporaryDirectory(prefix="summcheck-overhead-") as tmp:
        work = Path(tmp)
        texts = write_workload(work, args.pairs)
        _, _, raw_scores = raw_call(texts)
        _, _, run_dir = cli_run(work / "run.yaml", work, "check", keep=True)
        compared = check_equal(run_dir, texts, raw_scores)
        discard_run(work, "check")
        if args.slope_pairs:
            (work / "slope").mkdir()
            slope_texts = write_workload(work / "slope", args.slope_pairs)
            figures.update({"raw@M": [], "run@M": [], "run-nr@M": []})
            if args.compare_src:
                figures.update({"run-before@M": [], "run-nr-before@M": []})
        for r in range(args.rounds):
            wall, cpu, _ = raw_call(texts)
            figures["raw"].append((wall, cpu))
            if args.slope_pairs:
                figures["raw@M"].append(raw_call(slope_texts)[:2])
                for variant in ("run", "run-nr"):
                    figures[f"{variant}@M"].append(cli_run(
                        work / "slope" / f"{variant}.yaml", work, f"{variant}-M-{r}")[:2])
                    if args.compare_src:   # right after: the pair shares the machine's mood
                        figures[f"{variant}-before@M"].append(cli_run(
                            work / "slope" / f"{variant}.yaml", work,
                            f"{variant}-before-M-{r}", args.compare_src)[:2])
            figures["start"].append(process_start())
            for variant in ("run", "run-nr"):
                wall, cpu, _ = cli_run(work / f"{variant}.yaml", work, f"{variant}-{r}")
                figures[variant].append((wall, cpu))
            for variant in ("run", "run-nr") if args.compare_src else ():
                wall, cpu, _ = cli_run(work / f"{variant}.yaml", work,
                                       f"{variant}-before-{r}", args.compare_src)
                figures[f"{variant}-before"].append((wall, cpu))
            print({k: v[-1] for k, v in figures.items()}, flush=True)
        profile = [] if args.no_profile else profile_run(work / "run.yaml", work)
    lines = report(args, header, figures, compared) + profile
    print("\n".join(lines))
    if not args.no_write:
        append_section(RESULTS, "Harness overhead", lines)


def report(args, header: str, figures: dict, compared: int) -> list[str]:
    n = args.pairs
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in figures.items()}
    raw_wall, raw_cpu = med["raw"]
    lines = [f"## {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, commit {commit_id()}",
             "", f"- machine: {header}; load average at end "
             + "/".join(f"{x:.2f}" for x in os.getloadavg()),
             f"- command: `{results_file.command('overhead')}`"
             + (f" (summcheck from {args.src}, not this commit)" if args.src else ""),
             f"- workload: {n} REALSumm pairs (precomputed), ROUGE-1/2/L/Lsum with stemming, "
             f"no checks; {args.rounds} rounds alternated (raw, run, run-nr); medians",
             f"- equality: {compared} per-example ROUGE values of the run equal the raw "
             "call's, bit for bit", "",
             "| variant | wall s | CPU s (user+sys) | wall s per round | harness us/example "
             "(wall) | harness us/example (CPU) | run / raw (wall) | target 2*raw+3 s |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    for name, (wall, cpu) in med.items():
        if name.endswith("@M"):
            continue
        per_round = ", ".join(f"{w:.2f}" for w, _ in figures[name])
        if name == "raw":
            lines.append(f"| raw rouge-score-rs batch | {wall:.2f} | {cpu:.2f} | {per_round} "
                         "| - | - | 1 | - |")
            continue
        if name == "start":
            lines.append(f"| process start (`summcheck --version`) | {wall:.2f} | {cpu:.2f} | "
                         f"{per_round} | - | - | - | - |")
            continue
        target = 2 * raw_wall + 3
        label = {"run": "default reports", "run-nr": "no reports",
                 "run-before": f"default reports, {args.compare_src}",
                 "run-nr-before": f"no reports, {args.compare_src}"}[name]
        lines.append(
            f"| `summcheck run` ({label}) "
            f"| {wall:.2f} | {cpu:.2f} | {per_round} | {1e6 * (wall - raw_wall) / n:.0f} | "
            f"{1e6 * (cpu - raw_cpu) / n:.0f} | {wall / raw_wall:.1f} | {target:.2f} "
            f"({'met' if wall <= target else 'missed'}) |")
    start_cpu = med["start"][1]
    lines += ["", "Harness CPU per example without the process start: "
              + ", ".join(f"{label} {1e6 * (med[k][1] - start_cpu - raw_cpu) / n:.0f} us"
                          for k, label in (("run", "default reports"),
                                           ("run-nr", "no reports"))),
              "Target in CPU terms (run CPU <= 2 * raw CPU + 3 s): "
              + ", ".join(f"{label} {med[k][1]:.2f} s against {2 * raw_cpu + 3:.2f} s"
                          for k, label in (("run", "default reports"),
                                           ("run-nr", "no reports")))]
    return lines + (_slope_lines(args, figures, med) if args.slope_pairs else []) + [""]


def _slope_lines(args, figures: dict, med: dict) -> list[str]:
    """The cost of one more pair between the two workloads: wall time (medians), then
    CPU time (medians) and wall time of each variant's fastest round, which this shared
    machine's load moves less (the load only ever adds time)."""
    rounds = ", ".join(f"{w:.2f}" for w, _ in figures["run-nr@M"])
    lines = ["", f"At {args.slope_pairs} pairs (alternated in the same rounds): raw "
             f"{med['raw@M'][0]:.2f} s, run {med['run@M'][0]:.2f} s, run without reports "
             f"{med['run-nr@M'][0]:.2f} s ({rounds}). "]
    fastest = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in figures.items()}
    for label, table, column in (("wall time, medians", med, 0), ("CPU time, medians", med, 1),
                                 ("wall time, fastest rounds", fastest, 0)):
        slope = _slope(args, table, column)
        lines[-1] += (
            f"One more pair ({label}) costs the raw call {slope['raw']:.0f} us and the run "
            f"{slope['run-nr']:.0f} us without reports, {slope['run']:.0f} us with them: "
            f"the harness's share {slope['run-nr'] - slope['raw']:.0f} us without reports "
            f"and {slope['run'] - slope['raw']:.0f} us with them (target 100 us). ")
    lines[-1] = lines[-1].rstrip()
    return lines + _round_slope_lines(args, figures) + (
        _paired_lines(args, figures) if args.compare_src else [])


def _round_slope_lines(args, figures: dict) -> list[str]:
    """The harness's share of one more pair within each round (its runs at both sizes and
    its raw calls followed each other), and the median over the rounds: a slope from two
    medians taken apart moves with the load between them."""
    extra, lines = args.slope_pairs - args.pairs, []
    variants = [("run", "with the default reports"), ("run-nr", "without reports")]
    if args.compare_src:   # the compared code, from the same rounds
        variants += [("run-before", f"with the default reports, {args.compare_src}"),
                     ("run-nr-before", f"without reports, {args.compare_src}")]
    for variant, label in variants:
        for column, unit in ((0, "wall"), (1, "CPU")):
            shares = [1e6 * ((m[column] - rm[column]) - (n[column] - rn[column])) / extra
                      for n, m, rn, rm in zip(figures[variant], figures[f"{variant}@M"],
                                              figures["raw"], figures["raw@M"])]
            lines.append(
                f"Harness share of one more pair {label}, {unit} time, round by round: "
                f"{', '.join(f'{x:.0f}' for x in shares)} us; median "
                f"{statistics.median(shares):.0f} us (target 100 us).")
    return [""] + lines


def _paired_lines(args, figures: dict) -> list[str]:
    """This code against --compare-src at the larger workload, run by run: each pair of
    runs followed each other, so their difference is little moved by the machine's load."""
    lines = []
    for variant, label in (("run", "with the default reports"), ("run-nr", "without reports")):
        for column, unit in ((0, "wall"), (1, "CPU")):
            saved = [b[column] - a[column] for a, b in
                     zip(figures[f"{variant}@M"], figures[f"{variant}-before@M"])]
            lines.append(
                f"At {args.slope_pairs} pairs {label}, {unit} time, {args.compare_src} minus "
                f"this code, run after run: {', '.join(f'{d:+.2f}' for d in saved)} s; "
                f"median {statistics.median(saved):+.2f} s "
                f"({1e6 * statistics.median(saved) / args.slope_pairs:+.0f} us a pair over the "
                f"whole run), "
                f"this code faster in {sum(d > 0 for d in saved)} of {len(saved)}.")
    return [""] + lines


def _slope(args, table: dict, column: int) -> dict[str, float]:
    extra = args.slope_pairs - args.pairs
    return {k: 1e6 * (table[f"{k}@M"][column] - table[k][column]) / extra
            for k in ("raw", "run", "run-nr")}


if __name__ == "__main__":
    main()
