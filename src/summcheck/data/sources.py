"""Which files a dataset spec reads, and whether a file is still the one that was read.

A `path:` with a data-file suffix (or any file extension, or a folder part, in an
existing local folder: `config.is_local`), or a `datasets` builder name (`json`, `csv`,
...) with `data_files:`, names local files; anything else is a hub id whose `data_files`
name files in the hub repo. Needs neither `datasets` nor pyarrow."""

from __future__ import annotations

import difflib
import glob
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import LOCAL_BUILDERS, HFDataset, is_local
from ..errors import DataError
from .mapping import where

# A local file given as `path:` is read by the builder its extension names.
BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
# Read by summcheck itself; other local builders (text, arrow, pandas) go to `datasets`.
OWN_BUILDERS = ("json", "csv", "parquet")
COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4", ".tar")  # read by datasets only
_RELATIVE = "(relative paths are read from the config file's folder)"


@dataclass(frozen=True)
class LocalFiles:
    """The local files of one split, in the order `datasets` would concatenate them."""

    builder: str         # json, csv, parquet (or another datasets builder)
    files: list[str]
    field: str           # the config field that names them, for messages

    @property
    def compressed(self) -> bool:
        return any(Path(f).suffix.lower() in COMPRESSED for f in self.files)

    @property
    def readable_here(self) -> bool:
        """True when summcheck reads these files itself (no `datasets`)."""
        return self.builder in OWN_BUILDERS and not self.compressed


def resolve(spec: HFDataset) -> tuple[str, Any]:
    """The (builder or hub id, data_files) pair `datasets.load_dataset` would be given.

    A single file or list of files is keyed by `spec.split`: `datasets` would otherwise
    call it "train" and `split: test` (the default) would not find it.
    """
    suffix = Path(spec.path).suffix.lower()
    if suffix in BUILDERS:
        if spec.data_files is not None:
            raise DataError(
                f"{where(spec)}: path is a data file, so data_files must be left out. Either "
                f"write `path: {spec.path}` alone, or `path: {BUILDERS[suffix]}` with data_files."
            )
        if not Path(spec.path).is_file():
            raise _not_found(spec.path)
        return BUILDERS[suffix], {spec.split: spec.path}
    local = spec.path not in LOCAL_BUILDERS and is_local(spec.path, Path.cwd())
    if spec.data_files is None and local and not Path(spec.path).exists():
        raise _not_found(spec.path, "(A hub dataset id, such as abisee/cnn_dailymail, has "
                         "no file extension, and its owner is not a local folder.)")
    if spec.data_files is None and Path(spec.path).is_file():   # not a hub id: a local file
        raise DataError(
            f"dataset.path: {spec.path} is a local file summcheck does not read by its name "
            f"alone (it reads {', '.join(sorted(BUILDERS))}). Give the reader and the file: "
            f"`path: json` (or csv, parquet) with `data_files: {spec.path}`; compressed "
            "files (.gz, .bz2, .xz) are read that way.")
    if isinstance(spec.data_files, (str, list)):
        return spec.path, {spec.split: spec.data_files}
    return spec.path, spec.data_files


def _not_found(path: str, note: str = "") -> DataError:
    """dataset.path names no file: say so, with the closest name in its folder."""
    folder = Path(path).parent
    names = [p.name for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    close = difflib.get_close_matches(Path(path).name, names, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]}?" if close else ""
    return DataError(f"dataset.path: file not found: {path}.{hint} Fix dataset.path "
                     f"{_RELATIVE}.{' ' + note if note else ''}")


def local_files(spec: HFDataset) -> LocalFiles | None:
    """The local files the split reads (globs expanded, sorted); None for a hub dataset.
    A missing file, a pattern matching nothing or a split data_files lacks is a DataError."""
    builder, data_files = resolve(spec)
    if builder not in LOCAL_BUILDERS or data_files is None:
        return None
    field = "dataset.path" if Path(spec.path).suffix.lower() in BUILDERS else "dataset.data_files"
    if isinstance(data_files, dict) and spec.split not in data_files:
        raise DataError(
            f"{field}: could not load split {spec.split!r}: data_files names files for "
            f"{', '.join(map(repr, data_files))} only. Set dataset.split to one of them, or "
            f"add {spec.split!r} to data_files.")
    files = data_files.get(spec.split) if isinstance(data_files, dict) else data_files
    out: list[str] = []
    for pattern in [files] if isinstance(files, str) else list(files or []):
        found = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) \
            else [pattern] if Path(pattern).is_file() else []
        if not found:
            what = "no file matches" if glob.has_magic(pattern) else "file not found:"
            raise DataError(f"{field}: {what} {pattern}. Fix {field} {_RELATIVE}.")
        out += [f for f in found if Path(f).is_file()]
    if not isinstance(spec.data_files, dict):   # one split, keyed by `split` in `resolve`
        _check_one_split(spec, out, field)
    return LocalFiles(builder, out, field)


# Split names as file names spell them, by the split they name.
_SPLIT_WORDS = {"train": "train", "training": "train", "validation": "validation",
                "valid": "validation", "val": "validation", "dev": "validation",
                "test": "test", "testing": "test"}


def split_named(file: str) -> str | None:
    """The split a data file's name names (cnn_test.jsonl: test; train-00001.parquet:
    train), or None when it names none or more than one."""
    words = {_SPLIT_WORDS[w] for w in re.split(r"[^a-z]+", Path(file).name.lower())
             if w in _SPLIT_WORDS}
    return words.pop() if len(words) == 1 else None


def _check_one_split(spec: HFDataset, files: list[str], field: str) -> None:
    """A file, a list or a pattern is one split, read whole: `split:` picks no file from
    it, it only names the examples' split. A pattern matching train.jsonl and test.jsonl
    read both as the test split (split: test), and `split: test` beside a file named
    for another split selected nothing, silently. Either is refused here, saying how to
    name each split's files."""
    named = {f: split_named(f) for f in files}
    splits = sorted({s for s in named.values() if s})
    shown = ", ".join(Path(f).name for f, s in named.items() if s)
    how = (f"Name each split's files, e.g. `data_files: {{{spec.split}: ...}}` with "
           f"`split: {spec.split}`")
    if len(splits) > 1:
        raise DataError(
            f"{field}: its files are named for the splits {', '.join(splits)} ({shown}), "
            f"and a list or a pattern is read whole, as one split ({spec.split!r}): "
            f"`split:` picks no file from it. {how}, or narrow {field} to one split's files.")
    given = "split" in spec.model_fields_set and _SPLIT_WORDS.get(spec.split.lower(),
                                                                     spec.split.lower())
    if given and splits and splits[0] != given and all(named.values()):
        raise DataError(
            f"dataset.split: {spec.split!r}, but {field} names a file of the "
            f"{splits[0]} split ({shown}). A data file is read whole, as one split: "
            f"`split:` picks nothing from it, it only names it. Give the {spec.split} "
            f"split's file, or set `split: {splits[0]}` (or leave split out).")


def stamp(file: str) -> tuple[int, ...]:
    """What identifies one version of a file: device, inode, size, mtime and ctime (ns).
    ctime cannot be set back (`touch -d`, `cp -p` restore mtime only), so a file rewritten
    with its old mtime and size still gets a new stamp."""
    st = os.stat(file)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def open_unchanged(file: str, expected: tuple[int, ...], where: str):
    """`file` opened for binary reading, if it is still the version that was indexed;
    otherwise a DataError: byte offsets into an edited file would read wrong rows."""
    try:
        handle = open(file, "rb")
    except OSError as err:
        raise DataError(f"{where}: could not be read again during the run ({err}). Keep the "
                        "data files in place until the run ends.") from None
    st = os.fstat(handle.fileno())
    if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) != expected:
        handle.close()
        raise DataError(f"{where}: the file changed while this run was reading it (it was "
                        "indexed when the run started). Run again once it is written.")
    return handle


def no_rows(field: str, file: str) -> DataError:
    return DataError(f"{field}: {file} has no rows. Add examples to it or fix {field}.")


def not_utf8(field: str, file: str, line: int, byte: int) -> DataError:
    """A file that is not UTF-8: its first bad byte and line, and a command that fixes it."""
    fixed = Path(file).with_name(f"{Path(file).stem}-utf8{Path(file).suffix}")
    return DataError(
        f"{field}: {file} is not UTF-8 text (line {line} has byte 0x{byte:02x}). Re-encode it "
        f"as UTF-8 (for Latin-1: `iconv -f latin1 -t utf-8 {shlex.quote(file)} > "
        f"{shlex.quote(str(fixed))}`) and point {field} at the result.")
