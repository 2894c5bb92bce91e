"""The SQLite set-up the on-disk caches share (generations, scores).

WAL mode lets a reader go on while another run writes; the busy timeout makes a writer
wait for the other's commit. A file that is not an SQLite database (or is damaged) fails
with an error naming it: every such file is a cache, so deleting it is always safe.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import SummcheckError

BUSY_TIMEOUT_S = 60


def open_db(path: Path, schema: str) -> sqlite3.Connection:
    """Connect to the cache file `path` (created if absent) and make sure `schema` exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
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
    return SummcheckError(f"{path}: not a readable cache database ({err}). It only holds "
                          "cached results: delete it and run again.")
