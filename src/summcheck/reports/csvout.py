"""scores.csv: one row per (run, summarizer, example) with every metric as a column."""

from __future__ import annotations

import csv
import io
from typing import Iterator, Sequence

from ..artifacts import RunData

FIXED = ["run", "summarizer", "example_id", "error"]


def render_csv(runs: Sequence[RunData]) -> Iterator[str]:
    """The CSV's lines, streamed from the run folders (the metric names from the reports'
    one read of the per-example values)."""
    metrics = list(dict.fromkeys(m for run in runs for m in run.rows().metric_order))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(values: list) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(FIXED + metrics)
    for run in runs:
        for row in run.scores:
            values = [row["scores"].get(m, "") for m in metrics]
            yield line([run.name, row["summarizer"], row["example_id"],
                        row.get("error") or "", *values])
