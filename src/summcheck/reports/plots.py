"""Report plots with matplotlib (the `report` extra), as SVG data URIs for <img> tags.

SVG keeps the plots sharp and small; a data URI keeps the report one self-contained file
and keeps each plot's internal ids apart from the page's. matplotlib is imported lazily and
only through `Figure` (no pyplot, no global backend switch).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import MissingExtraError
from ..metric_kinds import is_count
from .findings import failed_summaries, flagged
from .model_table import Model

MAX_POINTS = 300   # strip-plot points per model; the box still uses every value
# text.parse_math off: model names are free text, and one with two "$" was read as TeX
# (a label "cost $5-$10" drawn as "cost 5-10" in math italics; "$\x$" stopped the run)
RC = {"svg.fonttype": "none", "svg.hashsalt": "summcheck", "font.size": 9,
      "font.family": "sans-serif", "axes.spines.top": False, "axes.spines.right": False,
      "text.parse_math": False}


@dataclass(frozen=True)
class Plot:
    title: str
    uri: str      # data:image/svg+xml;base64,... ("" when there is nothing to draw)
    alt: str


def make_plots(models: Sequence[Model], metrics: Sequence[str],
               rates: dict[str, dict[str, dict[str, float]]], *,
               interval_label: str = "95%", checked: bool = True) -> list[Plot]:
    """Score distributions, means with intervals (at `interval_label`, e.g. "95%"),
    findings per 100 bullets. `checked`: whether any consistency check ran;
    without one, no unsupported mention is no finding, not "none found"."""
    matplotlib = _matplotlib()
    with matplotlib.rc_context(RC):
        plots = [   # no headline metric in the runs (a run of other metrics): no score plots
            Plot("Per-example score distributions" + _sampled_points(models),
                 _svg(_distributions(models, metrics)),
                 "box and strip plots of per-example scores per model"),
            Plot(f"Means with {interval_label} intervals", _svg(_intervals(models, metrics)),
                 "mean and bootstrap interval per model"),
        ] if metrics else []
        if rates:
            plots.append(_unsupported_plot(models, rates))
        elif checked:   # a failed summary had nothing to check: not a clean one
            failures = failed_summaries(models)
            plots.append(Plot("Unsupported mentions: none found" + (
                f" in the summaries checked ({failures} had nothing to check)"
                if failures else ""), "", ""))
        else:
            plots.append(Plot("Unsupported mentions: no consistency checks ran (the "
                              "config's `checks` section turned them off), so nothing was "
                              "checked against the stories", "", ""))
    return plots


def _matplotlib():
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
    except ImportError as err:
        raise MissingExtraError("matplotlib", "report") from err
    return matplotlib


def _figure(n_panels: int, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(min(3.2 * n_panels, 13), height), layout="constrained")
    return fig, fig.subplots(1, n_panels, sharey=True, squeeze=False)[0]


def _scale(metric: str) -> float:
    return 1.0 if is_count(metric) else 100.0


def _model_axis(ax, models: Sequence[Model]) -> None:
    ax.set_yticks(range(len(models)), [m.name for m in models])
    ax.set_ylim(len(models) - 0.5, -0.5)   # first model on top, as in the table
    ax.grid(axis="x", alpha=0.3)


def _sampled_points(models: Sequence[Model]) -> str:
    """Says so where a model's strip shows a sample of its examples (`MAX_POINTS`)."""
    if all(int(m.summary.get("n_examples") or 0) <= MAX_POINTS for m in models):
        return ""
    return f" (points: {MAX_POINTS} random examples of a model that has more; boxes: all)"


def _distributions(models: Sequence[Model], metrics: Sequence[str]):
    fig, axes = _figure(len(metrics), 0.45 * len(models) + 1.0)
    rng = np.random.default_rng(0)
    for ax, metric in zip(axes, metrics):
        boxes, points = [], []
        for model in models:   # one model's values at a time: a million are 8 MB
            values = model.rows.values(metric)   # a copy, scaled in place
            values *= _scale(metric)
            shown = values if len(values) <= MAX_POINTS else \
                rng.choice(values, MAX_POINTS, replace=False)
            points.append((shown.copy(), rng.uniform(-0.18, 0.18, len(shown))))
            boxes.append(box_stats(values))
        ax.bxp(boxes, positions=range(len(models)), **_horizontal(), widths=0.6,
               showfliers=False, medianprops={"color": "black"})
        for i, (shown, jitter) in enumerate(points):
            ax.scatter(shown, i + jitter, s=9, alpha=0.6, color=f"C{i}", linewidths=0)
        ax.set_title(metric)
        _model_axis(ax, models)
    return fig


def box_stats(values: np.ndarray) -> dict:
    """What matplotlib's `boxplot` draws (quartiles, whiskers at 1.5 IQR), computed as
    `cbook.boxplot_stats` does but without its copies of the values: `values` is sorted
    in place, so a million values cost one copy, not four."""
    if not len(values):
        nan = float("nan")
        return {"med": nan, "q1": nan, "q3": nan, "whislo": nan, "whishi": nan, "fliers": []}
    q1, med, q3 = np.percentile(values, [25, 50, 75], overwrite_input=True)
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    whislo = np.min(values, where=values >= low, initial=np.inf)
    whishi = np.max(values, where=values <= high, initial=-np.inf)
    return {"med": med, "q1": q1, "q3": q3, "fliers": [],
            "whislo": q1 if np.isinf(whislo) else min(whislo, q1),
            "whishi": q3 if np.isinf(whishi) else max(whishi, q3)}


def _horizontal() -> dict:
    """boxplot's `orientation` arrived in matplotlib 3.10, which deprecates `vert`."""
    import matplotlib

    major, minor = (int(p) for p in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}


def _intervals(models: Sequence[Model], metrics: Sequence[str]):
    fig, axes = _figure(len(metrics), 0.4 * len(models) + 1.0)
    for ax, metric in zip(axes, metrics):
        for i, model in enumerate(models):
            agg = model.agg(metric)
            if not agg.get("n"):
                continue
            if agg["n"] < 2:   # no interval (null): the mean alone
                ax.plot([agg["mean"] * _scale(metric)], [i], "o", color=f"C{i}")
                continue
            mean, low, high = (agg[k] * _scale(metric) for k in ("mean", "low", "high"))
            ax.errorbar([mean], [i], xerr=[[mean - low], [high - mean]], fmt="o",
                        color=f"C{i}", capsize=3)
        ax.set_title(metric)
        _model_axis(ax, models)
    return fig


def _unsupported_plot(models: Sequence[Model], rates: dict[str, dict[str, dict[str, float]]]):
    """Grouped bars per kind; models without any finding are named, not drawn."""
    drawn = {i: m for i, m in enumerate(models)
             if any(by_model[m.name] for kinds in rates.values() for by_model in kinds.values())}
    none = [m.name for m in models if m not in drawn.values()]
    title = "Findings per 100 bullets, by check and kind"
    title += f" (none for {', '.join(none)})" if none else ""
    return Plot(title, _svg(_unsupported(drawn, rates)),
                "per 100 bullets: " + ", ".join(flagged(check) for check in rates))


def _unsupported(models: dict[int, Model], rates: dict[str, dict[str, dict[str, float]]]):
    from matplotlib.figure import Figure

    n_rows = max(len(kinds) for kinds in rates.values())
    fig = Figure(figsize=(4.6 * len(rates), 0.25 * n_rows * len(models) + 1.2),
                 layout="constrained")
    axes = fig.subplots(1, len(rates), squeeze=False)[0]
    height = 0.8 / len(models)
    bars = []
    for ax, (check, kinds) in zip(axes, rates.items()):
        bars = []
        for j, (i, model) in enumerate(models.items()):
            ys = np.arange(len(kinds)) + (j - (len(models) - 1) / 2) * height
            bars.append(ax.barh(ys, [by_model[model.name] for by_model in kinds.values()],
                                height=height, color=f"C{i}"))
        ax.set_yticks(range(len(kinds)), list(kinds))
        ax.set_ylim(len(kinds) - 0.5, -0.5)
        ax.set_title(flagged(check))
        ax.set_xlabel("per 100 bullets")
        ax.grid(axis="x", alpha=0.3)
    # names given with their bars: as `label=` matplotlib leaves out of the legend a name
    # starting with "_", and that model's bars were drawn with no name to tell them by
    axes[-1].legend(bars, [m.name for m in models.values()], fontsize=8, loc="lower right")
    return fig


def _svg(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
