"""Run folders: atomic writes, a lock against concurrent runs, and reading back.

A run folder holds spec.json, examples.jsonl, summaries.jsonl, scores.jsonl, checks.jsonl
and, written
last, results.json: a folder without results.json is incomplete and is never reported.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import SummcheckError

SPEC, EXAMPLES, SUMMARIES, SCORES, CHECKS, RESULTS = (
    "spec.json", "examples.jsonl", "summaries.jsonl", "scores.jsonl", "checks.jsonl",
    "results.json",
)
LOCK = ".lock"


def write_atomic(path: Path, text: str) -> None:
    """Write to a temp file in the same folder, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=True) + "\n")


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    write_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def is_complete(run_dir: Path) -> bool:
    return (run_dir / RESULTS).is_file()


class RunLock:
    """Refuses a second run on the same folder; a lock left by a dead process is taken over."""

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
                        f"{self.path.parent}: another summcheck run (pid {self._holder()}) is "
                        "writing this run folder. Wait for it to finish, or use --out for a "
                        "different folder."
                    ) from None
                self.path.unlink(missing_ok=True)  # stale lock from a crashed run
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            return self

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)

    def _holder(self) -> int | None:
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None

    def _holder_alive(self) -> bool:
        pid = self._holder()
        if pid is None:  # being written right now, or left empty by a crash long ago
            return time.time() - self.path.stat().st_mtime < 10
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
