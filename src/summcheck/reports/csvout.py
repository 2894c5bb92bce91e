"""scores.csv: one row per (run, summarizer, example) with every metric as a column."""

from __future__ import annotations

import csv
import io
from typing import Iterator, Sequence

from ..artifacts import RunData

FIXED = ["run", "summarizer", "example_id", "error"]


def render_csv(runs: Sequence[RunData], rows_per_piece: int = 1024) -> Iterator[str]:
    """The CSV's text in pieces of `rows_per_piece` lines, streamed from the run folders
    (the metric names from the reports' one read of the per-example values)."""
    metrics = list(dict.fromkeys(m for run in runs for m in run.rows().metric_order))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIXED + metrics)
    for run in runs:
        for n, row in enumerate(run.scores, 1):
            writer.writerow([run.name, row["summarizer"], row["example_id"],
                             row.get("error") or "", *[row["scores"].get(m, "") for m in metrics]])
            if n % rows_per_piece == 0:
                yield _taken(buffer)
    yield _taken(buffer)


def _taken(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
