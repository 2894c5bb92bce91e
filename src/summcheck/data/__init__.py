"""Loaders: every source becomes a sequence of `Example`s, sampled and limited the same way.

Small sources (bundled samples, a folder of news pages) are lists; a dataset is an
`ExampleRows`, read a chunk at a time, so memory does not grow with the test set."""

from __future__ import annotations

import hashlib
import inspect
import random
from dataclasses import replace
from typing import Any, Callable, Iterator, Protocol, Sequence

from ..errors import DataError
from ..text import clean_markup, worded
from ..types import Example
from .registry import LOADERS


class ExampleRows(Sequence[Example]):
    """`n` examples made on demand by `read(start, stop)`, a chunk at a time. Indexing by a
    slice returns a list: the runner takes one window of examples at a time."""

    def __init__(self, n: int, read: Callable[[int, int], list[Example]], *,
                 chunk: int = 1024):
        self._n, self._read, self._chunk = n, read, chunk

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, key):
        if isinstance(key, slice):
            picked = range(self._n)[key]
            if not picked:
                return []
            if picked.step == 1:
                return self._read(picked.start, picked.stop)
            low, high = min(picked[0], picked[-1]), max(picked[0], picked[-1])
            items = self._read(low, high + 1)
            return [items[i - low] for i in picked]
        index = range(self._n)[key]   # IndexError out of range, negatives counted from the end
        return self._read(index, index + 1)[0]

    def __iter__(self) -> Iterator[Example]:
        for start in range(0, self._n, self._chunk):
            yield from self._read(start, min(self._n, start + self._chunk))

    def head(self, n: int) -> "ExampleRows":
        return ExampleRows(min(n, self._n), self._read, chunk=self._chunk)

    def map(self, change: Callable[[Example], Example]) -> "ExampleRows":
        return ExampleRows(self._n, lambda a, b: [change(e) for e in self._read(a, b)],
                           chunk=self._chunk)


class Tap(Protocol):
    """Takes the examples as a loader makes them in its own first pass over the data (a
    local file's index pass parses every row anyway), for a caller that reads every
    example once before its work: the runner's survey. `take` is called in order;
    `abandon` when the loader starts a pass again. The caller counts what it took: all of
    the returned examples, and never abandoned, spares it its own read."""

    def take(self, example: Example) -> None: ...

    def abandon(self) -> None: ...


def load_examples(spec: Any, *, limit: int | None = None, check_ids: bool = True,
                  tap: Tap | None = None) -> Sequence[Example]:
    """Load the examples a dataset spec names, then keep the first `limit` of them.

    Ids are checked for repeats here, with a read of every example, unless `check_ids` is
    False and there is no `limit`: then the caller checks them in its own read (the runner
    does, with `IdLedger`, in the one pass it makes over the examples before the run).
    `tap`, with no `limit`, is handed the examples by a loader that takes one (a `tap`
    keyword), cleaned as the returned ones are."""
    loader, cleaning = LOADERS.load(spec.source), getattr(spec, "clean_html", False)
    if tap is not None and not limit and "tap" in inspect.signature(loader).parameters:
        examples = loader(spec, tap=_CleaningTap(tap) if cleaning else tap)
    else:
        examples = loader(spec)
    if cleaning:
        examples = examples.map(_clean) if isinstance(examples, ExampleRows) \
            else [_clean(e) for e in examples]
    if check_ids or limit:   # with a limit, ids past it are checked too (as always)
        check_unique_ids(examples, where=describe_source(spec))
    if limit:
        examples = examples.head(limit) if isinstance(examples, ExampleRows) \
            else examples[:limit]
    if not examples:
        raise DataError(
            f"{describe_source(spec)}: no examples left to evaluate. Check the dataset "
            "path, split, field mapping and sample size."
        )
    return examples


def check_data(spec: Any) -> int | None:
    """Read a dataset's local files without loading them (what `summcheck validate` does),
    through its loader's "check" hook: DataError at the first bad row; the number of rows
    checked, or None when nothing local was read (bundled samples, a hub dataset)."""
    check = LOADERS.load(spec.source, "check")
    return (check(spec) or None) if check else None


def with_prepare_hint(spec: Any, err: DataError) -> DataError:
    """`err`, with the command that prepares the data when the config names one."""
    if getattr(spec, "prepare", None):
        return DataError(f"{err} Prepare the data first: {spec.prepare}")
    return err


def _clean(example: Example) -> Example:
    """Example with HTML entities decoded and tags dropped; meta records that it happened.
    Most examples have no markup: a look for its two characters in each text finds that
    sooner than cleaning each text."""
    story, title, bullets = example.story, example.title, "\n".join(example.reference_bullets)
    if not ("<" in story or "&" in story or "<" in bullets or "&" in bullets
            or "<" in title or "&" in title):
        return example
    story, title = clean_markup(example.story), clean_markup(example.title)
    # one line per bullet after cleaning too: "<br>" and "<p>" become line breaks, which
    # rougeLsum would read as sentence ends, and "<p></p>" alone leaves a blank bullet
    # ("<p>...</p>" a wordless one)
    bullets = tuple(worded(" ".join(clean_markup(x).split())
                           for x in example.reference_bullets))
    if (story, title, bullets) == (example.story, example.title, example.reference_bullets):
        return example
    return replace(example, story=story, title=title, reference_bullets=bullets,
                   meta={**example.meta, "html_cleaned": True})


class _CleaningTap:
    """A tap that takes each example with `_clean` applied, as `load_examples` returns it."""

    def __init__(self, tap: Tap):
        self.tap = tap

    def take(self, example: Example) -> None:
        self.tap.take(_clean(example))

    def abandon(self) -> None:
        self.tap.abandon()


def sample_indices(n: int, sample: int | None, seed: int) -> Sequence[int]:
    """Indices of a seeded random sample of size `sample` (all rows if None: a range, which
    takes no memory per row), in row order."""
    if sample is None or sample >= n:
        return range(n)
    return sorted(random.Random(seed).sample(range(n), sample))


def check_unique_ids(examples: Sequence[Example], *, where: str) -> None:
    seen: dict[str, int] = {}
    for number, ex in enumerate(examples, 1):
        first = seen.setdefault(ex.id, number)
        if first != number:
            raise duplicate_id(where, ex.id, f"examples {first} and {number} as read")


def duplicate_id(where: str, example_id: str, rows: str = "") -> DataError:
    """The error for an id two rows share; `rows` says which ("data rows 2 and 4")."""
    at = f" ({rows})" if rows else ""
    return DataError(
        f"{where}: duplicate example id {example_id!r}{at}. Ids key the cache and the "
        "scores; make them unique (or map `fields.id: null` to use row numbers).")


class IdLedger:
    """The ids of a read of the examples, fed in order a chunk at a time, kept as 16 bytes
    each (their 128-bit blake2b hashes) in a memory-mapped scratch file: a set of a million
    id strings held about 90 MB for the whole run. `check` raises `check_unique_ids`'s
    error, for the same id."""

    def __init__(self) -> None:
        from .. import scratch

        self._hashes = scratch.Rows("u8", 2)

    def add(self, ids: Sequence[str]) -> None:
        import numpy as np

        self._hashes.add(np.frombuffer(b"".join(
            hashlib.blake2b(i.encode("utf-8", "surrogatepass"), digest_size=16).digest()
            for i in ids), np.uint64))

    def first_repeat(self) -> int | None:
        """The position of the first id an earlier one hashes the same as, or None."""
        from .. import scratch

        table = scratch.sort_hashes(self._hashes.mapped())   # stable: ties in read order
        pair = scratch.first_repeat(table[0], table[1], table[2])
        return None if pair is None else pair[1]

    def check(self, examples: Sequence[Example], *, where: str) -> None:
        """Raise for the first repeated id of `examples` (the sequence that was read). A
        hash collision (about 1e-27 at a million ids) is told apart by comparing the ids
        themselves; then the exact set check decides."""
        position = self.first_repeat()
        if position is None:
            return
        repeated = examples[position].id
        first = next((i for i, (ex, _) in enumerate(zip(examples, range(position)))
                      if ex.id == repeated), None)
        if first is not None:
            raise duplicate_id(where, repeated, f"examples {first + 1} and {position + 1} as read")
        check_unique_ids(examples, where=where)


def describe_source(spec: Any) -> str:
    """The data in a few words, for error messages (each dataset spec's `describe`)."""
    return spec.describe()
