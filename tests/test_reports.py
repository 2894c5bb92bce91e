"""Reports from run folders: HTML, Markdown, CSV, JSON, several runs, significance, errors."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from summcheck import runner
from summcheck.artifacts import JsonlRows, RunData, load_run
from summcheck.cli import app, default_config_path
from summcheck.config import ReportSpec, load_config
from summcheck.errors import MissingExtraError
from summcheck.reports import write_reports
from summcheck.reports import plots as plots_module
from summcheck.reports.model_table import (Model, best_marks, build_table, fmt_ci,
                                           significance_legend, significantly_best)
from summcheck.tables import format_ci

HEADLINE = ("rouge1_f", "rouge2_f", "rougeLsum_f", "consistency")


def _run(root: Path, limit: int) -> Path:
    spec = load_config(default_config_path(), limit=limit)
    return runner.run(spec, out_dir=root / "runs", cache_dir=root / "cache",
                      show_progress=False).run_dir


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """The default benchmark on 4 stories (politics-02 holds the planted "64%")."""
    return _run(tmp_path_factory.mktemp("reports"), limit=4)


@pytest.fixture(scope="module")
def report(run_dir) -> dict[str, Path]:
    return {kind: run_dir / "report" / name for kind, name in
            [("html", "report.html"), ("md", "report.md"), ("csv", "scores.csv"),
             ("json", "results.json")]}


@pytest.fixture(scope="module")
def html(report) -> str:
    return report["html"].read_text(encoding="utf-8")


def test_run_writes_every_report_as_its_last_step(run_dir, report):
    assert all(path.is_file() for path in report.values())
    # the default config's optional embedding summarizer runs when its extra is installed
    assert load_run(run_dir).labels()[:4] == ["lead-3", "textrank", "oracle", "demo-abstractive"]


def test_html_is_self_contained(html):
    assert "http://" not in html and "https://" not in html
    assert not re.search(r'(?:src|href)="(?!data:|#)', html)
    assert "<link" not in html and "<script src" not in html
    assert "<style>" in html and "<script>" in html
    assert html.count('src="data:image/svg+xml;base64,') == 3


def test_html_model_table_has_every_model_and_interval(run_dir, html):
    results = load_run(run_dir).results
    table = html.split('id="models"')[1].split("</table>")[0]
    for model in results["summarizers"]:
        assert f"<td>{model['label']}</td>" in table
        for metric in HEADLINE:
            mean, interval = fmt_ci(model["metrics"][metric], metric).split(" ", 1)
            assert f"{mean}" in table and f'<span class="ci">{interval}</span>' in table
    assert "significantly" in html and "adjusted p &lt; 0.05" in html
    assert "paired permutation test" in html and "Holm-adjusted over the " in html


def test_html_highlights_the_planted_error_and_its_story_candidate(html):
    example = html.split('id="ex-politics-02"')[1].split("</tbody>")[0]
    bad = re.search(r'<mark class="bad" title="([^"]*)"[^>]*>64%</mark>', example)
    assert bad and "unsupported number (percent); did you mean 61%?" in bad.group(1)
    story = example.split('<div class="story">')[1].split("</div>")[0]
    assert re.search(r'<mark class="cand" title="[^"]*64%[^"]*"[^>]*>61%</mark>', story)
    assert re.search(r'<mark class="src"', story)
    assert example.startswith(' data-findings="2"')   # "64%" and "Ruth Ndirangu"


def test_html_escapes_story_and_title_markup(run_dir, tmp_path):
    copy = shutil.copytree(run_dir, tmp_path / "run")
    examples = [json.loads(line) for line in (copy / "examples.jsonl").read_text().splitlines()]
    examples[0]["title"] = '<script>alert("x")</script>'
    (copy / "examples.jsonl").write_text("".join(json.dumps(e) + "\n" for e in examples))
    page = write_reports([copy], tmp_path / "out", formats=("html",))["html"].read_text()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_markdown_table_and_findings(run_dir, report):
    md = report["md"].read_text(encoding="utf-8")
    assert "| model | rouge1_f | rouge2_f | rougeLsum_f | consistency |" in md
    for label in load_run(run_dir).labels():
        assert re.search(rf"^\| {re.escape(label)} \| \**\d+\.\d \[", md, re.MULTILINE)
    assert "<details><summary>Signatures</summary>" in md and "stem:porter" in md
    assert ("- demo-abstractive / politics-02, bullet 2: **64%** unsupported number "
            "(percent); did you mean 61%?") in md
    assert re.search(r"### Findings \(\d+ of \d+: numbers \d+ of \d+, entities \d+ of \d+\)", md)
    # the test and the correction are named; each shown metric's verdict carries its n
    assert re.search(r"paired permutation test .*Holm-adjusted over the \d+ \(metric, other "
                     r"model\) comparisons", md)
    assert re.search(r"^Significance: rouge1_f: n=4 too small to rank \(smallest possible p "
                     r"0\.1250 \\>= 0\.05\);", md, re.MULTILINE)


def test_csv_has_a_row_per_model_and_example_with_every_metric(run_dir, report):
    with report["csv"].open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    data = load_run(run_dir)
    assert len(rows) == len(data.labels()) * len(data.examples) >= 16
    assert {"run", "summarizer", "example_id", "rouge1_f", "consistency"} <= set(rows[0])
    first = data.scores[0]
    assert rows[0]["summarizer"] == first["summarizer"]
    assert float(rows[0]["rouge1_f"]) == first["scores"]["rouge1_f"]


def test_csv_is_the_same_in_any_pieces(run_dir, report):
    from summcheck.reports.csvout import render_csv

    data = load_run(run_dir)
    whole = report["csv"].read_text(encoding="utf-8")
    for size in (1, 3, 10_000):
        pieces = list(render_csv([data], rows_per_piece=size))
        assert "".join(pieces) == whole
        assert size > len(data.scores) or len(pieces) > len(data.scores) // size


_CELL_TEXT = st.text(st.characters(blacklist_categories=["Cs"]) | st.sampled_from(',"\r\n '),
                    max_size=8)
_VALUE = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False),
                   st.integers(-10**15, 10**15), st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_CELL_TEXT, _CELL_TEXT, st.dictionaries(
    st.sampled_from(["m1", "m,2", "m3"]), _VALUE)), min_size=1, max_size=5))
def test_csv_cells_read_back_as_the_values(rows):
    """Whatever the ids and errors (commas, quotes, CR, LF) and values (numbers, None,
    booleans), in whatever order a row holds its metrics, csv.reader gives back
    each one: a number equal to the value, None and a missing metric an empty cell."""
    from summcheck.reports.csvout import render_csv

    scores = [{"summarizer": "s", "example_id": i, "error": e or None, "scores": v}
              for i, e, v in rows]
    data = RunData(Path("."), {}, {"run_name": "r,\"1"}, [], [], scores, [])
    text = "".join(render_csv([data], rows_per_piece=2))
    table = list(csv.reader(io.StringIO(text, newline="")))
    metrics = table[0][4:]
    assert table[0][:4] == ["run", "summarizer", "example_id", "error"]
    assert len(table) == len(rows) + 1
    for cells, (example_id, error, values) in zip(table[1:], rows):
        assert cells[:4] == ["r,\"1", "s", example_id, error]
        for metric, cell in zip(metrics, cells[4:]):
            value = values.get(metric)
            if value is None:
                assert cell == ""
            elif isinstance(value, bool):
                assert cell == str(value)
            elif isinstance(value, int):
                assert int(cell) == value
            else:
                assert float(cell) == value


_SCORES = st.one_of(st.tuples(_VALUE, _VALUE).map(lambda v: {"m1": v[0], "m,2": v[1]}),
                    _VALUE.map(lambda v: {"m,2": v}),   # a failed summary's fewer metrics
                    st.dictionaries(st.sampled_from(["m1", "m,2", "m3"]), _VALUE))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b,"]), _CELL_TEXT, _CELL_TEXT, _SCORES),
                min_size=1, max_size=8))
def test_csv_lines_a_run_renders_equal_the_csv_read_from_its_scores(rows):
    """The lines a run renders as it writes scores.jsonl (`CsvLines`) give scores.csv as
    reading scores.jsonl back does: used when each summarizer's first row has every
    metric in the header's order (then scores.jsonl is not read), else not."""
    from summcheck.reports.csvout import CsvLines, render_csv

    rows = sorted(rows, key=lambda row: row[0])   # each summarizer's rows together
    scores = [{"summarizer": s, "example_id": i, "error": e or None, "scores": v}
              for s, i, e, v in rows]
    data = RunData(Path("."), {}, {"run_name": "r"}, [], [], scores, [])
    lines: dict[str, CsvLines] = {}
    for row in scores:
        lines.setdefault(row["summarizer"], CsvLines("r", row["summarizer"])).add(
            row["example_id"], row["error"], row["scores"])
    expected = "".join(render_csv([data]))
    if all(part.columns == data.rows().metric_order for part in lines.values()):
        scores.clear()   # read once already, for the metric names: not needed again
    assert "".join(render_csv([data], lines=lines)) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=6).map(lambda b: b.replace(b"\n", b"")), max_size=12),
       st.booleans(), st.integers(1, 9), st.data())
def test_lines_at_equals_splitting_the_file(tmp_path_factory, lines, last_newline, size, data):
    from summcheck.artifacts import lines_at

    content = b"\n".join(lines) + (b"\n" if last_newline and lines else b"")
    path = tmp_path_factory.mktemp("lines") / "f.jsonl"
    path.write_bytes(content)
    every = content.split(b"\n")[:-1] if content.endswith(b"\n") else \
        (content.split(b"\n") if content else [])
    wanted = sorted(data.draw(st.sets(st.integers(0, len(every) + 2))))
    with path.open("rb") as handle:
        found = dict(lines_at(handle, wanted, size=size))
    assert found == {n: every[n] for n in wanted if n < len(every)}


def _examples_html(runs, max_examples):
    from summcheck.reports.html_examples import examples_table

    return examples_table(runs, build_table(runs).models, max_examples)


@pytest.mark.parametrize("max_examples", [2, 300])
def test_example_table_same_from_files_as_from_rows_in_memory(run_dir, tmp_path, max_examples,
                                                              monkeypatch):
    """The table reads the shown rows at the lines the runner's file order gives; rows in
    memory are scanned. Both give the same table, also with the files' lines reordered
    (every line then found by the scan) and with two runs."""
    from dataclasses import replace

    files = load_run(run_dir)
    in_memory = replace(files, examples=list(files.examples), summaries=list(files.summaries),
                        checks=list(files.checks), scores=list(files.scores))
    expected = _examples_html([in_memory], max_examples)
    with monkeypatch.context() as patched:   # in the runner's order no file is scanned
        patched.setattr(JsonlRows, "where", None)
        assert _examples_html([files], max_examples) == expected
    moved = tmp_path / "moved"
    shutil.copytree(run_dir, moved)
    for name in ("examples.jsonl", "summaries.jsonl", "checks.jsonl"):
        lines = (moved / name).read_bytes().splitlines(keepends=True)
        (moved / name).write_bytes(b"".join(lines[1:] + lines[:1]))
    assert _examples_html([load_run(moved)], max_examples) == expected
    two = _examples_html([files, load_run(moved)], max_examples)
    assert two == _examples_html([in_memory, replace(in_memory, run_dir=moved)], max_examples)


def test_json_is_the_run_results(run_dir, report):
    assert report["json"].read_text() == (run_dir / "results.json").read_text()


def test_several_runs_in_one_report(run_dir, tmp_path):
    other = _run(tmp_path, limit=3)
    written = write_reports([run_dir, other], tmp_path / "out")
    page = written["html"].read_text()
    for run in (run_dir.name, other.name):
        assert f"<td>{run}/demo-abstractive</td>" in page   # labels clash: run/label
    assert json.loads(written["json"].read_text())["runs"][1]["run_name"] == other.name
    n_models = len(load_run(run_dir).labels())
    with written["csv"].open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == n_models * 4 + n_models * 3
    md = written["md"].read_text()
    assert f"| {other.name}/lead-3 |" in md.replace("\\", "")


def test_two_runs_of_one_name_stay_apart(run_dir, tmp_path):
    """The same config run twice has one run name; reports key models and example rows by
    it, so the second run's bullets were shown under both."""
    copy = shutil.copytree(run_dir, tmp_path / "again" / run_dir.name)
    rows = [json.loads(line) for line in (copy / "summaries.jsonl").read_text().splitlines()]
    changed = next(r for r in rows if r["summarizer"] == "lead-3")
    changed["bullets"] = ["Zebra parade closes the harbour bridge."]
    (copy / "summaries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    written = write_reports([run_dir, copy], tmp_path / "out", plots=False)
    name = load_run(run_dir).name
    md = written["md"].read_text().replace("\\", "")
    for k in (1, 2):
        assert f"| {name} #{k}/lead-3 |" in md
    merged = json.loads(written["json"].read_text())["runs"]      # each run's own name
    assert [r["run_name"] for r in merged] == [name, name]
    assert [r["run_dir"] for r in merged] == [str(run_dir), str(copy)]
    page = written["html"].read_text()
    assert page.count("Zebra parade") == 1


def test_report_command_writes_reports(run_dir, tmp_path):
    result = CliRunner().invoke(app, ["report", str(run_dir), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert f"html: {tmp_path / 'r' / 'report.html'}" in result.output


def test_report_command_refuses_missing_or_incomplete_run_folders(run_dir, tmp_path):
    cli = CliRunner()
    missing = cli.invoke(app, ["report", str(tmp_path / "nope"), "--out", str(tmp_path / "r")])
    assert missing.exit_code == 2 and "not a folder" in missing.output
    incomplete = shutil.copytree(run_dir, tmp_path / "incomplete")
    (incomplete / "results.json").unlink()
    result = cli.invoke(app, ["report", str(incomplete), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "run is incomplete" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r").exists()


def test_without_matplotlib_the_run_writes_the_html_without_plots(run_dir, tmp_path,
                                                                  monkeypatch, caplog):
    def missing():
        raise MissingExtraError("matplotlib", "report")

    monkeypatch.setattr(plots_module, "_matplotlib", missing)
    copy = shutil.copytree(run_dir, tmp_path / "run")
    spec = load_config(default_config_path(), limit=4)
    with caplog.at_level(logging.WARNING, logger="summcheck.runner"):
        written = runner._write_reports(spec, copy)
    assert set(written) == {"html", "md", "csv", "json"}
    page = written["html"].read_text()
    assert "data:image/svg+xml" not in page and 'pip install "summcheck[report]"' in page
    (logged,) = caplog.records
    assert 'pip install "summcheck[report]"' in logged.getMessage()
    assert logged.getMessage().endswith("(the HTML report is written without plots)")
    with pytest.raises(MissingExtraError):
        write_reports([copy], tmp_path / "out")


def test_disabled_reports_are_not_written(run_dir):
    spec = load_config(default_config_path(), limit=4).model_copy(
        update={"report": ReportSpec(enabled=False)})
    assert runner._write_reports(spec, run_dir) == {}


# ---------------------------------------------------------------- significance marks
def _model(name: str, values: dict[str, float], metric: str) -> Model:
    mean = sum(values.values()) / len(values)
    run = RunData(Path("."), {}, {"run_name": "r", "summarizers": []}, [], [],
                  [{"summarizer": name, "example_id": i, "scores": {metric: v}}
                   for i, v in values.items()], [])
    summary = {"label": name, "metrics": {metric: {"mean": mean, "low": mean, "high": mean,
                                                   "n": len(values)}}}
    return Model(name, name, run, summary)


def _best(models, metric):
    return significantly_best(models, metric, seed=0)


def test_best_is_marked_only_when_it_beats_every_other_model_significantly():
    ids = [f"e{i}" for i in range(30)]
    low = {i: 0.3 + 0.01 * (k % 5) for k, i in enumerate(ids)}
    high = {i: v + 0.2 for i, v in low.items()}
    close = {i: v - (0.05 if k % 2 else -0.04) for k, (i, v) in enumerate(high.items())}
    metric = "rouge1_f"
    assert _best([_model("a", low, metric), _model("b", high, metric)], metric) == "b"
    trio = [_model("a", low, metric), _model("b", high, metric), _model("c", close, metric)]
    assert _best(trio, metric) is None                      # b is not clearly above c
    assert _best([_model("a", low, metric)], metric) is None  # nothing to beat


def test_five_examples_are_too_few_for_a_star():
    """5 pairs: the smallest two-sided p is 0.0625, so no star, and the verdict says why."""
    ids = [f"e{i}" for i in range(5)]
    low, high = dict.fromkeys(ids, 0.2), {i: 0.4 + k / 100 for k, i in enumerate(ids)}
    models = [_model("a", low, "rouge1_f"), _model("b", high, "rouge1_f")]
    (verdict,) = best_marks(models, ["rouge1_f"], seed=0).values()
    assert verdict.best is None and verdict.n == 5
    assert verdict.text == "n=5 too small to rank (smallest possible p 0.0625 >= 0.05)"


def test_stars_are_holm_adjusted_over_every_metric_and_model():
    """A leader with raw p 0.034 (20 pairs) is starred alone; with a second metric of
    the same kind in the table, Holm doubles it and neither is starred."""
    ids = [f"e{i}" for i in range(20)]
    base = {i: 0.3 + 0.01 * (k % 5) for k, i in enumerate(ids)}
    ahead = {i: v + (0.03 if k % 5 else -0.04) for k, (i, v) in enumerate(base.items())}
    alone = [_model("a", base, "rouge1_f"), _model("b", ahead, "rouge1_f")]
    assert best_marks(alone, ["rouge1_f"], seed=0)["rouge1_f"].best == "b"
    two = [_two_metric_model("a", base), _two_metric_model("b", ahead)]
    verdicts = best_marks(two, ["rouge1_f", "rouge2_f"], seed=0)
    assert [v.best for v in verdicts.values()] == [None, None]
    assert all(0.05 <= v.p_adjusted < 0.1 for v in verdicts.values())


def _two_metric_model(name: str, values: dict[str, float]) -> Model:
    one, two = _model(name, values, "rouge1_f"), _model(name, values, "rouge2_f")
    for row, other in zip(one.run.scores, two.run.scores):
        row["scores"].update(other["scores"])
    one.summary["metrics"].update(two.summary["metrics"])
    return one


def _run_model(run: str, values: dict[str, float], *, story: str = "s", stem: str = "porter"
               ) -> Model:
    """lead-3 of run `run`, its examples' stories `story` + id, ROUGE stemming `stem`."""
    model = _model(f"{run}/lead-3", values, "rouge1_f")
    model.run.results.update(run_name=run, signatures={"rouge": f"rouge|stem:{stem}"})
    model.run.examples.extend({"id": i, "story": f"{story} {i}", "reference_bullets": ["r"]}
                              for i in values)
    for row in model.run.scores:
        row["summarizer"] = "lead-3"
    return Model(model.name, "lead-3", model.run, model.summary)


def test_a_star_across_runs_pairs_only_examples_of_the_same_story_and_signatures():
    """Two runs' models were paired by id alone: runs of other stories under the same ids,
    or of one summary scored with stemming on and off, got a "significantly better" star."""
    ids = [f"e{i}" for i in range(20)]
    low = {i: 0.3 + 0.01 * (k % 5) for k, i in enumerate(ids)}
    high = {i: v + 0.2 for i, v in low.items()}

    def verdict(**b):
        models = [_run_model("a", low), _run_model("b", high, **b)]
        return best_marks(models, ["rouge1_f"], seed=0)["rouge1_f"]

    assert verdict().best == "b/lead-3"
    other_stories = verdict(story="another")
    assert other_stories.best is None and other_stories.n == 0
    unstemmed = verdict(stem="none")
    assert unstemmed.best is None
    assert unstemmed.text == "not ranked: the runs' rouge signatures differ"
    # another numpy only: the same method, ranked as regress gates it (with a warning)
    assert verdict(stem="porter|numpy-9.9.9").best == "b/lead-3"


def test_a_star_on_other_example_sets_says_how_many_values_had_no_pair():
    """Two runs of other example sets: the star pairs the 15 shared examples, and says so
    beside its n (compare and regress count the examples of one side only; the report
    said only "n=15", under columns whose means are over 20 and 15 examples)."""
    ids = [f"e{i}" for i in range(20)]
    low = {i: 0.3 + 0.01 * (k % 5) for k, i in enumerate(ids)}
    high = {i: v + 0.2 for i, v in list(low.items())[:15]}
    models = [_run_model("a", low), _run_model("b", high)]
    verdict = best_marks(models, ["rouge1_f"], seed=0)["rouge1_f"]
    assert verdict.best == "b/lead-3" and verdict.n == 15
    assert verdict.text.startswith("b/lead-3 best (n=15, 5 unpaired values left out, ")
    same = [_run_model("a", low), _run_model("b", {i: v + 0.2 for i, v in low.items()})]
    assert "unpaired" not in best_marks(same, ["rouge1_f"], seed=0)["rouge1_f"].text


def test_a_model_better_on_every_example_is_starred_among_24_models():
    """24 models over 22 metrics: 506 comparisons. With the approximate test stopped at
    10,000 flips no p went below 1/10,001, Holm made that 0.0506, and a model 0.3 above
    every other one on each of 40 examples got no star: "n=40 too small to rank"."""
    rng = np.random.default_rng(0)
    ids = [f"e{i}" for i in range(40)]
    metrics = [f"rouge{k}_{x}" for k in ("1", "2", "L", "Lsum") for x in "fpr"] + [
        "consistency", "coverage_mean", "coverage_share", "support_min", "support_precision",
        "support_unstitched", "numbers_precision", "entities_precision_source",
        "entities_precision_target", "entities_recall_target"]
    difficulty = rng.beta(2, 5, len(ids))
    rows, summaries = [], []
    for k in range(24):
        scores = {m: np.clip(difficulty + (0.3 if k == 0 else 0) + rng.normal(0, 0.05, 40),
                             0, 1) for m in metrics}
        rows += [{"summarizer": f"m{k}", "example_id": i,
                  "scores": {m: float(v[j]) for m, v in scores.items()}}
                 for j, i in enumerate(ids)]
        summaries.append({"label": f"m{k}", "metrics": {
            m: {"mean": float(v.mean()), "low": 0, "high": 1, "n": 40}
            for m, v in scores.items()}})
    run = RunData(Path("."), {}, {"run_name": "r", "summarizers": summaries}, [], [], rows, [])
    table = build_table([run])
    assert table.family == 23 * 22
    assert table.marks == dict.fromkeys(metrics, "m0")
    assert table.verdicts["rouge1_f"].text.startswith("m0 best (n=40, adjusted p <= 0.0")
    assert "going on to R=50000" in significance_legend(table)


def test_one_example_shows_no_interval():
    agg = {"mean": 0.447, "low": 0.447, "high": 0.447, "n": 1}
    assert fmt_ci(agg, "rouge1_f") == "44.7 (no interval, n=1)"
    assert format_ci(agg) == "44.7 (no interval, n=1)"


def test_lower_is_better_for_unsupported_counts_and_counts_are_unmarked():
    ids = [f"e{i}" for i in range(20)]
    few, many = dict.fromkeys(ids, 0.0), {i: 1.0 + k % 3 for k, i in enumerate(ids)}
    metric = "numbers_unsupported"
    assert _best([_model("few", few, metric), _model("many", many, metric)], metric) == "few"
    metric = "numbers_count"
    assert _best([_model("few", few, metric), _model("many", many, metric)], metric) is None


def test_html_shows_at_most_max_examples_those_with_most_findings_first(tmp_path, run_dir):
    from summcheck.artifacts import load_run

    run = load_run(run_dir)
    with_findings = {r["example_id"] for r in run.checks if r["findings"]}
    assert with_findings and len(with_findings) < len(run.examples)
    page = write_reports([run_dir], tmp_path / "out", formats=("html",),
                         max_examples=1)["html"].read_text()
    shown = re.findall(r'<tbody class="ex" id="ex-([^"]+)"', page)
    assert len(shown) == 1 and shown[0] in with_findings
    assert f"Showing 1 of {len(run.examples)} examples" in page
    assert "summcheck report RUN_DIR --max-examples N" in page   # the way without a re-run
    full = write_reports([run_dir], tmp_path / "all", formats=("html",))["html"].read_text()
    assert len(re.findall(r'<tbody class="ex"', full)) == len(run.examples)
    assert "Showing" not in full


def test_short_reports_give_every_check_its_turn_at_any_limit(run_dir):
    """report.md's findings: as many as asked (or all), the checks taking turns so a
    check with many findings cannot hide another's few, grouped by check in report
    order, each check's in the order of the full listing."""
    from summcheck.reports.findings import all_findings, check_order, sample_findings

    models = build_table([load_run(run_dir)]).models
    every = list(all_findings(models))
    by_check = {c: [f for f in every if f.finding["check"] == c]
                for c in {f.finding["check"] for f in every}}
    assert len(by_check) >= 2      # numbers and entities in the demo
    for limit in range(len(every) + 2):
        shown, totals = sample_findings(models, limit)
        assert totals == {c: len(found) for c, found in by_check.items()}
        assert len(shown) == min(limit, len(every))
        checks = [f.finding["check"] for f in shown]
        assert checks == sorted(checks, key=check_order)
        taken = {c: [f for f in shown if f.finding["check"] == c] for c in by_check}
        for c, found in taken.items():
            assert found == by_check[c][:len(found)]
            for other, other_found in taken.items():     # fair turns
                assert len(found) >= min(len(other_found) - 1, len(by_check[c]))


@given(st.text())
def test_markdown_free_text_stays_on_one_line_and_loses_no_word(text):
    from summcheck.reports.markdown import _md

    out = _md(text)
    assert "\n" not in out and "\r" not in out
    assert re.sub(r"\\(.)", r"\1", out) == " ".join(text.split())


def test_relation_findings_name_the_closest_story_sentence():
    from summcheck.reports.findings import describe

    relation = {"check": "relations", "kind": "subject", "candidates": [
        {"text": "Arsenal beat Chelsea on Saturday.", "start": 0, "end": 33}]}
    assert describe(relation) == ("unsupported relation (subject); closest story sentence: "
                                  "“Arsenal beat Chelsea on Saturday.”")


def test_support_findings_are_described_as_bullets_not_mentions():
    from summcheck.reports.findings import describe

    weak = {"check": "support", "kind": "weak-bullet",
            "candidates": [{"text": "The council met on Monday."}]}
    assert describe(weak) == "weak bullet; closest story sentence: “The council met on Monday.”"
    number = {"check": "numbers", "kind": "percent", "candidates": [{"text": "61%"}]}
    assert describe(number) == "unsupported number (percent); did you mean 61%?"


def test_did_you_mean_is_text_under_the_bullet_not_only_a_tooltip(tmp_path):
    """Readable by keyboard, touch and screen-reader users: each unsupported mention is
    explained in a list under its bullet, and the marks can take keyboard focus."""
    import re

    from summcheck.cli import default_config_path
    from summcheck.config import load_config
    from summcheck.runner import run

    spec = load_config(default_config_path(), limit=4)
    html = run(spec, out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
               show_progress=False).reports["html"].read_text()
    explained = re.findall(r'<ul class="why"><li>(.*?)</li>', html)
    assert explained and any("did you mean" in text for text in explained)
    assert re.search(r'<mark class="bad"[^>]*tabindex="0"', html)


def test_reports_do_not_depend_on_block_size_or_row_alignment(tmp_path, run_dir, monkeypatch):
    """The per-example store answers by position, a block of rows at a time, when the
    models' rows line up, and by example key otherwise: every report must come out the
    same either way, whatever the block size and wherever the cut for max_examples falls."""
    from summcheck import run_rows, scratch
    from summcheck.reports import html_examples

    def reports(name: str) -> dict[str, str]:
        out = {}
        for limit in (1, 3, 300):
            paths = write_reports([run_dir], tmp_path / f"{name}{limit}", plots=False,
                                  max_examples=limit)
            out.update({f"{k}{limit}": p.read_text(encoding="utf-8") for k, p in paths.items()})
        return out

    plain = reports("plain")
    monkeypatch.setattr(scratch, "BLOCK", 2)
    monkeypatch.setattr(run_rows.LabelRowsBuilder, "_BATCH", 3)
    assert reports("small-blocks") == plain
    monkeypatch.setattr(html_examples, "same_order", lambda a, b: False)
    monkeypatch.setattr(run_rows, "same_order", lambda a, b: False)
    assert reports("by-key") == plain


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=40), st.integers(1, 45), st.integers(1, 7))
def test_most_findings_first_block_by_block_equals_one_sort(values, k, block):
    """The examples shown first are the k with the most findings, ties in run order,
    whatever the blocks they are read in."""
    from summcheck.reports.html_examples import _most

    array = np.array(values, dtype=np.int64)
    blocks = [(s, array[s:s + block]) for s in range(0, len(values), block)]
    expected = sorted(range(len(values)), key=lambda i: (-values[i], i))[:k]
    assert _most(iter(blocks), k) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), max_size=60))
def test_box_stats_are_matplotlibs(values):
    """The lean box statistics (sorted in place, no copies) draw what boxplot drew."""
    from matplotlib import cbook

    from summcheck.reports.plots import box_stats

    expected = cbook.boxplot_stats([values if values else [np.nan]])[0]
    mine = box_stats(np.array(values, dtype=float))
    for key in ("med", "q1", "q3", "whislo", "whishi"):
        assert np.array_equal(mine[key], expected[key], equal_nan=True), key


def test_markdown_tells_no_findings_from_no_checks(tmp_path):
    """"No findings." once also stood for runs whose checks were all off."""
    from fake_runs import SIGNATURES, make_run, values

    scores = {"lead-3": {"rouge2_f": values([0.2, 0.3, 0.4])}}
    unchecked = make_run(tmp_path, "unchecked", scores)
    checked = make_run(tmp_path, "checked", scores,
                       signatures={**SIGNATURES, "numbers": "numbers|rules=2"})
    for run, text in ((unchecked, "No consistency checks ran"), (checked, "No findings.")):
        md = write_reports([run], tmp_path / "rep" / run.name, formats=["md"])["md"].read_text()
        assert text in md, md[-300:]
        assert ("No findings." in md) == (run is checked)


def test_a_report_of_runs_without_headline_metrics_is_written(tmp_path):
    """The plots asked matplotlib for a figure of no panels: a ValueError, exit 1."""
    from fake_runs import make_run, values

    run = make_run(tmp_path, "other", {"lead-3": {"rouge2_f": values([0.2, 0.3, 0.4])}})
    written = write_reports([run], tmp_path / "out")
    assert "rouge2" in written["html"].read_text()


@pytest.mark.parametrize("out", ["first run", "lone run", "other run"])
def test_report_refuses_to_write_into_a_run_folder(run_dir, tmp_path, out):
    """`report A B --out A` replaced A's results.json with the multi-run file."""
    first = shutil.copytree(run_dir, tmp_path / "first")
    other = shutil.copytree(run_dir, tmp_path / "other")
    (other / "results.json").unlink()    # a run folder still running: no results.json yet
    inputs = [first] if out == "lone run" else [first, run_dir]
    target = other if out == "other run" else first
    before = {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()}
    result = CliRunner().invoke(app, ["report", *map(str, inputs), "--out", str(target)])
    assert result.exit_code == 2, result.output
    assert f"--out {target} is a run folder (it holds spec.json)" in result.output
    assert {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()} == before


@settings(max_examples=12, deadline=None)
@given(level=st.sampled_from([0.9, 0.95, 0.975, 0.99, 0.995, 0.999]) |
       st.integers(501, 999).map(lambda k: k / 1000))
def test_reports_name_the_interval_level_the_run_used(tmp_path_factory, level):
    """A 99.5% interval was labelled "100%" (and 97.5% "98%"): the level was rounded to a
    whole percent in the report, the terminal table and compare."""
    from fake_runs import make_run, values
    from summcheck.artifacts import SPEC, read_json, write_json
    from summcheck.reports.markdown import render_markdown

    root = tmp_path_factory.mktemp("level")
    run_dir = make_run(root, "run", {"lead-3": {"rouge2_f": values([0.2, 0.3, 0.4])}})
    spec = read_json(run_dir / SPEC)
    spec["spec"]["bootstrap"]["confidence"] = level
    write_json(run_dir / SPEC, spec)
    table = build_table([load_run(run_dir)])
    label = table.interval_label
    assert label.endswith("%") and float(label[:-1]) == pytest.approx(level * 100, abs=1e-9)
    assert f"with {label} bootstrap intervals" in render_markdown(table)


@pytest.mark.parametrize("stories_b", ["same", "other"])
def test_bullets_of_another_story_under_the_same_id_say_so(tmp_path, stories_b):
    """Two runs holding one id with different stories: the page shows the first run's
    story, and showed the second run's bullets under it as if written from it."""
    from fake_runs import make_run, values

    scores = {"lead-3": {"rouge2_f": values([0.2, 0.3, 0.4])}}
    first = make_run(tmp_path, "first", scores)
    ids = list(values([0, 0, 0]))
    second = make_run(tmp_path, "second", scores, stories=None if stories_b == "same" else
                      {i: f"another story {i}" for i in ids[1:]})
    page = write_reports([first, second], tmp_path / "out", formats=["html"],
                         plots=False)["html"].read_text()
    bodies = re.findall(r'<tbody class="ex" id="ex-([^"]+)".*?</tbody>', page, re.S)
    assert bodies == ids
    for body, eid in zip(re.findall(r'<tbody class="ex".*?</tbody>', page, re.S), ids):
        assert f"story {eid}" in body
        noted = "second has another story or reference highlights under this id" in body
        assert noted == (stories_b == "other" and eid != ids[0])
        assert "first has another story" not in body


_MD_PIECES = list("ab1 .-+~&;#*_`[]()<>|\\!=:/\"'") + ["&amp;", "&#65;", "~~", "\n", "**"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_MD_PIECES)).map("".join))
def test_markdown_free_text_renders_as_itself_inline_and_in_a_table_cell(text):
    """Rendered as GitHub renders report.md (tables, strikethrough), escaped free text reads
    as the text, in one cell: "~~x~~" was struck through and "&amp;" shown as "&"."""
    import html

    markdown_it = pytest.importorskip("markdown_it")
    from summcheck.reports.markdown import _md

    renderer = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    words = " ".join(text.split())
    assert html.unescape(renderer.renderInline(_md(text))) == words
    table = renderer.render(f"| model | failed |\n|---|---|\n| {_md(text)} | 0 |\n")
    cells = re.findall(r"<td>(.*?)</td>", table, re.S)
    assert [html.unescape(c) for c in cells] == [words, "0"]


def test_a_mean_over_fewer_than_the_models_examples_says_over_how_many(tmp_path):
    """ROUGE of a run where some examples have no reference, and counts (which failed
    summaries lack), are means over fewer examples than the run's: the cell showed the
    mean alone, read as a mean over every example."""
    from fake_runs import make_run, values
    from summcheck.artifacts import RESULTS, read_json, write_json

    run_dir = make_run(tmp_path, "run", {"lead-3": {"rouge2_f": values([0.2, 0.3, 0.4, 0.5])},
                                         "other": {"rouge2_f": values([0.1, 0.2, 0.3])}})
    results = read_json(run_dir / RESULTS)
    for model, n in zip(results["summarizers"], (4, 3)):
        model["n_examples"] = 4
        model["metrics"] = {"rouge2_f": {"mean": 0.35, "low": 0.25, "high": 0.45, "n": n}}
    write_json(run_dir / RESULTS, results)
    written = write_reports([run_dir], tmp_path / "out", formats=["md", "html"], plots=False)
    md, page = written["md"].read_text(), written["html"].read_text()
    assert "| lead-3 | 35.0 [25.0, 45.0] |" in md.replace("\\", "")
    assert "| other | 35.0 [25.0, 45.0] (n=3) |" in md.replace("\\", "")
    assert '<span class="ci">[25.0, 45.0] (n=3)</span>' in page
    assert page.count("(n=3)</span>") == 1


def test_html_tells_no_findings_from_no_checks(tmp_path):
    """report.html of a run with every check off said "Unsupported mentions: none found",
    a clean bill for summaries nothing had checked (report.md already told them apart)."""
    pytest.importorskip("matplotlib")
    from fake_runs import SIGNATURES, make_run, values

    scores = {"lead-3": {"rouge2_f": values([0.2, 0.3, 0.4])}}
    unchecked = make_run(tmp_path, "unchecked", scores)
    checked = make_run(tmp_path, "checked", scores,
                       signatures={**SIGNATURES, "numbers": "numbers|rules=2"})
    for run in (unchecked, checked):
        page = write_reports([run], tmp_path / "rep" / run.name,
                             formats=["html"])["html"].read_text()
        assert ("Unsupported mentions: none found" in page) == (run is checked)
        assert ("no consistency checks ran" in page) == (run is unchecked)


def test_plots_draw_model_names_as_written(tmp_path):
    """matplotlib read a name with two "$" as TeX: "cost $5-$10" was drawn "cost 5-10" in
    math italics, and an unknown command ("$\\x$") stopped the run after its results."""
    pytest.importorskip("matplotlib")
    import base64

    from fake_runs import make_run, values

    names = ["cost $5-$10", "x $\\undefinedcmd$ y"]
    run = make_run(tmp_path, "run", {n: {"rouge1_f": values([0.2, 0.3, 0.4])} for n in names})
    results = json.loads((run / "results.json").read_text())
    for model in results["summarizers"]:
        model["metrics"] = {"rouge1_f": {"mean": 0.3, "low": 0.2, "high": 0.4, "n": 3}}
    (run / "results.json").write_text(json.dumps(results))
    page = write_reports([run], tmp_path / "out", formats=["html"])["html"].read_text()
    svgs = [base64.b64decode(uri).decode() for uri in
            re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)]
    assert svgs and all(n in svg for svg in svgs[:2] for n in names)


@pytest.mark.parametrize("second", [{"n": 1000, "seed": 0}, {"n": 200, "seed": 0},
                                    {"n": 1000, "seed": 7}])
def test_several_runs_bootstrap_settings_are_each_runs(tmp_path, second):
    """A report of runs aggregated with other resamples or seeds said "n=1000, seed=0"
    (the first run's) of every interval."""
    from fake_runs import make_run, values
    from summcheck.artifacts import SPEC, read_json, write_json

    scores = {"lead-3": {"rouge2_f": values([0.2, 0.3, 0.4])}}
    first = make_run(tmp_path, "first", scores)
    other = make_run(tmp_path, "other", scores)
    spec = read_json(other / SPEC)
    spec["spec"]["bootstrap"].update(second)
    write_json(other / SPEC, spec)
    written = write_reports([first, other], tmp_path / "out", formats=["md", "html"],
                            plots=False)
    same = second == {"n": 1000, "seed": 0}
    for text in (written["md"].read_text(), written["html"].read_text()):
        assert ("n=1000, seed=0" in text) == same
        assert ("resamples and seed per run, see signatures" in text) == (not same)
    assert "((" not in written["md"].read_text()   # "(resamples ... (see signatures))"


def test_markdown_names_each_checks_findings_column_for_what_it_counts(tmp_path):
    """report.md headed the support and likelihood totals "unsupported support" and
    "unsupported likelihood"."""
    from fake_runs import make_run, values
    from summcheck.artifacts import RESULTS, read_json, write_json

    run_dir = make_run(tmp_path, "r", {"lead-3": {"rouge2_f": values([0.2, 0.3])}})
    results = read_json(run_dir / RESULTS)
    results["summarizers"][0]["unsupported"] = {"numbers": 1, "entities": 2, "support": 3,
                                                "likelihood": 4}
    write_json(run_dir / RESULTS, results)
    md = write_reports([run_dir], tmp_path / "out", formats=["md"], plots=False)["md"]
    (head,) = [line for line in md.read_text().splitlines() if line.startswith("| model")]
    assert head.endswith("| support findings | unsupported numbers | unlikely words | "
                         "unsupported entities | failed |")


def test_a_one_example_run_writes_no_interval_and_its_plots(tmp_path):
    """results.json gave one example low = high = mean (an interval of width 0); it is
    null now, as compare's is, and the interval plot draws the mean alone."""
    pytest.importorskip("matplotlib")
    run_dir = _run(tmp_path, limit=1)
    results = json.loads((run_dir / "results.json").read_text())
    for model in results["summarizers"]:
        for name, agg in model["metrics"].items():
            assert agg["n"] == 1 and agg["low"] is None and agg["high"] is None, name
    html = (run_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert "data:image" in html and "no interval, n=1" in html


def test_markdown_lists_the_runs_warnings_as_the_html_does(run_dir, report):
    """report.md left out the run's warnings (examples without references left out of the
    ROUGE means, failed or cut summaries): a table over fewer examples than its header
    says read as if over all of them."""
    from summcheck.reports.markdown import _md

    warnings = json.loads((run_dir / "results.json").read_text())["warnings"]
    assert warnings   # the 4-story run: the demo file's other ids are not scored
    md = report["md"].read_text(encoding="utf-8")
    html = report["html"].read_text(encoding="utf-8")
    for warning in warnings:
        assert f"- warning: {_md(warning)}" in md
        assert "warning: " in html


def test_each_bullet_mention_links_only_to_its_own_story_spans():
    """A finding and another check's finding (or a supported mention) starting at the
    same character of a bullet get their own keys: hovering one outlines only its story
    spans."""
    from summcheck.reports.html_examples import _marks

    def span(text, start):
        return {"text": text, "start": start, "end": start + len(text)}

    row = {"findings": [
        {"check": "entities", "kind": "PERSON", "bullet_index": 0, "span": span("Merkel", 7),
         "candidates": [span("Merkle", 40)], "reason": ""},
        {"check": "relations", "kind": "object", "bullet_index": 0,
         "span": span("Merkel was arrested", 7), "candidates": [span("Police came.", 0)],
         "reason": ""}],
        "supported": [{"check": "numbers", "kind": "number", "bullet_index": 0,
                       "span": span("3", 0), "source_span": span("3", 60)},
                      {"check": "support", "kind": "bullet", "bullet_index": 0,
                       "span": span("3 said Merkel was arrested", 0),
                       "source_span": span("Police came.", 0)}]}
    bullets, story = _marks(row, "k0", "m")
    keys = [mark.keys[0] for mark in bullets[0]]
    assert len(set(keys)) == len(keys) == 4
    for mark in bullets[0]:
        linked = [s.expected for s in story if mark.keys[0] in s.keys]
        assert len(linked) == 1, (mark.expected, linked)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_MD_PIECES + ["1.", "2)", "- ", "+ ", "# ", "="])).map("".join))
def test_markdown_free_text_starting_a_line_or_list_item_reads_as_itself(text):
    """Free text begins lines of report.md (a run's name on the summary line) and list
    items (a finding's model, a model's note): a model named "1. base" or "- tuned" was
    shown as a nested list, the name's start eaten as its marker."""
    import html

    markdown_it = pytest.importorskip("markdown_it")
    from summcheck.reports.markdown import _md

    renderer = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    words = " ".join(text.split())
    item = renderer.render(f"- {_md(text)} / ex-1, bullet 1\n")
    assert item.startswith("<ul>\n<li>") and item.count("<li>") == 1, item
    assert html.unescape(item.removeprefix("<ul>\n<li>").removesuffix("</li>\n</ul>\n")) \
        == f"{words} / ex-1, bullet 1".strip()
    line = renderer.render(f"{_md(text)}: 4 examples, 2 models\n")
    assert line.startswith("<p>"), line
    assert html.unescape(line.removeprefix("<p>").removesuffix("</p>\n")) == \
        f"{words}: 4 examples, 2 models"


def test_model_names_like_list_markers_are_plain_text_in_report_md(tmp_path):
    from fake_runs import make_run, values
    from summcheck.artifacts import RESULTS, read_json, write_json
    from summcheck.reports.markdown import render_markdown

    markdown_it = pytest.importorskip("markdown_it")
    names = ["1. base", "- tuned", "+ small", "# big", "2) other"]
    run_dir = make_run(tmp_path, "run", {n: {"rouge2_f": values([0.2, 0.3, 0.4])}
                                         for n in names})
    results = read_json(run_dir / RESULTS)
    for entry in results["summarizers"]:
        entry["note"] = "a note"
    write_json(run_dir / RESULTS, results)
    page = markdown_it.MarkdownIt("commonmark").enable(["table"]).render(
        render_markdown(build_table([load_run(run_dir)])))
    assert "<ol" not in page and not re.search(r"<h[13-6]", page)
    assert not re.search(r"<li>\s*<[ou]l", page)   # no list nested in an item
    for name in names:
        assert f"<td>{name}</td>" in page and f"<li>{name}: a note</li>" in page


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text())
def test_example_anchors_are_valid_fragments_and_never_shared(a, b):
    """An id with a space or "#" made an invalid element id and a link that found no
    element; two ids must not share an anchor after escaping."""
    from summcheck.reports.html_examples import example_anchor

    assert re.fullmatch(r"ex-[A-Za-z0-9_.~-]*", example_anchor(a))
    assert (example_anchor(a) == example_anchor(b)) == (a == b)


def test_each_example_link_points_at_its_own_example(tmp_path):
    import html as markup

    from fake_runs import make_run

    ids = ["a b", "a~20~b", 'q"<&', "#", "ok-1", "ü", "a\tb"]
    run = make_run(tmp_path, "ids", {"lead-3": {"rouge2_f": dict.fromkeys(ids, 0.3)}})
    page = write_reports([run], tmp_path / "out", formats=["html"], plots=False)["html"]
    bodies = re.findall(r'<tbody class="ex" id="([^"]+)".*?<a href="#([^"]+)">([^<]*)</a>',
                        page.read_text(), re.S)
    assert len(bodies) == len(ids) == len({anchor for anchor, _, _ in bodies})
    assert all(anchor == href and re.fullmatch(r"[\w.~-]+", anchor, re.ASCII)
               for anchor, href, _ in bodies)
    assert sorted(markup.unescape(text) for _, _, text in bodies) == sorted(ids)


@pytest.mark.parametrize("types", [["rouge2", "rouge1"], ["rouge1"], None])
def test_per_example_columns_show_a_metric_the_run_measured(tmp_path, types):
    """The per-example columns showed rougeLsum_f always: a run configured without it
    showed "–" for every example, under a legend naming rougeLsum_f."""
    from fake_runs import make_run, values
    from summcheck.artifacts import SPEC, read_json, write_json

    scores = {"rouge1_f": values([0.11, 0.22, 0.33]), "rouge2_f": values([0.44, 0.55, 0.66]),
              "consistency": values([1.0, 0.5, 0.0])}
    if types is None:   # no ROUGE measured
        scores = {"consistency": scores["consistency"]}
    run_dir = make_run(tmp_path, "run", {"lead-3": scores})
    spec = read_json(run_dir / SPEC)
    spec["spec"]["metrics"] = {"rouge": {"types": types} if types else None}
    write_json(run_dir / SPEC, spec)
    page = write_reports([run_dir], tmp_path / "out", formats=["html"],
                         plots=False)["html"].read_text()
    assert "rougeLsum" not in page
    cells = re.findall(r'<tbody class="ex" id="ex-(ex-\d+)".*?<td class="num" data-sort="[^"]*">'
                       r'.*?</td><td class="num" data-sort="([^"]*)">([^<]*)', page, re.S)
    assert [c[0] for c in cells] == list(values([0, 0, 0]))
    metric = f"{types[0]}_f" if types else None
    for example_id, sort, shown in cells:
        if metric is None:
            assert sort == "" and shown.strip() == ""
        else:
            assert float(sort) == scores[metric][example_id]
            assert shown.strip() == f"{scores[metric][example_id] * 100:.1f}"
    header = page.split('data-key="m0">')[1].split("</th>")[0]
    assert (f"{metric} x100" in header) == (metric is not None)
    assert (f"Per-model columns: {metric} x100 and" in page) == (metric is not None)


def test_plot_names_what_each_check_flags(tmp_path):
    """Support findings are weak bullets and unsupported phrases; the plot titled their
    panel "unsupported support mentions" and the figure "unsupported mentions"."""
    pytest.importorskip("matplotlib")
    import base64

    from fake_runs import make_run, values

    run = make_run(tmp_path, "run", {"m": {"rouge1_f": values([0.2, 0.3, 0.4])}})
    models = build_table([load_run(run)]).models
    rates = {"numbers": {"percent": {"m": 5.0}},
             "support": {"weak-bullet": {"m": 10.0}, "unsupported-phrase": {"m": 20.0}}}
    plot = plots_module.make_plots(models, [], rates)[-1]
    svg = base64.b64decode(plot.uri.split(",", 1)[1]).decode()
    words = " ".join([plot.title, plot.alt, svg])
    assert "support mentions" not in words and "Unsupported mentions" not in words
    assert "unsupported bullets and phrases (support check)" in svg
    assert "unsupported number mentions" in svg
    assert plot.alt == ("per 100 bullets: unsupported number mentions, unsupported bullets "
                        "and phrases (support check)")


class _MarkedText(HTMLParser):
    """The text of rendered HTML, and the positions each <mark> key covers in it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.open, self.covered = "", [], {}

    def handle_starttag(self, tag, attrs):
        assert tag == "mark"
        self.open.append((dict(attrs).get("data-keys") or "").split())

    def handle_endtag(self, tag):
        assert tag == "mark" and self.open
        self.open.pop()

    def handle_data(self, data):
        for keys in self.open:
            for key in keys:
                self.covered.setdefault(key, set()).update(
                    range(len(self.text), len(self.text) + len(data)))
        self.text += data


@settings(max_examples=300, deadline=None)
@given(st.text("ab <&\"'", min_size=1, max_size=24), st.data())
def test_overlapping_marks_all_stay_visible_and_well_formed(text, data):
    """The first of two overlapping marks won and the other was dropped: a weak-bullet
    finding over a whole bullet hid the number and entity findings in it. Every fitting
    mark now covers exactly its span (nested, or cut where it crosses another), in
    well-formed HTML that reads as the text."""
    from summcheck.reports.highlight import Mark, render

    spans = data.draw(st.lists(st.tuples(st.integers(0, len(text) - 1),
                                         st.integers(1, len(text))), max_size=6))
    marks = [Mark(s, e, "bad", text[s:e], [f"note {i}"], [f"k{i}"])
             for i, (s, e) in enumerate(spans) if s < e]
    parsed = _MarkedText()
    parsed.feed(render(text, marks))
    parsed.close()
    assert parsed.text == text and not parsed.open
    for mark in marks:
        assert parsed.covered[mark.keys[0]] == set(range(mark.start, mark.end))


def test_a_number_finding_inside_an_entity_finding_is_drawn_and_linked():
    from summcheck.reports.html_examples import _bullets, _marks

    def span(text, start):
        return {"text": text, "start": start, "end": start + len(text)}

    bullet = "The 2028 Games open in Paris."
    row = {"findings": [
        {"check": "entities", "kind": "EVENT", "bullet_index": 0,
         "span": span("The 2028 Games", 0), "candidates": [], "reason": ""},
        {"check": "numbers", "kind": "year", "bullet_index": 0, "span": span("2028", 4),
         "candidates": [span("2024", 0)], "reason": ""}], "supported": []}
    bullets, _ = _marks(row, "k0", "m")
    page = _bullets({"bullets": [bullet]}, bullets)
    assert re.search(r'<mark class="bad" [^>]*data-keys="k0_entities_0_0_14"[^>]*>The '
                     r'<mark class="bad" [^>]*data-keys="k0_numbers_0_4_8"[^>]*>2028</mark>'
                     r' Games</mark>', page)


def test_findings_plot_legend_names_every_drawn_model(tmp_path):
    """matplotlib leaves out of a legend a label starting with "_": a model named
    "_base" had its bars drawn with no legend entry to tell them by."""
    pytest.importorskip("matplotlib")
    import base64

    from fake_runs import make_run, values

    names = ["_base", "tuned", "_child0"]
    run = make_run(tmp_path, "run", {n: {"rouge1_f": values([0.2, 0.3, 0.4])} for n in names})
    models = build_table([load_run(run)]).models
    rates = {"numbers": {"percent": dict.fromkeys(names, 5.0)}}
    plot = plots_module.make_plots(models, [], rates)[-1]
    svg = base64.b64decode(plot.uri.split(",", 1)[1]).decode()
    legend = svg[svg.index('id="legend_1"'):]
    assert all(f">{name}<" in legend for name in names)


def test_per_example_columns_of_runs_of_other_rouge_types_show_one_both_measured(tmp_path):
    from fake_runs import make_run, values

    from summcheck.reports.html_examples import example_metric

    a = make_run(tmp_path, "a", {"m": {"rouge1_f": values([0.1, 0.2]),
                                       "rougeLsum_f": values([0.3, 0.4])}})
    b = make_run(tmp_path, "b", {"m": {"rouge1_f": values([0.5, 0.6])}})
    runs = [load_run(a), load_run(b)]
    assert example_metric(runs, build_table(runs).models) == "rouge1_f"
    assert example_metric(runs[:1], build_table(runs[:1]).models) == "rougeLsum_f"


def test_markdown_escapes_a_list_marker_only_where_it_would_open_a_list():
    from summcheck.reports.markdown import _md

    assert [_md(t) for t in ["1. base", "- tuned", "+ x", "2)", "-"]] == \
        ["1\\. base", "\\- tuned", "\\+ x", "2\\)", "\\-"]
    assert [_md(t) for t in ["3.5-turbo", "-tuned", "4o", "a - b"]] == \
        ["3.5-turbo", "-tuned", "4o", "a - b"]


def test_likelihood_findings_are_described_as_words():
    from summcheck.reports.findings import describe, flagged

    unlikely = {"check": "likelihood", "kind": "unlikely", "candidates": [{"text": "Oslo"}]}
    assert describe(unlikely) == "unsupported word (unlikely); did you mean Oslo?"
    assert flagged("likelihood") == "unlikely words (likelihood check)"


def test_markdown_of_several_runs_names_each_models_run(tmp_path):
    """A label only one run has is shown bare ("lead"): report.md did not say which run
    the row came from (report.html has a run column)."""
    import html as markup

    from fake_runs import make_run, values
    from summcheck.reports.markdown import render_markdown

    markdown_it = pytest.importorskip("markdown_it")
    a = make_run(tmp_path, "first", {"lead": {"rouge2_f": values([0.2, 0.3, 0.4])}})
    b = make_run(tmp_path, "second", {"textrank": {"rouge2_f": values([0.2, 0.3, 0.4])},
                                      "lead": {"rouge2_f": values([0.2, 0.3, 0.4])}})
    page = markdown_it.MarkdownIt("commonmark").enable(["table"]).render(
        render_markdown(build_table([load_run(a), load_run(b)])))
    rows = [[markup.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]]
    assert [row[:2] for row in rows] == [["first/lead", "first"], ["textrank", "second"],
                                         ["second/lead", "second"]]
    single = render_markdown(build_table([load_run(a)]))
    assert "| model | failed |" in single and "| run |" not in single


def test_markdown_no_findings_says_how_many_summaries_failed(tmp_path):
    """With every summary failed there is nothing to flag: "No findings." read as clean
    summaries."""
    from fake_runs import SIGNATURES, make_run, values
    from summcheck.artifacts import RESULTS, read_json, write_json
    from summcheck.reports.markdown import render_markdown

    run_dir = make_run(tmp_path, "run", {"lead-3": {"rouge2_f": values([0.2, 0.3, 0.4])}},
                       signatures={**SIGNATURES, "numbers": "numbers|rules=2"})
    for failed, text in ((0, "No findings.\n"),
                         (3, "No findings in the summaries checked; 3 failed summaries had "
                             "nothing to check.\n")):
        results = read_json(run_dir / RESULTS)
        results["summarizers"][0]["n_failed"] = failed
        write_json(run_dir / RESULTS, results)
        assert render_markdown(build_table([load_run(run_dir)])).endswith(text)


def test_html_none_found_says_how_many_summaries_failed(tmp_path):
    pytest.importorskip("matplotlib")
    from fake_runs import make_run, values

    run = make_run(tmp_path, "run", {"m": {"rouge1_f": values([0.2, 0.3, 0.4])}})
    models = build_table([load_run(run)]).models
    titles = [p.title for p in plots_module.make_plots(models, [], {})]
    assert titles == ["Unsupported mentions: none found"]
    failed = [Model(m.name, m.label, m.run, {**m.summary, "n_failed": 1}) for m in models]
    titles = [p.title for p in plots_module.make_plots(failed, [], {})]
    assert titles == ["Unsupported mentions: none found in the summaries checked (1 failed "
                      "summary had nothing to check)"]


@pytest.mark.parametrize("n", [3, 301])
def test_the_strip_plot_says_when_it_shows_a_sample_of_the_examples(tmp_path, n):
    """Above 300 examples a model's strip shows 300 random points, which the plot's title
    did not say (the boxes use every value)."""
    pytest.importorskip("matplotlib")
    from fake_runs import make_run, values

    scores = {"lead-3": {"rouge2_f": values(list(np.linspace(0, 1, n)))}}
    run_dir = make_run(tmp_path, "r", scores)
    results = json.loads((run_dir / "results.json").read_text())
    results["summarizers"][0].update(
        n_examples=n, metrics={"rouge2_f": {"mean": 0.5, "low": 0.4, "high": 0.6, "n": n}})
    (run_dir / "results.json").write_text(json.dumps(results))
    html = write_reports([run_dir], tmp_path / "out", formats=["html"])["html"].read_text()
    assert ("300 random examples of a model that has more" in html) == (n > 300)
