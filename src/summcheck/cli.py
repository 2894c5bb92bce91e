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
    backend: str = typer.Option("local", "--backend",
                                help="local (this process) or ray (Ray Data; docs/ray.md)"),
    address: Optional[str] = typer.Option(
        None, "--address",
        help="with --backend ray: join this Ray cluster (HEAD:6379); default: start a local one"),
) -> None:
    """Run a benchmark config: generate (cached), score, and write a run folder."""
    from .config import load_config
    from .runner import run as run_spec
    from .tables import print_results

    config_path = config or default_config_path()
    with _user_errors():
        spec = load_config(config_path, limit=limit)
        result = run_spec(spec, out_dir=out, cache_dir=cache_dir or default_cache_dir(),
                          show_progress=progress, config_path=str(config_path),
                          backend=backend, address=address)
    print_results(result.results)
    typer.echo(f"run folder: {result.run_dir}")
    report = result.reports.get("html") or next(iter(result.reports.values()), None)
    if report:
        typer.echo(f"report: {report}")


@app.command()
def report(
    run_dirs: list[Path] = typer.Argument(..., help="one or more run folders"),
    out: Path = typer.Option(..., "--out", help="folder for report.html, report.md, scores.csv, results.json"),
    max_examples: int = typer.Option(300, "--max-examples", min=0,
                                     help="examples shown in full in report.html (most findings first)"),
) -> None:
    """Write HTML, Markdown, CSV and JSON reports from run folders (no recomputation)."""
    from .reports import write_reports

    with _user_errors():
        written = write_reports(run_dirs, out, max_examples=max_examples)
    for kind, path in written.items():
        typer.echo(f"{kind}: {path}")


@app.command()
def compare(
    run_dirs: list[Path] = typer.Argument(..., help="two or more run folders; the first is the reference"),
    metric: Optional[list[str]] = typer.Option(None, "--metric", help="metrics to compare (default: headline metrics)"),
    alpha: float = typer.Option(0.05, "--alpha", help="significance level"),
    out: Optional[Path] = typer.Option(None, "--out", help="write the comparison as JSON"),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="write the comparison as Markdown"),
) -> None:
    """Paired differences between runs on their shared examples: bootstrap intervals,
    permutation-test p-values (Holm-adjusted)."""
    from .compare import compare_runs

    with _user_errors():
        comparison = compare_runs(run_dirs, metrics=metric or None, alpha=alpha)
        if out:
            comparison.write_json(out)
        if markdown:
            comparison.write_markdown(markdown)
    typer.echo(comparison.to_markdown())


@app.command()
def regress(
    current: Path = typer.Argument(..., help="run folder to check"),
    baseline: Path = typer.Option(..., "--baseline", help="baseline file (summcheck baseline) or run folder"),
    max_drop: Optional[list[str]] = typer.Option(None, "--max-drop", help="METRIC=VALUE, allowed absolute drop; repeatable"),
    out: Optional[Path] = typer.Option(None, "--out", help="write the verdict as JSON"),
) -> None:
    """CI gate: exit 0 when no gated metric regressed, 1 when one did, 2 on bad input."""
    from .regress import run_regress

    with _user_errors():
        code = run_regress(current, baseline=baseline, max_drop=max_drop or [], out=out,
                           echo=typer.echo)
    raise typer.Exit(code)


@app.command()
def baseline(
    run_dir: Path = typer.Argument(..., help="run folder whose scores become the baseline"),
    out: Path = typer.Option(..., "--out", help="baseline file to write, e.g. reports/baseline.json"),
) -> None:
    """Write a baseline file for `summcheck regress` from a finished run."""
    from .regress import write_baseline

    with _user_errors():
        path = write_baseline(run_dir, out)
    typer.echo(f"baseline: {path}")


@app.command()
def validate(config: Path = typer.Argument(..., help="YAML config to check")) -> None:
    """Check a config and read its local data files (every row) without running it."""
    from .config import load_config
    from .data import check_data

    with _user_errors():
        spec = load_config(config)
        rows = check_data(spec.dataset)
    checked = f", {rows} dataset rows checked" if rows is not None else ""
    typer.echo(f"{config}: ok (name {spec.name}, spec hash {spec.spec_hash()}, "
               f"{len(spec.summarizers)} summarizers{checked})")


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
