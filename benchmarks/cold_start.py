"""What a fresh process pays before its first scores: the support check's stemmer.

Usage (from the repository root; appends a dated section to
benchmarks/results/cold_start.md):

    .venv/bin/python -m benchmarks.cold_start [--data DIR] [--rounds 5] [--no-write]

The support check stems words with Porter's stemmer (NLTK's rules). Importing nltk
imports scikit-learn among much else; rouge-score-rs (the `fast` extra) carries a native
port with the same stems (tests/test_support_stemmer.py). Each round starts fresh Python
processes, the two sides alternated, and times in each:

- import: importing the stemmer alone (`nltk.stem.porter`, or rouge-score-rs's tokenizers);
- first scores: from the process's start to the default checks' scores (`build_checks`
  of a config without `checks`, `score_batch`, as `summcheck run` scores a summarizer's
  summaries; spaCy's pipeline and the MiniLM encoder loaded on the way) of the 75 FRANK
  CNN/DM validation summaries of different stories, with the stemmer forced to one side
  (`support.stemmer_library` replaced in the child). Only summcheck is imported.

Medians over the rounds, and the paired difference (nltk minus native) round by round.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from .data import add_data_argument, data_dir
from .results_file import RESULTS, ROOT, append_section, header, load_average

OUT = RESULTS / "cold_start.md"
IMPORTS = {"nltk": "import nltk.stem.porter",
           "native": "import rouge_score_rs.tokenizers"}
FIRST_SCORES = """
import json, sys, time
start = time.perf_counter()
from importlib.metadata import version
from summcheck.consistency import support
library = {{"nltk": f"nltk-{{version('nltk')}}",
           "native": f"rouge-score-rs-{{version('rouge-score-rs')}}"}}[{side!r}]
support.stemmer_library = lambda: library
from summcheck.config import RunSpec
from summcheck.scoring import build_checks, score_batch
from summcheck.text import split_bullets
from summcheck.types import Example, Summary
rows, seen = [], set()
for line in open({frank!r}, encoding="utf-8"):
    r = json.loads(line)
    article = r["id"].split("-")[2]
    if r["dataset"] == "cnndm" and article not in seen:
        seen.add(article)
        rows.append(r)
examples = [Example(r["id"], r["article"], split_bullets(r["reference"])) for r in rows]
summaries = [Summary(r["id"], split_bullets(r["summary"])) for r in rows]
spec = RunSpec.model_validate({{"name": "x", "summarizers": [{{"type": "lead"}}]}})
score_batch(examples, summaries, [], build_checks(spec))
assert ("nltk" in sys.modules) == ({side!r} == "nltk")
"""


def fresh(code: str) -> float:
    """Seconds from a new interpreter's start to the end of `code` (interpreter start-up
    included: it is the same on both sides)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)},
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(rounds: int, data) -> dict[str, dict[str, list[float]]]:
    times: dict[str, dict[str, list[float]]] = {"import": {}, "first scores": {}}
    for i in range(rounds):
        order = ("nltk", "native") if i % 2 == 0 else ("native", "nltk")
        for side in order:
            times["import"].setdefault(side, []).append(fresh(IMPORTS[side]))
            code = FIRST_SCORES.format(side=side, frank=str(data / "frank_valid.jsonl"))
            times["first scores"].setdefault(side, []).append(fresh(code))
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_argument(ap)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-write", action="store_true", help="print the section only")
    args = ap.parse_args()
    load = load_average()
    times = measure(args.rounds, data_dir(args.data))
    lines = ["| what (fresh process) | nltk: median [min, max] | native: median [min, max] "
             "| nltk - native, paired by round: median [min, max] |", "|---|---|---|---|"]
    for what, sides in times.items():
        diffs = [a - b for a, b in zip(sides["nltk"], sides["native"])]
        cells = [f"{statistics.median(v):.2f} s [{min(v):.2f}, {max(v):.2f}]"
                 for v in (sides["nltk"], sides["native"], diffs)]
        lines.append(f"| {what} | " + " | ".join(cells) + " |")
    lines = header("cold_start", load, [f"- rounds: {args.rounds}, sides alternated"]) + [
        ""] + lines + [""]
    print("\n".join(lines))
    if not args.no_write:
        append_section(OUT, "A fresh process's cost before its first scores", lines)


if __name__ == "__main__":
    main()
