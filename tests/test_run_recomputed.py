"""A run's numbers recomputed from its own files by code that shares nothing with
scoring.py or stats.py: every ROUGE value with rouge_score on the bullets summaries.jsonl
holds for that example (so each row is the summary and example it names), and every
aggregate in results.json from the rows of scores.jsonl (mean, n, a fresh seeded
bootstrap of the sorted values with the expanded percentile levels). The default benchmark, on a few stories."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from rouge_score import rouge_scorer
from scipy import stats

from summcheck import runner
from summcheck.cli import default_config_path
from summcheck.config import load_config


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("recomputed")
    spec = load_config(default_config_path(), limit=6)
    return runner.run(spec, out_dir=root / "runs", cache_dir=root / "cache",
                      show_progress=False).run_dir


def test_every_rouge_value_is_rouge_score_on_the_rows_own_bullets(run_dir):
    spec = json.loads((run_dir / "spec.json").read_text())["spec"]["metrics"]["rouge"]
    scorer = rouge_scorer.RougeScorer(list(spec["types"]), use_stemmer=spec["use_stemmer"])
    examples = {e["id"]: e for e in _lines(run_dir / "examples.jsonl")}
    summaries, scores = _lines(run_dir / "summaries.jsonl"), _lines(run_dir / "scores.jsonl")
    assert [(s["summarizer"], s["example_id"]) for s in summaries] == \
        [(r["summarizer"], r["example_id"]) for r in scores]
    assert len(scores) == len(examples) * len({r["summarizer"] for r in scores})
    for summary, row in zip(summaries, scores):
        reference = "\n".join(examples[row["example_id"]]["reference_bullets"])
        failed = summary["error"] is not None
        assert failed == (row["error"] is not None) and failed == (not summary["bullets"])
        expected = scorer.score(reference, "\n".join(summary["bullets"]))
        for rouge_type, value in expected.items():
            for key, attr in (("p", "precision"), ("r", "recall"), ("f", "fmeasure")):
                want = 0.0 if failed else getattr(value, attr)
                assert row["scores"][f"{rouge_type}_{key}"] == pytest.approx(
                    want, abs=1e-12, rel=0), (row["summarizer"], row["example_id"], rouge_type)


def _levels(n: int, confidence: float) -> tuple[float, float]:
    """Hesterberg's expanded percentile levels, from scipy's t and normal distributions."""
    z = math.sqrt(n / (n - 1)) * stats.t.ppf(1 - (1 - confidence) / 2, n - 1)
    return stats.norm.cdf(-z), stats.norm.cdf(z)


def test_every_aggregate_is_recomputed_from_the_rows(run_dir):
    results = json.loads((run_dir / "results.json").read_text())
    boot = json.loads((run_dir / "spec.json").read_text())["spec"]["bootstrap"]
    rows: dict[str, list[dict]] = {}
    for row in _lines(run_dir / "scores.jsonl"):
        rows.setdefault(row["summarizer"], []).append(row)
    for model in results["summarizers"]:
        mine = rows[model["label"]]
        assert model["n_examples"] == len(mine)
        assert model["n_failed"] == sum(1 for r in mine if r["error"] is not None)
        assert set(model["metrics"]) == {k for r in mine for k in r["scores"]}
        for name, agg in model["metrics"].items():
            # resampled in sorted order (the aggregation signature's "order:sorted")
            values = np.sort([r["scores"][name] for r in mine
                              if r["scores"].get(name) is not None])
            assert agg["n"] == len(values) and agg["mean"] == pytest.approx(values.mean())
            rng = np.random.default_rng(boot["seed"])
            means = values[rng.integers(0, len(values), (boot["n"], len(values)))].mean(1)
            low, high = np.quantile(means, _levels(len(values), boot["confidence"]))
            assert agg["low"] == pytest.approx(min(low, values.mean()), abs=1e-9), name
            assert agg["high"] == pytest.approx(max(high, values.mean()), abs=1e-9), name
