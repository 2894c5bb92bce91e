"""The MiniLM layer sweep: word-piece precision at every layer.

BERTScore's finding: middle layers of a BERT model align tokens better than the last one.
The embedding method uses the last layer of MiniLM (6 layers); here every layer, with and
without IDF weights, against the story encoded sentence by sentence (as the check) or as
one text cut at the model's 256 pieces (as BERTScore encodes the article, at its limit).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from summcheck.consistency.support import content_words, copied, story_index
from summcheck.types import Example, Summary

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
