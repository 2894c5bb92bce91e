"""Warnings go through the logging module (summcheck/log.py): a library call logs them on
its module's logger and prints nothing itself, `logging` settings silence them, the CLI
prints each once on stderr, and results.json records them either way."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summcheck.cli import app
from summcheck.config import load_config
from summcheck.log import silenced
from summcheck.runner import run

pytest.importorskip("datasets")

EMPTY = ("1 example(s) have an empty story (e0): an extractive summary of it is empty and "
         "counts as failed; a model's or a precomputed summary is scored against the blank "
         "story.")   # it said every summary would be empty and fail: a precomputed one is not
FAILED = ("lead: 1 of 2 summaries failed, each scoring 0 on every rate (first: e0: empty "
          "summary); their errors are in summaries.jsonl")


@pytest.fixture()
def config(tmp_path, monkeypatch) -> Path:
    """A run whose data has one empty story: one data warning."""
    monkeypatch.chdir(tmp_path)
    rows = [{"id": "e0", "article": "", "highlights": "x"},
            {"id": "e1", "article": "The council met on Monday. It approved 3 roads.",
             "highlights": "The council approved 3 roads."}]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = tmp_path / "c.yaml"
    path.write_text("name: warned\ndataset: {source: hf, path: d.jsonl}\n"
                    "summarizers: [{type: lead}]\nchecks: {entities: null, support: null}\n"
                    "bootstrap: {n: 100}\nreport: {enabled: false}\n")
    return path


def library_run(config: Path) -> dict:
    return run(load_config(config), out_dir=config.parent / "runs",
               cache_dir=config.parent / "cache", show_progress=False).results


def run_cli(config: Path):
    return CliRunner().invoke(app, ["run", str(config), "--no-progress", "--cache-dir",
                                    str(config.parent / "cache")], catch_exceptions=False)


@pytest.fixture()
def summcheck_at_error():
    logger = logging.getLogger("summcheck")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def test_a_library_run_logs_the_warning_and_prints_nothing(config, caplog, capsys):
    with caplog.at_level(logging.WARNING):
        results = library_run(config)
    (record,) = [r for r in caplog.records if "empty story" in r.getMessage()]
    assert (record.name, record.levelno, record.getMessage()) == (
        "summcheck.runner", logging.WARNING, EMPTY)
    assert results["warnings"] == [EMPTY, FAILED]   # recorded in results.json as before
    assert "empty story" not in capsys.readouterr().err


def test_setting_the_summcheck_logger_to_error_silences_it(config, caplog,
                                                           summcheck_at_error):
    with caplog.at_level(logging.WARNING):
        results = library_run(config)
    assert not [r for r in caplog.records if r.name.startswith("summcheck")]
    assert results["warnings"] == [EMPTY, FAILED]   # silenced, still recorded
    assert "empty story" not in run_cli(config).stderr


def test_the_cli_prints_each_warning_once_on_stderr(config):
    root, captured = logging.getLogger(), io.StringIO()
    other = logging.StreamHandler(captured)   # a handler some other library put on root
    root.addHandler(other)
    try:
        result = run_cli(config)
    finally:
        root.removeHandler(other)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines().count(f"warning: {EMPTY}") == 1
    assert "empty story" not in result.stdout and "empty story" not in captured.getvalue()
    (run_dir,) = (config.parent / "runs").iterdir()
    assert json.loads((run_dir / "results.json").read_text())["warnings"] == [EMPTY, FAILED]
    summcheck = logging.getLogger("summcheck")   # the command's handler is gone after it
    assert summcheck.propagate and all(type(h) is logging.NullHandler
                                       for h in summcheck.handlers)


def test_without_a_handler_nothing_reaches_stderr():
    """Python prints a warning nobody handles on stderr (its last-resort handler); the
    NullHandler on "summcheck" stops that, and importing summcheck adds no root handler."""
    code = ("import logging, summcheck.runner, summcheck.cli\n"
            "assert logging.getLogger().handlers == []\n"
            "logging.getLogger('summcheck.runner').warning('unseen')\n"
            "logging.getLogger('elsewhere').warning('seen')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "seen\n"


def test_silenced_drops_records_inside_the_block_only(caplog):
    logger = logging.getLogger("summcheck.scoring")
    with caplog.at_level(logging.WARNING):
        with silenced():
            logger.warning("inside")
        logger.warning("outside")
    assert [r.getMessage() for r in caplog.records] == ["outside"]
