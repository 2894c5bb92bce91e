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
from ..text import BULLETS_VERSION, counted, split_bullets
from ..types import Example, Summary
from .base import fingerprint_of


class Precomputed:
    reads_example_id = True   # the file is looked up by id

    def __init__(self, spec, *, max_bullets: int | None):
        self.spec = spec
        self.label = spec.label
        self.max_bullets = max_bullets
        self.path = Path(spec.path)
        self._seen: tuple | None = None   # the file version the digest and index are of
        self._digest = ""

    def fingerprint(self) -> str:
        """Changes with the file's content (and the bullet splitting of text summaries)."""
        return fingerprint_of("precomputed", {
            "file_sha256": self._file_digest(), "id_field": self.spec.id_field,
            "summary_field": self.spec.summary_field, "max_bullets": self.max_bullets,
            "bullets": BULLETS_VERSION,
        })

    def _file_digest(self) -> str:
        """The file's sha256, hashed again only when its stat changes (it is asked for
        every window; re-reading a big file per summary was quadratic). Any rewrite moves
        the inode's ctime, which a program cannot set back; a new content also drops the
        id index built from the old one."""
        stat = self.path.stat()
        seen = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        if seen != self._seen:
            digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]
            if digest != self._digest:
                self.__dict__.pop("_index", None)
            self._seen, self._digest = seen, digest
        return self._digest

    @cached_property
    def _index(self) -> dict[str, int | object]:
        """{id: byte offset of its line} for JSONL (summaries are read back when asked
        for, so a big file is never held in memory); {id: summary} for CSV. An id on two
        lines is an error: which summary is meant cannot be guessed."""
        out: dict[str, int | object] = {}
        lines: dict[str, int] = {}
        for line_no, offset, row in _read_rows(self.path):
            for field in (self.spec.id_field, self.spec.summary_field):
                if field not in row:
                    raise DataError(
                        f"{self.path}, line {line_no}: no field {field!r} (fields: "
                        f"{', '.join(row)}). Set id_field/summary_field in the config."
                    )
            key = str(row[self.spec.id_field])
            if key in lines:
                raise DataError(
                    f"{self.path}, lines {lines[key]} and {line_no}: the same id {key!r}. "
                    "Keep one summary per id (remove or rename one of the lines).")
            lines[key] = line_no
            value = row[self.spec.summary_field]
            out[key] = value if offset is None else offset
        return out

    def check_ids(self, examples: Sequence[Example]) -> list[str]:
        """Warnings on how the file's ids meet the examples' (missing ones count as failed
        summaries); a DataError when none match or more than `max_missing` of the
        examples have no summary: such a run would measure the id mapping, not a model."""
        file_ids = self._index.keys()
        wanted = [ex.id for ex in examples]
        missing = [i for i in wanted if i not in file_ids]
        extra = file_ids - set(wanted)
        if wanted and len(missing) == len(wanted):
            raise DataError(
                f"{self.path}: none of the {counted(len(wanted), 'example id')} has a summary in it "
                f"(dataset ids: {_some(wanted)}; ids in the file: {_some(extra)}). Check "
                f"id_field (now {self.spec.id_field!r}) and the dataset's id field; ids "
                "must match exactly, case included.")
        if len(missing) > self.spec.max_missing * len(wanted):
            raise DataError(
                f"{self.path}: {len(missing)} of {counted(len(wanted), 'example')} "
                f"({len(missing) / len(wanted):.0%}) have no summary in it, more than "
                f"max_missing ({self.spec.max_missing:.0%}); missing: {_some(missing)}; ids "
                f"in the file the dataset lacks: {_some(extra)}. Fix the ids, or raise "
                f"max_missing (0 to 1) on the precomputed summarizer {self.label!r}.")
        warnings = []
        if missing:
            warnings.append(
                f"{self.label}: {len(missing)} of {counted(len(wanted), 'example')} have no summary in "
                f"{self.path} ({_some(missing)}); they count as failed (0 on every rate). "
                f"Ids in the file the dataset lacks: {_some(extra)}")
        elif extra:
            warnings.append(
                f"{self.label}: {counted(len(extra), 'id')} in {self.path} not among the "
                f"{counted(len(wanted), 'example')} loaded ({_some(extra)}): not scored")
        return warnings

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


def _some(ids, k: int = 3) -> str:
    shown = sorted(ids)[:k]
    if not shown:
        return "none"
    return ", ".join(repr(i) for i in shown) + (", ..." if len(ids) > k else "")


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
