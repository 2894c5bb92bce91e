"""Extractive summarizer on sentence embeddings (all-MiniLM-L6-v2, the `embedding` extra).

`centroid`: the k story sentences closest (cosine) to the mean of all its sentence vectors,
i.e. the sentences most typical of the story. `mmr`: maximal marginal relevance (Carbonell
& Goldstein, 1998) with that centroid as the query: each next sentence maximizes
lambda * similarity to the centroid - (1 - lambda) * its highest similarity to a sentence
already picked, which trades typicality for less repetition. Output is in story order.
"""

from __future__ import annotations

import numpy as np

from ..config import EmbeddingSpec
from ..embeddings import get_encoder
from .extractive import _Extractive


class EmbeddingSummarizer(_Extractive):
    kind = "embedding"
    spec: EmbeddingSpec

    def __init__(self, spec: EmbeddingSpec, *, max_bullets: int | None):
        super().__init__(spec, max_bullets=max_bullets)
        self.encoder = get_encoder()  # MissingExtraError without the extra; loads lazily

    def _settings(self) -> dict:
        settings = super()._settings()
        settings.pop("batch_size")  # does not change the output
        return {**settings, "encoder": self.encoder.signature()}

    def select(self, sentences, example):
        k = self.spec.k
        if len(sentences) <= k:
            return list(range(len(sentences)))
        vectors = self.encoder.encode(sentences, batch_size=self.spec.batch_size)
        relevance = vectors @ _unit(vectors.mean(axis=0))
        if self.spec.method == "centroid":
            return top_k(relevance, k)
        return mmr(vectors, relevance, k, self.spec.mmr_lambda)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def top_k(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the k highest scores; ties go to the earlier sentence."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]


def mmr(vectors: np.ndarray, relevance: np.ndarray, k: int, lam: float) -> list[int]:
    """Greedy maximal marginal relevance over unit `vectors`; ties go to the earlier one."""
    similarity = vectors @ vectors.T
    chosen: list[int] = []
    while len(chosen) < min(k, len(vectors)):
        redundancy = (similarity[:, chosen].max(axis=1) if chosen
                      else np.zeros(len(vectors)))
        gain = lam * relevance - (1 - lam) * redundancy
        gain[chosen] = -np.inf
        chosen.append(int(np.argmax(gain)))  # argmax returns the first of equal maxima
    return chosen


def build(spec: EmbeddingSpec, *, max_bullets: int | None) -> EmbeddingSummarizer:
    return EmbeddingSummarizer(spec, max_bullets=max_bullets)
