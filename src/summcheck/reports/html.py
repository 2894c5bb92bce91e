"""report.html: one self-contained page (inline CSS, JS and SVG plots; no network).

Sections: the runs (dataset, examples, signatures), the model table with significance
marks, the plots, and the per-example view. All text is escaped.
"""

from __future__ import annotations

import re
from html import escape
from typing import Sequence

from ..artifacts import RunData
from ..text import counted
from . import assets
from .html_examples import MAX_EXAMPLES, example_metric, examples_table
from .model_table import ALPHA, Model, ModelTable, significance_legend
from .plots import Plot


def render_page(table: ModelTable, plots: list[Plot] | None,
                max_examples: int = MAX_EXAMPLES) -> str:
    """The whole page; `plots` is None when they are skipped (matplotlib not installed)."""
    title = "summcheck report: " + ", ".join(run.name for run in table.runs)
    metric = example_metric(table.runs, table.models)
    body = "".join([
        f"<h1>{escape(title)}</h1>", _runs(table.runs),
        "<h2>Models</h2>", _model_table(table), _legend(table), _notes(table),
        _verdicts(table),
        "<h2>Plots</h2>", _plots(plots),
        "<h2>Examples</h2>", _example_controls(metric),
        f'<div class="wrap">{examples_table(table.runs, table.models, max_examples, metric)}'
        "</div>",
    ])
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{assets.CSS}</style></head>"
            f"<body>{body}<script>{assets.JS}</script></body></html>\n")


def _runs(runs: Sequence[RunData]) -> str:
    items, sigs = [], []
    for run in runs:
        res = run.results
        models = ", ".join(run.labels())
        items.append(
            f"<li><b>{escape(run.name)}</b>: dataset {escape(_dataset(run))}; "
            f"{counted(res['n_examples'], 'example')}; models {escape(models)}; "
            f"finished {escape(str(res.get('finished', '?')))}</li>")
        items += [f'<li class="warning">warning: {escape(str(w))}</li>'
                  for w in res.get("warnings") or []]
        sigs.append(f"<dt>{escape(run.name)}</dt>" + "".join(
            f"<dd>{escape(name)}: <code>{escape(sig)}</code></dd>"
            for name, sig in res.get("signatures", {}).items()))
    return (f'<ul>{"".join(items)}</ul><details><summary>signatures</summary>'
            f'<dl class="sigs">{"".join(sigs)}</dl></details>')


def _dataset(run: RunData) -> str:
    dataset = run.spec.get("spec", {}).get("dataset", {})
    shown = {k: v for k, v in dataset.items() if v not in (None, "", [], {})}
    source = shown.pop("source", "?")
    return source + (" (" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")" if shown else "")


def _model_table(table: ModelTable) -> str:
    multi_run, extra = len(table.runs) > 1, table.extra
    metrics = [(m, "") for m in table.primary] + [(m, " extra") for m in extra]
    head = ['<th data-key="model">model</th>'] + (['<th>run</th>'] if multi_run else [])
    head += [f'<th class="num{css}">{_breakable(m)}</th>' for m, css in metrics]
    head += ['<th class="num">unsupported (total)</th>', '<th class="num">failed</th>',
             '<th class="num">truncated</th>', '<th class="num">s/example</th>']
    rows = []
    for model in table.models:
        cells = [f"<td>{escape(model.name)}</td>"]
        cells += [f"<td>{escape(model.run.name)}</td>"] if multi_run else []
        cells += [_metric_cell(model, m, css, table.marks.get(m) == model.name) for m, css in metrics]
        cells += [_unsupported_cell(model)] + [
            f'<td class="num">{model.summary.get(k, 0)}</td>' for k in ("n_failed", "n_truncated")]
        cells.append(f'<td class="num">{model.summary.get("seconds_per_example", 0):.3f}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    toggle = ('<p class="controls"><label><input type="checkbox" id="show-extra"> show all '
              'metrics (precision/recall, counts)</label></p>') if extra else ""
    return (f'{toggle}<div class="wrap"><table id="models" class="sortable"><thead><tr>'
            f'{"".join(head)}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _breakable(metric: str) -> str:
    """Header text that may wrap after an underscore (but keeps "_f", "_p", "_r" attached)."""
    return re.sub(r"_(?=\w{2,})", "_<wbr>", escape(metric))


def _metric_cell(model: Model, metric: str, css: str, best: bool) -> str:
    agg = model.agg(metric)
    text = model.shown(metric)
    mean, _, interval = text.partition(" ")   # "42.8 [38.9, 46.8]"
    star = " ★" if best else ""
    mean_sort = "" if agg.get("mean") is None else agg["mean"]   # n/a sorts last
    return (f'<td class="num{css}{" best" if best else ""}" data-sort="{mean_sort}">'
            f'{mean}{star} <span class="ci">{interval}</span></td>')


def _unsupported_cell(model: Model) -> str:
    counts = model.summary.get("unsupported") or {}
    text = "<br>".join(f"{escape(check)} {n}" for check, n in sorted(counts.items(), reverse=True))
    return f'<td class="num" data-sort="{sum(counts.values())}">{text or "–"}</td>'


def _notes(table: ModelTable) -> str:
    items = "".join(f"<li>{escape(note)}</li>" for note in table.notes)
    return f'<ul class="notes">{items}</ul>' if items else ""


def _legend(table: ModelTable) -> str:
    return (
        f'<p class="legend">Each cell: mean over examples [{table.interval_label} bootstrap '
        f"interval, {table.bootstrap_label}], and (n=k) where the mean is over k of the "
        "model's examples only (ROUGE: examples with references; counts: summaries that did "
        "not fail). ROUGE, consistency and precision/recall are rates shown x100; *_count, "
        "*_unsupported and *_weak are counts per summary (lower is better for *_unsupported "
        "and *_weak; entities count distinct names, so a name flagged twice is 2 findings "
        "and 1 unsupported entity). <b>Bold ★</b>: the best value in its column, marked only "
        "where that model beats every other model significantly on their shared examples: "
        f"adjusted p &lt; {ALPHA} by a {escape(significance_legend(table))}. No mark means no "
        "model is significantly best. Click a header to sort.</p>")


def _verdicts(table: ModelTable) -> str:
    """Each default column's verdict with its n, e.g. "n=5 too small to rank"."""
    items = [f"<li>{escape(m)}: {escape(table.verdicts[m].text)}</li>"
             for m in table.primary if m in table.verdicts]
    return f'<ul class="legend">{"".join(items)}</ul>' if items else ""


def _plots(plots: list[Plot] | None) -> str:
    if plots is None:
        return ('<p class="warning">Plots need matplotlib: pip install '
                '"summcheck[report]"</p>')
    figures = [f'<figure><figcaption>{escape(p.title)}</figcaption>'
               + (f'<img src="{p.uri}" alt="{escape(p.alt)}">' if p.uri else "")
               + "</figure>" for p in plots]
    return f'<div class="plots">{"".join(figures)}</div>'


def _example_controls(metric: str | None) -> str:
    shows = f"{escape(metric)} x100 and " if metric else ""
    return ('<p class="controls"><label><input type="checkbox" id="findings-only"> only '
            'examples with findings or failed summaries</label> '
            '<span id="shown-count" class="muted"></span></p>'
            '<p class="legend">Bullets: <mark class="bad">unsupported</mark> (explained under '
            'the bullet, with "did you mean"), <mark class="ok">supported</mark>. Story: '
            '<mark class="src">supports a bullet mention</mark>, <mark class="cand">closest '
            'candidate for an unsupported mention</mark>. Hover a bullet mention to outline '
            f'its story spans. Per-model columns: {shows}the number of findings.</p>')
