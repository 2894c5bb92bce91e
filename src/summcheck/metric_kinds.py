"""What kind of number a metric name is: a 0-1 rate (higher is better) or a count."""

from __future__ import annotations

# Counts of problems per summary (unsupported mentions, weak bullets): lower is better.
PROBLEM_COUNT_SUFFIXES = ("_unsupported", "_weak")
COUNT_SUFFIXES = ("_count",) + PROBLEM_COUNT_SUFFIXES


def is_count(metric: str) -> bool:
    """Counts per summary (e.g. numbers_unsupported, support_weak); every other metric is a
    0-1 rate."""
    return metric.endswith(COUNT_SUFFIXES)


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
