"""The one module that knows all the others: spec in, run folder out."""

from __future__ import annotations

import math
import platform
import sys
import time
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import __version__, artifacts
from .backends import Backend, LocalBackend
from .config import RunSpec
from .data import load_examples
from .data.quality import data_warnings
from .errors import MissingExtraError, SummcheckError
from .progress import Progress
from .score_cache import ScoreCache
from .scoring import Scorer, build_checks, build_metrics
from .stats import aggregate_columns
from .summarizers.base import build_summarizer
from .summarizers.cache import GenerationCache, pending
from .text import SENTENCE_SPLITTER
from .types import Example, Summary

_MODEL_BATCH_DEFAULT = 32
# Summaries scored per step: a step's rows are written out and dropped, so memory stays
# flat in the size of the test set; large enough for batched NER and ROUGE.
_SCORE_CHUNK = 512


@dataclass
class RunResult:
    run_dir: Path
    results: dict[str, Any]
    reports: dict[str, Path] = field(default_factory=dict)   # format -> file in run_dir/report


def run(spec: RunSpec, *, out_dir: Path, cache_dir: Path, show_progress: bool = True,
        config_path: str | None = None, backend: str = "local",
        address: str | None = None) -> RunResult:
    """Load, summarize (cached), score, aggregate, and write the run folder.

    `backend`: "local" (this process) or "ray" (Ray Data pipelines; `address` joins an
    existing cluster, none starts a local instance); both write the same run folder."""
    engine = make_backend(backend, spec, address=address)   # a missing extra fails first
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
        cache, score_cache = GenerationCache(cache_dir), ScoreCache(cache_dir)
        progress = Progress(enabled=show_progress)
        try:
            _preflight(summarizers, examples, cache)
            outputs = {s.label: _generate(s, spec, examples, cache, progress, engine)
                       for s in summarizers}
            artifacts.write_jsonl(run_dir / artifacts.SUMMARIES,
                                  _summary_rows(summarizers, outputs))
            scorer = Scorer(metrics, checks, cache=score_cache,
                            checks_folder=Path(cache_dir) / "checks")
            columns = _score(run_dir, examples, outputs, scorer, progress, engine)
        finally:
            cache.close()
            score_cache.close()
            progress.close()
            engine.close()
        results = _results(spec, summarizers, outputs, columns, metrics + checks, started)
        results["warnings"] = warnings
        artifacts.write_json(run_dir / artifacts.RESULTS, results)
        reports = _write_reports(spec, run_dir)
    return RunResult(run_dir, results, reports)


def make_backend(name: str, spec: RunSpec, *, address: str | None = None) -> Backend:
    if name == "local":
        if address:
            raise SummcheckError("--address is for --backend ray (a Ray cluster's address)")
        return LocalBackend(score_chunk=_SCORE_CHUNK)
    if name == "ray":
        from .backends.ray_backend import RayBackend

        return RayBackend(spec, address=address)
    raise SummcheckError(f"unknown backend {name!r}: use local or ray")


def _write_reports(spec: RunSpec, run_dir: Path) -> dict[str, Path]:
    """The last step, built from the finished folder. Without matplotlib the HTML report is
    still written, without its plots, and a warning says how to install them."""
    if not spec.report.enabled:
        return {}
    from .reports import write_reports

    out, formats = run_dir / "report", spec.report.formats
    shown = spec.report.html_max_examples
    try:
        return write_reports([run_dir], out, formats=formats, max_examples=shown)
    except MissingExtraError as err:
        print(f"warning: {err} (the HTML report is written without plots)", file=sys.stderr)
        return write_reports([run_dir], out, formats=formats, plots=False, max_examples=shown)


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


def _generate(summarizer, spec: RunSpec, examples, cache, progress, engine) -> dict[str, Any]:
    spec_batch = getattr(getattr(summarizer, "spec", None), "batch_size", None)
    task = progress.task(f"generate {summarizer.label}", total=len(examples))
    started = time.perf_counter()
    # how a Ray worker builds this summarizer again (build_summarizer looked up here, now)
    build = partial(build_summarizer, summarizer.spec, max_bullets=spec.bullets.max_bullets)
    summaries, generated = engine.generate(
        summarizer, examples, cache, build=build,
        batch_size=spec_batch or _MODEL_BATCH_DEFAULT, on_progress=task.advance,
    )
    return {"summaries": summaries, "generated": generated,
            "wall_seconds": time.perf_counter() - started}


def _score(run_dir: Path, examples: Sequence[Example], outputs: dict, scorer: Scorer,
           progress, engine: Backend) -> dict[str, dict[str, array]]:
    """Score every (summarizer, example) pair through the backend, streaming one score row
    and one check row per pair to disk as rows arrive; returns only the metric values, per
    summarizer, for aggregation. A failed summary scores as an empty one (zero ROUGE): a
    model that fails should not look better for it; failures are also counted."""
    by_id = {e.id: e for e in examples}
    labels = [label for label, out in outputs.items() for _ in out["summaries"]]
    pairs = [(by_id[s.example_id], s) for out in outputs.values() for s in out["summaries"]]
    task = progress.task("score", total=len(pairs))
    writers = [artifacts.JsonlWriter(run_dir / artifacts.SCORES),
               artifacts.JsonlWriter(run_dir / artifacts.CHECKS)]
    columns: dict[str, dict[str, array]] = {label: {} for label in outputs}
    n_done = dict.fromkeys(outputs, 0)
    try:
        rows = engine.score(scorer, pairs)
        for label, (_, summary), row in zip(labels, pairs, rows, strict=True):
            ids = {"summarizer": label, "example_id": summary.example_id}
            writers[0].write({**ids, "scores": row["scores"], "error": summary.error})
            if scorer.checks:
                writers[1].write({**ids, "findings": row["findings"],
                                  "supported": row["supported"]})
            n_done[label] += 1
            _append(columns[label], row["scores"], n_done[label])
            task.advance(1)
        for writer in writers:
            writer.commit()
    finally:
        for writer in writers:
            writer.discard()
    return columns


def _append(columns: dict[str, array], values: dict[str, float], n_rows: int) -> None:
    """Add one row of metric values to compact float columns (NaN where a metric does not
    apply; a metric first seen late is back-filled with NaN)."""
    for name in values.keys() - columns.keys():
        columns[name] = array("d")
    for name, column in columns.items():
        column.extend([math.nan] * (n_rows - 1 - len(column)))
        value = values.get(name)
        column.append(math.nan if value is None else value)


def _results(spec, summarizers, outputs, columns, metrics, started) -> dict[str, Any]:
    boot = spec.bootstrap
    per_model = []
    for summarizer in summarizers:
        out = outputs[summarizer.label]
        values = columns[summarizer.label]
        names = sorted(values)
        per_model.append({
            "label": summarizer.label,
            "type": summarizer.spec.type,
            "fingerprint": summarizer.fingerprint(),
            "n_examples": len(out["summaries"]),
            "n_failed": sum(1 for s in out["summaries"] if s.error),
            "n_generated": out["generated"],
            "n_truncated": sum(1 for s in out["summaries"] if s.meta.get("truncated")),
            "seconds_per_example": _mean([s.seconds for s in out["summaries"]]),
            "n_bullets": sum(len(s.bullets) for s in out["summaries"]),
            "unsupported": {  # total unsupported mentions per check, e.g. {"numbers": 3}
                name.removesuffix("_unsupported"): int(np.nansum(values[name]))
                for name in names if name.endswith("_unsupported")
            },
            "metrics": {name: agg.to_dict() for name, agg in aggregate_columns(
                {name: np.frombuffer(values[name]) for name in names}, n_bootstrap=boot.n,
                seed=boot.seed, confidence=boot.confidence).items()},
        })
    return {
        "schema_version": 1,
        "run_name": spec.run_name(),
        "spec_hash": spec.spec_hash(),
        "started": started,
        "finished": _now(),
        "n_examples": len(examples_seen(outputs)),
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


def examples_seen(outputs: dict) -> set[str]:
    return {s.example_id for out in outputs.values() for s in out["summaries"]}


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
