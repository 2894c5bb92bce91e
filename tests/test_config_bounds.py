"""Every value a config's numeric settings accept works where the run uses it, late:
`validate` passing `bootstrap.seed: -1` let a run generate and score everything and then
fail at aggregation with a traceback."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from summcheck.config import BootstrapSpec, HFCausalSpec
from summcheck.stats import aggregate_matrix

WIDE = st.integers(min_value=-2**80, max_value=2**80)


@settings(max_examples=60, deadline=None)
@given(n=st.one_of(st.integers(-10, 200), st.integers(90_000, 200_000)), seed=WIDE,
       confidence=st.floats(allow_nan=True, allow_infinity=True))
def test_any_accepted_bootstrap_aggregates(n, seed, confidence):
    try:
        boot = BootstrapSpec(n=n, seed=seed, confidence=confidence)
    except ValidationError:
        return
    matrix = np.array([[0.1, 1.0], [0.5, 0.0], [0.9, 1.0]])
    out = aggregate_matrix(matrix, ["a", "b"], n_bootstrap=boot.n, seed=boot.seed,
                           confidence=boot.confidence)
    assert all(np.isfinite([a.low, a.high]).all() for a in out.values())


@settings(max_examples=60, deadline=None)
@given(seed=WIDE)
def test_any_accepted_model_seed_seeds_torch(seed):
    torch = pytest.importorskip("torch")
    try:
        spec = HFCausalSpec(type="hf-causal", model="m", seed=seed)
    except ValidationError:
        return
    torch.manual_seed(spec.seed)
