"""The Ray driver's memory as the test set grows: does the driver stream windows?

For each size N a local JSONL dataset of N examples is written from the cased CNN/DM
stories of ../shared/data (FRANK's CNN/DM rows and SummEval; never copied into the
project), each story made distinct by a closing sentence with its copy number. The config
is lead-3 (generated on Ray actors), ROUGE-1/2/L/Lsum and the numbers check (scored in Ray
tasks), JSON report only. Each size runs once with `--backend ray --address ADDRESS` and
once locally, side by side, fresh cache and run folder each time. The driver's peak
resident memory is its VmHWM (read from /proc every 50 ms while it runs: Ray's workers
are not the driver's processes when it joins a cluster, so only the driver is counted).

    ray start --head --port=6379      # a cluster to join (see docs/ray.md)
    .venv/bin/python -m benchmarks.ray_driver_memory --address 127.0.0.1:6379 \
        [--sizes 2048,8192,16384] [--backends ray,local] [--no-write]

Appends a dated section to benchmarks/results/ray_driver_memory.md.
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
from .scaling import stories
from .results_file import append_section, commit_id

RESULTS = results_file.RESULTS / "ray_driver_memory.md"
SUMMCHECK = Path(sys.executable).with_name("summcheck")
CONFIG = """\
name: ray-driver-memory
dataset: {{source: hf, path: {data}, split: test,
          fields: {{id: id, story: story, highlights: highlights}}}}
summarizers:
  - {{type: lead, k: 3}}
checks: {{numbers: {{}}, entities: null, support: null}}
report: {{formats: [json]}}
ray: {{concurrency: 2, scoring_concurrency: 2}}
"""


def write_dataset(path: Path, n: int) -> None:
    pool = stories()
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            story, reference = pool[i % len(pool)]
            out.write(json.dumps({"id": f"ex-{i}", "highlights": reference,
                                  "story": f"{story}\nThis is copy {i // len(pool) + 1}."},
                                 ensure_ascii=False) + "\n")


def peak_mb(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(match.group(1)) / 1024 if match else 0.0


def run(config: Path, work: Path, extra: list[str]) -> tuple[float, float]:
    """(wall seconds, the driver's peak RSS MB) of one `summcheck run`."""
    command = [str(SUMMCHECK), "run", str(config), "--out", str(work / "runs"),
               "--cache-dir", str(work / "cache"), "--no-progress", *extra]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], peak_mb(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"run failed ({proc.returncode}):\n{stderr[-3000:]}")
    return time.perf_counter() - started, peak[0]


def cell(figures: dict, backend: str) -> str:
    if backend not in figures:
        return "- | -"
    wall, peak = figures[backend]
    return f"{peak:.0f} | {wall:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", required=True, help="a running Ray cluster's HEAD:PORT")
    parser.add_argument("--sizes", default="2048,8192,16384")
    parser.add_argument("--backends", default="ray,local",
                        help="ray, local or both (local memory also in scaling.md)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory(prefix="raymem-") as tmp:
            work = Path(tmp)
            write_dataset(work / "data.jsonl", n)
            config = work / "bench.yaml"
            config.write_text(CONFIG.format(data=work / "data.jsonl"))
            figures = {}
            for name in args.backends.split(","):
                extra = ["--backend", "ray", "--address", args.address] if name == "ray" else []
                figures[name] = run(config, work / name, extra)
            rows.append((n, figures))
            print(n, figures, flush=True)
    table = ["| examples | Ray: driver peak MB | Ray wall s | local: peak MB | local wall s |",
             "|---:|---:|---:|---:|---:|"]
    table += [f"| {n} | {cell(f, 'ray')} | {cell(f, 'local')} |" for n, f in rows]
    first, last = rows[0], rows[-1]   # the Ray side is always run
    growth = last[1]["ray"][1] / first[1]["ray"][1]
    lines = [
        f"## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit_id()}", "",
        "- machine: " + f"{results_file.machine()}; load average at start {results_file.load_average()}",
        f"- command: `python -m benchmarks.ray_driver_memory --address ADDRESS "
        f"--sizes {args.sizes} --backends {args.backends}` (a cluster started with "
        f"`ray start --head`)",
        "- workload: lead-3 on Ray actors (2), ROUGE-1/2/L/Lsum + numbers check in Ray "
        "tasks (2), JSON report; every story distinct; fresh caches",
        "", *table, "",
        f"From {first[0]} to {last[0]} examples the Ray driver's peak grows "
        f"{growth:.2f}x.", ""]
    print("\n".join(lines))
    if not args.no_write:
        append_section(RESULTS, "The Ray driver's memory", lines)


if __name__ == "__main__":
    main()
