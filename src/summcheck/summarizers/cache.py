"""The generation cache and the cache-then-generate step both backends share.

`GenerationCache` keys summaries by (summarizer fingerprint, example input hash). The
input hash covers the example's title, story and reference bullets, and its id unless
the summarizer declares `reads_example_id = False` (base.Summarizer): a precomputed file
answers by id, so two examples with the same story may have different summaries.

`CachedSummaries` is the step's bookkeeping (what the cache holds, what is left to
generate, finished batches into the cache) and `summarize_batch` generates one batch with
failures isolated per example. `summarize_with_cache` is the local backend's whole step;
the Ray backend uses the same two pieces with its own batches on its actors.

SQLite (stdlib) gives atomic commits: each finished batch is committed at once, so a run
killed mid-generation (Ctrl-C or SIGKILL) loses at most the batch in flight, and a re-run
regenerates nothing that finished. Examples whose summarizer raised are not cached, so
they are retried; an empty output is a (cached) result of a deterministic model.

A summarizer that declares `caches_generations = False` reads its summaries from a file
that is itself the source (precomputed): it is asked again on every run and nothing of it
is stored, so a run over a million precomputed rows does not copy them into SQLite.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

from .. import fastjson
from ..errors import SummcheckError
from ..plugins import adopt
from ..sqlite_db import guarded, open_db
from ..text import worded
from ..types import Example, Summary
from .base import Summarizer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS summaries (
    fingerprint TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    summary TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (fingerprint, content_hash)
)"""


class GenerationCache:
    def __init__(self, folder: str | Path):
        self.path = Path(folder) / "generations.sqlite"
        self._db = open_db(self.path, _SCHEMA)

    def get_many(self, summarizer: Summarizer, examples: Sequence[Example]
                 ) -> dict[str, Summary]:
        """Cached summaries by example id (re-labelled with the current id)."""
        fingerprint, with_id = summarizer.fingerprint(), summarizer.reads_example_id
        found: dict[str, Summary] = {}
        for ex in examples:
            with guarded(self.path):
                row = self._db.execute(
                    "SELECT summary FROM summaries WHERE fingerprint=? AND content_hash=?",
                    (fingerprint, ex.input_hash(with_id=with_id)),
                ).fetchone()
            if row:
                data = fastjson.loads(row[0])
                data["example_id"] = ex.id
                found[ex.id] = Summary.from_dict(data)
        return found

    def put_many(self, summarizer: Summarizer, pairs: Sequence[tuple[Example, Summary]]
                 ) -> None:
        fingerprint, with_id = summarizer.fingerprint(), summarizer.reads_example_id
        rows = [
            (fingerprint, ex.input_hash(with_id=with_id),
             json.dumps(s.to_dict(), ensure_ascii=False), time.time())
            for ex, s in pairs if not s.meta.get("exception")
        ]
        with guarded(self.path), self._db:
            self._db.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?)", rows)

    def close(self) -> None:
        self._db.close()


def summarize_with_cache(
    summarizer: Summarizer,
    examples: Sequence[Example],
    cache: GenerationCache,
    *,
    batch_size: int,
    on_progress: Callable[[int], None] = lambda n: None,
) -> tuple[list[Summary], int]:
    """Summaries for all examples in order, generating only what the cache lacks.

    Returns (summaries, number of generations made now: one per distinct input). A batch
    that raises is retried one example at a time so one bad example is recorded as failed
    instead of sinking the run. A summarizer that does not cache its generations
    (precomputed) is read in one call."""
    summarizer = adopt(summarizer, Summarizer)
    if not summarizer.caches_generations:
        summaries = summarize_batch(summarizer, list(examples))
        on_progress(len(summaries))
        return summaries, 0
    step = CachedSummaries(summarizer, examples, cache, on_progress)
    if step.todo:
        summarizer.load()   # a model that cannot load stops the run here, with the reason
    for start in range(0, len(step.todo), batch_size):
        step.add(summarize_batch(summarizer, step.todo[start:start + batch_size]))
    return step.result()


class CachedSummaries:
    """One summarizer's summaries of some examples through the generation cache: on
    creation the cached ones are found and `todo` lists what is left to generate (one
    example per distinct input, longest stories first); `add` takes finished summaries of
    `todo` examples (in any order) into the cache and copies them to the examples that
    share their input; `result` gives every example's summary once all are added."""

    def __init__(self, summarizer: Summarizer, examples: Sequence[Example],
                 cache: GenerationCache, on_progress: Callable[[int], None]):
        self.summarizer = adopt(summarizer, Summarizer)
        self.examples, self.cache, self.on_progress = examples, cache, on_progress
        self.done = cache.get_many(self.summarizer, examples)
        on_progress(len(self.done))
        missing = [ex for ex in examples if ex.id not in self.done]
        self.todo, self._copies = _distinct_inputs(self.summarizer, missing)
        self._todo_by_id = {ex.id: ex for ex in self.todo}

    def add(self, summaries: Sequence[Summary]) -> None:
        if self.summarizer.key_is_final():     # never under an "unresolved" key
            self.cache.put_many(self.summarizer,
                                [(self._todo_by_id[s.example_id], s) for s in summaries])
        self.on_progress(_record(summaries, self._copies, self.done))

    def result(self) -> tuple[list[Summary], int]:
        """(every example's summary in order, number generated now). Cached ones are
        checked as new ones are (`_check_output`): a summary cached before that check
        changed is still a failure now."""
        return ([_check_output(ex, self.done[ex.id]) for ex in self.examples],
                len(self.todo))


def _distinct_inputs(summarizer: Summarizer, examples: Sequence[Example]
                    ) -> tuple[list[Example], dict[str, list[str]]]:
    """(examples to generate, {generated id: ids of the examples with the same input}):
    one generation per distinct input (many systems' rows of one article share a story),
    longest stories first across the whole run, so each batch holds similar lengths (less
    padding for model summarizers); results are put back in input order by the caller."""
    with_id = summarizer.reads_example_id
    first: dict[str, Example] = {}
    copies: dict[str, list[str]] = {}
    for ex in examples:
        key = ex.input_hash(with_id=with_id)
        if key in first:
            copies.setdefault(first[key].id, []).append(ex.id)
        else:
            first[key] = ex
    return sorted(first.values(), key=lambda ex: -len(ex.story)), copies


def _record(summaries: Sequence[Summary], copies: dict[str, list[str]],
           done: dict[str, Summary]) -> int:
    """Put new summaries, and their copies for examples with the same input, in `done`;
    returns how many examples that settles."""
    before = len(done)
    for summary in summaries:
        done[summary.example_id] = summary
        for twin in copies.get(summary.example_id, ()):
            done[twin] = Summary.from_dict({**summary.to_dict(), "example_id": twin})
    return len(done) - before


def summarize_batch(summarizer: Summarizer, batch: list[Example]) -> list[Summary]:
    """The summaries of one batch. When the batch raises, each example is tried alone and
    one that still raises is recorded as failed (never cached); a SummcheckError (a
    model, extra or config problem) stops the run, as does an output that breaks the
    contract (not one summary per example, in order: `_answers`). An empty output is an
    error."""
    try:
        out = summarizer.summarize(batch)
    except SummcheckError:
        raise               # a user-facing problem (model, extra, config): stop the run
    except Exception:  # noqa: BLE001 - isolate the failing example(s) below
        return [_summarize_one(summarizer, ex) for ex in batch]
    return [_check_output(ex, s) for ex, s in zip(batch, _answers(summarizer, batch, out))]


def _summarize_one(summarizer: Summarizer, example: Example) -> Summary:
    try:
        out = summarizer.summarize([example])
    except SummcheckError:
        raise
    except Exception as err:  # noqa: BLE001 - recorded per example, the run goes on
        return Summary(example.id, (), meta={"exception": True},
                       error=f"{type(err).__name__}: {err}")
    return _check_output(example, _answers(summarizer, [example], out)[0])


def _answers(summarizer: Summarizer, batch: Sequence[Example], out) -> list[Summary]:
    """`out`, when it is one Summary per example of `batch`, in order. Anything else is a
    bug in the summarizer, not in one example: a summary filed under the wrong id would
    score against another story, so the run stops (batches finished before stay cached)."""
    out = list(out) if isinstance(out, (list, tuple)) else out
    expected = [ex.id for ex in batch]
    if not isinstance(out, list) or not all(isinstance(s, Summary) for s in out):
        got = f"a {type(out).__name__}" if not isinstance(out, list) else \
            "a list holding " + ", ".join(sorted({type(s).__name__ for s in out}))
        problem = f"returned {got}, not a list of Summary"
    elif [s.example_id for s in out] != expected:
        problem = (f"returned summaries for ids {_ids(s.example_id for s in out)} "
                   f"when asked for {_ids(expected)}")
    else:
        return out
    raise SummcheckError(
        f"summarizer {summarizer.label!r} {problem}: summarize(examples) must return one "
        "Summary per example, in the order given, each with that example's id "
        "(summcheck.summarizers.base.Summarizer.summarize). Fix the summarizer and run "
        "again; the batches finished before this one are cached.")


def _ids(ids) -> str:
    ids = [repr(i) for i in ids]
    return "[" + ", ".join(ids[:5]) + (f", ... ({len(ids)} in all)" if len(ids) > 5 else "") + "]"


def _check_output(example: Example, summary: Summary) -> Summary:
    """`summary` without its bullets that hold no letter or digit, or a failed one when
    none is left ((), [""], ["..."]: `text.worded`) or its error is an empty string:
    a plugin summarizer's blank bullets were counted as a summary (not in n_failed), an
    error "" was scored as a failure but not counted as one, and a "..." bullet beside
    real ones was scored as a bullet (the support check's 1.0 for a bullet with nothing to
    check raised the mean; the built-in summarizers' bullet parsing drops such lines)."""
    kept = tuple(worded(summary.bullets))
    if summary.error == "":
        error = "failed (the summarizer gave no message)"
    elif summary.error is None and not kept:
        error = "empty summary"
    elif summary.error is None and len(kept) < len(summary.bullets):
        return replace(summary, bullets=kept)
    else:
        return summary
    return Summary(example.id, (), raw_text=summary.raw_text, seconds=summary.seconds,
                   meta=summary.meta, error=error)


def pending(summarizer: Summarizer, examples: Sequence[Example], cache: GenerationCache) -> int:
    """How many examples this summarizer still has to generate (none when it is not
    cached: it reads its summaries and has no model to load)."""
    if not summarizer.caches_generations:
        return 0
    return len(examples) - len(cache.get_many(summarizer, examples))
