"""Command line: thin wrappers over runner/config; every user error is one clear line."""

from __future__ import annotations

import gc
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Optional

import typer

from .errors import SummcheckError

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Summarization and fact-check evaluation harness.")


def _hide_argument_types() -> None:
    """typer 0.29 prints a positional argument's Python annotation in help (`config
    <path>`, `run_dirs... <list[Path]>`) and wraps a required one in braces in the usage
    line (`{run_dirs}...`). Show arguments by their metavar alone, the usual way:
    `RUN_DIR...`, `[CONFIG]`."""
    def usage_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")

    typer.core.TyperArgument.display_type_rich = lambda self, ctx: None
    typer.core.TyperArgument._usage_display_name = usage_name


_hide_argument_types()


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"summcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _main(ctx: typer.Context,
          version: bool = typer.Option(False, "--version", callback=_print_version,
                                       is_eager=True, help="Print the version and exit.")
          ) -> None:
    """Summarization and fact-check evaluation harness."""
    from .log import print_warnings

    _collect_less_often()
    ctx.call_on_close(print_warnings())   # the library logs its warnings; we print them


def _collect_less_often() -> None:
    """A command makes rows by the hundred thousand, nearly all freed by their reference
    counts; at its default pace (every 700 allocations) the cyclic collector took about
    5% of a run (benchmarks/results/overhead.md, notes on the 14:10-14:34 sections).
    This process-wide setting is the CLI's to make, so the library leaves it alone."""
    gc.set_threshold(10_000, 10, 10)


DEFAULT_OUT = Path("runs")


def default_config_path() -> Path:
    return Path(str(resources.files("summcheck").joinpath("configs", "default.yaml")))


def default_cache_dir() -> Path:
    """$SUMMCHECK_CACHE_DIR (an empty one is unset: it put the cache in the working
    folder), else .summcheck-cache."""
    return _home(Path(os.environ.get("SUMMCHECK_CACHE_DIR") or ".summcheck-cache"))


def _home(path: Path | None) -> Path | None:
    """`path` with a leading ~ expanded: the shell leaves `--out=~/runs` and a CI file's
    `SUMMCHECK_CACHE_DIR: ~/cache` as written, and they made a folder named "~" in the
    working folder."""
    return path.expanduser() if path is not None else None


@app.command()
def run(
    config: Optional[Path] = typer.Argument(None, metavar="CONFIG",
                                            help="YAML config; default: the bundled benchmark"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, metavar="N",
                                        help="keep the first N examples"),
    out: Path = typer.Option(DEFAULT_OUT, "--out", metavar="DIR",
                             help="folder that receives the run folder"),
    cache_dir: Optional[Path] = typer.Option(
        None, "--cache-dir", metavar="DIR",
        help="cache folder (generations, scores, story analyses); default: "
             "$SUMMCHECK_CACHE_DIR, else .summcheck-cache"),
    progress: bool = typer.Option(True, "--progress/--no-progress",
                                  help="progress bars on stderr"),
    backend: str = typer.Option("local", "--backend", metavar="local|ray",
                                help="local (this process) or ray (Ray actors and "
                                     "tasks; docs/ray.md)"),
    address: Optional[str] = typer.Option(
        None, "--address", metavar="HOST:PORT",
        help="with --backend ray: join this Ray cluster; default: start a local one"),
) -> None:
    """Run a benchmark config: generate, score, write a run folder.

    Generations and scores are cached; a stopped run resumes where it stopped."""
    from .config import load_config
    from .runner import run as run_spec
    from .tables import print_results

    config_path = _home(config) or default_config_path()
    if not progress:   # the Hugging Face libraries' own bars (read when they are imported)
        os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    with _user_errors(resume=True):
        spec = load_config(config_path, limit=limit)
        result = run_spec(spec, out_dir=_home(out),
                          cache_dir=_home(cache_dir) or default_cache_dir(),
                          show_progress=progress, config_path=str(config_path),
                          backend=backend, address=address)
    print_results(result.results)
    typer.echo(f"run folder: {result.run_dir}")
    report = result.reports.get("html") or next(iter(result.reports.values()), None)
    if report:
        typer.echo(f"report: {report}")


@app.command()
def report(
    run_dirs: list[Path] = typer.Argument(..., metavar="RUN_DIR",
                                          help="one or more run folders"),
    out: Path = typer.Option(..., "--out", metavar="DIR",
                             help="folder for report.html, report.md, scores.csv, results.json"),
    max_examples: int = typer.Option(
        300, "--max-examples", min=0, metavar="N",
        help="examples shown in full in report.html (most findings first)"),
) -> None:
    """Write HTML, Markdown, CSV and JSON reports from run folders.

    Built from the run folders' files alone: nothing is rescored."""
    from .reports import write_reports

    echo = _echo_while_read()
    with _user_errors():
        written = write_reports([_home(d) for d in run_dirs], _home(out),
                                max_examples=max_examples)
        for kind, path in written.items():
            echo(f"{kind}: {path}")


@app.command()
def compare(
    run_dirs: list[Path] = typer.Argument(
        ..., metavar="RUN_DIR", help="two or more run folders; the first is the reference"),
    metric: Optional[list[str]] = typer.Option(
        None, "--metric", metavar="METRIC",
        help="a metric to compare, repeatable (default: the headline metrics)"),
    alpha: float = typer.Option(0.05, "--alpha", metavar="P", help="significance level"),
    out: Optional[Path] = typer.Option(None, "--out", metavar="FILE",
                                       help="write the comparison as JSON"),
    markdown: Optional[Path] = typer.Option(None, "--markdown", metavar="FILE",
                                            help="write the comparison as Markdown"),
) -> None:
    """Compare runs: paired differences on their shared examples.

    Bootstrap intervals; p-values from a paired permutation test, Holm-adjusted."""
    from .compare import compare_runs

    with _user_errors():
        comparison = compare_runs([_home(d) for d in run_dirs], metrics=metric or None,
                                  alpha=alpha)
        if out:
            comparison.write_json(_home(out))
        if markdown:
            comparison.write_markdown(_home(markdown))
        _echo_while_read()(comparison.to_markdown())


@app.command()
def regress(
    current: Path = typer.Argument(..., metavar="RUN_DIR", help="run folder to check"),
    baseline: Path = typer.Option(..., "--baseline", metavar="FILE|DIR",
                                  help="baseline file (summcheck baseline) or run folder"),
    max_drop: Optional[list[str]] = typer.Option(
        None, "--max-drop", metavar="METRIC=VALUE",
        help="allowed absolute drop of a metric; repeatable"),
    out: Optional[Path] = typer.Option(None, "--out", metavar="FILE",
                                       help="write the verdict as JSON"),
    allow_signature_change: bool = typer.Option(
        False, "--allow-signature-change",
        help="gate even where a gated metric's signature differs from the baseline's "
             "(printed as a warning); without it that is an error (exit 2)"),
) -> None:
    """CI gate: fail when a gated metric drops significantly.

    Exit 0 when no gated metric regressed, 1 when one did, 2 on bad input."""
    from .regress import run_regress

    with _user_errors():
        code = run_regress(_home(current), baseline=_home(baseline), max_drop=max_drop or [],
                           out=_home(out), echo=_echo_while_read(),
                           allow_signature_change=allow_signature_change)
    raise typer.Exit(code)


def _echo_while_read():
    """typer.echo until the reader closes the pipe (`| head -1`), then nothing: the exit
    code stays the command's. A BrokenPipeError reached click, which exits 1, the code of
    a regression. Any other write error (`> /dev/full`) raises a SummcheckError (exit 2,
    one line on stderr) where it was a traceback with exit 1, even for a passing gate."""
    closed = False

    def echo(line: str) -> None:
        nonlocal closed
        if closed:
            return
        try:
            typer.echo(line)
        except OSError as err:
            closed = True
            _stdout_to_devnull()   # later writes, and the flush at exit, go nowhere
            if not isinstance(err, BrokenPipeError):
                raise SummcheckError(f"standard output: {err.strerror or err}. Send the "
                                     "output where it can be written.") from err
    return echo


def _stdout_to_devnull() -> None:
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):   # not a file: a test's captured output
        return
    os.dup2(os.open(os.devnull, os.O_WRONLY), fd)


@app.command()
def baseline(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR",
                                   help="run folder whose scores become the baseline"),
    out: Path = typer.Option(..., "--out", metavar="FILE",
                             help="baseline file to write, e.g. reports/baseline.json"),
) -> None:
    """Write a baseline file for `summcheck regress` from a finished run."""
    from .regress import write_baseline

    with _user_errors():
        path = write_baseline(_home(run_dir), _home(out))
        _echo_while_read()(f"baseline: {path}")


@app.command()
def validate(config: Path = typer.Argument(..., metavar="CONFIG",
                                           help="YAML config to check")) -> None:
    """Check a config and its local data files without running it.

    Reads every row of the local data files."""
    from .config import load_config
    from .data import check_data, with_prepare_hint
    from .errors import DataError
    from .summarizers.base import build_summarizer

    with _user_errors():
        spec = load_config(_home(config))
        try:
            rows = check_data(spec.dataset)
        except DataError as err:
            raise with_prepare_hint(spec.dataset, err) from None
        summary_rows = [build_summarizer(s, max_bullets=spec.bullets.max_bullets).check_file()
                        for s in spec.summarizers if s.type == "precomputed"]
    checked = f", {rows} dataset rows checked" if rows is not None else ""
    checked += (f", {sum(summary_rows)} rows of {len(summary_rows)} summaries file(s) checked"
                if summary_rows else "")
    typer.echo(f"{config}: ok (name {spec.name}, spec hash {spec.spec_hash()}, "
               f"{len(spec.summarizers)} summarizers{checked})")


@app.command("list")
def list_things() -> None:
    """List summarizer types, metrics, data sources and checks, and what this install can
    run."""
    from .extras import install_command, missing, sections

    for kind, rows in sections().items():
        typer.echo(f"{kind}:")
        width = max(len(what) for what, _, _ in rows)
        for what, extra, description in rows:
            absent = missing(extra) if extra else []
            state = "ready" if not absent else (
                f"needs the {extra} extra (missing: {', '.join(absent)}): "
                f"{install_command(extra)}")
            typer.echo(f"  {what:<{width}}  {state}")
            if description:
                typer.echo(f"  {'':<{width}}  {description}")
    typer.echo(f"default config: {default_config_path()}")


class _user_errors:
    """Turn SummcheckError, and a file the system cannot read or write, into a one-line
    message (exit 2; exit 1 is a regression's) and Ctrl-C into a resume hint. `resume`:
    the command (`run`) keeps finished work, so running it again resumes."""

    def __init__(self, resume: bool = False):
        self.resume = resume

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if kind is not None and issubclass(kind, SummcheckError):
            typer.secho(f"error: {err}", err=True, fg="red")
            raise typer.Exit(2)
        if kind is not None and issubclass(kind, OSError) and err.filename is not None:
            resume = " (finished work is kept; run again to resume)" if self.resume else ""
            typer.secho(f"error: {err.filename}: {err.strerror or err}. Check the path and "
                        f"its permissions{resume}.", err=True, fg="red")
            raise typer.Exit(2)
        if kind is KeyboardInterrupt:
            hint = (": finished summaries are cached; run the same command again to resume"
                    if self.resume else "")   # only `run` has work to resume
            typer.secho(f"interrupted{hint}.", err=True, fg="yellow")
            raise typer.Exit(130)
        return False


def main() -> None:  # pragma: no cover - console entry for `python -m summcheck`
    sys.exit(app())
