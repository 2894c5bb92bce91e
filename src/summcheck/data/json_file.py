"""JSON data files, as `datasets`' json builder reads them: JSON Lines (one object per
line), or, when a line does not parse alone, one array of objects or objects spread over
lines. One pass checks every row (`mapping.row_problem`) and records its byte span."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .. import fastjson
from ..config import HFDataset
from ..errors import DataError
from .local import NO_TAP, RowTap
from .mapping import check_columns, kind, row_problem
from .sources import no_rows, not_utf8
from .spans import SpanIndex

_BOM = b"\xef\xbb\xbf"
_NON_SPACE = re.compile(r"[^ \t\n\r]")   # JSON's whitespace only
_DECODER = json.JSONDecoder()


class _NotLines(Exception):
    """A line that is not one JSON object: the file may still be other JSON."""


def index_json(spec: HFDataset, file: str, field: str, on_row: RowTap = NO_TAP) -> SpanIndex:
    """The rows of a JSON file, each checked; DataError at the first problem, with the
    config field, the file, the 1-based line (or `item N of the array`) and the fix.
    `on_row` is called with each row, once checked."""
    where = f"{field}: {file}"
    index, keys = SpanIndex(file, where, fastjson.loads), {}
    try:
        _scan_lines(spec, file, field, index, keys, on_row)
    except _NotLines as bad:   # read the whole file as JSON; else the bad line is the error
        index.clear()
        keys.clear()
        on_row.restart()   # the rows of a whole-file read are not handed on
        _scan_whole(spec, file, field, index, keys, bad)
    if not len(index):
        raise no_rows(field, file)
    check_columns(spec, list(keys), where=f"{where}:")  # e.g. a misspelt highlights key
    return index


def _fix(spec: HFDataset) -> str:
    f = spec.fields
    example = ", ".join(f'"{k}": ...' for k in (f.id, f.story, f.highlights) if k)
    return f"Each line must be one JSON object, like {{{example}}}"


def _check(spec: HFDataset, value: Any, where: str, at: str, keys: dict) -> None:
    """DataError unless `value` is a JSON object the field mapping can read."""
    problem = row_problem(spec, value) if isinstance(value, dict) else \
        f"{kind(value)}, not a JSON object. {_fix(spec)}; fix or remove it."
    if problem:
        raise DataError(f"{where}, {at}: {problem}")
    keys.update(dict.fromkeys(value))


def _scan_lines(spec: HFDataset, file: str, field: str, index: SpanIndex, keys: dict,
                on_row: RowTap) -> None:
    """JSON Lines: one object per line, blank lines skipped."""
    where = f"{field}: {file}"
    with open(file, "rb", buffering=fastjson.LINE_BUFFER) as handle:
        end = 0
        for number, line in enumerate(handle, 1):
            start, end = end, end + len(line)
            if number == 1 and line.startswith(_BOM):
                line, start = line[3:], start + 3
            line = line.rstrip()
            if not line:
                continue
            try:
                value = fastjson.loads_utf8(line)
            except UnicodeDecodeError as err:
                raise not_utf8(field, file, number, line[err.start]) from None
            except json.JSONDecodeError as err:
                raise _NotLines(f"line {number}: not valid JSON ({err.msg}: column "
                                f"{err.colno}). {_fix(spec)}; fix or remove it.") from None
            if not isinstance(value, dict):
                raise _NotLines(f"line {number}: {kind(value)}, not a JSON object. "
                                f"{_fix(spec)}; fix or remove it.")
            _check(spec, value, where, f"line {number}", keys)
            index.add(start, start + len(line))
            on_row(value)


def _scan_whole(spec: HFDataset, file: str, field: str, index: SpanIndex, keys: dict,
                bad: _NotLines) -> None:
    """One JSON array of objects, or objects spread over lines. The file is read whole
    (as `datasets` reads such a file); only the spans are kept."""
    data = Path(file).read_bytes()
    base = 3 if data.startswith(_BOM) else 0
    try:
        text = data[base:].decode("utf-8")
    except UnicodeDecodeError as err:
        at = base + err.start
        raise not_utf8(field, file, data.count(b"\n", 0, at) + 1, data[at]) from None
    where, to_byte = f"{field}: {file}", _ByteOffsets(text, base)
    first = _NON_SPACE.search(text)
    try:
        if first and text[first.start()] == "[" and \
                _scan_array(spec, text, first.start(), where, index, keys, to_byte):
            return
        index.clear()
        keys.clear()
        _scan_values(spec, text, where, index, keys, _ByteOffsets(text, base))
    except json.JSONDecodeError as err:
        if first and text[first.start()] == "[":   # an array: where its JSON breaks
            raise DataError(f"{where}, line {err.lineno}: not valid JSON ({err.msg}, column "
                            f"{err.colno}). Fix the JSON there (the file is one JSON "
                            "array).") from None
        raise DataError(f"{where}, {bad}") from None


def _scan_array(spec: HFDataset, text: str, pos: int, where: str, index: SpanIndex,
                keys: dict, to_byte: "_ByteOffsets") -> bool:
    """Index the items of the array at `text[pos]`; False if more JSON follows the array
    (then the file is a sequence of values). A bad item is reported once that is known."""
    problem = None
    pos = _skip(text, pos + 1)
    while not text.startswith("]", pos):
        value, end = _DECODER.raw_decode(text, pos)
        index.add(to_byte(pos), to_byte(end))
        try:
            _check(spec, value, where, f"item {len(index)} of the array", keys)
        except DataError as err:
            problem = problem or err
        pos = _skip(text, end)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif not text.startswith("]", pos):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
    if _skip(text, pos + 1) < len(text):
        return False
    if problem:
        raise problem
    return True


def _scan_values(spec: HFDataset, text: str, where: str, index: SpanIndex, keys: dict,
                 to_byte: "_ByteOffsets") -> None:
    """Index each top-level JSON value (an object, possibly over several lines)."""
    line, pos, counted = 1, 0, 0
    while (pos := _skip(text, pos)) < len(text):
        line, counted = line + text.count("\n", counted, pos), pos
        value, end = _DECODER.raw_decode(text, pos)
        _check(spec, value, where, f"line {line}", keys)
        index.add(to_byte(pos), to_byte(end))
        pos = end


def _skip(text: str, pos: int) -> int:
    """The position of the first non-whitespace character at or after `pos`."""
    match = _NON_SPACE.search(text, pos)
    return match.start() if match else len(text)


class _ByteOffsets:
    """Character positions in the decoded text to byte offsets in the file, for positions
    asked in increasing order (each slice of text is encoded once)."""

    def __init__(self, text: str, base: int):
        self.text, self.base, self.ascii = text, base, text.isascii()
        self.char, self.byte = 0, base

    def __call__(self, char: int) -> int:
        if self.ascii:
            return self.base + char
        self.byte += len(self.text[self.char:char].encode("utf-8"))
        self.char = char
        return self.byte
