"""On-disk cache of per-summary scores, so re-running a finished benchmark scores nothing.

A row is keyed by the scoring setup (every metric's and check's signature) and by the
content scored (story, title, reference, bullets, error): change any of them and the
summary is scored again. SQLite (stdlib) commits each batch atomically, so a run killed
mid-scoring keeps what it finished.

`CachedScores` is the cache-then-score step's bookkeeping, shared by both backends: what
the cache holds, which pairs are left to score, and every row in order as new ones
arrive (locally in one batch, on Ray a chunk at a time).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from . import fastjson
from .sqlite_db import guarded, open_db
from .text import holds_words
from .types import Example, Summary, digest_texts

_SCHEMA = "CREATE TABLE IF NOT EXISTS scores (key TEXT PRIMARY KEY, row TEXT NOT NULL)"
_LOOKUP_CHUNK = 500   # keys per SELECT ... IN (...), under SQLite's variable limit
_encode = fastjson.dumps


def scoring_fingerprint(signatures: Iterable[str]) -> str:
    """One hash of every metric and check signature (implementation versions included)."""
    return hashlib.sha256("\n".join(sorted(signatures)).encode()).hexdigest()[:24]


def score_key(fingerprint: str, example: Example, summary: Summary) -> str:
    """sha256 of the scoring fingerprint, the example's content (title, story, reference
    bullets: `Example.text_digest`), the summary's bullets and whether it failed:
    everything a row depends on."""
    digest = hashlib.sha256()
    bullets = summary.bullets
    digest_texts(digest, [fingerprint, example.text_digest, str(len(bullets)), *bullets,
                          "failed" if summary.error is not None or not holds_words(bullets)
                          else "ok"])
    return digest.hexdigest()[:32]


class ScoreCache:
    def __init__(self, folder: str | Path):
        self.path = Path(folder) / "scores.sqlite"
        self._db = open_db(self.path, _SCHEMA)

    def get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        with guarded(self.path):
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                chunk = list(keys[start:start + _LOOKUP_CHUNK])
                marks = ",".join("?" * len(chunk))
                for key, row in self._db.execute(
                        f"SELECT key, row FROM scores WHERE key IN ({marks})", chunk):
                    found[key] = fastjson.loads(row)
        return found

    def put_many(self, rows: Iterable[tuple[str, dict[str, Any]]]) -> None:
        data = [(key, _encode(row)) for key, row in rows]
        with guarded(self.path), self._db:
            self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?)", data)

    def close(self) -> None:
        self._db.close()


class CachedScores:
    """The rows of some (example, summary) pairs through a score cache (None: no cache).
    On creation the cached rows are found and `todo` lists the pairs left to score, in
    order; `in_order` yields every pair's row in order, taking the new rows from the
    batches it is given and putting each batch into the cache as it arrives."""

    def __init__(self, fingerprint: str, cache: ScoreCache | None,
                 pairs: Sequence[tuple[Example, Summary]]):
        self.cache = cache
        if cache is None:   # no keys to compute: every pair is new
            self.keys, self.found, self.todo, self._todo_keys = [], {}, list(pairs), []
            return
        self.keys = [score_key(fingerprint, e, s) for e, s in pairs]
        self.found = cache.get_many(self.keys)
        todo = [i for i, key in enumerate(self.keys) if key not in self.found]
        self.todo = [pairs[i] for i in todo]
        self._todo_keys = [self.keys[i] for i in todo]

    def in_order(self, scored: Iterable[list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        """Every pair's row in order: cached rows at once, the others from `scored`, the
        rows of `todo` in its order cut into batches; a batch is taken only when its
        first row is due, so rows stream as batches finish."""
        batches = iter(scored)
        if self.cache is None:
            for rows in batches:
                yield from rows
            return
        new: Iterator[dict[str, Any]] = iter(())
        taken = 0
        for key in self.keys:
            if key in self.found:
                yield self.found[key]
                continue
            row = next(new, None)
            if row is None:   # the next batch: into the cache, then its rows
                rows = next(batches)
                self.cache.put_many(zip(self._todo_keys[taken:taken + len(rows)], rows))
                taken += len(rows)
                new = iter(rows)
                row = next(new)
            yield row
