"""The support check (summcheck.consistency.support) as `summcheck run` runs it
(checks: {support: {method: ...}}), each method, one batch per system; and the per-bullet
alternatives measured while designing it, all reported. A bullet without a content word
is not scored, a bullet found verbatim in the story scores 1, a summary with no scored
bullet scores 1 (as in the check).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

from summcheck.consistency.support import SupportCheck, content_words, copied, story_index
from summcheck.types import Example, Summary

BOTH = "lexical+embedding"


def run_support(pairs: Sequence[tuple[Example, Summary]], groups: Sequence[Sequence[int]],
                checks: dict[str, SupportCheck]) -> list[dict]:
    """Per pair, for each method: support_precision (mean over bullets), support_min, and
    the weak-bullet findings and scored bullets."""
    out: list[dict] = [{} for _ in pairs]
    for method, check in checks.items():
        for index in groups:
            items = [(pairs[i][0].story, list(pairs[i][1].bullets),
                      list(pairs[i][0].reference_bullets) or None) for i in index]
            for i, result in zip(index, check.check_many(items)):
                s = result.scores
                out[i].update({f"sup_{method}": s["support_precision"],
                               f"sup_{method}_min": s["support_min"],
                               f"sup_{method}_weak": s["support_weak"],
                               f"sup_{method}_count": s["support_count"],
                               # per bullet (None: not scored), from the warm memos
                               f"sup_{method}_bullets": [
                                   b.score for b in check.bullet_scores(pairs[i][0].story,
                                                                        list(pairs[i][1].bullets))]})
    return out


def support_checks(with_embedding: bool) -> dict[str, SupportCheck]:
    """The support check, each method. The embedding and lexical+embedding checks share one
    word-piece encoder and story memo (the same vectors as separate checks would compute, to
    the last float bits of batch padding), so MiniLM runs over the data once, not twice."""
    if not with_embedding:
        return {"lexical": SupportCheck()}
    checks = {m: SupportCheck(method=m) for m in ("lexical", "embedding", "lexical+embedding")}
    checks["lexical+embedding"]._pieces = checks["embedding"]._pieces
    checks["lexical+embedding"]._stories = checks["embedding"]._stories
    return checks


@lru_cache(maxsize=512)
def story_content_bigrams(story: str) -> frozenset[tuple[str, str]]:
    stems = [w.stem for w in content_words(story)]
    return frozenset(zip(stems, stems[1:]))


# The mean sup-lex of the FRANK CNN/DM reference highlights (faithful paraphrase, see the
# levels table): "sat" divides a bullet's sup-lex by it, capped at 1, so that a bullet as well
# supported as a typical human highlight scores like a copy. A probe of how much of the
# check's agreement comes from telling copies from paraphrases; not a check setting.
PARAPHRASE_LEVEL = 0.66


def lexical_alternatives(story_text: str, bullet: str) -> dict[str, float] | None:
    """Other per-bullet lexical scores: uni = content words found in the story; adj = content
    bigrams (stop words dropped) found as neighbours in the story's content words;
    uni+pairs = content words and the check's sentence pairs pooled; sat = the check's
    score / PARAPHRASE_LEVEL, capped at 1."""
    story, words = story_index(story_text), content_words(bullet)
    if not words:
        return None
    if copied(bullet, story):
        return {"uni": 1.0, "adj": 1.0, "uni+pairs": 1.0, "sat": 1.0}
    found = [w.stem in story.stems for w in words]
    pairs = list(zip(words, words[1:]))
    together = [story.together(a.stem, b.stem) for a, b in pairs]
    adjacent = [(a.stem, b.stem) in story_content_bigrams(story_text) for a, b in pairs]
    check_score = float(np.mean(together)) if pairs else float(found[0])
    return {"uni": float(np.mean(found)),
            "adj": float(np.mean(adjacent)) if pairs else float(found[0]),
            "uni+pairs": (sum(found) + sum(together)) / (len(found) + len(together)),
            "sat": min(1.0, check_score / PARAPHRASE_LEVEL)}


def sentence_cosines(pairs: Sequence[tuple[Example, Summary]], encoder) -> list[list[float]]:
    """Per pair, per scored bullet: cosine of its MiniLM sentence vector to the closest story
    sentence's (clipped to [0, 1]; 1 for a verbatim copy)."""
    stories = list(dict.fromkeys(e.story for e, _ in pairs))
    bullets = [b.strip() for _, s in pairs for b in s.bullets if content_words(b)]
    encoder.encode([x.text for st in stories for x in story_index(st).sentences] + bullets)
    out = []
    for example, summary in pairs:
        story = story_index(example.story)
        vectors = encoder.encode([x.text for x in story.sentences])
        values = []
        for b in summary.bullets:
            if not content_words(b):
                continue
            best = float((vectors @ encoder.encode([b.strip()])[0]).max()) if len(vectors) else 0
            values.append(1.0 if copied(b, story) else min(max(best, 0.0), 1.0))
        out.append(values)
    return out


def support_alternatives(pairs: Sequence[tuple[Example, Summary]], encoder) -> list[dict]:
    """Mean and min over bullets of each alternative (1.0 when no bullet is scored)."""
    cosines = sentence_cosines(pairs, encoder) if encoder is not None else None
    out = []
    for k, (example, summary) in enumerate(pairs):
        per = [a for a in (lexical_alternatives(example.story, b) for b in summary.bullets)
               if a is not None]
        columns = {key: [a[key] for a in per] for key in ("uni", "adj", "uni+pairs", "sat")}
        if cosines is not None:
            columns["cos"] = cosines[k]
        rec = {}
        for key, values in columns.items():
            rec[f"alt_{key}"] = float(np.mean(values)) if values else 1.0
            rec[f"alt_{key}_min"] = min(values) if values else 1.0
        out.append(rec)
    return out
