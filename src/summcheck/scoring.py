"""Per-example scoring: reference metrics and consistency checks for every summary."""

from __future__ import annotations

from typing import Any, Sequence

from .consistency.base import CheckResult
from .types import Example, Summary


def build_metrics(spec) -> list:
    from .metrics.rouge import RougeMetric

    rouge = spec.metrics.rouge
    return [RougeMetric(rouge.types, use_stemmer=rouge.use_stemmer)] if rouge else []


def build_checks(spec) -> list:
    """The configured consistency checks; heavy ones import their libraries here."""
    checks: list = []
    if spec.checks.numbers is not None:
        from .consistency.numbers import NumberCheck

        checks.append(NumberCheck(tolerance=spec.checks.numbers.tolerance))
    if spec.checks.entities is not None:
        from .consistency.entities import EntityCheck

        ents = spec.checks.entities
        checks.append(EntityCheck(labels=ents.labels, model=ents.model))
    return checks


def overall_consistency(results: Sequence[CheckResult]) -> float | None:
    """Share of checked mentions (numbers and entities) that the story supports;
    1.0 when the summary mentions none; None when no check ran."""
    if not results:
        return None
    total = sum(len(r.findings) + len(r.supported) for r in results)
    return 1.0 - sum(len(r.findings) for r in results) / total if total else 1.0


def score_summary(example: Example, summary: Summary, metrics: list, checks: list
                  ) -> tuple[dict[str, float], list[CheckResult]]:
    """All metric values for one summary, plus the raw check results (for findings)."""
    values: dict[str, float] = {}
    for metric in metrics:
        values.update(metric.score(prediction=summary.bullets,
                                   references=[example.reference_bullets]))
    results = [c.check(source=example.story, summary=list(summary.bullets),
                       reference=list(example.reference_bullets) or None) for c in checks]
    for result in results:
        values.update(result.scores)
    overall = overall_consistency(results)
    if overall is not None:
        values["consistency"] = overall
    return values, results


def check_row(label: str, example_id: str, results: list[CheckResult]) -> dict[str, Any]:
    """The findings and supported mentions of one summary, as written to checks.jsonl."""
    return {
        "summarizer": label,
        "example_id": example_id,
        "findings": [f.to_dict() for r in results for f in r.findings],
        "supported": [s.to_dict() for r in results for s in r.supported],
    }
