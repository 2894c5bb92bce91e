"""The SQLite set-up the on-disk caches share (generations, scores).

WAL mode lets a reader go on while another run writes; the busy timeout makes a writer
wait for the other's commit. A file that is not an SQLite database (or is damaged) fails
with an error naming it: every such file is a cache, so deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Iterator

from .errors import SummcheckError

BUSY_TIMEOUT_S = 60


def open_db(path: Path, schema: str) -> sqlite3.Connection:
    """Connect to the cache file `path` (created if absent) and make sure `schema` exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with guarded(path):
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)
        db.commit()
    except sqlite3.DatabaseError as err:
        db.close()
        raise unreadable(path, err) from err
    return db


def unreadable(path: Path, err: Exception) -> SummcheckError:
    text = str(err).lower()
    if "readonly" in text or "unable to open" in text or "permission" in text:
        return SummcheckError(f"{path}: the cache file or its folder cannot be written "
                              f"({err}). Make it writable, or pass another --cache-dir.")
    return SummcheckError(f"{path}: not a readable cache database ({err}). It only holds "
                          "cached results: delete it and run again.")


@contextlib.contextmanager
def guarded(path: Path) -> Iterator[None]:
    """A cache file's SQLite errors (damaged pages, a read-only file) as the one-line
    error naming it, not a traceback with exit 1 (a CI gate's "regressed")."""
    try:
        yield
    except sqlite3.Error as err:
        raise unreadable(path, err) from err
