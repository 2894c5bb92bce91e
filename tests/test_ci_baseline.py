"""The committed CI baseline (reports/baseline.json) is of the code as it is.

`.ci/run` gates the default benchmark against it, and `regress` refuses a gated metric
whose signature differs in method or settings (a baseline left behind by a rule change
once gated `consistency` against scores made by other rules, and passed). Every check or
metric change that bumps a signature must write the baseline again: `summcheck run --out
DIR` then `summcheck baseline DIR/default-* --out reports/baseline.json`. Library versions
are left out of the comparison: a new numpy or spaCy release installed by a fresh CI
machine is no stale baseline (regress warns on it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summcheck import runner
from summcheck.cli import default_config_path
from summcheck.config import load_config
from summcheck.paired import _same_numbers, method_of

BASELINE = Path(__file__).resolve().parents[1] / "reports" / "baseline.json"
COMPARED = ("rouge", "coverage", "numbers", "entities", "support", "relations", "consistency",
            "aggregation", "bullets")


def test_the_committed_baseline_has_the_signatures_a_default_run_has_now(tmp_path):
    spec = load_config(default_config_path(), limit=2)
    results = runner.run(spec, out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                         show_progress=False).results
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))["signatures"]
    now = results["signatures"]
    if "method=aligned" in baseline.get("support", "") and \
            "method=aligned" not in now.get("support", ""):
        pytest.skip("the MiniLM weights are not installed (the baseline is of a full install)")
    stale = {family: (baseline.get(family), now.get(family)) for family in COMPARED
             if not _same_numbers(family, method_of(baseline.get(family)),
                                  method_of(now.get(family)))}
    assert not stale, ("reports/baseline.json is stale; write it again (see this module's "
                       f"docstring): {stale}")
