"""The per-example values of a finished run folder, for reports: gathered by the run as
it writes scores.jsonl and checks.jsonl (`RunRows.gathered`), or read in one pass over
each (`RunRows.read`, for a folder read back), and kept in memory-mapped scratch files
(deleted as soon as they are mapped), so a report on a million examples holds no object
per example and parses each file at most once for every table, plot and listing.

Rows are matched to examples by a 128-bit hash of the example id. The runner writes every
summarizer's rows in the run's example order, so models of one run line up row by row and
most questions are answered by position, a block of rows at a time."""

from __future__ import annotations

import hashlib
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from . import scratch
from .columns import SpilledColumns
from .scratch import blocks

def id_key(example_id: str) -> bytes:
    """The id's 128-bit blake2b digest: two of a million ids share one with a probability
    near 1e-27."""
    return hashlib.blake2b(example_id.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass
class LabelRows:
    """One summarizer's rows in file order: each row's example key, its metric values
    (NaN where a metric does not apply), whether the summary failed, and its number of
    findings in checks.jsonl (0 without one)."""

    keys: np.ndarray       # (n, 2) uint64
    names: list[str]       # the columns of `matrix`, sorted
    matrix: np.ndarray     # (n, len(names)) float64
    failed: np.ndarray     # (n,) bool
    findings: np.ndarray   # (n,) int32

    def __len__(self) -> int:
        return len(self.keys)

    def column(self, metric: str) -> np.ndarray:
        """The metric's value in every row (a view of the mapped file), NaN where missing."""
        if metric not in self.names:
            return np.full(len(self), np.nan)
        return self.matrix[:, self.names.index(metric)]

    def values(self, metric: str) -> np.ndarray:
        """The metric's values where it has one, in row order."""
        column = self.column(metric)
        return column[~np.isnan(column)]

    def row_of(self) -> dict[bytes, int]:
        """{example key: row}: for models whose rows do not line up (built on demand)."""
        return {self.keys[i].tobytes(): i for i in range(len(self))}


@dataclass
class RunRows:
    """Every summarizer's `LabelRows` of one run folder, the metric names in the order
    scores.jsonl first mentions them, and finding counts by (label, check, kind)."""

    labels: dict[str, LabelRows]
    metric_order: list[str]
    kinds: dict[tuple[str, str, str], int]

    @classmethod
    def read(cls, scores: Iterable[dict], checks: Iterable[dict]) -> "RunRows":
        with tempfile.TemporaryDirectory(prefix="summcheck-report-") as scratch:
            builders: dict[str, LabelRowsBuilder] = {}
            order: dict[str, None] = {}
            seen: frozenset[str] = frozenset()
            for row in scores:
                label = row["summarizer"]
                if label not in builders:
                    builders[label] = LabelRowsBuilder(Path(scratch) / str(len(builders)))
                builders[label].add(row["example_id"], row["scores"], row.get("error"))
                if not seen.issuperset(row["scores"]):   # rows mostly repeat the names
                    order.update(dict.fromkeys(row["scores"]))
                    seen = frozenset(order)
            labels = {label: b.finish() for label, b in builders.items()}
            kinds = _count_findings(checks, labels)
        return cls(labels, list(order), kinds)

    @classmethod
    def gathered(cls, builders: dict[str, "LabelRowsBuilder"]) -> "RunRows":
        """The rows a run gathered as it wrote them, one builder per summarizer in the
        order of the run's labels (its files hold each summarizer's rows together, in that
        order): the same as `read` of the files it wrote, without reading them."""
        order: dict[str, None] = {}
        kinds: dict[tuple[str, str, str], int] = {}
        for label, builder in builders.items():
            order.update(builder.order)
            kinds.update({(label, *kind): n for kind, n in builder.kinds.items()})
        return cls({label: b.finish() for label, b in builders.items()}, list(order), kinds)

    def get(self, label: str) -> LabelRows:
        return self.labels.get(label) or _empty()


# A row's key, failure flag and finding count, kept in one scratch file: a run holds a
# builder per summarizer open beside its three row files, so each is one file descriptor
_RECORD = np.dtype([("key", np.uint64, (2,)), ("failed", np.bool_), ("findings", np.int32)],
                   align=True)


class LabelRowsBuilder:
    """One summarizer's rows as they come, from scores.jsonl or from the run writing it:
    metric values go to `metrics`, keys, failure flags and finding counts to a scratch
    file, a batch of rows at a time. `order` keeps the metric names as first seen and
    `kinds` counts the findings passed to `add` by (check, kind). With `keep_rows` False only
    the metric values are kept (a run without reports needs nothing else)."""

    _BATCH = 4096

    def __init__(self, metrics_path: Path, *, keep_rows: bool = True):
        self.metrics, self.keep_rows = SpilledColumns(metrics_path), keep_rows
        self.order: dict[str, None] = {}
        self.kinds: dict[tuple[str, str], int] = {}
        self._seen: frozenset[str] = frozenset()
        self._table = scratch.Rows(_RECORD)
        self._keys, self._failed, self._findings = bytearray(), bytearray(), array("i")

    def add(self, example_id: str, scores: dict, error: str | None,
            findings: Sequence[dict] = ()) -> None:
        self.metrics.add(scores)
        if not self.keep_rows:
            return
        self._keys += id_key(example_id)
        self._failed.append(1 if error else 0)
        self._findings.append(len(findings))
        for finding in findings:
            kind = (finding["check"], finding["kind"])
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if not self._seen.issuperset(scores):   # rows mostly repeat the names
            self.order.update(dict.fromkeys(scores))
            self._seen = frozenset(self.order)
        if len(self._failed) >= self._BATCH:
            self._move()

    def finish(self) -> LabelRows:
        """The rows added, mapped (`findings` writable); the metrics file is deleted."""
        self._move()
        table = self._table.mapped(writable=True)[:, 0]
        matrix, names = self.metrics.matrix(), list(self.metrics.names)
        self.metrics.close()
        return LabelRows(table["key"], names, matrix, table["failed"], table["findings"])

    def _move(self) -> None:
        block = np.empty(len(self._failed), _RECORD)
        block["key"] = np.frombuffer(bytes(self._keys), np.uint64).reshape(-1, 2)
        block["failed"] = np.frombuffer(bytes(self._failed), np.bool_)
        block["findings"] = self._findings
        self._table.add(block)
        self._keys.clear()
        self._failed.clear()
        del self._findings[:]


def _count_findings(checks: Iterable[dict],
                    labels: dict[str, LabelRows]) -> dict[tuple[str, str, str], int]:
    """Fill each LabelRows' `findings` from checks.jsonl (rows in the scores' order, or
    matched by example key where they are not) and count findings by (label, check, kind)."""
    kinds: dict[tuple[str, str, str], int] = {}
    position: dict[str, int] = {}
    lookup: dict[str, dict[bytes, int]] = {}
    for row in checks:
        label, findings = row["summarizer"], row["findings"]
        rows = labels.get(label)
        if rows is None or not findings:
            position[label] = position.get(label, 0) + 1
            continue
        i = position.get(label, 0)
        position[label] = i + 1
        key = id_key(row["example_id"])
        if i >= len(rows) or rows.keys[i].tobytes() != key:
            if label not in lookup:
                lookup[label] = rows.row_of()
            i = lookup[label].get(key, -1)
        if i >= 0:
            rows.findings[i] = len(findings)
        for finding in findings:
            kind = (label, finding["check"], finding["kind"])
            kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _empty() -> LabelRows:
    return LabelRows(np.zeros((0, 2), np.uint64), [], np.zeros((0, 0)), np.zeros(0, bool),
                     np.zeros(0, np.int32))


def same_order(a: LabelRows, b: LabelRows) -> bool:
    """Whether two models' rows are of the same examples in the same order."""
    if len(a) != len(b):
        return False
    return all(np.array_equal(a.keys[s], b.keys[s]) for s in blocks(len(a)))


def paired_differences(a: LabelRows, b: LabelRows, metric: str,
                       leave_out: frozenset[bytes] = frozenset()) -> np.ndarray:
    """a - b of one metric over the examples both have a value for (in a's row order),
    but those whose `id_key` is in `leave_out`."""
    x = a.column(metric)
    if leave_out:
        x = np.where([k.tobytes() in leave_out for k in a.keys], np.nan, x)
    if same_order(a, b):
        y = b.column(metric)
    else:
        where = b.row_of()
        rows = np.array([where.get(a.keys[i].tobytes(), -1) for i in range(len(a))],
                        dtype=np.int64)
        y = np.where(rows >= 0, b.column(metric)[np.maximum(rows, 0)] if len(b) else np.nan,
                     np.nan)
    both = ~(np.isnan(x) | np.isnan(y))
    return x[both] - y[both]
