"""Rows of a text data file as byte spans: the index keeps two integers per row, in a
memory-mapped scratch file (`summcheck.scratch`), and a read parses the rows again from
their bytes. Memory stays flat in the file size, and every read comes from the file as it
is now (checked: it must be the version indexed)."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .. import scratch
from .sources import open_unchanged, stamp


class SpanIndex:
    """Rows `0..n-1` of `file` at bytes `[start, end)` (`spans[i]`), turned into row dicts
    by `parse(bytes)`. Consecutive rows are read with one read call. Rows are added while
    the file is scanned; the first read maps them and ends the adding."""

    def __init__(self, file: str, where: str,
                 parse: Callable[[bytes], dict[str, Any]] | None = None):
        self.file, self.where, self.parse = file, where, parse
        self._spans = scratch.Rows(np.int64, 2)
        self._pending: list[tuple[int, int]] = []
        self.stamp = stamp(file)

    def add(self, start: int, end: int) -> None:
        self._pending.append((start, end))
        if len(self._pending) >= 4096:
            self._spans.add(self._pending)
            self._pending.clear()

    def clear(self) -> None:
        """Forget the rows (a scan that starts again in another mode)."""
        self._spans.clear()
        self._pending.clear()

    def __len__(self) -> int:
        return len(self._spans) + len(self._pending)

    @property
    def spans(self) -> np.ndarray:
        """The (rows, 2) table of each row's start and end byte."""
        if self._pending:
            self._spans.add(self._pending)
            self._pending.clear()
        return self._spans.mapped()

    def rows(self, picks: Sequence[int]) -> list[dict[str, Any]]:
        """The rows numbered `picks` (ascending), parsed from the file."""
        out, spans = [], self.spans
        with open_unchanged(self.file, self.stamp, self.where) as handle:
            for first, last in _runs(picks):
                bounds = spans[first:last + 1].tolist()
                base = bounds[0][0]
                handle.seek(base)
                block = handle.read(bounds[-1][1] - base)
                out += [self.parse(block[start - base:end - base]) for start, end in bounds]
        return out


def _runs(picks: Sequence[int]) -> Iterator[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers in ascending `picks`."""
    first = last = None
    for i in picks:
        if last is not None and i == last + 1:
            last = i
            continue
        if first is not None:
            yield first, last
        first = last = i
    if first is not None:
        yield first, last
