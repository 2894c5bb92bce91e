"""Per-example metric values kept as float columns in a file (8 bytes a value), so a run or
a report over a big test set never holds a dict per example."""

from __future__ import annotations

import math
from array import array
from operator import itemgetter
from pathlib import Path


class SpilledColumns:
    """Metric values kept in a file instead of memory: a float64 matrix, a row per example,
    a column per metric (names in sorted order), written a block of rows at a time. A run
    of a million examples held its columns (16 metrics: 128 MB) and, to aggregate them,
    two copies more; `matrix()` maps the file, so the aggregation reads it from the page
    cache and the run's own memory stays flat. A metric first seen after some rows widens
    the file once (earlier rows get NaN)."""

    _BLOCK_ROWS = 4096

    def __init__(self, path: Path):
        self.path = Path(path)
        self.names: list[str] = []
        self._known: frozenset[str] = frozenset()
        self.n_rows = 0
        self._take = _taker([])
        self._pending = array("d")
        self._handle = self.path.open("wb")

    def add(self, values: dict[str, float | None]) -> None:
        if not self._known.issuperset(values):
            self._widen(sorted(self._known.union(values)))
        try:   # a row with every column and no None, the common case: taken in one call
            row = self._take(values)
        except KeyError:
            row = None
        if row is None or None in row:
            get = values.get
            row = [math.nan if (v := get(n)) is None else v for n in self.names]
        self._pending.extend(row)
        self.n_rows += 1
        if len(self._pending) >= self._BLOCK_ROWS * len(self.names):
            self._flush()

    def matrix(self):
        """The (rows, columns) float64 matrix, memory-mapped read-only from the file."""
        import numpy as np

        self._flush()
        shape = (self.n_rows, len(self.names))
        if not self.n_rows or not self.names:
            return np.empty(shape)
        return np.memmap(self.path, dtype=np.float64, mode="r", shape=shape)

    def close(self) -> None:
        """Close and delete the file (matrices mapped before stay readable until freed)."""
        if not self._handle.closed:
            self._handle.close()
        self.path.unlink(missing_ok=True)

    def _flush(self) -> None:
        if self._pending:
            self._pending.tofile(self._handle)
            del self._pending[:]
        self._handle.flush()

    def _widen(self, names: list[str]) -> None:
        """Rewrite the rows so far with the columns `names` (new ones NaN)."""
        self._flush()
        self._handle.close()
        wider = self.path.with_name(self.path.name + ".wider")
        width = len(self.names)
        where = [self.names.index(n) if n in self._known else -1 for n in names]
        with self.path.open("rb") as source, wider.open("wb") as target:
            for start in range(0, self.n_rows, self._BLOCK_ROWS):
                count = min(self._BLOCK_ROWS, self.n_rows - start)
                block = array("d")
                block.frombytes(source.read(8 * width * count))
                out = array("d", [block[i * width + j] if j >= 0 else math.nan
                                  for i in range(count) for j in where])
                out.tofile(target)
        wider.replace(self.path)
        self._handle = self.path.open("ab")
        self.names, self._known = names, frozenset(names)
        self._take = _taker(names)


def _taker(names: list[str]):
    """A function giving the values of `names` in a dict as a tuple (KeyError when one is
    missing): operator.itemgetter, which returns a bare value for one name and needs one."""
    if len(names) >= 2:
        return itemgetter(*names)
    if names:
        get = itemgetter(names[0])
        return lambda values: (get(values),)
    return lambda values: ()
