"""Every value a config's numeric settings accept works where the run uses it, late:
`validate` passing `bootstrap.seed: -1` let a run generate and score everything and then
fail at aggregation with a traceback."""

from __future__ import annotations

import types
import typing

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

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


# ---------------------------------------------------------------- booleans are no numbers
def _spec_models() -> set[type]:
    """Every spec model a config can reach: RunSpec's sections and every registered type."""
    from summcheck.config import RunSpec
    from summcheck.registry import Spec

    found: set[type] = set()

    def walk(annotation) -> None:
        if isinstance(annotation, type) and issubclass(annotation, Spec):
            if annotation not in found:
                found.add(annotation)
                for field in annotation.model_fields.values():
                    walk(field.annotation)
            return
        for arg in typing.get_args(annotation):
            walk(arg)

    walk(RunSpec)
    return found


def _with_a_boolean(annotation):
    """An input for `annotation` holding a boolean where it takes a number, or None when it
    takes no number."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation in (int, float):
        return True
    if origin is typing.Annotated:
        return _with_a_boolean(args[0])
    if origin is dict:
        inner = _with_a_boolean(args[1])
        return None if inner is None else {"key": inner}
    if origin in (typing.Union, types.UnionType):
        return next((x for x in map(_with_a_boolean, args) if x is not None), None)
    return None


NUMBER_FIELDS = sorted(((model.__name__, name, model, field)
                        for model in _spec_models() for name, field in model.model_fields.items()
                        if _with_a_boolean(field.annotation) is not None),
                       key=lambda row: row[:2])


def test_the_walk_finds_the_number_fields():
    names = {f"{model}.{field}" for model, field, *_ in NUMBER_FIELDS}
    assert {"RunSpec.limit", "BootstrapSpec.n", "BootstrapSpec.seed", "RegressSpec.max_drop",
            "LeadSpec.k", "HFCausalSpec.threads", "HFCausalSpec.seed", "CoverageSpec.threshold",
            "NumbersCheckSpec.tolerance", "BundledDataset.sample"} <= names


@pytest.mark.parametrize("model_name, name, model, field", NUMBER_FIELDS,
                         ids=[f"{m}.{n}" for m, n, *_ in NUMBER_FIELDS])
def test_no_number_field_takes_a_boolean(model_name, name, model, field):
    """Pydantic's lax mode read `limit: true` as 1 and `seed: false` as 0: every number
    field of every spec refuses a boolean (registry.Int, registry.Float)."""
    adapter = TypeAdapter(typing.Annotated[(field.annotation, *field.metadata)]
                          if field.metadata else field.annotation)
    with pytest.raises(ValidationError, match="not (true|false)"):
        adapter.validate_python(_with_a_boolean(field.annotation))


@pytest.mark.parametrize("yaml_value", ["true", "false", "yes", "off"])
@pytest.mark.parametrize("where, line, key", [
    ("limit: {v}\n", 2, "limit"),
    ("bootstrap:\n  n: 2000\n  seed: {v}\n", 4, "bootstrap.seed"),
    ("regress:\n  max_drop:\n    rouge2_f: 0.01\n    rouge1_f: {v}\n", 5,
     "regress.max_drop.rouge1_f"),
    ("ray: {{summarizers: {{lead: {{batch_size: {v}}}}}}}\n", 2,
     "ray.summarizers.lead.batch_size"),
])
def test_a_boolean_number_names_the_line_and_key(tmp_path, yaml_value, where, line, key):
    from summcheck.config import load_config
    from summcheck.errors import ConfigError

    path = tmp_path / "c.yaml"
    path.write_text("name: t\n" + where.format(v=yaml_value)
                    + "summarizers:\n  - {type: lead, k: 3}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"line {line}, {key}: " in str(err.value)
    assert "a number is needed here, not" in str(err.value)
