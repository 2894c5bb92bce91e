"""CSV data files: a header line, then one record per row (quoted fields may hold commas,
quotes and newlines). One pass checks every row and records the bytes of each record.

Fields are read as text, as written: an empty field is null, as in `datasets` (pandas),
but an id such as 007 stays "007" and a field "NA" stays "NA" (pandas reads them as the
number 7 and as null)."""

from __future__ import annotations

import csv
import io
import shlex
import sys
from pathlib import Path
from typing import Any, Iterator

from ..config import HFDataset
from ..errors import DataError
from .local import NO_TAP, RowTap
from .mapping import check_columns, row_problem
from .sources import no_rows, not_utf8
from .spans import SpanIndex

_FIELD_LIMIT = 2**31 - 1   # csv's default (131,072 characters) is shorter than some stories


class _Lines:
    """A file's lines as `open(newline="")` gives them (split at \\n, \\r\\n or \\r, kept),
    counting the bytes read so far (`end`): where the csv reader's next record starts."""

    def __init__(self, handle: io.TextIOWrapper, start: int):
        self.handle, self.end = handle, start

    def __iter__(self) -> Iterator[str]:
        for line in self.handle:
            self.end += len(line) if line.isascii() else len(line.encode("utf-8"))
            yield line


def index_csv(spec: HFDataset, file: str, field: str, on_row: RowTap = NO_TAP) -> SpanIndex:
    """The records of a CSV file, each checked; DataError at the first problem, with the
    config field, the file, the 1-based line the record starts on and the fix. Quoting
    that only Python's strict reader refuses is read leniently, as pandas does. `on_row`
    is called with each row, once checked."""
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    try:
        index = _scan(spec, file, field, on_row, strict=True)
        if index is None:
            on_row.restart()   # the rows of the lenient scan are not handed on
            index = _scan(spec, file, field, NO_TAP, strict=False)
        return index
    except UnicodeDecodeError:
        raise _first_non_utf8(file, field) from None


def _scan(spec: HFDataset, file: str, field: str, on_row: RowTap, *,
          strict: bool) -> SpanIndex | None:
    """The index, or None when the strict reader fails on quoting it could read leniently."""
    where = f"{field}: {file}"
    index, header = SpanIndex(file, where), None
    with open(file, "rb") as handle:
        bom = handle.read(3) == b"\xef\xbb\xbf"
    with open(file, encoding="utf-8-sig", newline="") as handle:
        lines = _Lines(handle, 3 if bom else 0)
        reader, number = csv.reader(lines, strict=strict), 1
        while True:
            start = lines.end
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                if strict and "unexpected end of data" not in str(err):
                    return None
                raise _bad_record(where, number, err) from None
            at, number = f"line {number}", reader.line_num + 1
            if not any(v.strip() for v in values):
                continue
            if header is None:
                header = values
                _check_delimiter(spec, header, file, field, f"{where}, {at} (the header):")
                check_columns(spec, header, where=f"{where}, {at} (the header):")
                continue
            _check(spec, header, values, where, at)
            index.add(start, lines.end)
            on_row(_row(header, values))
    if not len(index):
        raise no_rows(field, file)
    index.parse = lambda data: _row(header, _record(data))
    return index


def _check_delimiter(spec: HFDataset, header: list[str], file: str, field: str,
                     where: str) -> None:
    """A header read as one column holding ';' or a tab: the file uses that delimiter
    (the column message would say to change the field mapping)."""
    if spec.fields.story not in header and (problem := wrong_delimiter(header, file, field)):
        raise DataError(f"{where} {problem}")


def wrong_delimiter(header: list[str], file: str, field: str) -> str | None:
    """What to say of a CSV header read as one column holding ';' or a tab (a file of
    another delimiter), with a command that rewrites it with commas; None otherwise."""
    sep = next((c for c in ";\t" if len(header) == 1 and c in header[0]), None)
    if sep is None:
        return None
    name = "a tab" if sep == "\t" else repr(sep)
    out = str(Path(file).with_name(f"{Path(file).stem}-comma.csv"))
    convert = ("import csv, sys; csv.writer(sys.stdout).writerows(csv.reader(open(sys.argv[1], "
               f"newline='', encoding='utf-8-sig'), delimiter={sep!r}))")
    return (f"the header is one column, {header[0]!r}: the file seems to use {name} as its "
            "delimiter, and summcheck reads comma-separated CSV. Save it with commas (e.g. "
            f"`{shlex.quote(sys.executable)} -X utf8 -c \"{convert}\" {shlex.quote(file)} > "
            f"{shlex.quote(out)}`) and point {field} at the result.")


def _check(spec: HFDataset, header: list[str], values: list[str], where: str, at: str) -> None:
    if len(values) > len(header):
        raise DataError(
            f"{where}, {at}: {len(values)} fields, but the header has {len(header)}. "
            'Quote fields that hold commas ("a, b") or remove the extra fields.')
    problem = row_problem(spec, _row(header, values))   # a short row's last fields: null
    if problem:
        short = (f"{len(values)} fields, but the header has {len(header)}, so " if
                 len(values) < len(header) else "")
        raise DataError(f"{where}, {at}: {short}{problem}")


def _row(header: list[str], values: list[str]) -> dict[str, Any]:
    """The row as `datasets` gives it: every header column, an empty or absent field null."""
    return {name: (values[i] or None) if i < len(values) else None
            for i, name in enumerate(header)}


def _record(data: bytes) -> list[str]:
    """The fields of one record from its bytes (read again after the checked scan)."""
    return next(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=False))


def _bad_record(where: str, number: int, err: csv.Error) -> DataError:
    if "unexpected end of data" in str(err):
        return DataError(f"{where}, line {number}: a quoted field opened on this line is never "
                         'closed. Close the quote, and double any quote inside it ("").')
    return DataError(f"{where}, line {number}: not valid CSV ({err}). Fix the record, quoting "
                     'fields that hold commas, quotes or line breaks ("a, ""b""").')


def _first_non_utf8(file: str, field: str) -> DataError:
    """The not-UTF-8 message for the first bad line of `file`."""
    with open(file, "rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as err:
                return not_utf8(field, file, number, line[err.start])
    raise AssertionError(f"{file} decoded line by line")  # pragma: no cover
