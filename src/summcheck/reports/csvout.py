"""scores.csv: one row per (run, summarizer, example) with every metric as a column."""

from __future__ import annotations

import io
import re
import tempfile
from typing import IO, Iterator, Sequence

import msgspec

from ..artifacts import RunData

FIXED = ["run", "summarizer", "example_id", "error"]
# The bytes of a JSON list of numbers and nulls (a null is written as an empty cell);
# a value of any other type (text, true/false, a list) leaves some other byte
_NUMBER_BYTES = b"0123456789.eE+-,nul"
_QUOTE = re.compile(r'[",\r\n]')
_encode = msgspec.json.Encoder().encode


def render_csv(runs: Sequence[RunData], rows_per_piece: int = 1024,
               lines: dict[str, "CsvLines"] | None = None) -> Iterator[str]:
    """The CSV's text in pieces of `rows_per_piece` lines, streamed from the run folders
    (the metric names from the reports' one read of the per-example values). Numbers are
    written as scores.jsonl holds them (shortest round-trip digits), by one JSON encoding
    of a row's values: formatting each float through the csv module cost most of the
    CSV. A row's scores in the columns' order (the common case) are taken as they are.
    `lines`: one run's lines by summarizer, as the run rendered them (`CsvLines`); used
    when each holds every column in the header's order, else the run's scores.jsonl is."""
    metrics = list(dict.fromkeys(m for run in runs for m in run.rows().metric_order))
    yield ",".join(map(_cell, FIXED + metrics)) + "\n"
    if lines is not None and len(runs) == 1 and list(lines) == list(runs[0].rows().labels) \
            and all(part.columns == metrics for part in lines.values()):
        for part in lines.values():
            yield from part.pieces()
        return
    buffer = io.StringIO()
    for run in runs:
        name, labels = _cell(run.name), {}
        for n, row in enumerate(run.scores, 1):
            label, scores, error = row["summarizer"], row["scores"], row.get("error")
            if label not in labels:
                labels[label] = f"{name},{_cell(label)},"
            values = list(scores.values()) if list(scores) == metrics else \
                [scores.get(m) for m in metrics]
            buffer.write(_line(_head(labels[label], row["example_id"], error), values))
            if n % rows_per_piece == 0:
                yield _taken(buffer)
    yield _taken(buffer)


class CsvLines:
    """One summarizer's scores.csv lines, rendered by the run as it writes the
    summarizer's scores.jsonl rows and kept in a scratch file, so that the reports need
    not parse scores.jsonl back for them. The columns are the first row's metrics; a
    row without some of them (a failed summary's) has empty cells there. A row with a
    metric the first row lacks drops the lines (`columns` None), and scores.csv is then
    rendered from scores.jsonl."""

    def __init__(self, run_name: str, label: str):
        self._label = f"{_cell(run_name)},{_cell(label)},"
        self.columns: list[str] | None = None
        self._known: frozenset[str] = frozenset()
        self._file: IO[str] | None = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")

    def add(self, example_id: str, error: str | None, scores: dict) -> None:
        if self._file is None:
            return
        if self.columns is None:
            self.columns, self._known = list(scores), frozenset(scores)
        if list(scores) == self.columns:
            values = list(scores.values())
        elif self._known.issuperset(scores):
            values = [scores.get(m) for m in self.columns]
        else:
            self._file.close()
            self._file, self.columns = None, None
            return
        self._file.write(_line(_head(self._label, example_id, error), values))

    def pieces(self, size: int = 1 << 20) -> Iterator[str]:
        if self._file is None:
            return
        self._file.seek(0)
        while piece := self._file.read(size):
            yield piece


def _head(label_cells: str, example_id: str, error: str | None) -> str:
    return f"{label_cells}{_cell(example_id)},{_cell(error) if error else ''},"


def _line(head: str, values: list) -> str:
    """A CSV line: numbers and nulls (empty cells) as one JSON encoding gives them, any
    other value (text, true/false, a list) as str() gives it."""
    numbers = _encode(values)[1:-1]
    if values and not numbers.translate(None, _NUMBER_BYTES):
        return head + numbers.replace(b"null", b"").decode() + "\n"
    return head + ",".join(_cell("" if v is None else str(v)) for v in values) + "\n"


def _cell(text: str) -> str:
    """A CSV cell as RFC 4180 quotes it. By hand: the csv module quotes only the line
    terminator's characters, so with "\\n" lines a "\\r" in an error went unquoted."""
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if _QUOTE.search(text) else text


def _taken(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
