"""Where the time goes: cProfile of (a) the default benchmark (`summcheck run`, fresh
cache) and (b) scoring 11,490 REALSumm pairs (ROUGE-1/2/Lsum + numbers + entities, as
`benchmarks.checks_speed` builds them), summarised by pipeline stage.

    .venv/bin/python -m benchmarks.profile_runs [--pairs 11490] [--src PATH] [--label NAME]

`--src` profiles another checkout's `src` folder (e.g. a `git worktree` of an older
commit) with this venv, for before/after figures. Appends to benchmarks/results/profile.md.
"""

from __future__ import annotations

import argparse
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import results_file

RESULTS = results_file.RESULTS / "profile.md"

# Stage -> (file suffix, function) whose cumulative time is that stage's; the first
# that exists in the profile counts (names changed between versions).
STAGES = {
    "generation (all summarizers)": [("summarizers/cache.py", "summarize_with_cache")],
    "story NER": [("consistency/entities.py", "prepare")],
    "entity check (summary NER + matching)": [("consistency/entities.py", "check_many")],
    "number check": [("consistency/numbers.py", "check")],
    "ROUGE": [("metrics/rouge.py", "score_many"), ("metrics/rouge.py", "score")],
    "aggregation (bootstrap)": [("runner.py", "_results")],
    "reports": [("runner.py", "_write_reports")],
}

SCORING = """
import sys
sys.path.insert(0, {root!r})
from benchmarks import checks_speed as cs
from summcheck.consistency.entities import EntityCheck
from summcheck.consistency.numbers import NumberCheck
from summcheck.metrics.rouge import RougeMetric
from summcheck import scoring
pairs = cs.workload("realsumm", {pairs})
metrics, checks = [RougeMetric(("rouge1", "rouge2", "rougeLsum"))], [NumberCheck(), EntityCheck()]
step = 512
for start in range(0, len(pairs), step):
    chunk = pairs[start:start + step]
    if hasattr(scoring, "Scorer"):
        scoring.Scorer(metrics, checks).score(chunk)
    else:
        scoring.score_batch([e for e, _ in chunk], [s for _, s in chunk], metrics, checks)
"""


def profile(command: list[str], env: dict, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), *command], env=env,
                   check=True, stdout=subprocess.DEVNULL)


def stage_table(prof: Path) -> tuple[float, list[str]]:
    stats = pstats.Stats(str(prof))
    total = max(v[3] for v in stats.stats.values())
    lines = ["| stage | seconds | share |", "|---|---:|---:|"]
    for stage, candidates in STAGES.items():
        seconds = 0.0
        for suffix, name in candidates:
            found = [v[3] for (file, _, fn), v in stats.stats.items()
                     if file.endswith(suffix) and fn == name]
            if found:
                seconds = max(found)
                break
        if seconds:
            lines.append(f"| {stage} | {seconds:.2f} | {100 * seconds / total:.0f}% |")
    lines.append(f"| **whole process** | {total:.2f} | 100% |")
    return total, lines


def top_functions(prof: Path, n: int = 12) -> list[str]:
    stats = pstats.Stats(str(prof))
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:n]   # by own time
    lines = ["| own s | cumulative s | function |", "|---:|---:|---|"]
    for (file, line, fn), v in rows:
        short = "/".join(Path(file).parts[-2:]) if file != "~" else "builtin"
        lines.append(f"| {v[2]:.2f} | {v[3]:.2f} | `{short}:{line} {fn}` |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=11_490)
    parser.add_argument("--src", type=Path, help="profile this src folder instead")
    parser.add_argument("--label", default="current")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = str(args.src.resolve())
    load_start = results_file.load_average()
    sections = []
    with tempfile.TemporaryDirectory(prefix="summcheck-profile-") as tmp:
        work = Path(tmp)
        summcheck = Path(sys.executable).with_name("summcheck")
        runs = {
            "default benchmark (`summcheck run`, fresh cache)":
                [str(summcheck), "run", "--no-progress", "--out", str(work / "runs"),
                 "--cache-dir", str(work / "cache")],
            f"scoring {args.pairs} REALSumm pairs (ROUGE + numbers + entities)":
                ["-c", SCORING.format(root=str(results_file.ROOT), pairs=args.pairs)],
        }
        for title, command in runs.items():
            prof = work / "run.prof"
            if command[0] == "-c":
                script = work / "scoring.py"
                script.write_text(command[1])
                command = [str(script)]
            started = time.perf_counter()
            profile(command, env, prof)
            wall = time.perf_counter() - started
            _, stages = stage_table(prof)
            sections += [f"### {title}", "", f"wall {wall:.1f} s (under the profiler)", "",
                         *stages, "", "Top functions by own time:", "", *top_functions(prof),
                         ""]
    details = [f"- label: {args.label}"] + ([f"- src: {args.src}"] if args.src else [])
    lines = [*results_file.header("profile_runs", load_start, details), *sections]
    print("\n".join(lines))
    if not args.no_write:
        results_file.append_section(RESULTS, "Profiles", lines)


if __name__ == "__main__":
    main()
