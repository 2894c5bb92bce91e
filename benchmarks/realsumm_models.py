"""Local models on real news: lead-3, textrank, oracle, embedding and gemma-270m on the 50
CNN/DM test articles of REALSumm, with all metrics and checks (configs/realsumm-bench.yaml).

    .venv/bin/python -m benchmarks.realsumm_models [--data ../shared/data/realsumm_dev.jsonl]
    .venv/bin/python -m benchmarks.realsumm_models --prepare   # only write the article file

1. Prepare: one row per article (realsumm_dev.jsonl has one per article x system), the
   tokenized article one sentence per line and lightly detokenized, its reference split on
   the <t> tags into highlights; written outside the project, to the path the config names
   (/tmp/summcheck-realsumm/realsumm_docs.jsonl).
2. Measure: each summarizer generates for all articles in its own fresh process (a new
   generation cache, so nothing is reused), which records the wall time (model load
   included), the mean seconds per story (generation only) and the process's peak
   resident memory (ru_maxrss); a process that only imports summcheck gives the floor.
3. Run: `summcheck run` on the config with that cache (no regeneration): scores with
   bootstrap intervals, consistency checks.
Writes benchmarks/results/realsumm_models.md.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from . import results_file
from .data import add_data_argument

REPO = results_file.ROOT
CONFIG = REPO / "configs/realsumm-bench.yaml"
RESULTS = results_file.RESULTS / "realsumm_models.md"
PUBLISHED_LEAD3 = "ROUGE-1/2/L 40.3 / 17.7 / 36.6 (See et al., 2017, CNN/DM test, 11,490 articles)"
NOTES = [
    "- Sentence splitting matters on this data: left as one paragraph, pysbd keeps "
    "quote-spanning runs of these tokenized articles together (sentences of 38 words on "
    "average, up to 964) and lead-3 scored ROUGE-1/2/Lsum 36.2 / 16.0 / 31.7 in a first run; "
    "one sentence per line brings it to the published Lead-3 figures.",
    "- gemma-270m is a 270M-parameter base model with no instruction tuning: it often "
    "repeats a bullet or goes on with text that is not in the story, which the consistency "
    "column and the unsupported numbers and entities show; `truncated` counts stories cut "
    "to max_input_tokens (1024, prompt and 96 new tokens included).",
    "- Times and memory are from one run on a 2-core machine that other jobs shared, so "
    "seconds per story vary by 2x or more between runs (gemma-270m writes a ~360-token "
    "bundled sample story in about 8 s when the machine is idle). Gemma's peak memory "
    "includes the float32 model (~1 GB on disk, converted once beforehand); the one-time "
    "GGUF conversion itself peaks at about 3.3 GB.",
]
METRICS = ("rouge1_f", "rouge2_f", "rougeLsum_f", "coverage_mean", "coverage_share",
           "consistency")


# ---------------------------------------------------------------- 1. prepare
def highlights(reference: str) -> list[str]:
    return [detokenize(" ".join(h.split())) for h in re.findall(r"<t>(.*?)</t>", reference)
            if h.strip()]


def story_lines(article: str) -> str:
    """The tokenized article ("he said . ' We ...") one sentence per line: split after each
    standalone . ! ? token. Left as one paragraph, pysbd keeps quote-spanning runs of many
    sentences together (mean 38 words, up to 964), and lead-3 loses 5 ROUGE-1 points."""
    sentences = re.split(r"(?<= [.!?]) (?=\S)", article)
    return "\n".join(detokenize(s.strip()) for s in sentences if s.strip())


def detokenize(text: str) -> str:
    """Undo the tokenizer's spaces before punctuation and clitics ("team 's ." -> "team's.")."""
    text = re.sub(r" ([.,!?;:%])(?=\s|$)", r"\1", text)
    return re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", text)


def prepare(data: Path, out: Path) -> int:
    docs: dict[str, dict] = {}
    with data.open(encoding="utf-8") as fh:
        for line in filter(str.strip, fh):
            row = json.loads(line)
            doc = {"id": f"realsumm-{row['doc_id']}", "story": story_lines(row["article"]),
                   "highlights": highlights(row["reference"])}
            if docs.setdefault(doc["id"], doc) != doc:
                raise ValueError(f"{doc['id']}: rows disagree on the article or reference")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(d) + "\n" for d in docs.values()), encoding="utf-8")
    return len(docs)


# ---------------------------------------------------------------- 2. measure (one process each)
def generate_one(label: str, cache_dir: Path) -> dict:
    """Runs in a child process: generate `label`'s summaries into the cache; timings, memory."""
    from summcheck.config import load_config
    from summcheck.data import load_examples
    from summcheck.summarizers.base import build_summarizer
    from summcheck.summarizers.cache import GenerationCache, summarize_with_cache

    spec = load_config(CONFIG)
    examples = load_examples(spec.dataset, limit=spec.limit)
    if label == "(import only)":
        return {"peak_rss_mb": _peak_mb()}
    (s_spec,) = [s for s in spec.summarizers if s.label == label]
    start = time.perf_counter()
    summarizer = build_summarizer(s_spec, max_bullets=spec.bullets.max_bullets)
    cache = GenerationCache(cache_dir)
    try:
        summaries, generated = summarize_with_cache(
            summarizer, examples, cache, batch_size=getattr(s_spec, "batch_size", 32))
    finally:
        cache.close()
    return {"wall_seconds": time.perf_counter() - start, "generated": generated,
            "seconds_per_story": sum(s.seconds for s in summaries) / len(summaries),
            "failed": sum(1 for s in summaries if s.error), "peak_rss_mb": _peak_mb()}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(labels: list[str], cache_dir: Path) -> dict[str, dict]:
    out = {}
    for label in ["(import only)", *labels]:
        print(f"generating: {label}", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.realsumm_models", "--child", label,
             "--cache-dir", str(cache_dir)],
            check=True, capture_output=True, text=True, cwd=REPO)
        out[label] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# ---------------------------------------------------------------- 3. run and write
def run_all(cache_dir: Path, out_dir: Path) -> dict:
    from summcheck.config import load_config
    from summcheck.runner import run

    return run(load_config(CONFIG), out_dir=out_dir, cache_dir=cache_dir,
               show_progress=False, config_path=str(CONFIG)).results


def _cell(metric: dict | None, scale: float) -> str:
    if not metric:
        return "-"
    return (f"{metric['mean'] * scale:.1f} [{metric['low'] * scale:.1f}, "
            f"{metric['high'] * scale:.1f}]")


def write(path: Path, args, n_docs: int, measured: dict, results: dict, seconds: float) -> None:
    lines = [
        "# Local models on REALSumm's CNN/DM test articles", "",
        "Written by `python -m benchmarks.realsumm_models` (config "
        "`configs/realsumm-bench.yaml`); rerun it to refresh the figures.", "",
        f"- date: {results_file.now()}, commit {results_file.commit_id()}; total "
        f"{seconds / 60:.1f} min; command: `{results_file.command('realsumm_models')}`",
        f"- machine: {results_file.machine()}, shared with other work, so times vary; load "
        f"average (1/5/15 min) at the end: {results_file.load_average()}; torch "
        f"{version('torch')}, transformers {version('transformers')}",
        f"- data: `{args.data}` -> {n_docs} distinct articles, one sentence per line (split "
        "after standalone `.`/`!`/`?` tokens), spaces before punctuation and clitics removed; "
        "reference split on `<t>` into highlights (lowercased, as REALSumm ships it)",
        f"- run: `{results['run_name']}`; bullets capped at 4; ROUGE with Porter stemming, "
        "ROUGE-L is rougeLsum (summary-level, over bullets); coverage threshold 0.6",
        f"- context: published Lead-3 on the full CNN/DM test set: {PUBLISHED_LEAD3}; "
        "50 articles give wide intervals", "",
        "Scores x100, mean [95% bootstrap interval] over the 50 articles. consistency = numbers "
        "precision x entities precision against the story (scoring.overall_consistency).", "",
        "| model | ROUGE-1 F | ROUGE-2 F | ROUGE-Lsum F | coverage mean | coverage share "
        "| consistency | unsupported (numbers / entities) | bullets/story | truncated |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model in results["summarizers"]:
        m, n = model["metrics"], model["n_examples"]
        uns = model["unsupported"]
        lines.append(
            f"| {model['label']} | " + " | ".join(_cell(m.get(k), 100) for k in METRICS)
            + f" | {uns.get('numbers', '-')} / {uns.get('entities', '-')}"
            f" | {model['n_bullets'] / n:.1f} | {model['n_truncated']} |")
    floor = measured["(import only)"]["peak_rss_mb"]
    lines += ["", "## Speed and memory (each model in its own fresh process)", "",
              f"Peak memory is the process's ru_maxrss; a process that only imports summcheck "
              f"and loads the articles peaks at {floor:.0f} MB.", "",
              "| model | seconds/story (generation) | wall seconds, 50 stories (incl. load) "
              "| peak memory MB | failed |", "|---|---|---|---|---|"]
    for label, m in measured.items():
        if label != "(import only)":
            lines.append(f"| {label} | {m['seconds_per_story']:.3f} | {m['wall_seconds']:.1f} "
                         f"| {m['peak_rss_mb']:.0f} | {m['failed']} |")
    lines += ["", "## Notes", "", *NOTES]
    lines += ["", "## Signatures", ""] + [f"- {k}: `{v}`" for k, v in results["signatures"].items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_argument(parser, "realsumm_dev.jsonl")
    parser.add_argument("--prepare", action="store_true", help="only write the article file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(generate_one(args.child, args.cache_dir)))
        return
    from summcheck.config import load_config

    started = time.perf_counter()
    n_docs = prepare(args.data, Path(load_config(CONFIG).dataset.path))
    if args.prepare:
        print(f"{n_docs} articles -> {load_config(CONFIG).dataset.path}")
        return
    with tempfile.TemporaryDirectory(prefix="realsumm-bench-") as tmp:
        cache_dir = Path(tmp) / "cache"
        labels = [s.label for s in load_config(CONFIG).summarizers]
        measured = measure(labels, cache_dir)
        results = run_all(cache_dir, Path(tmp) / "runs")
    write(RESULTS, args, n_docs, measured, results, time.perf_counter() - started)
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
