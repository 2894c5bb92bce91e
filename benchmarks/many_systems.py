"""Many systems in one config (issue 17.3): 20 precomputed systems over the same examples,
and whether story-level work is done once per story or once per system.

Data: the cased CNN/DM stories of ../shared/data (as benchmarks/scaling.py builds them:
125 distinct stories with their references, each copy made distinct by a closing
sentence), one row per example. System k (k = 0..19) summarises each story by its
sentences k+1..k+3 (a lead-3 shifted by k; the story's first three when it is shorter),
each sentence without one word (which word depends on k: not a verbatim copy, so the
support check aligns story chunks as it does for an abstractive system), so every
system's summaries differ.

Two parts, both with a fresh cache and run folder:
  scale   `summcheck run` over --rows examples (default 11,490) with 1 system and with 20
          systems (ROUGE-1/2/L/Lsum and the numbers check; entities and support off to keep
          the run within a session on 2 shared cores; default reports): wall time, CPU
          time (user+sys), peak RSS and peak anonymous memory (as scaling.py measures them)
  counts  the same runs in this process on --count-rows examples with the default checks
          (numbers, entities, support): how many times each story-side step ran with 1
          and with 20 systems, read from the caches and stores that hold those steps
          (numbers: story number extraction; support: story sentence index, chunking,
          and chunks encoded against distinct chunks; entities: story look-up tables and
          stories sent to spaCy NER), and the CPU time (after a 2-example warm-up run
          that loads the models)

    .venv/bin/python -m benchmarks.many_systems [--rows 11490] [--count-rows 60]
                                                [--systems 20] [--no-write]

Appends a dated section to benchmarks/results/many_systems.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import results_file
from .caches import clear_text_caches
from .data import DATA
from .results_file import append_section, commit_id
from .scaling import _SENTENCE_END, _load, stories, timed_run

RESULTS = results_file.RESULTS / "many_systems.md"


def write_data(folder: Path, rows: int, systems: int) -> None:
    """data.jsonl and one summaries file per system (system-<k>.jsonl) in `folder`."""
    pool = stories()
    outs = [(folder / f"system-{k}.jsonl").open("w", encoding="utf-8")
            for k in range(systems)]
    with (folder / "data.jsonl").open("w", encoding="utf-8") as data:
        for i in range(rows):
            story, reference = pool[i % len(pool)]
            row = {"id": f"ex-{i}", "highlights": reference,
                   "story": f"{story}\nThis is copy {i // len(pool) + 1} of the story."}
            data.write(json.dumps(row, ensure_ascii=False) + "\n")
            sentences = _SENTENCE_END.split(story)
            for k, out in enumerate(outs):
                picked = [_edit(s, k) for s in sentences[k:k + 3] or sentences[:3]]
                out.write(json.dumps({"id": row["id"], "summary": picked}) + "\n")
    for out in outs:
        out.close()


def _edit(sentence: str, k: int) -> str:
    """The sentence without its word number k % 3 + 2: not a verbatim copy of the story,
    so the support check aligns and encodes story chunks as for an abstractive system."""
    words = sentence.split()
    drop = k % 3 + 1
    return " ".join(words[:drop] + words[drop + 1:]) if len(words) > 4 else sentence


def config(folder: Path, systems: int, checks: str, name: str) -> Path:
    lines = [f"name: {name}",
             f"dataset: {{source: hf, path: {folder / 'data.jsonl'}, split: test,",
             "          fields: {id: id, story: story, highlights: highlights}}",
             "summarizers:"]
    lines += [f"  - {{type: precomputed, name: system-{k}, path: "
              f"{folder / f'system-{k}.jsonl'}}}" for k in range(systems)]
    lines.append(checks)
    path = folder / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


SCALE_CHECKS = "checks: {numbers: {}, entities: null, support: null}"
COUNT_CHECKS = "report: {enabled: false}"   # the default checks: numbers, entities, support


def scale(rows: int, systems: int) -> list[dict]:
    out = []
    with tempfile.TemporaryDirectory(prefix="summcheck-many-") as tmp:
        folder = Path(tmp)
        write_data(folder, rows, systems)
        for n in (1, systems):
            cfg = config(folder, n, SCALE_CHECKS, f"many-{n}")
            wall, cpu, rss, anon = timed_run(cfg, folder / f"work-{n}")
            out.append({"systems": n, "pairs": n * rows, "wall": wall, "cpu": cpu,
                        "rss": rss, "anon": anon})
            print(out[-1], flush=True)
            shutil.rmtree(folder / f"work-{n}", ignore_errors=True)
    return out


def story_counters() -> dict:
    """Each story-side step's count so far (cache misses: the step really ran)."""
    from summcheck.consistency import aligned, numbers, support

    return {"numbers: story number extraction": numbers.story_points.cache_info().misses,
            "support: story sentence index": support.story_index.cache_info().misses,
            "support: story chunking": aligned.story_chunks.cache_info().misses,
            "support: story chunks encoded": _COUNTS["support: story chunks encoded"],
            "support: distinct story chunks": len(_CHUNK_KEYS),
            "entities: story look-up tables": _COUNTS["entities: story look-up tables"],
            "entities: stories sent to NER": _COUNTS["entities: stories sent to NER"]}


_COUNTS = {"entities: story look-up tables": 0, "entities: stories sent to NER": 0,
           "support: story chunks encoded": 0}
_CHUNK_KEYS: set = set()


def _count_chunk_encodings() -> None:
    """Count the story chunks the aligned support check encodes (`_remember_chunk` gets
    each new vector) and how many distinct (story, chunk) there are among them."""
    from summcheck.consistency.aligned import ChunkAligner

    remember = ChunkAligner._remember_chunk

    def counted(self, story, index, vec):
        _COUNTS["support: story chunks encoded"] += 1
        _CHUNK_KEYS.add((story, index))
        return remember(self, story, index, vec)

    ChunkAligner._remember_chunk = counted


def _count_entity_story_work() -> None:
    """Count the stories EntityCheck prepares (its `_Story` look-up tables) and the ones
    it sends to spaCy (`_recognise_stories`: the story-entity store had none)."""
    from summcheck.consistency import entities

    init, recognise = entities._Story.__init__, entities.EntityCheck._recognise_stories

    def story_init(self, *args, **kwargs):
        _COUNTS["entities: story look-up tables"] += 1
        init(self, *args, **kwargs)

    def recognise_stories(self, sources):
        _COUNTS["entities: stories sent to NER"] += len(sources)
        return recognise(self, sources)

    entities._Story.__init__ = story_init
    entities.EntityCheck._recognise_stories = recognise_stories


def _clear_story_caches() -> None:
    clear_text_caches()
    for key in _COUNTS:
        _COUNTS[key] = 0
    _CHUNK_KEYS.clear()


def counts(rows: int, systems: int) -> list[dict]:
    from summcheck.config import load_config
    from summcheck.runner import run

    _count_entity_story_work()
    _count_chunk_encodings()
    out = []
    with tempfile.TemporaryDirectory(prefix="summcheck-many-counts-") as tmp:
        folder = Path(tmp)
        write_data(folder, rows, systems)
        # models (spaCy, the encoder) load once per process: a warm-up run pays for them
        run(load_config(config(folder, 1, COUNT_CHECKS, "warm-up"), limit=2),
            out_dir=folder / "runs-warm-up", cache_dir=folder / "cache-warm-up",
            show_progress=False)
        for n in (1, systems):
            _clear_story_caches()
            spec = load_config(config(folder, n, COUNT_CHECKS, f"count-{n}"))
            started = time.process_time()
            run(spec, out_dir=folder / f"runs-{n}", cache_dir=folder / f"cache-{n}",
                show_progress=False)
            cpu = time.process_time() - started
            out.append({"systems": n, "pairs": n * rows, "cpu": cpu, **story_counters()})
            print(out[-1], flush=True)
    return out


def report(args, header: str, scaled: list[dict], counted: list[dict]) -> list[str]:
    lines = [f"## {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, commit {commit_id()}",
             "", f"- machine: {header}; load average at end {_load()}",
             f"- command: `{results_file.command('many_systems')}`", ""]
    if scaled:
        one = scaled[0]
        lines += [f"Scale: {args.rows} examples, ROUGE-1/2/L/Lsum + numbers check, default "
                  "reports, `summcheck run` (fresh cache)", "",
                  "| systems | pairs | wall s | CPU s (user+sys) | CPU ms per pair | "
                  "CPU s per system | peak RSS MB | peak anonymous MB |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in scaled:
            lines.append(f"| {r['systems']} | {r['pairs']} | {r['wall']:.1f} | {r['cpu']:.1f} "
                         f"| {1000 * r['cpu'] / r['pairs']:.2f} | "
                         f"{r['cpu'] / r['systems']:.1f} | {r['rss']:.0f} | {r['anon']:.0f} |")
        if len(scaled) > 1:
            many = scaled[-1]
            extra = (many["cpu"] - one["cpu"]) / (many["systems"] - 1)
            lines += ["", f"Each system after the first costs {extra:.1f} s CPU "
                      f"({100 * extra / one['cpu']:.0f}% of the 1-system run)."]
        lines.append("")
    if counted:
        names = [k for k in counted[0] if ":" in k]
        lines += [f"Counts: {args.count_rows} examples (distinct stories), default checks "
                  "(numbers, entities, support), in-process runs (fresh caches)", "",
                  "| systems | pairs | CPU s | " + " | ".join(names) + " |",
                  "|---:|---:|---:|" + "---:|" * len(names)]
        for r in counted:
            lines.append(f"| {r['systems']} | {r['pairs']} | {r['cpu']:.1f} | "
                         + " | ".join(str(r[k]) for k in names) + " |")
        lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=11_490)
    parser.add_argument("--count-rows", type=int, default=60)
    parser.add_argument("--systems", type=int, default=20)
    parser.add_argument("--skip", choices=("scale", "counts"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: the benchmark needs the shared evaluation data")
    header = f"{results_file.machine()}; load average at start {results_file.load_average()}"
    counted = [] if args.skip == "counts" else counts(args.count_rows, args.systems)
    scaled = [] if args.skip == "scale" else scale(args.rows, args.systems)
    lines = report(args, header, scaled, counted)
    print("\n".join(lines))
    if not args.no_write:
        append_section(RESULTS, "Many systems in one config", lines)


if __name__ == "__main__":
    main()
