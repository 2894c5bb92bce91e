"""Keep the garbage collector off the loaded models' objects.

CPython's full (oldest-generation) collections walk every container object alive. Once
spaCy, the encoder and the metrics are loaded, most of those objects live as long as the
process, and the checks' per-story caches make enough new long-lived objects to start
full collections again and again while scoring (what that cost and what this saves:
benchmarks/results/default_consistency.md).

`settle_once()` runs after a process's first scored batch, when its models are loaded:
one full collection, then `gc.freeze()`, which moves every object still alive into a
permanent generation the collector no longer scans (the use the Python docs give for
it). Frozen objects are still freed by reference counting as usual; only a reference
cycle among them would now outlive its use, and the models and caches alive after a
first batch hold none that is ever dropped. Workers forked later (NER, the support
check) also no longer copy the frozen objects' memory pages when their own collections
would have touched them.
"""

from __future__ import annotations

import gc

_settled = False


def settle_once() -> None:
    global _settled
    if _settled or not gc.isenabled():
        return
    _settled = True
    gc.collect()
    gc.freeze()
