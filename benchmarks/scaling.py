"""Whole `summcheck run` at growing sizes: wall time, peak memory, and the re-run cost.

For each size N a local JSONL dataset of N examples is written from the cased CNN/DM
stories of ../shared/data (FRANK's CNN/DM rows and SummEval: 125 distinct stories with
their references), each story made distinct by a closing sentence with its copy number,
so no example is a cache hit on the first run. The run goes to a fresh run folder and
cache, then the same command runs again with everything cached. Peak memory is the
largest resident set size of the run's processes (GNU time),
and the largest anonymous memory of the run and its child processes (sampled).

Workloads (--workload):
  harness  a precomputed summarizer (each story's first three sentences, split here by a
           plain regex), ROUGE-1/2/L/Lsum and the numbers check: what the harness itself
           costs (loading, scoring, streaming rows, aggregating, reports) with no model.
           The support check stays at its default (on)
  rows     issue 17.2's million-row workload: the same precomputed summaries, ROUGE-1/2/L/
           Lsum and the numbers check only (entities and support off), default reports;
           run with --sizes 10000,100000,1000000 --no-rerun
  full     lead-3 and textrank, ROUGE, numbers and entities checks (story NER per story)

    .venv/bin/python -m benchmarks.scaling [--workload harness] [--sizes 1000,5000,20000]

Appends a dated section to benchmarks/results/scaling.md.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


from . import results_file
from .data import DATA, load_jsonl
from .results_file import append_section, commit_id

RESULTS = results_file.RESULTS / "scaling.md"
SUMMCHECK = Path(sys.executable).with_name("summcheck")

CONFIGS = {
    "harness": """\
name: scaling-harness
dataset: {{source: hf, path: {data}, split: test,
          fields: {{id: id, story: story, highlights: highlights}}}}
summarizers:
  - {{type: precomputed, name: first-3, path: {summaries}}}
checks: {{numbers: {{}}, entities: null}}
report: {{formats: [md, csv, json]}}
""",
    "rows": """\
name: scaling-rows
dataset: {{source: hf, path: {data}, split: test,
          fields: {{id: id, story: story, highlights: highlights}}}}
summarizers:
  - {{type: precomputed, name: first-3, path: {summaries}}}
checks: {{numbers: {{}}, entities: null, support: null}}
""",
    "full": """\
name: scaling-full
dataset: {{source: hf, path: {data}, split: test,
          fields: {{id: id, story: story, highlights: highlights}}}}
summarizers:
  - {{type: lead, k: 3}}
  - {{type: textrank, k: 3}}
report: {{formats: [md, csv, json]}}
""",
}
WORKLOADS = {
    "harness": "precomputed first-3 bullets, ROUGE-1/2/L/Lsum, numbers check, md/csv/json "
               "reports",
    "full": "lead-3 + textrank, ROUGE-1/2/L/Lsum, numbers + entities checks, md/csv/json "
            "reports",
    "rows": "precomputed first-3 bullets, ROUGE-1/2/L/Lsum, numbers check (no entities, no "
            "support), default reports (html, md, csv, json)",
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def stories() -> list[tuple[str, list[str]]]:
    """Distinct cased CNN/DM (story, reference bullets) pairs from the shared data."""
    seen: dict[str, list[str]] = {}
    for row in load_jsonl(DATA / "frank_valid.jsonl"):
        if row["dataset"] == "cnndm":
            seen.setdefault(row["article"], row["reference"].split("\n"))
    for row in load_jsonl(DATA / "summeval_dev.jsonl"):
        seen.setdefault(row["article"], row["reference"].split("\n"))
    return list(seen.items())


def write_dataset(folder: Path, n: int) -> None:
    """data.jsonl (the examples) and summaries.jsonl (first three sentences of each)."""
    pool = stories()
    with (folder / "data.jsonl").open("w", encoding="utf-8") as data, \
            (folder / "summaries.jsonl").open("w", encoding="utf-8") as summaries:
        for i in range(n):
            story, reference = pool[i % len(pool)]
            row = {"id": f"ex-{i}", "highlights": reference,
                   "story": f"{story}\nThis is copy {i // len(pool) + 1} of the story."}
            data.write(json.dumps(row, ensure_ascii=False) + "\n")
            first = _SENTENCE_END.split(story)[:3]
            summaries.write(json.dumps({"id": row["id"], "summary": first}) + "\n")


def timed_run(config: Path, work: Path, trace: Path | None = None
              ) -> tuple[float, float, float, float]:
    """(wall seconds, CPU seconds (user + sys), peak RSS MB, peak anonymous MB) of one
    `summcheck run` in its own process. CPU time is robust on a shared machine, where wall
    time moves with the other jobs. Peak RSS (GNU time) counts file pages too, e.g. the dataset's memory-mapped
    Arrow table as it is read; the anonymous peak (Pss_Anon of the run and its child
    processes, sampled every 50 ms) is the memory the run itself holds."""
    command = ["/usr/bin/time", "-f", "%M %U %S", str(SUMMCHECK), "run", str(config), "--out",
               str(work / "runs"), "--cache-dir", str(work / "cache"), "--no-progress"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_anon = [0]
    sampler = threading.Thread(target=_sample_anon, args=(proc, peak_anon, trace),
                               daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"run failed ({proc.returncode}):\n{stderr[-3000:]}")
    peak_kb, user, system = stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(system), int(peak_kb) / 1024, peak_anon[0] / 1024


def _sample_anon(proc: subprocess.Popen, peak: list[int], trace: Path | None) -> None:
    """Peak anonymous memory into peak[0]; with `trace`, a line every 2 s: seconds since
    the start and anonymous MB (to see where a long run's memory goes)."""
    started = last = time.perf_counter()
    with (trace.open("w") if trace else open("/dev/null", "w")) as out:
        while proc.poll() is None:
            anon = sum(_anon_kb(pid) for pid in _tree(proc.pid))
            peak[0] = max(peak[0], anon)
            if time.perf_counter() - last >= 2:
                last = time.perf_counter()
                out.write(f"{last - started:.0f} {anon / 1024:.1f}\n")
                out.flush()
            time.sleep(0.05)


def _tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(c) for c in children.read_text().split()]
            except OSError:
                pass
    return out


def _anon_kb(pid: int) -> int:
    """Proportional anonymous memory: pages a forked NER worker still shares with its
    parent are counted once between them, not once in each."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss_Anon:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(n: int, workload: str, rerun: bool = True, trace: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="summcheck-scaling-") as tmp:
        work = Path(tmp)
        write_dataset(work, n)
        config = work / "scaling.yaml"
        config.write_text(CONFIGS[workload].format(data=work / "data.jsonl",
                                                   summaries=work / "summaries.jsonl"))
        first, first_cpu, first_mb, first_anon = timed_run(
            config, work, trace / f"trace-{workload}-{n}.txt" if trace else None)
        again, _, again_mb, again_anon = timed_run(config, work) if rerun \
            else (float("nan"),) * 4
    return {"n": n, "first_s": first, "first_cpu": first_cpu, "first_mb": first_mb,
            "first_anon": first_anon, "rerun_s": again, "rerun_mb": again_mb,
            "rerun_anon": again_anon}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--workload", choices=sorted(CONFIGS), default="harness")
    parser.add_argument("--no-rerun", action="store_true",
                        help="skip the cached re-run (the 1M workload's second hour)")
    parser.add_argument("--trace", type=Path,
                        help="folder for a memory trace of each size's first run")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: the benchmark needs the shared evaluation data")
    if args.trace:
        args.trace.mkdir(parents=True, exist_ok=True)
    header = f"{results_file.machine()}; load average at start {results_file.load_average()}"
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        rows.append(measure(n, args.workload, rerun=not args.no_rerun, trace=args.trace))
        print(rows[-1], flush=True)
    base = rows[0]
    lines = [f"## {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, commit {commit_id()}",
             "", f"- machine: {header}",
             f"- command: `{results_file.command('scaling')}`",
             f"- workload {args.workload}: {WORKLOADS[args.workload]}; every story "
             "distinct (no cache hits on the first run)",
             f"- load average at end: {_load()}", "",
             "| examples | first run s | s per 1k examples | CPU s (user+sys) | CPU s per 1k | "
             "peak RSS MB | peak anonymous MB |"
             " re-run s | re-run / first | re-run peak RSS MB | re-run peak anonymous MB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['n']} | {r['first_s']:.1f} | {1000 * r['first_s'] / r['n']:.1f} | "
                     f"{r['first_cpu']:.1f} | {1000 * r['first_cpu'] / r['n']:.2f} | "
                     f"{r['first_mb']:.0f} | {r['first_anon']:.0f} | {r['rerun_s']:.1f} | "
                     f"{100 * r['rerun_s'] / r['first_s']:.1f}% | {r['rerun_mb']:.0f} | "
                     f"{r['rerun_anon']:.0f} |")
    growth = rows[-1]["first_mb"] - base["first_mb"]
    anon = rows[-1]["first_anon"] - base["first_anon"]
    lines += ["", f"From {base['n']} to {rows[-1]['n']} examples, peak RSS grows {growth:.0f} MB "
              f"and peak anonymous memory {anon:.0f} MB.", ""]
    print("\n".join(lines))
    if not args.no_write:
        append_section(RESULTS, "Scaling of a whole run", lines)


def _load() -> str:
    import os

    return "/".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
