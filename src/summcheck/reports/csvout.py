"""scores.csv: one row per (run, summarizer, example) with every metric as a column."""

from __future__ import annotations

import io
import re
from typing import Iterator, Sequence

import msgspec

from ..artifacts import RunData

FIXED = ["run", "summarizer", "example_id", "error"]
# The bytes of a JSON list of numbers and nulls (a null is written as an empty cell);
# a value of any other type (text, true/false, a list) leaves some other byte
_NUMBER_BYTES = b"0123456789.eE+-,nul"
_QUOTE = re.compile(r'[",\r\n]')


def render_csv(runs: Sequence[RunData], rows_per_piece: int = 1024) -> Iterator[str]:
    """The CSV's text in pieces of `rows_per_piece` lines, streamed from the run folders
    (the metric names from the reports' one read of the per-example values). Numbers are
    written as scores.jsonl holds them (shortest round-trip digits), by one JSON encoding
    of a row's values: formatting each float through the csv module cost most of the
    CSV. A row's scores in the columns' order (the common case) are taken as they are."""
    metrics = list(dict.fromkeys(m for run in runs for m in run.rows().metric_order))
    encode = msgspec.json.Encoder().encode
    buffer = io.StringIO()
    buffer.write(",".join(map(_cell, FIXED + metrics)) + "\n")
    for run in runs:
        name, labels = _cell(run.name), {}
        for n, row in enumerate(run.scores, 1):
            label, scores, error = row["summarizer"], row["scores"], row.get("error")
            if label not in labels:
                labels[label] = f"{name},{_cell(label)},"
            head = f"{labels[label]}{_cell(row['example_id'])},{_cell(error) if error else ''},"
            values = list(scores.values()) if list(scores) == metrics else \
                [scores.get(m) for m in metrics]
            numbers = encode(values)[1:-1]
            if metrics and not numbers.translate(None, _NUMBER_BYTES):
                buffer.write(head + numbers.replace(b"null", b"").decode() + "\n")
            else:   # text, booleans or lists among the values: each written as str() does
                cells = ["" if v is None else str(v) for v in values]
                buffer.write(head + ",".join(map(_cell, cells)) + "\n")
            if n % rows_per_piece == 0:
                yield _taken(buffer)
    yield _taken(buffer)


def _cell(text: str) -> str:
    """A CSV cell as RFC 4180 quotes it. By hand: the csv module quotes only the line
    terminator's characters, so with "\\n" lines a "\\r" in an error went unquoted."""
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if _QUOTE.search(text) else text


def _taken(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
