"""Summaries produced elsewhere (another machine, an API model), read from JSONL or CSV.

Each row has an id column and a summary column; the summary is a list of bullets or a
text that is split into bullets. An example with no row gets a per-example error.

The file is the source of its summaries: they are read from it on every run and never
copied into the generation cache (`caches_generations = False`). For JSONL, memory stays
flat in the file's size: the id index (each id's 128-bit hash, as wide as the caches'
keys, its row and its line's byte offset) is kept in memory-mapped scratch files
(`summcheck.scratch`), and lines are read back when asked for. A CSV file's summaries are
held (a quoted field may span lines: no line offsets to keep).
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import json
from functools import cached_property
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .. import fastjson, scratch
from ..data.csv_file import wrong_delimiter
from ..data.mapping import kind, no_id, repeated_column
from ..errors import DataError
from ..text import (BULLETS_VERSION, LIST_BULLETS_VERSION, counted, list_bullets, split_bullets,
                    written_list)
from ..types import Example, Summary
from .base import Summarizer, fingerprint_of

_CHUNK = 4096   # ids hashed at a time


class Precomputed(Summarizer):
    reads_example_id = True      # the file is looked up by id
    caches_generations = False   # the file is the source: read again on every run

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
            "bullets": BULLETS_VERSION, "list_bullets": LIST_BULLETS_VERSION,
        })

    def _file_digest(self) -> str:
        """The file's sha256, hashed again only when its stat changes (it is asked for
        every window; re-reading a big file per summary was quadratic). Any rewrite moves
        the inode's ctime, which a program cannot set back; a new content also drops the
        id index built from the old one. Read in blocks: the file is never held whole."""
        stat = self.path.stat()
        seen = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        if seen != self._seen:
            digest = hashlib.sha256()
            with self.path.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
            if digest.hexdigest()[:16] != self._digest:
                self.__dict__.pop("_index", None)
                self.__dict__.pop("_csv_rows", None)
            self._seen, self._digest = seen, digest.hexdigest()[:16]
        return self._digest

    def check_file(self) -> int:
        """Read the whole file as a run reads it (JSON, fields, duplicate ids): a
        DataError at the first problem, else the number of rows (`summcheck validate`)."""
        return len(self._index)

    @property
    def _is_csv(self) -> bool:
        return self.path.suffix.lower() == ".csv"

    @cached_property
    def _csv_rows(self) -> list[tuple[str, object]]:
        """(id, summary) of each CSV row, in file order (`_csv_lines`: where each starts)."""
        rows = list(self._rows())
        self._csv_lines = [line for line, _, _, _ in rows]
        return [(key, value) for _, _, key, value in rows]

    @cached_property
    def _index(self) -> "IdIndex":
        """Where each id's row is: a JSONL line's byte offset, or a CSV row's number. An
        id on two lines is an error: which summary is meant cannot be guessed.

        The file's digest is taken first, so the first `fingerprint()` after the index is
        built finds the same file and keeps it (it dropped the index once per run, which
        then read the whole file again and held two indexes)."""
        self._file_digest()
        keys: list[str] = []
        positions: list[int] = []
        digests, where = scratch.Rows(np.uint64, 2), scratch.Rows(np.int64)
        located = ((key, n) for n, (key, _) in enumerate(self._csv_rows)) if self._is_csv \
            else ((key, offset) for _, offset, key, _ in self._rows())
        for key, position in located:
            keys.append(key)
            positions.append(position)
            if len(keys) == _CHUNK:
                digests.add(_hashes(keys))
                where.add(positions)
                keys.clear()
                positions.clear()
        digests.add(_hashes(keys))
        where.add(positions)
        index = IdIndex(digests.mapped(), where.mapped()[:, 0])
        if (pair := index.first_duplicate()) is not None:
            first, second = (self._line(w) for w in pair)
            raise DataError(
                f"{self.path}, lines {first} and {second}: the same id "
                f"{self._id_at(pair[1])!r}. Keep one summary per id (remove or rename one "
                "of the lines).")
        return index

    def _rows(self) -> Iterator[tuple[int, int | None, str, object]]:
        """(line number, byte offset or None for CSV, id, summary) of every row; a missing
        field is an error naming the line."""
        fields = (self.spec.id_field, self.spec.summary_field)
        for line_no, offset, row in _read_rows(self.path, fields):
            for field in fields:
                if field not in row:
                    raise DataError(
                        f"{self.path}, line {line_no}: no field {field!r} (fields: "
                        f"{', '.join(row)}). Set id_field/summary_field in the config."
                    )
            if no_id(row[self.spec.id_field]):
                raise DataError(
                    f"{self.path}, line {line_no}: {self.spec.id_field!r} is missing or empty "
                    "(it was read as the id \"None\" or \"nan\"). Give every summary the id of "
                    "its example.")
            summary = row[self.spec.summary_field]
            if (problem := _not_a_summary(summary)) is not None:
                raise DataError(
                    f"{self.path}, line {line_no}: {self.spec.summary_field!r} is {problem}. "
                    "Give the summary as a string or a list of strings.")
            if written_list(summary):
                raise DataError(
                    f"{self.path}, line {line_no}: {self.spec.summary_field!r} is a list "
                    f"written as text ({_preview(summary)}): it would be scored as one bullet "
                    "holding the brackets and quotes (rougeLsum then equals rougeL and "
                    "max_bullets never cuts). Write the bullets one per line in the text, "
                    "or as a JSON list in a .jsonl file.")
            yield line_no, offset, str(row[self.spec.id_field]), summary

    def _line(self, where: int) -> int:
        """The line number of a row (error messages only): the line a CSV row starts on
        (a quoted field may span lines), a JSONL line's newlines before its offset + 1."""
        if self._is_csv:
            self._csv_rows   # noqa: B018 - fills _csv_lines
            return self._csv_lines[where]
        with self.path.open("rb") as handle:
            return handle.read(where).count(b"\n") + 1

    def _id_at(self, where: int) -> str:
        return self._csv_rows[where][0] if self._is_csv else self._read_lines([where])[0][0]

    def _read_lines(self, offsets: Sequence[int]) -> list[tuple[str, object]]:
        """(id, summary) of the JSONL lines at `offsets`, read in file order."""
        out: list[tuple[str, object]] = [("", None)] * len(offsets)
        with self.path.open("rb") as handle:
            for i in sorted(range(len(offsets)), key=offsets.__getitem__):
                handle.seek(offsets[i])
                try:
                    row = fastjson.loads(handle.readline() or b"{}")
                    out[i] = (str(row[self.spec.id_field]), row[self.spec.summary_field])
                except (ValueError, KeyError, TypeError):   # JSON, UTF-8 errors are ValueErrors
                    raise DataError(f"{self.path} changed during the run; run again.") from None
        return out

    def id_check(self) -> "IdCheck":
        """How the dataset's ids meet the file's, fed a chunk of ids at a time (the run
        reads its examples once for every such question)."""
        return IdCheck(self)

    def summarize(self, examples: Sequence[Example]) -> list[Summary]:
        ids = [ex.id for ex in examples]
        where = self._index.where_of(ids)
        if self._is_csv:
            found = [self._csv_rows[w] if w >= 0 else (i, None) for i, w in zip(ids, where)]
        else:
            rows = iter(self._read_lines([int(w) for w in where if w >= 0]))
            found = [next(rows) if w >= 0 else (i, None) for i, w in zip(ids, where)]
        if any(key != i for (key, _), i in zip(found, ids)):
            raise DataError(f"{self.path} changed during the run; run again.")
        return [self._summary(i, value) for i, (_, value) in zip(ids, found)]

    def _summary(self, example_id: str, value) -> Summary:
        if value is None:
            return Summary(example_id, (), error=f"no summary for id {example_id!r} in {self.path}")
        listed = isinstance(value, list)
        if listed:   # read as split_bullets reads lines; a null is no bullet (was "None")
            every = list_bullets(str(v) for v in value if v is not None)
        else:
            every = split_bullets(str(value))
        bullets = every[:self.max_bullets or None]
        raw = "\n".join(bullets) if listed else str(value)
        cut = {"bullets_cut": len(every) - len(bullets)} if len(every) > len(bullets) else {}
        return Summary(example_id, bullets, raw_text=raw, meta=cut)


def _not_a_summary(value) -> str | None:
    """What a JSON summary is when it is not text (its Python repr would be scored as
    the model's words), e.g. "an object"; None for a string, null or list of them."""
    if value is None or isinstance(value, str):
        return None
    if not isinstance(value, list):
        return kind(value)
    for i, item in enumerate(value, start=1):
        if item is not None and not isinstance(item, str):
            return f"a list whose item {i} is {kind(item)}"
    return None


def _preview(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[:width - 3] + "...")


def _digests(keys: Sequence[str]) -> bytes:
    """Each key's 128-bit blake2b digest, concatenated."""
    return b"".join(hashlib.blake2b(k.encode("utf-8", "surrogatepass"), digest_size=16).digest()
                    for k in keys)


def _hashes(keys: Sequence[str]) -> np.ndarray:
    """The keys' digests as a (keys, 2) uint64 table: the hash's two 64-bit halves."""
    return np.frombuffer(_digests(keys), np.uint64).reshape(-1, 2)


class IdIndex:
    """Row positions by id: the ids' 128-bit hashes, sorted (two of a million ids share
    one with a probability near 1e-27), each one's row, and where each row is (`where`,
    in file order). All of it is memory-mapped from scratch files (`scratch.sort_hashes`
    sorts them a bucket at a time), so the index takes no memory per row."""

    def __init__(self, digests: np.ndarray, where: np.ndarray):
        table = scratch.sort_hashes(digests)
        self.hi, self.lo, self.row = table[0], table[1], table[2].view(np.int64)
        self.where = where

    def __len__(self) -> int:
        return len(self.where)

    def first_duplicate(self) -> tuple[int, int] | None:
        """(where, where) of the first row whose id an earlier row has, and of that
        earlier row; None when every id is unique."""
        pair = scratch.first_repeat(self.hi, self.lo, self.row)
        if pair is None:
            return None
        return int(self.where[pair[0]]), int(self.where[pair[1]])

    def find(self, keys: Sequence[str]) -> np.ndarray:
        """Each key's position in the index, -1 where no row has it."""
        if not len(self) or not keys:
            return np.full(len(keys), -1, dtype=np.int64)
        return self.find_hashes(_hashes(keys))

    def find_hashes(self, query: np.ndarray) -> np.ndarray:
        """`find` for keys given as their (keys, 2) hash table: the first position whose
        two halves both match, -1 where none does."""
        out = np.full(len(query), -1, dtype=np.int64)
        if not len(self) or not len(query):
            return out
        left = np.searchsorted(self.hi, query[:, 0], "left")
        right = np.searchsorted(self.hi, query[:, 0], "right")
        one = np.flatnonzero(right - left == 1)   # the usual case, looked at all at once
        match = self.lo[left[one]] == query[one, 1]
        out[one[match]] = left[one[match]]
        for i in np.flatnonzero(right - left > 1):   # rows whose first 64 bits collide
            for j in range(left[i], right[i]):
                if self.lo[j] == query[i, 1]:
                    out[i] = j
                    break
        return out

    def where_of(self, keys: Sequence[str]) -> np.ndarray:
        """Each key's row (offset or row number), -1 where no row has it."""
        found = self.find(keys)
        if not len(self):
            return found
        return np.where(found >= 0, self.where[self.row[np.maximum(found, 0)]], -1)


class IdCheck:
    """Warnings on how the file's ids meet the examples' (missing ones count as failed
    summaries); `finish` raises a DataError when none match or more than `max_missing` of
    the examples have no summary: such a run would measure the id mapping, not a model.
    Holds a flag per file row (in a scratch file) and a few ids to name, whatever the
    number of examples."""

    def __init__(self, pre: Precomputed):
        self.pre, self.index = pre, pre._index
        self.matched = scratch.zeros((len(self.index),), np.bool_)   # by row, file order
        self.n_wanted = 0
        self.wanted, self.missing = _Smallest(), _Smallest()

    def add(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            found = self.index.find(chunk)
            self.matched[self.index.row[found[found >= 0]]] = True
            self.n_wanted += len(chunk)
            self.wanted.add(chunk)
            self.missing.add([chunk[i] for i in np.flatnonzero(found < 0)])

    def finish(self) -> list[str]:
        pre, n, missing = self.pre, self.n_wanted, self.missing
        extra = self._extra()
        if n and missing.count == n:
            raise DataError(
                f"{pre.path}: none of the {counted(n, 'example id')} has a summary in it "
                f"(dataset ids: {self.wanted}; ids in the file: {extra}). Check "
                f"id_field (now {pre.spec.id_field!r}) and the dataset's id field; ids "
                "must match exactly, case included.")
        if missing.count > pre.spec.max_missing * n:
            raise DataError(
                f"{pre.path}: {missing.count} of {counted(n, 'example')} "
                f"({missing.count / n:.0%}) have no summary in it, more than "
                f"max_missing ({pre.spec.max_missing:.0%}); missing: {missing}; ids "
                f"in the file the dataset lacks: {extra}. Fix the ids, or raise "
                f"max_missing (0 to 1) on the precomputed summarizer {pre.label!r}.")
        if missing.count:
            return [f"{pre.label}: {missing.count} of {counted(n, 'example')} have no summary "
                    f"in {pre.path} ({missing}); they count as failed (0 on every rate). "
                    f"Ids in the file the dataset lacks: {extra}"]
        if extra.count:
            return [f"{pre.label}: {counted(extra.count, 'id')} in {pre.path} not among the "
                    f"{counted(n, 'example')} loaded ({extra}): not scored"]
        return []

    def _extra(self) -> "_Smallest":
        """The file's ids no example has (their rows read back, in file order)."""
        extra = _Smallest()
        for part in scratch.blocks(len(self.index), _CHUNK):
            rows = self.index.where[part][~self.matched[part]].tolist()
            extra.add([self.pre._csv_rows[w][0] for w in rows] if self.pre._is_csv
                      else [key for key, _ in self.pre._read_lines(rows)])
        return extra


class _Smallest:
    """A count of ids and the `k` smallest of them, shown as "'a', 'b', 'c', ..."."""

    def __init__(self, k: int = 3):
        self.k, self.count, self.ids = k, 0, []

    def add(self, ids: Sequence[str]) -> None:
        self.count += len(ids)
        self.ids = heapq.nsmallest(self.k, [*self.ids, *ids])

    def __str__(self) -> str:
        if not self.ids:
            return "none"
        return ", ".join(repr(i) for i in self.ids) + (", ..." if self.count > self.k else "")


def _read_rows(path: Path, fields: Sequence[str]) -> Iterator[tuple[int, int | None, dict]]:
    """(line number, byte offset, row) from a .jsonl/.json-lines file, read line by line,
    or (line number the row starts on, None, row) from a .csv file. Bytes that are not
    UTF-8, CSV rows with more or fewer fields than the header, and a CSV header naming
    one of `fields` twice are errors naming the line: a summary silently cut, altered or
    taken from the wrong column would be scored as the model's."""
    if path.suffix.lower() == ".csv":
        yield from _csv_rows(path, fields)
        return
    offset = 0
    with path.open("rb", buffering=fastjson.LINE_BUFFER) as handle:
        for i, raw in enumerate(handle, start=1):
            start, offset = offset, offset + len(raw)
            line = _utf8(raw[3:] if i == 1 and raw.startswith(b"\xef\xbb\xbf") else raw,
                         path, i)
            if not line.strip():
                continue
            try:
                row = fastjson.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}, line {i}: not valid JSON ({err.msg}). Fix or remove the line.") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}, line {i}: expected a JSON object per line.")
            yield i, start, row


def _utf8(raw: bytes, path: Path, line: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}, line {line}: byte {raw[err.start]:#04x} at column "
                        f"{err.start + 1} is not UTF-8. Save the file as UTF-8.") from None


def _csv_rows(path: Path, fields: Sequence[str]) -> Iterator[tuple[int, None, dict]]:
    """The rows of a CSV file as the csv module reads it (only "\r" and "\n" end a line,
    as in the data loader; str.splitlines also broke at U+2028 and other separators)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, [])
            if fields[0] not in header and (problem := wrong_delimiter(header, str(path),
                                                                       "its path")):
                raise DataError(f"{path}, line 1 (the header): {problem}")
            for field in fields:
                if twice := repeated_column(header, field):
                    raise DataError(f"{path}, line 1 (the header): {twice}")
            start = reader.line_num + 1
            for row in reader:
                if len(row) != len(header) and any(row):
                    raise DataError(
                        f"{path}, line {start}: {len(row)} fields, but the header has "
                        f"{len(header)}. Quote fields that hold commas or line breaks.")
                if any(row):
                    yield start, None, dict(zip(header, row))
                start = reader.line_num + 1
        except UnicodeDecodeError:
            raw = path.read_bytes()
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as err:
                _utf8(raw[raw.rfind(b"\n", 0, err.start) + 1:err.end], path,
                      raw.count(b"\n", 0, err.start) + 1)
            raise   # not reached: the whole file decoded where a part did not
        except csv.Error as err:
            raise DataError(f"{path}, line {reader.line_num}: {err}. Fix the CSV quoting.") \
                from None


def build(spec, *, max_bullets):
    return Precomputed(spec, max_bullets=max_bullets)
