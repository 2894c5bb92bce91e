"""Command line: thin wrappers over runner/config; every user error is one clear line."""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path
from typing import Optional

import typer

from .errors import SummcheckError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Summarization and fact-check evaluation harness.")

DEFAULT_OUT = Path("runs")


def default_config_path() -> Path:
    return Path(str(resources.files("summcheck").joinpath("configs", "default.yaml")))


def default_cache_dir() -> Path:
    return Path(os.environ.get("SUMMCHECK_CACHE_DIR", ".summcheck-cache"))


@app.command()
def run(
    config: Optional[Path] = typer.Argument(None, help="YAML config; default: the bundled benchmark"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="keep the first N examples"),
    out: Path = typer.Option(DEFAULT_OUT, "--out", help="folder that receives the run folder"),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="generation cache folder"),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Run a benchmark config: generate (cached), score, and write a run folder."""
    from .config import load_config
    from .runner import run as run_spec
    from .tables import print_results

    config_path = config or default_config_path()
    with _user_errors():
        spec = load_config(config_path, limit=limit)
        result = run_spec(spec, out_dir=out, cache_dir=cache_dir or default_cache_dir(),
                          show_progress=progress, config_path=str(config_path))
    print_results(result.results)
    typer.echo(f"run folder: {result.run_dir}")


@app.command()
def validate(config: Path = typer.Argument(..., help="YAML config to check")) -> None:
    """Check a config without running it."""
    from .config import load_config

    with _user_errors():
        spec = load_config(config)
    typer.echo(f"{config}: ok (run name {spec.run_name()}, {len(spec.summarizers)} summarizers)")


@app.command("list")
def list_things() -> None:
    """List summarizer types and the shipped default config."""
    from .summarizers.base import summarizer_types

    typer.echo("summarizer types: " + ", ".join(summarizer_types()))
    typer.echo(f"default config: {default_config_path()}")


class _user_errors:
    """Turn SummcheckError into a one-line message (exit 2) and Ctrl-C into a resume hint."""

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if kind is not None and issubclass(kind, SummcheckError):
            typer.secho(f"error: {err}", err=True, fg="red")
            raise typer.Exit(2)
        if kind is KeyboardInterrupt:
            typer.secho("interrupted: finished summaries are cached; run the same command "
                        "again to resume.", err=True, fg="yellow")
            raise typer.Exit(130)
        return False


def main() -> None:  # pragma: no cover - console entry for `python -m summcheck`
    sys.exit(app())
