"""Agreement of the number check with FRANK's human labels, and its speed.

Usage: .venv/bin/python -m benchmarks.numbers_frank [path/to/frank_valid.jsonl] [--summeval PATH]

A summary is "flagged" when the check finds at least one unsupported number. Human error
labels: CircE < 1 (wrong circumstance: time, place, number-like detail) and, more broadly,
CircE < 1 or OutE < 1 (information not in the article, which covers invented numbers).
Reports per dataset the flag rate on summaries with and without the error, among all
summaries and among those that contain a number, plus extraction and check() timings on the
CNN/DM rows. Also, when summeval_dev.jsonl is next to it, the flag rate on SummEval summaries
whose mean expert consistency is 5 versus below 5. The rules were tuned on these development
files only.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from summcheck.consistency import numbers
from summcheck.consistency.numbers import NumberCheck

from .data import DATA, load_jsonl

DEFAULT_DATA = DATA / "frank_valid.jsonl"
LABELS = {"CircE<1": lambda lab: lab["CircE"] < 1,
          "CircE<1 or OutE<1": lambda lab: lab["CircE"] < 1 or lab["OutE"] < 1}


def agreement(rows: list[dict], results: list) -> list[str]:
    lines = []
    for name, is_error in LABELS.items():
        for dataset in ("cnndm", "xsum"):
            pairs = [(is_error(r["labels"]), res) for r, res in zip(rows, results)
                     if r["dataset"] == dataset]
            for error in (True, False):
                group = [res for e, res in pairs if e == error]
                with_numbers = [res for res in group if res.scores["numbers_count"] > 0]
                flagged = sum(bool(res.findings) for res in group)
                lines.append(f"| {name} | {dataset} | {'error' if error else 'clean'} | "
                             f"{len(group)} | {len(with_numbers)} | {flagged} | "
                             f"{flagged / max(1, len(group)):.1%} | "
                             f"{flagged / max(1, len(with_numbers)):.1%} |")
    return lines


def summeval_agreement(path: Path) -> list[str]:
    rows = load_jsonl(path)
    check = NumberCheck()
    lines = []
    for name, keep in (("consistency = 5", lambda c: c >= 4.99), ("consistency < 5", lambda c: c < 4.99)):
        group = [check.check(source=r["article"], summary=[r["summary"]])
                 for r in rows if keep(r["expert"]["consistency"])]
        with_numbers = sum(res.scores["numbers_count"] > 0 for res in group)
        flagged = sum(bool(res.findings) for res in group)
        lines.append(f"| {name} | {len(group)} | {with_numbers} | {flagged} | "
                     f"{flagged / max(1, with_numbers):.1%} |")
    return lines


def timings(rows: list[dict]) -> list[str]:
    cnndm = [r for r in rows if r["dataset"] == "cnndm"]
    stories = list(dict.fromkeys(r["article"] for r in cnndm))
    check = NumberCheck()
    numbers.story_numbers.cache_clear()
    numbers.story_points.cache_clear()
    start = time.perf_counter()
    for r in cnndm:
        check.check(source=r["article"], summary=[r["summary"]])
    cold = time.perf_counter() - start
    start = time.perf_counter()
    for r in cnndm:
        check.check(source=r["article"], summary=[r["summary"]])
    warm = time.perf_counter() - start
    start = time.perf_counter()
    for story in stories:
        numbers.extract_numbers(story)
    extract = time.perf_counter() - start
    return [f"- CNN/DM rows: {len(cnndm)} summaries over {len(stories)} stories",
            f"- extraction + check, story cache cold at start: {cold / len(cnndm) * 1e3:.2f} ms/summary",
            f"- check with the story cached: {warm / len(cnndm) * 1e3:.2f} ms/summary",
            f"- story extraction alone: {extract / len(stories) * 1e3:.2f} ms/story"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--summeval", type=Path, default=None)
    args = parser.parse_args()
    rows = load_jsonl(args.data)
    check = NumberCheck()
    results = [check.check(source=r["article"], summary=[r["summary"]]) for r in rows]
    print(f"# Number check vs FRANK ({args.data.name}, {len(rows)} summaries)\n")
    print(f"signature: `{check.signature()}`\n")
    print("| label | dataset | group | summaries | with numbers | flagged | "
          "flagged / all | flagged / with numbers |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(agreement(rows, results)))
    summeval = args.summeval or args.data.with_name("summeval_dev.jsonl")
    if summeval.exists():
        print(f"\n## SummEval ({summeval.name})\n")
        print("| expert consistency | summaries | with numbers | flagged | flagged / with numbers |")
        print("|---|---|---|---|---|")
        print("\n".join(summeval_agreement(summeval)))
    print("\n## Speed\n")
    print("\n".join(timings(rows)))


if __name__ == "__main__":
    main()
