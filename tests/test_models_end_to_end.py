"""Whole configs with tiny transformers models (built offline in the test) through `summcheck run`."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("torch")
pytest.importorskip("transformers")

from summcheck.cli import app  # noqa: E402

GENERATION = "{max_new_tokens: 12, min_new_tokens: 4, do_sample: false}"


def write_config(folder, t5, bart, causal):
    config = folder / "models.yaml"
    config.write_text(f"""
name: tiny-models
dataset: {{source: bundled}}
limit: 3
summarizers:
  - {{type: lead, name: lead-3}}
  - {{type: hf-seq2seq, name: tiny-t5, model: {t5}, prefix: "summarize: ", batch_size: 2,
      generation: {GENERATION}}}
  - {{type: hf-seq2seq, name: tiny-bart, model: {bart}, batch_size: 2, generation: {GENERATION}}}
  - {{type: hf-causal, name: tiny-causal, model: {causal}, batch_size: 2, max_input_tokens: 96,
      generation: {GENERATION}}}
bootstrap: {{n: 200, seed: 1}}
""")
    return config


def report_model_table(run_dir) -> dict[str, dict[str, str]]:
    """{model: {column: cell text}} from the model table of the run's report.html."""
    import re

    html = (run_dir / "report" / "report.html").read_text()
    table = re.search(r'<table id="models".*?</table>', html, re.S).group(0)
    text = lambda cell: re.sub(r"<[^>]+>", "", cell).strip()  # noqa: E731
    heads = [text(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
    rows = [[text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    return {cells[0]: dict(zip(heads, cells)) for cells in rows if cells}


def test_tiny_models_run_through_summcheck_run(tmp_path, monkeypatch, tiny_t5_dir,
                                               tiny_bart_dir, tiny_causal_dir):
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path, tiny_t5_dir, tiny_bart_dir, tiny_causal_dir)
    result = CliRunner().invoke(app, ["run", str(config), "--no-progress"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    results = json.loads((run_dir / "results.json").read_text())
    models = {m["label"]: m for m in results["summarizers"]}
    assert list(models) == ["lead-3", "tiny-t5", "tiny-bart", "tiny-causal"]
    for label in ("tiny-t5", "tiny-bart", "tiny-causal"):
        assert models[label]["n_failed"] == 0 and models[label]["n_generated"] == 3
        assert models[label]["metrics"]["rouge1_f"]["n"] == 3
    # the tiny T5 reads at most 64 tokens, so every bundled story is truncated and recorded
    assert models["tiny-t5"]["n_truncated"] == 3
    rows = [json.loads(x) for x in (run_dir / "summaries.jsonl").read_text().splitlines()]
    t5_rows = [r for r in rows if r["summarizer"] == "tiny-t5"]
    assert all(r["meta"]["truncated"] and r["bullets"] for r in t5_rows)
    assert report_model_table(run_dir)["tiny-t5"]["truncated"] == "3"  # counted in the report
    assert "transformers-" in results["signatures"]["environment"]

    again = CliRunner().invoke(app, ["run", str(config), "--no-progress"], catch_exceptions=False)
    assert again.exit_code == 0
    rerun = json.loads((run_dir / "results.json").read_text())
    assert all(m["n_generated"] == 0 for m in rerun["summarizers"])
    assert [m["metrics"] for m in rerun["summarizers"]] == [m["metrics"] for m in results["summarizers"]]


def test_a_model_that_cannot_load_fails_the_run_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "broken.yaml"
    config.write_text(f"name: broken\nsummarizers:\n  - {{type: hf-seq2seq, model: {tmp_path}/nope}}\n")
    result = CliRunner().invoke(app, ["run", str(config), "--no-progress"])
    assert result.exit_code == 2
    assert "cannot load model" in result.output and "nope" in result.output


def test_unloadable_model_stops_the_run_before_any_generation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    config = tmp_path / "c.yaml"
    config.write_text("name: c\nlimit: 2\nsummarizers:\n  - {type: lead}\n"
                      f"  - {{type: hf-seq2seq, model: {broken}}}\n")
    result = CliRunner().invoke(app, ["run", str(config), "--no-progress", "--cache-dir", "cache"])
    assert result.exit_code == 2 and "cannot load model" in result.output
    import sqlite3
    with sqlite3.connect(tmp_path / "cache" / "generations.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM summaries").fetchone()[0] == 0


def test_load_error_during_generation_is_not_recorded_per_example(tmp_path):
    from summcheck.errors import SummcheckError
    from summcheck.summarizers.cache import GenerationCache, summarize_with_cache
    from summcheck.types import Example

    class Unloadable:
        label = "x"

        def fingerprint(self):
            return "x"

        def load(self):
            raise SummcheckError("cannot load model x: gone")

        def summarize(self, examples):  # pragma: no cover - never reached
            raise AssertionError

    cache = GenerationCache(tmp_path)
    with pytest.raises(SummcheckError, match="cannot load model x"):
        summarize_with_cache(Unloadable(), [Example("a", "s")], cache, batch_size=1)
    cache.close()


def test_model_folder_resaved_with_new_weights_is_regenerated(tmp_path, monkeypatch,
                                                              tiny_causal_dir):
    """The cache follows the model's content: re-saving the same weights keeps every cached
    summary and the run folder, re-saving changed weights in the same folder regenerates
    them all, into a new run folder (the old model's run stays)."""
    import shutil

    import torch
    from transformers import AutoModelForCausalLM

    monkeypatch.chdir(tmp_path)
    model_dir = shutil.copytree(tiny_causal_dir, tmp_path / "model")
    config = tmp_path / "c.yaml"
    config.write_text(f"name: resaved\nlimit: 2\nchecks: {{entities: null}}\n"
                      f"report: {{enabled: false}}\nsummarizers:\n  - {{type: lead}}\n"
                      f"  - {{type: hf-causal, model: {model_dir}, generation: {GENERATION}}}\n")

    folders = []

    def run_and_read():
        result = CliRunner().invoke(app, ["run", str(config), "--no-progress"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        run_dir = Path(re.search(r"run folder: (\S+)", result.output).group(1))
        folders.append(run_dir.name)
        models = json.loads((run_dir / "results.json").read_text())["summarizers"]
        rows = [json.loads(x) for x in (run_dir / "summaries.jsonl").read_text().splitlines()]
        return ([m["n_generated"] for m in models], models[1]["fingerprint"],
                [r["bullets"] for r in rows if r["summarizer"] == "hf-causal"])

    def resave(noise: float):
        model = AutoModelForCausalLM.from_pretrained(model_dir)
        torch.manual_seed(0)
        with torch.no_grad():
            for name, weights in model.named_parameters():
                if ".mlp." in name:
                    weights.add_(noise * torch.randn_like(weights))
        model.save_pretrained(model_dir)

    generated, fingerprint, bullets = run_and_read()
    assert generated == [2, 2]
    resave(noise=0.0)
    assert run_and_read() == ([0, 0], fingerprint, bullets)
    resave(noise=0.5)
    new_generated, new_fingerprint, new_bullets = run_and_read()
    assert new_generated == [0, 2] and new_fingerprint != fingerprint
    assert new_bullets != bullets
    assert folders[0] == folders[1] != folders[2]
    assert (tmp_path / "runs" / folders[0] / "results.json").is_file()
