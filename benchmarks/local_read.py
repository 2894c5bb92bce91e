"""Loading a local JSON Lines dataset: summcheck's own reader vs `datasets` (issue 17).

For each size N a JSONL file of N CNN/DM-sized examples is written to a temporary folder:
the 50 distinct REALSumm articles of ../shared/data (about 3,800 characters each) with
their references as highlight lists, each row made distinct by a closing sentence with
its copy number; without the shared data, synthetic stories of the same size. Nothing is
copied into the repository.

Each load runs in its own process (so peak memory is its own): 3 rounds of the three
readers, interleaved so a busy spell on a shared machine hits them alike; medians of wall
and CPU time are reported. A load goes through `summcheck.data.load_examples`, which
checks every row and reads every example once (the duplicate-id check). Then one more
full pass is timed: a run reads its examples a few more times (warnings, fingerprint,
examples.jsonl, the windows).

  own            summcheck's reader (data/local.py): no datasets, no pyarrow imported
  datasets-cold  datasets.load_dataset converting the file to Arrow: a first run before
                 this change (empty cache), and every load of a local file by `datasets`
                 after it (it now converts again each time; compressed files only)
  datasets-warm  datasets reusing the Arrow copy the cold run made: a second run before
                 this change, the one that served stale rows when a file was rewritten
                 with its old mtime

Imports: summcheck's config and data modules, plus `datasets` for the datasets readers
(the own reader imports neither datasets nor pyarrow). Load CPU is the process's CPU time
over all its threads (pyarrow parses JSON on several): on a shared machine it is steadier
than wall time. Peak memory: the process's high-water resident set (VmHWM; it counts the
memory-mapped Arrow file datasets reads from) and its sampled anonymous memory (RssAnon),
each minus the same figure after imports, before loading.

    .venv/bin/python -m benchmarks.local_read [--sizes 11490,100000]

Appends a dated section to benchmarks/results/local_read.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from statistics import median
from pathlib import Path

from . import results_file
from .data import DATA, load_jsonl

RESULTS = results_file.RESULTS / "local_read.md"
MODES = ("own", "datasets-cold", "datasets-warm")
REPEATS = 3   # rounds; each reader loads once per round
_TAG = re.compile(r"\s*</?t>\s*")


def pool() -> list[tuple[str, list[str]]]:
    """(story, highlights) pairs: REALSumm's articles, or synthetic ones of the same size."""
    path = DATA / "realsumm_dev.jsonl"
    if path.is_file():
        seen = {r["doc_id"]: (r["article"], [h for h in _TAG.split(r["reference"]) if h])
                for r in load_jsonl(path)}
        return list(seen.values())
    rng = random.Random(0)
    words = [f"w{i}" for i in range(5000)]
    return [(" ".join(rng.choice(words) for _ in range(640)) + ".",
             [" ".join(rng.choice(words) for _ in range(12)) for _ in range(3)])
            for _ in range(50)]


def write_jsonl(path: Path, n: int) -> None:
    stories = pool()
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            story, highlights = stories[i % len(stories)]
            row = {"id": f"ex-{i}", "highlights": highlights,
                   "story": f"{story}\nThis is copy {i // len(stories) + 1} of the story."}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- one measurement (child)
def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure(mode: str, data: Path) -> dict:
    """Load `data` with one reader in this process; seconds and memory as a dict."""
    start = time.perf_counter()
    from summcheck.config import HFDataset
    from summcheck.data import hf, load_examples

    if mode == "own":
        from summcheck.data import json_file, local  # noqa: F401
    else:
        import datasets
    import_s = time.perf_counter() - start
    if mode != "own":
        hf.load_hf = hf.load_with_datasets     # load_examples looks it up when called
        if mode == "datasets-warm":            # the behaviour before: reuse the cached copy
            load = datasets.load_dataset
            datasets.load_dataset = lambda *a, download_mode=None, **k: load(*a, **k)
    spec = HFDataset(source="hf", path=str(data), fields={"id": "id", "story": "story",
                                                         "highlights": "highlights"})
    base_hwm, base_anon, peak_anon = _status_kb("VmHWM"), _status_kb("RssAnon"), [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak_anon[0] = max(peak_anon[0], _status_kb("RssAnon"))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start, cpu = time.perf_counter(), time.process_time()
    examples = load_examples(spec)
    loaded, loaded_cpu = time.perf_counter(), time.process_time()
    chars = sum(len(e.story) for e in examples)
    again = time.perf_counter() - loaded
    done.set()
    sampler.join()
    return {"mode": mode, "n": len(examples), "import_s": import_s, "load_s": loaded - start,
            "cpu_s": loaded_cpu - cpu, "pass_s": again, "chars": chars,
            "hwm_mb": (_status_kb("VmHWM") - base_hwm) / 1024,
            "anon_mb": (peak_anon[0] - base_anon) / 1024,
            "datasets_imported": "datasets" in sys.modules,
            "pyarrow_imported": "pyarrow" in sys.modules}


def run_child(mode: str, data: Path, hf_cache: Path) -> dict:
    env = {**os.environ, "HF_DATASETS_CACHE": str(hf_cache), "HF_DATASETS_OFFLINE": "1",
           "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "benchmarks.local_read", "--child", mode,
                           str(data)], env=env, capture_output=True, text=True, check=True,
                          cwd=results_file.ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- report
def summary(runs: list[dict]) -> dict:
    """One reader at one size over its repeats: medians, the wall-time range, peak memory."""
    loads = [r["load_s"] for r in runs]
    return {"load_s": median(loads), "range": (min(loads), max(loads)),
            "cpu_s": median(r["cpu_s"] for r in runs),
            "import_s": median(r["import_s"] for r in runs),
            "pass_s": median(r["pass_s"] for r in runs),
            "hwm_mb": max(r["hwm_mb"] for r in runs), "anon_mb": max(r["anon_mb"] for r in runs),
            "imports": f"{_yes(runs[0]['datasets_imported'])} / "
                       f"{_yes(runs[0]['pyarrow_imported'])}"}


def section(results: list[dict], sizes: list[int], mb: dict[int, float], load_start: str,
            source: str) -> list[str]:
    by = {(n, m): summary([r for r in results if (r["n"], r["mode"]) == (n, m)])
          for n in sizes for m in MODES}
    lines = [*results_file.header("local_read", load_start, [
                f"- data: {source}",
                f"- {REPEATS} rounds, the readers interleaved in each; medians, wall range in "
                "brackets; peak memory is the largest over the rounds"]),
             "| examples | file MB | reader | imports s | load s (range) | us/example | "
             "load CPU s | one more pass s | peak RSS +MB | peak anon +MB | "
             "datasets / pyarrow imported |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for n in sizes:
        for mode in MODES:
            r = by[(n, mode)]
            lines.append(
                f"| {n:,} | {mb[n]:.0f} | {mode} | {r['import_s']:.2f} | "
                f"{r['load_s']:.2f} ({r['range'][0]:.2f}-"
                f"{r['range'][1]:.2f}) | {r['load_s'] / n * 1e6:.0f} | {r['cpu_s']:.2f} | "
                f"{r['pass_s']:.2f} | {r['hwm_mb']:.0f} | {r['anon_mb']:.0f} | {r['imports']} |")
    lines += ["", "Ratios, datasets / own (above 1: the own reader is faster or smaller):", "",
              "| examples | imports + load wall, cold | load wall, cold | load wall, warm | "
              "load CPU, cold | load CPU, warm | peak RSS, cold | peak anon, cold |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        own, cold, warm = (by[(n, m)] for m in MODES)
        total = _ratio(cold["import_s"] + cold["load_s"], own["import_s"] + own["load_s"])
        lines.append(f"| {n:,} | {total} | "
                     f"{_ratio(cold['load_s'], own['load_s'])} | "
                     f"{_ratio(warm['load_s'], own['load_s'])} | "
                     f"{_ratio(cold['cpu_s'], own['cpu_s'])} | "
                     f"{_ratio(warm['cpu_s'], own['cpu_s'])} | "
                     f"{_ratio(cold['hwm_mb'], own['hwm_mb'])} | "
                     f"{_ratio(cold['anon_mb'], own['anon_mb'])} |")
    return lines + [""]


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}" if b > 0 else "n/a"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="11490,100000")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], Path(args.child[1]))))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    load_start = results_file.load_average()
    results, mb = [], {}
    with tempfile.TemporaryDirectory(prefix="local-read-") as tmp:
        for n in sizes:
            data = Path(tmp) / f"data-{n}.jsonl"
            write_jsonl(data, n)
            mb[n] = data.stat().st_size / 1e6
            for _ in range(REPEATS):   # interleaved: a busy spell hits every reader
                for mode in MODES:         # warm reuses the cold run's cache folder
                    results.append(run_child(mode, data, Path(tmp) / f"hf-cache-{n}"))
                    print(results[-1], flush=True)
            data.unlink()
    source = ("REALSumm's 50 CNN/DM articles (../shared/data/realsumm_dev.jsonl) repeated"
              if (DATA / "realsumm_dev.jsonl").is_file() else "synthetic stories")
    results_file.append_section(RESULTS, "Reading local JSONL: own reader vs datasets",
                                section(results, sizes, mb, load_start, source))


if __name__ == "__main__":
    main()
