"""`summcheck regress` (the CI gate) and `summcheck baseline` (the file it gates against).

Rule, per summarizer and gated metric, with delta the change toward better averaged over
the examples both scored (current - baseline; its negative for lower-is-better metrics, so
a negative delta is always a drop; the delta printed and in verdict.json is current -
baseline as measured) and p the two-sided paired permutation test's p-value, Holm-adjusted over
every (summarizer, gated metric) row of the gate:

    regressed        delta < -max_drop and p <  alpha   -> exit 1
    not significant  delta < -max_drop and p >= alpha   -> passes, with a warning
    improved         delta > 0         and p <  alpha
    ok               anything else (a drop within max_drop, or noise)

With m differing examples no p can go below 2/2^m, nor its Holm-adjusted value below what
that gives in this gate (stats.holm_floors): where that is >= alpha (m <= 5 at 0.05 for a
gate of one row, more for larger gates) a drop beyond max_drop is "not significant" and
its line says the n is too small to gate; where no outcome on the shared examples could
fail any row, a warning says so whatever the scores (`_cannot_fail`). A gate that gates
nothing, a current run with examples but no score rows for them, or a gated metric whose
signature differs from the baseline's in method or settings (not only in library
versions; `--allow-signature-change` gates anyway) is bad input (exit 2).

Gated metrics and their allowed drops come from the current run's `regress` config section
(when its config has none, the baseline's; else RegressSpec's defaults), then `--max-drop METRIC=VALUE` replaces or adds single metrics.
Bad input (missing or unreadable files, unknown metrics, no shared examples, malformed
--max-drop) raises SummcheckError, which the CLI turns into exit 2.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from .artifacts import load_run, write_json
from .config import RegressSpec
from .errors import SummcheckError
from .metric_kinds import count_that_cannot_be_gated, direction, drop_that_cannot_fail
from .paired import (Paired, ScoreSet, changed_examples_warning, failure_lines,
                     format_interval, format_p, pair_labels, paired_delta,
                     refuse_mixed_support_methods, refuse_nothing_comparable,
                     scoreset_from_run, signature_differences, some_ids, too_small_text,
                     unknown_metric_error, without_changed_examples)
from .stats import (PERMUTATIONS, holm, holm_floors, paired_test_settings, resamples_for,
                    smallest_p)

BASELINE_FORMAT, BASELINE_VERSION = "summcheck-baseline", 1
RULE = ("regressed when delta < -max_drop and p < alpha; not significant (passes with a "
        "warning) when delta < -max_drop and p >= alpha; improved when delta > 0 and p < alpha; "
        "else ok. delta = current - baseline on shared examples, read negated for "
        "lower-is-better metrics (a rise is their drop); p = two-sided paired permutation test, Holm-adjusted over every gated "
        "(summarizer, metric) row")
OK, IMPROVED, NOT_SIGNIFICANT, REGRESSED = "ok", "improved", "not significant", "regressed"


# ---------------------------------------------------------------- baseline files
def baseline_dict(run_dir: str | Path) -> dict:
    run = load_run(run_dir)
    scores = scoreset_from_run(run)
    fingerprints = {m["label"]: m.get("fingerprint") for m in run.results["summarizers"]}
    return {
        "format": BASELINE_FORMAT, "version": BASELINE_VERSION,
        "run_name": scores.name, "spec_hash": run.results.get("spec_hash"),
        "run_finished": run.results.get("finished"),
        "signatures": scores.signatures, "bootstrap": scores.bootstrap,
        "regress": scores.regress, "examples": scores.example_hashes,
        "summarizers": {
            label: {"fingerprint": fingerprints.get(label),
                    "failed": (scores.failed or {}).get(label, []),
                    "means": {m: math.fsum(v.values()) / len(v) for m, v in per_metric.items()},
                    "values": per_metric}
            for label, per_metric in scores.values.items()},
    }


def write_baseline(run_dir: str | Path, out: str | Path) -> Path:
    out = Path(out)
    write_json(out, baseline_dict(run_dir))
    return out


def load_baseline(path: str | Path) -> ScoreSet:
    """A baseline file written by `summcheck baseline`, or a finished run folder."""
    path = Path(path)
    if path.is_dir():
        return scoreset_from_run(load_run(path))
    if not path.is_file():
        raise SummcheckError(f"{path}: baseline not found. Write one with "
                             f"`summcheck baseline RUN_FOLDER --out {path}`, or pass a run folder.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SummcheckError(f"{path}: unreadable baseline ({err}). Write it again with "
                             "`summcheck baseline`.") from err
    return _scoreset_from_baseline(data, path)


def _scoreset_from_baseline(data: object, path: Path) -> ScoreSet:
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        raise SummcheckError(f"{path}: not a summcheck baseline file (no \"format\": "
                             f"\"{BASELINE_FORMAT}\"). Write one with `summcheck baseline`.")
    if data.get("version") != BASELINE_VERSION:
        raise SummcheckError(f"{path}: baseline version {data.get('version')!r}; this summcheck "
                             f"reads version {BASELINE_VERSION}. Write it again with "
                             "`summcheck baseline`.")
    try:
        values = {label: {m: _finite_values(ids) for m, ids in s["values"].items()}
                  for label, s in data["summarizers"].items()}
        failed = {label: list(s["failed"]) for label, s in data["summarizers"].items()
                  if "failed" in s}   # baselines written before failures were recorded lack it
        return ScoreSet(name=data["run_name"], signatures=data.get("signatures", {}),
                        values=values, example_hashes=data.get("examples", {}),
                        bootstrap=data.get("bootstrap", {}), regress=data.get("regress"),
                        failed=failed if len(failed) == len(values) else None)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise SummcheckError(f"{path}: malformed baseline ({err!r}). Write it again with "
                             "`summcheck baseline`.") from err


def _finite_values(ids: dict) -> dict[str, float]:
    """An example's value, left out when it is not a number (NaN, written bare by older
    versions, or as a string), as a run folder's reader does: a NaN mean once made every
    comparison with it false, so a real drop passed the gate as "ok"."""
    values = {i: float(v) for i, v in ids.items()}
    return {i: v for i, v in values.items() if math.isfinite(v)}


# ---------------------------------------------------------------- gate settings
@dataclass(frozen=True)
class Gate:
    max_drop: dict[str, float]
    source: dict[str, str]  # metric -> where its allowed drop came from
    alpha: float


def parse_max_drop(item: str) -> tuple[str, float]:
    metric, sep, value = item.partition("=")
    try:
        drop = float(value)
    except ValueError:
        drop = float("nan")
    if not sep or not metric.strip() or not math.isfinite(drop) or drop < 0:
        raise SummcheckError(f"--max-drop {item!r}: expected METRIC=VALUE with VALUE a number "
                             ">= 0 in the metric's 0-1 units, e.g. --max-drop rouge2_f=0.01")
    return metric.strip(), drop


def gate_settings(base: ScoreSet, current: ScoreSet, cli: list[str]) -> Gate:
    if current.regress:
        config, where = current.regress, "current run's regress config"
    elif base.regress:
        config, where = base.regress, "baseline's regress config"
    else:
        config, where = RegressSpec().model_dump(), "default regress config"
    drops = {m: float(v) for m, v in config.get("max_drop", {}).items()}
    source = {m: where for m in drops}
    for item in cli:
        metric, drop = parse_max_drop(item)
        drops[metric], source[metric] = drop, "--max-drop"
    for metric, drop in drops.items():   # a run or baseline of an older version: unchecked
        reason = drop_that_cannot_fail(metric, drop)
        if reason:
            raise SummcheckError(f"{reason} ({source[metric]}).")
    return Gate(drops, source, float(config.get("alpha", 0.05)))


def _check_metrics(gate: Gate, base: ScoreSet, current: ScoreSet) -> None:
    known = base.metrics() | current.metrics() | set(RegressSpec().max_drop)
    for metric in gate.max_drop:
        if metric not in known:
            raise unknown_metric_error(metric, known, gate.source[metric])
        if (reason := count_that_cannot_be_gated(metric)) is not None:
            raise SummcheckError(f"{metric} ({gate.source[metric]}) {reason}.")


# ---------------------------------------------------------------- the gate
@dataclass(frozen=True)
class GateRow:
    summarizer: str
    baseline_summarizer: str
    metric: str
    n_shared: int
    only_baseline: int
    only_current: int
    baseline_mean: float
    current_mean: float
    delta: float  # current - baseline
    low: float
    high: float
    p_value: float     # two-sided paired permutation test
    p_adjusted: float  # Holm over every row of the gate
    n_differ: int      # shared examples whose values differ
    min_p: float       # smallest p those n_differ examples can give
    min_p_adjusted: float  # its Holm-adjusted value in this gate (stats.holm_floors)
    family: int        # rows in the gate's Holm family
    test: str          # "exact" or "approximate"
    allowed_drop: float
    verdict: str


def verdict(metric: str, delta: float, p_value: float, allowed: float, alpha: float) -> str:
    """The rule, with p_value the Holm-adjusted p. A drop equal to the allowed one is
    within it, to float rounding: a mean of differences that are all -0.01 can come out
    as -0.010000000000000004."""
    change = direction(metric) * delta  # negative = worse
    if not (math.isfinite(change) and math.isfinite(p_value)):
        raise SummcheckError(f"{metric}: delta {delta} or p {p_value} is not a number, so the "
                             "gate cannot decide. Re-run and write the baseline again.")
    if change < -allowed and not math.isclose(change, -allowed, rel_tol=1e-9, abs_tol=1e-12):
        return REGRESSED if p_value < alpha else NOT_SIGNIFICANT
    if change > 0 and p_value < alpha:
        return IMPROVED
    return OK


def gate_rows(base: ScoreSet, current: ScoreSet, gate: Gate) -> tuple[list[GateRow], list[str]]:
    labels = pair_labels(base, current)
    if not labels:
        raise SummcheckError(f"no summarizer in common: baseline has {', '.join(base.labels())}; "
                             f"current run has {', '.join(current.labels())}.")
    boot = {"n_bootstrap": int(base.bootstrap.get("n", 1000)),
            "seed": int(base.bootstrap.get("seed", 0)), "confidence": 1 - gate.alpha,
            "max_resamples": max_resamples(labels, gate)}
    measured, notes = [], []
    present = base.metrics() | current.metrics()
    notes += [f"SKIPPED {m}: in neither run (its check is off); not gated"
              for m in gate.max_drop if m not in present]
    for label_b, label_c in labels:
        for metric, allowed in gate.max_drop.items():
            if metric not in present:
                continue
            vb, vc = base.values[label_b].get(metric), current.values[label_c].get(metric)
            if not vb:
                notes.append(f"WARNING: {label_c} {metric}: not in the baseline, so not gated "
                             "(update the baseline to gate it)")
                continue
            if not vc:
                raise SummcheckError(
                    f"{label_c} {metric}: gated and in the baseline, but the current run has no "
                    "values for it. Turn its check back on, or remove it from regress.max_drop.")
            paired = _paired(label_c, metric, vb, vc, boot)
            measured.append((label_b, label_c, metric, allowed, paired))
    raw = [paired.result.p_value for *_, paired in measured]
    adjusted = holm(raw)
    floors = holm_floors(raw, [paired.result.test.min_p for *_, paired in measured])
    rows = [_gate_row(*item, p_adj, floor, len(measured), gate.alpha)
            for item, p_adj, floor in zip(measured, adjusted, floors)]
    return rows, notes


def max_resamples(labels: list[tuple[str, str]], gate: Gate) -> int:
    """How far a test may draw (stats.resamples_for): the gate has at most one row per
    (summarizer, gated metric)."""
    return resamples_for(len(labels) * len(gate.max_drop), gate.alpha)


def _paired(label_c: str, metric: str, vb: dict, vc: dict, boot: dict) -> Paired:
    paired = paired_delta(vb, vc, **boot)
    if paired.n_shared == 0:
        raise SummcheckError(f"{label_c} {metric}: the baseline and the current run share no "
                             "examples, so nothing can be compared. Run the same dataset.")
    return paired


def _gate_row(label_b: str, label_c: str, metric: str, allowed: float, paired: Paired,
              p_adjusted: float, floor: float, family: int, alpha: float) -> GateRow:
    r = paired.result
    return GateRow(label_c, label_b, metric, paired.n_shared, paired.only_a, paired.only_b,
                   paired.mean_a, paired.mean_b, r.delta, r.low, r.high, r.p_value, p_adjusted,
                   r.test.n_nonzero, r.test.min_p, floor, family, r.test.method, allowed,
                   verdict(metric, r.delta, p_adjusted, allowed, alpha))


# signatures of a run that are no metric or check (runner._signatures)
_NOT_MEASURES = {"aggregation", "bullets", "environment"}


def refuse_unscored_examples(base: ScoreSet, current: ScoreSet, run_dir: str | Path) -> None:
    """An example the current run lists (examples.jsonl) and the baseline scored, with no
    score row for a summarizer (a failed summary has one): the run folder is damaged, and
    gating only the rest could hide exactly the examples that got worse. A run that
    measured nothing has no score row either: it was called damaged."""
    if not set(current.signatures) - _NOT_MEASURES:
        raise SummcheckError(
            f"{run_dir}: the run measured nothing (its config turned every metric and check "
            "off), so it has no score to gate. Turn the gated metrics on in `metrics:` and "
            "`checks:` and run again.")
    listed = set(current.example_hashes)
    for label_b, label_c in pair_labels(base, current):
        scored_b = set().union(*base.values[label_b].values())
        scored_c = set().union(*current.values[label_c].values())
        missing = (scored_b & listed) - scored_c
        if missing:
            raise SummcheckError(
                f"{Path(run_dir) / 'scores.jsonl'}: {label_c} has no score row for "
                f"{len(missing)} example(s) the run lists and the baseline scored"
                f"{some_ids(missing)}. The run folder is damaged; run `summcheck run` again "
                "into a new --out folder before gating.")


def _example_lines(base: ScoreSet, current: ScoreSet) -> list[str]:
    ids_b, ids_c = set(base.example_hashes), set(current.example_hashes)
    out = []
    if ids_b - ids_c:
        out.append(f"WARNING: {len(ids_b - ids_c)} baseline example(s) missing from the current "
                   f"run{some_ids(ids_b - ids_c)}: not gated ({len(ids_b & ids_c)} shared)")
    if ids_c - ids_b:
        out.append(f"note: {len(ids_c - ids_b)} example(s) of the current run are not in the "
                   f"baseline{some_ids(ids_c - ids_b)}: not gated")
    return out + changed_examples_warning(base, current)


def _label_lines(base: ScoreSet, current: ScoreSet) -> list[str]:
    pairs = pair_labels(base, current)
    gone = [lab for lab in base.labels() if lab not in {b for b, _ in pairs}]
    new = [lab for lab in current.labels() if lab not in {c for _, c in pairs}]
    return ([f"WARNING: summarizer {lab} is in the baseline but not in the current run: "
             "not gated" for lab in gone]
            + [f"note: summarizer {lab} is not in the baseline: not gated" for lab in new])


def format_row(row: GateRow, alpha: float) -> str:
    name = row.summarizer if row.summarizer == row.baseline_summarizer else \
        f"{row.baseline_summarizer} -> {row.summarizer}"
    word = "drop" if direction(row.metric) > 0 else "rise"
    line = (f"{row.verdict.upper()} {name} {row.metric}: {row.baseline_mean:.3f} -> "
            f"{row.current_mean:.3f} (delta {row.delta:+.3f} "
            f"{format_interval(row.low, row.high, row.n_shared)}, p={format_p(row.p_value)}, "
            f"Holm p={format_p(row.p_adjusted)}, allowed {word} {row.allowed_drop:.3f}, "
            f"n={row.n_shared})")
    if row.verdict == NOT_SIGNIFICANT and row.min_p_adjusted >= alpha:
        small = too_small_text(row.n_shared, row.n_differ, row.min_p, alpha,
                               row.min_p_adjusted, row.family)
        line += f": beyond the allowed {word} but {small}: cannot fail the gate; passes"
    elif row.verdict == NOT_SIGNIFICANT:
        line += f": beyond the allowed {word} but not significant at alpha={alpha:g}; passes"
    return line


def significance_settings(base: ScoreSet, most: int = PERMUTATIONS) -> dict:
    return paired_test_settings(int(base.bootstrap.get("seed", 0)), most)


def run_regress(current_run_dir: str | Path, *, baseline: str | Path, max_drop: list[str],
                out: str | Path | None = None, echo: Callable[[str], object] = print,
                allow_signature_change: bool = False) -> int:
    """Gate the current run against the baseline; print one line per (summarizer, metric);
    return 0 (nothing regressed) or 1 (something regressed). A gated metric whose
    signature differs from the baseline's is an error unless `allow_signature_change`."""
    current = scoreset_from_run(load_run(current_run_dir))
    base = load_baseline(baseline)
    gate = gate_settings(base, current, list(max_drop))
    _check_metrics(gate, base, current)
    refuse_mixed_support_methods(
        base, current, list(gate.max_drop),
        leave_out="of the gate: give the run's config a `regress: max_drop` without them; "
                  f"the default gates {', '.join(RegressSpec().max_drop)}")
    refuse_unscored_examples(base, current, current_run_dir)
    refuse_nothing_comparable(base, current)
    rows, notes = gate_rows(*without_changed_examples(base, current), gate)
    if not rows:
        raise SummcheckError(
            "nothing was gated: no gated metric has values in both the baseline and the "
            f"current run ({'; '.join(notes) or 'see the metrics above'}). A gate that "
            "checks nothing cannot pass; write the baseline again with `summcheck baseline`, "
            "or gate metrics both runs have (--max-drop METRIC=VALUE).")
    gated = list(dict.fromkeys(row.metric for row in rows))
    mismatched, versions = signature_differences(base, current, gated)
    if mismatched and not allow_signature_change:
        raise _incomparable(mismatched)
    most = max_resamples(pair_labels(base, current), gate)
    vacuous = _cannot_fail(rows, gate.alpha, most)
    warnings = (mismatched + versions + vacuous + _example_lines(base, current)
                + _label_lines(base, current)
                + failure_lines(base, current, pair_labels(base, current)) + notes)
    counts = {v: sum(row.verdict == v for row in rows)
              for v in (OK, IMPROVED, NOT_SIGNIFICANT, REGRESSED)}
    code = 1 if counts[REGRESSED] else 0
    if out:     # first: a reader that stops reading the lines must not cost the verdict
        write_json(Path(out), {**_verdict_json(base, current, gate, rows, warnings, counts,
                                               code, most), "can_fail": not vacuous})
    n_bootstrap = int(base.bootstrap.get("n", 1000))
    test = significance_settings(base, most)["name"]
    echo(f"summcheck regress: {current.name} against baseline {base.name} "
         f"(alpha={gate.alpha:g}; p: {test}, Holm-adjusted over "
         f"{len(rows)} gated rows; intervals: paired bootstrap n={n_bootstrap})")
    for line in warnings:
        echo(line)
    for row in rows:
        echo(format_row(row, gate.alpha))
    echo(", ".join(f"{n} {v}" for v, n in counts.items())
         + (": FAIL (exit 1)" if code else
            ": PASS, but this gate could not have failed (see the warning)" if vacuous
            else ": PASS"))
    return code


def _cannot_fail(rows: list[GateRow], alpha: float, most: int) -> list[str]:
    """A warning when no outcome on the examples the gate has could fail any row: its best
    case, every shared example of its largest row dropping, gives a p whose Holm
    adjustment over the gate is still >= alpha. Such a gate printed a bare PASS (unless a
    row happened to drop beyond its allowed drop), which reads as a check that was made.
    Based on the shared examples, not on those that differ: a run whose scores equal the
    baseline's could have failed."""
    family, shared = len(rows), max(row.n_shared for row in rows)
    best = smallest_p(shared, most)
    if family * best < alpha:
        return []
    need = next(m for m in range(shared, 2000) if family * smallest_p(m, most) < alpha)
    return [f"WARNING: this gate cannot fail: no row has more than {shared} shared "
            f"example(s), and no outcome on {shared} gives a p below {best:.2g}, "
            f"{min(1.0, family * best):.2g} after Holm over {family} gated rows (>= alpha "
            f"{alpha:g}). Gate on at least {need} examples, or gate fewer metrics."]


def _incomparable(mismatched: list[str]) -> SummcheckError:
    """A gate across differing signatures would pass or fail on a change of measure (a
    rules version, stemming, a tokenizer), not of the summaries: refused, where it once
    gated with a warning (a PASS that meant nothing)."""
    return SummcheckError(
        "the baseline and the current run measure gated metrics differently: "
        + "; ".join(line.removeprefix("WARNING: ") for line in mismatched)
        + ". Write the baseline again from a run of this summcheck and config (`summcheck "
        "baseline RUN_DIR --out BASELINE`), or gate anyway with --allow-signature-change.")


def _verdict_json(base: ScoreSet, current: ScoreSet, gate: Gate, rows: list[GateRow],
                  warnings: list[str], counts: dict, code: int, most: int) -> dict:
    return {
        "format": "summcheck-regress-verdict", "version": 1,
        "passed": code == 0, "exit_code": code,
        "current": current.name, "baseline": base.name, "rule": RULE,
        "alpha": gate.alpha, "max_drop": gate.max_drop, "max_drop_source": gate.source,
        "bootstrap": {"n": int(base.bootstrap.get("n", 1000)),
                      "seed": int(base.bootstrap.get("seed", 0)), "confidence": 1 - gate.alpha},
        "test": {**significance_settings(base, most), "family": len(rows)},
        "counts": counts, "warnings": warnings, "rows": [asdict(row) for row in rows],
    }
