"""The per-example part of the HTML report: one sortable row per example, expanding to the
story, the reference highlights and every model's bullets with the findings highlighted.

Bullets: unsupported mentions in red, each explained in a line under its bullet (kind,
"did you mean ...?"), readable without a mouse; supported ones underlined green. Story: the closest candidates of unsupported mentions in amber, the spans
that support a summary mention in green. Hovering a bullet mark outlines its story spans.
"""

from __future__ import annotations

from html import escape
from typing import Any, Sequence

from ..artifacts import RunData
from .findings import check_rows, describe
from .highlight import Mark, merge, render
from .model_table import Model, fmt

EXAMPLE_METRIC = "rougeLsum_f"
MAX_EXAMPLES = 300


def examples_table(runs: Sequence[RunData], models: Sequence[Model],
                   max_examples: int = MAX_EXAMPLES) -> str:
    """The per-example table: at most `max_examples` examples, those with the most
    findings first (then in run order), with a note saying how many are left out. The run
    files are streamed: only the shown examples' texts are held."""
    ids = list(dict.fromkeys(e["id"] for run in runs for e in run.examples))
    counts, failed = _findings_per_example(models), _failures_per_example(models)
    shown = sorted(ids, key=lambda eid: -counts.get(eid, 0) - failed.get(eid, 0)
                   )[:max_examples] if len(ids) > max_examples else ids   # stable: run order
    keep = set(shown)
    examples: dict[str, dict[str, Any]] = {}   # the first run's text wins; marks whose
    for run in runs:                           # offsets do not fit it are left out
        for example in run.examples:
            if example["id"] in keep:
                examples.setdefault(example["id"], example)
    summaries = {(m.name, r["example_id"]): r for m in models for r in m.run.summaries
                 if r["summarizer"] == m.label and r["example_id"] in keep}
    checks = {(m.name, r["example_id"]): r for m in models for r in check_rows(m)
              if r["example_id"] in keep}
    values = {m.name: m.per_example(EXAMPLE_METRIC) for m in models}
    head = "".join(
        ['<th data-key="example">example</th><th data-key="title">title</th>',
         '<th class="num" data-key="findings">findings</th>']
        + [f'<th class="num" data-key="m{i}" title="{EXAMPLE_METRIC} x100">'
           f'{escape(m.name)}</th>' for i, m in enumerate(models)])
    bodies = [_example_body(examples[eid], models, summaries, checks, values,
                            failed.get(eid, 0)) for eid in shown]
    note = "" if len(shown) == len(ids) else (
        f'<p class="warning">Showing {len(shown)} of {len(ids)} examples, those with '
        "the most findings and failed summaries. Every example's scores are in scores.csv; findings in the "
        "run folder's checks.jsonl. Raise report.html_max_examples to show more.</p>")
    return (note + f'<table id="examples" class="sortable grouped"><thead><tr>{head}'
            f'</tr></thead>' + "".join(bodies) + "</table>")


def _findings_per_example(models: Sequence[Model]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for model in models:
        for row in check_rows(model):
            if row["findings"]:
                counts[row["example_id"]] = counts.get(row["example_id"], 0) + len(row["findings"])
    return counts


def _failures_per_example(models: Sequence[Model]) -> dict[str, int]:
    """{example id: number of models whose summary of it failed}."""
    counts: dict[str, int] = {}
    for model in models:
        for row in model.run.scores:
            if row["summarizer"] == model.label and row.get("error"):
                counts[row["example_id"]] = counts.get(row["example_id"], 0) + 1
    return counts


def _example_body(example: dict, models: Sequence[Model], summaries: dict, checks: dict,
                  values: dict[str, dict[str, float]], n_failed: int) -> str:
    eid = example["id"]
    rows = {m.name: checks.get((m.name, eid)) or {"findings": [], "supported": []}
            for m in models}
    n_findings = sum(len(r["findings"]) for r in rows.values())
    cells = [f'<td data-sort="{escape(eid)}"><a href="#ex-{escape(eid)}">{escape(eid)}</a></td>',
             f'<td>{escape(example.get("title") or "")}</td>',
             f'<td class="num" data-sort="{n_findings}">{_badge(n_findings)}</td>']
    for model in models:
        value = values[model.name].get(eid)
        shown = "–" if value is None else fmt(value, EXAMPLE_METRIC)
        summary = summaries.get((model.name, eid)) or {}
        flag = ' <span class="failed">failed</span>' if summary.get("error") else ""
        cells.append(f'<td class="num" data-sort="{"" if value is None else value}">'
                     f'{shown} {_badge(len(rows[model.name]["findings"]))}{flag}</td>')
    detail = _detail(example, models, summaries, rows)
    return (f'<tbody class="ex" id="ex-{escape(eid)}" data-findings="{n_findings}" '
            f'data-failed="{n_failed}"><tr>{"".join(cells)}</tr><tr class="detail">'
            f'<td colspan="{len(cells)}"><details{" open" if n_findings or n_failed else ""}>'
            f'<summary>story, reference and bullets</summary>{detail}</details></td></tr>'
            '</tbody>')


def _badge(n: int) -> str:
    return f'<span class="badge" title="unsupported mentions">{n}</span>' if n else ""


def _detail(example: dict, models: Sequence[Model], summaries: dict, rows: dict) -> str:
    story_marks: list[Mark] = []
    parts = ["<h4>Reference highlights</h4><ul>"
             + "".join(f"<li>{escape(b)}</li>" for b in example.get("reference_bullets", []))
             + "</ul>"]
    for i, model in enumerate(models):
        bullet_marks, marks_in_story = _marks(rows[model.name], f"k{i}", model.name)
        story_marks += marks_in_story
        summary = summaries.get((model.name, example["id"]))
        parts.append(f"<h4>{escape(model.name)}</h4>{_bullets(summary, bullet_marks)}")
    story_marks.sort(key=lambda m: m.css != "cand")   # amber candidates win overlaps
    story_html = render(example["story"], merge(story_marks))
    return (f'<div class="ex-grid"><div><h4>Story</h4><div class="story">{story_html}</div>'
            f'</div><div class="bullets">{"".join(parts)}</div></div>')


def _marks(row: dict, prefix: str, model: str) -> tuple[dict[int, list[Mark]], list[Mark]]:
    """({bullet index: marks}, story marks) of one summary's findings and supported mentions;
    a shared key links each bullet mark to its story spans."""
    bullets: dict[int, list[Mark]] = {}
    story: list[Mark] = []
    for item in row["findings"]:
        key, where = _key(prefix, item), _where(model, item)
        bullets.setdefault(item["bullet_index"], []).append(
            _mark(item["span"], "bad", [explain(item)], key))
        story += [_mark(c, "cand", [f"candidate for {where}"], key)
                  for c in item.get("candidates") or []]
    for item in row["supported"]:
        key, source = _key(prefix, item), item["source_span"]
        bullets.setdefault(item["bullet_index"], []).append(
            _mark(item["span"], "ok", [f"supported by the story: “{source['text']}”"], key))
        story.append(_mark(source, "src", [f"supports {_where(model, item)}"], key))
    return bullets, story


def _bullets(summary: dict | None, marks: dict[int, list[Mark]]) -> str:
    if summary is None:
        return '<p class="muted">not in this run</p>'
    if summary.get("error"):
        return f'<p class="failed">failed: {escape(str(summary["error"]))}</p>'
    items = [f"<li>{render(bullet, marks.get(i, []))}{_why(marks.get(i, []))}</li>"
             for i, bullet in enumerate(summary["bullets"])]
    return f'<ol>{"".join(items)}</ol>' if items else '<p class="muted">no bullets</p>'


def explain(finding: dict) -> str:
    """“span”: what is wrong, and "did you mean" when the story has a close candidate."""
    reason = finding.get("reason")
    text = f"“{finding['span']['text']}”: {describe(finding)}"
    return f"{text} ({reason})" if reason else text


def _why(marks: list[Mark]) -> str:
    """The bullet's unsupported mentions explained in text under it (not only in a hover
    tooltip): for keyboard, touch and screen-reader users."""
    notes = [note for mark in marks if mark.css == "bad" for note in mark.notes]
    return f'<ul class="why">{"".join(f"<li>{escape(n)}</li>" for n in notes)}</ul>' \
        if notes else ""


def _key(prefix: str, item: dict) -> str:
    return f"{prefix}_{item['bullet_index']}_{item['span']['start']}"


def _where(model: str, item: dict) -> str:
    return f"{model} bullet {item['bullet_index'] + 1} “{item['span']['text']}”"


def _mark(span: dict, css: str, notes: list[str], key: str) -> Mark:
    return Mark(span["start"], span["end"], css, span["text"], [n for n in notes if n], [key])
