"""Agreement of the entity check with human factuality labels, and its speed.

Usage: .venv/bin/python -m benchmarks.entities_frank [path/to/frank_valid.jsonl] [--cache DIR]

A summary is "flagged" when the check finds at least one unsupported entity.
- FRANK (frank_valid.jsonl): human label EntE < 1 (some sentence has an entity error);
  OutE < 1 (information not in the article) is reported next to it for context. Per
  dataset (cnndm, xsum): ROC-AUC of the number of unsupported entities, balanced accuracy
  of the flag, flag rates on erroneous and clean summaries.
- SummEval (summeval_dev.jsonl, when next to it): the same against expert consistency < 5.
- Reference highlights checked as if they were summaries (CNN/DM stories of both files):
  human-written and mostly faithful, so their flag rate bounds the false-alarm rate.
- Speed on the 375 CNN/DM rows of FRANK: story NER per story, check() per second with the
  story entities cached.
The rules were tuned on these development files only.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from summcheck.consistency.entities import EntityCheck

from .data import DATA, load_jsonl
from .stats import roc_auc


def agreement(errors: list[bool], results: list) -> dict[str, float]:
    unsupported = [res.scores["entities_unsupported"] for res in results]
    flagged = [u > 0 for u in unsupported]
    on_errors = [f for f, e in zip(flagged, errors) if e]
    on_clean = [f for f, e in zip(flagged, errors) if not e]
    tpr, fpr = sum(on_errors) / len(on_errors), sum(on_clean) / len(on_clean)
    return {"n": len(errors), "n_errors": len(on_errors),
            "roc_auc": roc_auc(unsupported, errors), "balanced_accuracy": (tpr + 1 - fpr) / 2,
            "flag_rate_errors": tpr, "flag_rate_clean": fpr}


def timed_frank(check: EntityCheck, rows: list[dict]) -> tuple[list, dict]:
    """Check every FRANK row; time story NER and cached check() on the CNN/DM rows."""
    stories = list(dict.fromkeys(r["article"] for r in rows if r["dataset"] == "cnndm"))
    start = time.perf_counter()
    check.story_entities(stories)    # NER of every story (the check itself is lazy)
    ner_seconds = time.perf_counter() - start
    check.story_entities([r["article"] for r in rows])
    results, seconds = [], 0.0
    for r in rows:
        start = time.perf_counter()
        results.append(check.check(source=r["article"], summary=[r["summary"]]))
        seconds += (time.perf_counter() - start) if r["dataset"] == "cnndm" else 0.0
    n_cnndm = sum(r["dataset"] == "cnndm" for r in rows)
    return results, {"stories": len(stories),
                     "story_ner_ms_per_story": 1000 * ner_seconds / max(len(stories), 1),
                     "summaries": n_cnndm, "summaries_per_second_story_cached": n_cnndm / seconds}


def references_as_summaries(check: EntityCheck, pairs: dict[str, str]) -> dict:
    """Flag rate and findings when the reference highlights are checked as summaries."""
    results = [check.check(source=story, summary=[ref]) for story, ref in pairs.items()]
    findings = [f.span.text for res in results for f in res.findings]
    flagged = sum(1 for res in results if res.findings)
    return {"references": len(pairs), "flagged": flagged, "flag_rate": flagged / len(pairs),
            "findings": findings}


def run(frank: Path, summeval: Path, cache: Path | None, **options) -> dict:
    check = EntityCheck(**options)
    check.nlp  # load the model outside the timings
    if cache:
        check.load_cache(cache)
    rows = load_jsonl(frank)
    results, speed = timed_frank(check, rows)
    report = {"signature": check.signature(), "speed_cnndm": speed}
    for dataset in ("cnndm", "xsum"):
        pairs = [(r, res) for r, res in zip(rows, results) if r["dataset"] == dataset]
        report[f"frank_{dataset}"] = {
            label: agreement([r["labels"][label] < 1 for r, _ in pairs], [p[1] for p in pairs])
            for label in ("EntE", "OutE")}
    refs = {r["article"]: r["reference"] for r in rows if r["dataset"] == "cnndm"}
    if summeval.exists():
        se_rows = load_jsonl(summeval)
        se_results = [check.check(source=r["article"], summary=[r["summary"]]) for r in se_rows]
        report["summeval_consistency<5"] = agreement(
            [r["expert"]["consistency"] < 5 for r in se_rows], se_results)
        refs.update({r["article"]: r["reference"] for r in se_rows})
    report["references_cnndm"] = references_as_summaries(check, refs)
    if cache:
        check.save_cache(cache)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("frank", nargs="?", type=Path, default=DATA / "frank_valid.jsonl")
    parser.add_argument("--summeval", type=Path, default=DATA / "summeval_dev.jsonl")
    parser.add_argument("--cache", type=Path, default=None, help="story NER cache folder")
    parser.add_argument("--no-restore-case", action="store_true",
                        help="ablation: run NER on lowercased summaries as they are")
    parser.add_argument("--added-first-names", action="store_true",
                        help="accept 'Sarah Storey' when the story only says 'Storey'")
    args = parser.parse_args()
    report = run(args.frank, args.summeval, args.cache, restore_case=not args.no_restore_case,
                 added_first_names=args.added_first_names)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
