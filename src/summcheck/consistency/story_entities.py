"""Each story's NER entities, recognised once: kept in memory (bounded LRU) and in an
SQLite file of the checks folder (`ner_store.NERStore`), shared by every run and
summarizer. The entity check asks for a story's entities only when a summary needs them
(entities.py); this module only stores and fetches them.

The file is named by everything a story's entities depend on besides its text (the row
key): the caller's `file_name()` (pipeline, spaCy and thinc, text preparation).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Sequence

from summcheck.consistency.ner_pool import Ents
from summcheck.consistency.ner_store import NERStore


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class StoryEntities:
    def __init__(self, recognise: Callable[[list[str]], list[Ents]],
                 file_name: Callable[[], str], *, max_in_memory: int = 4096):
        """`recognise(stories)`: their entities (NER), for stories found nowhere else."""
        self._recognise, self._file_name = recognise, file_name
        self._memory: OrderedDict[str, Ents] = OrderedDict()   # LRU, by story hash
        self._max = max_in_memory
        self._store: NERStore | None = None
        self._unsaved: set[str] = set()     # in memory, recognised before a store was given

    def __len__(self) -> int:
        """Stories held in memory."""
        return len(self._memory)

    def get(self, sources: Sequence[str]) -> list[Ents]:
        """(start, end, label) of each story's entities: from memory, else the file, else
        `recognise` (one batch for all missing, then persisted)."""
        keys = [text_key(s) for s in sources]
        found = {k: self._memory[k] for k in keys if k in self._memory}
        missing = {k: s for k, s in zip(keys, sources) if k not in found}
        if missing and self._store is not None:
            found.update(self._store.get_many(missing))
        todo = {k: s for k, s in missing.items() if k not in found}
        if todo:
            new = dict(zip(todo, self._recognise(list(todo.values()))))
            found.update(new)
            if self._store is not None:
                self._store.put_many(new)
            else:
                self._unsaved.update(new)
        for key in keys:
            self._remember(key, found[key])
        return [found[k] for k in keys]

    def _remember(self, key: str, ents: Ents) -> None:
        self._memory[key] = ents
        self._memory.move_to_end(key)
        while len(self._memory) > self._max:
            old, _ = self._memory.popitem(last=False)
            self._unsaved.discard(old)      # not persisted: recognised again if needed

    def cache_file(self, folder: str | Path) -> Path:
        return Path(folder) / self._file_name()

    def use_folder(self, folder: str | Path) -> NERStore:
        """The story-entity file of `folder`, created on its first write. A JSONL cache of
        earlier versions (same name, .jsonl) is copied in when the file does not exist
        yet; the JSONL file is left as it was."""
        path = self.cache_file(folder)
        if self._store is None or self._store.path != path:
            if self._store is not None:
                self._store.close()
            self._store = NERStore(path)
            legacy = path.with_suffix(".jsonl")
            if not path.exists() and legacy.exists():
                self._store.migrate_jsonl(legacy)
        return self._store

    def save(self, folder: str | Path) -> Path:
        """Persist the entities recognised before a folder was given (later ones are
        written as they come); the file's path, which exists once a story was recognised."""
        store = self.use_folder(folder)
        store.put_many({k: self._memory[k] for k in self._unsaved})
        self._unsaved.clear()
        return store.path
