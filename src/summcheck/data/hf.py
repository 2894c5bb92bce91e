"""Hugging Face datasets: hub ids (cnn_dailymail, xsum, ...) or local json/csv/parquet files.

`datasets` is imported lazily: it is an optional extra (`summcheck[hf]`).
"""

from __future__ import annotations

import difflib
from itertools import islice
from pathlib import Path
from typing import Any

from ..config import HFDataset
from ..errors import DataError, MissingExtraError
from ..text import strip_bullet
from ..types import Example
from . import ExampleRows, sample_indices

# A local file given as `path:` is read by the builder its extension names.
_BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
_TEXT_SUFFIXES = (".jsonl", ".json", ".csv")
_JSON_CHUNK_BYTES = 1 << 20

_OFFLINE_HINTS = (
    "couldn't reach", "offline", "name or service not known", "temporary failure in name",
    "failed to resolve", "max retries exceeded", "connection", "timed out",
)


def load_hf(spec: HFDataset) -> ExampleRows:
    """Load and sample (before converting rows) one split of a dataset, as Examples read
    from the memory-mapped table a chunk at a time: a run never holds them all. Every row
    is converted once here, so bad rows fail now, not halfway through a run."""
    ds = _load_split(spec)
    _check_columns(spec, ds.column_names)
    indices = sample_indices(len(ds), spec.sample, spec.seed)
    rows = ds.select(indices) if len(indices) < len(ds) else ds

    def read(start: int, stop: int) -> list[Example]:
        try:
            columns = rows[start:stop]
            names = list(columns)
            return [_to_example(spec, dict(zip(names, values)), indices[start + i])
                    for i, values in enumerate(zip(*(columns[n] for n in names)))]
        except UnicodeDecodeError as err:  # pyarrow's JSON reader keeps invalid bytes until here
            raise DataError(_local_file_problem(spec) or f"{_where(spec)}: not UTF-8 text "
                            f"({err}). Re-encode the data as UTF-8.") from err

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
    try:
        ds = datasets.load_dataset(
            path, spec.name, split=spec.split, revision=spec.revision, data_files=data_files,
            **extra,
        )
    except Exception as err:  # datasets raises many kinds; all mean "could not load"
        raise DataError(_local_file_problem(spec) or _load_failure(spec, err)) from err
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
            raise DataError(f"{_where(spec)}: file not found. Fix dataset.path.")
        return _BUILDERS[suffix], {spec.split: spec.path}
    if isinstance(spec.data_files, (str, list)):
        return spec.path, {spec.split: spec.data_files}
    return spec.path, spec.data_files


def _load_failure(spec: HFDataset, err: Exception) -> str:
    detail = str(err) if len(str(err)) <= 600 else str(err)[:600] + " ..."
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


def _local_file_problem(spec: HFDataset) -> str | None:
    """Why a local data file cannot be read (no rows, or not UTF-8), naming the file, the
    config field and the fix; None when the local files look fine (or there are none)."""
    field = "dataset.path" if Path(spec.path).suffix.lower() in _BUILDERS else "dataset.data_files"
    for file in _local_files(spec):
        if _has_no_rows(file):
            return f"{field}: {file} has no rows. Add examples to it or fix {field}."
        bad = _first_non_utf8(file)
        if bad:
            line, byte = bad
            fixed = Path(file).with_name(f"{Path(file).stem}-utf8{Path(file).suffix}")
            return (f"{field}: {file} is not UTF-8 text (line {line} has byte 0x{byte:02x}). "
                    f"Re-encode it as UTF-8 (for Latin-1: `iconv -f latin1 -t utf-8 {file} > "
                    f"{fixed}`) and point {field} at the result.")
    return None


def _local_files(spec: HFDataset) -> list[str]:
    _, data_files = _resolve_source(spec)
    files = data_files.get(spec.split) if isinstance(data_files, dict) else data_files
    files = [files] if isinstance(files, str) else list(files or [])
    return [f for f in files if Path(f).is_file()]


def _has_no_rows(file: str) -> bool:
    """True for an empty or blank file, a CSV with only its header, a JSON `[]`, or a
    parquet file of 0 rows."""
    suffix = Path(file).suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(file).metadata.num_rows == 0
        except Exception:  # noqa: BLE001 - not readable at all: datasets' error says more
            return False
    if suffix not in _TEXT_SUFFIXES:
        return False
    with open(file, "rb") as handle:
        lines = list(islice((line.strip() for line in handle if line.strip()), 2))
    if suffix == ".json" and lines in ([b"[]"], [b"[", b"]"]):
        return True
    return len(lines) <= (1 if suffix == ".csv" else 0)


def _first_non_utf8(file: str) -> tuple[int, int] | None:
    """(line number, byte) of the first byte that is not valid UTF-8 in a text data file."""
    if Path(file).suffix.lower() not in _TEXT_SUFFIXES:
        return None
    with open(file, "rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as err:
                return number, line[err.start]
    return None


def _check_columns(spec: HFDataset, columns: list[str]) -> None:
    f = spec.fields
    mapped = {"id": f.id, "story": f.story, "highlights": f.highlights, "title": f.title}
    for key, column in mapped.items():
        if column is not None and column not in columns:
            close = difflib.get_close_matches(column, columns, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            null_ok = " (or null)" if key in ("id", "highlights", "title") else ""
            raise DataError(
                f"{_where(spec)}: fields.{key}: column {column!r} does not exist.{hint} "
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
