"""RougeMetric on cases small enough to check by hand, and against rouge_score itself."""

from __future__ import annotations

import pytest
from rouge_score import rouge_scorer

from summcheck.metrics.rouge import RougeMetric

ALL = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def score(pred, refs, types=ALL, stem=True):
    return RougeMetric(types, use_stemmer=stem).score(prediction=pred, references=refs)


def test_identical_texts_score_one():
    s = score(["The cat sat on the mat.", "It was happy."], [["The cat sat on the mat.", "It was happy."]])
    assert set(s) == {f"{t}_{k}" for t in ALL for k in "prf"}
    assert all(v == pytest.approx(1.0) for v in s.values())


def test_disjoint_texts_score_zero():
    s = score(["alpha beta gamma"], [["delta epsilon zeta"]])
    assert all(v == 0.0 for v in s.values())


def test_hand_computed_rouge1_rouge2_rougeL():
    # prediction: the cat sat on a mat         (6 tokens, 5 bigrams)
    # reference:  the cat is on the red mat    (7 tokens, 6 bigrams)
    # unigram matches: the, cat, on, mat = 4      -> P 4/6, R 4/7, F 8/13
    # bigram matches: "the cat" = 1               -> P 1/5, R 1/6, F 2/11
    # LCS: the cat on mat = 4                     -> same as ROUGE-1 here
    s = score(["the cat sat on a mat"], [["the cat is on the red mat"]], stem=False)
    assert s["rouge1_p"] == pytest.approx(4 / 6)
    assert s["rouge1_r"] == pytest.approx(4 / 7)
    assert s["rouge1_f"] == pytest.approx(8 / 13)
    assert s["rouge2_p"] == pytest.approx(1 / 5)
    assert s["rouge2_r"] == pytest.approx(1 / 6)
    assert s["rouge2_f"] == pytest.approx(2 / 11)
    assert s["rougeL_p"] == pytest.approx(4 / 6)
    assert s["rougeL_r"] == pytest.approx(4 / 7)
    assert s["rougeL_f"] == pytest.approx(8 / 13)


def test_clipped_counts_for_repeated_words():
    # "the the the" vs "the cat": one "the" in the reference, so 1 match, not 3.
    s = score(["the the the"], [["the cat"]], types=("rouge1",))
    assert s["rouge1_p"] == pytest.approx(1 / 3)
    assert s["rouge1_r"] == pytest.approx(1 / 2)


def test_rougeLsum_uses_bullets_and_differs_from_rougeL_when_order_swaps():
    ref = ["storm hit the coast", "police closed every road"]
    pred = list(reversed(ref))
    s = score(pred, [ref])
    # Joined text: "police closed every road storm hit the coast" vs the reverse:
    # the longest common subsequence is one bullet, 4 of 8 tokens.
    assert s["rougeL_f"] == pytest.approx(0.5)
    # Per reference bullet, union LCS over the prediction bullets finds it whole.
    assert s["rougeLsum_f"] == pytest.approx(1.0)
    # Joined without newlines there is one "sentence" and rougeLsum falls back to rougeL.
    flat = score([" ".join(pred)], [[" ".join(ref)]])
    assert flat["rougeLsum_f"] == pytest.approx(flat["rougeL_f"]) == pytest.approx(0.5)


def test_multiple_references_take_the_best_f():
    pred = ["the cat sat on a mat"]
    refs = [["dogs bark at night"], ["the cat sat on a mat"], ["a cat on a mat"]]
    s = score(pred, refs)
    assert s["rouge1_f"] == pytest.approx(1.0) and s["rouge2_f"] == pytest.approx(1.0)
    single = [score(pred, [r]) for r in refs]
    for t in ALL:
        assert s[f"{t}_f"] == pytest.approx(max(x[f"{t}_f"] for x in single))


def test_empty_references_mean_not_applicable():
    assert score(["some text"], []) == {}
    assert score(["some text"], [[]]) == {}
    assert score(["some text"], [["", "   "]]) == {}


def test_empty_prediction_scores_zero():
    for pred in ([], [""]):
        s = score(pred, [["the cat sat"]])
        assert set(s) == {f"{t}_{k}" for t in ALL for k in "prf"}
        assert all(v == 0.0 for v in s.values())


def test_stemming_on_and_off():
    pred, ref = ["running dogs"], [["run dog"]]
    assert score(pred, ref, types=("rouge1",), stem=True)["rouge1_f"] == pytest.approx(1.0)
    assert score(pred, ref, types=("rouge1",), stem=False)["rouge1_f"] == 0.0


def test_stemmer_skips_tokens_of_three_chars_or_fewer():
    from nltk.stem.porter import PorterStemmer

    assert PorterStemmer().stem("was") == "wa"  # Porter would map "was" onto "wa" ...
    # ... but rouge_score only stems tokens longer than 3 characters, so they stay apart,
    assert score(["was"], [["wa"]], types=("rouge1",))["rouge1_f"] == 0.0
    # while a 4-character token is stemmed: "cats" -> "cat".
    assert score(["cats"], [["cat"]], types=("rouge1",))["rouge1_f"] == pytest.approx(1.0)


# ------------------------------------------------------- golden parity with rouge_score
PAIRS = [
    (["The cat sat on the mat."], ["A cat was sitting on the mat."]),
    (["Police arrested two men on Friday.", "They were charged."],
     ["Two men were arrested by police.", "Charges followed on Friday."]),
    (["U.S. GDP grew 2.5% in Q3, the fastest pace since 2021."],
     ["The US economy expanded 2.5 percent in the third quarter."]),
    (["Shares fell 12%", "The CEO resigned", "Analysts expect more cuts"],
     ["The chief executive quit as shares dropped 12 per cent."]),
    (["Café owner José says prices will rise — again."], ["Prices rise again, says cafe owner Jose."]),
    (["running runs ran runner"], ["run running runs"]),
    (["a a a a b b"], ["a b a b"]),
    (["one", "two", "three"], ["three", "two", "one"]),
    (["The quick brown fox jumps over the lazy dog"], ["The lazy dog is jumped over by a quick brown fox"]),
    (["x"], ["x y z"]),
    (["Storm Ciara brought 90mph winds.", "Flights were cancelled at Heathrow."],
     ["Heathrow cancelled flights as Storm Ciara hit.", "Winds reached 90mph."]),
    (["It's a well-known fact: e-mail isn't dead."], ["Email is not dead, it is well known."]),
    (["The team won 3-1 after extra time."], ["A 3-1 win after extra time for the team."]),
    (["He said he would not run for office again."], ["He says he will never run again for office."]),
    (["Children were evacuated from the school.", "No one was hurt."],
     ["The school was evacuated.", "No injuries were reported among the children."]),
    (["Apple unveiled the iPhone 15 with USB-C."], ["The new iPhone 15 has a USB-C port, Apple said."]),
    (["Prices, prices, prices!"], ["prices"]),
    (["The minister's statement was criticised by opposition parties."],
     ["Opposition parties criticised the statement made by the minister."]),
    (["Rain", "More rain", "Even more rain tomorrow"], ["Rain is expected tomorrow and the day after."]),
    (["Researchers found that mice given the drug lived 20% longer.",
      "The study was published in Nature.", "Human trials are planned."],
     ["Mice lived 20% longer on the drug, a study in Nature found.", "Trials in humans are next."]),
]


@pytest.mark.parametrize("stem", [True, False])
@pytest.mark.parametrize("pred,ref", PAIRS)
def test_matches_rouge_score_directly(pred, ref, stem):
    ours = score(pred, [ref], stem=stem)
    direct = rouge_scorer.RougeScorer(list(ALL), use_stemmer=stem).score("\n".join(ref), "\n".join(pred))
    for t in ALL:
        for k, attr in zip("prf", ("precision", "recall", "fmeasure")):
            assert ours[f"{t}_{k}"] == pytest.approx(getattr(direct[t], attr), abs=1e-9, rel=0)
