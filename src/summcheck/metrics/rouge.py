"""ROUGE-1/2/L/Lsum over highlight bullets, via google-research's rouge_score.

Bullets are joined with "\\n" so rougeLsum is the summary-level LCS over bullets (joined
without newlines it silently equals rougeL); a line break inside a bullet is made a space
(`_join`), so each bullet is one sentence. With several references each ROUGE type takes
the reference with the best F (rouge_score's score_multi convention).

Backends: rouge_score (pure Python) is the reference; rouge-score-rs (the `fast` extra, a
Rust port) gives bit-identical scores for the default tokenizer many times faster, scoring
a whole batch on all cores. Parity was checked on every Unicode code point (tokenizer),
~220,000 words (stemmer) and random and real texts; tests/test_rouge_backend.py keeps
checking it. The unicode tokenizer is ours, so it always runs on rouge_score.
"""

from __future__ import annotations

import re
from functools import cached_property
from importlib.metadata import version
from itertools import chain
from typing import Sequence

from ..errors import ConfigError, MissingExtraError
from ..text import worded
from .base import Metric, require_items

KEYS = ("p", "r", "f")
BACKENDS = ("auto", "rust", "python")


class RougeMetric(Metric):
    name = "rouge"

    def __init__(self, types: Sequence[str] = ("rouge1", "rouge2", "rougeL", "rougeLsum"),
                 *, use_stemmer: bool = True, tokenizer: str = "default",
                 backend: str = "auto"):
        self.types = tuple(types)
        self.use_stemmer = use_stemmer
        self.tokenizer = tokenizer
        self.backend = _resolve_backend(backend, tokenizer)  # "rust" or "python"
        self._keys = [(t, tuple(f"{t}_{k}" for k in KEYS)) for t in self.types]
        self._names = [name for _, names in self._keys for name in names]

    @cached_property
    def _scorer(self):
        from rouge_score import rouge_scorer, tokenizers

        # the default tokenizer passed in, as RougeScorer would make it: left to make it,
        # RougeScorer logs "Using default tokenizer." through the root logger, which
        # gives a program that never configured logging a stderr handler for all records
        tokenizer = UnicodeTokenizer(self.use_stemmer) if self.tokenizer == "unicode" \
            else tokenizers.DefaultTokenizer(self.use_stemmer)
        return rouge_scorer.RougeScorer(list(self.types), use_stemmer=self.use_stemmer,
                                        tokenizer=tokenizer)

    @cached_property
    def _rust_scorer(self):
        import rouge_score_rs

        return rouge_score_rs.RougeScorer(list(self.types), use_stemmer=self.use_stemmer)

    @property
    def worth_caching(self) -> bool:
        """Not on rouge-score-rs: a pair costs it less than the score cache's key (a
        sha256 of the story, reference and bullets) and lookup, so a re-run scores again
        (benchmarks/results/overhead.md). rouge_score in Python costs far more."""
        return self.backend != "rust"

    @property
    def background_safe(self) -> bool:
        """On rouge-score-rs: its batch call holds no state but its own scorer's and
        releases the GIL, so it scores a window while the run writes the one before and
        reads the next. rouge_score in Python holds the GIL: no gain."""
        return self.backend == "rust"

    def signature(self) -> str:
        tok = ("tok:unicode(lowercase,\\w+)" if self.tokenizer == "unicode"
               else "tok:rouge_score-default(lowercase,[a-z0-9])")
        impl = ([f"impl:rouge-score-rs-{version('rouge-score-rs')}"] if self.backend == "rust"
                else [f"impl:rouge_score-{version('rouge-score')}", f"nltk-{version('nltk')}"])
        return "|".join([
            f"rouge:{'+'.join(self.types)}",
            tok,
            f"stem:{'porter' if self.use_stemmer else 'none'}",
            "join:newline(a line per bullet)",
            "multiref:best-f",
            *impl,
        ])

    def metric_names(self) -> list[str]:
        return [f"{t}_{k}" for t in self.types for k in KEYS]

    def score(self, *, prediction: Sequence[str], references: Sequence[Sequence[str]]
              ) -> dict[str, float]:
        """Scores for one summary. `prediction` is its bullets; `references` a list of
        reference bullet lists. Returns {} when there is no reference (not applicable)."""
        return self.score_many([(prediction, references)])[0]

    def score_many(self, items: Sequence[tuple[Sequence[str], Sequence[Sequence[str]]]]
                   ) -> list[dict[str, float]]:
        """`score` for each (prediction bullets, reference bullet lists) item, in order.

        On the rust backend every (reference, prediction) pair of the batch goes through
        one `score_batch` call; the best reference per ROUGE type is then picked here as
        rouge_score's score_multi does (first maximal F)."""
        require_items(items)
        if self.backend == "python":
            return [self._score_python(pred, refs) for pred, refs in items]
        targets: list[str] = []
        predictions: list[str] = []
        spans = []
        for pred, refs in items:
            start = len(targets)
            targets += _joined_references(refs)
            predictions += [_join(pred)] * (len(targets) - start)
            spans.append((start, len(targets)))
        scores = self._rust_scorer.score_batch(targets, predictions)
        return [self._best(scores, start, end) for start, end in spans]

    def _best(self, scores: list, start: int, end: int) -> dict[str, float]:
        """One item's dict from its pairs scores[start:end] ({} when it has none)."""
        if end - start == 1:   # one reference, the usual case: its scores in one go
            pair = scores[start]
            return dict(zip(self._names, chain.from_iterable([pair[t] for t in self.types])))
        group = scores[start:end]
        out: dict[str, float] = {}
        for t, names in self._keys:
            best = group[0] if len(group) == 1 else max(group, key=lambda s: s[t].fmeasure,
                                                       default=None)
            if best is None:
                return {}
            out.update(zip(names, best[t]))
        return out

    def _score_python(self, prediction, references) -> dict[str, float]:
        refs = _joined_references(references)
        if not refs:
            return {}
        scores = self._scorer.score_multi(refs, _join(prediction))
        return {name: float(value) for t, names in self._keys
                for name, value in zip(names, scores[t])}


def _join(bullets: Sequence[str]) -> str:
    """The bullets as one text, a line each: rougeLsum's sentences are its lines, so a
    bullet holding a line break (from a plugin summarizer or the Python API; a run's own
    parsing never leaves one) has its whitespace made single spaces, or it was scored as
    two sentences. No token changes, so the other ROUGE types are the same either way."""
    text = "\n".join(bullets)
    if text.count("\n") < len(bullets):   # only the joins' line breaks: the common case
        return text
    return "\n".join(" ".join(b.split()) for b in bullets)


def _joined_references(references: Sequence[Sequence[str]]) -> list[str]:
    """Each reference as one "\\n"-joined text of its bullets that hold a letter or digit
    (`text.worded`); a reference without one is dropped (no reference: {}). A reference of
    "..." alone scored 0 against every summary, in the means."""
    return [_join(bullets) for bullets in map(worded, references) if bullets]


def _resolve_backend(backend: str, tokenizer: str) -> str:
    """"rust" when rouge-score-rs is to be used, else "python"; fails on an impossible ask."""
    if backend not in BACKENDS:
        raise ValueError(f"rouge backend must be one of {BACKENDS}, not {backend!r}")
    if backend == "python":
        return "python"
    if tokenizer != "default":
        if backend == "rust":
            raise ConfigError(
                "metrics.rouge.backend: 'rust' has no tokenizer with the same tokens as "
                f"tokenizer '{tokenizer}'; use backend 'auto' or 'python'")
        return "python"
    try:
        import rouge_score_rs  # noqa: F401
    except ImportError:
        if backend == "rust":
            raise MissingExtraError("rouge-score-rs", "fast") from None
        return "python"
    return "rust"


class UnicodeTokenizer:
    """rouge_score-compatible tokenizer that keeps non-ASCII words ("München", "café").

    rouge_score's default keeps only [a-z0-9], so text in most other languages vanishes
    and scores 0. Written here because rouge_score ships no such option; Porter stemming
    (English) applies to ASCII words longer than 3 letters, as in rouge_score."""

    _WORD = re.compile(r"\w+", re.UNICODE)

    def __init__(self, use_stemmer: bool):
        from nltk.stem import porter

        self._stemmer = porter.PorterStemmer() if use_stemmer else None

    def tokenize(self, text: str) -> list[str]:
        tokens = self._WORD.findall(text.lower())
        if self._stemmer is None:
            return tokens
        return [self._stemmer.stem(t) if t.isascii() and len(t) > 3 else t for t in tokens]


def build(spec) -> RougeMetric:
    """The metric a `metrics.rouge` spec describes (metrics/registry.py)."""
    return RougeMetric(spec.types, use_stemmer=spec.use_stemmer, tokenizer=spec.tokenizer,
                       backend=spec.backend)
