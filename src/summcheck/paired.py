"""What compare and regress share: per-example score sets, pairing and paired deltas.

A ScoreSet is one side of a comparison: a finished run folder or a baseline file, reduced
to {summarizer label: {metric: {example_id: value}}} plus the run's signatures and example
content hashes. Every difference is computed on the examples both sides share.
"""

from __future__ import annotations

import re

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from decimal import ROUND_FLOOR, Decimal

from .artifacts import RunData
from .errors import SummcheckError
from .metric_kinds import closest_metric
from .stats import PairedResult, paired_test

HEADLINE_METRICS = ("rouge1_f", "rouge2_f", "rougeLsum_f", "consistency")

Values = dict[str, float]  # example_id -> value


@dataclass(frozen=True)
class ScoreSet:
    name: str
    signatures: dict[str, str]
    values: dict[str, dict[str, Values]]  # label -> metric -> {example_id: value}
    example_hashes: dict[str, str]  # example_id -> hash of story + reference bullets
    bootstrap: dict = field(default_factory=dict)  # {n, seed, confidence}
    regress: dict | None = None  # the run spec's regress section {max_drop, alpha}
    failed: dict[str, list[str]] | None = None  # label -> ids of failed summaries (None: unknown)

    def labels(self) -> list[str]:
        return list(self.values)

    def metrics(self) -> set[str]:
        return {m for per_metric in self.values.values() for m in per_metric}


def example_hash(example: dict) -> str:
    content = json.dumps([example.get("story"), example.get("reference_bullets")])
    return hashlib.sha256(content.encode()).hexdigest()[:12]


def scoreset_from_run(run: RunData) -> ScoreSet:
    values: dict[str, dict[str, Values]] = {label: {} for label in run.labels()}
    failed: dict[str, list[str]] = {label: [] for label in run.labels()}
    for number, row in enumerate(run.scores, 1):
        try:
            label, example_id, scores = row["summarizer"], row["example_id"], row["scores"]
            numbers = {m: float(v) for m, v in (scores or {}).items() if v is not None}
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise SummcheckError(
                f"{run.run_dir / 'scores.jsonl'}: score row {number} is damaged ({err!r}); "
                "each row needs summarizer, example_id and scores. Re-run `summcheck run` "
                "into a new --out folder.") from err
        per_metric = values.setdefault(label, {})
        if row.get("error"):
            failed.setdefault(label, []).append(example_id)
        for metric, value in numbers.items():
            if math.isfinite(value):
                per_metric.setdefault(metric, {})[example_id] = value
    spec = run.spec.get("spec", {})
    return ScoreSet(
        name=run.name, signatures=run.results.get("signatures", {}), values=values,
        example_hashes=run.example_hashes(),
        bootstrap=spec.get("bootstrap", {}), regress=spec.get("regress"), failed=failed)


def failure_lines(a: ScoreSet, b: ScoreSet, labels: list[tuple[str, str]]) -> list[str]:
    """One line per compared summarizer with failed summaries on either side: a failure
    scores 0 on every rate, so a drop may be failures rather than worse summaries."""
    out = []
    for label_a, label_b in labels:
        fa = None if a.failed is None else a.failed.get(label_a, [])
        fb = None if b.failed is None else b.failed.get(label_b, [])
        if not fa and not fb:
            continue
        name = label_a if label_a == label_b else f"{label_a} -> {label_b}"
        count = lambda f: "unknown" if f is None else str(len(f))  # noqa: E731
        shown = some_ids(set(fb or fa or []))
        level = "WARNING" if fb and len(fb) > len(fa or []) else "note"
        out.append(f"{level}: {name}: failed summaries (each scores 0 on every rate): "
                   f"{count(fa)} in {a.name}, {count(fb)} in {b.name}{shown}")
    return out


def pair_labels(a: ScoreSet, b: ScoreSet) -> list[tuple[str, str]]:
    """Summarizers to compare: those in both; or the only one of each when labels differ."""
    shared = [label for label in a.labels() if label in b.values]
    if not shared and len(a.values) == 1 and len(b.values) == 1:
        return [(a.labels()[0], b.labels()[0])]
    return [(label, label) for label in shared]


def unknown_metric_error(metric: str, known: set[str], where: str) -> SummcheckError:
    close = closest_metric(metric, known)
    hint = f" Did you mean '{close}'?" if close else ""
    return SummcheckError(f"unknown metric '{metric}' ({where}).{hint} "
                          f"Known metrics: {', '.join(sorted(known))}.")


@dataclass(frozen=True)
class Paired:
    """One (summarizer, metric) difference b - a on the shared examples."""

    n_shared: int
    only_a: int
    only_b: int
    mean_a: float
    mean_b: float
    result: PairedResult


def paired_delta(a: Values, b: Values, *, n_bootstrap: int, seed: int,
                 confidence: float, max_resamples: int | None = None) -> Paired:
    shared = sorted(set(a) & set(b))
    xs, ys = [a[i] for i in shared], [b[i] for i in shared]
    result = paired_test(xs, ys, n_bootstrap=n_bootstrap, seed=seed, confidence=confidence,
                         max_resamples=max_resamples)
    nan = float("nan")   # fsum: exactly rounded, so the same for the ids in any order
    return Paired(len(shared), len(set(a) - set(b)), len(set(b) - set(a)),
                  math.fsum(xs) / len(xs) if xs else nan,
                  math.fsum(ys) / len(ys) if ys else nan, result)


def signature_warnings(a: ScoreSet, b: ScoreSet, metrics: list[str]) -> list[str]:
    """A loud line for each signature family that moves `metrics` and differs between
    runs: `signature_differences`, the incomparable first."""
    incomparable, versions = signature_differences(a, b, metrics)
    return incomparable + versions


def signature_differences(a: ScoreSet, b: ScoreSet, metrics: list[str]
                          ) -> tuple[list[str], list[str]]:
    """(lines of signature families that differ in method or settings: the numbers are
    NOT comparable; lines of those that differ only in library versions, `_LIBRARY`:
    the same method, numbers that may differ in their last digits). regress refuses the
    first kind, not the second: a new numpy release would otherwise stop every gate."""
    moved: dict[str, list[str]] = {"bullets": list(metrics)}
    for metric in metrics:
        for family in signature_families(metric):
            moved.setdefault(family, []).append(metric)
    incomparable, versions = [], []
    for family, family_metrics in sorted(moved.items()):
        sig_a, sig_b = a.signatures.get(family), b.signatures.get(family)
        if _same_numbers(family, sig_a, sig_b) or not family_metrics:
            continue
        names = ", ".join(family_metrics)
        if sig_a is None or sig_b is None:
            incomparable.append(f"WARNING: {names} NOT comparable: the {family} signature is "
                                f"only in {a.name if sig_b is None else b.name}")
            continue
        only_a, only_b = _sig_parts_diff(sig_a, sig_b)
        if _same_numbers(family, _without_libraries(sig_a), _without_libraries(sig_b)):
            versions.append(f"WARNING: {names} measured with other library versions: "
                            f"{family}: {a.name} has {only_a} where {b.name} has {only_b} "
                            "(the same method; numbers may differ in their last digits)")
        else:
            incomparable.append(f"WARNING: {names} NOT comparable: {family} signatures "
                                f"differ: {a.name} has {only_a} where {b.name} has {only_b}")
    return incomparable, versions


# Signature parts that name a library's version, not a method or setting of summcheck.
_LIBRARY = re.compile(r"(?:numpy|scipy|tokenizers|safetensors|torch|transformers|nltk)-\d[\w.+]*"
                      r"|spacy=\d[\w.]*\+thinc-\d[\w.]*")


def _without_libraries(sig: str) -> str:
    return "|".join(part for part in sig.split("|") if not _LIBRARY.fullmatch(part))


# Parts of a signature that do not move the numbers of a metric both runs have: which of
# two implementations that give identical numbers ran, recorded, not compared (ROUGE:
# rouge-score-rs against rouge_score to 1e-9, tests/test_rouge_backend.py; the support
# check's Porter stems: rouge-score-rs's against nltk's, test_support_stemmer.py), and
# the list of ROUGE types measured: adding rougeL to a config leaves rouge1 as it was.
_SAME_IMPLS = {
    "rouge": re.compile(r"^rouge:[^|]*|\|impl:(?:rouge-score-rs-[^|]+|rouge_score-[^|]+"
                        r"\|nltk-[^|]+)"),
    "support": re.compile(r"(?<=\|stem:porter\()(?:rouge-score-rs|nltk)-[^)|]+(?=\))"),
}


def _same_numbers(family: str, sig_a: str | None, sig_b: str | None) -> bool:
    impl = _SAME_IMPLS.get(family)
    if impl is not None and sig_a and sig_b:
        return impl.sub("", sig_a) == impl.sub("", sig_b)
    return sig_a == sig_b


def differing_families(sigs_a: dict[str, str], sigs_b: dict[str, str], metric: str) -> list[str]:
    """The signature families that move `metric` and differ between two runs' signatures
    in method or settings: library versions alone do not, as in regress
    (`signature_differences`)."""
    return [f for f in dict.fromkeys(("bullets",) + signature_families(metric))
            if not _same_numbers(f, method_of(sigs_a.get(f)), method_of(sigs_b.get(f)))]


def method_of(sig: str | None) -> str | None:
    """A signature without its library versions (`_LIBRARY`)."""
    return None if sig is None else _without_libraries(sig)


def consistency_method(signatures: dict[str, str]) -> str:
    """The story-support method inside a run's `consistency` ("none" without one)."""
    match = re.search(r"\bmethod=([^|]+)", signatures.get("support", ""))
    return match.group(1) if match else "none"


def refuse_mixed_support_methods(a: ScoreSet, b: ScoreSet, metrics: list[str], *,
                                 leave_out: str = "--metric rouge2_f ...") -> None:
    """`consistency` and the support scores of two runs scored with different support
    methods (the default's `auto` resolves by what is installed) measure different
    things: a SummcheckError, not a number."""
    both = a.metrics() & b.metrics()     # a metric one run lacks is only "not compared"
    mixed = [m for m in metrics if (m == "consistency" or m.startswith("support_")) and m in both]
    method_a, method_b = consistency_method(a.signatures), consistency_method(b.signatures)
    if not mixed or method_a == method_b:
        return
    if "none" in (method_a, method_b):
        without = a.name if method_a == "none" else b.name
        raise SummcheckError(
            f"{', '.join(mixed)} not comparable: {without} scored it without the support "
            "check (checks.support: null), the other with it. Score both with the same "
            f"checks, or leave these metrics out ({leave_out}).")
    raise SummcheckError(
        f"{', '.join(mixed)} not comparable: {a.name} used support method {method_a}, "
        f"{b.name} used {method_b} (checks.support.method auto picks aligned when the "
        "MiniLM weights are installed, else lexical). Score both with the same method "
        "(install the same extras, or set checks.support.method), or leave these "
        f"metrics out ({leave_out}).")


def signature_families(metric: str) -> tuple[str, ...]:
    """The results.json signatures that can move a metric's values ("bullets" moves all)."""
    if metric.startswith("rouge"):
        return ("rouge",)
    if metric == "consistency":   # the product of the checks' precisions (scoring.py)
        return ("numbers", "entities", "support", "consistency")
    return (metric.split("_")[0],)


def _sig_parts_diff(sig_a: str, sig_b: str) -> tuple[str, str]:
    parts_a, parts_b = sig_a.split("|"), sig_b.split("|")
    only_a = [p for p in parts_a if p not in parts_b]
    only_b = [p for p in parts_b if p not in parts_a]
    return "|".join(only_a) or "(nothing)", "|".join(only_b) or "(nothing)"


def example_warnings(a: ScoreSet, b: ScoreSet) -> list[str]:
    """Lines saying how the two example sets differ (empty when they are the same)."""
    ids_a, ids_b = set(a.example_hashes), set(b.example_hashes)
    out = []
    if ids_a != ids_b:
        out.append(f"WARNING: example sets differ: {len(ids_a & ids_b)} shared, "
                   f"{len(ids_a - ids_b)} only in {a.name}{some_ids(ids_a - ids_b)}, "
                   f"{len(ids_b - ids_a)} only in {b.name}{some_ids(ids_b - ids_a)}; "
                   "differences use the shared examples only")
    return out + changed_examples_warning(a, b)


def changed_ids(a: ScoreSet, b: ScoreSet) -> set[str]:
    """Ids in both runs whose story or reference bullets differ between them."""
    return differing_ids(a.example_hashes, b.example_hashes)


def differing_ids(hashes_a: dict[str, str], hashes_b: dict[str, str]) -> set[str]:
    """Ids in both {id: example hash} maps whose hashes differ."""
    return {i for i in hashes_a.keys() & hashes_b.keys() if hashes_a[i] != hashes_b[i]}


def changed_examples_warning(a: ScoreSet, b: ScoreSet) -> list[str]:
    changed = changed_ids(a, b)
    if not changed:
        return []
    return [f"WARNING: {len(changed)} shared example id(s) have a different story or reference "
            f"text{some_ids(changed)}; their scores are not comparable and are left out of "
            "every difference"]


def without_changed_examples(a: ScoreSet, b: ScoreSet) -> tuple[ScoreSet, ScoreSet]:
    """Both runs without the scores of ids whose story or references differ: a score of
    another text is no paired difference (they were paired by id, and gated)."""
    changed = changed_ids(a, b)
    if not changed:
        return a, b

    def strip(s: ScoreSet) -> ScoreSet:
        return replace(s, values={
            label: {m: {i: v for i, v in vals.items() if i not in changed}
                    for m, vals in per_metric.items()}
            for label, per_metric in s.values.items()})
    return strip(a), strip(b)


def refuse_nothing_comparable(a: ScoreSet, b: ScoreSet) -> None:
    """A SummcheckError when the two runs share no example with the same story and
    references: any difference or verdict would be of nothing."""
    shared = set(a.example_hashes) & set(b.example_hashes)
    changed = changed_ids(a, b)
    if shared - changed:
        return
    why = (f"all {len(shared)} shared ids have another story or references{some_ids(changed)}"
           if shared else "they share no examples")
    raise SummcheckError(
        f"{a.name} and {b.name} have no example in common to compare ({why}). Compare runs "
        "of the same dataset, or write the baseline again from a run of this data.")


def some_ids(ids: set[str], k: int = 5) -> str:
    if not ids:
        return ""
    shown = sorted(ids)[:k]
    return f" ({', '.join(shown)}{', ...' if len(ids) > k else ''})"


def format_p(p: float) -> str:
    """4 decimals (0.0625 stays exact), scientific below 0.0001. Rounded down, so a p
    below an alpha of 4 decimals never prints as alpha (500/10001 = 0.049995 was
    "0.0500" on a line saying REGRESSED at alpha 0.05)."""
    if math.isnan(p):
        return "n/a"
    if p < 1e-4:
        return f"{p:.1e}"
    return str(Decimal(repr(p)).quantize(Decimal("0.0001"), rounding=ROUND_FLOOR))


def format_interval(low: float, high: float, n: int, sign: str = "+") -> str:
    """"[+0.010, +0.030]"; "(no interval, n=1)" when fewer than 2 examples make one."""
    if n < 2 or math.isnan(low):
        return f"(no interval, n={n})"
    return f"[{low:{sign}.3f}, {high:{sign}.3f}]"


def too_small_text(n: int, n_differ: int, min_p: float, alpha: float,
                   min_p_adjusted: float | None = None, family: int = 1) -> str:
    """e.g. "n=5 too small to rank (smallest possible p 0.0625 >= 0.05)", or with a Holm
    family "n=8 too small to rank (smallest possible p 0.0078, Holm-adjusted over 20
    comparisons 0.1562 >= 0.05)"."""
    size = f"n={n}" if n_differ == n else f"n={n} with {n_differ} differing"
    if min_p >= alpha or min_p_adjusted is None:
        return f"{size} too small to rank (smallest possible p {format_p(min_p)} >= {alpha:g})"
    return (f"{size} too small to rank (smallest possible p {format_p(min_p)}, Holm-adjusted "
            f"over {family} comparisons {format_p(min_p_adjusted)} >= {alpha:g})")
