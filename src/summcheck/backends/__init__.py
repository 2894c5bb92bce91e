"""Where generation and scoring run: in this process (local) or on Ray (ray_backend.py).

A backend does the runner's two heavy steps; everything else (loading, the run folder,
aggregation, reports) stays in the runner, so both backends write the same run folder.

- `generate(summarizer, examples, cache, *, build, batch_size, on_progress)` returns
  `(summaries in the examples' order, number generated now)`, skipping what `cache` holds
  and putting each finished batch into it. `build` is a picklable function without
  arguments that builds the same summarizer again (a Ray worker calls it).
- `score(scorer, pairs)` yields one row `{"scores", "findings", "supported"}` per
  (example, summary) pair, in order, through `scorer`'s score cache.
- `close()` releases what the backend started.
- `window`: how many examples the runner hands over at a time (None: all at once).
"""

from __future__ import annotations

from typing import Callable, Iterator, Protocol, Sequence

from ..scoring import Scorer
from ..summarizers.cache import GenerationCache, summarize_with_cache
from ..types import Example, Summary


class Backend(Protocol):
    name: str
    window: int | None

    def generate(self, summarizer, examples: Sequence[Example], cache: GenerationCache, *,
                 build: Callable, batch_size: int,
                 on_progress: Callable[[int], None]) -> tuple[list[Summary], int]: ...

    def score(self, scorer: Scorer, pairs: Sequence[tuple[Example, Summary]]
              ) -> Iterator[dict]: ...

    def close(self) -> None: ...


class LocalBackend:
    """Everything in this process: the generation cache wrapper, then the scorer in steps
    of `score_chunk` pairs (memory stays flat in the size of the test set)."""

    name = "local"

    def __init__(self, *, score_chunk: int, window: int | None = None):
        self.score_chunk, self.window = score_chunk, window

    def generate(self, summarizer, examples, cache, *, build, batch_size, on_progress):
        return summarize_with_cache(summarizer, examples, cache, batch_size=batch_size,
                                    on_progress=on_progress)

    def score(self, scorer, pairs):
        for start in range(0, len(pairs), self.score_chunk):
            yield from scorer.score(pairs[start:start + self.score_chunk])

    def close(self) -> None:
        pass


BACKENDS = ("local", "ray")
