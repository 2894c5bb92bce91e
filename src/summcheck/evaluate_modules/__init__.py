"""summcheck's ROUGE and consistency checks as Hugging Face `evaluate` modules.

Each module is a folder holding a script of the same name, shipped inside the package, so
`evaluate.load` finds it on disk and never asks the hub (works offline)::

    import evaluate
    from summcheck import evaluate_modules

    rouge = evaluate.load(evaluate_modules.path("summcheck_rouge"))
    rouge.compute(predictions=["- Bullet one.\\n- Bullet two."], references=["..."])

Input convention, shared by all modules: one string per summary, split into bullets as
`summcheck run` splits a text summary (`to_bullets` = `text.split_bullets`: marker lines
"- ", "* ", "1." are bullets, unmarked lines continue them; with no markers, sentences);
references one bullet per line. Sources are the stories, one string each. The modules
compute with summcheck's own code (`RougeMetric`, `NumberCheck`, `EntityCheck`,
`overall_consistency`), so their numbers equal a `summcheck run`'s per-example values for
the same texts, except that a run keeps only the first `bullets.max_bullets` bullets (4
by default) and the modules keep all. Aggregates are plain means over the examples (not
rouge_score's bootstrap median); `use_aggregator=False` gives per-example lists.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from summcheck.consistency.base import Check
from summcheck.metric_kinds import failure_scores
from summcheck.plugins import adopt
from summcheck.text import split_bullets, strip_bullet, worded

NAMES = ("summcheck_rouge", "summcheck_numbers", "summcheck_entities", "summcheck_consistency")

BULLETS_DOC = """\
predictions: list of summaries, one string each, split into bullets as `summcheck run`
    splits a text summary: lines starting with a marker ("- ", "* ", "1.") are bullets
    (unmarked lines continue the bullet before them); without markers, each sentence is
    a bullet. A run also keeps only its first `bullets.max_bullets` (4 by default); these
    modules keep every bullet. An empty prediction is a failed summary: 0 on every score,
    None for counts (as in a run).
"""


def path(name: str) -> str:
    """The folder of module `name`, for `evaluate.load(path(name))`."""
    if name not in NAMES:
        raise ValueError(f"unknown evaluate module {name!r}; choose one of {', '.join(NAMES)}")
    return str(Path(__file__).resolve().parent / name)


def to_bullets(text: str) -> list[str]:
    """The bullets of one summary string, as a run splits a text summary (no cap)."""
    return list(split_bullets(text))


def reference_bullets(text: str) -> list[str]:
    """The bullets of one reference string: one per line holding a word, markers removed
    (a "..." line was a reference bullet the checks' reference-side scores read, where a
    run drops it: text.worded)."""
    return worded(strip_bullet(line) for line in text.splitlines())


def summarize(rows: Sequence[dict[str, Any]], use_aggregator: bool,
              predictions: Sequence[str]) -> dict[str, Any]:
    """Per-example score dicts -> the mean of each key over the examples that have it, or
    (use_aggregator=False) one list per key with None where an example lacks the key.
    An empty prediction is a failed summary, scored as `summcheck run` scores one: 0 on
    every rate, no counts (metric_kinds.failure_scores)."""
    rows = [row if to_bullets(pred) else failure_scores(row)
            for row, pred in zip(rows, predictions, strict=True)]
    keys = list(dict.fromkeys(k for row in rows for k in row))
    if not use_aggregator:
        return {k: [row.get(k) for row in rows] for k in keys}
    out = {}
    for k in keys:
        values = [row[k] for row in rows if k in row]
        out[k] = sum(values) / len(values)
    return out


@lru_cache(maxsize=4)
def entity_check(labels: tuple[str, ...] | None, model: str):
    """One EntityCheck per (labels, model), kept so spaCy loads once per process."""
    from summcheck.consistency.entities import DEFAULT_LABELS, EntityCheck

    return EntityCheck(labels=labels or DEFAULT_LABELS, model=model)


def labels_tuple(labels) -> tuple[str, ...] | None:
    """The entity labels as given; a string was split into its letters as labels."""
    if isinstance(labels, str):
        raise ValueError(f"labels: a list of entity labels, e.g. ['PERSON', 'ORG'], not "
                         f"the string {labels!r}")
    return tuple(labels) if labels else None


@lru_cache(maxsize=1)
def default_support_check():
    """The support check of a run's default config (`checks.support` unset)."""
    from summcheck.consistency.registry import SupportSpec
    from summcheck.consistency.support import build

    return build(SupportSpec())


def run_check(check, predictions: Sequence[str], sources: Sequence[str],
              references: Sequence[str] | None = None) -> list:
    """`check`'s CheckResult for each summary; an empty reference string means none."""
    items = [(source, to_bullets(pred),
              (reference_bullets(ref) or None) if ref is not None else None)
             for pred, source, ref in zip(predictions, sources,
                                          references or [None] * len(predictions), strict=True)]
    return adopt(check, Check).check_many(items)


def findings(results: Sequence) -> list[dict[str, Any]]:
    """The findings (unsupported mentions) of one summary's check results, as dicts."""
    return [f.to_dict() for r in results for f in r.findings]


def string_info(description: str, citation: str, inputs_description: str, *columns: str):
    """MetricInfo for a module whose inputs are all strings (one feature per column)."""
    import datasets
    import evaluate

    return evaluate.MetricInfo(
        description=description, citation=citation, inputs_description=inputs_description,
        features=datasets.Features({c: datasets.Value("string") for c in columns}),
    )
