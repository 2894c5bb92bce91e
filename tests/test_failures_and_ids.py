"""A failure never looks like a success, precomputed ids are checked against the data, and
a run folder never mixes one run's results with another's data.

Runs use the numbers check and ROUGE only (no spaCy), on local JSONL files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from summcheck import runner
from summcheck.cli import app
from summcheck.config import RunSpec
from summcheck.consistency.numbers import NumberCheck
from summcheck.metric_kinds import is_count
from summcheck.metrics.rouge import RougeMetric
from summcheck.scoring import score_batch
from summcheck.types import Example, Summary

pytest.importorskip("datasets")

STORY = "The council approved a budget of 12 million pounds on Monday after 3 hours."
SUMMARIES = ["The council approved 12 million pounds.", "A budget of 40 million pounds.",
             "Council approves budget.", "It took 3 hours on Monday."]


# ---------------------------------------------------------------- the failure rule
@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SUMMARIES), st.sampled_from([None, "error", ""])),
                min_size=1, max_size=8))
def test_failing_some_summaries_never_raises_a_rate_mean(rows):
    """Every rate's mean with some summaries failed is <= the mean had they succeeded.
    A failure is an error, or no bullets without one (as a caller of score_batch may
    pass: it scored 1.0 on every check, `consistency` too)."""
    examples = [Example(f"e{i}", STORY, ("Council approves 12 million pound budget.",))
                for i in range(len(rows))]
    metrics, checks = [RougeMetric(["rouge1", "rougeLsum"])], [NumberCheck()]
    ok = [Summary(ex.id, (text,)) for ex, (text, _) in zip(examples, rows)]
    mixed = [s if how is None else Summary(s.example_id, (), error=how or None)
             for s, (_, how) in zip(ok, rows)]
    rows = [(text, how is not None) for text, how in rows]
    scored_ok = [values for values, _ in score_batch(examples, ok, metrics, checks)]
    scored_mixed = [values for values, _ in score_batch(examples, mixed, metrics, checks)]
    for name in scored_ok[0]:
        if is_count(name):
            assert all(name not in v for v, (_, failed) in zip(scored_mixed, rows) if failed)
            continue
        assert sum(v[name] for v in scored_mixed) <= sum(v[name] for v in scored_ok) + 1e-12
        assert all(v[name] == 0.0 for v, (_, failed) in zip(scored_mixed, rows) if failed)


# Bullets without a letter or digit: what a plugin summarizer or a caller of the Python
# API may hand over (a run's own parsing drops them: text.tidy_bullets).
WORDLESS = st.lists(st.sampled_from(["", " ", "\n", "...", "-", "\u2022", "\u200b", "**"]),
                    min_size=1, max_size=4).map(tuple)


@settings(max_examples=30, deadline=None)
@given(WORDLESS)
def test_bullets_without_words_score_as_the_failure_they_are(bullets):
    """A summary of only blank or punctuation bullets scored as a real summary with
    nothing wrong in it: 1.0 on every check and on `consistency`, beside 0 ROUGE."""
    examples = [Example("e", STORY, ("Council approves 12 million pound budget.",))]
    metrics, checks = [RougeMetric(["rouge1", "rougeLsum"])], [NumberCheck()]
    (wordless, _), = score_batch(examples, [Summary("e", bullets)], metrics, checks)
    (empty, _), = score_batch(examples, [Summary("e", (), error="x")], metrics, checks)
    assert wordless == empty and wordless["consistency"] == 0.0


class _Wordless:
    """A plugin summarizer (not inheriting Summarizer) whose outputs hold no word."""

    label, reads_example_id = "plugin", False

    def __init__(self, outputs):
        self.outputs = outputs

    def fingerprint(self):
        return "wordless-1"

    def summarize(self, examples):
        return [Summary(ex.id, self.outputs[ex.id]) for ex in examples]


def test_a_plugins_wordless_or_unexplained_failure_is_counted_fresh_and_cached(tmp_path):
    """Blank bullets from a plugin summarizer were not an "empty summary": not counted in
    n_failed and (before scoring treated them as failed) scored 1.0 on every check. An
    error "" was scored as a failure but not counted (the tally tests the error's truth).
    A "..." bullet beside a real one was kept and scored as a bullet."""
    from summcheck.summarizers.cache import GenerationCache, summarize_with_cache

    examples = [Example(i, f"Story {i} has 3 words.", ("Three words.",)) for i in "abc"]
    outputs = {"a": ("", "  "), "b": ("Story b has 3 words.", "...", "-"), "c": ("...",)}
    cache = GenerationCache(tmp_path)
    for attempt in ("fresh", "cached"):
        summaries, _ = summarize_with_cache(_Wordless(outputs), examples, cache,
                                            batch_size=8)
        assert [s.error for s in summaries] == ["empty summary", None, "empty summary"], attempt
        assert [s.bullets for s in summaries] == [(), ("Story b has 3 words.",), ()], attempt
    cache.put_many(_Wordless(outputs), [(examples[0], Summary("a", ("", "-")))])   # as cached
    summaries, _ = summarize_with_cache(_Wordless(outputs), examples, cache, batch_size=8)
    assert summaries[0].error == "empty summary"   # by code before this check: still failed
    unexplained = _Wordless(outputs)
    unexplained.summarize = lambda exs: [Summary(ex.id, (), error="") for ex in exs]
    unexplained.fingerprint = lambda: "unexplained-1"
    summaries, _ = summarize_with_cache(unexplained, examples[:1], cache, batch_size=8)
    assert summaries[0].error and not summaries[0].bullets


def test_an_extractive_summary_of_a_wordless_story_is_a_failure(tmp_path):
    """lead-3 of a story of separators ("...", "***") was a summary of those lines, scored
    as real: consistency 1.0, not counted as failed (scoring rules 4)."""
    from summcheck.summarizers.base import build_summarizer
    from summcheck.summarizers.cache import GenerationCache, summarize_with_cache

    spec = RunSpec.model_validate({"name": "x", "summarizers": [{"type": "lead", "k": 3}]})
    lead = build_summarizer(spec.summarizers[0], max_bullets=4)
    examples = [Example("a", "...\n***\n- -"), Example("b", "A real story. It goes on.")]
    (wordless, real), _ = summarize_with_cache(lead, examples, GenerationCache(tmp_path),
                                               batch_size=4)
    assert (wordless.error, wordless.bullets) == ("empty summary", ())
    assert real.error is None and real.bullets == ("A real story.", "It goes on.")


# ---------------------------------------------------------------- runs on local files
def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def dataset(folder: Path, ids: list[str], story: str = STORY) -> Path:
    return write_jsonl(folder / "ex.jsonl", [
        {"id": i, "article": story, "highlights": "Council approves 12 million pound budget."}
        for i in ids])


def write_config(folder: Path, summaries: list[dict], **precomputed) -> Path:
    write_jsonl(folder / "sums.jsonl", summaries)
    options = "".join(f", {k}: {v}" for k, v in precomputed.items())
    config = folder / "c.yaml"
    config.write_text(
        "name: repro\n"
        "dataset: {source: hf, path: json, data_files: ex.jsonl, split: train, "
        "fields: {id: id, story: article, highlights: highlights}}\n"
        f"summarizers: [{{type: precomputed, name: sys, path: sums.jsonl{options}}}]\n"
        "checks: {entities: null, support: null}\nbootstrap: {n: 100}\nreport: {formats: [md]}\n")
    return config


def run_cli(folder: Path, *args: str):
    return CliRunner().invoke(app, ["run", str(folder / "c.yaml"), "--no-progress",
                                    "--cache-dir", str(folder / "cache"), *args],
                              catch_exceptions=False)


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def results_of(out: Path) -> dict:
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return json.loads((run_dir / "results.json").read_text())


def test_a_missing_summary_is_a_failure_warned_about_with_ids(folder):
    dataset(folder, ["a", "b", "c"])
    write_config(folder, [{"id": "a", "summary": SUMMARIES[0]},
                          {"id": "b", "summary": SUMMARIES[0]},
                          {"id": "z", "summary": SUMMARIES[0]}])
    result = run_cli(folder, "--out", "r")
    assert result.exit_code == 0, result.output
    results = results_of(folder / "r")
    (model,) = results["summarizers"]
    assert model["n_failed"] == 1
    assert model["metrics"]["consistency"]["mean"] == pytest.approx(2 / 3)
    (warning, failed) = [w for w in results["warnings"] if "no summary" in w]
    assert failed.startswith("sys: 1 of 3 summaries failed")
    assert "1 of 3 examples" in warning and "'c'" in warning and "'z'" in warning
    assert warning in result.output   # printed too (the CLI runner mixes stderr in)


def test_failed_summaries_are_a_warning_naming_the_first(folder):
    """A summaries file of empty summaries failed every example with exit 0, no warning
    and only the table's `failed` column to tell."""
    dataset(folder, ["a", "b"])
    write_config(folder, [{"id": "a", "summary": ""}, {"id": "b", "summary": "..."}])
    result = run_cli(folder, "--out", "r")
    assert result.exit_code == 0, result.output
    results = results_of(folder / "r")
    (model,) = results["summarizers"]
    assert model["n_failed"] == 2 and model["first_failure"] == "a: empty summary"
    (warning,) = results["warnings"]
    assert warning.startswith("sys: 2 of 2 summaries failed") and "a: empty summary" in warning
    assert warning in result.output


@pytest.mark.parametrize("rows, max_missing, message", [
    ([{"id": "A", "summary": "x"}, {"id": "B", "summary": "y"}], None,
     "none of the 3 example ids has a summary"),
    ([{"id": "a", "summary": "x"}], None, "2 of 3 examples (67%) have no summary"),
    ([{"id": "a", "summary": "x"}, {"id": "b", "summary": "y"}], 0.2,
     "1 of 3 examples (33%) have no summary"),
])
def test_too_few_matching_ids_stop_the_run_naming_the_file(folder, rows, max_missing,
                                                           message):
    dataset(folder, ["a", "b", "c"])
    options = {} if max_missing is None else {"max_missing": max_missing}
    write_config(folder, rows, **options)
    result = run_cli(folder, "--out", "r")
    assert result.exit_code == 2
    assert "sums.jsonl" in result.output and message in result.output
    assert not (folder / "r").exists()   # stopped before any run folder was made


def test_a_duplicate_id_is_an_error_naming_both_lines(folder):
    dataset(folder, ["a", "b"])
    write_config(folder, [{"id": "a", "summary": "x"}, {"id": "b", "summary": "y"},
                          {"id": "a", "summary": "z"}])
    result = run_cli(folder, "--out", "r")
    assert result.exit_code == 2
    assert "lines 1 and 3: the same id 'a'" in result.output


def test_ids_the_dataset_lacks_are_reported(folder):
    dataset(folder, ["a"])
    write_config(folder, [{"id": "a", "summary": "x"}, {"id": "b", "summary": "y"}])
    result = run_cli(folder, "--out", "r")
    assert result.exit_code == 0
    assert any("1 id in" in w and "'b'" in w for w in results_of(folder / "r")["warnings"])


# ---------------------------------------------------------------- run identity
def test_an_edited_summaries_file_is_a_new_run_folder_and_the_old_run_stays(folder):
    """The run folder's name hashed the config and the data but not the summaries file:
    a second run with an edited file replaced the first run's results."""
    dataset(folder, ["a", "b"])
    write_config(folder, [{"id": "a", "summary": SUMMARIES[0]}, {"id": "b", "summary": "y"}])
    run_cli(folder, "--out", "r")
    write_jsonl(folder / "sums.jsonl", [{"id": "a", "summary": SUMMARIES[1]},
                                        {"id": "b", "summary": "y"}])
    run_cli(folder, "--out", "r")
    first, second = sorted((folder / "r").iterdir())
    assert first.name != second.name
    kept = {d: [json.loads(line)["bullets"] for line in (d / "summaries.jsonl").open()]
            for d in (first, second)}
    assert sorted(rows[0] for rows in kept.values()) == sorted([[SUMMARIES[0]],
                                                                [SUMMARIES[1]]])
    run_cli(folder, "--out", "r")     # the same file again: the same folder, no third one
    assert len(list((folder / "r").iterdir())) == 2


def test_edited_data_is_a_new_run_folder(folder):
    dataset(folder, ["a", "b"])
    write_config(folder, [{"id": "a", "summary": "x"}, {"id": "b", "summary": "y"}])
    run_cli(folder, "--out", "r")
    dataset(folder, ["a", "b"], story=STORY + " It was late.")
    run_cli(folder, "--out", "r")
    first, second = sorted((folder / "r").iterdir())
    assert first.name != second.name
    assert {json.loads((d / "results.json").read_text())["data_fingerprint"]
            for d in (first, second)} == {
        json.loads((d / "spec.json").read_text())["data_fingerprint"] for d in (first, second)}


def test_what_the_install_resolves_names_the_run_folder_too(folder, monkeypatch):
    """`support: auto` is aligned with the MiniLM weights installed and lexical without:
    the core and the full install wrote their different numbers into one run folder, the
    later run replacing the earlier. A run with the same resolution keeps its folder."""
    from summcheck.consistency import support

    dataset(folder, ["a", "b"])
    write_config(folder, [{"id": "a", "summary": "x"}, {"id": "b", "summary": "y"}])
    config = folder / "c.yaml"
    config.write_text(config.read_text().replace("support: null", "support: {}"))
    monkeypatch.setattr(support, "embedding_available", lambda: False)
    run_cli(folder, "--out", "r")
    run_cli(folder, "--out", "r")
    assert len(list((folder / "r").iterdir())) == 1
    monkeypatch.setattr(support, "embedding_available", lambda: True)
    monkeypatch.setattr(support.SupportCheck, "signature",
                        lambda self: "support|method=aligned|(stand-in)")
    run_cli(folder, "--out", "r")
    names = sorted(d.name for d in (folder / "r").iterdir())
    assert len(names) == 2
    assert all(json.loads((folder / "r" / n / "spec.json").read_text())["run_name"] == n
               for n in names)


MIXED_ROWS = [
    {"id": "a", "article": STORY + " Caf&eacute; <b>owners</b> agreed.", "highlights": "x"},
    {"id": "b", "article": " ", "highlights": "Council approves budget."},
    {"id": "c", "article": "Größe Übung äöü straße Zürich München " * 3, "highlights": None},
    {"id": "e", "article": STORY, "highlights": "Größe Übung in Zürich"},
    {"id": "d", "article": STORY, "highlights": "Council approves 12 million pound budget."},
]


def test_the_survey_is_the_same_whether_the_loader_hands_the_examples_over(folder,
                                                                         monkeypatch):
    """The data fingerprint, the data warnings and the id warnings are the same when the
    JSONL index pass hands the examples to the survey, when the survey reads them itself,
    and from the same rows as one JSON array (an index pass that starts again)."""
    from summcheck.data.local import RowTap

    starts = []
    original_start = runner._Survey._start
    monkeypatch.setattr(runner._Survey, "_start",
                        lambda self: (starts.append(1), original_start(self))[1])
    write_jsonl(folder / "ex.jsonl", MIXED_ROWS)
    write_config(folder, [{"id": i, "summary": SUMMARIES[0]} for i in "abcz"])
    assert run_cli(folder, "--out", "tapped").exit_code == 0
    assert len(starts) == 1   # handed over: no second read
    with monkeypatch.context() as patch:
        patch.setattr(RowTap, "__call__", lambda self, row: None)   # nothing handed over
        assert run_cli(folder, "--out", "read").exit_code == 0
    (folder / "ex.jsonl").write_text(json.dumps(MIXED_ROWS, indent=1))   # an array
    assert run_cli(folder, "--out", "array").exit_code == 0
    assert len(starts) == 5   # each read again after the loader handed over nothing
    tapped, read, array = (results_of(folder / out) for out in ("tapped", "read", "array"))
    assert [p.name for p in (folder / "tapped").iterdir()] == \
        [p.name for p in (folder / "read").iterdir()]
    assert tapped["data_fingerprint"] == read["data_fingerprint"] == array["data_fingerprint"]
    assert tapped["warnings"] == read["warnings"] == array["warnings"]
    warned = " ".join(tapped["warnings"])
    assert "empty story (b)" in warned and "HTML" in warned and "(a)" in warned
    assert "no reference highlights (c)" in warned and "'z'" in warned
    assert "non-ASCII" in warned


_PIECES = st.text(st.sampled_from(['a', 'b', '"', ']', '[', ',', "\\", "\ud800", "é", "0"]),
                  max_size=3)
_EXAMPLES = st.lists(st.builds(Example, _PIECES, _PIECES, st.lists(_PIECES, max_size=2).map(
    tuple), _PIECES), max_size=3)


@settings(max_examples=300)
@given(_EXAMPLES, _EXAMPLES)
@example([Example("a", 'x["b","",[]]y')], [Example("a", "x"), Example("b", "y")])
@example([Example("a", "x", ("y",))], [Example("a", "x", (), "y")])
def test_fingerprints_differ_exactly_when_the_examples_do(first, second):
    """Texts moved between fields or examples (ids, titles, stories, bullets, lone
    surrogates, JSON's own characters) never give the same fingerprint."""
    def content(examples):
        return [(e.id, e.title, e.story, e.reference_bullets) for e in examples]

    same = runner.data_fingerprint(first) == runner.data_fingerprint(second)
    assert same is (content(first) == content(second))


def test_a_stopped_run_leaves_no_earlier_results_or_report(folder, monkeypatch):
    """Whatever stops a re-run of a folder part way, the earlier run's results.json and
    report are gone: the folder reads as incomplete, never as the old run's."""
    dataset(folder, ["a", "b"])
    write_config(folder, [{"id": "a", "summary": "x"}, {"id": "b", "summary": "y"}])
    spec = RunSpec.model_validate({**_spec_dict(folder)})
    run_dir = runner.run(spec, out_dir=folder / "r", cache_dir=folder / "cache",
                         show_progress=False).run_dir
    assert (run_dir / "report" / "report.md").is_file()

    def stop(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(runner, "_run_windows", stop)
    with pytest.raises(KeyboardInterrupt):
        runner.run(spec, out_dir=folder / "r", cache_dir=folder / "cache", show_progress=False)
    assert not (run_dir / "results.json").exists() and not (run_dir / "report").exists()
    result = CliRunner().invoke(app, ["report", str(run_dir), "--out", str(folder / "rep")])
    assert result.exit_code == 2 and "incomplete" in result.output


def _spec_dict(folder: Path) -> dict:
    return {"name": "repro", "dataset": {
        "source": "hf", "path": "json", "data_files": str(folder / "ex.jsonl"),
        "split": "train", "fields": {"id": "id", "story": "article", "highlights": "highlights"}},
        "summarizers": [{"type": "precomputed", "name": "sys",
                         "path": str(folder / "sums.jsonl")}],
        "checks": {"entities": None}, "bootstrap": {"n": 100},
        "report": {"formats": ["md"]}}


# ---------------------------------------------------------------- compare and regress
def test_compare_and_regress_show_failed_summaries(folder):
    """A run whose file lacks summaries is compared and gated with its failures named."""
    dataset(folder, ["a", "b", "c", "d"])
    full = [{"id": i, "summary": SUMMARIES[0]} for i in "abcd"]
    write_config(folder, full)
    run_cli(folder, "--out", "before")
    write_config(folder, full[:3])
    run_cli(folder, "--out", "after")
    (before,), (after,) = (folder / "before").iterdir(), (folder / "after").iterdir()
    compared = CliRunner().invoke(app, ["compare", str(before), str(after)])
    assert compared.exit_code == 0, compared.output
    assert "sys: failed summaries (each scores 0 on every rate): 0 in" in compared.output
    assert "1 in" in compared.output and "(d)" in compared.output
    baseline = folder / "baseline.json"
    CliRunner().invoke(app, ["baseline", str(before), "--out", str(baseline)])
    assert json.loads(baseline.read_text())["summarizers"]["sys"]["failed"] == []
    gated = CliRunner().invoke(app, ["regress", "--baseline", str(baseline), str(after),
                                     "--out", str(folder / "verdict.json")])
    assert "WARNING: sys: failed summaries" in gated.output
    verdict = json.loads((folder / "verdict.json").read_text())
    assert any("failed summaries" in w for w in verdict["warnings"])


def test_a_gated_metric_the_run_does_not_produce_stops_the_run_before_any_work(folder):
    """`regress: {max_drop: {rouge2: 0.01}}` passed validate and run; only regress
    refused it, after the run and without naming the config. Then the run warned, after
    all its work; now the config is refused on load, naming the key."""
    dataset(folder, ["a", "b"])
    write_config(folder, [{"id": "a", "summary": SUMMARIES[0]}, {"id": "b", "summary": "y"}])
    config = folder / "c.yaml"
    config.write_text(config.read_text() + "regress: {max_drop: {rouge2: 0.01, "
                                           "rouge1_f: 0.01}}\n")
    line = config.read_text().count("\n")
    result = run_cli(folder, "--out", "r")
    assert result.exit_code == 2, result.output
    assert f"line {line}, regress.max_drop.rouge2: 'rouge2': no metric or check" in result.output
    assert "Did you mean 'rouge2_f'?" in result.output
    assert not (folder / "r").exists()


class _SometimesNaN(RougeMetric):
    """ROUGE whose rouge1_f is NaN for summaries mentioning 'hours' (a plugin metric's
    undefined value)."""

    def score_many(self, items):
        out = super().score_many(items)
        for (prediction, _), values in zip(items, out):
            if values and any("hours" in b for b in prediction):
                values["rouge1_f"] = float("nan")
        return out


def test_a_metrics_nan_is_counted_and_warned_not_dropped_in_silence(folder, monkeypatch):
    """A NaN was written as null and left out of the mean and n exactly as a metric that
    does not apply is, with nothing in results.json or the warnings to say so."""
    monkeypatch.setattr(runner, "build_metrics",
                        lambda spec, warnings=None: [_SometimesNaN(["rouge1", "rouge2"])])
    dataset(folder, ["a", "b", "c"])
    write_config(folder, [{"id": "a", "summary": SUMMARIES[0]},
                          {"id": "b", "summary": SUMMARIES[3]},
                          {"id": "c", "summary": SUMMARIES[3]}])
    result = run_cli(folder, "--out", "r")
    assert result.exit_code == 0, result.output
    results = results_of(folder / "r")
    (model,) = results["summarizers"]
    assert model["metrics"]["rouge1_f"]["n"] == 1 and model["metrics"]["rouge2_f"]["n"] == 3
    assert model["n_not_finite"] == {"rouge1_f": 2}
    (warning,) = [w for w in results["warnings"] if "finite" in w]
    assert warning == ("sys: rouge1_f had no finite value for 2 of 3 summaries (NaN, "
                       "infinite or None): left out of those means and their n")
