"""The plugin registries: one entry per type, from which config validation, building and
`summcheck list` derive; adding a type is one file (here a test-local module)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from summcheck import extras
from summcheck.consistency.registry import CHECKS
from summcheck.data.registry import LOADERS
from summcheck.errors import ConfigError
from summcheck.metrics.registry import METRICS
from summcheck.registry import Registry, Spec
from summcheck.summarizers.registry import SUMMARIZERS

SRC = Path(__file__).resolve().parents[1] / "src"
ALL = (SUMMARIZERS, METRICS, CHECKS, LOADERS)

# A toy summarizer and a toy check, each registered by one decorated spec class: all a
# new type needs besides its own code.
TOY_PLUGINS = '''
from typing import Literal

from summcheck.consistency.base import CheckResult, Finding, Span
from summcheck.consistency.registry import CHECKS
from summcheck.registry import Spec
from summcheck.summarizers.base import fingerprint_of
from summcheck.summarizers.registry import SUMMARIZERS, _SummarizerBase
from summcheck.text import split_sentences
from summcheck.types import Summary


@SUMMARIZERS.register("toy_plugins:build_last", "the last sentence of the story")
class LastSpec(_SummarizerBase):
    type: Literal["last"]


@CHECKS.register("toy_plugins:build_short", "every bullet is short", name="short")
class ShortSpec(Spec):
    max_chars: int = 80


class Last:
    reads_example_id = False

    def __init__(self, spec):
        self.spec, self.label = spec, spec.label

    def fingerprint(self):
        return fingerprint_of("last", {})

    def summarize(self, examples):
        return [Summary(e.id, (split_sentences(e.story)[-1],)) for e in examples]


class ShortCheck:
    name = "short"

    def __init__(self, max_chars):
        self.max_chars = max_chars

    def signature(self):
        return f"short|max_chars={self.max_chars}"

    def check(self, *, source, summary, reference=None):
        long = [i for i, b in enumerate(summary) if len(b) > self.max_chars]
        findings = tuple(Finding("short", "long", i, Span(summary[i], 0, len(summary[i])))
                         for i in long)
        return CheckResult({"short_share": 1 - len(long) / max(1, len(summary))}, findings)


def build_last(spec, *, max_bullets):
    return Last(spec)


def build_short(spec):
    return ShortCheck(spec.max_chars)
'''

RUN_TOY = '''
import json, sys
from pathlib import Path

import toy_plugins  # registers before summcheck.config builds the schema
from summcheck import extras
from summcheck.config import load_config
from summcheck.errors import ConfigError
from summcheck.runner import run

folder = Path(sys.argv[1])
out = {"parts": extras.PARTS["summarizers"], "checks": extras.PARTS["checks"]}
(folder / "typo.yaml").write_text("name: t\\nsummarizers: [{type: lsat}]\\n")
try:
    load_config(folder / "typo.yaml")
except ConfigError as err:
    out["typo"] = str(err)
out["hash_off"] = load_config(folder / "off.yaml").spec_hash()
result = run(load_config(folder / "toy.yaml"), out_dir=folder / "runs",
             cache_dir=folder / "cache", show_progress=False)
out["run_dir"] = str(result.run_dir)
try:
    toy_plugins.SUMMARIZERS.register("toy_plugins:build_last", "late")(toy_plugins.LastSpec)
except RuntimeError as err:
    out["late"] = str(err)
print(json.dumps(out))
'''


def test_a_toy_summarizer_and_check_registered_in_one_file_run_end_to_end(tmp_path):
    """Validation (with did-you-mean), spec_hash, building, the run and `list` pick up a
    type from its registration alone; a registration after the schema is built fails."""
    (tmp_path / "toy_plugins.py").write_text(TOY_PLUGINS)
    (tmp_path / "run_toy.py").write_text(RUN_TOY)
    off = "name: t\nlimit: 2\nsummarizers: [{type: lead}]\nchecks: {support: null}\n"
    (tmp_path / "off.yaml").write_text(off)
    (tmp_path / "toy.yaml").write_text(
        "name: toy\nlimit: 2\nsummarizers: [{type: last}]\nmetrics: {rouge: null}\n"
        "checks: {entities: null, support: null, short: {max_chars: 60}}\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(SRC)])}
    done = subprocess.run([sys.executable, str(tmp_path / "run_toy.py"), str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])

    assert out["parts"]["last"] is None and "short" in out["checks"]
    assert "unknown value 'lsat'. Did you mean 'last'?" in out["typo"]
    assert "register before importing summcheck.config" in out["late"]
    # a new check that is off leaves every config's hash as it was
    from summcheck.config import RunSpec

    assert out["hash_off"] == RunSpec.model_validate(
        {"name": "t", "limit": 2, "summarizers": [{"type": "lead"}],
         "checks": {"support": None}}).spec_hash()

    run_dir = Path(out["run_dir"])
    rows = [json.loads(line) for line in (run_dir / "scores.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and {r["summarizer"] for r in rows} == {"last"}
    assert all(set(r["scores"]) >= {"short_share", "numbers_precision"} for r in rows)
    assert all("rouge1_f" not in r["scores"] for r in rows)
    results = json.loads((run_dir / "results.json").read_text())
    assert results["signatures"]["short"] == "short|max_chars=60"
    summaries = [json.loads(line) for line in (run_dir / "summaries.jsonl").read_text().splitlines()]
    assert all(len(s["bullets"]) == 1 for s in summaries)


def test_lookup_names_the_closest_and_every_valid_name():
    with pytest.raises(ConfigError) as info:
        SUMMARIZERS.get("textrnak")
    message = str(info.value)
    assert "unknown summarizer type 'textrnak'. Did you mean 'textrank'?" in message
    assert "Choose one of: lead, textrank, oracle, hf-seq2seq" in message
    with pytest.raises(ConfigError, match="unknown check 'entity'. Did you mean 'entities'"):
        CHECKS.load("entity")


def test_a_test_local_registry_builds_lazily_and_refuses_duplicates():
    local = Registry("widget")

    @local.register("json:dumps", "a widget", name="w")
    class WidgetSpec(Spec):
        size: int = 1

    assert local.names() == ["w"] and local.get("w").spec is WidgetSpec
    assert local.load("w")({"a": 1}) == '{"a": 1}'    # imported when built
    assert local.load("w", "check") is None            # no such hook
    with pytest.raises(ValueError, match="registered twice"):
        local.register("json:loads", "again", name="w")(WidgetSpec)
    section = local.section("WidgetsSpec", "widgets", module=__name__)
    assert section().w is None and section(w={"size": 3}).w.size == 3
    with pytest.raises(RuntimeError, match="register before"):
        local.register("json:loads", "late", name="v")(WidgetSpec)


def test_every_entry_names_a_known_extra_and_a_callable_factory():
    for registry in ALL:
        for entry in registry:
            assert entry.description and "\n" not in entry.description, entry.name
            for _, extra in entry.parts():
                assert extra is None or extra in extras.MODULES, (entry.name, extra)
            for target in (entry.factory, *entry.hooks.values()):
                module, attr = target.split(":")
                assert callable(getattr(__import__(module, fromlist=[attr]), attr)), target


def test_importing_config_cli_and_extras_loads_no_heavy_library():
    code = textwrap.dedent("""
        import sys
        import summcheck.cli, summcheck.config, summcheck.data, summcheck.scoring
        from summcheck import extras
        extras.PARTS
        heavy = [m for m in ("torch", "transformers", "spacy", "datasets", "pyarrow")
                 if m in sys.modules]
        print(heavy)
    """)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
