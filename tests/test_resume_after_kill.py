"""A run killed with SIGKILL mid-generation resumes without regenerating finished summaries."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")


def cached_count(cache_dir) -> int:
    db = cache_dir / "generations.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM summaries").fetchone()[0]
    except sqlite3.OperationalError:  # table not created yet
        return 0


def run_cmd(config, tmp_path):
    env = {**os.environ, "SUMMCHECK_CACHE_DIR": str(tmp_path / "cache")}
    return [sys.executable, "-m", "summcheck", "run", str(config), "--out",
            str(tmp_path / "runs"), "--no-progress"], env


def test_sigkill_mid_generation_then_resume(tmp_path, tiny_causal_dir):
    config = tmp_path / "slow.yaml"
    config.write_text(
        "name: slow\nlimit: 12\nchecks: {entities: null}\nsummarizers:\n"
        f"  - {{type: hf-causal, model: {tiny_causal_dir}, batch_size: 1, max_input_tokens: 200,\n"
        "     generation: {max_new_tokens: 48, min_new_tokens: 48, do_sample: false}}\n")
    cmd, env = run_cmd(config, tmp_path)
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while cached_count(tmp_path / "cache") < 2 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished_before_kill = cached_count(tmp_path / "cache")
    assert proc.returncode == -signal.SIGKILL
    assert 2 <= finished_before_kill < 12, "the kill must land mid-generation"
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert not (run_dir / "results.json").exists()  # incomplete folder is not marked done

    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads((run_dir / "results.json").read_text())
    model = results["summarizers"][0]
    assert model["n_generated"] == 12 - finished_before_kill
    assert model["n_examples"] == 12 and model["n_failed"] == 0
    assert not (run_dir / ".lock").exists()

    fresh_env = {**env, "SUMMCHECK_CACHE_DIR": str(tmp_path / "fresh-cache")}
    fresh_cmd = cmd[:-2] + [str(tmp_path / "fresh-runs"), "--no-progress"]
    subprocess.run(fresh_cmd, env=fresh_env, cwd=tmp_path, check=True, capture_output=True)
    (fresh_dir,) = (tmp_path / "fresh-runs").iterdir()
    uninterrupted = json.loads((fresh_dir / "results.json").read_text())
    assert uninterrupted["summarizers"][0]["metrics"] == model["metrics"]
    summaries = lambda d: [(r["example_id"], r["bullets"]) for r in map(  # noqa: E731
        json.loads, (d / "summaries.jsonl").read_text().splitlines())]
    assert summaries(fresh_dir) == summaries(run_dir)
