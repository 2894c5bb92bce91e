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


def main() -> None:
    import pysbd

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_argument(ap)
    ap.add_argument("--rounds", type=int, default=5)
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
              f"({', '.join(REPLACED)}), FRANK stories: {share:.0%}", ""]
    lines = header("sentence_split", load, [f"- pysbd {pysbd.__version__}, rounds: "
                                            f"{args.rounds}, sides alternated"]) + lines
    print("\n".join(lines))
    if not args.no_write:
        append_section(OUT, "Sentence splitting: pysbd against summcheck.pysbd_fast", lines)


if __name__ == "__main__":
    main()
