"""The results files under benchmarks/results/: one dated section per run.

A section opens with what is needed to judge and repeat its figures: the date, the
commit, the machine, its load average (the machine is shared, so speed figures move with
it) and the command; then the script's own details and figures. `header` makes those
lines, `append_section` adds a section to a file (starting the file with its title).
Scripts that rewrite a whole report (agreement, planted, ...) use the single helpers.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def now() -> str:
    return f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"


def commit_id() -> str:
    """The repository's short HEAD, "?" outside a git checkout."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def cpu_model() -> str:
    try:
        return next(line.split(":", 1)[1].strip() for line in
                    Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "?"


def machine() -> str:
    return f"{os.cpu_count()} cores, {cpu_model()}; Python {platform.python_version()}"


def load_average() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def command(module: str, argv: Sequence[str] | None = None) -> str:
    """How to repeat this run: `.venv/bin/python -m benchmarks.<module> <arguments>`."""
    args = sys.argv[1:] if argv is None else argv
    return " ".join([".venv/bin/python", "-m", f"benchmarks.{module}",
                     *map(shlex.quote, args)])


def header(module: str, load_start: str, details: Sequence[str] = ()) -> list[str]:
    """The opening lines of a section: date and commit, command, machine, load average at
    the start (`load_start`, from `load_average()`) and now, then `details`."""
    return [f"## {now()}, commit {commit_id()}", "",
            f"- command: `{command(module)}`",
            f"- machine: {machine()}",
            f"- load average (1/5/15 min): {load_start} at the start, {load_average()} at "
            "the end (the machine is shared)",
            *details, ""]


def append_section(results: Path, title: str, lines: Sequence[str]) -> None:
    """Append one dated section (`lines`) to a results file, starting the file with its
    `title` and a line naming the script when it does not exist yet."""
    with Path(results).open("a", encoding="utf-8") as fh:
        if fh.tell() == 0:
            module = Path(sys.argv[0]).stem
            fh.write(f"# {title}\n\nAppended by `python -m benchmarks.{module}`; see its "
                     "docstring for the workloads.\n\n")
        fh.write("\n".join(lines) + "\n")
