"""Per-row tables kept in memory-mapped scratch files instead of the process's memory.

A run over a big data file keeps a few fixed-width numbers per row (a data row's byte
span, a summary id's hash and line). Held in arrays they grow the process's anonymous
memory with the rows; mapped from a file they live in the page cache, which the kernel
can drop and write back. Each scratch file is made in the system temp dir (`TMPDIR`)
and unlinked at once: the mapping keeps it readable, and a killed run leaves nothing.

`sort_hashes` orders 128-bit hashes without holding them all: one pass spreads the rows
into buckets by the hash's top bits (written into a scratch file), then each bucket,
about `BLOCK` rows for uniform hashes, is sorted in memory and written back.
"""

from __future__ import annotations

import tempfile
from typing import Iterator

import numpy as np

BLOCK = 1 << 16   # rows written, read or sorted at a time


def _mapped(handle, dtype, shape: tuple[int, ...], mode: str) -> np.ndarray:
    """`shape` of `dtype` mapped from the open file (then closed: the map keeps it)."""
    try:
        if not int(np.prod(shape)):
            return np.zeros(shape, dtype)
        return np.memmap(handle, dtype, mode, shape=shape)
    finally:
        handle.close()


def zeros(shape: tuple[int, ...], dtype) -> np.ndarray:
    """A writable scratch array of zeros (a sparse file: no page is touched until set)."""
    handle = tempfile.TemporaryFile()
    handle.truncate(int(np.prod(shape)) * np.dtype(dtype).itemsize)
    return _mapped(handle, dtype, shape, "r+")


class Rows:
    """Records of `width` values of `dtype`, appended a few at a time and written to a
    scratch file a block at a time; `mapped()` ends the appending and returns the
    (rows, width) table read-only."""

    def __init__(self, dtype, width: int = 1):
        self.dtype, self.width = np.dtype(dtype), width
        self.n = 0
        self._pending: list[np.ndarray] = []
        self._pending_rows = 0
        self._handle = tempfile.TemporaryFile()
        self._table: np.ndarray | None = None

    def __len__(self) -> int:
        return self.n

    def add(self, values) -> None:
        """Append rows: an array-like of shape (k, width), or (k,) when width is 1."""
        if self._table is not None:
            raise RuntimeError("rows added after mapped()")
        block = np.asarray(values, self.dtype).reshape(-1, self.width)
        self._pending.append(block)
        self._pending_rows += len(block)
        self.n += len(block)
        if self._pending_rows >= BLOCK:
            self._flush()

    def clear(self) -> None:
        """Forget every row (a scan that starts again)."""
        self._pending, self._pending_rows, self.n = [], 0, 0
        self._handle.seek(0)
        self._handle.truncate()

    def mapped(self, writable: bool = False) -> np.ndarray:
        """The table; `writable` maps it for writing (changes go to the scratch file)."""
        if self._table is None:
            self._flush()
            self._table = _mapped(self._handle, self.dtype, (self.n, self.width),
                                  "r+" if writable else "r")
        return self._table

    def _flush(self) -> None:
        for block in self._pending:
            self._handle.write(block.tobytes())
        self._pending, self._pending_rows = [], 0
        self._handle.flush()


def blocks(n: int, size: int | None = None) -> Iterator[slice]:
    size = size or BLOCK
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def sort_hashes(hashes: np.ndarray) -> np.ndarray:
    """`hashes`, a (rows, 2) uint64 table of 128-bit hashes (high half first), sorted by
    hash, as a read-only (3, rows) uint64 table: the sorted high halves, low halves and
    each one's row in `hashes` (equal hashes in row order, as a stable sort leaves them).

    Anonymous memory stays at a few blocks: a first pass counts the rows of each bucket
    (the hash's top bits), a second writes every row at its bucket's next free place in
    the scratch table, then each bucket is sorted on its own."""
    n = len(hashes)
    bits = max(0, int(np.ceil(np.log2(max(n, 1) / BLOCK))))
    counts = np.zeros(1 << bits, np.int64)
    for part in blocks(n):
        counts += np.bincount(_bucket(hashes[part, 0], bits), minlength=1 << bits)
    ends = np.cumsum(counts)
    free = ends - counts
    table = zeros((3, n), np.uint64)
    for part in blocks(n):
        chunk = np.array(hashes[part])
        bucket = _bucket(chunk[:, 0], bits)
        order = np.argsort(bucket, kind="stable")
        bucket = bucket[order]
        seen = np.bincount(bucket, minlength=1 << bits)
        rank = np.arange(len(order)) - (np.cumsum(seen) - seen)[bucket]
        at = free[bucket] + rank
        table[0, at], table[1, at] = chunk[order, 0], chunk[order, 1]
        table[2, at] = np.arange(part.start, part.stop, dtype=np.uint64)[order]
        free += seen
    for start, stop in zip(ends - counts, ends):
        part = np.array(table[:, start:stop])
        order = np.lexsort((part[1], part[0]))   # stable: rows in order within a hash
        table[:, start:stop] = part[:, order]
    table.flags.writeable = False
    return table


def _bucket(high: np.ndarray, bits: int) -> np.ndarray:
    if not bits:
        return np.zeros(len(high), np.intp)
    return (high >> np.uint64(64 - bits)).astype(np.intp)


def first_repeat(high: np.ndarray, low: np.ndarray, row: np.ndarray) -> tuple[int, int] | None:
    """In a table sorted by hash (`sort_hashes`' halves and rows): (the earlier row, the
    row) of the smallest row whose hash an earlier row has, or None when all differ.
    Read a block at a time."""
    later = None
    n = len(row)
    for part in blocks(max(n - 1, 0)):
        a, b = slice(part.start, part.stop), slice(part.start + 1, part.stop + 1)
        same = np.flatnonzero((high[a] == high[b]) & (low[a] == low[b]))
        if len(same):
            best = part.start + 1 + same[np.argmin(row[b][same])]
            if later is None or row[best] < row[later]:
                later = int(best)
    if later is None:
        return None
    left = int(np.searchsorted(high, high[later], "left"))
    first = left + int(np.flatnonzero(low[left:later + 1] == low[later])[0])
    return int(row[first]), int(row[later])
