"""Local JSON Lines / JSON / CSV / Parquet files read by summcheck itself, without the
Hugging Face `datasets` library (and so without torch, and without a cache of converted
copies that could go stale).

One pass over each file checks every row and keeps an index (byte spans, or parquet row
groups); examples are then read from the files a chunk at a time, so memory stays flat in
the file size. A file edited after it was indexed stops the run instead of being read
at the old offsets. Rows, sampling, ids and `meta` are those the `datasets` path gives."""

from __future__ import annotations

from bisect import bisect_left
from itertools import accumulate
from typing import Any, Sequence

from ..config import HFDataset
from ..types import Example
from . import ExampleRows, Tap, duplicate_id, sample_indices
from .mapping import to_example
from .sources import LocalFiles


class RowTap:
    """Hands `tap` the example of each row an index pass checked, numbered over all
    files: without sampling, row n is example n. An index pass that starts a file again
    (in another JSON layout, with lenient CSV quoting) abandons the tap; the examples are
    then read after the index instead. Without a tap it does nothing."""

    def __init__(self, spec: HFDataset | None, tap: Tap | None):
        self.spec, self.tap, self.number = spec, tap, 0

    def __call__(self, row: dict[str, Any]) -> None:
        if self.tap is not None:
            self.tap.take(to_example(self.spec, row, self.number))
            self.number += 1

    def restart(self) -> None:
        if self.tap is not None:
            self.tap.abandon()
            self.tap = None


NO_TAP = RowTap(None, None)


def load_local(spec: HFDataset, files: LocalFiles, tap: Tap | None = None) -> ExampleRows:
    """The split's examples (sampled before any row is converted), read on demand. Without
    sampling, `tap` takes every example as its row is checked."""
    indexes = index_files(spec, files, RowTap(spec, tap if spec.sample is None else None))
    firsts = [0, *accumulate(len(index) for index in indexes)]
    picks = sample_indices(firsts[-1], spec.sample, spec.seed)

    def read(start: int, stop: int) -> list[Example]:
        chosen = picks[start:stop]
        rows = _rows(indexes, firsts, chosen)
        return [to_example(spec, row, index) for row, index in zip(rows, chosen)]

    return ExampleRows(len(picks), read)


def check_local(spec: HFDataset, files: LocalFiles) -> int:
    """Check every row of the files (what `summcheck validate` does), ids included: the
    rows checked."""
    ids = _UniqueIds(spec, files)
    indexes = index_files(spec, files, ids)
    if ids.restarted:    # a whole-file read hands no rows on: the ids from the index
        ids = _UniqueIds(spec, files)
        for index in indexes:
            for start in range(0, len(index), 10_000):
                for row in index.rows(list(range(start, min(start + 10_000, len(index))))):
                    ids(row)
    return sum(len(index) for index in indexes)


class _UniqueIds(RowTap):
    """A tap that stops at an id a row before had (the run would stop there too; validate
    said "ok"), naming both rows (counted over all files from 1, data rows only)."""

    def __init__(self, spec: HFDataset, files: LocalFiles):
        super().__init__(None, None)
        self.field, self.files, self.seen, self.restarted = spec.fields.id, files, {}, False

    def __call__(self, row: dict[str, Any]) -> None:
        self.number += 1
        if self.field is None:
            return
        key = str(row.get(self.field))
        first = self.seen.setdefault(key, self.number)
        if first != self.number:
            raise duplicate_id(", ".join(map(str, self.files.files)), key,
                               f"data rows {first} and {self.number}")

    def restart(self) -> None:      # a file read whole: its rows are not handed on
        self.restarted = True


def index_files(spec: HFDataset, files: LocalFiles, on_row: RowTap = NO_TAP) -> list[Any]:
    """One checked index per file, in order: a DataError names the first bad row.
    `on_row` is called with each row as a read gives it, once it is checked."""
    if files.builder == "json":
        from .json_file import index_json as index
    elif files.builder == "csv":
        from .csv_file import index_csv as index
    else:
        from .parquet_file import index_parquet as index
    return [index(spec, file, files.field, on_row) for file in files.files]


def _rows(indexes: list[Any], firsts: list[int], chosen: Sequence[int]) -> list[dict]:
    """The rows numbered `chosen` (ascending, over all files together)."""
    out: list[dict] = []
    for index, first, after in zip(indexes, firsts, firsts[1:]):
        lo, hi = bisect_left(chosen, first), bisect_left(chosen, after)
        if lo < hi:
            out += index.rows([i - first for i in chosen[lo:hi]])
    return out
