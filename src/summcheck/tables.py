"""Terminal summary table of a run's results (rich)."""

from __future__ import annotations

from typing import Any

from .text import counted, percent

HEADLINE_METRICS = ("rouge1_f", "rouge2_f", "rougeLsum_f", "consistency")


def format_ci(agg: dict[str, Any], scale: float = 100.0, of: int | None = None) -> str:
    """"44.7 [41.2, 48.0]"; one example makes no interval: "44.7 (no interval, n=1)". `of`:
    the summarizer's examples; a mean over fewer (ROUGE where some examples have no
    reference) says over how many, "44.7 [41.2, 48.0] (n=8)"."""
    if not agg or agg.get("n", 0) == 0:
        return "n/a"
    if agg["n"] < 2:
        return f"{agg['mean'] * scale:.1f} (no interval, n={agg['n']})"
    text = f"{agg['mean'] * scale:.1f} [{agg['low'] * scale:.1f}, {agg['high'] * scale:.1f}]"
    return text + (f" (n={agg['n']})" if of is not None and agg["n"] < of else "")


def print_results(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    conf = results["signatures"]["aggregation"].split("conf=")[1].split("|")[0]
    n = counted(results["n_examples"], "example")
    table = Table(title=f"{results['run_name']} ({n}; "
                        f"mean x100 [{percent(conf)} bootstrap CI])")
    table.add_column("summarizer", no_wrap=True)
    shown = [n for n in HEADLINE_METRICS
             if any(n in m["metrics"] for m in results["summarizers"])]
    for name in shown:
        table.add_column(name, no_wrap=True)
    table.add_column("unsupported", justify="right", no_wrap=True)
    table.add_column("failed", justify="right")
    table.add_column("s/example", justify="right")
    for model in results["summarizers"]:
        table.add_row(
            model["label"],
            *(format_ci(model["metrics"].get(name, {}), of=model.get("n_examples"))
              for name in shown),
            _unsupported(model),
            str(model["n_failed"]),
            f"{model['seconds_per_example']:.3f}",
        )
    if any("entities" in (m.get("unsupported") or {}) for m in results["summarizers"]):
        table.caption = ("unsupported: number mentions and entity names (each name once per "
                         "summary), summed over the summaries")
    console = Console()
    console.width = max(console.width, 150)  # CI logs default to 80 columns
    console.print(table)
    notes = [*(results.get("metric_notes") or {}).values(),
             *(f"{m['label']}: {m['note']}" for m in results["summarizers"] if m.get("note"))]
    for note in notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)


def _unsupported(model: dict[str, Any]) -> str:
    """e.g. "num 3, ent 1": unsupported number mentions and entity names (distinct per
    summary) summed over the summaries; "-" when no check ran."""
    counts = model.get("unsupported") or {}
    return ", ".join(f"{check[:3]} {n}" for check, n in sorted(counts.items(), reverse=True)) or "-"
