"""Levels of the candidate scores on faithful abstractive text: human reference
highlights and the bundled demo bullets checked as if they were summaries.
"""

from __future__ import annotations

import numpy as np

from summcheck.consistency.support import SupportCheck
from summcheck.text import split_bullets
from summcheck.types import Example, Summary

from ..data import load_jsonl
from .lexical import source_support
from .records import add_support, score_like_run
from .support import run_support, support_alternatives
from .tables import flag_share
from .variants import BEST_LEXICAL, BY_NAME, SHIPPED


def demo_bullets() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(story, bullet) pairs of the bundled demo abstractive outputs: bullets without and
    with a planted error."""
    from importlib.resources import files

    samples = files("summcheck") / "data" / "samples"
    stories = {r["id"]: r["story"] for r in load_jsonl(samples / "stories.jsonl")}
    clean, planted = [], []
    for row in load_jsonl(samples / "abstractive.jsonl"):
        errors = {e["bullet"] for e in row.get("planted_errors", [])}
        for i, bullet in enumerate(row["summary"]):
            (planted if i in errors else clean).append((stories[row["id"]], bullet))
    return clean, planted


def calibration_table(frank_rows: list[dict], se_rows: list[dict], checks: list,
                      support: dict[str, SupportCheck]) -> list[str]:
    """Levels of the candidate scores on text that is abstractive and (mostly) faithful:
    human reference highlights checked as if they were summaries, and the demo bullets;
    and the share of their bullets that the support check flags (weak-bullet findings)."""
    def refs(rows: list[dict], dataset: str) -> list[tuple[str, list[str]]]:
        first = {}
        for r in rows:
            if r.get("dataset", "cnndm") == dataset:
                first.setdefault(r["article"], split_bullets(r["reference"]))
        return list(first.items())

    clean, planted = demo_bullets()
    groups = [
        ("FRANK CNN/DM reference highlights", refs(frank_rows, "cnndm")),
        ("SummEval reference highlights", refs(se_rows, "cnndm")),
        ("FRANK XSum reference sentences (often add outside facts)", refs(frank_rows, "xsum")),
        ("demo abstractive bullets, faithful (bundled samples)", [(s, [b]) for s, b in clean]),
        ("demo abstractive bullets with a planted error", [(s, [b]) for s, b in planted]),
    ]
    names = [n for n in [SHIPPED, "share", "content words", "bigrams", BEST_LEXICAL, "sup-lex",
                         "sup-lex-min", "sup-emb", "product x sup-lex-min", "product x sup-emb",
                         "alt sup-lex saturated min", "product x saturated min",
                         "sup-lex+emb", "shipped with support"]
             if "embedding" in support or not BY_NAME[n].embedding]
    flags = [f"{m} flagged" for m in support]
    lines = ["| text checked as a summary | n | " + " | ".join(names + flags) + " |",
             "|---|---|" + "---|" * (len(names) + len(flags))]
    for title, items in groups:
        pairs = [(Example(f"cal-{i}", story), Summary(f"cal-{i}", tuple(bullets)))
                 for i, (story, bullets) in enumerate(items)]
        records = []
        for (example, summary), (values, results) in zip(pairs, score_like_run(pairs, [], checks)):
            rec = {"consistency": values["consistency"],
                   "numbers_precision": values["numbers_precision"],
                   "entities_precision": values["entities_precision_source"],
                   "mentions": sum(len(r.findings) + len(r.supported) for r in results),
                   "mentions_unsupported": sum(len(r.findings) for r in results)}
            rec.update(source_support(example.story, summary.bullets))
            records.append(rec)
        for rec, sup, alt in zip(records, run_support(pairs, [range(len(pairs))], support),
                                 support_alternatives(pairs, None)):
            add_support(rec, sup, alt)
        means = [np.mean([BY_NAME[n].score(r) for r in records]) for n in names]
        means += [flag_share(records, m) for m in support]
        lines.append(f"| {title} | {len(records)} | " + " | ".join(f"{m:.2f}" for m in means)
                     + " |")
    return lines
