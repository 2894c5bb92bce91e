"""Parquet data files, read with pyarrow a row group at a time and only the mapped columns.

pyarrow is not a core dependency (the `parquet` extra: a ~50 MB wheel, ~170 MB installed,
60% more than the rest of the core). Without it a Parquet file is one message whose
install command is safe to paste: quoted (an unquoted `>=` is a shell redirect), and
naming pyarrow itself, so it works however summcheck was installed (a checkout, a wheel)."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate, groupby
from typing import Any, Sequence

from ..config import HFDataset
from ..errors import DataError
from .local import NO_TAP, RowTap
from .mapping import check_columns, mapped_columns, row_problem
from .sources import no_rows, open_unchanged, stamp

_BATCH = 1024   # rows per batch while checking: a few MB of CNN/DM stories
_TEXT = ("string", "large_string", "string_view")
INSTALL = 'pip install "pyarrow>=14"'


def index_parquet(spec: HFDataset, file: str, field: str,
                  on_row: RowTap = NO_TAP) -> "ParquetIndex":
    """The rows of a parquet file, each checked; DataError at the first problem, with the
    config field, the file, the 1-based row and the fix. `on_row` is called with each
    row, once checked."""
    where = f"{field}: {file}"
    pq = _pyarrow_parquet(where)
    index = ParquetIndex(file, where, mapped_columns(spec))
    try:
        parquet = pq.ParquetFile(file)
    except Exception as err:  # noqa: BLE001 - pyarrow raises several kinds
        raise DataError(f"{where}: not a readable parquet file ({err}). Write it again (e.g. "
                        f"pandas' to_parquet) or fix {field}.") from None
    with parquet:
        if parquet.metadata.num_rows == 0:
            raise no_rows(field, file)
        schema = parquet.schema_arrow
        check_columns(spec, schema.names, where=f"{where}:")
        story = schema.field(spec.fields.story).type
        if str(story).startswith("dictionary<"):     # pandas' category dtype: text inside
            story = story.value_type
        if str(story) not in _TEXT:
            raise DataError(f"{where}: fields.story column {spec.fields.story!r} holds {story}, "
                            "not text. Map fields.story to the article text column.")
        number = 0
        for batch in parquet.iter_batches(batch_size=_BATCH, columns=index.columns):
            for row in batch.to_pylist():
                number += 1
                problem = row_problem(spec, row)
                if problem:
                    raise DataError(f"{where}, row {number} (counting from 1): {problem}")
                on_row(row)
        index.set_groups([parquet.metadata.row_group(g).num_rows
                          for g in range(parquet.num_row_groups)])
    return index


class ParquetIndex:
    """Rows `0..n-1` of a parquet file: row group boundaries and the columns to read."""

    def __init__(self, file: str, where: str, columns: list[str]):
        self.file, self.where, self.columns = file, where, columns
        self.stamp = stamp(file)
        self.firsts = [0]   # the first row of each row group, then the row count

    def set_groups(self, sizes: list[int]) -> None:
        self.firsts = [0, *accumulate(sizes)]

    def __len__(self) -> int:
        return self.firsts[-1]

    def rows(self, picks: Sequence[int]) -> list[dict[str, Any]]:
        """The rows numbered `picks` (ascending): each row group they fall in is read once."""
        import pyarrow.parquet as pq

        out: list[dict[str, Any]] = []
        with open_unchanged(self.file, self.stamp, self.where) as handle, \
                pq.ParquetFile(handle) as parquet:
            for group, rows in groupby(picks, key=lambda i: bisect_right(self.firsts, i) - 1):
                table = parquet.read_row_group(group, columns=self.columns)
                first = self.firsts[group]
                out += table.take([i - first for i in rows]).to_pylist()
        return out


def _pyarrow_parquet(where: str) -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"{where}: reading Parquet needs pyarrow, which is not installed. "
                        f"Install it with: {INSTALL} (or convert the file to JSON Lines)."
                        ) from None
    return pq
