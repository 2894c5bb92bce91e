import pytest

from summcheck.config import LeadSpec, OracleSpec, TextRankSpec
from summcheck.summarizers.base import build_summarizer
from summcheck.types import Example

STORY = (
    "The city council of Leeds approved a new tram line on Monday. "
    "The line will cost 400 million pounds and open in 2029. "
    "Mayor Ruth Ellis said the tram would cut traffic in the centre. "
    "Opponents said the council had ignored the cost of the tram line. "
    "The weather was mild."
)
EXAMPLE = Example("leeds", STORY, ("Leeds tram line will cost 400 million pounds",
                                   "Mayor Ruth Ellis says tram will cut traffic"))


def run(spec, example=EXAMPLE, max_bullets=4):
    return build_summarizer(spec, max_bullets=max_bullets).summarize([example])[0]


def test_lead_takes_first_k_sentences_as_bullets():
    summary = run(LeadSpec(type="lead", k=2))
    assert summary.bullets == (
        "The city council of Leeds approved a new tram line on Monday.",
        "The line will cost 400 million pounds and open in 2029.")
    assert summary.example_id == "leeds"


def test_lead_respects_bullet_cap_and_short_story():
    assert len(run(LeadSpec(type="lead", k=3), max_bullets=1).bullets) == 1
    short = Example("s", "Only one sentence here.")
    assert run(LeadSpec(type="lead", k=3), short).bullets == ("Only one sentence here.",)


def test_textrank_is_deterministic_in_story_order_and_skips_the_outlier():
    first = run(TextRankSpec(type="textrank", k=2))
    again = run(TextRankSpec(type="textrank", k=2))
    assert first.bullets == again.bullets and len(first.bullets) == 2
    sentences = STORY.split(". ")
    positions = [STORY.index(b.rstrip(".")) for b in first.bullets]
    assert positions == sorted(positions)
    assert "The weather was mild." not in first.bullets
    assert len(sentences) == 5


def test_oracle_picks_the_sentences_that_match_the_reference():
    summary = run(OracleSpec(type="oracle", k=3))
    assert "The line will cost 400 million pounds and open in 2029." in summary.bullets
    assert "Mayor Ruth Ellis said the tram would cut traffic in the centre." in summary.bullets
    assert "The weather was mild." not in summary.bullets


def test_oracle_without_references_raises():
    with pytest.raises(ValueError, match="needs reference highlights"):
        run(OracleSpec(type="oracle"), Example("x", STORY))


def test_fingerprints_change_with_settings_not_with_label():
    a = build_summarizer(LeadSpec(type="lead", k=3), max_bullets=4).fingerprint()
    b = build_summarizer(LeadSpec(type="lead", k=3, name="renamed"), max_bullets=4).fingerprint()
    c = build_summarizer(LeadSpec(type="lead", k=2), max_bullets=4).fingerprint()
    d = build_summarizer(LeadSpec(type="lead", k=3), max_bullets=2).fingerprint()
    assert a == b and len({a, c, d}) == 3


@pytest.mark.parametrize("spec", [TextRankSpec(type="textrank", k=4),
                                  OracleSpec(type="oracle", k=4),
                                  LeadSpec(type="lead", k=4)])
@pytest.mark.parametrize("cap", [1, 2, 3])
def test_the_bullet_cap_keeps_the_best_ranked_not_the_earliest(spec, cap):
    """k above max_bullets: the cap kept the earliest of the k chosen sentences, so the
    summary was neither the top `cap` nor the greedy choice; it must equal k = cap."""
    capped = run(spec, max_bullets=cap)
    direct = run(spec.model_copy(update={"k": cap}), max_bullets=cap)
    assert capped.bullets == direct.bullets
