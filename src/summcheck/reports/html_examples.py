"""The per-example part of the HTML report: one sortable row per example, expanding to the
story, the reference highlights and every model's bullets with the findings highlighted.

Bullets: unsupported mentions in red, each explained in a line under its bullet (kind,
"did you mean ...?"), readable without a mouse; supported ones underlined green. Story: the closest candidates of unsupported mentions in amber, the spans
that support a summary mention in green. Hovering a bullet mark outlines its story spans.
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from ..artifacts import RunData
from ..paired import example_hash
from ..run_rows import id_key, same_order
from ..scratch import blocks
from .findings import describe
from .highlight import Mark, merge, render
from .model_table import Model, fmt

EXAMPLE_METRIC = "rougeLsum_f"   # the per-example column's metric when the runs measured it
MAX_EXAMPLES = 300


def examples_table(runs: Sequence[RunData], models: Sequence[Model],
                   max_examples: int = MAX_EXAMPLES, metric: str | None = EXAMPLE_METRIC) -> str:
    """The per-example table: at most `max_examples` examples, those with the most
    findings and failed summaries first (then in run order), with a note saying how many
    are left out; each model's column shows `metric` (`example_metric`; None: only its
    findings). The run files are streamed: only the shown examples' texts are held."""
    shown, n_examples = _pick(runs, models, max_examples)
    wanted = set(shown)
    where = {m.name: _rows_of(m.rows, wanted) for m in models}
    examples: dict[bytes, dict[str, Any]] = {}   # the first run's text wins; marks whose
    for run in runs:                             # offsets do not fit it are left out
        _example_texts(run, [m for m in models if m.run is run], where, wanted, examples)
    keep = {examples[k]["id"] for k in shown if k in examples}
    summaries, checks = {}, {}
    for run in {id(m.run): m.run for m in models}.values():   # one read of a file per run
        of_run = [m for m in models if m.run is run]
        _collect(run, run.summaries, of_run, where, keep, summaries)
        _collect(run, run.checks, of_run, where, keep, checks)
    head = "".join(
        ['<th data-key="example">example</th><th data-key="title">title</th>',
         '<th class="num" data-key="findings">findings</th>']
        + [f'<th class="num" data-key="m{i}">{escape(m.name)}{_metric_note(metric)}</th>'
           for i, m in enumerate(models)])
    bodies = [_example_body(examples[key], models, summaries, checks, metric,
                            _values(models, where, key, metric), _failed(models, where, key),
                            _other_texts(runs, models, examples[key]))
              for key in shown if key in examples]
    note = "" if len(shown) == n_examples else (
        f'<p class="warning">Showing {len(shown)} of {n_examples} examples, those with '
        "the most findings and failed summaries. Every example's scores are in scores.csv; "
        "findings in the run folder's checks.jsonl. To show more, raise "
        "report.html_max_examples in the config, or write the report again with "
        "<code>summcheck report RUN_DIR --max-examples N</code>.</p>")
    return (note + f'<table id="examples" class="sortable grouped"><thead><tr>{head}'
            f'</tr></thead>' + "".join(bodies) + "</table>")


def _pick(runs: Sequence[RunData], models: Sequence[Model],
          max_examples: int) -> tuple[list[bytes], int]:
    """(the keys of the examples to show, in display order; the number of examples).
    Models whose rows line up (one run, the common case) are summed a block of rows at a
    time; otherwise every example is placed by its key."""
    first = models[0].rows if models else None
    if first is not None and len(first) and all(same_order(first, m.rows) for m in models):
        keys = first.keys
        scored = ((s.start, sum(m.rows.findings[s] + m.rows.failed[s] for m in models))
                  for s in blocks(len(keys)))
    else:
        keys, bad = _placed(runs, models)
        scored = iter([(0, bad)])
    if len(keys) <= max_examples:
        return [keys[i].tobytes() for i in range(len(keys))], len(keys)
    return [keys[i].tobytes() for i in _most(scored, max_examples)], len(keys)


def _placed(runs: Sequence[RunData], models: Sequence[Model]) -> tuple[np.ndarray, np.ndarray]:
    """(every run's example keys in run order, deduplicated; findings + failed summaries of
    each), matched by key."""
    order = dict.fromkeys(id_key(e["id"]) for run in runs for e in run.examples)
    position = {key: i for i, key in enumerate(order)}
    keys = np.frombuffer(b"".join(order), np.uint64).reshape(-1, 2)
    bad = np.zeros(len(keys), np.int64)
    for model in models:
        rows = model.rows
        for i in range(len(rows)):
            at = position.get(rows.keys[i].tobytes())
            if at is not None:
                bad[at] += int(rows.findings[i]) + int(rows.failed[i])
    return keys, bad


def _most(scored: Iterator[tuple[int, np.ndarray]], k: int) -> list[int]:
    """The positions of the k largest values, ties in position order, from blocks
    (start, values): only k candidates are held between blocks."""
    best = np.zeros(0, np.int64), np.zeros(0, np.int64)   # (values, positions)
    for start, values in scored:
        top = np.argsort(-values, kind="stable")[:k]
        merged_values = np.concatenate([best[0], values[top]])
        merged_positions = np.concatenate([best[1], top + start])
        keep = np.lexsort((merged_positions, -merged_values))[:k]
        best = merged_values[keep], merged_positions[keep]
    return [int(i) for i in best[1]]


def _rows_of(rows, wanted: set[bytes]) -> dict[bytes, int]:
    """{key: row} of the `wanted` keys in one model's rows, found a block at a time."""
    if not wanted or not len(rows):
        return {}
    high = np.frombuffer(b"".join(k[:8] for k in wanted), np.uint64)   # as rows.keys holds them
    found = {}
    for s in blocks(len(rows)):
        for i in np.flatnonzero(np.isin(rows.keys[s, 0], high)) + s.start:
            key = rows.keys[i].tobytes()
            if key in wanted:
                found[key] = int(i)
    return found


# The runner writes examples.jsonl in the run's example order, and summaries.jsonl,
# scores.jsonl and checks.jsonl each with one label's rows together, in that order: so an
# example's line in each file follows from its row in scores.jsonl. Lines found that way
# are checked (id, summarizer); whatever is not found there is looked for by a scan.

def _example_texts(run: RunData, models: Sequence[Model], where: dict, wanted: set[bytes],
                   into: dict[bytes, dict]) -> None:
    """The `wanted` examples' rows of examples.jsonl that `into` does not hold yet."""
    rows = where[models[0].name] if models else {}
    lines = {rows[key]: key for key in wanted - into.keys() if key in rows}
    for number, row in _rows_at(run.examples, lines).items():
        if isinstance(row, dict) and isinstance(row.get("id"), str) \
                and id_key(row["id"]) == lines[number]:
            into.setdefault(lines[number], row)
    missing = wanted - into.keys()
    if missing:
        for example in _rows_where(run.examples, "id",
                                   lambda v: isinstance(v, str) and id_key(v) in missing):
            into.setdefault(id_key(example["id"]), example)


def _collect(run: RunData, rows: Iterable[dict], models: Sequence[Model], where: dict,
             keep: set[str], into: dict) -> None:
    """The rows of the shown examples (ids `keep`), by (model name, example id)."""
    first, lines = 0, {}
    for label, label_rows in run.rows().labels.items():
        model = next((m for m in models if m.label == label), None)
        if model is not None:
            lines.update((first + i, (model, key)) for key, i in where[model.name].items())
        first += len(label_rows)
    expected = {(m.name, i) for m in models for i in keep}
    for number, row in _rows_at(rows, lines).items():
        model, key = lines[number]
        if isinstance(row, dict) and row.get("summarizer") == model.label and \
                isinstance(row.get("example_id"), str) and id_key(row["example_id"]) == key:
            into[(model.name, row["example_id"])] = row
    missing = {i for name, i in expected if (name, i) not in into}
    names = {m.label: m.name for m in models}
    for row in _rows_where(rows, "example_id", lambda v: v in missing) if missing else ():
        name = names.get(row["summarizer"])
        if name is not None:
            into[(name, row["example_id"])] = row


def _rows_at(rows: Iterable[dict], lines: dict[int, Any]) -> dict[int, Any]:
    """The rows on those lines of a run file (JsonlRows.at); none for rows in memory."""
    return rows.at(lines) if hasattr(rows, "at") and lines else {}


def _rows_where(rows: Iterable[dict], name: str, keep) -> Iterator[dict]:
    """The rows whose `name` passes `keep`: a run file's rows read in full only then
    (JsonlRows.where), rows in memory (tests) filtered."""
    if hasattr(rows, "where"):
        return rows.where(name, keep)
    return (row for row in rows if keep(row.get(name)))


def example_metric(runs: Sequence[RunData], models: Sequence[Model]) -> str | None:
    """The metric of the per-example columns: rougeLsum_f when a model has it, else the F
    of the first ROUGE type the runs' configs name that a model has, else any ROUGE F;
    None without ROUGE. One every model has comes first (runs of other ROUGE types).
    The column showed rougeLsum_f always: a run configured without it showed "–" for
    every example, under a legend naming rougeLsum_f."""
    each = [set(model.rows.names) for model in models]
    measured = set().union(*each)
    configured = [f"{t}_f" for run in runs for t in _rouge_types(run)]
    rouge = sorted(m for m in measured if m.startswith("rouge") and m.endswith("_f"))
    candidates = [m for m in [EXAMPLE_METRIC, *configured, *rouge] if m in measured]
    return next((m for m in candidates if all(m in names for names in each)),
                candidates[0] if candidates else None)


def _rouge_types(run: RunData) -> list[str]:
    metrics = (run.spec.get("spec") or {}).get("metrics") or {}
    return list((metrics.get("rouge") or {}).get("types") or [])


def _metric_note(metric: str | None) -> str:
    """What a model's column shows besides its findings, under its name."""
    return f'<span class="ci">{escape(metric)} x100</span>' if metric else ""


def _values(models: Sequence[Model], where: dict, key: bytes,
            metric: str | None) -> dict[str, float | None]:
    out = {}
    for model in models:
        row = where[model.name].get(key)
        value = None if row is None or metric is None else \
            float(model.rows.column(metric)[row])
        out[model.name] = None if value is None or math.isnan(value) else value
    return out


def _failed(models: Sequence[Model], where: dict, key: bytes) -> int:
    """The number of models whose summary of the example failed."""
    return sum(bool(m.rows.failed[row]) for m in models
               if (row := where[m.name].get(key)) is not None)


def _other_texts(runs: Sequence[RunData], models: Sequence[Model],
                 example: dict) -> dict[str, str]:
    """{model name: its run's name} of the models whose run holds this example id with
    another story or reference highlights than the one shown (the first run's). Their
    bullets were written from, and scored and checked against, a text the page does not
    show: several runs' reports showed them under the first run's story as if written
    from it."""
    if len({id(run) for run in runs}) < 2:
        return {}
    shown = example_hash(example)
    return {m.name: m.run.name for m in models
            if m.run.example_hashes().get(example["id"], shown) != shown}


def _example_body(example: dict, models: Sequence[Model], summaries: dict, checks: dict,
                  metric: str | None, values: dict[str, float | None], n_failed: int,
                  other_texts: dict[str, str]) -> str:
    eid = example["id"]
    rows = {m.name: checks.get((m.name, eid)) or {"findings": [], "supported": []}
            for m in models}
    n_findings = sum(len(r["findings"]) for r in rows.values())
    anchor = example_anchor(eid)
    cells = [f'<td data-sort="{escape(eid)}"><a href="#{anchor}">{escape(eid)}</a></td>',
             f'<td>{escape(example.get("title") or "")}</td>',
             f'<td class="num" data-sort="{n_findings}">{_badge(n_findings)}</td>']
    for model in models:
        value = values[model.name]
        shown = "" if metric is None else "–" if value is None else fmt(value, metric)
        summary = summaries.get((model.name, eid)) or {}
        flag = ' <span class="failed">failed</span>' if summary.get("error") else ""
        cells.append(f'<td class="num" data-sort="{"" if value is None else value}">'
                     f'{shown} {_badge(len(rows[model.name]["findings"]))}{flag}</td>')
    detail = _detail(example, models, summaries, rows, other_texts)
    return (f'<tbody class="ex" id="{anchor}" data-findings="{n_findings}" '
            f'data-failed="{n_failed}"><tr>{"".join(cells)}</tr><tr class="detail">'
            f'<td colspan="{len(cells)}"><details{" open" if n_findings or n_failed else ""}>'
            f'<summary>story, reference and bullets</summary>{detail}</details></td></tr>'
            '</tbody>')


def example_anchor(example_id: str) -> str:
    """The example's element id and link fragment, "ex-" and the id with every character
    but ASCII letters, digits, "-", "_" and "." written as "~<hex code>~" ("a b" gives
    "ex-a~20~b"). An id with a space or "#" made an invalid element id and a link the
    browser sent percent-encoded, which found no element; "~" is written so too, so two
    ids never share an anchor."""
    return "ex-" + _UNSAFE.sub(lambda m: f"~{ord(m.group()):x}~", example_id)


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _badge(n: int) -> str:
    return f'<span class="badge" title="findings">{n}</span>' if n else ""


def _detail(example: dict, models: Sequence[Model], summaries: dict, rows: dict,
            other_texts: dict[str, str]) -> str:
    story_marks: list[Mark] = []
    parts = ["<h4>Reference highlights</h4><ul>"
             + "".join(f"<li>{escape(b)}</li>" for b in example.get("reference_bullets", []))
             + "</ul>"]
    for i, model in enumerate(models):
        bullet_marks, marks_in_story = _marks(rows[model.name], f"k{i}", model.name)
        note = ""
        if model.name in other_texts:   # its story marks point into a text not shown
            note = (f'<p class="warning">{escape(other_texts[model.name])} has another story '
                    "or reference highlights under this id: these bullets were written "
                    "from, scored and checked against that text, not the one shown</p>")
        else:
            story_marks += marks_in_story
        summary = summaries.get((model.name, example["id"]))
        parts.append(f"<h4>{escape(model.name)}</h4>{note}{_bullets(summary, bullet_marks)}")
    story_marks.sort(key=lambda m: m.css != "cand")   # amber candidates style a shared span
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
    """Links one bullet mention to its story spans: by check, bullet and the whole span.
    By bullet and start alone, an entity finding ("Merkel") and a relation finding
    starting there ("Merkel was arrested") shared a key, so hovering one outlined the
    other's story sentence as its own."""
    span = item["span"]
    return f"{prefix}_{item['check']}_{item['bullet_index']}_{span['start']}_{span['end']}"


def _where(model: str, item: dict) -> str:
    return f"{model} bullet {item['bullet_index'] + 1} “{item['span']['text']}”"


def _mark(span: dict, css: str, notes: list[str], key: str) -> Mark:
    return Mark(span["start"], span["end"], css, span["text"], [n for n in notes if n], [key])
