"""The rows as `summcheck run` scores them, and one feature record per row.

Checks built from a default RunSpec, one batch per system (as a run scores one
summarizer's summaries), bullets split as the precomputed summarizer splits a text but
without its max_bullets cap; each record adds ROUGE, lexical source support, the support
check's methods and alternatives and, with the encoder, the MiniLM layer sweep.
"""

from __future__ import annotations

import sys
from typing import Sequence

from summcheck.config import RunSpec
from summcheck.consistency.base import CheckResult
from summcheck.consistency.support import SupportCheck
from summcheck.metrics.rouge import RougeMetric
from summcheck.scoring import overall_consistency, score_batch
from summcheck.text import split_bullets
from summcheck.types import Example, Summary

from .lexical import source_support
from .support import BOTH, run_support, support_alternatives
from .sweep import layer_sweep


def default_spec() -> RunSpec:
    """A RunSpec with every default; only `checks` matters here."""
    return RunSpec.model_validate({"name": "agreement", "summarizers": [{"type": "lead"}]})


def score_like_run(pairs: Sequence[tuple[Example, Summary]], metrics: list, checks: list
                   ) -> list[tuple[dict, list]]:
    """(values, check results) per pair, as summcheck run scores one summarizer's summaries
    (`scoring.score_batch`: one batch, summary NER batched)."""
    return score_batch([e for e, _ in pairs], [s for _, s in pairs], metrics, checks)


def by_system(rows: list[dict]) -> dict[str, list[int]]:
    """Row positions per system: a run scores each summarizer's summaries as one batch."""
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(f"{row.get('dataset', '')}/{row['system']}", []).append(i)
    return groups


def as_example(row: dict) -> tuple[Example, Summary]:
    example = Example(id=row["id"], story=row["article"],
                      reference_bullets=split_bullets(row["reference"]))
    return example, Summary(example_id=row["id"], bullets=split_bullets(row["summary"]))


def score_rows(rows: list[dict], checks: list, rouge: RougeMetric, rouge_story: RougeMetric,
               support: dict[str, SupportCheck], encoder) -> list[dict]:
    """One feature record per row: the checks' counts and scores, the overall consistency
    as summcheck computes it, ROUGE against the reference, lexical source support, the
    support check (each method in `support`) and its alternatives (sentence cosines with
    `encoder`, when given)."""
    pairs = [as_example(r) for r in rows]
    scored: list = [None] * len(rows)
    for index in by_system(rows).values():
        for i, result in zip(index, score_like_run([pairs[i] for i in index], [rouge], checks)):
            scored[i] = result
    records = []
    for row, (example, summary), (values, results) in zip(rows, pairs, scored):
        by_name = {c.name: r for c, r in zip(checks, results)}
        rec = {
            "consistency": values["consistency"],
            "overall_recomputed": overall_consistency(results),
            "numbers_precision": values["numbers_precision"],
            "entities_precision": values["entities_precision_source"],
            "numbers_unsupported": len(by_name["numbers"].findings),
            "entities_unsupported": values["entities_unsupported"],
            "mentions": sum(len(r.findings) + len(r.supported) for r in results),
            "mentions_unsupported": sum(len(r.findings) for r in results),
            "rouge1_f": values["rouge1_f"], "rouge2_f": values["rouge2_f"],
            "rouge2_p_story": rouge_story.score(prediction=summary.bullets,
                                                references=[[row["article"]]])["rouge2_p"],
        }
        rec.update(source_support(row["article"], summary.bullets))
        records.append(rec)
    groups = list(by_system(rows).values())
    for rec, sup, alt in zip(records, run_support(pairs, groups, support),
                             support_alternatives(pairs, encoder)):
        add_support(rec, sup, alt)
    if encoder is not None:
        print("MiniLM layer sweep ...", file=sys.stderr)
        for rec, sweep in zip(records, layer_sweep(pairs, encoder)):
            rec.update(sweep)
    return records


def add_support(rec: dict, sup: dict, alt: dict) -> None:
    """The support check's values into a record, and `consistency_support`: what
    scoring.overall_consistency gives with the lexical+embedding support check configured."""
    rec.update(sup)
    rec.update(alt)
    if f"sup_{BOTH}" in rec:
        rec["consistency_support"] = overall_consistency([
            CheckResult({"numbers_precision": rec["numbers_precision"]}),
            CheckResult({"entities_precision_source": rec["entities_precision"]}),
            CheckResult({"support_precision": rec[f"sup_{BOTH}"]})])
