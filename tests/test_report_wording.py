"""What the reports say around the numbers: the interval level the run used, counts in
words that agree in number, and several runs told apart."""

from __future__ import annotations

import pytest

from summcheck.config import RunSpec
from summcheck.reports import write_reports
from summcheck.runner import run


def bundled_run(tmp_path, *, limit: int, confidence: float = 0.95):
    spec = RunSpec.model_validate({
        "name": f"w{limit}", "limit": limit, "summarizers": [{"type": "lead"}],
        "checks": {"entities": None}, "bootstrap": {"n": 100, "confidence": confidence},
        "report": {"formats": ["md", "html"]}})
    return run(spec, out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
               show_progress=False)


def test_the_interval_level_is_the_runs_and_one_example_is_singular(tmp_path, capsys):
    from summcheck.tables import print_results

    result = bundled_run(tmp_path, limit=1, confidence=0.9)
    md = result.reports["md"].read_text()
    html = result.reports["html"].read_text()
    assert "90% bootstrap intervals" in md and "95%" not in md
    assert "90% bootstrap interval" in html and "95%" not in html
    if "<figure>" in html:   # the plots' caption too (they need matplotlib)
        assert "<figcaption>Means with 90% intervals</figcaption>" in html
    print_results(result.results)   # the CLI's table
    shown = capsys.readouterr().out
    assert "90% bootstrap CI" in shown and "95%" not in shown
    assert "1 example, 1 model." in md and "1 examples" not in md + html


def test_a_combined_report_names_each_run(tmp_path):
    a, b = bundled_run(tmp_path, limit=2), bundled_run(tmp_path, limit=3)
    out = write_reports([a.run_dir, b.run_dir], tmp_path / "both", formats=["md"])
    line = next(l for l in out["md"].read_text().splitlines() if "examples, " in l)
    assert f"{a.run_dir.name}: 2 examples, 1 model; {b.run_dir.name}: 3 examples" in \
        line.replace("\\", "")


def test_notes_say_what_consistency_measures_and_what_a_model_is(tmp_path, capsys):
    from summcheck.tables import print_results

    spec = RunSpec.model_validate({
        "name": "notes", "limit": 2, "bootstrap": {"n": 100},
        "summarizers": [{"type": "lead", "note": "the first three sentences"}],
        "checks": {"entities": None}, "report": {"formats": ["md", "html"]}})
    result = run(spec, out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                 show_progress=False)
    meaning = result.results["metric_notes"]["consistency"]
    assert meaning.startswith("consistency is") and "numbers" in meaning
    assert "names" not in meaning   # no entity check configured
    print_results(result.results)
    shown = [capsys.readouterr().out, result.reports["md"].read_text(),
             result.reports["html"].read_text()]
    for text in shown:
        assert "lead: the first three sentences" in text
        assert "consistency is how far the story backs the summary" in text
    no_note = RunSpec.model_validate({**spec.model_dump(), "summarizers": [{"type": "lead"}]})
    assert no_note.spec_hash() == spec.spec_hash()   # a note moves no number


def test_the_unsupported_column_says_entities_count_names_once_per_summary(tmp_path, capsys):
    """Numbers count mentions, entities distinct names per summary: report.md's legend and
    the CLI said "mentions" for both, so "ent 3" beside "num 9" read as a miscount."""
    from summcheck.tables import print_results

    result = bundled_run(tmp_path, limit=1)
    results = {**result.results, "summarizers": [
        {**m, "unsupported": {"numbers": 9, "entities": 3}} for m in result.results["summarizers"]]}
    print_results(results)
    shown = " ".join(capsys.readouterr().out.split())
    assert "num 9, ent 3" in shown
    assert "entity names (each name once per summary)" in shown
    md = " ".join(result.reports["md"].read_text().split())
    assert "numbers count mentions, entities distinct names per summary" in md


@pytest.mark.parametrize("method", ["aligned", "lexical", "embedding", "lexical+embedding"])
def test_the_consistency_note_names_what_the_support_method_weighs(method):
    """The note said every support method weighs word pairs and words close to the
    story's: the lexical method has no embedding, the embedding method no word pairs."""
    from types import SimpleNamespace

    from summcheck.scoring import describe_consistency

    checks = [SimpleNamespace(name="entities"), SimpleNamespace(name="support", method=method)]
    note = describe_consistency(checks)
    assert ("word pairs in one story sentence" in note) == (method != "embedding")
    assert ("close to the story's" in note) == (method != "lexical")
    assert "the product of the share of the summary's names" in note   # no dangling "its"


@pytest.mark.parametrize("names", [("numbers",), ("numbers", "entities"),
                                   ("numbers", "entities", "support"), ("support",)])
def test_the_consistency_note_says_1_means_nothing_unsupported_only_without_support(names):
    """"1.0 = nothing unsupported" was said with the support check too, whose stitching
    factor keeps a sentence copied whole under 1.0 (lead-3 of the default benchmark,
    nothing unsupported, scores 0.91-0.96): 94 read as 6% unsupported."""
    from types import SimpleNamespace

    from summcheck.consistency.aligned import unstitched
    from summcheck.scoring import describe_consistency

    note = describe_consistency([SimpleNamespace(name=n, method="aligned") for n in names])
    assert ("1.0 = nothing unsupported" in note) == ("support" not in names)
    if "support" in names:
        copied = " ".join(f"word{i}" for i in range(25))
        assert f"about {unstitched([copied], copied):.2f} for a copied 25-word bullet" in note


def test_the_terminal_table_says_over_how_many_examples_a_mean_is(capsys):
    """ROUGE of a run where some examples have no reference is a mean over fewer examples
    than the title's count; the table showed the bare mean."""
    from summcheck.tables import print_results

    agg = {"mean": 0.5, "low": 0.4, "high": 0.6}
    results = {"run_name": "r", "n_examples": 12,
               "signatures": {"aggregation": "mean|conf=0.95"},
               "summarizers": [{"label": "lead", "n_examples": 12, "n_failed": 0,
                                "seconds_per_example": 0.1,
                                "metrics": {"rouge1_f": {**agg, "n": 8},
                                            "consistency": {**agg, "n": 12}}}]}
    print_results(results)
    out = capsys.readouterr().out
    assert "50.0 [40.0, 60.0] (n=8)" in out
    assert out.count("(n=") == 1
