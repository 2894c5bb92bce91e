"""The examples of a run kept as their run-folder rows (examples.jsonl's lines) in a
scratch file, written once as the run's survey reads them and read back a window at a
time.

A run read every example twice: once for its survey (fingerprint, warnings, ids) and
again, window by window, from the data file, parsing each row and building its Example
again, then encoding it for examples.jsonl. From the spool a window is one read call and
a parse of rows already in run-folder form, and examples.jsonl takes the lines as they
are. The run also uses exactly the examples it surveyed, even if the data file changes
while it runs.

The file is made in the folder the run folder goes to, or the nearest folder above it
that exists (a run stopped by bad data makes no folder): where examples.jsonl lands, so on
a disk with room for it, not in a temp dir that may be memory. It is unlinked at once: a
killed run leaves nothing behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .. import fastjson, scratch
from ..types import Example
from . import ExampleRows

_BUFFER = 1 << 18   # rows of a few KB each: a write call every few dozen rows


class ExampleSpool:
    """Examples appended with `add`, then (after `close_adding`) read by position."""

    def __init__(self, folder: Path):
        there = next(p for p in (folder, *folder.absolute().parents) if p.is_dir())
        self._handle = tempfile.TemporaryFile(dir=there, prefix=".examples-",
                                              buffering=_BUFFER)
        self._ends = scratch.Rows(np.int64)   # each row's end byte, newline included
        self._pending: list[int] = []
        self._size = 0
        self._table: np.ndarray | None = None

    def add(self, example: Example) -> None:
        row = fastjson.line(example.to_dict())
        self._handle.write(row)
        self._size += len(row)
        self._pending.append(self._size)
        if len(self._pending) >= scratch.BLOCK:
            self._ends.add(self._pending)
            self._pending.clear()

    def examples(self) -> "SpooledExamples":
        """The examples added, as a sequence read from the file; no more can be added."""
        if self._table is None:
            self._ends.add(self._pending)
            self._pending.clear()
            self._handle.flush()
            self._table = self._ends.mapped()[:, 0]
        return SpooledExamples(self)

    def lines(self, start: int, stop: int) -> list[bytes]:
        """Rows `start` to `stop - 1`, each the bytes of its examples.jsonl line."""
        ends = self._table[start:stop].tolist()
        if not ends:
            return []
        first = int(self._table[start - 1]) if start else 0
        block = os.pread(self._handle.fileno(), ends[-1] - first, first)
        if len(block) != ends[-1] - first:
            raise OSError(f"the run's example spool ended early (read {len(block)} bytes "
                          f"of {ends[-1] - first})")
        bounds = [0, *(end - first for end in ends)]
        return [block[a:b] for a, b in zip(bounds, bounds[1:])]

    def read(self, start: int, stop: int) -> list[Example]:
        return [Example.from_dict(fastjson.loads(line)) for line in self.lines(start, stop)]

    def __len__(self) -> int:
        return len(self._ends) + len(self._pending)

    def close(self) -> None:
        self._handle.close()


class SpooledExamples(ExampleRows):
    """The spool's examples, and (`lines`) their examples.jsonl lines."""

    def __init__(self, spool: ExampleSpool):
        super().__init__(len(spool), spool.read)
        self.lines = spool.lines
