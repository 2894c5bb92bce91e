"""Hugging Face datasets: hub ids (cnn_dailymail, xsum, ...), and local json/csv/parquet
files.

Local JSON Lines, JSON, CSV and Parquet files are read by summcheck itself (`local.py`):
no `datasets`, no torch, no converted copy to go stale. `datasets` (the `hf` extra,
imported lazily) reads hub datasets, compressed files and its other builders.
"""

from __future__ import annotations

import logging
import shlex
from pathlib import Path
from typing import Any

from ..config import HFDataset
from .. import hub
from ..errors import DataError, MissingExtraError, SummcheckError
from ..types import Example
from . import ExampleRows, Tap, sample_indices
from .mapping import check_columns, to_example, where
from .sources import COMPRESSED, OWN_BUILDERS, LocalFiles, local_files, resolve

_JSON_CHUNK_BYTES = 1 << 20

_OFFLINE_HINTS = (
    "couldn't reach", "offline", "name or service not known", "temporary failure in name",
    "failed to resolve", "max retries exceeded", "connection", "timed out",
)


def load_hf(spec: HFDataset, tap: Tap | None = None) -> ExampleRows:
    """One split of a dataset, sampled, as Examples read a chunk at a time (a run never
    holds them all). Local json/csv/parquet files are checked and read without `datasets`
    (`tap` takes the examples as they are checked); anything else is loaded by `datasets`
    (`load_with_datasets`)."""
    files = local_files(spec)
    if files is not None and files.readable_here:
        from .local import load_local

        return load_local(spec, files, tap)
    return load_with_datasets(spec)


def check_local_files(spec: HFDataset) -> int:
    """Read each local json/csv/parquet file once and raise DataError at the first problem,
    naming the config field, the file, the 1-based line, what is wrong and the fix.
    Returns the rows checked (0 for a hub dataset; compressed files are not checked).
    Needs no `datasets`: validate uses it."""
    from .local import check_local

    files = local_files(spec)
    if files is None or files.builder not in OWN_BUILDERS:
        return 0
    plain = [f for f in files.files if Path(f).suffix.lower() not in COMPRESSED]
    return check_local(spec, LocalFiles(files.builder, plain, files.field))


def load_with_datasets(spec: HFDataset) -> ExampleRows:
    """Load and sample (before converting rows) one split with `datasets.load_dataset`, as
    Examples read from the memory-mapped table a chunk at a time. Every row is converted
    once here, so bad rows fail now, not halfway through a run. Local files are checked
    line by line first (`check_local_files`)."""
    check_local_files(spec)
    ds = _load_split(spec)
    check_columns(spec, ds.column_names, where=f"{where(spec)}:")
    indices = sample_indices(len(ds), spec.sample, spec.seed)
    rows = ds.select(indices) if len(indices) < len(ds) else ds

    def read(start: int, stop: int) -> list[Example]:
        try:
            columns = rows[start:stop]
            names = list(columns)
            return [to_example(spec, dict(zip(names, values)), indices[start + i])
                    for i, values in enumerate(zip(*(columns[n] for n in names)))]
        except UnicodeDecodeError as err:  # pyarrow's JSON reader keeps invalid bytes until here
            raise DataError(f"{where(spec)}: not UTF-8 text ({err}). Re-encode the data as "
                            "UTF-8.") from err

    examples = ExampleRows(len(indices), read)
    for _ in examples:
        pass
    return examples


def _load_split(spec: HFDataset) -> Any:
    """The split as a `datasets` table. Local files are converted again on every load:
    `datasets` keys its converted copy of a local file by path and mtime only, so a file
    rewritten with its old mtime would be served stale."""
    if local_files(spec) is None and not Path(spec.path).exists():
        hub.offline()   # asked once: no answer means offline mode, not retries (datasets
                        # reads HF_HUB_OFFLINE when imported, below)
    try:
        import datasets
    except ImportError:
        raise _no_datasets(spec) from None
    path, data_files = resolve(spec)
    # JSON is converted to Arrow 1 MB at a time (datasets' default, 10 MB, took a 60 MB file
    # of 20,000 stories to a 226 MB peak; 1 MB: 112 MB; the table is the same)
    extra: dict[str, Any] = {"chunksize": _JSON_CHUNK_BYTES} if path == "json" else {}
    if local_files(spec) is not None or Path(path).exists():
        extra["download_mode"] = "force_redownload"
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


def _no_datasets(spec: HFDataset) -> SummcheckError:
    """`datasets` is missing: for local files (compressed, or another builder), how to do
    without it; for a hub dataset, the extra that brings it."""
    files = local_files(spec)
    if files is None:
        return MissingExtraError("datasets", "hf")
    example = next((f for f in files.files if Path(f).suffix.lower() in COMPRESSED), None)
    what = f"{example} is compressed" if example else f"the {files.builder!r} builder is used"
    return DataError(
        f"{files.field}: {what}, and summcheck reads such data through `datasets`, which is "
        f"not installed. Install it with: pip install \"datasets>=2.19\", or give summcheck "
        "plain .jsonl, .json, .csv or .parquet files"
        + (f" (e.g. `gunzip -k {shlex.quote(example)}`)." if example and example.endswith(".gz")
           else "."))


def _release_arrow_memory() -> None:
    """Hand back what Arrow's allocator kept from a first-time conversion of a file to
    Arrow (tens of MB at 20,000 CNN/DM stories); the table itself is memory-mapped from
    datasets' cache."""
    import pyarrow

    pyarrow.default_memory_pool().release_unused()


def _load_failure(spec: HFDataset, err: Exception) -> str:
    cause = err.__cause__ if type(err).__name__ == "DatasetGenerationError" else None
    detail = f"{err} ({type(cause).__name__}: {cause})" if cause else str(err)
    detail = detail if len(detail) <= 600 else detail[:600] + " ..."
    message = f"{where(spec)}: could not load split {spec.split!r}: {type(err).__name__}: {detail}"
    text = str(err).lower()
    if isinstance(err, ConnectionError) or any(hint in text for hint in _OFFLINE_HINTS):
        message += (
            "\nThe hub is not reachable; use local files with `path: json` + `data_files:` "
            "(or `path: my.jsonl`)."
        )
    if "scripts are no longer supported" in text:
        message += '\nThis hub dataset uses a loading script; try `revision: refs/convert/parquet`.'
    return message
