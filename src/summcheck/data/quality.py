"""Warnings about the data that change how results should be read; the run goes on."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..types import Example

_NON_ASCII_SHARE = 0.03   # share of words; above it ROUGE's default tokenizer loses words
_BATCH = 256              # ASCII stories whose words are counted together
# The ASCII characters str.split() splits on (the information separators 0x1c-0x1f too).
_SPACE = np.zeros(256, bool)
_SPACE[[ord(c) for c in " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"]] = True


def data_warnings(examples: Iterable[Example], *, rouge_tokenizer: str | None) -> list[str]:
    """Read the examples once (they may be streamed from disk) and describe what is off."""
    empty, no_refs, cleaned = [], [], []
    words = non_ascii = 0
    ascii_stories: list[str] = []
    count_words = rouge_tokenizer == "default"   # only that tokenizer drops non-ASCII words
    for e in examples:
        if e.story.isspace() or not e.story:
            empty.append(e.id)
        if not any(b.strip() for b in e.reference_bullets):
            no_refs.append(e.id)
        if e.meta.get("html_cleaned"):
            cleaned.append(e.id)
        if not count_words:
            continue
        if e.story.isascii():
            ascii_stories.append(e.story)
            if len(ascii_stories) == _BATCH:
                words += ascii_words(ascii_stories)
                ascii_stories.clear()
        else:
            story_words = e.story.split()
            words += len(story_words)
            non_ascii += len(story_words) - sum(map(str.isascii, story_words))
    words += ascii_words(ascii_stories)
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
    if count_words and share > _NON_ASCII_SHARE:
        warnings.append("much of the text is non-ASCII: ROUGE's default tokenizer keeps only "
                        "[a-z0-9], so those words vanish from ROUGE. Set "
                        "metrics.rouge.tokenizer: unicode (scores then differ from papers').")
    return warnings


def ascii_words(texts: list[str]) -> int:
    """sum(len(t.split()) for t in texts) for ASCII texts, counted without making the
    words (splitting every story was much of a run's data survey): the starts of runs
    of non-space bytes. Hand-written: no library counts words this way."""
    if not texts:
        return 0
    space = _SPACE[np.frombuffer((" " + " ".join(texts)).encode("ascii"), np.uint8)]
    return int(np.count_nonzero(space[:-1] & ~space[1:]))


def _ids(ids: list[str], shown: int = 5) -> str:
    more = f", ... {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more
