"""docs/tutorial.md works as written: every bash block runs, in order, in a fresh folder
(with the repository's examples/ beside it), and the gate says what the page says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial.md"
SKIP = "<!-- tutorial-test: skip"


def blocks() -> list[str]:
    """The page's bash blocks in order, without those marked as skipped (setup)."""
    text = TUTORIAL.read_text()
    found = re.finditer(r"(<!--[^\n]*-->\n)?```bash\n(.*?)```", text, re.S)
    return [m.group(2) for m in found if not (m.group(1) or "").startswith(SKIP)]


@pytest.mark.slow
def test_every_command_of_the_tutorial_runs(tmp_path):
    (tmp_path / "examples").symlink_to(REPO / "examples")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "SUMMCHECK_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    outputs = []
    for block in blocks():
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{block}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        outputs.append(done.stdout)
    assert len(outputs) == 7
    gate = outputs[-1]
    assert gate.count(": PASS") == 1 and "REGRESSED my-model" in gate
    assert "the gate failed, exit code 1" in gate
    assert "REGRESSED lead-2" not in gate and "REGRESSED my-checkpoint" not in gate
    compare = outputs[-2]
    assert "A better" in compare
