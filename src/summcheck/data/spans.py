"""Rows of a text data file as byte spans: the index keeps two integers per row, and a
read parses the rows again from their bytes. Memory stays flat in the file size, and
every read comes from the file as it is now (checked: it must be the version indexed)."""

from __future__ import annotations

from array import array
from typing import Any, Callable, Iterator, Sequence

from .sources import open_unchanged, stamp


class SpanIndex:
    """Rows `0..n-1` of `file` at bytes `[starts[i], ends[i])`, turned into row dicts by
    `parse(bytes)`. Consecutive rows are read with one read call."""

    def __init__(self, file: str, where: str,
                 parse: Callable[[bytes], dict[str, Any]] | None = None):
        self.file, self.where, self.parse = file, where, parse
        self.starts, self.ends = array("q"), array("q")
        self.stamp = stamp(file)

    def add(self, start: int, end: int) -> None:
        self.starts.append(start)
        self.ends.append(end)

    def clear(self) -> None:
        """Forget the rows (a scan that starts again in another mode)."""
        del self.starts[:], self.ends[:]

    def __len__(self) -> int:
        return len(self.starts)

    def rows(self, picks: Sequence[int]) -> list[dict[str, Any]]:
        """The rows numbered `picks` (ascending), parsed from the file."""
        out = []
        with open_unchanged(self.file, self.stamp, self.where) as handle:
            for first, last in _runs(picks):
                base = self.starts[first]
                handle.seek(base)
                block = handle.read(self.ends[last] - base)
                out += [self.parse(block[self.starts[i] - base:self.ends[i] - base])
                        for i in range(first, last + 1)]
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
