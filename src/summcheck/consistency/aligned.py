"""Bullet-to-chunk alignment for the support check's "aligned" method (the default).

Each bullet is aligned to the one story chunk sharing most content words with it (a chunk
is a story sentence; a sentence of more than 60 words is cut into parts of about 40), and
scored by a word-piece precision against that chunk: every piece of the bullet finds its
most similar piece of the chunk, and the bullet's score is the mean of those cosines,
clipped to [0, 1]. The vectors are all-MiniLM-L6-v2's embedding layer (word piece +
position + token type, LayerNorm; no transformer block), run in numpy by
summcheck.minilm: cheap, and as good as deeper layers here (agreement_cv.md measured
layers 0, 2 and 6). Chunk vectors are computed once per story and remembered.

Also here: how stitched a bullet is from story fragments (`unstitched`), the other factor
of the default consistency score.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import OrderedDict
from functools import lru_cache
from typing import Sequence

import numpy as np

from summcheck.text import PLAIN_WORD, PTB_BRACKETS, WORD, has_marks

from .support import content_words, story_index

CHUNK_MAX_WORDS = 60     # a story sentence longer than this is cut ...
CHUNK_PART_WORDS = 40    # ... into parts of about this many words
LAYER = 0                # MiniLM's embedding layer
_STORY_MEMO = 256        # stories whose chunk vectors are kept
_BULLET_MEMO = 50_000    # bullet vectors kept (cleared when full)
_TOKEN = re.compile(WORD)   # letters (any script) and digits; text NFC and lowercased first
_PLAIN_TOKEN = re.compile(PLAIN_WORD)


@lru_cache(maxsize=256)
def story_chunks(story: str) -> tuple[tuple[str, ...], tuple[frozenset[str], ...]]:
    """(chunks, content stems of each chunk) of a story."""
    chunks = []
    for span in story_index(story).sentences:
        words = span.text.split()
        if len(words) <= CHUNK_MAX_WORDS:
            chunks.append(span.text)
            continue
        size = math.ceil(len(words) / math.ceil(len(words) / CHUNK_PART_WORDS))
        chunks += [" ".join(words[i:i + size]) for i in range(0, len(words), size)]
    chunks = chunks or [story[:1000]]
    return tuple(chunks), tuple(frozenset(w.stem for w in content_words(c)) for c in chunks)


def best_chunk(bullet: str, chunk_stems: Sequence[frozenset[str]]) -> int:
    """The chunk sharing most content stems with the bullet; ties go to the earlier one."""
    stems = {w.stem for w in content_words(bullet)}
    overlaps = [len(stems & c) for c in chunk_stems]
    return overlaps.index(max(overlaps))


class ChunkAligner:
    """Word-piece precision of bullets against their best story chunk, batched: `prepare`
    encodes every text a batch of summaries needs in one call, `precision` then scores."""

    def __init__(self, encoder, batch_size: int = 64):
        self.encoder, self.batch_size = encoder, batch_size
        self._chunks: OrderedDict[str, dict[int, np.ndarray]] = OrderedDict()
        self._bullets: dict[str, np.ndarray] = {}

    def signature(self) -> str:
        return (f"aligned:best-chunk(content stems; split>{CHUNK_MAX_WORDS}w into "
                f"~{CHUNK_PART_WORDS}w)|pieces:layer{LAYER}|{self.encoder.signature()}")

    def prepare(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Encode, in one call, the bullets and chunks of these (story, bullet) pairs that
        are not remembered yet."""
        chunk_todo: dict[tuple[str, int], str] = {}
        bullet_todo: dict[str, None] = {}
        for story, bullet in pairs:
            chunks, stems = story_chunks(story)
            index = best_chunk(bullet, stems)
            if index not in self._chunks.get(story, {}):
                chunk_todo[(story, index)] = chunks[index]
            if bullet.strip() not in self._bullets:
                bullet_todo[bullet.strip()] = None
        texts = list(chunk_todo.values()) + list(bullet_todo)
        if not texts:
            return
        vectors = [_pieces(v) for v in self.encoder.token_vectors(
            texts, layer=LAYER, batch_size=self.batch_size)]
        for (story, index), vec in zip(chunk_todo, vectors):
            self._remember_chunk(story, index, vec)
        if len(self._bullets) > _BULLET_MEMO:
            self._bullets.clear()
        self._bullets.update(zip(bullet_todo, vectors[len(chunk_todo):]))

    def precision(self, story: str, bullet: str) -> float:
        """The bullet's word-piece precision against its best chunk, in [0, 1]."""
        chunks, stems = story_chunks(story)
        index = best_chunk(bullet, stems)
        if index not in self._chunks.get(story, {}) or bullet.strip() not in self._bullets:
            self.prepare([(story, bullet)])
        pieces, chunk = self._bullets[bullet.strip()], self._chunks[story][index]
        if not len(pieces) or not len(chunk):
            return 0.0
        return float(np.clip((pieces @ chunk.T).max(axis=1).mean(), 0.0, 1.0))

    def _remember_chunk(self, story: str, index: int, vec: np.ndarray) -> None:
        self._chunks.setdefault(story, {})[index] = vec
        self._chunks.move_to_end(story)
        while len(self._chunks) > _STORY_MEMO:
            self._chunks.popitem(last=False)


def _pieces(tokens: np.ndarray) -> np.ndarray:
    """[CLS] and [SEP] dropped, each piece vector L2-normalised."""
    inner = tokens[1:max(len(tokens) - 1, 1)]
    norms = np.linalg.norm(inner, axis=1, keepdims=True)
    return (inner / np.maximum(norms, np.float32(1e-12))).astype(np.float32)


def unstitched(bullets: Sequence[str], story: str) -> float:
    """1 / (1 + the highest fragments-per-token rate of any bullet): about 1 for bullets
    copied whole or in few long runs, lower for bullets stitched from many story fragments
    or rewritten (a token the story lacks is no fragment); 1.0 when no bullet has a token."""
    rates = [fragments / tokens for tokens, fragments
             in (extractive_fragments(b, story) for b in bullets) if tokens]
    return 1.0 / (1.0 + max(rates)) if rates else 1.0


def extractive_fragments(bullet: str, story: str) -> tuple[int, int]:
    """(tokens, fragments) of a bullet against its story: lowercase word tokens; a
    fragment is a longest run of bullet tokens found contiguous in the story, taken greedily
    from the left (Grusky et al., 2018); a token the story lacks is no fragment."""
    story_tokens, positions = _story_tokens(story)
    tokens = [t for t in _tokens(bullet) if t not in PTB_BRACKETS]   # "-lrb-": no word
    i = fragments = 0
    while i < len(tokens):
        best = 0
        for p in positions.get(tokens[i], ()):
            k = 0
            while (i + k < len(tokens) and p + k < len(story_tokens)
                   and story_tokens[p + k] == tokens[i + k]):
                k += 1
            best = max(best, k)
        if best:
            fragments += 1
            i += best
        else:
            i += 1
    return len(tokens), fragments


def _tokens(text: str) -> list[str]:
    """Lowercase word tokens of the composed (NFC) text; ASCII text as it is."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return (_TOKEN if has_marks(text) else _PLAIN_TOKEN).findall(text.lower())


@lru_cache(maxsize=256)
def _story_tokens(story: str) -> tuple[list[str], dict[str, list[int]]]:
    """The story's `extractive_fragments` tokens and where each occurs: once per story,
    not once per bullet."""
    story_tokens = _tokens(story)
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(story_tokens):
        positions.setdefault(token, []).append(i)
    return story_tokens, positions
