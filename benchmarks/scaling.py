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

`--limit-ratio R` runs the largest size under a hard memory limit of R x the peak RSS of
the size before it, in a memory cgroup of its own (root and a writable cgroup fs needed).
The cgroup charges the run's anonymous memory and every file page it reads, writes or
maps (its data files are dropped from the page cache first, so their pages are charged
too): the kernel reclaims file pages to stay under the limit and kills the run when it
cannot. A run that completes needed no more than the limit, by the strictest measure.

Appends a dated section to benchmarks/results/scaling.md.
"""

from __future__ import annotations

import argparse
import json
import os
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
    """data.jsonl (the examples) and summaries.jsonl (first three sentences of each),
    written through and dropped from the page cache (a limited run is charged for
    reading them)."""
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
        for handle in (data, summaries):
            handle.flush()
            os.fsync(handle.fileno())
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


class OverLimit(Exception):
    """The run was killed in its memory cgroup: it needed more than the limit."""


class MemoryCgroup:
    """A memory cgroup (v1 or v2) with a hard limit, for one run."""

    def __init__(self, limit_mb: float):
        v1 = Path("/sys/fs/cgroup/memory")
        self.v1 = v1.is_dir()
        self.path = (v1 if self.v1 else Path("/sys/fs/cgroup")) / f"summcheck-scaling-{os.getpid()}"
        try:
            self.path.mkdir()
            limit = "memory.limit_in_bytes" if self.v1 else "memory.max"
            (self.path / limit).write_text(str(int(limit_mb * 2**20)))
        except OSError as err:
            sys.exit(f"--limit-ratio needs a writable memory cgroup ({self.path}): {err}")

    def join(self) -> None:
        """Move the calling process in (a Popen preexec_fn: the run's process)."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def times_limited(self) -> int:
        """How often the run met its limit (and the kernel reclaimed or refused)."""
        if self.v1:
            return int((self.path / "memory.failcnt").read_text())
        events = dict(line.split() for line in (self.path / "memory.events").read_text().splitlines())
        return int(events.get("max", 0))

    def remove(self) -> None:
        self.path.rmdir()


def timed_run(config: Path, work: Path, trace: Path | None = None,
              cgroup: MemoryCgroup | None = None) -> tuple[float, float, float, float]:
    """(wall seconds, CPU seconds (user + sys), peak RSS MB, peak anonymous MB) of one
    `summcheck run` in its own process. CPU time is robust on a shared machine, where wall
    time moves with the other jobs. Peak RSS (GNU time) counts file pages too, e.g. the dataset's memory-mapped
    Arrow table as it is read; the anonymous peak (Pss_Anon of the run and its child
    processes, sampled every 50 ms) is the memory the run itself holds."""
    command = ["/usr/bin/time", "-f", "%M %U %S", str(SUMMCHECK), "run", str(config), "--out",
               str(work / "runs"), "--cache-dir", str(work / "cache"), "--no-progress"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=cgroup.join if cgroup else None)
    peak_anon = [0]
    sampler = threading.Thread(target=_sample_anon, args=(proc, peak_anon, trace),
                               daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    if cgroup and proc.returncode in (137, -9):   # GNU time's or the run's own kill status
        raise OverLimit(stderr[-3000:])
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


def measure(n: int, workload: str, rerun: bool = True, trace: Path | None = None,
            limit_mb: float | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="summcheck-scaling-") as tmp:
        work = Path(tmp)
        write_dataset(work, n)
        config = work / "scaling.yaml"
        config.write_text(CONFIGS[workload].format(data=work / "data.jsonl",
                                                   summaries=work / "summaries.jsonl"))
        cgroup = MemoryCgroup(limit_mb) if limit_mb else None
        try:
            first, first_cpu, first_mb, first_anon = timed_run(
                config, work, trace / f"trace-{workload}-{n}.txt" if trace else None, cgroup)
            limited = cgroup.times_limited() if cgroup else None
        except OverLimit as killed:
            print(f"killed under the {limit_mb:.0f} MB limit:\n{killed}", file=sys.stderr)
            first = first_cpu = first_mb = first_anon = float("nan")
            limited, rerun = "killed", False
        finally:
            if cgroup:
                cgroup.remove()
        again, _, again_mb, again_anon = timed_run(config, work) if rerun \
            else (float("nan"),) * 4
    return {"n": n, "first_s": first, "first_cpu": first_cpu, "first_mb": first_mb,
            "first_anon": first_anon, "rerun_s": again, "rerun_mb": again_mb,
            "rerun_anon": again_anon, "limit_mb": limit_mb, "limited": limited}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--workload", choices=sorted(CONFIGS), default="harness")
    parser.add_argument("--no-rerun", action="store_true",
                        help="skip the cached re-run (the 1M workload's second hour)")
    parser.add_argument("--trace", type=Path,
                        help="folder for a memory trace of each size's first run")
    parser.add_argument("--limit-ratio", type=float,
                        help="run the largest size under a hard memory limit of this times "
                             "the peak RSS of the size before it (e.g. 1.2)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: the benchmark needs the shared evaluation data")
    if args.trace:
        args.trace.mkdir(parents=True, exist_ok=True)
    header = f"{results_file.machine()}; load average at start {results_file.load_average()}"
    rows: list[dict] = []
    sizes = [int(s) for s in args.sizes.split(",")]
    for i, n in enumerate(sizes):
        limit = args.limit_ratio * rows[-1]["first_mb"] \
            if args.limit_ratio and rows and i == len(sizes) - 1 else None
        rows.append(measure(n, args.workload, rerun=not args.no_rerun, trace=args.trace,
                            limit_mb=limit))
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
    if rows[-1]["limited"] == "killed":
        lines += [f"The {rows[-1]['n']} run was KILLED under a hard memory limit of "
                  f"{rows[-1]['limit_mb']:.0f} MB ({args.limit_ratio} x the {rows[-2]['n']} "
                  "run's peak RSS): it needs more.", ""]
    elif rows[-1]["limit_mb"]:
        lines += [f"The {rows[-1]['n']} run completed under a hard memory limit of "
                  f"{rows[-1]['limit_mb']:.0f} MB ({args.limit_ratio} x the {rows[-2]['n']} "
                  f"run's peak RSS; its memory cgroup reached the limit "
                  f"{rows[-1]['limited']} times, each time the kernel reclaiming file pages).", ""]
    print("\n".join(lines))
    if not args.no_write:
        append_section(RESULTS, "Scaling of a whole run", lines)


def _load() -> str:
    import os

    return "/".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
