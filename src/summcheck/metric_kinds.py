"""What kind of number a metric name is: a 0-1 rate (higher is better) or a count."""

from __future__ import annotations

import difflib

# Counts of problems per summary (unsupported mentions, weak bullets): lower is better.
PROBLEM_COUNT_SUFFIXES = ("_unsupported", "_weak")
COUNT_SUFFIXES = ("_count",) + PROBLEM_COUNT_SUFFIXES


def is_count(metric: str) -> bool:
    """Counts per summary (e.g. numbers_unsupported, support_weak); every other metric is a
    0-1 rate."""
    return metric.endswith(COUNT_SUFFIXES)


def drop_that_cannot_fail(metric: str, drop: float) -> str | None:
    """Why an allowed drop of `metric` can never fail the gate, or None. A rate moves at
    most 1: `rouge1_f: 1`, written in the points the tables show (38.9 for 0.389), passed
    every drop, the gate saying "ok"."""
    if is_count(metric) or drop < 1:
        return None
    return (f"{metric} is a 0-1 rate, so an allowed drop of {drop:g} can never fail the "
            "gate. Give it in the metric's 0-1 units (0.01 for one percentage point)")


def count_that_cannot_be_gated(metric: str) -> str | None:
    """Why `metric` cannot be gated, after its name, or None: a plain count has no better
    side, so no change of it is a drop. Said on load (config) and by regress (--max-drop,
    baselines)."""
    if direction(metric) != 0:
        return None
    return ("is a count with no better direction, so it cannot be gated. Gate a rate or "
            "score instead")


def closest_metric(metric: str, known: set[str] | list[str]) -> str | None:
    """The known name closest to a misspelt one, or None when none is close; of equally
    close ones the F-measure ("rouge2" -> rouge2_f, where difflib's own tie-break gave
    rouge2_r)."""
    scored = [(difflib.SequenceMatcher(None, metric, m).ratio(), m.endswith("_f"), m)
              for m in sorted(known)]
    best = max(scored, default=(0.0, False, ""))
    return best[2] if best[0] >= 0.6 else None


def direction(metric: str) -> int:
    """+1 when higher is better, -1 when lower is better (counts of problems), 0 for
    plain counts, which have no better side."""
    if metric.endswith(PROBLEM_COUNT_SUFFIXES):
        return -1
    return 0 if is_count(metric) else 1


def failure_scores(values: dict[str, float]) -> dict[str, float]:
    """The scores of a failed summary (no summary for its id, the summarizer raised, or an
    empty output): 0 on every rate, so a failure never raises a mean, and no counts (a
    summary that does not exist has no mentions to count: not applicable, left out of
    the count means). Failures are counted beside every mean (n_failed)."""
    return {name: 0.0 for name in values if not is_count(name)}
