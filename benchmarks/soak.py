"""Soak test: the default benchmark, killed with SIGKILL at a random moment and resumed, 20
times in a row; writes benchmarks/results/soak.md.

    .venv/bin/python -m benchmarks.soak [--iterations 20] [--seed 0]

First two clean, uninterrupted runs (fresh --out and --cache-dir each) give the reference
results and the expected run time T (and show the benchmark is deterministic). Then each
iteration, in a fresh --out and --cache-dir:

1. start `python -m summcheck run --out OUT --cache-dir CACHE --no-progress`;
2. SIGKILL it after a random delay, uniform in [0, T] (seeded; T is the faster clean run);
   the phase it was in is read from the files present: startup (no run files yet),
   generation (spec.json, no summaries.jsonl), scoring (summaries.jsonl, no scores.jsonl),
   writing (scores.jsonl and later: checks, results.json, report); the summaries in the
   cache are counted;
3. run the same command again (the resume) to the end.

A lost result is a summary that was finished (in the cache) at the kill and generated again
by the resume, or a final run folder that differs from the reference (results.json without
its timestamps, generated counts and timings; scores.jsonl, checks.jsonl, examples.jsonl;
summaries.jsonl without timings). A failed resume or a lock left behind is also counted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from . import results_file

ROOT = results_file.ROOT
OUT_MD = results_file.RESULTS / "soak.md"
COMMAND = [sys.executable, "-m", "summcheck", "run", "--no-progress"]


def command(folder: Path) -> list[str]:
    return COMMAND + ["--out", str(folder / "runs"), "--cache-dir", str(folder / "cache")]


def run_dir(folder: Path) -> Path | None:
    dirs = list((folder / "runs").glob("*/")) if (folder / "runs").is_dir() else []
    return dirs[0] if dirs else None


def phase(folder: Path) -> str:
    """Where a killed run was, from the files it had written."""
    rd = run_dir(folder)
    if rd is None or not (rd / "spec.json").exists():
        return "startup"
    if not (rd / "summaries.jsonl").exists():
        return "generation"
    if not (rd / "scores.jsonl").exists():
        return "scoring"
    return "writing"


def cached(folder: Path) -> Counter:
    """Summaries in the generation cache, by summarizer fingerprint."""
    db = folder / "cache" / "generations.sqlite"
    if not db.exists():
        return Counter()
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            rows = conn.execute("SELECT fingerprint, COUNT(*) FROM summaries GROUP BY 1")
            return Counter(dict(rows.fetchall()))
    except sqlite3.OperationalError:  # killed before the table was created
        return Counter()


def comparable(rd: Path) -> dict:
    """The run folder's content that must not depend on interruptions."""
    results = json.loads((rd / "results.json").read_text())
    results = {k: v for k, v in results.items() if k not in ("started", "finished")}
    results["summarizers"] = [{k: v for k, v in m.items()
                               if k not in ("n_generated", "seconds_per_example")}
                              for m in results["summarizers"]]
    summaries = [{k: v for k, v in json.loads(line).items() if k != "seconds"}
                 for line in (rd / "summaries.jsonl").read_text().splitlines()]
    files = {name: (rd / name).read_text() for name in
             ("scores.jsonl", "checks.jsonl", "examples.jsonl") if (rd / name).exists()}
    return {"results": results, "summaries": summaries, **files}


def clean_run(folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command(folder), check=True, capture_output=True, timeout=1200)
    return time.perf_counter() - started


def iteration(folder: Path, delay: float, reference: dict) -> dict:
    proc = subprocess.Popen(command(folder), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
        row = {"killed": False, "phase": "finished first"}
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        row = {"killed": True, "phase": phase(folder)}
    at_kill = cached(folder)
    rd = run_dir(folder)
    row["lock_left_by_kill"] = bool(rd and (rd / ".lock").exists())
    resume = subprocess.run(command(folder), capture_output=True, text=True, timeout=1200)
    rd = run_dir(folder)
    row["resume_ok"] = resume.returncode == 0 and rd is not None and (rd / "results.json").exists()
    row["lock_after_resume"] = bool(rd and (rd / ".lock").exists())
    row["cached_at_kill"] = sum(at_kill.values())
    row["regenerated"] = row["generated_by_resume"] = 0
    row["same_as_reference"] = False
    if row["resume_ok"]:
        models = json.loads((rd / "results.json").read_text())["summarizers"]
        row["generated_by_resume"] = sum(m["n_generated"] for m in models)
        # finished (cached) before the kill, generated again by the resume
        row["regenerated"] = sum(
            max(0, m["n_generated"] - (m["n_examples"] - at_kill[m["fingerprint"]]))
            for m in models)
        row["same_as_reference"] = comparable(rd) == reference
    else:
        row["resume_error"] = (resume.stderr.strip().splitlines()[-1:]
                               or [f"exit {resume.returncode}"])
    return row


def machine() -> str:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{results_file.machine()}, {ram:.0f} GiB RAM, {platform.platform()}"


def git_state() -> str:
    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "src")
    return git("rev-parse", "--short", "HEAD") + (" + uncommitted changes in src/" if dirty
                                                  else " (src/ as committed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT_MD)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = datetime.now(timezone.utc)
    load_before, code = os.getloadavg(), git_state()
    with tempfile.TemporaryDirectory(prefix="summcheck-soak-") as tmp:
        tmp = Path(tmp)
        times = [clean_run(tmp / f"reference-{i}") for i in (1, 2)]
        reference = comparable(run_dir(tmp / "reference-1"))
        deterministic = comparable(run_dir(tmp / "reference-2")) == reference
        expected = min(times)
        rows = []
        for i in range(1, args.iterations + 1):
            delay = rng.uniform(0, expected)
            row = {"i": i, "delay": delay, **iteration(tmp / f"soak-{i}", delay, reference)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    finished = datetime.now(timezone.utc)
    args.out.write_text(report(rows, times, deterministic, args, started, finished,
                               load_before, code))
    print(f"wrote {args.out}")


def report(rows, times, deterministic, args, started, finished, load_before, code) -> str:
    killed = [r for r in rows if r["killed"]]
    phases = Counter(r["phase"] for r in killed)
    regenerated = sum(r["regenerated"] for r in rows)
    differing = sum(1 for r in rows if r["resume_ok"] and not r["same_as_reference"])
    failed = sum(1 for r in rows if not r["resume_ok"])
    locks_left = sum(1 for r in rows if r["lock_after_resume"])
    lost = regenerated + differing
    phase_text = ", ".join(f"{p} {phases[p]}" for p in ("startup", "generation", "scoring",
                                                        "writing") if phases[p]) or "none"
    lines = [
        "# Soak test: the default benchmark killed and resumed",
        "",
        f"Written by `python -m benchmarks.soak` on {started:%Y-%m-%d %H:%M} UTC "
        f"({(finished - started).total_seconds() / 60:.1f} min).",
        "",
        "- Command (each run, fresh `OUT` and `CACHE` per iteration): "
        "`python -m summcheck run --no-progress --out OUT --cache-dir CACHE` "
        "(the bundled default config)",
        f"- Soak command: `{results_file.command('soak')}`",
        f"- Machine: {machine()}; load average at start {load_before[0]:.1f} "
        "(other jobs shared the machine)",
        f"- summcheck at {code}",
        f"- Clean runs: {times[0]:.1f} s and {times[1]:.1f} s (cold cache); the two reference "
        f"folders are {'identical' if deterministic else 'DIFFERENT'} (timings aside). "
        f"Kill delay: uniform in [0, {min(times):.1f} s], seeded (a run that ends sooner, "
        "e.g. when the machine's load drops, is not killed and is counted as such).",
        "",
        "## Result",
        "",
        "| runs (killed + resume) | kills | kills by phase | finished before the kill "
        "| summaries generated again | final folders differing | failed resumes "
        "| locks left | **lost** |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {len(rows)} | {len(killed)} | {phase_text} | {len(rows) - len(killed)} "
        f"| {regenerated} | {differing} | {failed} | {locks_left} | **{lost}** |",
        "",
        "Lost = summaries in the cache at the kill that the resume generated again, plus final "
        "run folders that differ from the clean reference (results.json without timestamps, "
        "generated counts and timings; scores, checks, examples; summaries without timings).",
        "",
        "## Runs",
        "",
        "| # | kill after (s) | phase | lock left by the kill | summaries cached at the kill "
        "| generated by the resume | generated again | same as reference | lock after resume |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['i']} | {r['delay']:.2f} | {r['phase']} "
            f"| {'yes' if r['lock_left_by_kill'] else 'no'} "
            f"| {r['cached_at_kill']} | {r['generated_by_resume']} | {r['regenerated']} "
            f"| {'yes' if r['same_as_reference'] else 'NO'} "
            f"| {'YES' if r['lock_after_resume'] else 'no'} |")
    errors = [f"- run {r['i']}: {' '.join(r['resume_error'])}" for r in rows if not r["resume_ok"]]
    if errors:
        lines += ["", "## Failed resumes", "", *errors]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
