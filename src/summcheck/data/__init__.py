"""Loaders: every source becomes a list of `Example`s, sampled and limited the same way."""

from __future__ import annotations

import random
from typing import Any

from dataclasses import replace

from ..errors import DataError
from ..text import clean_markup
from ..types import Example


def load_examples(spec: Any, *, limit: int | None = None) -> list[Example]:
    """Load the examples a dataset spec names, then keep the first `limit` of them."""
    if spec.source == "bundled":
        from .bundled import load_bundled as loader
    elif spec.source == "hf":
        from .hf import load_hf as loader
    elif spec.source == "news_pages":
        from .news_pages import load_news_pages as loader
    else:  # pragma: no cover - the config schema rejects other sources
        raise DataError(f"unknown dataset source {spec.source!r}")
    examples = loader(spec)
    if getattr(spec, "clean_html", False):
        examples = [_clean(e) for e in examples]
    check_unique_ids(examples, where=_describe_source(spec))
    examples = examples[:limit] if limit else examples
    if not examples:
        raise DataError(
            f"{_describe_source(spec)}: no examples left to evaluate. Check the dataset "
            "path, split, field mapping and sample size."
        )
    return examples


def _clean(example: Example) -> Example:
    """Example with HTML entities decoded and tags dropped; meta records that it happened."""
    story, title = clean_markup(example.story), clean_markup(example.title)
    bullets = tuple(clean_markup(b) for b in example.reference_bullets)
    if (story, title, bullets) == (example.story, example.title, example.reference_bullets):
        return example
    return replace(example, story=story, title=title, reference_bullets=bullets,
                   meta={**example.meta, "html_cleaned": True})


def sample_indices(n: int, sample: int | None, seed: int) -> list[int]:
    """Indices of a seeded random sample of size `sample` (all rows if None), in row order."""
    if sample is None or sample >= n:
        return list(range(n))
    return sorted(random.Random(seed).sample(range(n), sample))


def check_unique_ids(examples: list[Example], *, where: str) -> None:
    seen: set[str] = set()
    for ex in examples:
        if ex.id in seen:
            raise DataError(
                f"{where}: duplicate example id {ex.id!r}. Ids key the cache and the "
                "scores; make them unique (or map `fields.id: null` to use row numbers)."
            )
        seen.add(ex.id)


def _describe_source(spec: Any) -> str:
    if spec.source == "hf":
        return f"dataset {spec.path}" + (f" ({spec.data_files})" if spec.data_files else "")
    if spec.source == "news_pages":
        return f"news pages in {spec.dir}"
    return "bundled samples"
