"""The sample stories shipped with the package: shape, coverage and deterministic sampling."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from summcheck.config import BundledDataset
from summcheck.data.bundled import load_bundled

REQUIRED_TOPICS = {"politics", "business", "sport", "science", "local"}
DIGIT_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@pytest.fixture(scope="module")
def examples():
    return load_bundled(BundledDataset())


def test_at_least_twelve_examples(examples):
    assert len(examples) >= 12


def test_ids_are_unique(examples):
    ids = [ex.id for ex in examples]
    assert len(ids) == len(set(ids))


def test_every_example_has_three_or_four_reference_bullets(examples):
    for ex in examples:
        assert 3 <= len(ex.reference_bullets) <= 4, ex.id
        assert all(isinstance(b, str) and b.strip() for b in ex.reference_bullets), ex.id


def test_each_required_topic_appears_at_least_twice(examples):
    counts = Counter(ex.meta.get("topic") for ex in examples)
    for topic in REQUIRED_TOPICS:
        assert counts[topic] >= 2, f"topic {topic!r} appears {counts[topic]} time(s)"


def test_every_story_has_at_least_three_digit_numbers(examples):
    for ex in examples:
        numbers = DIGIT_NUMBER.findall(ex.story)
        assert len(numbers) >= 3, f"{ex.id}: only {numbers}"


def test_examples_carry_title_date_and_paragraphs(examples):
    for ex in examples:
        assert ex.title.strip(), ex.id
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", ex.meta.get("date", "")), ex.id
        assert "\n\n" in ex.story, ex.id


def test_sampling_returns_five_examples_deterministically(examples):
    spec = BundledDataset(sample=5, seed=1)
    first = [ex.id for ex in load_bundled(spec)]
    second = [ex.id for ex in load_bundled(spec)]
    assert len(first) == 5
    assert first == second
    assert set(first) <= {ex.id for ex in examples}
