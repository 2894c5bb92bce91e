"""Whole configs with tiny transformers models (built offline in the test) through `summcheck run`."""

import json

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
