"""Encoder-decoder summarizers (BART, PEGASUS, T5, ...) through AutoModelForSeq2SeqLM.

The input is `spec.prefix + story` (T5 wants e.g. "summarize: "), truncated to the model's
input limit; `model.generate` gets `spec.generation` as is (the model's own
generation_config supplies the rest, e.g. BART-CNN's beams and lengths).
"""

from __future__ import annotations

from typing import Any

from ..config import HFSeq2SeqSpec
from ..text import split_bullets
from ..types import Example
from .hf_common import HFSummarizer, truncation_meta


class HFSeq2SeqSummarizer(HFSummarizer):
    kind = "hf-seq2seq"
    auto_class = "AutoModelForSeq2SeqLM"
    spec: HFSeq2SeqSpec

    def _settings(self) -> dict[str, Any]:
        return {"prefix": self.spec.prefix}

    def _prepare(self, example: Example, limit: int) -> tuple[str, dict[str, Any]]:
        text = self.spec.prefix + example.story
        n_tokens = len(self._tokenizer(text, verbose=False)["input_ids"])
        return text, truncation_meta(n_tokens, limit)

    def _encode(self, texts: list[str], limit: int) -> Any:
        return self._tokenizer(
            texts, truncation=True, max_length=limit, padding=True, return_tensors="pt"
        )

    def _bullets(self, text: str, model_input: str) -> tuple[str, ...]:
        # PEGASUS writes "<n>" between sentences; BART-CNN separates them with spaces,
        # which split_bullets handles by sentence splitting.
        return split_bullets(text.replace("<n>", "\n"), self.max_bullets)


def build(spec: HFSeq2SeqSpec, *, max_bullets: int | None) -> HFSeq2SeqSummarizer:
    return HFSeq2SeqSummarizer(spec, max_bullets=max_bullets)
