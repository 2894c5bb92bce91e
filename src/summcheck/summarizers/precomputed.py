"""Summaries produced elsewhere (another machine, an API model), read from JSONL or CSV.

Each row has an id column and a summary column; the summary is a list of bullets or a
text that is split into bullets. An example with no row gets a per-example error.
"""

from __future__ import annotations

import csv
import hashlib
import json
from functools import cached_property
from pathlib import Path
from typing import Iterator, Sequence

from ..errors import DataError
from ..text import split_bullets
from ..types import Example, Summary
from .base import fingerprint_of


class Precomputed:
    def __init__(self, spec, *, max_bullets: int | None):
        self.spec = spec
        self.label = spec.label
        self.max_bullets = max_bullets
        self.path = Path(spec.path)

    def fingerprint(self) -> str:
        """Changes with the file's content; hashed once per file version (it is asked for
        every summary written, and re-reading a big file each time was quadratic)."""
        stat = self.path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        if getattr(self, "_digest_of", None) != version:
            self._digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]
            self._digest_of = version
        digest = self._digest
        return fingerprint_of("precomputed", {
            "file_sha256": digest, "id_field": self.spec.id_field,
            "summary_field": self.spec.summary_field, "max_bullets": self.max_bullets,
        })

    @cached_property
    def _index(self) -> dict[str, int | object]:
        """{id: byte offset of its line} for JSONL (summaries are read back when asked
        for, so a big file is never held in memory); {id: summary} for CSV."""
        out: dict[str, int | object] = {}
        for line_no, offset, row in _read_rows(self.path):
            for field in (self.spec.id_field, self.spec.summary_field):
                if field not in row:
                    raise DataError(
                        f"{self.path}, line {line_no}: no field {field!r} (fields: "
                        f"{', '.join(row)}). Set id_field/summary_field in the config."
                    )
            value = row[self.spec.summary_field]
            out[str(row[self.spec.id_field])] = value if offset is None else offset
        return out

    def summarize(self, examples: Sequence[Example]) -> list[Summary]:
        with self.path.open("rb") as handle:
            return [self._one(ex, handle) for ex in examples]

    def _one(self, example: Example, handle) -> Summary:
        value = self._index.get(example.id)
        if isinstance(value, int):   # a JSONL line's offset (bool is never stored)
            handle.seek(value)
            try:
                row = json.loads(handle.readline() or b"{}")
                if str(row[self.spec.id_field]) != example.id:
                    raise KeyError(self.spec.id_field)
            except (json.JSONDecodeError, KeyError, TypeError):
                raise DataError(f"{self.path} changed during the run; run again.") from None
            value = row[self.spec.summary_field]
        if value is None:
            return Summary(example.id, (), error=f"no summary for id {example.id!r} in {self.path}")
        if isinstance(value, list):
            bullets = tuple(str(b).strip() for b in value if str(b).strip())
            bullets = bullets[: self.max_bullets] if self.max_bullets else bullets
            return Summary(example.id, bullets, raw_text="\n".join(bullets))
        return Summary(example.id, split_bullets(str(value), self.max_bullets), raw_text=str(value))


def _read_rows(path: Path) -> Iterator[tuple[int, int | None, dict]]:
    """(line number, byte offset, row) from a .jsonl/.json-lines file, read line by line,
    or (line number, None, row) from a .csv file."""
    if path.suffix.lower() == ".csv":
        text = path.read_text(encoding="utf-8", errors="replace")
        reader = csv.DictReader(text.splitlines(keepends=True))
        yield from ((i + 2, None, row) for i, row in enumerate(reader))
        return
    offset = 0
    with path.open("rb") as handle:
        for i, raw in enumerate(handle, start=1):
            start, offset = offset, offset + len(raw)
            line = raw.decode("utf-8", errors="replace")
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}, line {i}: not valid JSON ({err.msg}). Fix or remove the line.") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}, line {i}: expected a JSON object per line.")
            yield i, start, row


def build(spec, *, max_bullets):
    return Precomputed(spec, max_bullets=max_bullets)
