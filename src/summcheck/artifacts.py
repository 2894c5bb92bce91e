"""Run folders: atomic writes, a lock against concurrent runs, and reading back.

A run folder holds spec.json, examples.jsonl, summaries.jsonl, scores.jsonl, checks.jsonl
and, written
last, results.json: a folder without results.json is incomplete and is never reported.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from . import fastjson
from .errors import SummcheckError
from .text import counted

if TYPE_CHECKING:
    from .run_rows import RunRows

SPEC, EXAMPLES, SUMMARIES, SCORES, CHECKS, RESULTS = (
    "spec.json", "examples.jsonl", "summaries.jsonl", "scores.jsonl", "checks.jsonl",
    "results.json",
)
LOCK, REPORT = ".lock", "report"
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_encode = fastjson.dumps   # rows of the JSONL files: compact, non-finite floats as null
_line = fastjson.line      # the same as UTF-8 bytes, newline included (binary handles)


@contextlib.contextmanager
def _replacing(path: Path, mode: str, **open_args):
    """A handle on a temp file in `path`'s folder; when the block ends, the file is
    fsynced and renamed over `path`. On an error it is removed and `path` is untouched.

    A symlink is written through (its target replaced, the link kept); a directory,
    pipe or device at `path` is refused, which the rename replaced (even /dev/full, as
    root). An OSError of the temp file names `path`: the temp file is gone by then."""
    target = Path(os.path.realpath(path))
    _refuse_non_file(path, target)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise _naming(path, err) from err
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual file mode
        with os.fdopen(fd, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError) and err.filename in (None, tmp):
            raise _naming(path, err) from err
        raise


def _refuse_non_file(path: Path, target: Path) -> None:
    if target.is_dir():
        raise SummcheckError(f"{path}: is a directory. Give the path of a file to write.")
    if target.exists() and not target.is_file():
        raise SummcheckError(f"{path}: not a regular file (a pipe, device or socket), so it "
                             "is not replaced. Give the path of a file to write.")


def _naming(path: Path, err: OSError) -> OSError:
    """`err` (its subclass kept: PermissionError, ...) about `path`."""
    return OSError(err.errno, err.strerror or str(err), str(path))


def write_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Write to a temp file in the same folder, fsync, then rename over `path`. `text`
    may be an iterable of pieces, written as they come (never joined in memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _replacing(path, "w", encoding="utf-8") as handle:
        if isinstance(text, str):
            handle.write(text)
        else:
            handle.writelines(text)


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, json_text(data))


def json_text(data: Any) -> str:
    """Strict JSON, indented: a value that is not a finite number (NaN, infinity) is written
    as null (bare NaN or Infinity, which Python writes by default, fails strict parsers)."""
    return json.dumps(finite_or_none(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def finite_or_none(value: Any) -> Any:
    """`value` with every float that is not finite replaced by None, through dicts and lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    return value


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    write_atomic(path, (_encode(r) + "\n" for r in rows))


class JsonlWriter:
    """Rows streamed to a hidden partial file, renamed over `path` only by `commit()`:
    a killed run never leaves a half-written file under the real name, and rows need not
    be held in memory."""

    def __init__(self, path: Path):
        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.partial.open("wb")

    def write(self, row: dict) -> None:
        self._handle.write(_line(row))

    def commit(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self.partial, self.path)

    def discard(self) -> None:
        if not self._handle.closed:
            self._handle.close()
        self.partial.unlink(missing_ok=True)


_WRITE_BUFFER = 1 << 16


class GroupedJsonlWriter:
    """Rows written in any order of groups (e.g. window by window, each summarizer in
    turn), committed as one file with each group's rows together, groups in the given
    order: one hidden partial file per group, concatenated into `path` by `commit()`."""

    def __init__(self, path: Path, groups: Iterable[str]):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._parts = {g: path.with_name(f".{path.name}.{i}.partial")
                       for i, g in enumerate(groups)}
        # 64 KB buffers: with the default 8 KB a run wrote its example rows (a story
        # each) at about two rows a write call, and the calls cost more than the rows'
        # encoding; a handle per summarizer and file keeps this small
        self._handles = {g: p.open("wb", buffering=_WRITE_BUFFER)
                         for g, p in self._parts.items()}

    def write(self, group: str, row: dict) -> None:
        self._handles[group].write(_line(row))

    def flush(self) -> None:
        for handle in self._handles.values():
            handle.flush()

    def commit(self) -> None:
        """The parts joined under the real name: renamed when there is one, else copied
        byte for byte into a temporary file that is then renamed."""
        for handle in self._handles.values():
            handle.flush()
            os.fsync(handle.fileno())
        self._close()
        parts = list(self._parts.values())
        if len(parts) == 1:
            os.replace(parts[0], self.path)
        else:
            _join_files(parts, self.path)
        self.discard()

    def discard(self) -> None:
        self._close()
        for part in self._parts.values():
            part.unlink(missing_ok=True)

    def _close(self) -> None:
        for handle in self._handles.values():
            if not handle.closed:
                handle.close()


def _join_files(parts: list[Path], path: Path) -> None:
    """`parts` one after another in `path`, written atomically (temp file, fsync, rename)."""
    with _replacing(path, "wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)


def clear_outputs(run_dir: Path) -> None:
    """Remove what an earlier run of this folder concluded (results.json, report/) before
    a new run writes anything: a run stopped part way never sits beside an old report."""
    (run_dir / RESULTS).unlink(missing_ok=True)
    if (run_dir / REPORT).exists():
        shutil.rmtree(run_dir / REPORT)


def read_json(path: Path) -> Any:
    return fastjson.loads(path.read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> Iterator[dict]:
    with path.open("rb") as handle:
        for line in handle:
            if not line.isspace():   # a line read from a file is never b""
                yield fastjson.loads(line)


def is_complete(run_dir: Path) -> bool:
    return (run_dir / RESULTS).is_file()


class RunLock:
    """Refuses a second run on the same folder; a lock left by a dead process is taken over.

    The lock holds the pid and, on Linux, the process's start time: a pid that was reused
    after a crash (a restarted container numbers its processes from 1 again) is then not
    taken for the run that left the lock."""

    def __init__(self, run_dir: Path):
        self.path = run_dir / LOCK

    def __enter__(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if self._holder_alive():
                    raise SummcheckError(
                        f"{self.path.parent}: another summcheck run (pid {self._holder()[0]}) "
                        "is writing this run folder. Wait for it to finish, or use --out for "
                        "a different folder."
                    ) from None
                self.path.unlink(missing_ok=True)  # stale lock from a crashed run
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(f"{os.getpid()} {_start_time(os.getpid()) or ''}".strip())
            return self

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)

    def _holder(self) -> tuple[int | None, str | None]:
        """(pid, start time or None) written in the lock; pid None if unreadable."""
        try:
            pid, *started = self.path.read_text().split()
            return int(pid), (started[0] if started else None)
        except (OSError, ValueError):
            return None, None

    def _holder_alive(self) -> bool:
        pid, started = self._holder()
        if pid is None:  # being written right now, or left empty by a crash long ago
            return time.time() - self.path.stat().st_mtime < 10
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        fields = _proc_stat(pid)
        if fields and fields[0] in ("Z", "X"):   # killed, not yet reaped: it writes no more
            return False
        now = _started(fields)
        return started is None or now is None or now == started


def _proc_stat(pid: int) -> list[str]:
    """Fields 3... of /proc/<pid>/stat (state, ..., start time at index 19); empty where
    /proc cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat.rsplit(")", 1)[-1].split()    # after the name, which may hold spaces


def _start_time(pid: int) -> str | None:
    """When process `pid` started, in clock ticks after boot; None where /proc cannot tell."""
    return _started(_proc_stat(pid))


def _started(fields: list[str]) -> str | None:
    """The start time among `_proc_stat`'s fields (field 22 of /proc/<pid>/stat)."""
    return fields[19] if len(fields) > 19 else None


class JsonlRows:
    """The rows of one run-folder file, read from disk each time they are iterated, so
    reports on a big run never hold them all. A bad line raises a SummcheckError naming
    the file and line."""

    def __init__(self, path: Path):
        self.path = path

    def __iter__(self) -> Iterator[dict]:
        for number, line in self._lines():
            yield self._parse(number, line)

    def where(self, name: str, keep: Callable[[Any], bool]) -> Iterator[dict]:
        """The rows whose value at key `name` passes `keep`; the other rows are read
        for that value alone (a report showing 300 examples of a million parses 300)."""
        for number, line in self._lines():
            try:
                if not keep(fastjson.field_of(line, name)):
                    continue
            except ValueError:
                pass   # read in full: the row, or json's own error
            row = self._parse(number, line)
            if isinstance(row, dict) and keep(row.get(name)):
                yield row

    def at(self, numbers: Iterable[int]) -> dict[int, Any]:
        """{n: row} of the rows on the 0-based lines `numbers` (blank lines counted) that
        the file has, parsing only those: a report's 300 rows of a million are found by
        counting newlines, not by reading every row."""
        wanted = sorted({n for n in numbers if n >= 0})
        if not wanted or not self.path.exists():
            return {}
        with self.path.open("rb") as handle:
            return {number: self._parse(number + 1, line)
                    for number, line in lines_at(handle, wanted) if line and not line.isspace()}

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        if not self.path.exists():
            return
        with self.path.open("rb", buffering=fastjson.LINE_BUFFER) as handle:   # msgspec reads bytes
            for number, line in enumerate(handle, 1):
                if not line.isspace():   # never b"" from a file; no copy, as strip() makes
                    yield number, line

    def _parse(self, number: int, line: bytes) -> Any:
        try:
            return fastjson.loads(line)
        except ValueError as err:   # not JSON, or not UTF-8
            raise SummcheckError(
                f"{self.path}, line {number}: not JSON ({err}). The run folder is "
                "damaged: run the same `summcheck run` command again.") from err

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __getitem__(self, index: int) -> dict:
        for i, row in enumerate(self):
            if i == index:
                return row
        raise IndexError(index)


def lines_at(handle, wanted: list[int], size: int = 1 << 22) -> Iterator[tuple[int, bytes]]:
    """(n, line without its newline) for the 0-based line numbers `wanted` (ascending)
    of a binary file, read `size` bytes at a time; a block with no wanted line is only
    counted."""
    line, tail, k = 0, b"", 0   # `tail`: the start of line `line`, its end not yet read
    while k < len(wanted):
        block = handle.read(size)
        data = tail + block
        if not block:   # the end of the file: a last line without a newline
            if data and wanted[k] == line:
                yield line, data
            return
        ends = data.count(b"\n")
        start, j = 0, line
        while k < len(wanted) and wanted[k] < line + ends:   # this block's wanted lines
            end = data.index(b"\n", start)
            if j == wanted[k]:
                yield j, data[start:end]
                k += 1
            start, j = end + 1, j + 1
        line += ends
        tail = data[data.rfind(b"\n") + 1:]


@dataclass(frozen=True)
class RunData:
    """Everything a finished run folder holds, read back for reports, compare and regress.
    The per-example files are `JsonlRows` (streamed from disk) or, in tests, lists."""

    run_dir: Path
    spec: dict
    results: dict
    examples: Iterable[dict]
    summaries: Iterable[dict]
    scores: Iterable[dict]
    checks: Iterable[dict]
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.results["run_name"]

    def labels(self) -> list[str]:
        return [m["label"] for m in self.results["summarizers"]]

    def rows(self) -> "RunRows":
        """The per-example values of every summarizer (summcheck.run_rows), read from
        scores.jsonl and checks.jsonl on the first call."""
        if "rows" not in self._cache:
            from .run_rows import RunRows

            self._cache["rows"] = RunRows.read(self.scores, self.checks)
        return self._cache["rows"]

    def example_hashes(self) -> dict[str, str]:
        """{example id: hash of its story and reference bullets}, read once."""
        if "example_hashes" not in self._cache:
            from .paired import example_hash

            self._cache["example_hashes"] = {e["id"]: example_hash(e) for e in self.examples}
        return self._cache["example_hashes"]


def load_run(run_dir: str | Path, rows: "RunRows | None" = None) -> RunData:
    """Read a complete run folder; a SummcheckError says what is missing and what to do.
    `rows`, when the caller has them (the run that wrote the folder), serve `RunData.rows`."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise SummcheckError(f"{run_dir}: not a folder. Pass a run folder written by `summcheck run`.")
    if not is_complete(run_dir):
        raise SummcheckError(
            f"{run_dir}: no {RESULTS}, so the run is incomplete (still running or interrupted). "
            "Run the same `summcheck run` command again to finish it.")
    missing = [name for name in (SPEC, EXAMPLES, SUMMARIES, SCORES) if not (run_dir / name).is_file()]
    if missing:
        raise SummcheckError(f"{run_dir}: unreadable run folder (no {', '.join(missing)}). "
                             "Re-run `summcheck run`.")
    try:
        data = RunData(
            run_dir=run_dir,
            spec=read_json(run_dir / SPEC),
            results=read_json(run_dir / RESULTS),
            examples=JsonlRows(run_dir / EXAMPLES),
            summaries=JsonlRows(run_dir / SUMMARIES),
            scores=JsonlRows(run_dir / SCORES),
            checks=JsonlRows(run_dir / CHECKS),
            _cache={} if rows is None else {"rows": rows},
        )
    except (OSError, json.JSONDecodeError, KeyError) as err:
        raise SummcheckError(f"{run_dir}: unreadable run folder ({err}). Re-run `summcheck run`.") from err
    _check_shape(run_dir, data)
    if rows is None:   # else the run that wrote the files is reading them back
        _check_row_counts(run_dir, data.results)
    return data


def _check_shape(run_dir: Path, data: RunData) -> None:
    """The fields every reader of a run folder relies on, so that a damaged file is bad
    input (exit 2) naming the file and field, not a traceback (exit 1 reads as "regressed"
    to a CI gate)."""
    problem = None
    if not isinstance(data.spec, dict):
        problem = f"{SPEC} is not a JSON object"
    elif not isinstance(data.results, dict):
        problem = f"{RESULTS} is not a JSON object"
    elif not isinstance(data.results.get("run_name"), str):
        problem = f"{RESULTS} has no \"run_name\" string"
    elif not isinstance(data.results.get("summarizers"), list) or not all(
            isinstance(m, dict) and isinstance(m.get("label"), str)
            for m in data.results["summarizers"]):
        problem = f"{RESULTS} has no \"summarizers\" list of objects with a \"label\""
    elif not _is_count(data.results.get("n_examples")):
        problem = f"{RESULTS} has no \"n_examples\" count"
    if problem:
        _damaged(run_dir, problem)


def _check_row_counts(run_dir: Path, results: dict) -> None:
    """Each per-example file holds the rows results.json counts: one per example, and
    one per example and summarizer (checks.jsonl only when the run ran checks, which
    give the `consistency` signature). A file cut short or emptied otherwise reads as
    fewer examples, a model's mean from other rows, or a report without findings."""
    n_examples, n_models = results["n_examples"], len(results["summarizers"])
    per_summary = (n_examples * n_models, f"{counted(n_examples, 'example')} x "
                                          f"{counted(n_models, 'summarizer')}")
    expected = {EXAMPLES: (n_examples, "n_examples"), SUMMARIES: per_summary,
                SCORES: per_summary}
    if "consistency" in (results.get("signatures") or {}):
        if not (run_dir / CHECKS).is_file():
            _damaged(run_dir, f"no {CHECKS}, though {RESULTS} says the run ran checks")
        expected[CHECKS] = per_summary
    for name, (count, why) in expected.items():
        found = count_rows(run_dir / name)
        if found != count:
            _damaged(run_dir, f"{name} has {found} rows, {RESULTS} says {count} ({why})")


def count_rows(path: Path) -> int:
    """The rows of a JSONL file (lines not blank), counted without parsing them."""
    with path.open("rb", buffering=fastjson.LINE_BUFFER) as handle:
        return sum(1 for line in handle if not line.isspace())


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _damaged(run_dir: Path, problem: str) -> None:
    raise SummcheckError(f"{run_dir}: damaged run folder: {problem}. Re-run "
                         "`summcheck run` into a new --out folder.")
