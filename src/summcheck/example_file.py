"""The run's examples, written once as the survey reads them and read back by the windows.

The survey reads every example before the run (for the data fingerprint and warnings);
here it also writes each one as its examples.jsonl row, with the row's end offset in a
scratch table. The windows then take their examples from this file: one typed decode of a
row, where reading the data again parsed the data row and converted it to an Example
(cleaning its bullets) a second time. When the run ends, the file becomes the run
folder's examples.jsonl.

The file is made beside the run folders (the run folder's name waits for the data
fingerprint), hidden, as `.examples-<pid>-<process start>-<random>.partial`. A run that
fails deletes it (and the folders made for it, if still empty); one that is killed leaves
it behind, and the next run in the same folder deletes it once its process is gone.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from pathlib import Path

import msgspec
import numpy as np

from . import fastjson, scratch
from .artifacts import process_alive, process_tag
from .data import ExampleRows
from .types import Example

_WRITE_BUFFER = 1 << 16
_PREFIX, _SUFFIX = ".examples-", ".partial"
_decode = msgspec.json.Decoder(Example).decode


class ExampleFile:
    """Examples appended with `add` (or all forgotten with `restart`), then read back
    through `examples()`; `move_to` gives the file its final name, `discard` deletes it.
    A context manager: leaving it discards whatever was not moved."""

    def __init__(self, folder: Path):
        self._made = [p for p in (folder, *folder.parents) if not p.exists()]   # deepest first
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale(folder)
        fd, name = tempfile.mkstemp(dir=folder, prefix=f"{_PREFIX}{process_tag()}-",
                                    suffix=_SUFFIX)
        self.path = Path(name)
        self._handle = os.fdopen(fd, "w+b", buffering=_WRITE_BUFFER)
        self._ends, self._pending, self._size = scratch.Rows(np.int64), array("q"), 0
        self._rows: ExampleRows | None = None

    def __enter__(self) -> "ExampleFile":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()

    def add(self, example: Example) -> None:
        line = fastjson.line(example.to_dict())
        self._handle.write(line)
        self._size += len(line)
        self._pending.append(self._size)
        if len(self._pending) >= scratch.BLOCK:
            self._move()

    def restart(self) -> None:
        """Forget every example added (the survey reads the data again)."""
        self._handle.seek(0)
        self._handle.truncate()
        self._ends.clear()
        del self._pending[:]
        self._size = 0

    def examples(self) -> ExampleRows:
        """The examples added, read back on demand (the adding ends here)."""
        if self._rows is None:
            self._move()
            self._handle.flush()
            self._ends_table = self._ends.mapped()[:, 0]
            self._rows = ExampleRows(len(self._ends_table), self._read)
        return self._rows

    def move_to(self, path: Path) -> None:
        """Make the file `path` (synced first, as the run's other files are)."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self.path, path)

    def discard(self) -> None:
        """Delete the file, and the folders made for it if they are still empty (a run
        stopped before its run folder was made leaves no folder)."""
        if not self._handle.closed:
            self._handle.close()
        self.path.unlink(missing_ok=True)
        for folder in self._made:
            try:
                folder.rmdir()
            except OSError:   # not empty: it holds the run folder, or something else
                break

    def _move(self) -> None:
        self._ends.add(np.frombuffer(self._pending, np.int64).copy())
        del self._pending[:]

    def _read(self, start: int, stop: int) -> list[Example]:
        ends = self._ends_table
        base = int(ends[start - 1]) if start else 0
        block = os.pread(self._handle.fileno(), int(ends[stop - 1]) - base, base)
        return [_example(line) for line in block.split(b"\n")[:-1]]


def _example(line: bytes) -> Example:
    try:
        return _decode(line)
    except ValueError:   # what msgspec refuses and fastjson's fallback reads
        return Example.from_dict(fastjson.loads(line))


def _remove_stale(folder: Path) -> None:
    """Delete the files of this kind that killed runs left in `folder`."""
    for path in folder.glob(f"{_PREFIX}*{_SUFFIX}"):
        pid, started, *_ = path.name[len(_PREFIX):].split("-") + ["", ""]
        if pid.isdecimal() and not process_alive(int(pid), started or None):
            path.unlink(missing_ok=True)
