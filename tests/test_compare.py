"""summcheck compare: paired deltas on shared examples, winners only when significant."""

import json

import pytest
from typer.testing import CliRunner

from fake_runs import BASE, SIGNATURES, make_run, noisy, shifted, values
from summcheck.cli import app
from summcheck.compare import compare_runs
from summcheck.errors import SummcheckError

RUNNER = CliRunner()


def one_row(comparison, metric="rouge2_f", label="lead-3"):
    (pair,) = comparison.pairs
    (row,) = [r for r in pair.rows if r.metric == metric and r.summarizer_b == label]
    return row


def test_identical_runs_have_zero_delta_and_no_winner(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE), "rouge1_f": values(BASE)}})
    comparison = compare_runs([a, a])
    assert comparison.metrics == ["rouge1_f", "rouge2_f"]  # headline metrics present
    for row in comparison.pairs[0].rows:
        assert (row.delta, row.low, row.high, row.p_value) == (0, 0, 0, 1)
        assert row.winner is None and row.verdict == "no significant difference"
        assert row.n_shared == 20 and row.mean_a == row.mean_b == pytest.approx(0.30)
    assert comparison.pairs[0].warnings == []


def test_clearly_better_run_is_named_winner(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE)}})
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": values(noisy(0.05, spread=0.01))}})
    row = one_row(compare_runs([a, b]))
    assert row.delta == pytest.approx(0.05)
    assert row.mean_a == pytest.approx(0.30) and row.mean_b == pytest.approx(0.35)
    assert 0.04 <= row.low < row.delta < row.high <= 0.06
    assert row.p_value < 0.05
    assert (row.winner, row.winner_name, row.verdict) == ("B", "b", "B better: b")
    # swapped: the better run is now A
    row = one_row(compare_runs([b, a]))
    assert row.delta == pytest.approx(-0.05)
    assert (row.winner, row.winner_name, row.verdict) == ("A", "b", "A better: b")


def test_noise_names_no_winner(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE)}})
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": values(noisy(-0.02, spread=0.2))}})
    row = one_row(compare_runs([a, b]))
    assert row.delta == pytest.approx(-0.02)
    assert row.low < 0 < row.high and row.p_value > 0.05
    assert row.winner is None and row.verdict == "no significant difference"


def test_mismatched_example_sets_are_reported(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE[:10])}})  # ex-00..09
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": values(BASE[2:12], start=2)}})  # ex-02..11
    comparison = compare_runs([a, b])
    row = one_row(comparison)
    assert (row.n_shared, row.only_a, row.only_b) == (8, 2, 2)
    assert row.delta == 0 and row.mean_a == pytest.approx(sum(BASE[2:10]) / 8)
    warning = ("WARNING: example sets differ: 8 shared, 2 only in a (ex-00, ex-01), "
               "2 only in b (ex-10, ex-11); differences use the shared examples only")
    assert comparison.pairs[0].warnings == [warning]
    md = comparison.to_markdown()
    assert warning in md and "| 8 (2 only A, 2 only B) |" in md


def test_changed_story_under_the_same_id_is_warned(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE)}})
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": values(BASE)}},
                 stories={"ex-03": "a different story"})
    (warning,) = compare_runs([a, b]).pairs[0].warnings
    assert "1 shared example id(s) have a different story" in warning and "ex-03" in warning


def test_signature_mismatch_is_a_loud_warning(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE)}})
    no_stem = {**SIGNATURES, "rouge": SIGNATURES["rouge"].replace("stem:porter", "stem:none")}
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": values(BASE)}}, signatures=no_stem)
    comparison = compare_runs([a, b])
    (warning,) = comparison.pairs[0].warnings
    assert warning == ("WARNING: rouge2_f NOT comparable: rouge signatures differ: "
                       "a has stem:porter where b has stem:none")
    assert f"> **{warning}**" in comparison.to_markdown()


def test_single_summarizers_with_different_labels_are_compared(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE)}})
    b = make_run(tmp_path, "b", {"oracle": {"rouge2_f": values(noisy(0.1, spread=0.01))}})
    row = one_row(compare_runs([a, b]), label="oracle")
    assert (row.summarizer_a, row.summarizer_b) == ("lead-3", "oracle")
    assert row.winner_name == "oracle"
    assert "| lead-3 → oracle | rouge2_f |" in compare_runs([a, b]).to_markdown()


def test_summarizers_in_one_run_only_are_noted(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE)},
                                 "textrank": {"rouge2_f": values(BASE)}})
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": values(BASE)}})
    pair = compare_runs([a, b]).pairs[0]
    assert [r.summarizer_a for r in pair.rows] == ["lead-3"]
    assert pair.notes == ["not compared (summarizer in one run only): a: textrank; b: -"]


def test_lower_is_better_metric_picks_the_lower_run(tmp_path):
    a = make_run(tmp_path, "a", {"m": {"numbers_unsupported": values([1.0] * 20)}})
    b = make_run(tmp_path, "b", {"m": {"numbers_unsupported": values([0.0] * 19 + [1.0])}})
    row = one_row(compare_runs([a, b], metrics=["numbers_unsupported"]),
                  metric="numbers_unsupported", label="m")
    assert row.delta == pytest.approx(-0.95) and row.winner == "B"


def test_unknown_metric_suggests_the_close_one(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE)}})
    with pytest.raises(SummcheckError, match="Did you mean 'rouge2_f'"):
        compare_runs([a, a], metrics=["rouge2f"])
    result = RUNNER.invoke(app, ["compare", str(a), str(a), "--metric", "rouge2f"])
    assert result.exit_code == 2 and "Did you mean 'rouge2_f'" in result.output


def test_cli_writes_markdown_and_strict_json(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE)}})
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": values(BASE[:5])}})
    result = RUNNER.invoke(app, ["compare", str(a), str(b), "--out", str(tmp_path / "c.json"),
                                 "--markdown", str(tmp_path / "c.md")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "c.json").read_text(), parse_constant=pytest.fail)
    assert data["format"] == "summcheck-compare" and data["runs"] == ["a", "b"]
    assert data["bootstrap"] == {"n": 1000, "seed": 0, "confidence": 0.95}
    assert data["pairs"][0]["rows"][0]["n_shared"] == 5
    assert (tmp_path / "c.md").read_text() in result.output
    assert "| 1.0000 (1.0000) | 5 (15 only A, 0 only B) | no significant difference |" \
        in result.output
    row = data["pairs"][0]["rows"][0]
    assert (row["p_value"], row["p_adjusted"], row["n_differ"], row["test"]) == (1, 1, 0, "exact")
    assert data["test"]["correction"] == "holm" and data["test"]["family"] == 1


def test_needs_two_runs(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE)}})
    with pytest.raises(SummcheckError, match="at least two"):
        compare_runs([a])


def test_real_runs_through_the_cli(tmp_path, monkeypatch):
    """Two real runs of the bundled samples: 3 vs 6 examples, lead-3 in both."""
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "fast.yaml"
    config.write_text("name: fast\nsummarizers: [{type: lead, name: lead-3}]\n"
                      "checks: {numbers: null, entities: null, support: null}\n")
    for limit in ("3", "6"):
        result = RUNNER.invoke(app, ["run", str(config), "--limit", limit, "--no-progress",
                                     "--out", f"runs{limit}"])
        assert result.exit_code == 0, result.output
    (small,), (large,) = (list((tmp_path / d).iterdir()) for d in ("runs3", "runs6"))
    result = RUNNER.invoke(app, ["compare", str(small), str(large)])
    assert result.exit_code == 0, result.output
    assert "3 shared, 0 only in" in result.output and "3 only in" in result.output
    assert ("| +0.000 [+0.000, +0.000] | 1.0000 (1.0000) | 3 (0 only A, 3 only B) | "
            "no significant difference |") in result.output
    assert "Holm-adjusted over the 3 comparisons below" in result.output


def test_rouge_implementations_with_identical_scores_are_comparable(tmp_path):
    from summcheck.metrics.rouge import RougeMetric

    python = {**SIGNATURES, "rouge": RougeMetric(backend="python").signature()}
    rust = {**SIGNATURES, "rouge": python["rouge"].split("|impl:")[0] + "|impl:rouge-score-rs-0.2.1"}
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE)}}, signatures=python)
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": values(BASE)}}, signatures=rust)
    assert "impl:rouge_score-" in python["rouge"]
    assert compare_runs([a, b]).pairs[0].warnings == []
    unstemmed = {**rust, "rouge": rust["rouge"].replace("stem:porter", "stem:none")}
    c = make_run(tmp_path, "c", {"lead-3": {"rouge2_f": values(BASE)}}, signatures=unstemmed)
    (warning,) = compare_runs([a, c]).pairs[0].warnings
    assert "stem:porter" in warning


def test_support_stemmers_with_identical_stems_are_comparable(tmp_path):
    """rouge-score-rs's Porter stems equal nltk's (test_support_stemmer.py): runs that
    differ only in which one ran compare without a warning; another rule set warns."""
    sig = ("support|method=lexical|flags:off|pairs-in-one-sentence|stem:porter({})"
           "|stop:summcheck-0.1.0|rules={}")
    runs = {name: make_run(tmp_path, name, {"lead-3": {"support_precision": values(BASE)}},
                           signatures={**SIGNATURES, "support": sig.format(lib, rules)})
            for name, lib, rules in [("rust", "rouge-score-rs-0.2.1", 2),
                                     ("nltk", "nltk-3.10.4", 2), ("rules", "nltk-3.10.4", 3)]}
    metric = ["support_precision"]
    assert compare_runs([runs["rust"], runs["nltk"]], metric).pairs[0].warnings == []
    (warning,) = compare_runs([runs["rust"], runs["rules"]], metric).pairs[0].warnings
    assert "rules=2" in warning and "rules=3" in warning


def test_five_examples_are_too_few_to_name_a_winner(tmp_path):
    """With 5 pairs no two-sided test can go below 2/2^5 = 0.0625: no winner at 0.05."""
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE[:5])}})
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": values(shifted(0.2)[:5])}})
    comparison = compare_runs([a, b])
    row = one_row(comparison)
    assert row.p_value == 0.0625 and row.n_differ == 5 and row.winner is None
    assert row.verdict == "n=5 too small to rank (smallest possible p 0.0625 >= 0.05)"
    assert row.verdict in comparison.to_markdown()
    row = one_row(compare_runs([a, b], alpha=0.1))    # reachable at alpha 0.1
    assert row.winner == "B" and row.p_adjusted == 0.0625


def test_one_shared_example_prints_no_interval(tmp_path):
    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE[:1])}})
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": values(shifted(0.1)[:1])}})
    md = compare_runs([a, b]).to_markdown()
    assert "| +0.100 (no interval, n=1) | 1.0000 (1.0000) | 1 | n=1 too small to rank" in md
    assert "[+0.100, +0.100]" not in md


def test_winners_use_holm_adjusted_p_over_every_row(tmp_path):
    """Two borderline metrics (raw p 0.034 each): Holm doubles the smaller p, so neither
    keeps its winner; a metric alone is a family of one and does. The JSON has both p."""
    borderline = values([x + (0.03 if i % 5 else -0.04) for i, x in enumerate(BASE)])
    a = make_run(tmp_path, "a", {"lead-3": {"rouge1_f": values(BASE), "rouge2_f": values(BASE)}})
    b = make_run(tmp_path, "b", {"lead-3": {"rouge1_f": borderline, "rouge2_f": borderline}})
    comparison = compare_runs([a, b])
    assert comparison.test["family"] == 2
    for metric in ("rouge1_f", "rouge2_f"):
        row = one_row(comparison, metric)
        assert 0.025 <= row.p_value < 0.05 <= row.p_adjusted == pytest.approx(2 * row.p_value)
        assert row.winner is None and row.verdict == "no significant difference"
    alone = one_row(compare_runs([a, b], metrics=["rouge2_f"]))
    assert alone.p_adjusted == alone.p_value and alone.winner == "B"
    data = comparison.to_dict()["pairs"][0]["rows"][0]
    assert data["p_value"] < 0.05 <= data["p_adjusted"]


def test_consistency_of_different_support_methods_is_refused(tmp_path):
    """The default's support method depends on the install: its runs are never compared
    across methods, in compare or in the gate (exit 2 through the CLI)."""
    from summcheck.errors import SummcheckError
    from summcheck.regress import run_regress, write_baseline

    def sigs(method):
        return {**SIGNATURES, "support": f"support|method={method}|flags:off"}

    scores = {"lead-3": {"consistency": values(BASE), "rouge2_f": values(BASE),
                         "support_precision": values(BASE)}}
    a = make_run(tmp_path, "a", scores, signatures=sigs("aligned"))
    b = make_run(tmp_path, "b", scores, signatures=sigs("lexical"))
    with pytest.raises(SummcheckError, match="aligned, b used lexical"):
        compare_runs([a, b])
    with pytest.raises(SummcheckError, match="support_precision not comparable"):
        compare_runs([a, b], metrics=["support_precision"])
    assert compare_runs([a, b], metrics=["rouge2_f"]).pairs[0].rows   # without it: fine
    baseline = write_baseline(a, tmp_path / "base.json")
    with pytest.raises(SummcheckError, match="not comparable"):
        run_regress(b, baseline=baseline, max_drop=["consistency=0.01"], echo=lambda s: None)
    same = make_run(tmp_path, "c", scores, signatures=sigs("aligned"))
    assert run_regress(same, baseline=baseline, max_drop=["consistency=0.01"],
                       echo=lambda s: None) == 0


def test_a_run_with_its_checks_off_is_compared_on_what_both_have(tmp_path):
    """A run without `consistency` (checks off) against one with it was refused as a mix of
    support methods ("none"), advising to install extras, and compared nothing."""
    with_checks = {"lead-3": {"consistency": values(BASE), "rouge2_f": values(BASE)}}
    a = make_run(tmp_path, "a", with_checks,
                 signatures={**SIGNATURES, "support": "support|method=aligned|flags:off"})
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": values(shifted(-0.05))}})
    result = compare_runs([a, b])
    assert [r.metric for r in result.pairs[0].rows] == ["rouge2_f"]
    assert any("consistency: no values in b" in w for w in result.pairs[0].warnings)
    # both have consistency, one made without the support check: refused, saying so
    c = make_run(tmp_path, "c", with_checks)
    with pytest.raises(SummcheckError, match="c scored it without the support check"):
        compare_runs([a, c])


def test_changed_examples_are_left_out_and_nothing_in_common_is_an_error(tmp_path):
    """compare paired a changed story's scores by id, and with nothing in common printed an
    empty table and exit 0."""
    from typer.testing import CliRunner

    from summcheck.cli import app

    a = make_run(tmp_path, "a", {"lead-3": {"rouge2_f": values(BASE)}})
    b = make_run(tmp_path, "b", {"lead-3": {"rouge2_f": {**values(BASE), "ex-03": 0.9}}},
                 stories={"ex-03": "a different story"})
    (row,) = compare_runs([a, b]).pairs[0].rows
    assert row.n_shared == 19 and row.delta == 0
    other = make_run(tmp_path, "other", {"textrank": {"rouge2_f": values(BASE, start=20)}})
    for runs in ([a, other], [a, make_run(tmp_path, "c", {"lead-3": {"rouge1_f": values(BASE)}})]):
        result = CliRunner().invoke(app, ["compare", *map(str, runs)])
        assert result.exit_code == 2, result.output
        assert "nothing to compare" in result.output or "no example in common" in result.output


def test_two_runs_of_one_name_are_told_apart(tmp_path):
    """The same config run before and after a change has one run name: the winner and
    the warnings named it for both runs ("B better: default", "3 only in default, 2 only
    in default")."""
    a = make_run(tmp_path / "before", "default", {"lead-3": {"rouge2_f": values(BASE)}})
    better = {**values(noisy(0.05, spread=0.01)), "ex-20": 0.3}
    b = make_run(tmp_path / "after", "default", {"lead-3": {"rouge2_f": better}})
    comparison = compare_runs([a, b])
    assert comparison.runs == ["default #1", "default #2"]
    row = one_row(comparison)
    assert (row.winner, row.winner_name) == ("B", "default #2")
    (warning,) = comparison.pairs[0].warnings
    assert "0 only in default #1, 1 only in default #2 (ex-20)" in warning
    assert "B better: default #2" in comparison.to_markdown()
