"""report.md: a short report that fits a pull-request comment."""

from __future__ import annotations

import re

from ..tables import HEADLINE_METRICS
from ..text import counted
from .findings import check_order, checks_ran, describe, failed_summaries, sample_findings
from .model_table import ALPHA, ModelTable, significance_legend

N_FINDINGS = 10


def render_markdown(table: ModelTable, n_findings: int = N_FINDINGS) -> str:
    return "\n".join([
        f"## summcheck report: {_md(', '.join(run.name for run in table.runs))}", "",
        _summary_line(table), "",
        *_warnings(table),
        *_model_rows(table), "",
        _legend(table), "",
        *[f"- {_md(note)}" for note in table.notes], *([""] if table.notes else []),
        *_verdicts(table),
        *_signatures(table), "",
        *_findings(table, n_findings),
    ]) + "\n"


def _md(text: str) -> str:
    """Escape Markdown syntax (and table pipes) in free text, on one line (a story
    sentence's line break would end a list item or a table row). `~` and `&` too: GitHub
    struck "~~...~~" (or "~...~") through, and "&amp;" or "&copy;" showed as "&" and "©".
    A list marker at the start too (`_LINE_START`): the text may begin a line or a list
    item, where a model named "1. base" or "- tuned" was shown as a nested list."""
    text = re.sub(r"([\\`*_\[\]<>|#~&])", r"\\\1", " ".join(str(text).split()))
    return _LINE_START.sub(r"\1\\\2", text)


# What opens a list at the start of a line: a bullet ("- ", "+ "; "*" is escaped anyway)
# or an ordered item ("1. ", "2) "), the marker followed by a space or the end ("3.5-turbo"
# and "-tuned" open none, and keep their text as it is)
_LINE_START = re.compile(r"^(\d{1,9}(?=[.)](?: |$))|(?=[-+](?: |$)))(.)")


def _summary_line(table: ModelTable) -> str:
    parts = [f"{counted(run.results['n_examples'], 'example')}, "
             f"{counted(len(run.labels()), 'model')}" for run in table.runs]
    if len(parts) > 1:   # name the runs, or several alike read as one repeated
        parts = [f"{_md(run.name)}: {part}" for run, part in zip(table.runs, parts)]
    return (f"{'; '.join(parts)}. Means x100 (counts: per summary; unsupported: totals) with "
            f"{table.interval_label} bootstrap intervals ({table.bootstrap_label}); "
            "(n=k): a mean over k of the model's examples only.")


def _warnings(table: ModelTable) -> list[str]:
    """The runs' warnings (results.json), as report.html lists them: they say which
    examples a mean leaves out (no reference highlights), how many summaries failed or
    were cut, which a table of means alone does not."""
    named = len(table.runs) > 1   # say whose, as the summary line names the runs then
    lines = [f"- warning: {f'{_md(run.name)}: ' if named else ''}{_md(w)}"
             for run in table.runs for w in run.results.get("warnings") or []]
    return [*lines, ""] if lines else []


# The column of each check's total findings: "unsupported likelihood" and "unsupported
# support" read as nonsense (the support check flags weak bullets and phrases).
_COUNT_HEADS = {"numbers": "unsupported numbers", "entities": "unsupported entities",
                "relations": "unsupported relations", "support": "support findings",
                "likelihood": "unlikely words"}


def _model_rows(table: ModelTable) -> list[str]:
    metrics = [m for m in HEADLINE_METRICS if m in table.primary + table.extra]
    checks = sorted({c for m in table.models for c in m.summary.get("unsupported") or {}},
                    reverse=True)
    # several runs: say whose each row is, as report.html does (a label no other run has
    # is shown bare, "lead", not "run/lead")
    runs = len(table.runs) > 1
    head = ["model", *(["run"] if runs else []), *metrics,
            *(_COUNT_HEADS.get(c, f"{c} findings") for c in checks), "failed"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for model in table.models:
        cells = [_md(model.name), *([_md(model.run.name)] if runs else [])]
        for metric in metrics:
            text = model.shown(metric)
            cells.append(f"**{text}** ★" if table.marks.get(metric) == model.name else text)
        unsupported = model.summary.get("unsupported") or {}
        cells += [str(unsupported.get(c, "–")) for c in checks]
        cells.append(str(model.summary.get("n_failed", 0)))
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _legend(table: ModelTable) -> str:
    return ("★ bold: best in its column and significantly better than every other model on "
            f"their shared examples: adjusted p < {ALPHA} by a {_md(significance_legend(table))}. "
            "Unmarked columns have no significant winner. Unsupported: what the story does "
            "not support, summed over the summaries; numbers count mentions, entities "
            "distinct names per summary (a name flagged in two bullets is 1).")


def _verdicts(table: ModelTable) -> list[str]:
    """One line per shown metric: who is starred and on how many examples, or why not."""
    shown = [m for m in HEADLINE_METRICS if m in table.verdicts]
    if not shown:
        return []
    return ["Significance: " + "; ".join(f"{m}: {_md(table.verdicts[m].text)}"
                                         for m in shown) + ".", ""]


def _signatures(table: ModelTable) -> list[str]:
    lines = ["<details><summary>Signatures</summary>", ""]
    for run in table.runs:
        lines.append(f"**{_md(run.name)}**")
        lines += [f"- {name}: `{sig}`" for name, sig in run.results["signatures"].items()]
        lines.append("")
    return lines + ["</details>"]


def _findings(table: ModelTable, limit: int) -> list[str]:
    shown, totals = sample_findings(table.models, limit)
    if not totals and not checks_ran(table.runs):
        return ["No consistency checks ran (the config's `checks` section turned them off), "
                "so nothing was checked against the stories."]
    if not totals:
        return [_no_findings(table)]
    by_check = ", ".join(f"{check} {sum(i.finding['check'] == check for i in shown)} of "
                         f"{totals[check]}" for check in sorted(totals, key=check_order))
    lines = [f"### Findings ({len(shown)} of {sum(totals.values())}: {by_check})", ""]
    for item in shown:
        reason = item.finding.get("reason")
        lines.append(f"- {_md(item.model)} / {_md(item.example_id)}, bullet {item.bullet}: "
                     f"**{_md(item.finding['span']['text'])}** {_md(describe(item.finding))}"
                     + (f" ({_md(reason)})" if reason else ""))
    return lines


def _no_findings(table: ModelTable) -> str:
    """"No findings.", and how many summaries were not checked because they failed: with
    every summary failed, "No findings." read as clean summaries."""
    failures = failed_summaries(table.models)
    if failures is None:
        return "No findings."
    return f"No findings in the summaries checked; {failures} had nothing to check."
