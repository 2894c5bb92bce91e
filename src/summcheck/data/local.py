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
from . import ExampleRows, sample_indices
from .mapping import to_example
from .sources import LocalFiles


def load_local(spec: HFDataset, files: LocalFiles) -> ExampleRows:
    """The split's examples (sampled before any row is converted), read on demand."""
    indexes = index_files(spec, files)
    firsts = [0, *accumulate(len(index) for index in indexes)]
    picks = sample_indices(firsts[-1], spec.sample, spec.seed)

    def read(start: int, stop: int) -> list[Example]:
        chosen = picks[start:stop]
        rows = _rows(indexes, firsts, chosen)
        return [to_example(spec, row, index) for row, index in zip(rows, chosen)]

    return ExampleRows(len(picks), read)


def check_local(spec: HFDataset, files: LocalFiles) -> int:
    """Check every row of the files (what `summcheck validate` does); the rows checked."""
    return sum(len(index) for index in index_files(spec, files))


def index_files(spec: HFDataset, files: LocalFiles) -> list[Any]:
    """One checked index per file, in order: a DataError names the first bad row."""
    if files.builder == "json":
        from .json_file import index_json as index
    elif files.builder == "csv":
        from .csv_file import index_csv as index
    else:
        from .parquet_file import index_parquet as index
    return [index(spec, file, files.field) for file in files.files]


def _rows(indexes: list[Any], firsts: list[int], chosen: Sequence[int]) -> list[dict]:
    """The rows numbered `chosen` (ascending, over all files together)."""
    out: list[dict] = []
    for index, first, after in zip(indexes, firsts, firsts[1:]):
        lo, hi = bisect_left(chosen, first), bisect_left(chosen, after)
        if lo < hi:
            out += index.rows([i - first for i in chosen[lo:hi]])
    return out
