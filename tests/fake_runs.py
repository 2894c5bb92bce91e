"""Hand-written run folders with chosen per-example scores, for compare and regress tests."""

from __future__ import annotations

from pathlib import Path

from summcheck import artifacts

SIGNATURES = {
    "rouge": "rouge:rouge1+rouge2|tok:default|stem:porter|join:newline",
    "aggregation": "mean|bootstrap:expanded-percentile|n=1000|seed=0|conf=0.95",
    "bullets": "sentences|max_bullets=4",
    "environment": "summcheck-test",
}


def make_run(root: Path, name: str, scores: dict[str, dict[str, dict[str, float]]], *,
             signatures: dict | None = None, regress: dict | None = None,
             stories: dict[str, str] | None = None) -> Path:
    """A complete run folder; `scores` is {label: {metric: {example_id: value}}}."""
    run_dir = root / name
    ids = sorted({i for per in scores.values() for vals in per.values() for i in vals})
    stories = stories or {}
    artifacts.write_json(run_dir / artifacts.SPEC, {
        "run_name": name, "spec_hash": "0123456789", "config_path": None,
        "spec": {"name": name, "bootstrap": {"n": 1000, "seed": 0, "confidence": 0.95},
                 "regress": regress}})
    artifacts.write_jsonl(run_dir / artifacts.EXAMPLES, [
        {"id": i, "story": stories.get(i, f"story {i}"), "reference_bullets": [f"ref {i}"],
         "title": None, "meta": {}} for i in ids])
    rows = [{"summarizer": label, "example_id": i,
             "scores": {m: vals[i] for m, vals in per.items() if i in vals}, "error": None}
            for label, per in scores.items() for i in ids]
    artifacts.write_jsonl(run_dir / artifacts.SUMMARIES, [
        {"summarizer": r["summarizer"], "example_id": r["example_id"], "bullets": ["x"]}
        for r in rows])
    artifacts.write_jsonl(run_dir / artifacts.SCORES, rows)
    artifacts.write_json(run_dir / artifacts.RESULTS, {
        "schema_version": 1, "run_name": name, "spec_hash": "0123456789",
        "n_examples": len(ids), "signatures": signatures or SIGNATURES,
        "summarizers": [{"label": label, "fingerprint": f"{label}-fp", "metrics": {}}
                        for label in scores]})
    return run_dir


def values(xs: list[float], start: int = 0) -> dict[str, float]:
    """{ex-00: xs[0], ex-01: xs[1], ...} (ids numbered from `start`)."""
    return {f"ex-{start + i:02d}": x for i, x in enumerate(xs)}


# 20 base scores spread like per-example ROUGE-2 F, in pairs around 0.30 (mean 0.30)
BASE = [0.25, 0.35, 0.27, 0.33, 0.29, 0.31, 0.24, 0.36, 0.28, 0.32,
        0.26, 0.34, 0.30, 0.30, 0.22, 0.38, 0.285, 0.315, 0.255, 0.345]


def shifted(delta: float) -> list[float]:
    return [x + delta for x in BASE]


def noisy(mean_delta: float, spread: float = 0.2) -> list[float]:
    """BASE plus alternating +/- spread, adjusted so the mean difference is mean_delta."""
    return [x + mean_delta + (spread if i % 2 else -spread) for i, x in enumerate(BASE)]
