"""Warnings about the data that change how results should be read; the run goes on."""

from __future__ import annotations

from typing import Iterable

from ..types import Example

_NON_ASCII_SHARE = 0.03   # share of words; above it ROUGE's default tokenizer loses words


def data_warnings(examples: Iterable[Example], *, rouge_tokenizer: str | None) -> list[str]:
    """Read the examples once (they may be streamed from disk) and describe what is off."""
    empty, no_refs, cleaned = [], [], []
    words = non_ascii = 0
    for e in examples:
        if not e.story.strip():
            empty.append(e.id)
        if not any(b.strip() for b in e.reference_bullets):
            no_refs.append(e.id)
        if e.meta.get("html_cleaned"):
            cleaned.append(e.id)
        story_words = e.story.split()
        words += len(story_words)
        if not e.story.isascii():
            non_ascii += len(story_words) - sum(map(str.isascii, story_words))
    warnings = []
    if empty:
        warnings.append(f"{len(empty)} example(s) have an empty story ({_ids(empty)}); "
                        "their summaries will be empty and counted as failures.")
    if no_refs:
        warnings.append(f"{len(no_refs)} example(s) have no reference highlights "
                        f"({_ids(no_refs)}): reference metrics are not applicable there "
                        "(left out of their means); the consistency checks still run.")
    if cleaned:
        warnings.append(f"{len(cleaned)} example(s) contained HTML entities or tags, "
                        f"decoded and removed ({_ids(cleaned)}); set dataset.clean_html: "
                        "false to keep the text as is.")
    share = non_ascii / words if words else 0.0
    if rouge_tokenizer == "default" and share > _NON_ASCII_SHARE:
        warnings.append("much of the text is non-ASCII: ROUGE's default tokenizer keeps only "
                        "[a-z0-9], so those words vanish from ROUGE. Set "
                        "metrics.rouge.tokenizer: unicode (scores then differ from papers').")
    return warnings


def _ids(ids: list[str], shown: int = 5) -> str:
    more = f", ... {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more
