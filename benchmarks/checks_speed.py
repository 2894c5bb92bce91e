"""Throughput of the consistency checks (numbers + entities), scored the way `summcheck
run` scores: `scoring.Scorer` in steps of the runner's chunk size, no score cache.

Workloads (data from ../shared/data, never copied):
  frank-cnndm  FRANK valid CNN/DM rows (375 summaries of 75 stories), issue 3's target
  realsumm     REALSumm dev rows (1,250 summaries of 50 stories) repeated in whole blocks
               to --pairs (default 11,490, the CNN/DM test set size), issue 6's target;
               blocks never share a scoring step, so a step holds no duplicate summary
  frank-cnndm-cli  the same 375 FRANK CNN/DM summaries through `summcheck run`, timed
               from process start to the last report: a JSON dataset of the 75 stories
               (the first reference seen for each) and one precomputed summarizer per
               system, written to a temporary folder; numbers + entities, no metric; cold
               = empty cache, warm = the same command again (everything cached)

Each is timed cold (story NER included: a new check, no persisted story cache) and warm
(story NER cached, as when a second summarizer or a re-run meets the same stories).
Story NER is lazy (only stories where a summary entity is not supported by the story text
alone): "NER'd stories" counts the stories that needed it in the cold pass.
`--repeat N` measures each workload N times, each in a new Python process (as a run
would be: a second check in one process loads a second spaCy pipeline, and the bigger heap
slows it down), and reports the median and the range: this shared 2-core VM's speed
varies by about 30% from run to run. Prints a table and appends it to
benchmarks/results/checks_speed.md.

    .venv/bin/python -m benchmarks.checks_speed [--pairs 11490] [--with-rouge] [--repeat 5]
                                                [--no-write]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from summcheck.artifacts import write_jsonl
from summcheck.text import split_bullets
from summcheck.types import Example, Summary

from . import results_file
from .data import DATA, load_jsonl, require

RESULTS = results_file.RESULTS / "checks_speed.md"


def as_pair(row: dict, copy: int) -> tuple[Example, Summary]:
    ex_id = f"{row['id']}#{copy}"
    example = Example(id=ex_id, story=row["article"],
                      reference_bullets=split_bullets(row["reference"]))
    return example, Summary(example_id=ex_id, bullets=split_bullets(row["summary"]))


def workload(name: str, pairs: int) -> list[tuple[Example, Summary]]:
    if name == "frank-cnndm":
        rows = [r for r in load_jsonl(DATA / "frank_valid.jsonl") if r["dataset"] == "cnndm"]
        return [as_pair(r, 0) for r in rows]
    rows = load_jsonl(DATA / "realsumm_dev.jsonl")
    return [as_pair(rows[i % len(rows)], i // len(rows)) for i in range(pairs)]


def cli_config(folder: Path) -> tuple[Path, int, int]:
    """The frank-cnndm rows as a `summcheck run` config in `folder` (a temporary one);
    returns its path and how many summaries and stories it has."""
    rows = [r for r in load_jsonl(DATA / "frank_valid.jsonl") if r["dataset"] == "cnndm"]
    ids: dict[str, str] = {}
    stories, by_system = [], {}
    for row in rows:
        if row["article"] not in ids:
            ids[row["article"]] = f"story-{len(ids)}"
            stories.append({"id": ids[row["article"]], "article": row["article"],
                            "highlights": row["reference"]})
        by_system.setdefault(row["system"], []).append(
            {"id": ids[row["article"]], "summary": split_bullets(row["summary"])})
    write_jsonl(folder / "stories.jsonl", stories)
    summarizers = []
    for system, summaries in by_system.items():
        write_jsonl(folder / f"{system}.jsonl", summaries)
        summarizers.append({"type": "precomputed", "name": system, "path": f"{system}.jsonl"})
    config = {"name": "frank-cnndm", "summarizers": summarizers,
              "dataset": {"source": "hf", "path": "json", "data_files": "stories.jsonl",
                          "split": "train", "highlights_sep": None},
              "metrics": {"rouge": None},
              "checks": {"numbers": {"tolerance": 0.02}, "entities": {"model": "en_core_web_sm"}}}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder / "config.json", len(rows), len(stories)


def measure_cli(name: str) -> dict:
    """`summcheck run` on the frank-cnndm rows, cold (empty cache) and warm (run again)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        config, pairs, stories = cli_config(Path(tmp))
        command = [str(Path(sys.executable).with_name("summcheck")), "run", str(config),
                   "--no-progress", "--out", str(Path(tmp) / "runs"),
                   "--cache-dir", str(Path(tmp) / "cache")]
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            subprocess.run(command, capture_output=True, text=True, check=True, cwd=tmp)
            timings.append(time.perf_counter() - started)
    return {"workload": name, "pairs": pairs, "stories": stories, "ner_stories": "-",
            "cold_s": timings[0], "cold_per_s": pairs / timings[0], "warm_s": timings[1],
            "warm_per_s": pairs / timings[1],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def time_scoring(scorer, pairs: list) -> float:
    from summcheck import runner

    started = time.perf_counter()
    step = runner._SCORE_CHUNK
    for start in range(0, len(pairs), step):
        scorer.score(pairs[start:start + step])
    return time.perf_counter() - started


def measure(name: str, pairs: list, with_rouge: bool) -> dict:
    from summcheck.consistency.entities import EntityCheck
    from summcheck.consistency.numbers import NumberCheck
    from summcheck.scoring import Scorer

    metrics = []
    if with_rouge:
        from summcheck.metrics.rouge import RougeMetric
        metrics = [RougeMetric(("rouge1", "rouge2", "rougeLsum"))]
    entities = EntityCheck()
    entities.nlp   # model load is not part of the throughput
    scorer = Scorer(metrics, [NumberCheck(), entities])
    stories = len({e.story for e, _ in pairs})
    cold = time_scoring(scorer, pairs)
    ner_stories = len(entities.story_store)     # all of them: fewer than its LRU holds
    warm = time_scoring(Scorer(metrics, [NumberCheck(), entities]), pairs)
    return {"workload": name, "pairs": len(pairs), "stories": stories,
            "ner_stories": ner_stories, "cold_s": cold,
            "cold_per_s": len(pairs) / cold, "warm_s": warm, "warm_per_s": len(pairs) / warm,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measured(name: str, args: argparse.Namespace) -> dict:
    """`measure` in a new Python process."""
    command = [sys.executable, "-m", "benchmarks.checks_speed", "--one", "--workloads", name,
               "--pairs", str(args.pairs)]
    command += ["--with-rouge"] if args.with_rouge else []
    done = subprocess.run(command, capture_output=True, text=True, check=True,
                          cwd=results_file.ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(runs: list[dict]) -> dict:
    """The median run's figures (by cold time), with the range of cold and warm times."""
    ordered = sorted(runs, key=lambda r: r["cold_s"])
    row = dict(ordered[len(ordered) // 2])
    row["cold_range"] = (ordered[0]["cold_s"], ordered[-1]["cold_s"])
    warm = sorted(r["warm_s"] for r in runs)
    row["warm_s"] = warm[len(warm) // 2]
    row["warm_per_s"] = row["pairs"] / row["warm_s"]
    row["warm_range"] = (warm[0], warm[-1])
    row["runs"] = len(runs)
    return row


def table(rows: list[dict]) -> list[str]:
    out = ["| workload | pairs | stories | NER'd stories | runs | cold s (range) | "
           "cold pairs/s (range) | warm s (range) | warm pairs/s | peak RSS MB |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lo, hi = r["cold_range"]
        wlo, whi = r["warm_range"]
        out.append(f"| {r['workload']} | {r['pairs']} | {r['stories']} | {r['ner_stories']} | "
                   f"{r['runs']} | {r['cold_s']:.1f} ({lo:.1f}-{hi:.1f}) | "
                   f"{r['cold_per_s']:.0f} ({r['pairs'] / hi:.0f}-{r['pairs'] / lo:.0f}) | "
                   f"{r['warm_s']:.1f} ({wlo:.1f}-{whi:.1f}) | {r['warm_per_s']:.0f} | "
                   f"{r['peak_rss_mb']:.0f} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=11_490)
    parser.add_argument("--with-rouge", action="store_true",
                        help="score ROUGE-1/2/Lsum too (not in the -cli workload)")
    parser.add_argument("--workloads", default="frank-cnndm,realsumm")
    parser.add_argument("--repeat", type=int, default=1, help="measurements per workload")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # see measured
    args = parser.parse_args()
    if args.one:
        name = args.workloads
        print(json.dumps(measure_cli(name) if name.endswith("-cli")
                         else measure(name, workload(name, args.pairs), args.with_rouge)))
        return
    require(DATA)
    load_start = results_file.load_average()
    rows = []
    for name in args.workloads.split(","):
        rows.append(summarise([measured(name, args) for _ in range(max(1, args.repeat))]))
    what = "numbers + entities" + (" + ROUGE-1/2/Lsum" if args.with_rouge else "")
    lines = [*results_file.header("checks_speed", load_start, [f"- scored: {what}"]),
             *table(rows), ""]
    print("\n".join(lines))
    if not args.no_write:
        results_file.append_section(RESULTS, "Consistency-check throughput", lines)


if __name__ == "__main__":
    main()
