"""Story entities persisted in an SQLite file, looked up per batch (issue 6).

Memory stays flat in the number of stories: nothing is read in full, a batch of stories
is looked up by key (`get_many`), new results are appended (`put_many`). Two runs may
share a folder: WAL mode lets readers go on while one writes, and a busy timeout makes a
writer wait for the other's commit. Rows are only ever inserted (the same key always
holds the same entities), so concurrent inserts of one story are harmless.

The file is created on the first write, not on opening: a run killed before its first
story NER leaves no file behind.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Iterable

from summcheck.sqlite_db import open_db, unreadable

Ents = list[tuple[int, int, str]]
_MAX_PARAMS = 500           # keys per SELECT (SQLite's limit is 999 on old builds)
_SCHEMA = ("CREATE TABLE IF NOT EXISTS story_entities "
           "(text_sha1 TEXT PRIMARY KEY, ents TEXT NOT NULL);")


class NERStore:
    """{text sha1: entities} in one SQLite file (set up by `sqlite_db.open_db`: WAL, busy
    timeout, a damaged file is an error naming it and saying to delete it)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    def _connect(self, *, create: bool) -> sqlite3.Connection | None:
        if self._db is None and (create or self.path.exists()):
            self._db = open_db(self.path, _SCHEMA)
        return self._db

    def _error(self, err: Exception):
        return unreadable(self.path, err)

    def __len__(self) -> int:
        db = self._connect(create=False)
        if db is None:
            return 0
        try:
            return db.execute("SELECT COUNT(*) FROM story_entities").fetchone()[0]
        except sqlite3.DatabaseError as err:
            raise self._error(err) from None

    def get_many(self, keys: Iterable[str]) -> dict[str, Ents]:
        """Entities of those `keys` the file has."""
        keys = list(keys)
        db = self._connect(create=False)
        found: dict[str, Ents] = {}
        if db is None or not keys:
            return found
        try:
            for i in range(0, len(keys), _MAX_PARAMS):
                part = keys[i:i + _MAX_PARAMS]
                rows = db.execute("SELECT text_sha1, ents FROM story_entities WHERE text_sha1 "
                                  f"IN ({','.join('?' * len(part))})", part)
                found.update((key, [tuple(e) for e in json.loads(ents)]) for key, ents in rows)
        except (sqlite3.DatabaseError, ValueError, TypeError) as err:
            raise self._error(err) from None
        return found

    def put_many(self, items: dict[str, Ents]) -> None:
        """Add entities in one transaction (atomic: a kill leaves all or none)."""
        if not items:
            return
        db = self._connect(create=True)
        try:
            with db:    # one transaction; its first statement takes the write lock
                db.executemany("INSERT OR IGNORE INTO story_entities VALUES (?, ?)",
                               [(k, json.dumps(v)) for k, v in items.items()])
        except sqlite3.DatabaseError as err:
            raise self._error(err) from None

    def migrate_jsonl(self, old: Path) -> int:
        """Copy a JSONL cache of an earlier version (one {"text_sha1", "ents"} per line)
        in, streaming; lines cut short by a killed run are skipped. Returns rows read.
        A migration killed half way is not resumed: stories it missed are recognised
        again when needed."""
        batch: dict[str, Ents] = {}
        count = 0
        with old.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                    batch[row["text_sha1"]] = [tuple(e) for e in row["ents"]]
                except (ValueError, KeyError, TypeError):
                    continue
                count += 1
                if len(batch) >= 1000:
                    self.put_many(batch)
                    batch = {}
        self.put_many(batch)
        return count

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
