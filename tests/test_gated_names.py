"""`regress.max_drop` names metrics the config's own metrics and checks give: a misspelt
one ("rouge2f") passed `summcheck validate`, the run only warned after all its work, and
`summcheck regress` refused it. Each built-in metric and check spec says its names
(`Spec.metric_names`), checked here against what the built plugins really give."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summcheck.config import RegressSpec, RunSpec, gated_names, load_config
from summcheck.errors import ConfigError
from summcheck.metric_kinds import direction
from summcheck.scoring import build_checks, build_metrics, score_batch
from summcheck.types import Example, Summary

STORY = ("The mayor of Springfield, Anna Lee, opened a $5 million bridge on Monday. "
         "About 3,000 people came. Lee said the bridge would cut travel times by half.")
EXAMPLES = [Example("a", STORY, ("Anna Lee opened a $5 million bridge.",)),
            Example("b", STORY, ())]
SUMMARIES = [Summary("a", ("Anna Lee opened a bridge that cost $5 million on Monday.",)),
             Summary("b", ("Mayor Bob Smith opened a $7 million bridge.",))]

SECTIONS = [
    {},                                                             # the defaults
    {"metrics": {"rouge": {"types": ["rouge2", "rougeLsum"]}, "coverage": {}},
     "checks": {"numbers": None, "entities": None, "support": {"method": "lexical"}}},
    {"checks": {"support": {"method": "auto", "threshold": 0.4}, "relations": {}}},
    {"metrics": {"rouge": None}, "checks": {"numbers": None, "entities": None,
                                           "support": None}},
]


@pytest.mark.parametrize("sections", SECTIONS)
def test_the_declared_names_are_the_names_a_run_gives(sections):
    spec = RunSpec(name="t", summarizers=[{"type": "lead"}], **sections)
    given = {name for values, _ in score_batch(EXAMPLES, SUMMARIES, build_metrics(spec),
                                               build_checks(spec)) for name in values}
    assert gated_names(spec.metrics, spec.checks) == given


def _config(tmp_path, name: str, sections: str = "") -> str:
    path = tmp_path / "c.yaml"
    path.write_text(f"name: t\n{sections}summarizers:\n  - {{type: lead}}\nregress:\n"
                    f"  max_drop:\n    {name!r}: 0.01\n")
    return str(path)


DEFAULT_NAMES = sorted(gated_names(RunSpec(name="t", summarizers=[{"type": "lead"}]).metrics,
                                   RunSpec(name="t", summarizers=[{"type": "lead"}]).checks))


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.sampled_from(DEFAULT_NAMES + ["coverage_mean", "relations_score"]),
                 st.sampled_from(DEFAULT_NAMES).flatmap(
                     lambda n: st.integers(0, len(n) - 1).map(lambda i: n[:i] + n[i + 1:])),
                 st.text("abcdefghijklmnopqrstuvwxyz_12", min_size=1, max_size=12)))
def test_validate_refuses_a_gated_name_the_run_cannot_give(tmp_path_factory, name):
    """A name the default config's metrics and checks give (a rate) loads; any other
    (a typo, a metric that is off, a count with no better side) is refused on load,
    naming the key and its line."""
    tmp_path = tmp_path_factory.mktemp("c")
    ok = (name in DEFAULT_NAMES or name in RegressSpec().max_drop) and direction(name) != 0
    if ok:
        load_config(_config(tmp_path, name))
        return
    with pytest.raises(ConfigError) as err:
        load_config(_config(tmp_path, name))
    assert f"line 6, regress.max_drop.{name}: " in str(err.value)


def test_the_refusal_says_why():
    with pytest.raises(ValueError, match=r"'rouge2f': .*Did you mean 'rouge2_f'\?"):
        RunSpec(name="t", summarizers=[{"type": "lead"}],
                regress={"max_drop": {"rouge2f": 0.01}})
    with pytest.raises(ValueError, match=r"metrics.coverage gives it by default, and is off"):
        RunSpec(name="t", summarizers=[{"type": "lead"}],
                regress={"max_drop": {"coverage_mean": 0.01}})
    with pytest.raises(ValueError, match=r"metrics.rouge gives it by default, and is set "
                                         "otherwise"):
        RunSpec(name="t", summarizers=[{"type": "lead"}], metrics={"rouge": {"types": ["rouge1"]}},
                regress={"max_drop": {"rougeL_f": 0.01}})
    with pytest.raises(ValueError, match="a count with no better direction"):
        RunSpec(name="t", summarizers=[{"type": "lead"}],
                regress={"max_drop": {"numbers_count": 0.01}})
    # the default gate's names stay allowed with their check off: regress skips them
    RunSpec(name="t", summarizers=[{"type": "lead"}], checks={"numbers": None,
            "entities": None, "support": None}, regress={"max_drop": {"consistency": 0.01}})
