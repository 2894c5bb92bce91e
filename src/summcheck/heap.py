"""Fewer garbage collections while scoring.

CPython's collector runs a young collection every 700 new container objects and a full
one, which walks every container alive (the loaded spaCy pipeline, the encoder, the
caches), after enough young ones. Scoring makes millions of short-lived containers (NER
docs, per-word dicts) and the checks' per-story caches keep some, so full collections
came again and again while scoring; raising the young threshold to `_YOUNG` makes them
rare. What that saves, both sides in one run: benchmarks/results/check_overlap.md.

Reference cycles are still collected, only later; the extra young objects waiting for a
collection are a few MB at most. A threshold the user set higher is left as it is.

`gc.freeze()` after the models are loaded saved about as much in an A/B, but it keeps
every reference cycle alive then for good, and a benchmark run with it hung at exit
(notes of benchmarks/results/default_consistency.md, 2026-12-05 15:30), so it is not
used.
"""

from __future__ import annotations

import gc

_YOUNG = 20_000
_done = False


def fewer_collections() -> None:
    """Raise the young-generation threshold to `_YOUNG`, once per process."""
    global _done
    if _done:
        return
    _done = True
    young, *older = gc.get_threshold()
    if young and young < _YOUNG:      # 0: collection turned off, leave it so
        gc.set_threshold(_YOUNG, *older)
