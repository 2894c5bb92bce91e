"""Real `python -m summcheck run` processes on 200 generated stories (lead and TextRank,
number and entity checks: about 1 s of generation, then several seconds of scoring):

- SIGKILL in the middle of scoring, then the same command again: no summary is generated
  again, the results equal an uninterrupted run, and the lock left by the killed process
  is taken over (and removed at the end).
- A second run on a folder that a running process is writing is refused (exit 2), and the
  first run finishes normally.

The mid-generation kill is in test_resume_after_kill.py.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("datasets")
pytest.importorskip("spacy")

N_STORIES = 200
CONFIG = """name: scoring-kill
dataset: {source: hf, path: stories.jsonl}
summarizers: [{type: lead}, {type: textrank}]
report: {enabled: false}
"""
NAMES = ["Maria Lopez", "John Carter", "Aisha Khan", "Peter Novak", "Li Wei", "Sarah Thompson",
         "Ahmed Hassan", "Emma Fischer", "Carlos Mendes", "Yuki Tanaka"]
PLACES = ["Boston", "Paris", "Nairobi", "Toronto", "Madrid", "Osaka", "Denver", "Lyon", "Cairo"]
GROUPS = ["the city council", "Acme Corp", "the Red Cross", "the World Bank", "Northwind Airlines"]
EVENTS = ["a fire broke out", "a storm hit", "a new bridge opened", "a strike began"]


def story(rng: random.Random, i: int) -> dict:
    name, group = rng.choice(NAMES), rng.choice(GROUPS)
    sentences = [
        f"In {rng.choice(PLACES)}, {rng.choice(EVENTS)} on Monday, officials said.",
        f"{name} of {group} said {rng.randint(2, 900)} people were affected and "
        f"{rng.randint(1, 60)} were taken to hospital.",
        f"Costs rose {rng.randint(1, 99)}% to ${rng.randint(1, 90)}.{rng.randint(0, 9)} "
        f"million, according to {group}.",
        f"Residents of {rng.choice(PLACES)} were told to stay indoors until Friday.",
        f"{rng.choice(NAMES)} called it the worst event since {rng.randint(1950, 2020)}.",
        f"Work will resume in {rng.randint(2, 12)} weeks, {name} added.",
    ]
    return {"id": f"s{i:03d}", "article": " ".join(sentences),
            "highlights": f"{sentences[1]}\n{sentences[2]}"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scoring-kill")
    rng = random.Random(0)
    (folder / "stories.jsonl").write_text(
        "".join(json.dumps(story(rng, i)) + "\n" for i in range(N_STORIES)))
    (folder / "config.yaml").write_text(CONFIG)
    return folder


def command(workspace: Path, name: str) -> list[str]:
    return [sys.executable, "-m", "summcheck", "run", "config.yaml", "--out",
            str(workspace / name / "runs"), "--cache-dir", str(workspace / name / "cache"),
            "--no-progress"]


def start(workspace: Path, name: str) -> subprocess.Popen:
    return subprocess.Popen(command(workspace, name), cwd=workspace, env=_env(workspace),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run(workspace: Path, name: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(workspace, name), cwd=workspace, env=_env(workspace),
                          capture_output=True, text=True, timeout=300)


def _env(workspace: Path) -> dict:
    return {**os.environ, "HF_DATASETS_CACHE": str(workspace / "hf-datasets")}


def wait_for(condition, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert proc.poll() is None, "the run ended before the awaited moment"
        assert time.time() < deadline, "timed out"
        time.sleep(0.01)


def run_dir_of(workspace: Path, name: str) -> Path:
    (run_dir,) = (workspace / name / "runs").iterdir()
    return run_dir


def lock_holder(runs: Path) -> str | None:
    """The pid written in the lock of the run folder under `runs`, if any yet."""
    for lock in runs.glob("*/.lock"):
        try:
            return (lock.read_text().split() or [None])[0]
        except FileNotFoundError:
            return None
    return None


@pytest.fixture(scope="module")
def uninterrupted(workspace) -> SimpleNamespace:
    """The reference run (fresh folder and cache). While it runs, a second `summcheck run`
    with the same config and --out is started: test_second_run_... checks its refusal."""
    first = start(workspace, "reference")
    runs = workspace / "reference" / "runs"
    wait_for(lambda: lock_holder(runs) == str(first.pid), first)
    second = run(workspace, "reference")
    first_was_running = first.poll() is None
    first.wait(timeout=300)
    return SimpleNamespace(run_dir=run_dir_of(workspace, "reference"), first=first,
                           second=second, first_was_running=first_was_running)


def test_second_run_on_the_same_folder_is_refused(uninterrupted):
    second, first = uninterrupted.second, uninterrupted.first
    assert second.returncode == 2
    assert f"another summcheck run (pid {first.pid}) is writing this run folder" in " ".join(
        second.stderr.split())
    assert uninterrupted.first_was_running
    assert first.returncode == 0
    assert (uninterrupted.run_dir / "results.json").is_file()
    assert not (uninterrupted.run_dir / ".lock").exists()


def _lines_in(runs: Path, name: str) -> int:
    return sum(len(f.read_text().splitlines()) for f in runs.glob(f"*/{name}"))


def _ner_cache_written(workspace: Path, name: str) -> bool:
    return any((workspace / name / "cache" / "checks").glob("entities-*"))


@pytest.mark.parametrize("moment", ["story NER", "summary scoring"])
def test_sigkill_mid_scoring_then_resume_loses_nothing(workspace, uninterrupted, moment):
    name = f"killed-{moment.replace(' ', '-')}"
    proc = start(workspace, name)
    runs = workspace / name / "runs"
    # both summarizers' summaries of the (only) window, on disk before they are scored
    summaries_written = lambda: _lines_in(runs, ".summaries.jsonl.1.partial") == N_STORIES  # noqa: E731
    if moment == "story NER":   # the checks analyse the stories first ...
        wait_for(summaries_written, proc)
        time.sleep(0.3)
    else:                       # ... and save that analysis before checking the summaries
        wait_for(lambda: summaries_written() and _ner_cache_written(workspace, name), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run_dir = run_dir_of(workspace, name)
    assert proc.returncode == -signal.SIGKILL
    assert not (run_dir / "scores.jsonl").exists(), "the kill must land mid-scoring"
    assert not (run_dir / "results.json").exists()
    assert _ner_cache_written(workspace, name) == (moment == "summary scoring")
    assert lock_holder(runs) == str(proc.pid)  # left behind by the kill

    resumed = run(workspace, name)
    assert resumed.returncode == 0, resumed.stderr
    assert not (run_dir / ".lock").exists()
    results = json.loads((run_dir / "results.json").read_text())
    reference = json.loads((uninterrupted.run_dir / "results.json").read_text())
    # every summary was finished before the kill: none is made again
    assert [m["n_generated"] for m in results["summarizers"]] == [0, 0]
    assert [m["n_generated"] for m in reference["summarizers"]] == [N_STORIES, N_STORIES]

    def comparable(res: dict) -> dict:  # without timings and the generated counts
        drop = {"n_generated", "seconds_per_example"}
        return {**{k: v for k, v in res.items() if k not in {"started", "finished"}},
                "summarizers": [{k: v for k, v in m.items() if k not in drop}
                                for m in res["summarizers"]]}

    assert comparable(results) == comparable(reference)
    for file in ("scores.jsonl", "checks.jsonl", "examples.jsonl"):
        assert (run_dir / file).read_text() == (uninterrupted.run_dir / file).read_text(), file

    def summaries(folder: Path) -> list:
        rows = map(json.loads, (folder / "summaries.jsonl").read_text().splitlines())
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]

    assert summaries(run_dir) == summaries(uninterrupted.run_dir)
