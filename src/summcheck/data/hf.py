"""Hugging Face datasets: hub ids (cnn_dailymail, xsum, ...) or local json/csv/parquet files.

`datasets` is imported lazily: it is an optional extra (`summcheck[hf]`).
"""

from __future__ import annotations

import csv
import difflib
import glob
import json
import logging
import re
from itertools import islice
from pathlib import Path
from typing import Any, Iterator

from ..config import LOCAL_BUILDERS, HFDataset
from ..errors import DataError, MissingExtraError
from ..text import strip_bullet
from ..types import Example
from . import ExampleRows, sample_indices

# A local file given as `path:` is read by the builder its extension names.
_BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4", ".tar")  # read by datasets only
_JSON_CHUNK_BYTES = 1 << 20
_RELATIVE = "(relative paths are read from the config file's folder)"

_OFFLINE_HINTS = (
    "couldn't reach", "offline", "name or service not known", "temporary failure in name",
    "failed to resolve", "max retries exceeded", "connection", "timed out",
)


def load_hf(spec: HFDataset) -> ExampleRows:
    """Load and sample (before converting rows) one split of a dataset, as Examples read
    from the memory-mapped table a chunk at a time: a run never holds them all. Every row
    is converted once here, so bad rows fail now, not halfway through a run. Local files
    are checked line by line first (`check_local_files`)."""
    check_local_files(spec)
    ds = _load_split(spec)
    _check_columns(spec, ds.column_names, where=f"{_where(spec)}:")
    indices = sample_indices(len(ds), spec.sample, spec.seed)
    rows = ds.select(indices) if len(indices) < len(ds) else ds

    def read(start: int, stop: int) -> list[Example]:
        try:
            columns = rows[start:stop]
            names = list(columns)
            return [_to_example(spec, dict(zip(names, values)), indices[start + i])
                    for i, values in enumerate(zip(*(columns[n] for n in names)))]
        except UnicodeDecodeError as err:  # pyarrow's JSON reader keeps invalid bytes until here
            raise DataError(f"{_where(spec)}: not UTF-8 text ({err}). Re-encode the data as "
                            "UTF-8.") from err

    examples = ExampleRows(len(indices), read)
    for _ in examples:
        pass
    return examples


def _load_split(spec: HFDataset) -> Any:
    try:
        import datasets
    except ImportError:
        raise MissingExtraError("datasets", "hf") from None
    path, data_files = _resolve_source(spec)
    # JSON is converted to Arrow 1 MB at a time (datasets' default, 10 MB, took a 60 MB file
    # of 20,000 stories to a 226 MB peak; 1 MB: 112 MB; the table is the same)
    extra = {"chunksize": _JSON_CHUNK_BYTES} if path == "json" else {}
    logger = logging.getLogger("datasets")  # its error log would repeat the message below
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        ds = datasets.load_dataset(
            path, spec.name, split=spec.split, revision=spec.revision, data_files=data_files,
            **extra,
        )
    except Exception as err:  # datasets raises many kinds; all mean "could not load"
        raise DataError(_load_failure(spec, err)) from err
    finally:
        logger.setLevel(level)
    _release_arrow_memory()
    return ds


def _release_arrow_memory() -> None:
    """Hand back what Arrow's allocator kept from a first-time conversion of a file to
    Arrow (tens of MB at 20,000 CNN/DM stories); the table itself is memory-mapped from
    datasets' cache."""
    import pyarrow

    pyarrow.default_memory_pool().release_unused()


def _resolve_source(spec: HFDataset) -> tuple[str, Any]:
    """The (builder or hub id, data_files) pair to pass to `load_dataset`.

    A single file or list of files is keyed by `spec.split`: `datasets` would otherwise
    call it "train" and `split: test` (the default) would not find it.
    """
    suffix = Path(spec.path).suffix.lower()
    if suffix in _BUILDERS:
        if spec.data_files is not None:
            raise DataError(
                f"{_where(spec)}: path is a data file, so data_files must be left out. Either "
                f"write `path: {spec.path}` alone, or `path: {_BUILDERS[suffix]}` with data_files."
            )
        if not Path(spec.path).is_file():
            raise DataError(f"dataset.path: file not found: {spec.path}. Fix dataset.path "
                            f"{_RELATIVE}.")
        return _BUILDERS[suffix], {spec.split: spec.path}
    if isinstance(spec.data_files, (str, list)):
        return spec.path, {spec.split: spec.data_files}
    return spec.path, spec.data_files


def _load_failure(spec: HFDataset, err: Exception) -> str:
    cause = err.__cause__ if type(err).__name__ == "DatasetGenerationError" else None
    detail = f"{err} ({type(cause).__name__}: {cause})" if cause else str(err)
    detail = detail if len(detail) <= 600 else detail[:600] + " ..."
    message = f"{_where(spec)}: could not load split {spec.split!r}: {type(err).__name__}: {detail}"
    text = str(err).lower()
    if isinstance(err, ConnectionError) or any(hint in text for hint in _OFFLINE_HINTS):
        message += (
            "\nThe hub is not reachable; use local files with `path: json` + `data_files:` "
            "(or `path: my.jsonl`)."
        )
    if "scripts are no longer supported" in text:
        message += '\nThis hub dataset uses a loading script; try `revision: refs/convert/parquet`.'
    return message


def check_local_files(spec: HFDataset) -> int:
    """Read each local data file once, as datasets would, and raise DataError at the first
    problem, naming the config field, the file, the 1-based line, what is wrong and the fix.
    Returns the rows checked (0 for a hub dataset). Needs no `datasets`: validate uses it."""
    builder, _ = _resolve_source(spec)
    field = "dataset.path" if Path(spec.path).suffix.lower() in _BUILDERS else "dataset.data_files"
    rows = 0
    for file in _local_files(spec, field):
        where = f"{field}: {file}"
        if Path(file).suffix.lower() in _COMPRESSED:
            continue
        if builder == "parquet":
            rows += _check_parquet(spec, file, where, field)
            continue
        if _has_no_rows(file, builder):
            raise _no_rows(field, file)
        bad = _first_non_utf8(file)
        if bad:
            line, byte = bad
            fixed = Path(file).with_name(f"{Path(file).stem}-utf8{Path(file).suffix}")
            raise DataError(
                f"{where} is not UTF-8 text (line {line} has byte 0x{byte:02x}). Re-encode it "
                f"as UTF-8 (for Latin-1: `iconv -f latin1 -t utf-8 {file} > {fixed}`) and "
                f"point {field} at the result.")
        rows += _check_json(spec, file, where) if builder == "json" else \
            _check_csv(spec, file, where)
    return rows


def _local_files(spec: HFDataset, field: str) -> list[str]:
    """The local files a json/csv/parquet dataset reads (globs expanded); none for a hub id,
    whose data_files name files in the hub repo."""
    builder, data_files = _resolve_source(spec)
    if builder not in LOCAL_BUILDERS or data_files is None:
        return []
    files = data_files.get(spec.split) if isinstance(data_files, dict) else data_files
    out = []
    for pattern in [files] if isinstance(files, str) else list(files or []):
        found = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) \
            else [pattern] if Path(pattern).is_file() else []
        if not found:
            what = "no file matches" if glob.has_magic(pattern) else "file not found:"
            raise DataError(f"{field}: {what} {pattern}. Fix {field} {_RELATIVE}.")
        out += [f for f in found if Path(f).is_file()]
    return out


def _no_rows(field: str, file: str) -> DataError:
    return DataError(f"{field}: {file} has no rows. Add examples to it or fix {field}.")


def _has_no_rows(file: str, builder: str) -> bool:
    """True for an empty or blank text file, a CSV with only its header, or a JSON `[]`."""
    with open(file, "rb") as handle:
        lines = list(islice((line.strip() for line in handle if line.strip()), 2))
    if builder == "json" and lines in ([b"[]"], [b"[", b"]"]):
        return True
    return len(lines) <= (1 if builder == "csv" else 0)


def _first_non_utf8(file: str) -> tuple[int, int] | None:
    """(line number, byte) of the first byte that is not valid UTF-8 in a text data file."""
    with open(file, "rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as err:
                return number, line[err.start]
    return None


# ---------------------------------------------------------------- checking rows
def _check_json(spec: HFDataset, file: str, where: str) -> int:
    f = spec.fields
    example = ", ".join(f'"{k}": ...' for k in (f.id, f.story, f.highlights) if k)
    keys: dict[str, None] = {}
    rows = 0
    fix = f"Each line must be one JSON object, like {{{example}}}"
    for at, row in _json_rows(file, where=where, fix=fix):
        problem = _row_problem(spec, row) if isinstance(row, dict) else \
            f"{_kind(row)}, not a JSON object. {fix}; fix or remove it."
        if problem:
            raise DataError(f"{where}, {at}: {problem}")
        keys.update(dict.fromkeys(row))
        rows += 1
    _check_columns(spec, list(keys), where=f"{where}:")  # e.g. a misspelt highlights key
    return rows


class _BadLine(Exception):
    pass


def _json_rows(file: str, *, where: str, fix: str) -> Iterator[tuple[str, Any]]:
    """("line N", value) for each line of a JSON Lines file. Other JSON that datasets also
    reads (one array of objects; objects spread over lines) is parsed whole, only when a
    line does not parse alone; when it is not JSON either, the first bad line is the error."""
    done = 0
    try:
        with open(file, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line.rstrip())
                except json.JSONDecodeError as err:
                    raise _BadLine(f"line {number}: not valid JSON ({err.msg}: column "
                                   f"{err.colno}). {fix}; fix or remove it.") from None
                if not isinstance(value, dict):
                    raise _BadLine(f"line {number}: {_kind(value)}, not a JSON object. {fix}; "
                                   "fix or remove it.")
                yield f"line {number}", value
                done += 1
    except _BadLine as bad:
        values = _json_values(Path(file).read_text(encoding="utf-8-sig"))
        if values is None:
            raise DataError(f"{where}, {bad}") from None
        if len(values) == 1 and isinstance(values[0][1], list):   # one JSON array
            yield from ((f"item {i} of the array", v) for i, v in enumerate(values[0][1], 1))
        else:
            yield from ((f"line {line}", v) for line, v in values[done:])


_NON_SPACE = re.compile(r"\S")


def _json_values(text: str) -> list[tuple[int, Any]] | None:
    """(1-based line where it starts, value) of each JSON value in `text`; None if not JSON."""
    decoder, values, pos, line = json.JSONDecoder(), [], 0, 1
    while match := _NON_SPACE.search(text, pos):
        line += text.count("\n", pos, match.start())
        try:
            value, end = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            return None
        values.append((line, value))
        line += text.count("\n", match.start(), end)
        pos = end
    return values


def _check_csv(spec: HFDataset, file: str, where: str) -> int:
    rows, header = 0, None
    for at, values in _csv_records(file, where):
        if header is None:
            header = values
            _check_columns(spec, header, where=f"{where}, line 1 (the header):")
            continue
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            raise DataError(
                f"{where}, {at}: {len(values)} fields, but the header has {len(header)}. "
                'Quote fields that hold commas ("a, b") or remove the extra fields.')
        row = {k: v or None for k, v in zip(header, values)}  # datasets reads "" as null
        problem = _row_problem(spec, row)
        if problem:
            raise DataError(f"{where}, {at}: {problem}")
        rows += 1
    return rows


def _csv_records(file: str, where: str, strict: bool = True) -> Iterator[tuple[str, list[str]]]:
    """("line N", fields) of each CSV record, N the line it starts on. A quote left open to
    the end of the file is an error (datasets' pandas reader refuses it too); other quoting
    that only Python's strict reader refuses is read leniently, as pandas does."""
    done = 0
    with open(file, encoding="utf-8-sig", newline="") as handle:
        reader, start = csv.reader(handle, strict=strict), 1
        try:
            for values in reader:
                yield f"line {start}", values
                done, start = done + 1, reader.line_num + 1
        except csv.Error as err:
            if "unexpected end of data" in str(err):
                raise DataError(
                    f"{where}, line {start}: a quoted field opened on this line is never "
                    'closed. Close the quote, and double any quote inside it ("").') from None
            yield from islice(_csv_records(file, where, strict=False), done, None)


def _check_parquet(spec: HFDataset, file: str, where: str, field: str) -> int:
    """Rows of a parquet file whose schema has the mapped columns and a text story column."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtraError("pyarrow", "hf") from None
    try:
        parquet = pq.ParquetFile(file)
    except Exception as err:  # noqa: BLE001 - pyarrow raises several kinds
        raise DataError(f"{where}: not a readable parquet file ({err}). Write it again (e.g. "
                        f"pandas' to_parquet) or fix {field}.") from None
    if parquet.metadata.num_rows == 0:
        raise _no_rows(field, file)
    schema = parquet.schema_arrow
    _check_columns(spec, schema.names, where=f"{where}:")
    story = schema.field(spec.fields.story).type
    if str(story) not in ("string", "large_string", "string_view"):
        raise DataError(f"{where}: fields.story column {spec.fields.story!r} holds {story}, "
                        "not text. Map fields.story to the article text column.")
    return parquet.metadata.num_rows


def _row_problem(spec: HFDataset, row: dict[str, Any]) -> str | None:
    """What is wrong with one row (a JSON object, or a CSV row) and the fix; None if
    nothing is. Missing highlights and title are allowed: the run warns about them."""
    f = spec.fields
    if f.story not in row:
        close = difflib.get_close_matches(f.story, list(row), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return (f"no key {f.story!r} (fields.story); its keys are {', '.join(row) or 'none'}."
                f"{hint} Add the story as {f.story!r}, or set fields.story to the key that "
                "holds it.")
    if not isinstance(row[f.story], str):
        return (f"{f.story!r} (fields.story) is {_kind(row[f.story])}, not text. Give the "
                f"story as a string, or set fields.story to the key that holds it.")
    if f.id is not None:
        value = row.get(f.id)
        if value is None or str(value).strip() == "":
            return (f"{f.id!r} (fields.id) is missing or empty. Give every row an id, or "
                    "set `fields.id: null` to use row numbers.")
        if isinstance(value, (bool, list, dict)):
            return f"{f.id!r} (fields.id) is {_kind(value)}. Make the id a string or a number."
    value = row.get(f.highlights) if f.highlights else None
    if value is not None and not isinstance(value, str) and not (
            isinstance(value, list) and all(isinstance(v, (str, type(None))) for v in value)):
        return (f"{f.highlights!r} (fields.highlights) is {_kind(value)}. Give the reference "
                "highlights as a string or a list of strings (or null).")
    return None


def _kind(value: Any) -> str:
    """`value`'s JSON kind, as in "the line is a number"."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list" if not value or not all(isinstance(v, str) for v in value) \
            else "a list of strings"
    return "an object" if isinstance(value, dict) else "a string"


def _check_columns(spec: HFDataset, columns: list[str], *, where: str) -> None:
    f = spec.fields
    mapped = {"id": f.id, "story": f.story, "highlights": f.highlights, "title": f.title}
    for key, column in mapped.items():
        if column is not None and column not in columns:
            close = difflib.get_close_matches(column, columns, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            null_ok = " (or null)" if key in ("id", "highlights", "title") else ""
            raise DataError(
                f"{where} fields.{key}: column {column!r} does not exist.{hint} "
                f"Columns: {', '.join(columns)}. Set fields.{key} to one of them{null_ok}."
            )


def _to_example(spec: HFDataset, row: dict[str, Any], index: int) -> Example:
    f = spec.fields
    story = row[f.story]
    if not isinstance(story, str):
        raise DataError(
            f"{_where(spec)}: row {index}: fields.story column {f.story!r} holds "
            f"{type(story).__name__}, not text. Map fields.story to the article text column."
        )
    return Example(
        id=_row_id(spec, row, index),
        story=story,
        reference_bullets=_bullets(row[f.highlights], spec.highlights_sep) if f.highlights else (),
        title=str(row[f.title] or "") if f.title else "",
        meta={
            "dataset": spec.path, "config": spec.name, "split": spec.split,
            "revision": spec.revision, "row": index,
        },
    )


def _row_id(spec: HFDataset, row: dict[str, Any], index: int) -> str:
    if spec.fields.id is None:
        return str(index)
    value = row[spec.fields.id]
    if value is None or str(value).strip() == "":
        raise DataError(
            f"{_where(spec)}: row {index}: fields.id column {spec.fields.id!r} is empty. "
            "Fill in the ids, or set `fields.id: null` to use row numbers."
        )
    return str(value)


def _bullets(value: Any, sep: str | None) -> tuple[str, ...]:
    """Reference bullets from a list column, a joined string (split on `sep`), or one string."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        parts = [str(v) for v in value if v is not None]
    elif sep is None:
        parts = [str(value)]
    else:
        parts = str(value).split(sep)
    cleaned = (" ".join(strip_bullet(p).split()) for p in parts)
    return tuple(b for b in cleaned if b)


def _where(spec: HFDataset) -> str:
    where = f"dataset {spec.path}" + (f" ({spec.name})" if spec.name else "")
    return where + (f" with data_files {spec.data_files}" if spec.data_files else "")
