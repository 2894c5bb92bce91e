"""pysbd's English segmenter, faster, with the same sentences.

Most of pysbd's time on a news story goes to two steps that build regular expressions
from strings (benchmarks/results/sentence_split.md): the abbreviation pass
(`AbbreviationReplacer.search_for_abbreviations_in_string`), and mapping each sentence
back to the original text (`Segmenter.sentences_with_char_spans`, one pattern per
sentence). There are more distinct patterns than the `re` module's cache holds, so they
are compiled again and again. Written here because pysbd has no faster mode; these two
methods are overridden with the same results:

- the abbreviation pass builds every pattern as pysbd does and compiles it once, and runs
  a substitution once per distinct matched spelling ("Mr", "mr") rather than once per
  occurrence. That is exact: a substitution only turns "." into "∯", which can stop a
  later match of these patterns but never start one, so repeating it changes nothing.
  Where pysbd's look-up of the next character finds anything (its pattern needs a
  literal "{abbr} " in the text), pysbd's own per-occurrence loop runs. An abbreviation
  of ASCII letters is not searched for at all when the lowercased text lacks
  "<abbreviation>.": every substitution needs the matched spelling and a "." (a text
  with one of the non-ASCII letters that match ASCII ones ignoring case is searched
  in full);
- sentences are found with `str.find` and the whitespace after them with
  `str.isspace` (what the pattern's `\\s*` matches in a str), taking, as pysbd does,
  each sentence's first non-overlapping occurrence that ends after the previous span.

Used only with the pysbd release it was checked against (`CHECKED`); another release
gets pysbd unchanged. tests/test_pysbd_fast.py checks the sentences equal pysbd's.
"""

from __future__ import annotations

import re
from functools import lru_cache

CHECKED = "0.3.4"


def english_segmenter():
    """A `pysbd.Segmenter` for English (clean=False): the faster one when pysbd is the
    checked release, else pysbd's own."""
    import pysbd

    if pysbd.__version__ != CHECKED:
        return pysbd.Segmenter(language="en", clean=False)

    class FastSegmenter(pysbd.Segmenter):
        def sentences_with_char_spans(self, sentences):
            if not all(sentences):      # an empty sentence: pysbd's own matching
                return super().sentences_with_char_spans(sentences)
            return _spans(self.original_text, sentences)

    segmenter = FastSegmenter(language="en", clean=False)
    english = segmenter.language_module
    replacer = type("FastAbbreviationReplacer", (english.AbbreviationReplacer,),
                    {"search_for_abbreviations_in_string": _search})
    segmenter.language_module = type("FastEnglish", (english,),
                                     {"AbbreviationReplacer": replacer})
    return segmenter


def _spans(text: str, sentences: list[str]) -> list:
    from pysbd.utils import TextSpan

    spans, prior_end = [], 0
    for sentence in sentences:
        start = text.find(sentence)
        while start >= 0:
            end = start + len(sentence)
            while end < len(text) and text[end].isspace():
                end += 1
            if end > prior_end:
                spans.append(TextSpan(text[start:end], start, end))
                prior_end = end
                break
            start = text.find(sentence, end)
    return spans


@lru_cache(maxsize=8192)    # patterns: 188 abbreviations x the spellings met
def _compiled(pattern: str, flags: int = 0) -> re.Pattern:
    return re.compile(pattern, flags)


# Characters outside ASCII that a case-insensitive ASCII letter matches (İ ı ſ K: every
# one, tests/test_pysbd_fast.py). A text with one gets every abbreviation scanned.
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")


def _search(self, text: str) -> str:
    """pysbd 0.3.4's `search_for_abbreviations_in_string`, same result (module docstring)."""
    lowered = text.lower()
    abbreviation = self.lang.Abbreviation
    plain = _plain_abbreviations(tuple(abbreviation.ABBREVIATIONS))
    if any(c in text for c in _FOLDS_TO_ASCII):
        plain = frozenset()
    for abbr in abbreviation.ABBREVIATIONS:
        stripped = abbr.strip()
        if stripped not in lowered or (stripped in plain and stripped + "." not in lowered):
            continue
        matches = _compiled(r"(?:^|\s|\r|\n){}".format(stripped), re.IGNORECASE).findall(text)
        if not matches:
            continue
        next_chars = [] if "{" not in text else _compiled(
            r"(?<={" + str(re.escape(stripped)) + "} ).{1}").findall(text)
        if next_chars:      # pysbd's own loop: which occurrence is skipped depends on them
            for index, match in enumerate(matches):
                text = self.scan_for_replacements(text, match, index, next_chars)
            continue
        for spelling in dict.fromkeys(match.strip() for match in matches):
            text = _replace(text, spelling, abbreviation)
    return text


@lru_cache(maxsize=4)
def _plain_abbreviations(abbreviations: tuple[str, ...]) -> frozenset[str]:
    """The abbreviations of ASCII letters only. Every substitution needs the matched
    spelling followed by "." in the text; for these the spelling is the abbreviation up
    to case, so without "<abbreviation>." in the lowercased text nothing can change."""
    return frozenset(a.strip() for a in abbreviations
                     if a.strip().isascii() and a.strip().isalpha())


def _replace(text: str, spelling: str, abbreviation) -> str:
    """pysbd's `scan_for_replacements` for a match with no next character recorded."""
    key = spelling.lower()
    if key in abbreviation.PREPOSITIVE_ABBREVIATIONS:
        pattern = r"(?<=\s{abbr})\.(?=(\s|:\d+))".format(abbr=spelling)
    elif key in abbreviation.NUMBER_ABBREVIATIONS:
        pattern = r"(?<=\s{abbr})\.(?=(\s\d|\s+\())".format(abbr=spelling)
    else:
        pattern = r"(?<=\s{abbr})\.(?=((\.|\:|-|\?|,)|(\s([a-z]|I\s|I'm|I'll|\d|\())))".format(
            abbr=re.escape(spelling))
    return _compiled(pattern).sub("∯", " " + text)[1:]
