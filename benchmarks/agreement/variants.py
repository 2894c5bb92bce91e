"""The candidate scores ("variants") compared in agreement.md, as functions of a feature
record (agreement.records).

Each maps a feature record to a score in [0, 1], higher = more consistent.
shipped = scoring.overall_consistency as a run writes it; share = the pooled score shipped
before; nums/ents = each check's precision; cw = share of content words found in the
story; bg = share of word bigrams found in it (agreement.lexical).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .lexical import share
from .support import BOTH, PARAPHRASE_LEVEL
from .sweep import SWEEP_LAYERS, SWEEP_MODES


def _cw(r: dict) -> float:
    return share(r["content_missing"], r["content"])


def _bg(r: dict) -> float:
    return share(r["bigrams_missing"], r["bigrams"])


def _product(r: dict) -> float:
    return r["numbers_precision"] * r["entities_precision"]


def _pooled(r: dict) -> float:
    return share(r["mentions_unsupported"] + r["content_missing"],
                 r["mentions"] + r["content"])


@dataclass(frozen=True)
class Variant:
    group: str
    name: str
    formula: str
    score: Callable[[dict], float]
    embedding: bool = False     # needs the embedding extra (skipped with --no-embedding)


def _sup(key: str) -> Callable[[dict], float]:
    return lambda r: r[key]


def _times_product(key: str) -> Callable[[dict], float]:
    return lambda r: _product(r) * r[key]


def _per_bullet(combine: Callable[[float, float], float], agg: Callable,
                times_product: bool = False) -> Callable[[dict], float]:
    """Per bullet: combine(lexical score, embedding score); then agg over the scored bullets
    (1.0 when none); optionally times nums x ents."""
    def score(r: dict) -> float:
        values = [combine(a, b) for a, b in zip(r["sup_lexical_bullets"],
                                                r["sup_embedding_bullets"])
                  if a is not None and b is not None]
        value = float(agg(values)) if values else 1.0
        return value * _product(r) if times_product else value
    return score


def _per_bullet_l4() -> Callable[[dict], float]:
    def score(r: dict) -> float:
        lexical = [x for x in r["sup_lexical_bullets"] if x is not None]
        values = [a * b for a, b in zip(lexical, r["sweep_bullets_sent_L4"])]
        return _product(r) * (float(np.mean(values)) if values else 1.0)
    return score


VARIANTS = [
    Variant("checks", "shipped", "scoring.overall_consistency as `summcheck run` writes it",
            lambda r: r["consistency"]),
    Variant("checks", "share", "supported mentions / mentions, numbers and entities pooled "
            "(shipped before 2026-11-25)",
            lambda r: share(r["mentions_unsupported"], r["mentions"])),
    Variant("checks", "mean", "(nums + ents) / 2: each check weighted equally",
            lambda r: (r["numbers_precision"] + r["entities_precision"]) / 2),
    Variant("checks", "min", "min(nums, ents)",
            lambda r: min(r["numbers_precision"], r["entities_precision"])),
    Variant("checks", "product", "nums x ents", _product),
    Variant("checks", "all supported", "1 if no unsupported mention, else 0",
            lambda r: float(r["mentions_unsupported"] == 0)),
    Variant("checks", "numbers only", "nums", lambda r: r["numbers_precision"]),
    Variant("checks", "entities only", "ents", lambda r: r["entities_precision"]),
    Variant("lexical", "content words", "cw: content words found in the story / content words",
            _cw),
    Variant("lexical", "bigrams", "bg: word bigrams found in the story / bigrams", _bg),
    Variant("lexical", "1/(1+missing words)", "1 / (1 + content words not in the story)",
            lambda r: 1 / (1 + r["content_missing"])),
    Variant("lexical", "ROUGE-2 P vs story", "RougeMetric rouge2 precision, story as reference "
            "(like bg, but counts clipped)", lambda r: r["rouge2_p_story"]),
    Variant("combined", "share x cw", "share x cw", lambda r: share(
        r["mentions_unsupported"], r["mentions"]) * _cw(r)),
    Variant("combined", "product x cw", "nums x ents x cw", lambda r: _product(r) * _cw(r)),
    Variant("combined", "share x bg", "share x bg", lambda r: share(
        r["mentions_unsupported"], r["mentions"]) * _bg(r)),
    Variant("combined", "product x bg", "nums x ents x bg", lambda r: _product(r) * _bg(r)),
    Variant("combined", "pooled words", "supported (mentions + content words) / "
            "(mentions + content words)", _pooled),
    Variant("support", "sup-lex", "support check, lexical: support_precision = mean over bullets"
            " of the share of content-word pairs found together in one story sentence",
            _sup("sup_lexical")),
    Variant("support", "sup-lex-min", "support check, lexical: support_min = the weakest "
            "bullet's share", _sup("sup_lexical_min")),
    Variant("support", "sup-emb", "support check, embedding: support_precision = mean over "
            "bullets of the MiniLM word-piece precision against the story",
            _sup("sup_embedding"), True),
    Variant("support", "sup-emb-min", "support check, embedding: support_min",
            _sup("sup_embedding_min"), True),
    Variant("support alternative", "alt words", "per bullet: content words found in the story"
            "; mean over bullets", _sup("alt_uni")),
    Variant("support alternative", "alt words min", "the same, weakest bullet",
            _sup("alt_uni_min")),
    Variant("support alternative", "alt adjacent bigrams", "per bullet: content bigrams (stop "
            "words dropped) found as neighbours in the story; mean", _sup("alt_adj")),
    Variant("support alternative", "alt adjacent bigrams min", "the same, weakest bullet",
            _sup("alt_adj_min")),
    Variant("support alternative", "alt words+pairs", "per bullet: content words and sentence "
            "pairs pooled; mean", _sup("alt_uni+pairs")),
    Variant("support alternative", "alt words+pairs min", "the same, weakest bullet",
            _sup("alt_uni+pairs_min")),
    Variant("support alternative", "alt sup-lex saturated", "per bullet: min(1, sup-lex / "
            f"{PARAPHRASE_LEVEL}), a typical human highlight's level counted as full support; "
            "mean", _sup("alt_sat")),
    Variant("support alternative", "alt sup-lex saturated min", "the same, weakest bullet",
            _sup("alt_sat_min")),
    Variant("support alternative", "alt sentence cosine", "per bullet: MiniLM cosine to the "
            "closest story sentence; mean", _sup("alt_cos"), True),
    Variant("support alternative", "alt sentence cosine min", "the same, weakest bullet",
            _sup("alt_cos_min"), True),
    Variant("with support", "product x sup-lex", "nums x ents x sup-lex",
            _times_product("sup_lexical")),
    Variant("with support", "product x sup-lex-min", "nums x ents x sup-lex-min",
            _times_product("sup_lexical_min")),
    Variant("with support", "product x sup-emb", "nums x ents x sup-emb",
            _times_product("sup_embedding"), True),
    Variant("with support", "product x sup-emb-min", "nums x ents x sup-emb-min",
            _times_product("sup_embedding_min"), True),
    Variant("with support", "product x saturated min", "nums x ents x alt sup-lex saturated min",
            _times_product("alt_sat_min")),
    Variant("with support", "geomean lex-min", "(nums x ents x sup-lex-min) ^ (1/3)",
            lambda r: float(np.cbrt(_product(r) * r["sup_lexical_min"]))),
    Variant("with support", "geomean emb", "(nums x ents x sup-emb) ^ (1/3)",
            lambda r: float(np.cbrt(_product(r) * r["sup_embedding"])), True),
    Variant("with support", "min(product, sup-lex-min)", "min(nums x ents, sup-lex-min)",
            lambda r: min(_product(r), r["sup_lexical_min"])),
    Variant("with support", "mean(product, sup-lex-min)", "(nums x ents + sup-lex-min) / 2",
            lambda r: (_product(r) + r["sup_lexical_min"]) / 2),
    Variant("lexical+embedding", "shipped with support", "scoring.overall_consistency with "
            "`checks: {support: {method: lexical+embedding}}` configured: nums x ents x "
            "sup-lex+emb (what `summcheck run` writes as `consistency` then)",
            _sup("consistency_support"), True),
    Variant("lexical+embedding", "sup-lex+emb", "support check, lexical+embedding: per bullet "
            "sup-lex x sup-emb, mean over bullets (support_precision)", _sup(f"sup_{BOTH}"),
            True),
    Variant("lexical+embedding", "sup-lex+emb-min", "the same, weakest bullet (support_min)",
            _sup(f"sup_{BOTH}_min"), True),
    Variant("lexical+embedding", "product x sup-lex+emb-min", "nums x ents x sup-lex+emb-min",
            _times_product(f"sup_{BOTH}_min"), True),
    Variant("lexical+embedding", "product x sup-lex x sup-emb", "nums x ents x sup-lex x "
            "sup-emb (each a mean over bullets, multiplied per summary)",
            lambda r: _product(r) * r["sup_lexical"] * r["sup_embedding"], True),
    Variant("lexical+embedding", "product x sup-lex-min x sup-emb", "nums x ents x sup-lex-min"
            " x sup-emb", lambda r: _product(r) * r["sup_lexical_min"] * r["sup_embedding"],
            True),
    Variant("lexical+embedding", "max(lex, emb) min", "per bullet max(sup-lex, sup-emb), "
            "weakest bullet", _per_bullet(max, min), True),
    Variant("lexical+embedding", "product x max(lex, emb) min", "nums x ents x the same",
            _per_bullet(max, min, True), True),
    Variant("lexical+embedding", "avg(lex, emb)", "per bullet (sup-lex + sup-emb) / 2, mean",
            _per_bullet(lambda a, b: (a + b) / 2, np.mean), True),
    Variant("lexical+embedding", "product x avg(lex, emb)", "nums x ents x the same",
            _per_bullet(lambda a, b: (a + b) / 2, np.mean, True), True),
    Variant("lexical+embedding", "product x min(lex, emb)", "nums x ents x per bullet "
            "min(sup-lex, sup-emb), mean", _per_bullet(min, np.mean, True), True),
    *[Variant("embedding sweep", f"emb {mode} L{layer}{' idf' if idf else ''}{agg}",
              f"word-piece precision, layer {layer}, {SWEEP_MODES[mode]}"
              + (", IDF over the story's sentences" if idf else "")
              + ("; weakest bullet" if agg else "; mean over bullets"),
              _sup(f"sweep_{mode}_L{layer}{'_idf' if idf else ''}{agg.replace(' ', '_')}"),
              True)
      for mode in SWEEP_MODES for layer in SWEEP_LAYERS for idf in (False, True)
      for agg in ("", " min") if not (agg and (idf or mode == "art"))],
    Variant("embedding sweep", "product x (lex x emb sent L4)", "nums x ents x per bullet "
            "sup-lex x layer-4 precision (sentence by sentence), mean: lexical+embedding with "
            "layer 4 instead of the last", _per_bullet_l4(), True),
    Variant("calibration probe", "(product x sup-lex-min)^3", "the cube of nums x ents x "
            "sup-lex-min: the same ranks, more spread among the high (CNN/DM) scores; the "
            "exponent chosen out of fold from {0.5, 1, 2, 3} per factor (see the notes)",
            lambda r: (_product(r) * r["sup_lexical_min"]) ** 3),
    Variant("calibration probe", "product x sup-lex-min^2", "nums x ents x sup-lex-min ^ 2",
            lambda r: _product(r) * r["sup_lexical_min"] ** 2),
    Variant("reference", "ROUGE-1 F", "RougeMetric vs the reference", lambda r: r["rouge1_f"]),
    Variant("reference", "ROUGE-2 F", "RougeMetric vs the reference", lambda r: r["rouge2_f"]),
]
BY_NAME = {v.name: v for v in VARIANTS}
SHIPPED = "shipped"
# The score shipped before, and the variant with the best FRANK figures, are shown next to
# the shipped score (nums x ents, recommended in the notes) in the main tables.
BEST_LEXICAL = "product x bg"
SUPPORT_MAIN = ["sup-lex", "sup-lex-min", "product x sup-lex", "product x sup-lex-min",
                "sup-emb", "product x sup-emb", "sup-lex+emb", "shipped with support"]
MAIN = [SHIPPED, "share", BEST_LEXICAL, *SUPPORT_MAIN, "ROUGE-1 F", "ROUGE-2 F"]


def label(name: str) -> str:
    if name == SHIPPED:
        return "summcheck consistency as shipped (nums x ents)"
    if name == "shipped with support":
        return ("**summcheck consistency with the support check configured (method "
                "lexical+embedding): nums x ents x sup-lex+emb**")
    if name == "share":
        return f"before: share ({BY_NAME[name].formula.split(' (')[0]})"
    if BY_NAME[name].group != "reference":
        return f"candidate {name} ({BY_NAME[name].formula})"
    return name
