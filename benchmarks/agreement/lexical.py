"""Lexical source support: the share of a summary's content words and word bigrams
that the story has (the `cw` and `bg` variants; 1 - bg is the novel-bigram share that
the copy-bias tables correlate with).

Tokens as rouge_score makes them: [A-Za-z0-9]+ runs, lowercased, compared by Porter stem
for words of more than 3 characters (summcheck.consistency.support.stem, the support
check's stemmer), so "supported" means what ROUGE's matching means. Two differences from
the support check's own `content_words` are kept on purpose, because agreement.md's cw
and bg figures and agreement_cv's novelty feature were measured with them:

- a summarizer's unknown-word placeholder ("UNK", "<unk>"; some FRANK systems write it)
  is a wildcard token: it takes its place in a bigram and matches any story word, where
  the support check drops it as a stop word;
- content words leave out spaCy's English stop words, not support.STOP_WORDS: the two
  lists differ (spaCy's has the number words, "first", "made", "get", ...; summcheck's
  has "said" and "says"), which changes the content-word counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from summcheck.consistency.support import stem

_TOKEN = re.compile(r"<unk>|[A-Za-z0-9]+")
WILDCARD = None


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def words(text: str) -> list[tuple[str, str | None]]:
    """(lowercase word, stem) pairs; the stem is WILDCARD for an unknown-word placeholder."""
    out = []
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token in ("UNK", "<unk>"):
            out.append((token, WILDCARD))
        else:
            out.append((token.lower(), stem(token.lower())))
    return out


def is_content(word: str, word_stem: str | None) -> bool:
    """Content word: alphabetic, 2+ letters, not a (spaCy) stop word; not a placeholder.
    Digits are left to the number check."""
    return (word_stem is not WILDCARD and len(word) > 1 and word.isalpha()
            and word not in _stop_words())


@dataclass(frozen=True)
class StoryVocabulary:
    stems: frozenset[str]
    bigrams: frozenset[tuple[str, str]]


@lru_cache(maxsize=512)
def story_vocabulary(story: str) -> StoryVocabulary:
    stems = [s for _, s in words(story)]
    return StoryVocabulary(frozenset(s for s in stems if s is not WILDCARD),
                           frozenset(zip(stems, stems[1:])))


def source_support(story: str, bullets: Sequence[str]) -> dict[str, float]:
    """Counts of summary content words and word bigrams (within a bullet), and how many of
    them the story lacks. A bigram with a placeholder needs only its other word."""
    vocab = story_vocabulary(story)
    content = content_missing = bigrams = bigrams_missing = 0
    for bullet in bullets:
        toks = words(bullet)
        for word, word_stem in toks:
            if is_content(word, word_stem):
                content += 1
                content_missing += word_stem not in vocab.stems
        for (_, a), (_, b) in zip(toks, toks[1:]):
            bigrams += 1
            if a is WILDCARD or b is WILDCARD:
                other = b if a is WILDCARD else a
                bigrams_missing += other is not WILDCARD and other not in vocab.stems
            else:
                bigrams_missing += (a, b) not in vocab.bigrams
    return {"content": content, "content_missing": content_missing,
            "bigrams": bigrams, "bigrams_missing": bigrams_missing}


def share(missing: float, total: float) -> float:
    """The supported share: 1 - missing / total, 1.0 when there is nothing to check."""
    return 1.0 - missing / total if total else 1.0
