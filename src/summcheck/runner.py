"""The one module that knows all the others: spec in, run folder out."""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Sequence

from . import __version__, artifacts
from .config import RunSpec
from .data import load_examples
from .data.quality import data_warnings
from .errors import MissingExtraError, SummcheckError
from .progress import Progress
from .scoring import build_checks, build_metrics, check_row, score_batch
from .stats import aggregate
from .summarizers.base import build_summarizer
from .summarizers.cache import GenerationCache, pending, summarize_with_cache
from .text import SENTENCE_SPLITTER
from .types import Example, Summary

_MODEL_BATCH_DEFAULT = 32


@dataclass
class RunResult:
    run_dir: Path
    results: dict[str, Any]
    reports: dict[str, Path] = field(default_factory=dict)   # format -> file in run_dir/report


def run(spec: RunSpec, *, out_dir: Path, cache_dir: Path, show_progress: bool = True,
        config_path: str | None = None) -> RunResult:
    """Load, summarize (cached), score, aggregate, and write the run folder."""
    run_dir = Path(out_dir) / spec.run_name()
    with artifacts.RunLock(run_dir):
        (run_dir / artifacts.RESULTS).unlink(missing_ok=True)  # incomplete until rewritten
        started = _now()
        examples = load_examples(spec.dataset, limit=spec.limit)
        rouge = spec.metrics.rouge
        warnings = data_warnings(examples, rouge_tokenizer=rouge.tokenizer if rouge else None)
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        summarizers = _build_summarizers(spec, warnings)
        metrics, checks = build_metrics(spec), build_checks(spec)
        artifacts.write_json(run_dir / artifacts.SPEC, _spec_record(spec, config_path))
        artifacts.write_jsonl(run_dir / artifacts.EXAMPLES, (e.to_dict() for e in examples))
        cache = GenerationCache(cache_dir)
        progress = Progress(enabled=show_progress)
        try:
            _preflight(summarizers, examples, cache)
            outputs = {s.label: _generate(s, examples, cache, progress) for s in summarizers}
            artifacts.write_jsonl(run_dir / artifacts.SUMMARIES,
                                  _summary_rows(summarizers, outputs))
            _prepare_checks(checks, examples, cache_dir)
            scores, check_rows = _score(examples, outputs, metrics, checks, progress)
        finally:
            cache.close()
            progress.close()
        artifacts.write_jsonl(run_dir / artifacts.SCORES, scores)
        artifacts.write_jsonl(run_dir / artifacts.CHECKS, check_rows)
        results = _results(spec, summarizers, outputs, scores, metrics + checks, started)
        results["warnings"] = warnings
        artifacts.write_json(run_dir / artifacts.RESULTS, results)
        reports = _write_reports(spec, run_dir)
    return RunResult(run_dir, results, reports)


def _write_reports(spec: RunSpec, run_dir: Path) -> dict[str, Path]:
    """The last step, built from the finished folder. Without matplotlib the HTML report is
    still written, without its plots, and a warning says how to install them."""
    if not spec.report.enabled:
        return {}
    from .reports import write_reports

    out, formats = run_dir / "report", spec.report.formats
    try:
        return write_reports([run_dir], out, formats=formats)
    except MissingExtraError as err:
        print(f"warning: {err} (the HTML report is written without plots)", file=sys.stderr)
        return write_reports([run_dir], out, formats=formats, plots=False)


def _preflight(summarizers, examples, cache) -> None:
    """Check every model that still has work can be found before generating anything, so a
    typo in the last model's id fails the run at the start, not after hours of work."""
    for summarizer in summarizers:
        if hasattr(summarizer, "preflight") and pending(summarizer, examples, cache):
            summarizer.preflight()


def _build_summarizers(spec: RunSpec, warnings: list[str]) -> list:
    """Build every summarizer; an `optional: true` one whose extra is missing is skipped
    with a warning (printed and recorded in results.json)."""
    built = []
    for s in spec.summarizers:
        try:
            built.append(build_summarizer(s, max_bullets=spec.bullets.max_bullets))
        except MissingExtraError as err:
            if not s.optional:
                raise
            warnings.append(f"skipped optional summarizer {s.label}: {err}")
            print(f"warning: {warnings[-1]}", file=sys.stderr)
    if not built:
        raise SummcheckError("no summarizer to run: every one is optional and not installed")
    return built


def _generate(summarizer, examples, cache, progress) -> dict[str, Any]:
    spec_batch = getattr(getattr(summarizer, "spec", None), "batch_size", None)
    task = progress.task(f"generate {summarizer.label}", total=len(examples))
    started = time.perf_counter()
    summaries, generated = summarize_with_cache(
        summarizer, examples, cache,
        batch_size=spec_batch or _MODEL_BATCH_DEFAULT, on_progress=task.advance,
    )
    return {"summaries": summaries, "generated": generated,
            "wall_seconds": time.perf_counter() - started}


def _prepare_checks(checks: list, examples: Sequence[Example], cache_dir: Path) -> None:
    """Let checks analyse each story once (e.g. NER), reusing analyses from earlier runs."""
    for check in checks:
        if hasattr(check, "prepare"):
            folder = Path(cache_dir) / "checks"
            check.load_cache(folder)
            check.prepare([e.story for e in examples])
            check.save_cache(folder)


def _score(examples: Sequence[Example], outputs: dict, metrics: list, checks: list,
           progress) -> tuple[list[dict], list[dict]]:
    """One score row and one check row per (summarizer, example). A failed summary scores
    as an empty one (zero ROUGE): a model that fails should not look better for it;
    failures are also counted."""
    by_id = {e.id: e for e in examples}
    rows, check_rows = [], []
    task = progress.task("score", total=len(examples) * len(outputs))
    for label, out in outputs.items():
        summaries = out["summaries"]
        scored = score_batch([by_id[s.example_id] for s in summaries], summaries, metrics, checks)
        for summary, (values, results) in zip(summaries, scored):
            rows.append({"summarizer": label, "example_id": summary.example_id,
                         "scores": values, "error": summary.error})
            if checks:
                check_rows.append(check_row(label, summary.example_id, results))
        task.advance(len(summaries))
    return rows, check_rows


def _results(spec, summarizers, outputs, scores, metrics, started) -> dict[str, Any]:
    boot = spec.bootstrap
    per_model = []
    for summarizer in summarizers:
        out = outputs[summarizer.label]
        rows = [r for r in scores if r["summarizer"] == summarizer.label]
        names = sorted({k for r in rows for k in r["scores"]})
        per_model.append({
            "label": summarizer.label,
            "type": summarizer.spec.type,
            "fingerprint": summarizer.fingerprint(),
            "n_examples": len(rows),
            "n_failed": sum(1 for s in out["summaries"] if s.error),
            "n_generated": out["generated"],
            "n_truncated": sum(1 for s in out["summaries"] if s.meta.get("truncated")),
            "seconds_per_example": _mean([s.seconds for s in out["summaries"]]),
            "n_bullets": sum(len(s.bullets) for s in out["summaries"]),
            "unsupported": {  # total unsupported mentions per check, e.g. {"numbers": 3}
                name.removesuffix("_unsupported"): int(sum(r["scores"].get(name, 0) for r in rows))
                for name in names if name.endswith("_unsupported")
            },
            "metrics": {
                name: aggregate([r["scores"].get(name) for r in rows], n_bootstrap=boot.n,
                                seed=boot.seed, confidence=boot.confidence).to_dict()
                for name in names
            },
        })
    return {
        "schema_version": 1,
        "run_name": spec.run_name(),
        "spec_hash": spec.spec_hash(),
        "started": started,
        "finished": _now(),
        "n_examples": len({r["example_id"] for r in scores}),
        "signatures": _signatures(spec, metrics),
        "summarizers": per_model,
    }


def _signatures(spec: RunSpec, metrics: list) -> dict[str, str]:
    boot = spec.bootstrap
    sigs = {m.name: m.signature() for m in metrics}
    sigs["aggregation"] = (f"mean|bootstrap:percentile|n={boot.n}|seed={boot.seed}"
                           f"|conf={boot.confidence}|rng:numpy-pcg64")
    sigs["bullets"] = f"sentences:{SENTENCE_SPLITTER}|max_bullets={spec.bullets.max_bullets}"
    sigs["environment"] = "|".join(
        [f"summcheck-{__version__}", f"python-{platform.python_version()}"]
        + [f"{pkg}-{_pkg_version(pkg)}" for pkg in ("numpy", "torch", "transformers")
           if _pkg_version(pkg)]
    )
    return sigs


def _summary_rows(summarizers, outputs):
    for summarizer in summarizers:
        for summary in outputs[summarizer.label]["summaries"]:
            yield {"summarizer": summarizer.label, "fingerprint": summarizer.fingerprint(),
                   **summary.to_dict()}


def _spec_record(spec: RunSpec, config_path: str | None) -> dict[str, Any]:
    return {"run_name": spec.run_name(), "spec_hash": spec.spec_hash(),
            "config_path": config_path, "spec": spec.model_dump(mode="json")}


def _pkg_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
