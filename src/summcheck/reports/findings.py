"""Consistency findings as read from checks.jsonl: listing, wording, rates per kind."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from ..artifacts import RunData
from ..text import counted
from .model_table import Model

NOUNS = {"numbers": "number", "entities": "entity", "relations": "relation",
         "likelihood": "word"}   # not "unsupported likelihood (unlikely)"
# What each check flags, as the plots name it: a support finding is a bullet, or a phrase
# of one, the story does not support; the plot called them "unsupported support mentions"
FLAGGED = {"numbers": "unsupported number mentions", "entities": "unsupported entity mentions",
           "relations": "unsupported relations",
           "support": "unsupported bullets and phrases (support check)",
           "likelihood": "unlikely words (likelihood check)"}
# Checks whose candidate is a whole story sentence, not a mention to put in its place.
_SENTENCE_CANDIDATES = ("support", "relations")


@dataclass(frozen=True)
class Found:
    model: str          # the model's display name
    example_id: str
    finding: dict[str, Any]

    @property
    def bullet(self) -> int:
        """1-based bullet number, as shown in the reports."""
        return self.finding["bullet_index"] + 1


def describe(finding: dict[str, Any]) -> str:
    """e.g. "unsupported number (percent); did you mean 61%?"."""
    candidates = finding.get("candidates") or []
    if finding["check"] == "support":   # a bullet or phrase, not a single mention
        text = finding["kind"].replace("-", " ")
        if candidates:
            text += f"; closest story sentence: “{candidates[0]['text']}”"
        return text
    noun = NOUNS.get(finding["check"], finding["check"])
    text = f"unsupported {noun} ({finding['kind']})"
    if candidates and finding["check"] in _SENTENCE_CANDIDATES:
        text += f"; closest story sentence: “{candidates[0]['text']}”"
    elif candidates:
        text += f"; did you mean {candidates[0]['text']}?"
    return text


def flagged(check: str) -> str:
    """What the check's findings are, e.g. "unsupported number mentions"."""
    return FLAGGED.get(check, f"{check} findings")


def failed_summaries(models: Sequence[Model]) -> str | None:
    """How many of the models' summaries failed, in words ("3 failed summaries"), or None:
    a failed summary had nothing to check, so "none found" alone read as clean ones."""
    failed = sum(int(m.summary.get("n_failed") or 0) for m in models)
    return counted(failed, "failed summary", "failed summaries") if failed else None


def check_order(check: str) -> tuple[bool, str]:
    """Sort key of checks in the reports: numbers first, then by name."""
    return check != "numbers", check


def checks_ran(runs: Sequence[RunData]) -> bool:
    """Whether any run's signatures name a consistency check (one signature per check):
    no findings means nothing unsupported only then."""
    from ..consistency.registry import CHECKS

    names = set(CHECKS.names())
    return any(names & set(run.results.get("signatures", {})) for run in runs)


def check_rows(model: Model) -> Iterator[dict[str, Any]]:
    """The model's checks.jsonl rows, streamed; the runner writes them in the run's
    example order."""
    return (r for r in model.run.checks if r["summarizer"] == model.label)


def finding_counts(models: Sequence[Model]) -> Iterator[tuple[Model, str, str, int]]:
    """(model, check, kind, findings) from the run's counts (the reports' one read of
    checks.jsonl)."""
    for model in models:
        for (label, check, kind), n in model.run.rows().kinds.items():
            if label == model.label:
                yield model, check, kind, n


def all_findings(models: Sequence[Model]) -> Iterator[Found]:
    """Every finding: by model, then example, bullet and position."""
    for model in models:
        for row in check_rows(model):
            ordered = sorted(row["findings"],
                             key=lambda f: (f["bullet_index"], f["span"]["start"]))
            for finding in ordered:
                yield Found(model.name, row["example_id"], finding)


def sample_findings(models: Sequence[Model], limit: int) -> tuple[list[Found], dict[str, int]]:
    """(up to `limit` findings, each check's total) for a short report: the checks take
    turns (`check_order`), so a check with many findings (relations flag most paraphrases)
    cannot hide another's few; each check's findings in `all_findings` order, grouped by
    check. Reads checks.jsonl only until every check has its share."""
    totals: dict[str, int] = defaultdict(int)
    for _, check, _, n in finding_counts(models):
        totals[check] += n
    share = _turns(totals, limit)
    picked: dict[str, list[Found]] = {check: [] for check in share}
    if not any(share.values()):
        return [], dict(totals)      # nothing to show: checks.jsonl is not read again
    for item in all_findings(models):
        found = picked[item.finding["check"]]
        if len(found) < share[item.finding["check"]]:
            found.append(item)
            if all(len(picked[c]) == share[c] for c in share):
                break
    return [item for found in picked.values() for item in found], dict(totals)


def _turns(totals: dict[str, int], limit: int) -> dict[str, int]:
    """How many findings of each check to show, in `check_order`: one of each in turn
    until `limit` are given or none is left."""
    share = {check: 0 for check in sorted(totals, key=check_order)}
    given = 0
    while given < min(limit, sum(totals.values())):
        for check in share:
            if share[check] < totals[check] and given < limit:
                share[check] += 1
                given += 1
    return share


def n_bullets(model: Model) -> int:
    if "n_bullets" in model.summary:
        return int(model.summary["n_bullets"])
    return sum(len(s["bullets"]) for s in model.run.summaries if s["summarizer"] == model.label)


def per_100_bullets(models: Sequence[Model]) -> dict[str, dict[str, dict[str, float]]]:
    """{check: {kind: {model name: findings per 100 bullets}}}; kinds ordered
    by their total count, most frequent first."""
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for model, check, kind, n in finding_counts(models):
        counts[check][kind][model.name] = n
    bullets = {m.name: n_bullets(m) for m in models}
    rates = {}
    for check in sorted(counts, key=check_order):
        kinds = sorted(counts[check].items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        rates[check] = {kind: {m.name: 100 * by_model.get(m.name, 0) / max(bullets[m.name], 1)
                               for m in models}
                        for kind, by_model in kinds}
    return rates
