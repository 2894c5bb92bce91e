"""Per-example metric values kept as compact float columns (8 bytes a value), so a run or a
report over a big test set never holds a dict per example."""

from __future__ import annotations

import math
from array import array


class FloatColumns:
    """One column per metric, a row per example; NaN where a metric does not apply (a
    metric first seen late is back-filled with NaN)."""

    def __init__(self) -> None:
        self.columns: dict[str, array] = {}
        self.n_rows = 0

    def add(self, values: dict[str, float | None]) -> None:
        self.n_rows += 1
        for name in values.keys() - self.columns.keys():
            self.columns[name] = array("d")
        for name, column in self.columns.items():
            column.extend([math.nan] * (self.n_rows - 1 - len(column)))
            value = values.get(name)
            column.append(math.nan if value is None else value)

    def column(self, name: str) -> array:
        """The metric's values, one per row so far (NaN-padded to the last row)."""
        column = self.columns.get(name, array("d"))
        return column + array("d", [math.nan] * (self.n_rows - len(column)))
