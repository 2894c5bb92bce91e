"""`summcheck run --backend ray` on a local Ray instance with 2 CPUs (2 workers): the same
run folder as the local backend, resume through the same cache, failures recorded.

One Ray instance for the module (started by the fixture; the runner reuses it). Skipped
without the ray extra, except the missing-extra message.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from summcheck import runner
from summcheck.cli import app
from summcheck.config import load_config
from summcheck.data import load_examples
from summcheck.errors import SummcheckError
from summcheck.summarizers.base import build_summarizer
from summcheck.types import Summary

DRIVER_PID = os.getpid()   # pickled by value into the workers: "am I a worker?"
GENERATION = "{max_new_tokens: 12, min_new_tokens: 4, do_sample: false}"


def config_text(t5_dir, *, limit: int) -> str:
    return f"""
name: ray-parity
dataset: {{source: bundled}}
limit: {limit}
summarizers:
  - {{type: lead, name: lead-3}}
  - {{type: textrank}}
  - {{type: hf-seq2seq, name: tiny-t5, model: {t5_dir}, prefix: "summarize: ", batch_size: 3,
      generation: {GENERATION}}}
checks: {{numbers: {{}}, entities: {{}}}}
bootstrap: {{n: 200, seed: 1}}
report: {{enabled: false}}
ray: {{concurrency: 2, scoring_batch_size: 7, scoring_concurrency: 2}}
"""


@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray")
    # "local": a new instance even when another Ray runs on this machine (ray start)
    ray.init(address="local", num_cpus=2, include_dashboard=False,
             logging_level=logging.WARNING)
    # the fake summarizers below are defined here: ship them by value, not by module name
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ray.shutdown()


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def without_timings(results: dict) -> list[dict]:
    drop = {"seconds_per_example", "n_generated"}
    return [{k: v for k, v in m.items() if k not in drop} for m in results["summarizers"]]


def test_ray_run_equals_local_run_and_resumes_from_the_cache(tmp_path, monkeypatch,
                                                             ray_instance, tiny_t5_dir):
    pytest.importorskip("spacy")
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "parity.yaml"
    config.write_text(config_text(tiny_t5_dir, limit=10))
    spec = load_config(config)
    # the local run in its own process: its entity check forks NER workers, and a fork of
    # a process connected to Ray (gRPC threads) is not safe
    local = subprocess.run([sys.executable, "-m", "summcheck", "run", str(config), "--out",
                            "local", "--cache-dir", "local-cache", "--no-progress"],
                           capture_output=True, text=True)
    assert local.returncode == 0, local.stderr
    (local_dir,) = (tmp_path / "local").iterdir()
    local_results = json.loads((local_dir / "results.json").read_text())

    # Ray resumes from the local run's generations minus the last 5 stories' (not its
    # scores: Ray scores everything), through the CLI
    (tmp_path / "rc").mkdir()
    shutil.copy(tmp_path / "local-cache" / "generations.sqlite", tmp_path / "rc")
    last_five = [ex.content_hash() for ex in load_examples(spec.dataset, limit=10)[5:]]
    with sqlite3.connect(tmp_path / "rc" / "generations.sqlite") as db:
        db.executemany("DELETE FROM summaries WHERE content_hash=?", [(h,) for h in last_five])
    result = CliRunner().invoke(app, ["run", str(config), "--backend", "ray", "--no-progress",
                                      "--out", "ray", "--cache-dir", "rc"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    ray_dir = tmp_path / "ray" / local_dir.name
    ray_results = json.loads((ray_dir / "results.json").read_text())
    assert [m["n_generated"] for m in ray_results["summarizers"]] == [5, 5, 5]

    for name in ("scores.jsonl", "checks.jsonl", "examples.jsonl"):
        assert read_jsonl(ray_dir / name) == read_jsonl(local_dir / name), name
    untimed = [{**r, "seconds": None} for r in read_jsonl(ray_dir / "summaries.jsonl")]
    local_rows = read_jsonl(local_dir / "summaries.jsonl")
    assert untimed == [{**r, "seconds": None} for r in local_rows]
    assert without_timings(ray_results) == without_timings(local_results)
    assert ray_results["signatures"] == local_results["signatures"]
    t5 = ray_results["summarizers"][2]
    assert t5["n_failed"] == 0 and t5["n_bullets"] > 0   # the model did write on the workers


# ---------------------------------------------------------------- failures on the workers
class Flaky:
    """lead-3 that raises on one story and kills its worker process on another."""

    def __init__(self, inner, *, raise_on: str, crash_on: str):
        self.inner, self.raise_on, self.crash_on = inner, raise_on, crash_on
        self.label, self.spec = inner.label, inner.spec

    def fingerprint(self) -> str:
        return self.inner.fingerprint()

    def summarize(self, examples) -> list[Summary]:
        ids = {ex.id for ex in examples}
        if self.crash_on in ids and os.getpid() != DRIVER_PID:
            os._exit(3)    # a segfault or the OOM killer, as far as Ray can tell
        if self.raise_on in ids:
            raise ValueError("cannot summarize this one")
        return self.inner.summarize(examples)


def test_failing_examples_are_recorded_and_the_run_finishes(tmp_path, monkeypatch,
                                                             ray_instance):
    config = tmp_path / "flaky.yaml"
    config.write_text("name: flaky\nlimit: 4\nsummarizers: [{type: lead, name: lead-3}]\n"
                      "checks: {numbers: {}, entities: null}\nreport: {enabled: false}\n"
                      "ray: {max_retries: 1, concurrency: 1}\n")
    spec = load_config(config)
    ids = [ex.id for ex in load_examples(spec.dataset, limit=4)]

    def flaky_build(summarizer_spec, *, max_bullets):
        inner = build_summarizer(summarizer_spec, max_bullets=max_bullets)
        return Flaky(inner, raise_on=ids[1], crash_on=ids[2])

    monkeypatch.setattr(runner, "build_summarizer", flaky_build)
    result = runner.run(spec, out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                        show_progress=False, backend="ray")
    (model,) = result.results["summarizers"]
    assert model["n_examples"] == 4 and model["n_failed"] == 2
    errors = {r["example_id"]: r["error"] for r in read_jsonl(result.run_dir / "summaries.jsonl")}
    assert errors[ids[0]] is None and errors[ids[3]] is None
    assert errors[ids[1]] == "ValueError: cannot summarize this one"
    assert "process died on this example on every retry (1)" in errors[ids[2]]
    # failures are not cached: the next run tries those two again, and only those
    again = runner.run(spec, out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                       show_progress=False, backend="ray")
    assert again.results["summarizers"][0]["n_generated"] == 2


@pytest.mark.parametrize("settings, actors", [("concurrency: 3", 2), ("num_cpus: 1.5", 1)])
def test_more_actors_than_fit_in_the_cluster_are_not_started(tmp_path, caplog, ray_instance,
                                                             settings, actors):
    """Actors beyond the cluster's CPUs never start, and the batches queued at them
    waited forever: `concurrency: 3` (or `num_cpus: 1.5` with 2 actors) on 2 CPUs hung
    the run. It runs on the actors that fit, and says so."""
    config = tmp_path / "fit.yaml"
    config.write_text("name: fit\nlimit: 6\nsummarizers: [{type: lead, name: lead-3}]\n"
                      "checks: {numbers: {}, entities: null, support: null}\n"
                      f"report: {{enabled: false}}\nray: {{{settings}, batch_size: 1}}\n")
    with caplog.at_level(logging.WARNING, logger="summcheck"):
        result = runner.run(load_config(config), out_dir=tmp_path / "runs",
                            cache_dir=tmp_path / "cache", show_progress=False, backend="ray")
    assert result.results["summarizers"][0]["n_generated"] == 6
    assert f"fit in the Ray cluster (2 CPUs, 0 GPUs): using {actors}" in caplog.text


def test_a_model_that_cannot_load_on_the_workers_stops_the_run(tmp_path, ray_instance):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    config = tmp_path / "c.yaml"
    config.write_text(f"name: c\nlimit: 2\nchecks: {{entities: null}}\nreport: {{enabled: false}}\n"
                      f"summarizers:\n  - {{type: hf-seq2seq, model: {broken}}}\n")
    pytest.importorskip("transformers")
    result = CliRunner().invoke(app, ["run", str(config), "--backend", "ray", "--no-progress",
                                      "--out", str(tmp_path / "runs"),
                                      "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 2 and "cannot load model" in result.output


class BrokenOnWorkers:
    """lead-3 whose model cannot load on the workers, or whose fingerprint differs there
    (another library version on a node): both stop the run with the reason."""

    def __init__(self, inner, fault: str):
        self.inner, self.fault = inner, fault
        self.label, self.spec = inner.label, inner.spec

    def fingerprint(self) -> str:
        on_worker = os.getpid() != DRIVER_PID
        return self.inner.fingerprint() + ("-other" if on_worker and self.fault == "fp" else "")

    def load(self) -> None:
        if self.fault == "load" and os.getpid() != DRIVER_PID:
            raise SummcheckError("cannot load model x: no such file on this node")

    def summarize(self, examples) -> list[Summary]:
        return self.inner.summarize(examples)


@pytest.mark.parametrize("fault, message", [
    ("load", "cannot load model x: no such file on this node"),
    ("fp", "a Ray worker's summarizer 'lead' (fingerprint) differs from this machine's"),
])
def test_a_worker_that_cannot_build_the_summarizer_stops_the_run(tmp_path, monkeypatch,
                                                                 ray_instance, fault, message):
    config = tmp_path / "c.yaml"
    config.write_text("name: c\nlimit: 2\nsummarizers: [{type: lead}]\nchecks: {entities: null}\n"
                      "report: {enabled: false}\nray: {concurrency: 1}\n")
    monkeypatch.setattr(runner, "build_summarizer", lambda s, *, max_bullets: BrokenOnWorkers(
        build_summarizer(s, max_bullets=max_bullets), fault))
    result = CliRunner().invoke(app, ["run", str(config), "--backend", "ray", "--no-progress",
                                      "--out", str(tmp_path / "runs"),
                                      "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 2 and message in result.output, result.output


# ---------------------------------------------------------------- without Ray
def test_backend_ray_without_ray_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)   # as if not installed
    config = tmp_path / "c.yaml"
    config.write_text("name: c\nsummarizers: [{type: lead}]\n")
    result = CliRunner().invoke(app, ["run", str(config), "--backend", "ray", "--no-progress",
                                      "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert 'pip install "summcheck[ray]"' in result.output
    assert not (tmp_path / "runs").exists()


def test_unknown_backend_and_address_without_ray_are_refused(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("name: c\nsummarizers: [{type: lead}]\n")
    for extra in (["--backend", "spark"], ["--address", "head:6379"]):
        result = CliRunner().invoke(app, ["run", str(config), "--no-progress", *extra])
        assert result.exit_code == 2, result.output


def test_an_address_nothing_answers_on_fails_fast_naming_it(tmp_path, monkeypatch):
    """ray.init waited without end for an unreachable cluster (over ten minutes in a run)."""
    pytest.importorskip("ray")
    import socket
    import time

    from summcheck.backends import ray_backend

    with socket.socket() as probe:            # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(SummcheckError, match=f"cannot join the Ray cluster at 127.0.0.1:{port}"):
        ray_backend._check_reachable(f"127.0.0.1:{port}", timeout=2)
    assert time.monotonic() - start < 10
    ray_backend._check_reachable("auto")      # left to Ray


def test_cannot_join_says_who_set_the_auth_mode(monkeypatch):
    """The message read "RAY_AUTH_MODE must be token or unset (now: token)" to a user who
    never set it: summcheck sets it on finding a token."""
    from summcheck.backends import ray_backend

    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    monkeypatch.setattr(ray_backend, "_TOKEN_MODE_SET_HERE", [])
    assert ray_backend._cannot_join("h:1", OSError("no")).endswith("(now: token).")
    monkeypatch.setattr(ray_backend, "_TOKEN_MODE_SET_HERE", [True])
    assert ray_backend._cannot_join("h:1", OSError("no")).endswith(
        "(now: token, set by summcheck: a token was found).")
