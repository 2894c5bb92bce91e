"""Throughput on the FRANK CNN/DM rows: the checks as `summcheck run` calls them (story
NER lazy inside the checks, or loaded from the on-disk cache), lexical source support,
ROUGE and the support check, each with fresh objects and empty in-memory caches.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from summcheck.consistency import numbers as numbers_module
from summcheck.consistency import support as support_module
from summcheck.consistency.support import SupportCheck
from summcheck.metrics.rouge import RougeMetric
from summcheck.scoring import build_checks
from summcheck.types import Example

from .lexical import source_support, story_vocabulary
from .records import as_example, by_system, default_spec, score_like_run


def _timed_checks(rows, pairs, stories, *, with_reference: bool, load_from: Path | None = None,
                  save_to: Path | None = None) -> dict[str, float]:
    """One pass with fresh checks: loading what `load_from` has ("ner"; story NER itself
    is lazy, inside the checks), then every system's summaries checked as summcheck run
    checks them; model loading and saving the NER cache to `save_to` are not counted."""
    numbers_module.story_numbers.cache_clear()
    numbers_module.story_points.cache_clear()
    checks = build_checks(default_spec())
    entity_check = next(c for c in checks if c.name == "entities")
    start = time.perf_counter()
    entity_check.nlp
    load = time.perf_counter() - start
    start = time.perf_counter()
    if load_from is not None:
        entity_check.load_cache(load_from)
    ner = time.perf_counter() - start
    if save_to is not None:
        entity_check.save_cache(save_to)
    if not with_reference:
        pairs = [(Example(e.id, e.story), s) for e, s in pairs]
    batches = [[pairs[i] for i in index] for index in by_system(rows).values()]
    start = time.perf_counter()
    for batch in batches:
        score_like_run(batch, [], checks)
    return {"load": load, "ner": ner, "checks": time.perf_counter() - start}


def _timed_support(rows: list[dict], pairs, method: str) -> float:
    """A fresh support check (empty story and vector memos; the model already loaded) over
    every system's summaries, one batch per system, as summcheck run calls it."""
    support_module.story_index.cache_clear()
    check = SupportCheck(method=method)
    items = [(e.story, list(s.bullets), list(e.reference_bullets)) for e, s in pairs]
    start = time.perf_counter()
    for index in by_system(rows).values():
        check.check_many([items[i] for i in index])
    return time.perf_counter() - start


def throughput(rows: list[dict], repeats: int, with_embedding: bool
               ) -> tuple[list[str], dict]:
    """Story NER once per story (batched), then every summary's checks as summcheck run
    calls them; fresh checks (empty caches) on each repetition; medians reported. The
    support check likewise (lexical: `repeats` runs; embedding: one run, it is slow)."""
    rows = [r for r in rows if r["dataset"] == "cnndm"]
    pairs = [as_example(r) for r in rows]
    stories = list(dict.fromkeys(r["article"] for r in rows))
    runs: dict[str, list[dict]] = {"run": [], "noref": [], "warm": []}
    other: dict[str, list[float]] = {"lexical": [], "rouge": [], "support_lexical": []}
    with tempfile.TemporaryDirectory() as cache:
        for i in range(repeats):
            runs["run"].append(_timed_checks(rows, pairs, stories, with_reference=True,
                                             save_to=Path(cache) if i == 0 else None))
            runs["noref"].append(_timed_checks(rows, pairs, stories, with_reference=False))
            runs["warm"].append(_timed_checks(rows, pairs, stories, with_reference=True,
                                              load_from=Path(cache)))
            story_vocabulary.cache_clear()
            start = time.perf_counter()
            for example, summary in pairs:
                source_support(example.story, summary.bullets)
            other["lexical"].append(time.perf_counter() - start)
            rouge = RougeMetric(("rouge1", "rouge2"), use_stemmer=True)
            start = time.perf_counter()
            for example, summary in pairs:
                rouge.score(prediction=summary.bullets, references=[example.reference_bullets])
            other["rouge"].append(time.perf_counter() - start)
            other["support_lexical"].append(_timed_support(rows, pairs, "lexical"))
    if with_embedding:
        from summcheck.embeddings import get_encoder

        get_encoder(memo="support").encode(["load the model"])     # not counted
        other["support_embedding"] = [_timed_support(rows, pairs, "embedding")]
    med = {f"{k}_{part}": statistics.median(r[part] for r in v)
           for k, v in runs.items() for part in ("load", "ner", "checks")}
    med.update({k: statistics.median(v) for k, v in other.items()})
    n, s = len(pairs), len(stories)

    plural = {"story": "stories", "summary": "summaries"}

    def row(step: str, seconds: float, unit: str, count: int) -> str:
        return (f"| {step} | {seconds:.2f} | {1000 * seconds / count:.1f} ms / {unit} | "
                f"{count / seconds:.0f} {plural[unit]} / s |")

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"FRANK CNN/DM rows: {n} summaries of {s} stories (5 systems); median of {repeats} "
        f"runs, fresh check objects and empty in-memory caches each run; spaCy model load "
        f"({med['run_load']:.1f} s) not counted. \"checks\" includes building each story's "
        "entity index and number list on its first summary. Load average after the runs "
        f"(1, 5, 15 min): {load} on {os.cpu_count()} cores: other jobs share this machine.",
        "",
        "| step | seconds | per unit | rate |",
        "|---|---|---|---|",
        row("story NER up front (none since 2026-11-25, only a re-run's `load_cache`: story "
            "NER is lazy, inside the checks below, for the stories that need it)",
            med["run_ner"], "story", s),
        row("checks as summcheck run (one batch per system; with the reference bullets, so the "
            "entity check also runs NER on the reference for its target scores)",
            med["run_checks"], "summary", n),
        row("checks without a reference (no entity target scores)", med["noref_checks"],
            "summary", n),
        row("**end to end as summcheck run, cold** (story NER + checks)",
            med["run_ner"] + med["run_checks"], "summary", n),
        row("end to end without a reference, cold", med["noref_ner"] + med["noref_checks"],
            "summary", n),
        row("end to end as summcheck run, story NER loaded from the on-disk cache (a re-run: "
            "`load_cache` + checks)", med["warm_ner"] + med["warm_checks"], "summary", n),
        row("lexical source support (content words + bigrams; story vocabulary once per story)",
            med["lexical"], "summary", n),
        row("for comparison: ROUGE-1/2 F vs the reference (RougeMetric)", med["rouge"],
            "summary", n),
        row("support check, lexical (`SupportCheck()`: story split into sentences and indexed"
            " once per story)", med["support_lexical"], "summary", n),
    ]
    if with_embedding:
        lines.append(row("support check, embedding (`SupportCheck(method=\"embedding\")`: "
                         "every story sentence and bullet through MiniLM once; model load not "
                         "counted; 1 run)", med["support_embedding"], "summary", n))
    return lines, med
