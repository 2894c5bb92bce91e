"""summcheck.consistency.overall: the overall consistency score from per-summary features."""

from __future__ import annotations

from pathlib import Path

import pytest

from summcheck.consistency import overall
from summcheck.consistency.overall import (BulletFeatures, bullet_support, extractive_fragments,
                                           overall_score, support, unstitched)

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "agreement_cv.md"


def test_hand_computed_score():
    bullets = [BulletFeatures(lexical=1.0, embedding=0.8, tokens=10, fragments=1),
               BulletFeatures(lexical=0.5, embedding=1.0, tokens=10, fragments=5)]
    assert support(bullets) == pytest.approx((0.8 + 0.5) / 2)
    assert unstitched(bullets) == pytest.approx(1 / 1.5)
    assert overall_score(numbers_precision=0.5, bullets=bullets) == pytest.approx(
        0.5 * 0.65 / 1.5)


def test_unscored_bullets_are_left_out():
    scored = BulletFeatures(lexical=0.6, embedding=0.5, tokens=4, fragments=1)
    empty = BulletFeatures(lexical=None, embedding=None, tokens=0, fragments=0)
    assert bullet_support(empty) is None
    assert support([scored, empty]) == pytest.approx(0.3)
    assert unstitched([scored, empty]) == pytest.approx(1 / 1.25)


def test_nothing_to_score_is_one_not_zero():
    assert support([]) == 1.0
    assert unstitched([]) == 1.0
    assert overall_score(numbers_precision=1.0, bullets=[]) == 1.0
    only_empty = [BulletFeatures(None, None, 0, 0)]
    assert overall_score(numbers_precision=1.0, bullets=only_empty) == 1.0


def test_an_unsupported_number_or_bullet_lowers_the_score():
    good = [BulletFeatures(1.0, 1.0, 8, 1)]
    base = overall_score(numbers_precision=1.0, bullets=good)
    assert overall_score(numbers_precision=0.5, bullets=good) < base
    weak = good + [BulletFeatures(0.2, 0.7, 8, 1)]
    assert overall_score(numbers_precision=1.0, bullets=weak) < base
    stitched = [BulletFeatures(1.0, 1.0, 8, 4)]
    assert overall_score(numbers_precision=1.0, bullets=stitched) < base


def test_out_of_range_inputs_are_clipped():
    bullets = [BulletFeatures(1.3, -0.2, 5, 1)]
    assert bullet_support(bullets[0]) == 0.0
    score = overall_score(numbers_precision=2.0, bullets=[BulletFeatures(1.0, 1.0, 5, 1)])
    assert 0.0 <= score <= 1.0


def test_fragments_hand_cases():
    story = "The council approved the new budget on Monday. Taxes will rise by 3%."
    assert extractive_fragments("the council approved the new budget", story) == (6, 1)
    # two runs of the story, and a word it lacks (no fragment)
    assert extractive_fragments("the council cut the new budget", story) == (6, 2)
    assert extractive_fragments("taxes will rise by 3 percent", story) == (6, 1)
    assert extractive_fragments("", story) == (0, 0)
    assert extractive_fragments("nothing here matches", "completely different text") == (3, 0)


def test_fragments_take_the_longest_run():
    story = "a b c x a b c d e"
    assert extractive_fragments("a b c d e", story) == (5, 1)


def test_signature_names_method_weights_and_models():
    sig = overall.signature
    assert overall.METHOD in sig
    assert f"weights=v{overall.WEIGHTS_VERSION}" in sig
    assert "all-MiniLM-L6-v2" in sig
    assert "agreement_cv.md" in sig


def test_results_file_backs_the_constants():
    """The results file names this exact signature, so a changed constant or rule
    (which must change the signature) cannot go unnoticed there."""
    if not RESULTS.exists():
        pytest.skip("benchmarks/results/agreement_cv.md not present")
    assert overall.signature in RESULTS.read_text(encoding="utf-8")
