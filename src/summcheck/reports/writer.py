"""write_reports: read run folders, write the requested report files (nothing rescored)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from ..artifacts import RESULTS, SPEC, RunData, json_text, load_run, write_atomic
from ..errors import SummcheckError
from .model_table import build_table

if TYPE_CHECKING:
    from ..run_rows import RunRows
    from .csvout import CsvLines

FORMATS = ("html", "md", "csv", "json")
FILES = {"html": "report.html", "md": "report.md", "csv": "scores.csv", "json": "results.json"}


def write_reports(run_dirs: Sequence[Path], out_dir: Path, formats: Sequence[str] = FORMATS,
                  *, plots: bool = True, max_examples: int = 300,
                  rows: RunRows | None = None,
                  csv_lines: dict[str, CsvLines] | None = None) -> dict[str, Path]:
    """Write the reports of one or more finished run folders into `out_dir`; returns
    {format: path}. Raises SummcheckError for a missing or incomplete run folder and
    MissingExtraError when the HTML plots need matplotlib (`plots=False` skips them).
    `max_examples`: examples shown in full in report.html. `rows`: the per-example
    values of the one run folder as the run that wrote it gathered them, which spares
    reading them back from scores.jsonl and checks.jsonl; `csv_lines`, scores.csv's lines
    as that run rendered them, spare reading scores.jsonl for the CSV."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise SummcheckError(f"unknown report format(s) {unknown}; choose from {list(FORMATS)}")
    if not run_dirs:
        raise SummcheckError("no run folder given. Pass one or more folders written by `summcheck run`.")
    if (rows is not None or csv_lines is not None) and len(run_dirs) != 1:
        raise ValueError("rows and csv_lines are what one run gathered: pass its folder alone")
    refuse_run_folder(Path(out_dir))
    loaded = [load_run(d, rows=rows) for d in run_dirs]
    runs = distinct_names(loaded)
    texts = _render(runs, formats, plots, max_examples, csv_lines)   # the CSV streamed
    if "json" in formats:   # each run's own results, as its folder holds them
        texts["json"] = _results_json(loaded)
    out_dir = Path(out_dir)
    written = {}
    for fmt in FORMATS:
        if fmt in texts:
            written[fmt] = out_dir / FILES[fmt]
            write_atomic(written[fmt], texts[fmt])
    return written


def refuse_run_folder(out_dir: Path) -> None:
    """`report A B --out A` wrote the reports' results.json over run A's own, and every
    command then refused A as damaged. A folder holding spec.json is a run folder (a
    run writes it first), whether one of the reported runs or not, finished or not."""
    if (out_dir / SPEC).is_file():
        raise SummcheckError(
            f"--out {out_dir} is a run folder (it holds {SPEC}): the report's {RESULTS} "
            "would replace the run's own. Pass a folder of its own for the reports.")


def distinct_names(runs: list[RunData]) -> list[RunData]:
    """The runs, those sharing a run name (the same config run twice) told apart as
    "name #k" by their place on the command line, for the HTML, Markdown and CSV: reports
    key models, rows and columns by run name, so two runs of one name were merged into one
    (the second's bullets shown under both). results.json keeps each run's own name, with
    the folder it came from."""
    names = [run.name for run in runs]
    return [run if names.count(run.name) == 1 else
            replace(run, results={**run.results, "run_name": f"{run.name} #{i}"})
            for i, run in enumerate(runs, 1)]


def _render(runs: list[RunData], formats: Sequence[str], plots: bool, max_examples: int,
            csv_lines: dict | None) -> dict[str, str | Iterator[str]]:
    texts = {}      # results.json: write_reports, from the runs as loaded
    if "csv" in formats:
        from .csvout import render_csv
        texts["csv"] = render_csv(runs, lines=csv_lines)
    if "html" in formats or "md" in formats:
        table = build_table(runs)
        if "html" in formats:
            texts["html"] = _html(table, plots, max_examples)
        if "md" in formats:
            from .markdown import render_markdown
            texts["md"] = render_markdown(table)
    return texts


def _html(table, plots: bool, max_examples: int) -> str:
    from .findings import checks_ran, per_100_bullets
    from .html import render_page
    from .plots import make_plots

    figures = make_plots(table.models, _plot_metrics(table), per_100_bullets(table.models),
                         interval_label=table.interval_label,
                         checked=checks_ran(table.runs)) if plots else None
    return render_page(table, figures, max_examples)


def _plot_metrics(table) -> list[str]:
    from ..tables import HEADLINE_METRICS

    return [m for m in HEADLINE_METRICS if m in table.primary]


def _results_json(runs: list[RunData]) -> str:
    """One run: its results.json as written; several: {"runs": [results, ...]}, each with
    `run_dir`, the folder it was read from (two runs of one name are told apart by it)."""
    if len(runs) == 1:
        return (runs[0].run_dir / RESULTS).read_text(encoding="utf-8")
    return json_text({"runs": [{**run.results, "run_dir": str(run.run_dir)} for run in runs]})
