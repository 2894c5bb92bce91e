"""A background-safe scorer (ROUGE on rouge-score-rs) computes a window's rows on a worker
thread while the run goes on: the rows, the files and their order are those of scoring in
place; errors surface in the run; other scorers never leave the caller's thread."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from summcheck import runner
from summcheck.backends import LocalBackend
from summcheck.config import load_config
from summcheck.metrics.base import Metric
from summcheck.metrics.rouge import RougeMetric
from summcheck.scoring import Scorer
from summcheck.types import Example, Summary

PAIRS = [(Example(f"e{i}", "A story.", (f"bullet {i}",)), Summary(f"e{i}", (f"bullet {i % 3}",)))
         for i in range(7)]


class Recording(Metric):
    """The share of the reference's words in the summary; records the threads it ran on.
    Each batch waits for `go` (up to 5 s) and records whether it came."""

    name = "recording"

    def __init__(self, background_safe: bool, fail_on_batch: int | None = None):
        self.background_safe = background_safe
        self.go = threading.Event()
        self.threads: list[threading.Thread] = []
        self.waited: list[bool] = []
        self.fail_on_batch = fail_on_batch

    def signature(self) -> str:
        return "recording:v1"

    def score(self, *, prediction, references):
        words = set(" ".join(prediction).split())
        ref = " ".join(references[0]).split() if references else []
        return {"recording": sum(w in words for w in ref) / len(ref)} if ref else {}

    def score_many(self, items):
        self.threads.append(threading.current_thread())
        self.waited.append(self.go.wait(5))
        if self.fail_on_batch == len(self.threads):
            raise RuntimeError("metric failed on this batch")
        return super().score_many(items)


def test_a_background_safe_scorer_computes_from_the_call_on_another_thread():
    """`score` returns before the metric's first batch is let go: the batches run on the
    worker, while this thread goes on. The rows are those of scoring in place."""
    metric = Recording(background_safe=True)
    backend = LocalBackend(score_chunk=3)
    try:
        rows = backend.score(Scorer([metric], []), PAIRS)
        metric.go.set()   # only now: scoring in this thread would have waited 5 s first
        got = list(rows)
    finally:
        backend.close()
    assert metric.waited == [True, True, True]   # 7 pairs in chunks of 3
    assert all(t is not threading.main_thread() for t in metric.threads)
    expected = []
    for start in range(0, len(PAIRS), 3):
        plain = Recording(background_safe=False)
        plain.go.set()
        expected += Scorer([plain], []).score(PAIRS[start:start + 3])
    assert got == expected


def test_other_scorers_run_in_the_callers_thread_as_rows_are_read():
    metric = Recording(background_safe=False)
    metric.go.set()
    backend = LocalBackend(score_chunk=3)
    rows = backend.score(Scorer([metric], []), PAIRS)
    assert metric.threads == []   # nothing until the rows are read
    assert len(list(rows)) == len(PAIRS)
    assert metric.threads == [threading.current_thread()] * 3
    backend.close()


def test_a_failing_background_batch_raises_where_its_rows_are_read():
    metric = Recording(background_safe=True, fail_on_batch=2)
    metric.go.set()
    backend = LocalBackend(score_chunk=3)
    rows = backend.score(Scorer([metric], []), PAIRS)
    with pytest.raises(RuntimeError, match="metric failed on this batch"):
        list(rows)
    backend.close()


def _config(folder: Path) -> Path:
    samples = Path(runner.__file__).parent / "data" / "samples" / "abstractive.jsonl"
    (folder / "sums.jsonl").write_text(samples.read_text(encoding="utf-8"), encoding="utf-8")
    config = folder / "bg.yaml"
    config.write_text(
        "name: bg\ndataset: {source: bundled}\n"
        "summarizers: [{type: lead, k: 2}, {type: precomputed, name: sys, path: sums.jsonl}]\n"
        "metrics: {rouge: {types: [rouge1, rougeLsum]}}\n"
        "checks: {numbers: null, entities: null, support: null}\n"
        "bootstrap: {n: 100}\nreport: {formats: [md, csv]}\n")
    return config


@pytest.mark.parametrize("window", [3, 10_000])
def test_a_run_scored_in_the_background_writes_the_same_folder(tmp_path, monkeypatch, window):
    """ROUGE scored on the worker, window after window (17 examples in windows of 3, or
    one), against ROUGE scored in place: every file of the run folder is the same, byte
    for byte, but the times a clock gives (results.json, summaries.jsonl, report.md)."""
    monkeypatch.setattr(runner, "_WINDOW", window)
    config = load_config(_config(tmp_path))
    folders = {}
    for background in (True, False):
        with monkeypatch.context() as patch:
            patch.setattr(RougeMetric, "background_safe", property(lambda self: background))
            folders[background] = runner.run(
                config, out_dir=tmp_path / f"runs-{background}",
                cache_dir=tmp_path / f"cache-{background}", show_progress=False).run_dir
    _assert_same_folder(folders[True], folders[False])


def _assert_same_folder(one: Path, other: Path, *, also_drop: tuple = ()) -> None:
    """Every file of the two run folders the same, byte for byte, but the times a clock
    gives (results.json, summaries.jsonl, report.md) and results.json's per-summarizer
    keys in `also_drop`."""
    names = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(other) for p in other.rglob("*") if p.is_file())
    assert any(name.name == "scores.jsonl" for name in names)
    for name in names:
        ours, theirs = ((folder / name).read_bytes() for folder in (one, other))
        if name.name == "results.json":
            ours, theirs = (_timeless(json.loads(text), also_drop) for text in (ours, theirs))
        elif name.name == "summaries.jsonl":
            ours, theirs = ([_timeless(json.loads(x)) for x in text.splitlines()]
                            for text in (ours, theirs))
        elif name.name == "report.md":
            continue   # generation times in its table; its scores are scores.csv's
        assert ours == theirs, name


def _timeless(row: dict, also_drop: tuple = ()) -> dict:
    """A results.json or summaries.jsonl row without what the clock gives, nor the
    per-summarizer keys in `also_drop`."""
    for model in row.get("summarizers", ()):
        for key in ("seconds_per_example", *also_drop):
            model.pop(key)
    return {k: v for k, v in row.items() if k not in ("started", "finished", "seconds")}


def test_a_background_failure_stops_the_run_without_results(tmp_path, monkeypatch):
    """A failure in the second window's background scoring stops the run with no results;
    run again, the folder is the one an uninterrupted run writes."""
    monkeypatch.setattr(runner, "_WINDOW", 3)
    monkeypatch.setattr(RougeMetric, "background_safe", property(lambda self: True))
    calls = []
    original = RougeMetric.score_many

    def failing(self, items):
        calls.append(threading.current_thread())
        if len(calls) == 2:
            raise RuntimeError("rouge failed on the second window")
        return original(self, items)

    config = load_config(_config(tmp_path))
    with monkeypatch.context() as patch:
        patch.setattr(RougeMetric, "score_many", failing)
        with pytest.raises(RuntimeError, match="second window"):
            runner.run(config, out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                       show_progress=False)
    assert threading.main_thread() not in calls
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert not (run_dir / "results.json").exists()
    assert not (run_dir / "scores.jsonl").exists()
    resumed = runner.run(config, out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                         show_progress=False).run_dir
    whole = runner.run(config, out_dir=tmp_path / "whole", cache_dir=tmp_path / "fresh",
                       show_progress=False).run_dir
    assert resumed == run_dir
    # n_generated: the resumed run generates only what the stop left uncached
    _assert_same_folder(resumed, whole, also_drop=("n_generated",))


@pytest.mark.parametrize("background", [True, False])
def test_a_window_is_written_after_the_next_is_generated_only_when_scored_ahead(
        tmp_path, monkeypatch, background):
    """Scored ahead, window k's rows are written after window k+1's generation (which they
    overlap); scored as read (checks, Ray), at once, as before: no second window held."""
    monkeypatch.setattr(runner, "_WINDOW", 6)   # 17 examples: windows of 6, 6 and 5
    monkeypatch.setattr(RougeMetric, "background_safe", property(lambda self: background))
    events = []
    generate, score = runner._generate, runner._score

    def generating(summarizer, spec, examples, *args):
        events.append(("generate", summarizer.label, examples[0].id))
        return generate(summarizer, spec, examples, *args)

    def scoring(files, window, *args):
        events.append(("score", window[1][0][0].id))
        return score(files, window, *args)

    monkeypatch.setattr(runner, "_generate", generating)
    monkeypatch.setattr(runner, "_score", scoring)
    runner.run(load_config(_config(tmp_path)), out_dir=tmp_path / "runs",
               cache_dir=tmp_path / "cache", show_progress=False)
    firsts = [e[-1] for e in events if e[0] == "score"]
    gen = [("generate", label, first) for first in firsts for label in ("lead", "sys")]
    if background:
        expected = gen[:4] + [("score", firsts[0])] + gen[4:] + [("score", firsts[1]),
                                                                  ("score", firsts[2])]
    else:
        expected = [e for first, pair in zip(firsts, zip(gen[::2], gen[1::2]))
                    for e in (*pair, ("score", first))]
    assert len(firsts) == 3 and events == expected
