"""scores.csv: one row per (run, summarizer, example) with every metric as a column."""

from __future__ import annotations

import io
import re
from typing import Iterator, Sequence

import msgspec

from ..artifacts import RunData

FIXED = ["run", "summarizer", "example_id", "error"]
_NUMBERS = {float, int, type(None)}   # written as JSON writes them; None as an empty cell
_QUOTE = re.compile(r'[",\r\n]')


def render_csv(runs: Sequence[RunData], rows_per_piece: int = 1024) -> Iterator[str]:
    """The CSV's text in pieces of `rows_per_piece` lines, streamed from the run folders
    (the metric names from the reports' one read of the per-example values). Numbers are
    written as scores.jsonl holds them (shortest round-trip digits), by one JSON encoding
    of a row's values: formatting each float through the csv module cost most of the
    CSV."""
    metrics = list(dict.fromkeys(m for run in runs for m in run.rows().metric_order))
    encode = msgspec.json.Encoder().encode
    buffer = io.StringIO()
    buffer.write(",".join(map(_cell, FIXED + metrics)) + "\n")
    for run in runs:
        for n, row in enumerate(run.scores, 1):
            fixed = [run.name, row["summarizer"], row["example_id"], row.get("error") or ""]
            values = [row["scores"].get(m) for m in metrics]
            if metrics and set(map(type, values)) <= _NUMBERS:
                numbers = encode(values)[1:-1].replace(b"null", b"").decode()
                buffer.write(",".join(map(_cell, fixed)) + "," + numbers + "\n")
            else:
                cells = fixed + ["" if v is None else str(v) for v in values]
                buffer.write(",".join(map(_cell, cells)) + "\n")
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
