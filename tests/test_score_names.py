"""A check's score names change only with its signature.

Cached score rows are keyed by the checks' signatures (score_cache.py). A check that
starts writing another score without a new signature has its old cached rows served
without it: the run's tables then miss the score for every cached summary. This pins
each built-in check's score names to the version parts of its signature; when a test
here fails, bump that version in the check's signature and update the table."""

from __future__ import annotations

import pytest

from summcheck.config import RunSpec
from summcheck.errors import MissingExtraError
from summcheck.metric_kinds import direction, is_count
from summcheck.scoring import build_checks

STORY = "Arsenal beat Chelsea 3-1 on Saturday. The mayor praised 40 stewards."
BULLETS = ["Chelsea beat Arsenal 2-1.", "The mayor praised 41 stewards."]
REFERENCE = ["Arsenal won 3-1 against Chelsea."]

# check name -> (the signature's version part, the scores without / with a reference)
SCORE_NAMES = {
    "numbers": ("|rules=16", {"numbers_count", "numbers_precision", "numbers_unsupported"},
                None),
    "entities": ("|rules=14", {"entities_count", "entities_precision_source",
                              "entities_unsupported"},
                 {"entities_count", "entities_precision_source", "entities_unsupported",
                  "entities_precision_target", "entities_recall_target",
                  "entities_reference_count"}),
    "support": ("|rules=6", {"support_count", "support_min", "support_precision",
                             "support_unstitched", "support_weak"}, None),
    "relations": ("|scores=4", {"relations_count", "relations_precision",
                                "relations_score", "relations_unsupported"}, None),
}


def _checks(support_method: str) -> list:
    spec = RunSpec.model_validate({"name": "x", "summarizers": [{"type": "lead"}], "checks": {
        "numbers": {}, "entities": {}, "support": {"method": support_method},
        "relations": {}}})
    try:
        checks = build_checks(spec)
        for check in checks:
            check.check(source=STORY, summary=BULLETS)
    except MissingExtraError as err:
        pytest.skip(f"an extra is not installed: {err}")
    return checks


@pytest.mark.parametrize("support_method", ["lexical", "auto"])
def test_each_checks_score_names_are_those_its_signature_version_writes(support_method):
    for check in _checks(support_method):
        version, plain, with_reference = SCORE_NAMES[check.name]
        if "flags:off" in check.signature():    # nothing weighed against a threshold
            plain = plain - {"support_weak"}
        assert version in check.signature(), f"{check.name}: update SCORE_NAMES"
        for reference, expected in ((None, plain), (REFERENCE, with_reference or plain)):
            names = set(check.check(source=STORY, summary=BULLETS, reference=reference).scores)
            assert names == expected, (
                f"{check.name} writes {sorted(names ^ expected)} differently: bump the version "
                f"in its signature ({version!r}) so cached rows are not served, then update "
                "SCORE_NAMES")


# A faithful summary (sentences of STORY) and the same with bullets that every check
# should object to: wrong numbers, names the story lacks, a swapped relation.
FAITHFUL = ["Arsenal beat Chelsea 3-1 on Saturday.", "The mayor praised 40 stewards."]
WORSE = FAITHFUL + ["Chelsea beat Arsenal 7-2 in Lisbon.",
                    "Marco Delgado opened 9 hospitals across Portugal."]


@pytest.mark.parametrize("support_method", ["lexical", "auto"])
def test_a_worse_summary_never_reads_better_and_rates_stay_rates(support_method):
    """metric_kinds decides by a score's name whether it is a rate or a count and which
    side is better; compare, regress and the reports act on that. support_weak (a count
    of weak bullets) was once read as a higher-is-better rate, so a gate passed a run
    that got worse. This holds every built-in score to its kind."""
    for check in _checks(support_method):
        for reference in (None, REFERENCE):
            good = check.check(source=STORY, summary=FAITHFUL, reference=reference).scores
            bad = check.check(source=STORY, summary=WORSE, reference=reference).scores
            for name in good:
                for value in (good[name], bad[name]):
                    assert is_count(name) or 0.0 <= value <= 1.0, (name, value)
                    assert not is_count(name) or value == int(value), (name, value)
                if direction(name) > 0:
                    assert bad[name] <= good[name], (check.name, name, good[name], bad[name])
                elif direction(name) < 0:
                    assert bad[name] >= good[name], (check.name, name, good[name], bad[name])
            assert any(direction(n) * (bad[n] - good[n]) < 0 for n in good), (
                f"{check.name}: no score moved for bullets it should object to")
