"""Out-of-fold agreement of consistency scores with human judgements (issue 15, points 1, 3).

Usage (from the repository root; writes benchmarks/results/agreement_cv.md):

    .venv/bin/python benchmarks/agreement_cv.py

Options: --data DIR (../shared/data), --out FILE, --cache DIR (/tmp/summcheck_agreement_cv),
--bootstrap N (1000), --seed S (0), --folds K (5), --no-timing, --gemma N (opt-in: the
Gemma 3 270M likelihood ratio on the first N stories of each set; cached per story).

What it does, in order:

1. Features, once per (article, summary) row of FRANK validation (671) and SummEval dev
   (800), cached in --cache (never in the repository): the number and entity checks as
   `summcheck run` runs them (default RunSpec, one batch per system); the lexical support
   check per bullet (consistency/support.py); lexical overlaps (content words, word
   bigrams: agreement.source_support, whose missing-bigram share is the novelty measure);
   and MiniLM (all-MiniLM-L6-v2 through summcheck.embeddings) word-piece similarities of
   every bullet against every story chunk (a story sentence, or a part of 40 words of a
   sentence longer than 60 words), at every layer, from which the embedding features are
   computed: piece precision against the whole story, against the top-k story chunks
   picked lexically (the fast form: only those chunks need encoding), against the best
   single chunk or window of two (AlignScore-style), over content pieces only, and the
   lowest piece; MiniLM sentence cosine to the closest chunk. Per-bullet values are
   aggregated per summary by mean and by min.
2. Candidates: parameter-free scores (the shipped product, the support products, single
   features) and fitted ones (ridge regression on a handful of transformed features, per
   candidate feature set; isotonic calibration; a novelty feature with free sign), all
   fitted inside the folds.
3. Grouped 5-fold cross-validation: folds split by article (FRANK: the article hash in
   the id, SummEval: doc_id), FRANK and SummEval rows in the same folds, so no row's
   prediction comes from a model that saw its article. The figures of a fitted candidate
   are those of its out-of-fold predictions. Choosing among the candidates is itself a
   fitted choice: `nested` repeats that choice inside each training part (inner 5-fold CV
   on the training articles only) and reports the held-out figure of what it chose.
4. Figures: FRANK partial Pearson / Spearman with Factuality, system partialled out
   (agreement.partial_corr), on CNN/DM, XSum and both; SummEval Spearman with expert
   consistency at summary level, within systems and over the 16 system means; 95%
   percentile bootstrap intervals from --bootstrap resamples of the rows (documents for
   the system level), the same resamples for every candidate.
5. Copy bias: Spearman of each score, and of the human score, with the summary's
   novel-bigram share, over the rows and within systems.
6. Timing of each feature family on the FRANK rows, with stories shared (the FRANK layout)
   and with every story new.

Everything here was developed on these development files only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import pickle
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import DATA, load_jsonl  # noqa: E402
import agreement  # noqa: E402
from agreement import as_example, by_system, score_like_run, default_spec  # noqa: E402
from summcheck.consistency.support import (STOP_WORDS, content_words, copied,  # noqa: E402
                                           lexical_bullet, story_index)
from summcheck.scoring import build_checks  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "agreement_cv.md"
CACHE = Path("/tmp/summcheck_agreement_cv")
COMMAND = ".venv/bin/python benchmarks/agreement_cv.py"
FEATURE_VERSION = "1"
LAYERS = tuple(range(7))          # MiniLM hidden states: 0 = embeddings, 6 = last layer
CHUNK_MAX_WORDS = 60              # a story sentence longer than this is cut ...
CHUNK_PART_WORDS = 40             # ... into parts of about this many words


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
    """The story's sentences (support.story_index, pysbd), a sentence of more than
    CHUNK_MAX_WORDS words cut into equal parts of about CHUNK_PART_WORDS words."""
    out = []
    for span in story_index(article).sentences:
        words = span.text.split()
        if len(words) <= CHUNK_MAX_WORDS:
            out.append(span.text)
            continue
        parts = math.ceil(len(words) / CHUNK_PART_WORDS)
        size = math.ceil(len(words) / parts)
        out += [" ".join(words[i:i + size]) for i in range(0, len(words), size)]
    return out or [article[:1000]]


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

    def encode(self, texts: Sequence[str], batch_size: int = 32, max_length: int = 256
               ) -> list[dict]:
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
                    res = self.model(**enc, output_hidden_states=True)
                hidden = torch.stack(res.hidden_states)          # layer, batch, piece, dim
                mask = enc["attention_mask"]
                last = hidden[-1]
                pooled = (last * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
                pooled = torch.nn.functional.normalize(pooled, dim=-1).numpy()
                normed = torch.nn.functional.normalize(hidden, dim=-1).numpy()
                for row, i in enumerate(batch):
                    n = int(mask[row].sum())
                    ids = enc["input_ids"][row, 1:n - 1].tolist()
                    words = enc.word_ids(row)[1:n - 1]
                    out[i] = {"vec": normed[:, row, 1:n - 1].astype(np.float32),
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
        rec.update(agreement.source_support(r.article, r.bullets))
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


# ---------------------------------------------------------------- derived features
# Every candidate score is a function of these named columns (one value per row).

MODES = ("full", "top1", "top2", "top3", "best1", "win2")
PIECE_AGG = ("p", "pc", "pmin")       # mean over pieces, mean over content pieces, lowest piece


def _share(missing: float, total: float) -> float:
    return 1.0 - missing / total if total else 1.0


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


def derive(rec: dict) -> dict[str, float]:
    """The named columns of one row."""
    f: dict[str, float] = {}
    f["nums"], f["ents"] = rec["nums"], rec["ents"]
    f["prod"] = rec["nums"] * rec["ents"]
    f["nums_bad"], f["ents_bad"] = rec["nums_bad"], rec["ents_bad"]
    f["cw"] = _share(rec["content_missing"], rec["content"])
    f["bg"] = _share(rec["bigrams_missing"], rec["bigrams"])
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


def feature_matrix(records: list[dict], cache: Path, tag: str) -> tuple[list[str], np.ndarray]:
    path = cache / f"columns-v{FEATURE_VERSION}-{tag}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)
    derived = [derive(r) for r in records]
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
                out[f"{name}_{tag}"] = agreement.partial_corr(
                    scores[idx], self.human[idx], self.system_code[idx], rank)
        idx = self.se[keep[self.se]]
        x, y, codes = scores[idx], self.human[idx], self.system_code[idx]
        out["se_summary"] = agreement.spearman(x, y)
        out["se_within"] = agreement.partial_corr(x, y, codes, rank=True)
        n = np.bincount(codes)
        used = n > 0
        out["se_system"] = agreement.spearman(np.bincount(codes, x)[used] / n[used],
                                              np.bincount(codes, y)[used] / n[used])
        return out

    def bootstrap(self, scores: np.ndarray, n_boot: int, seed: int) -> dict[str, tuple]:
        """95% percentile intervals: rows resampled within each set (FRANK subsets and
        SummEval rows), SummEval documents for the system level; fixed draws."""
        rng = np.random.default_rng(seed)
        draws = {name: rng.integers(0, len(index), size=(n_boot, len(index)))
                 for name, index in self.frank.items()}
        se_draw = rng.integers(0, len(self.se), size=(n_boot, len(self.se)))
        docs = np.unique(self.groups[self.se], return_inverse=True)[1]
        n_docs = docs.max() + 1
        doc_draw = rng.integers(0, n_docs, size=(n_boot, n_docs))
        out: dict[str, list] = {f: [] for f in FIGURES}
        x_all, y_all, c_all = scores[self.se], self.human[self.se], self.system_code[self.se]
        by_doc = [np.flatnonzero(docs == d) for d in range(n_docs)]
        for b in range(n_boot):
            for name, index in self.frank.items():
                idx = index[draws[name][b]]
                for rank, tag in ((False, "P"), (True, "S")):
                    out[f"{name}_{tag}"].append(agreement.partial_corr(
                        scores[idx], self.human[idx], self.system_code[idx], rank))
            d = se_draw[b]
            out["se_summary"].append(agreement.spearman(x_all[d], y_all[d]))
            out["se_within"].append(agreement.partial_corr(x_all[d], y_all[d], c_all[d], True))
            idx = np.concatenate([by_doc[k] for k in doc_draw[b]])
            n = np.bincount(c_all[idx])
            out["se_system"].append(agreement.spearman(np.bincount(c_all[idx], x_all[idx]) / n,
                                                       np.bincount(c_all[idx], y_all[idx]) / n))
        return {f: agreement.ci(v) for f, v in out.items()}

    def copy_bias(self, scores: np.ndarray, novelty: np.ndarray) -> dict[str, float]:
        """Spearman with the novel-bigram share, over rows and within systems, per set."""
        out = {}
        for name, index in (("cnndm", self.frank["cnndm"]), ("xsum", self.frank["xsum"]),
                            ("summeval", self.se)):
            out[f"{name}_rows"] = agreement.spearman(scores[index], novelty[index])
            out[f"{name}_within"] = agreement.partial_corr(
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
            t = agreement.group_residuals(t, codes)
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


if __name__ == "__main__" and sys.argv[1:2] == ["--features-only"]:
    rows = load_rows(DATA)
    recs = load_features(rows, DATA, CACHE)
    names, X = feature_matrix(recs, CACHE, data_digest(DATA))
    print(len(recs), X.shape)
