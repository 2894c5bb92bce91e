"""Extractive baselines: lead-k, TextRank and the greedy ROUGE oracle.

TextRank is the small graph version of Mihalcea & Tarau (2004) on networkx: the maintained
Python packages that ship it either need NLTK data downloads at run time (sumy) or are no
longer maintained (summa), and neither keeps our sentence splitter.
"""

from __future__ import annotations

import math
import re
import time
from functools import cached_property
from typing import Sequence

from ..text import SENTENCE_SPLITTER, split_sentences
from ..types import Example, Summary
from ..versions import installed_version
from .base import Summarizer, fingerprint_of

_WORD_RE = re.compile(r"[a-z0-9]+")


class _Extractive(Summarizer):
    """Shared loop: pick sentence indices per example, emit them in story order."""

    kind = "extractive"
    reads_example_id = False

    def __init__(self, spec, *, max_bullets: int | None):
        self.spec = spec
        self.label = spec.label
        self.max_bullets = max_bullets

    libraries: tuple[str, ...] = ()   # packages whose code picks the sentences

    def _settings(self) -> dict:
        settings = self.spec.model_dump(
            exclude={"name", "max_bullets", "optional", *self.spec.unhashed_fields})
        return {**settings, "max_bullets": self.max_bullets, "sentences": SENTENCE_SPLITTER,
                "cap": "best-ranked",   # max_bullets keeps the best of `select`'s order
                **{name: installed_version(name) for name in self.libraries}}

    def fingerprint(self) -> str:
        return fingerprint_of(self.kind, self._settings())

    def summarize(self, examples: Sequence[Example]) -> list[Summary]:
        return [self._one(ex) for ex in examples]

    def _one(self, example: Example) -> Summary:
        start = time.perf_counter()
        sentences = split_sentences(example.story)
        # `select` ranks best first: the cap keeps the best, then they read in story order
        # (it kept the earliest of them, so k=5 under max_bullets=4 was neither top 4)
        picked = sorted(self.select(sentences, example)[: self.max_bullets or None])
        bullets = tuple(sentences[i] for i in picked)
        return Summary(example.id, bullets, raw_text="\n".join(bullets),
                       seconds=time.perf_counter() - start)

    def select(self, sentences: list[str], example: Example) -> list[int]:
        raise NotImplementedError


class Lead(_Extractive):
    kind = "lead"

    def select(self, sentences, example):
        return list(range(min(self.spec.k, len(sentences))))


class TextRank(_Extractive):
    kind = "textrank"
    libraries = ("networkx",)   # PageRank

    def select(self, sentences, example):
        import networkx as nx

        words = [set(_WORD_RE.findall(s.lower())) for s in sentences]
        graph = nx.Graph()
        graph.add_nodes_from(range(len(sentences)))
        for i in range(len(sentences)):
            for j in range(i + 1, len(sentences)):
                weight = _overlap_similarity(words[i], words[j])
                if weight > 0:
                    graph.add_edge(i, j, weight=weight)
        if graph.number_of_edges() == 0:
            return list(range(min(self.spec.k, len(sentences))))
        ranks = nx.pagerank(graph, weight="weight")
        # ties broken by position so the output is deterministic
        return sorted(ranks, key=lambda i: (-ranks[i], i))[: self.spec.k]




def _overlap_similarity(a: set[str], b: set[str]) -> float:
    """Mihalcea & Tarau's sentence similarity: shared words over log lengths."""
    if len(a) < 2 or len(b) < 2:
        return 0.0
    return len(a & b) / (math.log(len(a)) + math.log(len(b)))


class Oracle(_Extractive):
    """Greedy extractive upper bound: add the sentence that raises ROUGE against the
    reference highlights most, until no sentence helps or k sentences are chosen."""

    kind = "oracle"
    libraries = ("rouge-score", "nltk")   # the ROUGE gains (nltk: Porter stems)

    @cached_property
    def _scorer(self):
        from rouge_score import rouge_scorer

        return rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)

    def _gain(self, candidate: list[str], reference: str) -> float:
        scores = self._scorer.score(reference, "\n".join(candidate))
        wanted = self.spec.metric.split("+")
        return sum(scores[m].fmeasure for m in wanted) / len(wanted)

    def select(self, sentences, example):
        if not example.reference_bullets:
            raise ValueError("the oracle needs reference highlights; this example has none")
        reference = "\n".join(example.reference_bullets)
        chosen: list[int] = []
        best = 0.0
        while len(chosen) < self.spec.k:
            gains = {
                i: self._gain([sentences[j] for j in sorted(chosen + [i])], reference)
                for i in range(len(sentences)) if i not in chosen
            }
            if not gains:
                break
            top = max(gains, key=lambda i: (gains[i], -i))
            if gains[top] <= best:
                break
            chosen.append(top)
            best = gains[top]
        return chosen


def build_lead(spec, *, max_bullets):
    return Lead(spec, max_bullets=max_bullets)


def build_textrank(spec, *, max_bullets):
    return TextRank(spec, max_bullets=max_bullets)


def build_oracle(spec, *, max_bullets):
    return Oracle(spec, max_bullets=max_bullets)
