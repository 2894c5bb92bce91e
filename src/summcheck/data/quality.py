"""Warnings about the data that change how results should be read; the run goes on."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..text import has_words
from ..types import Example

_NON_ASCII_SHARE = 0.03   # share of words; above it ROUGE's default tokenizer loses words
_BATCH = 256              # examples whose reference words are counted together
# What str.split() splits on: ASCII whitespace (0x09-0x0D, 0x1C-0x20) by byte, and the
# other Unicode spaces by code point.
WIDE_SPACES = np.array([0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F,
                        0x205F, 0x3000])


def data_warnings(examples: Iterable[Example], *, rouge_tokenizer: str | None) -> list[str]:
    """Read the examples once (they may be streamed from disk) and describe what is off."""
    survey = DataSurvey(rouge_tokenizer)
    for example in examples:
        survey.add(example)
    return survey.warnings()


class DataSurvey:
    """`data_warnings` an example at a time, for a caller that reads the examples for
    other questions too (the runner's survey).

    The non-ASCII share is counted on the reference highlights: they are what ROUGE
    scores from the data (with the summaries), so their words are the ones its default
    tokenizer can lose. The story is never ROUGE-scored; counting its words (ten times
    as many) was most of the survey's cost, and it warned about curly quotes in stories
    whose references were plain ASCII."""

    def __init__(self, rouge_tokenizer: str | None):
        self.empty: list[str] = []
        self.no_refs: list[str] = []
        self.cleaned: list[str] = []
        self.replaced: list[str] = []
        self.words = self.non_ascii = 0
        self._batch: list[bytes] = []
        self._count = rouge_tokenizer == "default"   # only it drops non-ASCII words

    def add(self, e: Example) -> None:
        if e.story.isspace() or not e.story:
            self.empty.append(e.id)
        if not any(map(has_words, e.reference_bullets)):
            self.no_refs.append(e.id)
        if e.meta.get("html_cleaned"):
            self.cleaned.append(e.id)
        if "\ufffd" in e.story or "\ufffd" in e.title or \
                any("\ufffd" in b for b in e.reference_bullets):
            self.replaced.append(e.id)
        if self._count:
            self._batch.append("\n".join(e.reference_bullets).encode("utf-8", "surrogatepass"))
            if len(self._batch) == _BATCH:
                self._count_batch()

    def _count_batch(self) -> None:
        words, non_ascii = word_counts(self._batch)
        self.words, self.non_ascii = self.words + words, self.non_ascii + non_ascii
        self._batch.clear()

    def warnings(self) -> list[str]:
        if self._batch:
            self._count_batch()
        empty, no_refs, cleaned = self.empty, self.no_refs, self.cleaned
        warnings = []
        if empty:
            warnings.append(f"{len(empty)} example(s) have an empty story ({_ids(empty)}): "
                            "an extractive summary of it is empty and counts as failed; a "
                            "model's or a precomputed summary is scored against the blank "
                            "story.")
        if no_refs:
            warnings.append(f"{len(no_refs)} example(s) have no reference highlights "
                            f"({_ids(no_refs)}): reference metrics are not applicable "
                            "there (left out of their means); the consistency checks "
                            "still run.")
        if cleaned:
            warnings.append(f"{len(cleaned)} example(s) contained HTML entities or tags, "
                            f"decoded and removed ({_ids(cleaned)}); set dataset.clean_html:"
                            " false to keep the text as is.")
        if self.replaced:
            warnings.append(f"{len(self.replaced)} example(s) hold U+FFFD, the replacement "
                            f"character, in place of text that was not valid "
                            f"({_ids(self.replaced)}): a lone surrogate escape such as "
                            "\\ud800 in a JSON file (often a string cut inside an emoji) "
                            "reads as U+FFFD. Fix the data to score those words.")
        share = self.non_ascii / self.words if self.words else 0.0
        if self._count and share > _NON_ASCII_SHARE:
            warnings.append(f"{share:.0%} of the reference highlights' words have a "
                            "non-ASCII character: ROUGE's default tokenizer keeps only "
                            "[a-z0-9] and splits words at any other character ('München' "
                            "scores as 'm nchen'). Set metrics.rouge.tokenizer: unicode "
                            "(scores then differ from papers').")
        return warnings


def word_counts(texts: list[bytes]) -> tuple[int, int]:
    """(words, words with a non-ASCII character) of the UTF-8 encoded `texts` as
    str.split() cuts the texts, counted without making the words: splitting every story was
    much of a run's data survey. A word starts where a non-space byte follows a space;
    the Unicode spaces are found by their lead bytes (C2, E1-E3) among the non-ASCII bytes
    and decoded there, and two non-ASCII bytes are in one word when no space lies between
    them: no array of word starts is made, and all-ASCII texts skip both steps.
    Hand-written: no library counts words this way."""
    joined = b" " + b" ".join(texts) + b"  "   # the two spaces let a lead byte's next two be read
    data = np.frombuffer(joined, np.uint8)
    space = ((data - np.uint8(0x09)) < 5) | ((data - np.uint8(0x1C)) < 5)   # 09-0D, 1C-20
    if joined.isascii():
        return _word_starts(space), 0
    high = np.flatnonzero(data >= 0x80)
    first = data[high]
    _mark_wide_spaces(data, space, high[(first == 0xC2) | ((first - np.uint8(0xE1)) <= 2)])
    inside = high[~space[high]]   # the non-ASCII bytes of words
    apart = np.logical_or.reduceat(space, inside)[:-1] if len(inside) else ()
    return _word_starts(space), int(np.count_nonzero(apart)) + bool(len(inside))


def _word_starts(space: np.ndarray) -> int:
    return int(np.count_nonzero(space[:-1] > space[1:]))


def _mark_wide_spaces(data: np.ndarray, space: np.ndarray, lead: np.ndarray) -> None:
    """Mark in `space` the bytes of the Unicode spaces whose lead bytes are at `lead`."""
    b0, b1, b2 = (data[lead + k].astype(np.int32) for k in range(3))
    two = b0 == 0xC2
    code = np.where(two, ((b0 & 0x1F) << 6) | (b1 & 0x3F),
                    ((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F))
    wide = np.isin(code, WIDE_SPACES)
    at = lead[wide]
    space[at] = space[at + 1] = True
    space[at[~two[wide]] + 2] = True   # the third byte of a three-byte space


def _ids(ids: list[str], shown: int = 5) -> str:
    more = f", ... {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more
