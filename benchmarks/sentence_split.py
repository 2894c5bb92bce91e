"""Sentence splitting of news stories: pysbd as released against summcheck.pysbd_fast.

Usage (from the repository root; appends a dated section to
benchmarks/results/sentence_split.md):

    .venv/bin/python -m benchmarks.sentence_split [--data DIR] [--rounds 5] [--no-write]

Workloads: the 75 FRANK CNN/DM validation stories (about 600 words each) and the 50
SummEval dev articles, each story segmented whole, as summcheck.text splits a one-line
story. Each round times both segmenters over the set, alternating which goes first;
medians and the ratio of the medians. Both give the same sentences for every story (the
script stops otherwise); tests/test_pysbd_fast.py checks more text.
A profile of one pass over the FRANK stories (cProfile) gives the share of pysbd's time
in the two steps summcheck.pysbd_fast replaces.

With `--end-to-end`: the default checks' summaries/s on the FRANK CNN/DM rows, as
default_consistency.py times them (375 summaries of 75 stories; 75 of one story each),
with summcheck's per-text caches emptied before each repeat: with pysbd as released and
the support check's story indexes built in this process only; with summcheck.pysbd_fast;
with pysbd_fast and the indexes built on every core (consistency.story_pool, as shipped);
and as shipped with the caches left warm from the previous repeat (how
default_consistency.py timed before commit 8f602ea). Variants alternate within each
round; medians over the rounds.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import time
from pathlib import Path

from summcheck.pysbd_fast import english_segmenter

from .data import add_data_argument, data_dir
from .results_file import RESULTS, append_section, header, load_average

OUT = RESULTS / "sentence_split.md"
REPLACED = ("search_for_abbreviations_in_string", "sentences_with_char_spans")


def stories(data: Path) -> dict[str, list[str]]:
    frank, seen = [], set()
    for line in (data / "frank_valid.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        article = row["id"].split("-")[2]
        if row["dataset"] == "cnndm" and article not in seen:
            seen.add(article)
            frank.append(row["article"])
    summeval = {json.loads(line)["doc_id"]: json.loads(line)["article"]
                for line in (data / "summeval_dev.jsonl").open(encoding="utf-8")}
    return {"FRANK CNN/DM stories": frank, "SummEval articles": list(summeval.values())}


def replaced_share(segmenter, texts: list[str]) -> float:
    """Share of a pass's profiled time spent in the two replaced pysbd methods."""
    profile = cProfile.Profile()
    profile.runcall(lambda: [segmenter.segment(t) for t in texts])
    stats = pstats.Stats(profile).stats
    inside = sum(cum for (_, _, name), (_, _, _, cum, _) in stats.items() if name in REPLACED)
    return inside / pstats.Stats(profile).total_tt


def end_to_end(data: Path, rounds: int, segmenters: dict) -> list[str]:
    from summcheck import text
    from summcheck.consistency.ner_pool import default_processes

    from . import agreement_cv as A
    from . import default_consistency as D
    from .caches import clear_text_caches

    rows = [r for r in A.load_rows(data) if r.set == "frank-cnndm"]
    seen: set[str] = set()
    workloads = {"stories shared": rows,
                 "every story new": [r for r in rows if not (r.group in seen or seen.add(r.group))]}
    processes = default_processes()
    variants = (("pysbd, one core for indexes, cold", "pysbd", True, 1),
                ("pysbd_fast, one core, cold", "fast", True, 1),
                ("pysbd_fast, every core (shipped), cold", "fast", True, processes),
                ("shipped, warm caches", "fast", False, processes))
    rates: dict[tuple[str, str], list[float]] = {}
    D.score_rows(rows[:20], D.checks_for(None))          # models and imports loaded
    for i in range(rounds):
        for workload, chosen in workloads.items():
            for label, side, cold, cores in (variants if i % 2 == 0 else variants[::-1]):
                text._segmenter = lambda side=side: segmenters[side]
                checks = D.checks_for(None)
                checks[1].nlp, checks[2].signature()
                checks[2]._story_pool.processes = cores
                if cold:
                    clear_text_caches()
                start = time.perf_counter()
                D.score_rows(chosen, checks)
                rates.setdefault((workload, label), []).append(
                    len(chosen) / (time.perf_counter() - start))
    lines = ["", "Default checks, summaries/s (median [min, max] of the rounds):", "",
             "| workload | " + " | ".join(v[0] for v in variants) + " |",
             "|---|" + "---|" * len(variants)]
    for workload, chosen in workloads.items():
        cells = [rates[workload, v[0]] for v in variants]
        lines.append(f"| {workload} ({len(chosen)} summaries) | " + " | ".join(
            f"{statistics.median(c):.0f} [{min(c):.0f}, {max(c):.0f}]" for c in cells) + " |")
    return lines


def main() -> None:
    import pysbd

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_argument(ap)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--end-to-end", action="store_true",
                    help="also time the default checks with each segmenter")
    ap.add_argument("--no-write", action="store_true", help="print the section only")
    args = ap.parse_args()
    load = load_average()
    segmenters = {"pysbd": pysbd.Segmenter(language="en", clean=False),
                  "fast": english_segmenter()}
    lines = ["| stories | n | words/story | pysbd: median s (ms/story) | pysbd_fast: median s "
             "(ms/story) | ratio |", "|---|---|---|---|---|---|"]
    sets = stories(data_dir(args.data))
    for name, texts in sets.items():
        if any(segmenters["fast"].segment(t) != segmenters["pysbd"].segment(t) for t in texts):
            raise SystemExit(f"{name}: the segmenters disagree; see tests/test_pysbd_fast.py")
        times: dict[str, list[float]] = {"pysbd": [], "fast": []}
        for i in range(args.rounds):
            for side in (("pysbd", "fast") if i % 2 == 0 else ("fast", "pysbd")):
                start = time.perf_counter()
                for text in texts:
                    segmenters[side].segment(text)
                times[side].append(time.perf_counter() - start)
        old, new = (statistics.median(times[s]) for s in ("pysbd", "fast"))
        words = sum(len(t.split()) for t in texts) / len(texts)
        lines.append(f"| {name} | {len(texts)} | {words:.0f} | {old:.2f} "
                     f"({1000 * old / len(texts):.1f}) | {new:.2f} "
                     f"({1000 * new / len(texts):.1f}) | {old / new:.1f}x |")
    share = replaced_share(segmenters["pysbd"], sets["FRANK CNN/DM stories"])
    lines += ["", f"Share of pysbd's profiled time in the two replaced methods "
              f"({', '.join(REPLACED)}), FRANK stories: {share:.0%}"]
    if args.end_to_end:
        lines += end_to_end(data_dir(args.data), args.rounds, segmenters)
    lines.append("")
    lines = header("sentence_split", load, [f"- pysbd {pysbd.__version__}, rounds: "
                                            f"{args.rounds}, sides alternated"]) + lines
    print("\n".join(lines))
    if not args.no_write:
        append_section(OUT, "Sentence splitting: pysbd against summcheck.pysbd_fast", lines)


if __name__ == "__main__":
    main()
