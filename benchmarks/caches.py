"""Emptying summcheck's process-wide caches of per-text work between timed repeats."""

from __future__ import annotations

import sys


def clear_text_caches() -> int:
    """Empty summcheck's process-wide caches of per-text work (functools caches of 256
    entries or more: story sentences, story indexes and chunks, stems, story numbers...),
    so that a timed repeat pays for every story as a new process would; the loaded models
    (smaller caches) stay. Found by walking summcheck's modules, so a cache added later is
    emptied too. Returns how many caches were emptied."""
    emptied = 0
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] != "summcheck":
            continue
        for obj in vars(module).values():
            size = getattr(obj, "cache_parameters", lambda: {})().get("maxsize")
            if getattr(obj, "__module__", None) == name and size is not None and size >= 256:
                obj.cache_clear()
                emptied += 1
    return emptied
