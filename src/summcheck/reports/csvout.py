"""scores.csv: one row per (run, summarizer, example) with every metric as a column."""

from __future__ import annotations

import csv
import io
from typing import Sequence

from ..artifacts import RunData

FIXED = ["run", "summarizer", "example_id", "error"]


def render_csv(runs: Sequence[RunData]) -> str:
    rows = [row for run in runs for row in run.scores]
    metrics = list(dict.fromkeys(m for row in rows for m in row["scores"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIXED + metrics)
    for run in runs:
        for row in run.scores:
            values = [row["scores"].get(m, "") for m in metrics]
            writer.writerow([run.name, row["summarizer"], row["example_id"],
                             row.get("error") or "", *values])
    return buffer.getvalue()
